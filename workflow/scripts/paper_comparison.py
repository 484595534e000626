"""A per-dataset paper target's numbers beside the paper's (rule paper_comparison):
Tseng et al. Section 7 (table_simulation) and Section 8 (table_baselines), Majdandzic et
al.'s angle statistics (fig1_koo); attrprior.scorecard.target_summary."""

import logging

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.scorecard import ScoreTables, target_summary
from attrprior.stats import to_markdown

log_to_file(snakemake.log[0])
datasets = snakemake.params.datasets
tables = ScoreTables.from_files(
    datasets,
    snakemake.input.sequences,
    snakemake.input.pooled,
    snakemake.input.angle_fractions,
    {
        dataset: [(path, None)]
        for dataset, path in zip(datasets, snakemake.input.models, strict=True)
    },
    None,
    snakemake.params.settings,
)
summary = target_summary(tables, snakemake.wildcards.target)
write_tsv(summary, snakemake.output.tsv)
header = (
    f"Paper target {snakemake.wildcards.target}: our mean ± SEM over seeds (per-seed means "
    "of the raw maps of each dataset's method; angles: raw saliency) beside the paper's "
    "values (paper_*) for the dataset each stands for (paper_dataset). Tests: the "
    "datasets' tests_vs_reference tables and the scorecard.\n\n"
)
write_text(header + to_markdown(summary), snakemake.output.md)
logging.info("%s: %d rows", snakemake.wildcards.target, len(summary))
