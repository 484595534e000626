"""Tseng et al. binary labels of every window of the genome (rule binary_labels)."""

import logging

from attrprior.genomics.labels import write_binary_labels
from attrprior.genomics.peaks import read_bed, read_chrom_sizes, read_narrowpeak, relaxed_peaks
from attrprior.io import log_to_file, write_tsv

log_to_file(snakemake.log[0])
settings = snakemake.params.labels
sizes = read_chrom_sizes(snakemake.input.chrom_sizes)
optimal = [read_narrowpeak(path, sizes) for path in snakemake.input.optimal]
# Relaxed peaks are optional: a task without them (None) has no ambiguous windows.
relaxed_paths = dict(zip(snakemake.params.relaxed_tasks, snakemake.input.relaxed, strict=True))
relaxed = [
    relaxed_peaks(read_narrowpeak(relaxed_paths[task], sizes), top_n=settings["relaxed_top_n"])
    if task in relaxed_paths
    else None
    for task in snakemake.params.tasks
]
without = [task for task in snakemake.params.tasks if task not in relaxed_paths]
if without:
    logging.info("no relaxed peaks, so no ambiguous windows, for %s", ", ".join(without))
# ENCODE blacklists list contigs that some chrom sizes files lack: those lines are dropped.
blacklist = read_bed(snakemake.input.blacklist, sizes, unknown_chroms="drop", allow_empty=True)
summary = write_binary_labels(
    snakemake.output.labels,
    sizes,
    optimal,
    relaxed,
    blacklist,
    bin_size=settings["bin_size"],
    stride=settings["stride"],
    flank=settings["flank"],
    min_overlap=settings["min_overlap"],
    chroms=list(snakemake.params.chroms),
    tasks=list(snakemake.params.tasks),
)
write_tsv(summary, snakemake.output.summary)
logging.info("labels written:\n%s", summary.to_string(index=False))
