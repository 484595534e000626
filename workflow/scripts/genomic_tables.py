"""Test-set performance of a genomic dataset's models, mean ± SEM over seeds, and each
condition against the reference condition (one-sided Mann–Whitney over seeds)
(rule genomic_tables).

Each model is summarised on the test metrics it has: binary models (accuracy, auROC,
auPRC) and profile models (NLL, JSD, log-count MSE and correlations) may share a dataset."""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.stats import compare_to_reference, format_mean_sem, summarise_over_seeds, to_markdown

log_to_file(snakemake.log[0])
keys = ["model", "condition"]
runs = [pd.read_csv(path, sep="\t") for path in snakemake.input.test_metrics]
# The test metrics of each model (binary and profile models have different ones).
model_metrics = {}
for table in runs:
    for model in table["model"].unique():
        names = model_metrics.setdefault(model, [])
        names += [c for c in table.columns if c.startswith("test_") and c not in names]
models = pd.concat(runs, ignore_index=True)
summaries, tests = [], []
for model, metrics in sorted(model_metrics.items()):
    of_model = models[models["model"] == model]
    summaries.append(summarise_over_seeds(of_model, keys, metrics))
    tests.append(
        compare_to_reference(of_model, metrics, snakemake.params.reference, keys=("model",))
    )
summary = pd.concat(summaries, ignore_index=True)
write_tsv(summary, snakemake.output.predictive_tsv)
# Blank where a model lacks a metric (a binary model has no NLL).
write_text(to_markdown(format_mean_sem(summary, keys).fillna("–")), snakemake.output.predictive_md)
tests = pd.concat(tests, ignore_index=True)
write_tsv(tests, snakemake.output.tests_vs_reference_tsv)
write_text(to_markdown(tests), snakemake.output.tests_vs_reference_md)
logging.info("tables written for %d runs", len(models))
