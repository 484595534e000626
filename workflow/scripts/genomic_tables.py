"""Test-set performance of a genomic dataset's models, mean ± SEM over seeds, and each
condition against the reference condition (one-sided Mann–Whitney over seeds)
(rule genomic_tables)."""

import logging

import pandas as pd

from attrprior.io import write_text, write_tsv
from attrprior.stats import compare_to_reference, format_mean_sem, summarise_over_seeds, to_markdown

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
models = pd.concat([pd.read_csv(path, sep="\t") for path in snakemake.input.test_metrics])
metrics = [column for column in models.columns if column.startswith("test_")]
keys = ["model", "condition"]
summary = summarise_over_seeds(models, keys, metrics)
write_tsv(summary, snakemake.output.predictive_tsv)
write_text(to_markdown(format_mean_sem(summary, keys)), snakemake.output.predictive_md)
tests = compare_to_reference(models, metrics, snakemake.params.reference, keys=("model",))
write_tsv(tests, snakemake.output.tests_vs_reference_tsv)
write_text(to_markdown(tests), snakemake.output.tests_vs_reference_md)
logging.info("tables written for %d runs", len(models))
