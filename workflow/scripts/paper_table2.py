"""Tseng et al. Table 2: stability of attributions across seeds (rule paper_table2)."""

import logging

import numpy as np
import pandas as pd

from attrprior.io import write_text, write_tsv
from attrprior.metrics import seed_stability
from attrprior.stats import sequence_summary, to_markdown

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")

# Group the attribution files of one dataset × model × condition (its seeds).
maps = {}
for path, run in zip(snakemake.input.attributions, snakemake.params.runs, strict=True):
    key = (run["dataset"], run["model"], run["condition"])
    method = snakemake.params.methods[run["dataset"]]
    maps.setdefault(key, []).append(np.load(path)[method])

rows = []
for (dataset, model, condition), seed_maps in maps.items():
    for sequence, value in enumerate(seed_stability(seed_maps)):
        rows.append(
            {
                "dataset": dataset,
                "model": model,
                "condition": condition,
                "method": snakemake.params.methods[dataset],
                "sequence": sequence,
                "stability": value,
            }
        )
stability = pd.DataFrame(rows)
write_tsv(stability, snakemake.output.sequences)
summary = sequence_summary(
    stability, "stability", snakemake.params.reference, keys=("dataset", "model", "method")
)
write_tsv(summary, snakemake.output.tsv)
header = (
    "Continuous Jaccard similarity of raw attribution maps between every pair of seeds, "
    "mean ± SEM over sequences; p: one-sided paired Wilcoxon over sequences against "
    f"'{snakemake.params.reference}'.\n\n"
)
write_text(header + to_markdown(summary), snakemake.output.md)
logging.info("table 2 from %d model sets", len(maps))
