"""Tseng et al. Figure 4: validation loss and test metrics over seeds (rule paper_fig4)."""

import logging

import pandas as pd

from attrprior.io import write_tsv
from attrprior.plots import save_figure, seed_distributions

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
METRICS = ["valid_loss", "test_accuracy", "test_auroc", "test_aupr"]


def best_validation_loss(path):
    """Validation correctness loss of the epoch whose weights were kept (last 'best' row)."""
    history = pd.read_csv(path, sep="\t")
    return history.loc[history["best"].astype(bool), "valid_correctness"].iloc[-1]


rows = []
for metrics_path, history_path, run in zip(
    snakemake.input.test_metrics, snakemake.input.histories, snakemake.params.runs, strict=True
):
    row = pd.read_csv(metrics_path, sep="\t").iloc[0].to_dict()
    rows.append(
        {**row, "dataset": run["dataset"], "valid_loss": best_validation_loss(history_path)}
    )
runs = pd.DataFrame(rows)[["dataset", "model", "condition", "seed", *METRICS]]
write_tsv(runs, snakemake.output.tsv)
save_figure(
    seed_distributions(runs, METRICS, reference=snakemake.params.reference), snakemake.output.figure
)
logging.info("figure 4 from %d trained models", len(runs))
