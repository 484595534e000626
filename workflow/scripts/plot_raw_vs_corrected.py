"""Corrected against raw attribution quality for one model (rule plot_raw_vs_corrected)."""

import pandas as pd

from attrprior.io import log_to_file
from attrprior.plots import raw_vs_corrected, save_figure

log_to_file(snakemake.log[0])

sequences = pd.read_csv(snakemake.input.sequences, sep="\t")
fig = raw_vs_corrected(sequences[sequences["model"] == snakemake.wildcards.model])
save_figure(fig, snakemake.output.figure)
