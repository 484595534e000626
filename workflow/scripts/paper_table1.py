"""Tseng et al. Table 1: best and mean test performance over seeds (rule paper_table1).

Binary models are judged by test accuracy, auROC and auPRC; profile models by the NLL and
JSD of their predicted profiles (lower is better) and the correlation of predicted and
observed log counts: one table per kind of model present."""

import logging

import numpy as np
import pandas as pd

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.paper_values import add_paper_values, paper_models
from attrprior.stats import RUN_TEST_METRICS, best_over_seeds, run_kind, to_markdown

log_to_file(snakemake.log[0])
KEYS = ["dataset", "model", "condition"]
TITLES = {
    "binary": "Binary models",
    "profile": (
        "Profile models (NLL and JSD of the profiles: lower is better; Pearson and Spearman "
        "correlation of predicted and observed log counts)"
    ),
}

names = snakemake.params.names
models = paper_models(names["architectures"], names["activations"])
by_kind = {}
for path, run in zip(snakemake.input.test_metrics, snakemake.params.runs, strict=True):
    table = pd.read_csv(path, sep="\t").assign(dataset=run["dataset"])
    by_kind.setdefault(run_kind(table.columns), []).append(table)
summaries, sections = [], []
for kind, metrics in RUN_TEST_METRICS.items():
    if kind not in by_kind:
        continue
    runs = pd.concat(by_kind[kind], ignore_index=True)
    summary = add_paper_values(
        best_over_seeds(runs, KEYS, list(metrics)), "table1", names["paper_datasets"], models
    )
    summaries.append(summary)
    paper = summary.get("paper_best", pd.Series(np.nan, index=summary.index))
    text = summary.assign(
        value=[
            (f"{b:.3f} ({m:.3f} ± {s:.3f})" if np.isfinite(s) else f"{b:.3f} (1 seed)")
            + (f"; paper {p:.3f}" if np.isfinite(p) else "")
            for b, m, s, p in zip(
                summary["best"], summary["mean"], summary["sem"], paper, strict=True
            )
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
    f"{summary['n_seeds'].max()} seeds at most per condition; 'paper': Tseng et al.'s "
    "Table 1 (best of 30 seeds) for the dataset this one stands for (paper_dataset).\n\n"
)
write_text(header + "\n".join(sections), snakemake.output.md)
logging.info("table 1 from %d trained models", sum(len(runs) for runs in by_kind.values()))
