"""Balanced 200-bp regions of one ChIP-seq task against DNase-seq peaks, with their
sequences (rule task_regions)."""

import logging

import numpy as np
import pandas as pd

from attrprior.genomics.genome import GenomeArray
from attrprior.genomics.koo_regions import koo_task_regions
from attrprior.genomics.peaks import read_bed, read_chrom_sizes
from attrprior.genomics.sampling import region_examples
from attrprior.io import atomic_path, log_to_file, write_tsv

log_to_file(snakemake.log[0])
source = snakemake.params.source
sizes = read_chrom_sizes(snakemake.input.chrom_sizes)
blacklist = read_bed(snakemake.input.blacklist, sizes, unknown_chroms="drop", allow_empty=True)
regions = koo_task_regions(
    snakemake.input.chip,
    snakemake.input.dnase,
    sizes,
    blacklist,
    width=source["width"],
    split_fractions=source["split"],
    seed=source["seed"],
)
x, y, split = region_examples(GenomeArray(snakemake.input.genome), regions)
with atomic_path(snakemake.output.regions, suffix=".npz") as tmp:
    np.savez_compressed(
        tmp, x=x, y=y, split=split, chrom=regions["chrom"].to_numpy(str), start=regions["start"]
    )
summary = regions.groupby(["split", "label"]).size().rename("regions").reset_index()
counts = pd.DataFrame([regions.attrs.get("counts", {})])
write_tsv(summary.merge(counts, how="cross"), snakemake.output.summary)
logging.info("regions: %s; %s", summary.to_dict("records"), regions.attrs.get("counts"))
