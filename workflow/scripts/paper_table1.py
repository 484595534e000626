"""Tseng et al. Table 1: best and mean test performance over seeds (rule paper_table1)."""

import logging

import numpy as np
import pandas as pd

from attrprior.io import write_text, write_tsv
from attrprior.stats import best_over_seeds, to_markdown

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
METRICS = ["test_accuracy", "test_auroc", "test_aupr"]

runs = pd.concat(
    [
        pd.read_csv(path, sep="\t").assign(dataset=run["dataset"])
        for path, run in zip(snakemake.input.test_metrics, snakemake.params.runs, strict=True)
    ],
    ignore_index=True,
)
summary = best_over_seeds(runs, ["dataset", "model", "condition"], METRICS)
write_tsv(summary, snakemake.output.tsv)
text = summary.assign(
    value=[
        f"{b:.3f} ({m:.3f} ± {s:.3f})" if np.isfinite(s) else f"{b:.3f} (1 seed)"
        for b, m, s in zip(summary["best"], summary["mean"], summary["sem"], strict=True)
    ]
).pivot_table(
    index=["dataset", "model", "condition"], columns="metric", values="value", aggfunc="first"
)
text = text[METRICS].reset_index()
text.columns.name = None
header = (
    "Test-set performance: best over seeds (mean ± SEM over seeds), "
    f"{summary['n_seeds'].max()} seeds at most per condition.\n\n"
)
write_text(header + to_markdown(text), snakemake.output.md)
logging.info("table 1 from %d trained models", len(runs))
