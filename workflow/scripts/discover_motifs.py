"""TF-MoDISco motifs of one model's hypothetical attributions, their JASPAR matches, and
the recall of gold-standard instances by motif calls ranked by attribution
(rule discover_motifs; Tseng et al. Figure 3)."""

import logging

import pandas as pd

from attrprior.io import load_npz, log_to_file, write_tsv
from attrprior.motif_instances import (
    RECALL_COLUMNS,
    call_instances,
    cumulative_recall,
    mask_regions,
    rank_instances,
)
from attrprior.motif_matches import MATCH_COLUMNS, match_to_database
from attrprior.motifs import filter_motifs, find_motifs, write_motifs
from attrprior.plots import motif_logos, save_figure
from attrprior.pwms import load_jaspar_motifs

log_to_file(snakemake.log[0])
settings = snakemake.params.motifs
inputs = load_npz(snakemake.input.inputs, "attribution inputs")
x = inputs["x"]
hypothetical = load_npz(
    snakemake.input.attributions, "attribution maps", keys=[settings["method"]]
)[settings["method"]]
gold_key = f"mask_{settings['gold']}"
if gold_key not in inputs:
    raise ValueError(
        f"{snakemake.input.inputs}: no {gold_key!r} for motifs.gold {settings['gold']!r} "
        f"(has {sorted(inputs)})"
    )

found = find_motifs(
    hypothetical,
    x,
    n_leiden_runs=settings["n_leiden_runs"],
    min_passing_windows_frac=settings["min_passing_windows_frac"],
)
motifs = filter_motifs(found)
logging.info("%d TF-MoDISco patterns, %d pass the filters", len(found), len(motifs))
write_motifs(motifs, snakemake.output.motifs, snakemake.output.summary)

if motifs:
    matches = match_to_database(motifs, load_jaspar_motifs(settings["jaspar_release"]))
    contributions = hypothetical * x
    ranked = rank_instances(
        call_instances(motifs, contributions, x, top_fraction=settings["top_fraction"]),
        contributions,
    )
    recall = cumulative_recall(ranked, mask_regions(inputs[gold_key]))
else:
    matches = pd.DataFrame(columns=list(MATCH_COLUMNS))
    recall = pd.DataFrame(columns=list(RECALL_COLUMNS))
write_tsv(matches, snakemake.output.matches)
write_tsv(recall, snakemake.output.recall)
best = matches[matches["rank"] == 1].set_index("motif")
labels = {
    name: f"{row.target_name} ({row.matrix_id}), q = {row.q_value:.1e}"
    for name, row in best.iterrows()
}
save_figure(motif_logos(motifs, labels), snakemake.output.logos)
logging.info("%d ranked motif calls, gold standard %s", len(recall), gold_key)
