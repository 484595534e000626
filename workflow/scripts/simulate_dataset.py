"""Simulate a dataset with ground truth (rule simulate_dataset).

The dataset's config entry names its simulator by its section: ``billboard`` (Koo &
Ploenzke 2021) or ``single_motif`` (Tseng et al. 2020, synthetic SPI1 and GC series).
"""

import logging

from attrprior.io import log_to_file, write_tsv
from attrprior.sim.billboard import simulate_billboard
from attrprior.sim.datasets import save_dataset
from attrprior.sim.single_motif import simulate_single_motif

log_to_file(snakemake.log[0])
entry = snakemake.params.simulation
if "billboard" in entry:
    settings = entry["billboard"]
    per_sequence = settings["motifs_per_sequence"]
    dataset = simulate_billboard(
        n_sequences=settings["n_sequences"],
        length=settings["length"],
        core_motif_ids=settings["core_motifs"],
        n_background_motifs=settings["n_background_motifs"],
        motifs_per_sequence=dict(
            zip(per_sequence["counts"], per_sequence["probabilities"], strict=True)
        ),
        split_fractions=settings["split"],
        seed=settings["seed"],
        release=settings["jaspar_release"],
    )
else:
    settings = entry["single_motif"]
    dataset = simulate_single_motif(
        n_positives=settings["n_positives"],
        n_negatives=settings["n_negatives"],
        length=settings["length"],
        motif_id=settings["motif"],
        gc_prob=settings["gc_prob"],
        positive_gc_excess=settings["positive_gc_excess"],
        central_flank=settings["central_flank"],
        split_fractions=settings["split"],
        seed=settings["seed"],
        release=settings["jaspar_release"],
    )
logging.info(
    "%d sequences × %d bp, %d positives, %d motif placements",
    *dataset.x.shape[::2],
    int(dataset.y.sum()),
    len(dataset.placements),
)
save_dataset(dataset, snakemake.output.dataset)
write_tsv(dataset.placements, snakemake.output.placements)
write_tsv(dataset.motif_pool, snakemake.output.motif_pool)
