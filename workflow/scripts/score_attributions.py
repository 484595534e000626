"""Per-sequence metrics and angle statistics of one model's maps (rule score_attributions)."""

import logging

import numpy as np

from attrprior.attribution import raw_map_angles
from attrprior.io import write_tsv
from attrprior.metrics import angle_statistics, pooled_scores, score_maps

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
settings = snakemake.params.evaluation
inputs = np.load(snakemake.input.inputs)
maps = dict(np.load(snakemake.input.attributions))
run = {
    "model": snakemake.wildcards.model,
    "condition": snakemake.wildcards.condition,
    "seed": int(snakemake.wildcards.seed),
}

sequences = score_maps(
    maps,
    inputs["x"],
    inputs["truth"],
    inputs["motif_mask"],
    threshold=settings["interpretability_threshold"],
    freq_limit=settings["highfreq_limit"],
    pseudocount=settings["entropy_pseudocount"],
)
sequences.insert(0, "sequence", inputs["index"][sequences.pop("example")])
pooled = pooled_scores(maps, inputs["x"], inputs["motif_mask"])
fractions, histogram = angle_statistics(raw_map_angles(maps), settings["angle_thresholds"])
for table in (sequences, pooled, fractions, histogram):
    for position, (key, value) in enumerate(run.items()):
        table.insert(position, key, value)
logging.info("%d per-sequence rows, %d maps", len(sequences), len(maps))
write_tsv(sequences, snakemake.output.sequences)
write_tsv(pooled, snakemake.output.pooled)
write_tsv(fractions, snakemake.output.angle_fractions)
write_tsv(histogram, snakemake.output.angle_histogram)
