"""Tseng et al. Figure 2A–B: high-frequency Fourier share and entropy of each test
sequence's attributions, with against without the prior (rule paper_fig2)."""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_tsv
from attrprior.plots import paired_sequence_scatter, save_figure
from attrprior.stats import sequence_summary, shown_scores

log_to_file(snakemake.log[0])
params = snakemake.params
metrics = ["highfreq", "entropy"]
tables = [
    shown_scores(
        pd.read_csv(path, sep="\t").assign(dataset=dataset),
        params.methods[dataset],
        **params.selection[dataset],
    )
    for path, dataset in zip(snakemake.input.sequences, params.datasets, strict=True)
]
scores = pd.concat(tables, ignore_index=True)
per_sequence = (
    scores.groupby(["dataset", "model", "condition", "sequence"])[metrics].mean().reset_index()
)
summary = pd.concat(
    [
        sequence_summary(scores, metric, params.reference).assign(metric=metric)
        for metric in metrics
    ],
    ignore_index=True,
)
write_tsv(summary, snakemake.output.tsv)
save_figure(
    paired_sequence_scatter(per_sequence, metrics, params.reference), snakemake.output.figure
)
logging.info("figure 2 from %d sequences", per_sequence["sequence"].nunique())
