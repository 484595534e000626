"""The reproduction scorecard (rule scorecard): one row per claim of the two papers, with
our effect and test, the paper's value and a verdict (attrprior.scorecard)."""

import logging

from attrprior.io import log_to_file, write_text, write_tsv
from attrprior.scorecard import ScoreTables, scorecard, scorecard_markdown

log_to_file(snakemake.log[0])

models = {}
for path, history, run in zip(
    snakemake.input.test_metrics, snakemake.input.histories, snakemake.params.runs, strict=True
):
    models.setdefault(run["dataset"], []).append((path, history))
ensembles = {}
for path, dataset in zip(
    snakemake.input.ensembles, snakemake.params.ensemble_datasets, strict=True
):
    ensembles.setdefault(dataset, []).append(path)
tables = ScoreTables.from_files(
    snakemake.params.datasets,
    snakemake.input.sequences,
    snakemake.input.pooled,
    snakemake.input.angle_fractions,
    models,
    snakemake.input.stability[0] if snakemake.input.stability else None,
    snakemake.params.settings,
    ensembles=ensembles,
)
summary, units = scorecard(tables)
write_tsv(summary, snakemake.output.tsv)
write_tsv(units, snakemake.output.units)
counts = summary["verdict"].value_counts()
header = (
    "Reproduction scorecard: each claim of the two papers tested on this run "
    f"({', '.join(f'{n} {verdict}' for verdict, n in counts.items())}). Verdict rule: a "
    "direction claim is reproduced when our effect has the paper's sign and our one-sided "
    "p-value is below the paper's level (0.05 where the paper states no test) in every "
    "unit (dataset × model × method); underpowered when fewer than 3 seeds ran per side or "
    "the test cannot reach that level at our sample size; a range claim is reproduced when "
    "our mean lies in the paper's range. Units: `scorecard_units.tsv`.\n\n"
)
write_text(header + scorecard_markdown(summary), snakemake.output.md)
logging.info("scorecard: %d claims, %s", len(summary), dict(counts))
