"""Summit-centred sequence and 5' count windows for profile models, plus a pool of random
genomic windows of the training chromosomes (rule profile_examples)."""

import logging

import numpy as np
import pandas as pd

from attrprior.chroms import parse_split_region
from attrprior.genome import GenomeArray, build_profile_examples
from attrprior.io import log_to_file, write_tsv
from attrprior.labels import region_mask
from attrprior.peaks import read_narrowpeak, summit_positions
from attrprior.sampling import signal_ranks

# The summary's task name for the random windows (task names cannot hold parentheses).
RANDOM_TASK = "(random windows)"

log_to_file(snakemake.log[0])
tasks = list(snakemake.params.tasks)
# Held-out splits: whole chromosomes, or regions (chrom:start-end) of chromosomes that also
# train; random windows come from the training chromosomes, outside held-out regions.
held_out = {
    split: [parse_split_region(entry) for entry in entries]
    for split, entries in snakemake.params.splits.items()
}
whole = {chrom for regions in held_out.values() for chrom, _, end in regions if end is None}
train_chroms = [chrom for chrom in snakemake.params.chroms if chrom not in whole]
held_out_regions = [
    (chrom, start, end)
    for regions in held_out.values()
    for chrom, start, end in regions
    if end is not None
]
genome = GenomeArray(snakemake.input.genome)
summits, task_peak_counts = [], []
for index, path in enumerate(snakemake.input.peaks):
    peaks = read_narrowpeak(path)
    # Signal ranks over the whole peak file (before any summit is dropped), for the
    # conditions that train on the strongest peaks only (keep_positives).
    summits.append(
        pd.DataFrame(
            {
                "chrom": peaks["chrom"],
                "summit": summit_positions(peaks),
                "task": index,
                "peak_rank": signal_ranks(peaks["signal"]),
            }
        )
    )
    task_peak_counts.append(len(peaks))
summits = pd.concat(summits, ignore_index=True)
# Peaks on chromosomes the genome array leaves out (references.<assembly>.chroms) are dropped.
in_genome = summits["chrom"].isin(list(genome.chrom_sizes))
other_chroms = int((~in_genome).sum())
summits = summits[in_genome].reset_index(drop=True)
summits["split"] = "train"
for split, regions in held_out.items():
    summits.loc[region_mask(summits["chrom"], summits["summit"], regions), "split"] = split
# Per task, its bigWigs: (pos, neg), or one unstranded.
n_strands = len(snakemake.params.strands)


def per_task(paths):
    return [list(paths[i : i + n_strands]) for i in range(0, len(paths), n_strands)]


signal_tracks = per_task(snakemake.input.signal)
controls = snakemake.input.control
control_tracks = per_task(controls) if controls else None
settings = snakemake.params.profile
# Default pool: as many random windows as summits (Tseng et al.'s batches are half random).
random_windows = int(settings.get("random_windows", len(summits)))
examples = build_profile_examples(
    genome,
    summits,
    signal_tracks,
    snakemake.output.examples,
    input_length=settings["input_length"],
    output_length=settings["output_length"],
    max_jitter=settings["max_jitter"],
    control_bigwigs=control_tracks,
    random_windows=random_windows,
    random_chroms=train_chroms,
    random_exclude=held_out_regions,
    random_seed=int(snakemake.params.seed),
    task_peak_counts=task_peak_counts,
)
peaks = examples.is_peak
kept = (
    pd.DataFrame({"task": np.array(tasks)[examples.task[peaks]], "split": examples.split[peaks]})
    .value_counts()
    .rename("examples")
    .reset_index()
    .sort_values(["task", "split"])
    .assign(kind="peak")
)
if examples.n_random:
    kept = pd.concat(
        [
            kept,
            pd.DataFrame(
                {
                    "task": [RANDOM_TASK],
                    "split": ["train"],
                    "examples": [examples.n_random],
                    "kind": ["random_window"],
                }
            ),
        ],
        ignore_index=True,
    )
kept["dropped_off_end_all_tasks"] = examples.n_dropped
kept["dropped_other_chroms_all_tasks"] = other_chroms
write_tsv(
    kept[
        [
            "kind",
            "task",
            "split",
            "examples",
            "dropped_off_end_all_tasks",
            "dropped_other_chroms_all_tasks",
        ]
    ],
    snakemake.output.summary,
)
logging.info(
    "%d peak examples and %d random windows (of %s); %d summits dropped off a chromosome "
    "end, %d on chromosomes outside the genome array",
    int(peaks.sum()),
    examples.n_random,
    train_chroms,
    examples.n_dropped,
    other_chroms,
)
