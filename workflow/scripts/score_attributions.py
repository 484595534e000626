"""Per-sequence metrics and angle statistics of one model's maps (rule score_attributions).

Simulated datasets (their attribution inputs hold the ``truth``) are scored against the
ground truth; genomic ones on summit distance and their region masks (peaks, footprints,
planted motifs). Every ``mask_<name>`` of the inputs also gives a pooled ``<name>_auprc``.
"""

import logging

from attrprior.correction import raw_map_angles
from attrprior.io import load_npz, log_to_file, write_tsv
from attrprior.score_tables import angle_statistics, pooled_scores, score_genomic_maps, score_maps

log_to_file(snakemake.log[0])
settings = snakemake.params.evaluation
inputs = load_npz(snakemake.input.inputs, "attribution inputs")
maps = load_npz(snakemake.input.attributions, "attribution maps")
masks = {
    key.removeprefix("mask_"): value for key, value in inputs.items() if key.startswith("mask_")
}
run = {
    "model": snakemake.wildcards.model,
    "condition": snakemake.wildcards.condition,
    "seed": int(snakemake.wildcards.seed),
}

if "truth" in inputs:
    sequences = score_maps(
        maps,
        inputs["x"],
        inputs["truth"],
        masks["motif"],
        threshold=settings["interpretability_threshold"],
        freq_limit=settings["highfreq_limit"],
        pseudocount=settings["entropy_pseudocount"],
    )
else:
    sequences = score_genomic_maps(
        maps,
        inputs["x"],
        inputs["summit_distance"],
        masks,
        freq_limit=settings["highfreq_limit"],
        pseudocount=settings["entropy_pseudocount"],
    )
sequences.insert(0, "sequence", inputs["index"][sequences.pop("example")])
pooled = pooled_scores(maps, inputs["x"], masks)
fractions, histogram = angle_statistics(raw_map_angles(maps), settings["angle_thresholds"])
for table in (sequences, pooled, fractions, histogram):
    for position, (key, value) in enumerate(run.items()):
        table.insert(position, key, value)
logging.info("%d per-sequence rows, %d maps, masks %s", len(sequences), len(maps), sorted(masks))
write_tsv(sequences, snakemake.output.sequences)
write_tsv(pooled, snakemake.output.pooled)
write_tsv(fractions, snakemake.output.angle_fractions)
write_tsv(histogram, snakemake.output.angle_histogram)
