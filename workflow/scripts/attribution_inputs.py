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

from attrprior.deepshap import dinucleotide_references
from attrprior.io import atomic_path, log_to_file
from attrprior.pwms import load_jaspar_motifs, pwm_scan_mask
from attrprior.sim.datasets import load_dataset, motif_mask
from attrprior.sim.single_motif import single_motif_sequences

log_to_file(snakemake.log[0])
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
x, truth, mask = dataset.x[index], dataset.truth[index], motif_mask(dataset)[index]
# Tseng et al.'s synthetic SPI1 protocol (single_motif.evaluation): fresh positives at the
# training GC bias with the motif centred, the motif marked by a PWM scan.
single_motif = snakemake.params.single_motif
protocol = (single_motif or {}).get("evaluation", {})
if single_motif and snakemake.wildcards.purpose == "attribution":
    motif = load_jaspar_motifs(single_motif["jaspar_release"])[single_motif["motif"]]
    # The explained sequences' GC: the training bias for fresh ones, gc_prob for test ones.
    fresh = protocol.get("sequences", "test") == "fresh"
    gc = single_motif["gc_prob"] + (single_motif["positive_gc_excess"] if fresh else 0.0)
    if fresh:
        rng = np.random.default_rng(settings["seed"])
        x, truth = single_motif_sequences(motif, n, single_motif["length"], gc, rng)
        index = -1 - np.arange(n)  # fresh sequences: -1, -2, ..., not rows of the dataset
        window = (single_motif["length"] - motif.width) // 2
        mask = np.zeros(x.shape[::2], dtype=bool)
        mask[:, window : window + motif.width] = True
        logging.info("%d fresh positives at GC %.3f, motif centred", n, gc)
    if protocol.get("motif_mask", "planted") == "pwm_scan":
        mask = pwm_scan_mask(x, motif, gc=gc, threshold=protocol.get("pwm_threshold", 0.9))
        logging.info("motif mask by PWM scan: %.4f of positions", mask.mean())
references = dinucleotide_references(x, n_shuffles=settings["n_shuffles"], seed=settings["seed"])
logging.info("%d sequences, references %s", len(index), references.shape)
with atomic_path(snakemake.output.inputs) as tmp:
    np.savez_compressed(tmp, index=index, x=x, truth=truth, mask_motif=mask, references=references)
