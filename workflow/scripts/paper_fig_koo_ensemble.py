"""Majdandzic et al.'s ensemble difference over the selected datasets (rule
paper_fig_koo_ensemble): the reduction curves by angle, and one summary row per ensemble."""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.plots import ensemble_difference_curves, save_figure
from attrprior.stats import to_markdown

log_to_file(snakemake.log[0])
summary = pd.concat(
    [pd.read_csv(path, sep="\t") for path in snakemake.input.summaries], ignore_index=True
)
by_angle = pd.concat(
    [
        pd.read_csv(path, sep="\t").assign(dataset=row["dataset"], model=row["model"])
        for path, (_, row) in zip(snakemake.input.by_angle, summary.iterrows(), strict=True)
    ],
    ignore_index=True,
)
write_tsv(summary, snakemake.output.tsv)
write_text(
    "Ensemble difference (Majdandzic et al.): distance of each model's raw and corrected "
    "map to the ensemble's average raw map, percent reduction pooled over every position "
    "and over positions more than 30° off the simplex; one-sided paired Wilcoxon over the "
    "models. With a ground truth: the average map's and the single models' mean cosine "
    "similarity to it.\n\n" + to_markdown(summary) + "\n",
    snakemake.output.md,
)
save_figure(ensemble_difference_curves(by_angle), snakemake.output.figure)
logging.info("ensemble difference of %d ensembles", len(summary))
