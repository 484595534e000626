"""Gradient angles to the simplex plane for one model (rule plot_angle_histograms)."""

import pandas as pd

from attrprior.io import log_to_file
from attrprior.plots import angle_histograms, save_figure

log_to_file(snakemake.log[0])

histograms = pd.read_csv(snakemake.input.angle_histograms, sep="\t")
fig = angle_histograms(histograms[histograms["model"] == snakemake.wildcards.model])
save_figure(fig, snakemake.output.figure)
