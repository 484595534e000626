"""Tseng et al. Figure 4: validation loss and test metrics over seeds (rule paper_fig4).

Binary models show test accuracy, auROC and auPRC; profile models the NLL, JSD and
log-count correlations of attrprior.stats.RUN_TEST_METRICS."""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_tsv
from attrprior.plots import save_figure, seed_distributions
from attrprior.stats import RUN_TEST_METRICS, kept_validation_loss, run_kind

log_to_file(snakemake.log[0])


rows, kinds = [], set()
for metrics_path, history_path, run in zip(
    snakemake.input.test_metrics, snakemake.input.histories, snakemake.params.runs, strict=True
):
    row = pd.read_csv(metrics_path, sep="\t").iloc[0].to_dict()
    kinds.add(run_kind(row))
    rows.append(
        {
            **row,
            "dataset": run["dataset"],
            "valid_loss": kept_validation_loss(pd.read_csv(history_path, sep="\t")),
        }
    )
# The metrics of the kinds of model present, in RUN_TEST_METRICS order (binary first).
metrics = ["valid_loss"] + [
    metric for kind, names in RUN_TEST_METRICS.items() if kind in kinds for metric in names
]
runs = pd.DataFrame(rows).reindex(columns=["dataset", "model", "condition", "seed", *metrics])
write_tsv(runs, snakemake.output.tsv)
save_figure(
    seed_distributions(runs, metrics, reference=snakemake.params.reference), snakemake.output.figure
)
logging.info("figure 4 from %d trained models", len(runs))
