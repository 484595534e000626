"""A billboard dataset's published draw, stored as a simulated one (rule
published_billboard): the file's splits as they are, the planted motifs read back from its
ground truth (``model_<split>``) by matching the JASPAR release's matrices."""

import logging

import numpy as np

from attrprior.genomics.h5_dataset import read_split_h5
from attrprior.io import log_to_file, write_tsv
from attrprior.sim.billboard import billboard_from_truth
from attrprior.sim.datasets import save_dataset

log_to_file(snakemake.log[0])
settings = snakemake.params.billboard
published = read_split_h5(snakemake.input.h5)
if published.truth is None:
    raise ValueError(
        f"{snakemake.input.h5}: no ground truth (model_train, model_valid, model_test); "
        "a billboard dataset needs it (config key billboard.published)"
    )
length = published.x["train"].shape[2]
if length != settings["length"]:
    raise ValueError(
        f"{snakemake.input.h5}: sequences of {length} bp, but config key billboard.length "
        f"is {settings['length']}"
    )
dataset, n_unknown = billboard_from_truth(
    **published.stacked(),
    core_motif_ids=settings["core_motifs"],
    release=settings["jaspar_release"],
)
placements = dataset.placements
positives = set(np.flatnonzero(dataset.y[:, 0] == 1))
outside_core = placements[placements["sequence"].isin(positives) & ~placements["core"]]
logging.info(
    "%s (%s layout): %d sequences x %d bp, %d positives; %d placements read back, %d of "
    "them matching no %s matrix; %d placements in positives outside the core motifs",
    snakemake.input.h5,
    published.layout,
    len(dataset.x),
    length,
    len(positives),
    len(placements),
    n_unknown,
    settings["jaspar_release"],
    len(outside_core),
)
if n_unknown:
    logging.warning("%d placements match no matrix of the release: named 'unknown'", n_unknown)
save_dataset(dataset, snakemake.output.dataset)
write_tsv(placements, snakemake.output.placements)
write_tsv(dataset.motif_pool, snakemake.output.motif_pool)
