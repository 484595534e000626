"""Per-sequence metric distributions per condition, one model (rule plot_metric_distributions)."""

import pandas as pd

from attrprior.io import log_to_file
from attrprior.plots import METRIC_LABELS, metric_distributions, save_figure

log_to_file(snakemake.log[0])

sequences = pd.read_csv(snakemake.input.sequences, sep="\t")
model = sequences[sequences["model"] == snakemake.wildcards.model]
fig = metric_distributions(model, list(METRIC_LABELS), reference=snakemake.params.reference)
save_figure(fig, snakemake.output.figure)
