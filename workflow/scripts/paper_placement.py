"""Tseng et al. Tables 3 and 4: where genomic models place importance (rules paper_table3,
paper_table4).

Per dataset × model × condition: a per-sequence metric (mean ± SEM over sequences, each
averaged over seeds; one-sided paired Wilcoxon against the reference) and a metric pooled
over all bases of a model's sequences (mean ± SEM over seeds; one-sided Mann–Whitney).
"""

import logging

import pandas as pd

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.paper_values import add_paper_values, paper_models
from attrprior.stats import seed_summary, sequence_summary, shown_scores, to_markdown

log_to_file(snakemake.log[0])
params = snakemake.params
keys = ("dataset", "model", "method")


def selected(path, dataset):
    """The dataset's rows of the method, models and conditions the table shows."""
    table = pd.read_csv(path, sep="\t").assign(dataset=dataset)
    return shown_scores(table, params.methods[dataset], **params.selection[dataset])


sequences = pd.concat(
    [selected(p, d) for p, d in zip(snakemake.input.sequences, params.datasets, strict=True)]
)
pooled = pd.concat(
    [selected(p, d) for p, d in zip(snakemake.input.pooled, params.datasets, strict=True)]
)
per_sequence = sequence_summary(sequences, params.sequence_metric, params.reference, keys)
per_model = seed_summary(pooled, params.pooled_metric, params.reference, keys)
summary = per_sequence.merge(
    per_model,
    on=[*keys, "condition"],
    suffixes=(f"_{params.sequence_metric}", f"_{params.pooled_metric}"),
)
# The paper's numbers of both metrics (Table 3 or 4) beside ours.
names = snakemake.params.names
models = paper_models(names["architectures"], names["activations"])
for metric in (params.sequence_metric, params.pooled_metric):
    with_paper = add_paper_values(
        summary, params.target, names["paper_datasets"], models, metric=metric
    )
    added = [c for c in with_paper.columns if c not in summary.columns]
    summary = summary.join(with_paper[added].add_suffix(f"_{metric}"))
write_tsv(summary, snakemake.output.tsv)
header = (
    f"{params.title}. `{params.sequence_metric}`: mean ± SEM over test-set peak sequences "
    "(each averaged over seeds), wilcoxon_p one-sided paired over sequences against "
    f"'{params.reference}'. `{params.pooled_metric}`: pooled over all bases of one model's "
    "sequences, mean ± SEM over seeds, mannwhitney_p one-sided over seeds. paper_*: "
    "Tseng et al.'s values for the dataset this one stands for (paper_dataset).\n\n"
)
write_text(header + to_markdown(summary), snakemake.output.md)
logging.info("%s from %d sequence rows", params.title, len(sequences))
