"""Tseng et al. Table 2: similarity of attributions across seeds and, with
paper.table2.subsampled, between models trained on all and on a subset of the data (rule
paper_table2)."""

import logging

import numpy as np
import pandas as pd

from attrprior.io import load_npz, log_to_file, write_text, write_tsv
from attrprior.metrics import cross_set_similarity, seed_stability
from attrprior.paper_values import add_paper_values, paper_models
from attrprior.stats import kept_validation_loss, sequence_summary, to_markdown, top_seeds

# Values of the table's comparison column.
ACROSS_SEEDS = "across seeds"
KEYS = ("dataset", "model", "method", "comparison")


def subsample_label(keep_positives):
    """The comparison of an all-data condition with one trained on ``keep_positives`` of
    the peaks: "all vs 1% data" for 0.01 (Tseng et al.'s wording)."""
    return f"all vs {100 * keep_positives:.3g}% data"


def sequence_rows(values, dataset, model, condition, comparison):
    """One row per attributed test sequence of one similarity (an ``(N,)`` array)."""
    return [
        {
            "dataset": dataset,
            "model": model,
            "condition": condition,
            "method": snakemake.params.methods[dataset],
            "comparison": comparison,
            "sequence": sequence,
            "stability": value,
        }
        for sequence, value in enumerate(values)
    ]


log_to_file(snakemake.log[0])
reference = snakemake.params.reference
selection = snakemake.params.selection
subsampled = snakemake.params.subsampled

# Group the attribution files of one dataset × model × condition (its seeds); with
# n_sequences, only a seeded random subset of the explained sequences, the same for every
# run (Tseng et al.: 100 random test positives; the inputs are stored sorted by position,
# so the first ones would all come from one chromosome end or one task).
n_sequences = snakemake.params.n_sequences
maps, losses, subsets = {}, {}, {}


def subset(n_total):
    """The sequences compared: all, or n_sequences of them drawn once per input size."""
    if n_sequences is None or n_sequences >= n_total:
        return slice(None)
    if n_total not in subsets:
        rng = np.random.default_rng(20200318)  # the reference notebooks' sampling seed
        subsets[n_total] = np.sort(rng.choice(n_total, size=n_sequences, replace=False))
    return subsets[n_total]


for path, history, run in zip(
    snakemake.input.attributions, snakemake.input.histories, snakemake.params.runs, strict=True
):
    key = (run["dataset"], run["model"], run["condition"])
    method = snakemake.params.methods[run["dataset"]]
    scores = load_npz(path, "attribution maps", keys=[method])[method]
    maps.setdefault(key, []).append(scores[subset(len(scores))])
    losses.setdefault(key, {})[len(maps[key]) - 1] = kept_validation_loss(
        pd.read_csv(history, sep="\t")
    )


def compared_seeds(key):
    """The seeds of the all-vs-subsampled comparison: every seed, or (top_models) those
    with the lowest validation loss, as Tseng et al. compare the top 5 runs."""
    k = snakemake.params.top_models
    return list(range(len(maps[key]))) if k is None else top_seeds(losses[key], k)


rows = []
for (dataset, model, condition), seed_maps in maps.items():
    if condition in selection[dataset]["conditions"]:
        rows += sequence_rows(seed_stability(seed_maps), dataset, model, condition, ACROSS_SEEDS)
# All vs subsampled data: every all-data seed against every subsampled seed of another
# seed number (one seed starts both from the same weights), per sequence; the row carries
# the all-data condition's name, so the prior's row is tested against the reference
# condition's.
for dataset, pairs in subsampled.items():
    for model in selection[dataset]["models"]:
        for pair in pairs:
            full, sub = (dataset, model, pair["condition"]), (dataset, model, pair["subsampled"])
            full_seeds, sub_seeds = compared_seeds(full), compared_seeds(sub)
            similarity = cross_set_similarity(
                [maps[full][seed] for seed in full_seeds],
                [maps[sub][seed] for seed in sub_seeds],
                skip_same_index=True,
                ids=full_seeds,
                other_ids=sub_seeds,
            )
            label = subsample_label(pair["keep_positives"])
            rows += sequence_rows(similarity, dataset, model, pair["condition"], label)
similarity = pd.DataFrame(rows)
write_tsv(similarity, snakemake.output.sequences)

# Subsampled conditions shown across seeds are tested against the reference's subsampled
# condition (like against like); every other row against the reference condition.
# Per dataset, the subsampled counterpart of each all-data condition.
counterparts = {
    dataset: {pair["condition"]: pair["subsampled"] for pair in pairs}
    for dataset, pairs in subsampled.items()
}
is_subsampled = np.array(
    [
        comparison == ACROSS_SEEDS and condition in counterparts.get(dataset, {}).values()
        for dataset, condition, comparison in zip(
            similarity["dataset"], similarity["condition"], similarity["comparison"], strict=True
        )
    ],
    dtype=bool,
)
summaries = [sequence_summary(similarity[~is_subsampled], "stability", reference, keys=KEYS)]
for dataset, counterpart in counterparts.items():
    rows_of_dataset = similarity[is_subsampled & (similarity["dataset"] == dataset)]
    if len(rows_of_dataset):
        summaries.append(
            sequence_summary(rows_of_dataset, "stability", counterpart[reference], keys=KEYS)
        )
summary = (
    pd.concat(summaries, ignore_index=True)
    .sort_values(list(KEYS), kind="stable")
    .reset_index(drop=True)
)
# The paper's values: across seeds under the condition's name, all vs 1% data as
# "<condition>_vs_keep1" (Table 2's last two columns).
names = snakemake.params.names
paper_condition = [
    condition
    if comparison == ACROSS_SEEDS
    else (f"{condition}_vs_keep1" if comparison == subsample_label(0.01) else "")
    for condition, comparison in zip(summary["condition"], summary["comparison"], strict=True)
]
summary = add_paper_values(
    summary,
    "table2",
    names["paper_datasets"],
    paper_models(names["architectures"], names["activations"]),
    metric="stability",
    condition=paper_condition,
)
write_tsv(summary, snakemake.output.tsv)
header = (
    "Continuous Jaccard similarity of raw attribution maps, mean ± SEM over sequences"
    + (f" ({n_sequences} of the explained, drawn with seed 20200318)" if n_sequences else "")
    + ". "
    f"'{ACROSS_SEEDS}': between every pair of seeds of one condition"
)
if subsampled:
    listed = {
        dataset: ", ".join(f"{pair['condition']} vs {pair['subsampled']}" for pair in pairs)
        for dataset, pairs in subsampled.items()
    }
    # The pairs once when every dataset has the same, else per dataset.
    if len(set(listed.values())) == 1:
        pairs = next(iter(listed.values()))
    else:
        pairs = "; ".join(f"{dataset}: {text}" for dataset, text in listed.items())
    header += (
        "; 'all vs N% data': between every seed trained on all the data and every seed "
        "trained on the N% strongest peaks of each task (keep_positives; validation and test "
        f"data complete), in the row of the all-data condition ({pairs})"
    )
    if snakemake.params.top_models:
        header += (
            f", among the {snakemake.params.top_models} seeds of each condition with the "
            "lowest validation loss (Tseng et al.'s protocol)"
        )
header += (
    f". p: one-sided paired Wilcoxon over sequences against '{reference}' within each comparison"
    "; paper_mean, paper_sem: Tseng et al.'s Table 2 for the dataset this one stands for "
    "(paper_dataset; their values sum over 1000 or 1346 positions, so they scale with L)"
)
if is_subsampled.any():
    header += "; subsampled conditions across seeds against the reference's subsampled one"
write_text(header + ".\n\n" + to_markdown(summary), snakemake.output.md)
logging.info(
    "table 2 from %d model sets, %d subsampled pairs",
    len(maps),
    sum(len(pairs) for pairs in subsampled.values()),
)
