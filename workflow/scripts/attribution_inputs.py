"""Fix the sequences every model is explained on, and their shuffled references.

The first ``n_sequences`` positives of the splits ``splits``, in that order: the test
positives for attributions; test, then validation and training positives for TF-MoDISco's
own maps (``motifs.n_sequences``).

Output arrays (rule attribution_inputs): ``index`` (N,) rows of the dataset; ``x`` and
``truth`` (N, 4, L); ``mask_motif`` (N, L) core-motif positions (named like the
region masks of genomic datasets); ``references``
(N, K, 4, L) dinucleotide shuffles of ``x`` (DeepSHAP and expected gradients).
"""

import logging

import numpy as np

from attrprior.attribution import dinucleotide_references
from attrprior.data import load_dataset, motif_mask
from attrprior.io import atomic_path

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
dataset = load_dataset(snakemake.input.dataset)
splits = snakemake.params.splits
# The positives of each split in turn (attributions: the test split only).
positives = np.concatenate(
    [np.flatnonzero((dataset.split == split) & (dataset.y[:, 0] == 1)) for split in splits]
)
settings = snakemake.params.attribution
n = snakemake.params.n_sequences
if len(positives) < n:
    logging.warning(
        "only %d positive sequences in %s; using all of them, not %d", len(positives), splits, n
    )
index = positives[:n]
x = dataset.x[index]
references = dinucleotide_references(x, n_shuffles=settings["n_shuffles"], seed=settings["seed"])
logging.info("%d sequences, references %s", len(index), references.shape)
with atomic_path(snakemake.output.inputs) as tmp:
    np.savez_compressed(
        tmp,
        index=index,
        x=x,
        truth=dataset.truth[index],
        mask_motif=motif_mask(dataset)[index],
        references=references,
    )
