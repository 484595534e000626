"""Fix the regions every model of a region dataset is explained on (rule
region_attribution_inputs): ``attribution.n_sequences`` positive test regions drawn with
``attribution.seed``, sorted.

Output arrays: ``index`` (N,) rows of the regions; ``x`` (N, 4, L) one-hot; ``references``
(N, K, 4, L) dinucleotide shuffles; ``summit_distance`` (N, L) bp to the region's centre,
where its summit is.
"""

import logging

import numpy as np

from attrprior.deepshap import dinucleotide_references
from attrprior.io import atomic_path, load_npz, log_to_file

log_to_file(snakemake.log[0])
settings = snakemake.params.attribution
regions = load_npz(snakemake.input.regions, "regions")
positives = np.flatnonzero((regions["split"] == "test") & (regions["y"][:, 0] == 1))
n = settings["n_sequences"]
if len(positives) < n:
    logging.warning("only %d positive test regions; using all of them, not %d", len(positives), n)
rng = np.random.default_rng(settings["seed"])
index = np.sort(rng.choice(positives, size=min(n, len(positives)), replace=False))
x = regions["x"][index].astype(np.float32)
length = x.shape[2]
summit_distance = np.broadcast_to(np.abs(np.arange(length) - length // 2), (len(x), length))
references = dinucleotide_references(x, n_shuffles=settings["n_shuffles"], seed=settings["seed"])
logging.info("%d positive test regions of %d bp, references %s", len(x), length, references.shape)
with atomic_path(snakemake.output.inputs) as tmp:
    np.savez_compressed(
        tmp, index=index, x=x, references=references, summit_distance=summit_distance
    )
