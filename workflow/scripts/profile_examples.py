"""Summit-centred sequence and 5' count windows for profile models, plus a pool of random
genomic windows of the training chromosomes (rule profile_examples)."""

import logging

from attrprior.genomics.genome import GenomeArray
from attrprior.genomics.profile_examples import (
    HeldOut,
    build_profile_examples,
    examples_summary,
    task_summits,
)
from attrprior.io import log_to_file, write_tsv

log_to_file(snakemake.log[0])
# Held-out splits: whole chromosomes, or regions (chrom:start-end) of chromosomes that also
# train; random windows come from the training chromosomes, outside held-out regions.
held_out = HeldOut.from_config(snakemake.params.splits, snakemake.params.chroms)
genome = GenomeArray(snakemake.input.genome)
summits, task_peak_counts, n_other_chroms = task_summits(snakemake.input.peaks, genome, held_out)
# Per task, its bigWigs: (pos, neg), or one unstranded.
n_strands = len(snakemake.params.strands)


def per_task(paths):
    return [list(paths[i : i + n_strands]) for i in range(0, len(paths), n_strands)]


controls = snakemake.input.control
settings = snakemake.params.profile
examples = build_profile_examples(
    genome,
    summits,
    per_task(snakemake.input.signal),
    snakemake.output.examples,
    input_length=settings["input_length"],
    output_length=settings["output_length"],
    max_jitter=settings["max_jitter"],
    control_bigwigs=per_task(controls) if controls else None,
    # Default pool: as many random windows as summits (Tseng et al.'s batches are half random).
    random_windows=int(settings.get("random_windows", len(summits))),
    random_chroms=held_out.train_chroms,
    random_exclude=held_out.partial_regions,
    random_seed=int(snakemake.params.seed),
    task_peak_counts=task_peak_counts,
)
write_tsv(
    examples_summary(examples, list(snakemake.params.tasks), n_other_chroms),
    snakemake.output.summary,
)
logging.info(
    "%d peak examples and %d random windows (of %s); %d summits dropped off a chromosome "
    "end, %d on chromosomes outside the genome array",
    int(examples.is_peak.sum()),
    examples.n_random,
    held_out.train_chroms,
    examples.n_dropped,
    n_other_chroms,
)
