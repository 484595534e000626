"""Tseng et al. Table 1: best and mean test performance over seeds (rule paper_table1).

Binary models are judged by test accuracy, auROC and auPRC; profile models by the NLL and
JSD of their predicted profiles (lower is better) and the correlation of predicted and
observed log counts: one table per kind of model present."""

import logging

import numpy as np
import pandas as pd

from attrprior.io import write_text, write_tsv
from attrprior.stats import RUN_TEST_METRICS, best_over_seeds, run_kind, to_markdown

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
KEYS = ["dataset", "model", "condition"]
TITLES = {
    "binary": "Binary models",
    "profile": (
        "Profile models (NLL and JSD of the profiles: lower is better; Pearson and Spearman "
        "correlation of predicted and observed log counts)"
    ),
}

by_kind = {}
for path, run in zip(snakemake.input.test_metrics, snakemake.params.runs, strict=True):
    table = pd.read_csv(path, sep="\t").assign(dataset=run["dataset"])
    by_kind.setdefault(run_kind(table.columns), []).append(table)
summaries, sections = [], []
for kind, metrics in RUN_TEST_METRICS.items():
    if kind not in by_kind:
        continue
    runs = pd.concat(by_kind[kind], ignore_index=True)
    summary = best_over_seeds(runs, KEYS, list(metrics))
    summaries.append(summary)
    text = summary.assign(
        value=[
            f"{b:.3f} ({m:.3f} ± {s:.3f})" if np.isfinite(s) else f"{b:.3f} (1 seed)"
            for b, m, s in zip(summary["best"], summary["mean"], summary["sem"], strict=True)
        ]
    ).pivot_table(index=KEYS, columns="metric", values="value", aggfunc="first")
    text = text[list(metrics)].reset_index()
    text.columns.name = None
    title = f"{TITLES[kind]}:\n\n" if len(by_kind) > 1 else ""
    sections.append(title + to_markdown(text))
summary = pd.concat(summaries, ignore_index=True)
write_tsv(summary, snakemake.output.tsv)
header = (
    "Test-set performance: best over seeds (mean ± SEM over seeds), "
    f"{summary['n_seeds'].max()} seeds at most per condition.\n\n"
)
write_text(header + "\n".join(sections), snakemake.output.md)
logging.info("table 1 from %d trained models", sum(len(runs) for runs in by_kind.values()))
