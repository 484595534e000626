"""Tseng et al. Figure 5: GC reliance over the GC-content series (rule paper_fig5)."""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_tsv
from attrprior.plots import gc_reliance_series, save_figure
from attrprior.stats import summarise_over_seeds

log_to_file(snakemake.log[0])

tables = []
for path, dataset in zip(snakemake.input.sequences, snakemake.params.datasets, strict=True):
    scores = pd.read_csv(path, sep="\t")
    raw = scores[
        (scores["method"] == snakemake.params.methods[dataset]) & ~scores["corrected"].astype(bool)
    ]
    summary = summarise_over_seeds(raw, ["model", "condition"], ["gc_reliance"])
    tables.append(summary.assign(dataset=dataset, gc_excess=snakemake.params.gc_excess[dataset]))
summary = pd.concat(tables, ignore_index=True)
write_tsv(summary, snakemake.output.tsv)
save_figure(gc_reliance_series(summary), snakemake.output.figure)
logging.info("figure 5 from %d datasets", len(tables))
