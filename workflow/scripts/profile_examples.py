"""Summit-centred sequence and 5' count windows for profile models (rule profile_examples)."""

import logging

import numpy as np
import pandas as pd

from attrprior.genome import build_profile_examples
from attrprior.io import write_tsv
from attrprior.peaks import read_narrowpeak, summit_positions

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
tasks = list(snakemake.params.tasks)
held_out = {chrom: split for split, chroms in snakemake.params.splits.items() for chrom in chroms}
summits = []
for index, path in enumerate(snakemake.input.peaks):
    peaks = read_narrowpeak(path)
    summits.append(
        pd.DataFrame({"chrom": peaks["chrom"], "summit": summit_positions(peaks), "task": index})
    )
summits = pd.concat(summits, ignore_index=True)
summits["split"] = summits["chrom"].map(held_out).fillna("train")
pairs = list(zip(snakemake.input.signal[::2], snakemake.input.signal[1::2], strict=True))
controls = snakemake.input.control
control_pairs = list(zip(controls[::2], controls[1::2], strict=True)) if controls else None
settings = snakemake.params.profile
examples = build_profile_examples(
    snakemake.input.genome,
    summits,
    pairs,
    snakemake.output.examples,
    input_length=settings["input_length"],
    output_length=settings["output_length"],
    max_jitter=settings["max_jitter"],
    control_bigwigs=control_pairs,
)
with np.load(f"{snakemake.output.examples}/metadata.npz") as metadata:
    kept = (
        pd.DataFrame({"task": np.array(tasks)[metadata["task"]], "split": metadata["split"]})
        .value_counts()
        .rename("examples")
        .reset_index()
    )
    dropped = int(metadata["n_dropped"])
kept["dropped_off_end_all_tasks"] = dropped
write_tsv(kept.sort_values(["task", "split"]), snakemake.output.summary)
logging.info("%d examples, %d summits dropped off a chromosome end", len(examples), dropped)
