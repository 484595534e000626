"""Summary tables and statistical tests of one dataset (rule tables).

Each table is written twice: TSV (every number) and Markdown (mean ± SEM over seeds).
"""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.score_tables import MAP_METRICS
from attrprior.stats import (
    compare_corrected_to_raw,
    compare_to_reference,
    format_mean_sem,
    summarise_over_seeds,
    to_markdown,
)

log_to_file(snakemake.log[0])
reference = snakemake.params.reference
sequences = pd.read_csv(snakemake.input.sequences, sep="\t")
models = pd.read_csv(snakemake.input.models, sep="\t")
angle_fractions = pd.read_csv(snakemake.input.angle_fractions, sep="\t")
pooled = pd.read_csv(snakemake.input.pooled, sep="\t")

map_metrics = list(MAP_METRICS)
model_metrics = [c for c in models.columns if c.startswith("test_")]
angle_columns = [c for c in angle_fractions.columns if c.startswith("above_")]
map_keys = ["model", "condition", "method", "corrected"]

summaries = {
    "interpretability": (summarise_over_seeds(sequences, map_keys, map_metrics), map_keys),
    "motif_auprc": (summarise_over_seeds(pooled, map_keys, ["motif_auprc"]), map_keys),
    "predictive": (
        summarise_over_seeds(models, ["model", "condition"], model_metrics),
        ["model", "condition"],
    ),
    "angles": (
        summarise_over_seeds(angle_fractions, ["model", "condition", "method"], angle_columns),
        ["model", "condition", "method"],
    ),
}
for name, (summary, keys) in summaries.items():
    write_tsv(summary, snakemake.output[f"{name}_tsv"])
    write_text(to_markdown(format_mean_sem(summary, keys)), snakemake.output[f"{name}_md"])

tests = {
    "tests_vs_reference": pd.concat(
        [
            compare_to_reference(sequences, map_metrics, reference),
            compare_to_reference(pooled, ["motif_auprc"], reference),
            compare_to_reference(models, model_metrics, reference, keys=("model",)),
        ],
        ignore_index=True,
    ),
    "tests_corrected_vs_raw": compare_corrected_to_raw(sequences, map_metrics),
}
for name, table in tests.items():
    write_tsv(table, snakemake.output[f"{name}_tsv"])
    write_text(to_markdown(table), snakemake.output[f"{name}_md"])
logging.info("tables written for %d runs", len(models))
