"""Tseng et al. Figure 3: TF-MoDISco motifs per condition and the recall of gold-standard
motif instances by calls ranked by attribution (rule paper_fig3)."""

import logging

import numpy as np
import pandas as pd

from attrprior.io import log_to_file, write_tsv
from attrprior.plots import cumulative_recall_curves, save_figure

log_to_file(snakemake.log[0])


def read_runs(paths):
    """Concatenate per-run tables, labelled with their dataset, model and condition."""
    return pd.concat(
        [
            pd.read_csv(path, sep="\t").assign(**run)
            for path, run in zip(paths, snakemake.params.runs, strict=True)
        ],
        ignore_index=True,
    )


recall = read_runs(snakemake.input.recall)
matches = read_runs(snakemake.input.matches)
summaries = read_runs(snakemake.input.summaries)
best = matches[matches["rank"] == 1].drop(columns="rank").rename(columns={"motif": "name"})
table = summaries.merge(best, on=["dataset", "model", "condition", "name"], how="left")
# Simulations: whether each pattern's best JASPAR match is one of the planted motifs.
planted = snakemake.params.planted
is_planted = np.array(
    [
        dataset in planted and matrix_id in planted[dataset]
        for dataset, matrix_id in zip(table["dataset"], table["matrix_id"], strict=True)
    ],
    dtype=bool,
)
table["planted"] = [
    hit if dataset in planted else pd.NA
    for dataset, hit in zip(table["dataset"], is_planted, strict=True)
]
# JASPAR holds near-identical relatives (CEBPG for the planted CEBPB, MAX::MYC for MAX), so
# also the best rank at which a planted motif matches each pattern (q < 0.05).
planted_ranks = {}
for row in matches[(matches["q_value"] < 0.05).to_numpy()].itertuples():
    if row.matrix_id in planted.get(row.dataset, []):
        key = (row.dataset, row.model, row.condition, row.motif)
        if key not in planted_ranks or row.rank < planted_ranks[key][0]:
            planted_ranks[key] = (row.rank, row.matrix_id)
keys = list(zip(table["dataset"], table["model"], table["condition"], table["name"], strict=True))
table["planted_match"] = [planted_ranks.get(key, (None, pd.NA))[1] for key in keys]
table["planted_rank"] = [planted_ranks.get(key, (np.nan, None))[0] for key in keys]
for dataset, motifs in planted.items():
    of_dataset = (table["dataset"] == dataset).to_numpy()
    logging.info(
        "%s: planted motifs as a best match %s, among the matches (q < 0.05) %s; of %s",
        dataset,
        sorted(set(table.loc[of_dataset & is_planted, "matrix_id"])),
        sorted(set(table.loc[of_dataset, "planted_match"].dropna())),
        motifs,
    )
write_tsv(table, snakemake.output.tsv)
save_figure(cumulative_recall_curves(recall, snakemake.params.reference), snakemake.output.figure)
logging.info("figure 3: %d motifs from %d runs", len(table), len(snakemake.params.runs))
