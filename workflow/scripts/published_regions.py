"""A dataset published as HDF5 splits, stored as the workflow stores regions (rule
published_regions): ``x`` (N, 4, L), ``y`` (N, T), ``split``; no genomic coordinates."""

import logging

import numpy as np
import pandas as pd

from attrprior.genomics.h5_dataset import SPLITS, read_split_h5
from attrprior.io import atomic_path, log_to_file, write_tsv

log_to_file(snakemake.log[0])
data = read_split_h5(snakemake.input.h5)
arrays = data.stacked()
n = len(arrays["x"])
with atomic_path(snakemake.output.regions, suffix=".npz") as tmp:
    np.savez_compressed(
        tmp,
        x=arrays["x"],
        y=arrays["y"],
        split=arrays["split"],
        chrom=np.full(n, ""),
        start=np.full(n, -1),
    )
summary = pd.DataFrame(
    [
        {"split": name, "label": int(label), "regions": int((data.y[name][:, 0] == label).sum())}
        for name in SPLITS
        for label in (1, 0)
    ]
)
summary["layout"] = data.layout
write_tsv(summary, snakemake.output.summary)
logging.info("%s (%s layout): %s", snakemake.input.h5, data.layout, summary.to_dict("records"))
