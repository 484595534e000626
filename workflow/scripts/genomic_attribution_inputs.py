"""Fix the test windows every genomic model is explained on (rule genomic_attribution_inputs).

Binary models: random positive test windows of the labels. Profile models: random test
peaks of the profile examples, each shifted from its summit by a seeded jitter of up to
``attribution.jitter`` bp (``shift`` (N,); Tseng et al.: ±128), with their ``control``
profiles (N, T, S_c, L_out) when the dataset has controls.

Output arrays: ``index`` (N,) rows of the labels (or of the profile examples); ``chrom`` and
``start`` (N,) window coordinates; ``x`` (N, 4, L) one-hot; ``references`` (N, K, 4, L)
dinucleotide shuffles;
``summit_distance`` (N, L) bp to the nearest optimal-peak summit of any task; and one
``mask_<name>`` (N, L) per region set (``peaks``: optimal peaks of any task;
``footprints``: the union of the dataset's footprint files and ``motif``: a simulated
genome's planted motif instances, when the dataset names them).
"""

import logging

import numpy as np
import pandas as pd

from attrprior.deepshap import dinucleotide_references
from attrprior.genomics.genome import GenomeArray
from attrprior.genomics.labels import load_binary_labels
from attrprior.genomics.peaks import (
    read_bed,
    read_narrowpeak,
    summit_positions,
    window_interval_mask,
    window_summit_distance,
)
from attrprior.genomics.sampling import positive_and_negative_windows, profile_attribution_examples
from attrprior.genomics.stored_profiles import ProfileExamples
from attrprior.io import atomic_path, log_to_file

log_to_file(snakemake.log[0])
settings = snakemake.params.attribution
n = snakemake.params.n_sequences  # attribution.n_sequences, or motifs.n_sequences
extra = {}
if "profile_examples" in snakemake.input.keys():
    examples = ProfileExamples(snakemake.input.profile_examples)
    # Tseng et al. jitter the explained peaks (up to ±128 bp) "to avoid center-bias".
    jitter = settings.get("jitter", examples.max_jitter)
    index, shifts = profile_attribution_examples(examples, n, settings["seed"], jitter=jitter)
    batch = examples.sample(index, jitter=shifts)
    chroms = examples.chrom[index]
    length = examples.input_length
    starts = examples.center[index] + shifts - length // 2
    extra["shift"] = shifts
    logging.info("peaks shifted by up to ±%d bp (seed %d)", jitter, settings["seed"])
    x = batch.one_hot
    if batch.control is not None:
        extra["control"] = batch.control
else:
    labels = load_binary_labels(snakemake.input.labels)
    index, _ = positive_and_negative_windows(
        labels, labels.split_mask(snakemake.params.test_chroms)
    )
    rng = np.random.default_rng(settings["seed"])
    index = np.sort(rng.choice(index, size=min(n, len(index)), replace=False))
    chroms = labels.chrom_names[labels.chrom[index]]
    starts = labels.start[index]
    length = labels.window_length
    x = GenomeArray(snakemake.input.genome).one_hot(list(chroms), starts, length)
if len(index) < n:
    logging.warning("only %d usable test examples; using all of them, not %d", len(index), n)
references = dinucleotide_references(x, n_shuffles=settings["n_shuffles"], seed=settings["seed"])

peaks = pd.concat([read_narrowpeak(path) for path in snakemake.input.peaks], ignore_index=True)
summits = pd.DataFrame({"chrom": peaks["chrom"], "summit": summit_positions(peaks)})
masks = {"peaks": window_interval_mask(chroms, starts, length, peaks)}
# Input name -> mask name.
for name, mask_name in (("footprints", "footprints"), ("motif_instances", "motif")):
    if getattr(snakemake.input, name):
        # Several footprint files (e.g. DNase samples): their union.
        regions = pd.concat(
            [read_bed(path) for path in getattr(snakemake.input, name)], ignore_index=True
        )
        masks[mask_name] = window_interval_mask(chroms, starts, length, regions)
for name, mask in masks.items():
    logging.info("%s cover %.3f of the explained bases", name, mask.mean())
logging.info("%d test windows of %d bp, references %s", len(index), length, references.shape)
with atomic_path(snakemake.output.inputs) as tmp:
    np.savez_compressed(
        tmp,
        index=index,
        chrom=chroms.astype(str),
        start=starts,
        x=x,
        references=references,
        summit_distance=window_summit_distance(chroms, starts, length, summits),
        **{f"mask_{name}": mask for name, mask in masks.items()},
        **extra,
    )
