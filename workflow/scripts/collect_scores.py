"""Concatenate the per-run score tables of one dataset (rule collect_scores)."""

import logging

import pandas as pd

from attrprior.io import atomic_path, log_to_file, write_tsv

log_to_file(snakemake.log[0])


def concatenate(paths):
    return pd.concat([pd.read_csv(path, sep="\t") for path in paths], ignore_index=True)


sequences = concatenate(snakemake.input.sequences)
with atomic_path(snakemake.output.sequences, suffix=".tsv.gz") as tmp:
    sequences.to_csv(tmp, sep="\t", index=False, compression="gzip")
write_tsv(concatenate(snakemake.input.pooled), snakemake.output.pooled)
write_tsv(concatenate(snakemake.input.angle_fractions), snakemake.output.angle_fractions)
write_tsv(concatenate(snakemake.input.angle_histogram), snakemake.output.angle_histograms)
write_tsv(concatenate(snakemake.input.test_metrics), snakemake.output.models)
logging.info("%d per-sequence rows from %d runs", len(sequences), len(snakemake.input.sequences))
