"""The reproduction scorecard: each claim of the two papers (:mod:`attrprior.claims`), our
effect and test on every unit (dataset × model × method) of its target's datasets, the
paper's value (:mod:`attrprior.paper_values`), and a verdict.

Each claim is tested with the statistical test the paper used:

- ``wilcoxon``: one-sided paired Wilcoxon signed-rank test over sequences, each sequence's
  metric first averaged over seeds (Tseng et al.'s test of per-example metrics);
- ``mannwhitney``: one-sided Mann–Whitney U test over seeds (per-seed values: test
  metrics, pooled auPRCs);
- ``range``: the mean over seeds and sequences lies inside the paper's range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from attrprior.claims import (
    CLAIMS,
    Claim,
    claim_verdict,
    direction_verdict,
    range_verdict,
    smallest_p_value,
)
from attrprior.paper_values import (
    add_paper_values,
    paper_model_name,
    paper_value_text,
    paper_values,
)
from attrprior.stats import (
    kept_validation_loss,
    mann_whitney,
    paired_wilcoxon,
    summarise_over_seeds,
)

"""The level of a direction claim for which the paper states no test."""


"""Fewer seeds per side than this make a direction claim underpowered: the difference of
one or two models per condition says nothing about the conditions."""


"""The statistics :func:`add_paper_values` puts beside ours, as ``paper_<statistic>``."""


"""The claims of the two papers that the workflow tests (the scorecard's rows)."""


def _run_row(test_metrics: str, history: str | None) -> pd.DataFrame:
    """A run's test metrics, with ``valid_loss`` from its history when given."""
    row = pd.read_csv(test_metrics, sep="\t")
    if history is not None:
        row["valid_loss"] = kept_validation_loss(pd.read_csv(history, sep="\t"))
    return row


@dataclass
class ScoreTables:
    """The score tables a scorecard is computed from.

    Attributes
    ----------
    sequences : dict of str to DataFrame
        Per dataset: per-sequence, per-seed map metrics (``scores/sequences.tsv.gz``:
        ``model, condition, seed, method, corrected, sequence`` and metrics).
    pooled : dict of str to DataFrame
        Per dataset: per-seed pooled metrics (``scores/pooled.tsv``).
    models : dict of str to DataFrame
        Per dataset: per-seed test metrics (``test_metrics.tsv`` rows) and ``valid_loss``,
        the validation correctness loss of the kept epoch.
    angle_fractions : dict of str to DataFrame
        Per dataset: per-seed angle fractions (``scores/angle_fractions.tsv``:
        ``above_<t>`` columns).
    stability : DataFrame or None
        Table 2's per-sequence similarities (``paper/table2_sequences.tsv``).
    target_datasets : dict of str to list of str
        Paper target -> its datasets (config ``paper.<target>.datasets``); targets not
        configured are absent.
    methods : dict of str to str
        Per dataset: the attribution method the paper targets use (DeepSHAP for Tseng et
        al.'s tables).
    reference : dict of str to str
        Per dataset: the reference condition (``evaluation.reference_condition``).
    activations : dict of str to str
        Model name -> first-layer activation (``relu``, ``exponential``) for CNN-shallow
        and CNN-deep; other models absent.
    architectures : dict of str to str
        Model name -> architecture.
    gc_excess : dict of str to float
        Per single-motif dataset: ``positive_gc_excess``.
    paper_datasets : dict of str to str
        Per dataset: the papers' dataset it stands for (config key ``paper_dataset``;
        :func:`paper_values` column ``dataset``), so the paper's values of that dataset are
        shown beside ours.
    ensembles : dict of str to DataFrame
        Per dataset with ensembles: one row per ensemble member (``ensemble/.../members.tsv``
        of every model: ``model``, ``member``, ``raw_distance``, ``corrected_distance``).
    """

    sequences: dict[str, pd.DataFrame]
    pooled: dict[str, pd.DataFrame]
    models: dict[str, pd.DataFrame]
    angle_fractions: dict[str, pd.DataFrame]
    stability: pd.DataFrame | None
    target_datasets: dict[str, list[str]]
    methods: dict[str, str]
    reference: dict[str, str]
    activations: dict[str, str]
    architectures: dict[str, str]
    gc_excess: dict[str, float]
    paper_datasets: dict[str, str] = field(default_factory=dict)
    ensembles: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def from_files(
        cls,
        datasets: Sequence[str],
        sequences: Sequence[str],
        pooled: Sequence[str],
        angle_fractions: Sequence[str],
        models: Mapping[str, Sequence[tuple[str, str | None]]],
        stability: str | None,
        settings: Mapping,
        ensembles: Mapping[str, Sequence[str]] | None = None,
    ) -> ScoreTables:
        """Read the score tables of ``datasets`` (one path each, in that order; ``models``:
        dataset -> ``(test metrics, history or None)`` file pairs, one per run) and take the
        rest from ``settings`` (the config's ``target_datasets``, ``methods``,
        ``reference``, ``activations``, ``architectures``, ``gc_excess``,
        ``paper_datasets``); ``ensembles``: dataset -> its ensembles' ``members.tsv``."""

        def read(paths):
            return {
                dataset: pd.read_csv(path, sep="\t")
                for dataset, path in zip(datasets, paths, strict=True)
            }

        return cls(
            sequences=read(sequences),
            pooled=read(pooled),
            angle_fractions=read(angle_fractions),
            models={
                dataset: pd.concat([_run_row(*pair) for pair in pairs], ignore_index=True)
                for dataset, pairs in models.items()
                if len(pairs)
            },
            stability=pd.read_csv(stability, sep="\t") if stability else None,
            ensembles={
                dataset: pd.concat([pd.read_csv(p, sep="\t") for p in paths], ignore_index=True)
                for dataset, paths in (ensembles or {}).items()
                if len(paths)
            },
            **settings,
        )

    def paper_model(self, model: str) -> str:
        """The papers' name of one of our models (:func:`paper_model_name`)."""
        return paper_model_name(self.architectures.get(model, ""), self.activations.get(model))


UNIT_COLUMNS = [
    "claim",
    "dataset",
    "model",
    "method",
    "better",
    "worse",
    "mean_better",
    "mean_worse",
    "effect",
    "test",
    "p",
    "n",
    "n_seeds",
    "verdict",
]


def _unit(claim, dataset, model, method, better_values, worse_values, p, n, n_seeds, smallest):
    mean_b, mean_w = float(np.nanmean(better_values)), float(np.nanmean(worse_values))
    effect = mean_b - mean_w
    # The effect's sign as the claim reads it: "better" means larger when higher is better.
    verdict = direction_verdict(effect, claim.expected_sign, p, claim.alpha, smallest, n_seeds)
    return {
        "claim": claim.id,
        "dataset": dataset,
        "model": model,
        "method": method,
        "better": claim.better,
        "worse": claim.worse,
        "mean_better": mean_b,
        "mean_worse": mean_w,
        "effect": effect,
        "test": claim.test,
        "p": p,
        "n": n,
        "n_seeds": n_seeds,
        "verdict": verdict,
    }


def _raw_rows(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """The rows of one method's raw (uncorrected) maps; tables of raw maps only (angle
    fractions) have no ``corrected`` column."""
    rows = table["method"] == method
    if "corrected" in table.columns:
        rows &= ~table["corrected"].astype(str).str.lower().isin(["true", "1"])
    return table[rows]


def _seeds(table: pd.DataFrame, condition: str) -> int:
    return int(table.loc[table["condition"] == condition, "seed"].nunique())


def _sequence_test(claim, dataset, model, method, table, metric, n_seeds):
    """Paired Wilcoxon over sequences of ``table`` rows (column ``side``: better/worse)."""
    by_side = table.pivot_table(index="sequence", columns="side", values=metric)
    if not {"better", "worse"} <= set(by_side.columns):
        return None
    pairs = by_side[["better", "worse"]].dropna()
    p, n = paired_wilcoxon(pairs["better"].to_numpy(), pairs["worse"].to_numpy(), metric)
    return _unit(
        claim,
        dataset,
        model,
        method,
        pairs["better"],
        pairs["worse"],
        p,
        n,
        n_seeds,
        smallest_p_value("wilcoxon", n),
    )


def _seed_test(claim, dataset, model, method, better_values, worse_values, metric):
    better_values = np.asarray(better_values, float)
    worse_values = np.asarray(worse_values, float)
    p, n_b, n_w = mann_whitney(better_values, worse_values, metric)
    return _unit(
        claim,
        dataset,
        model,
        method,
        better_values,
        worse_values,
        p,
        n_b + n_w,
        min(n_b, n_w),
        smallest_p_value("mannwhitney", n_b, n_w),
    )


def _condition_units(claim: Claim, tables: ScoreTables, dataset: str) -> list[dict]:
    method = tables.methods.get(dataset, "")
    units = []
    if claim.test == "mannwhitney":
        # Per-seed values: the runs' test metrics and validation loss, or pooled auPRCs.
        models = tables.models.get(dataset)
        in_models = models is not None and claim.metric in models.columns
        table = models if in_models else tables.pooled.get(dataset)
        if table is None or claim.metric not in table.columns:
            return []
        if "method" in table.columns:
            table = _raw_rows(table, method)
        for model, rows in table.groupby("model", sort=True):
            better = rows.loc[rows["condition"] == claim.better, claim.metric]
            worse = rows.loc[rows["condition"] == claim.worse, claim.metric]
            if len(better) and len(worse):
                shown = method if "method" in table.columns else ""
                units.append(_seed_test(claim, dataset, model, shown, better, worse, claim.metric))
        return units
    table = tables.sequences.get(dataset)
    if table is None or claim.metric not in table.columns:
        return []
    table = _raw_rows(table, method)
    for model, rows in table.groupby("model", sort=True):
        rows = rows[rows["condition"].isin([claim.better, claim.worse])]
        rows = rows.assign(side=np.where(rows["condition"] == claim.better, "better", "worse"))
        n_seeds = min(_seeds(rows, claim.better), _seeds(rows, claim.worse))
        unit = _sequence_test(claim, dataset, model, method, rows, claim.metric, n_seeds)
        if unit is not None:
            units.append(unit)
    return units


def _stability_units(claim: Claim, tables: ScoreTables) -> list[dict]:
    table = tables.stability
    if table is None or not len(table):
        return []
    table = table[table["comparison"].str.startswith(claim.scope)]
    units = []
    for (dataset, model), rows in table.groupby(["dataset", "model"], sort=True):
        rows = rows[rows["condition"].isin([claim.better, claim.worse])]
        rows = rows.assign(side=np.where(rows["condition"] == claim.better, "better", "worse"))
        # The similarity of a sequence is already a mean over pairs of the condition's seeds.
        n_seeds = _seed_count(tables, dataset, model, claim)
        unit = _sequence_test(
            claim,
            dataset,
            model,
            tables.methods.get(dataset, ""),
            rows,
            "stability",
            n_seeds,
        )
        if unit is not None:
            units.append(unit)
    return units


def _seed_count(tables: ScoreTables, dataset: str, model: str, claim: Claim) -> int:
    """Seeds of the smaller side of a condition claim, from the dataset's per-sequence
    scores (every attributed seed), else its test metrics."""
    for source in (tables.sequences, tables.models):
        table = source.get(dataset)
        if table is not None and len(table):
            rows = table[table["model"] == model]
            return min(_seeds(rows, claim.better), _seeds(rows, claim.worse))
    return 0


def _correction_units(claim: Claim, tables: ScoreTables, dataset: str) -> list[dict]:
    table = tables.sequences.get(dataset)
    if table is None or claim.metric not in table.columns:
        return []
    table = table[table["condition"] == tables.reference[dataset]]
    corrected = table["corrected"].astype(str).str.lower().isin(["true", "1"])
    table = table.assign(side=np.where(corrected, "better", "worse"))
    units = []
    for (model, method), rows in table.groupby(["model", "method"], sort=True):
        if claim.methods is not None and method not in claim.methods:
            continue  # e.g. DeepSHAP, not one of Majdandzic et al.'s gradient methods
        n_seeds = int(rows["seed"].nunique())
        unit = _sequence_test(claim, dataset, model, method, rows, claim.metric, n_seeds)
        if unit is not None:
            unit.update(better="corrected", worse="raw")
            units.append(unit)
    return units


def _activation_units(claim: Claim, tables: ScoreTables, dataset: str) -> list[dict]:
    table = tables.sequences.get(dataset)
    if table is None or claim.metric not in table.columns:
        return []
    table = _raw_rows(table[table["condition"] == tables.reference[dataset]], "saliency")
    units = []
    by_architecture: dict[str, dict[str, str]] = {}
    for model in table["model"].unique():
        if model in tables.activations:
            by_architecture.setdefault(tables.architectures[model], {})[
                tables.activations[model]
            ] = model
    for _, models in sorted(by_architecture.items()):
        if not {claim.better, claim.worse} <= set(models):
            continue
        better, worse = models[claim.better], models[claim.worse]
        rows = table[table["model"].isin([better, worse])]
        rows = rows.assign(side=np.where(rows["model"] == better, "better", "worse"))
        n_seeds = min(
            int(rows.loc[rows["side"] == "better", "seed"].nunique()),
            int(rows.loc[rows["side"] == "worse", "seed"].nunique()),
        )
        unit = _sequence_test(
            claim,
            dataset,
            f"{better} vs {worse}",
            "saliency",
            rows,
            claim.metric,
            n_seeds,
        )
        if unit is not None:
            unit.update(better=claim.better, worse=claim.worse)
            units.append(unit)
    return units


def _range_units(claim: Claim, tables: ScoreTables, dataset: str) -> list[dict]:
    table = tables.angle_fractions.get(dataset)
    if table is None or claim.metric not in table.columns:
        return []
    table = table[
        (table["condition"] == tables.reference[dataset]) & (table["method"] == "saliency")
    ]
    units = []
    for model, rows in table.groupby("model", sort=True):
        value = float(rows.groupby("seed")[claim.metric].mean().mean())
        units.append(
            {
                "claim": claim.id,
                "dataset": dataset,
                "model": model,
                "method": "saliency",
                "better": "",
                "worse": "",
                "mean_better": value,
                "mean_worse": np.nan,
                "effect": value,
                "test": "range",
                "p": np.nan,
                "n": len(rows),
                "n_seeds": int(rows["seed"].nunique()),
                "verdict": range_verdict(value, claim.low, claim.high),
            }
        )
    return units


def _ensemble_units(claim: Claim, tables: ScoreTables, dataset: str) -> list[dict]:
    """Per ensemble (model) of a dataset: each member's corrected vs raw distance to the
    ensemble average, paired over the members (the members play the seeds' part)."""
    table = tables.ensembles.get(dataset)
    if table is None:
        return []
    units = []
    for model, rows in table.groupby("model", sort=True):
        corrected, raw = rows["corrected_distance"], rows["raw_distance"]
        p, n = paired_wilcoxon(corrected, raw, claim.metric)
        smallest = smallest_p_value("wilcoxon", n)
        unit = _unit(
            claim, dataset, model, rows["method"].iloc[0], corrected, raw, p, n, n, smallest
        )
        unit.update(better="corrected", worse="raw")
        units.append(unit)
    return units


def _with_models(tables: ScoreTables, kinds: Sequence[str]) -> ScoreTables:
    """``tables`` restricted to the models whose papers' name is one of ``kinds``."""

    def keep(table):
        if table is None or "model" not in table.columns:
            return table
        names = table["model"].map(tables.paper_model)
        return table[names.isin(kinds).to_numpy()]

    return replace(
        tables,
        sequences={d: keep(t) for d, t in tables.sequences.items()},
        pooled={d: keep(t) for d, t in tables.pooled.items()},
        models={d: keep(t) for d, t in tables.models.items()},
        angle_fractions={d: keep(t) for d, t in tables.angle_fractions.items()},
        stability=keep(tables.stability),
        ensembles={d: keep(t) for d, t in tables.ensembles.items()},
    )


def measure_claim(claim: Claim, tables: ScoreTables) -> pd.DataFrame:
    """Every unit of ``claim`` in ``tables``: effect, test and verdict (:data:`UNIT_COLUMNS`).

    Empty when the claim's target is not configured or its datasets lack the metric.
    """
    datasets = tables.target_datasets.get(claim.target, [])
    units: list[dict] = []
    if claim.models is not None:
        # Only the datasets' models of the kinds the claim is about.
        tables = _with_models(tables, claim.models)
    if claim.compare == "condition" and claim.metric == "stability":
        units = _stability_units(claim, tables)
    else:
        for dataset in datasets:
            if claim.min_excess and tables.gc_excess.get(dataset, 0.0) < claim.min_excess:
                continue
            measure = {
                "condition": _condition_units,
                "correction": _correction_units,
                "activation": _activation_units,
                "range": _range_units,
                "ensemble": _ensemble_units,
            }[claim.compare]
            units += measure(claim, tables, dataset)
    return pd.DataFrame(units, columns=UNIT_COLUMNS)


def _paper_rows(claim: Claim, values: pd.DataFrame) -> pd.DataFrame:
    if not claim.paper_filter:
        return values.iloc[0:0]
    rows = values[values["paper"] == claim.paper]
    for key, wanted in claim.paper_filter.items():
        if key == "condition_in":
            rows = rows[rows["condition"].isin(wanted.split(","))]
        elif key == "metric_prefix":
            rows = rows[rows["metric"].str.startswith(wanted)]
        else:
            rows = rows[rows[key] == wanted]
    return rows


def _paper_summary(claim: Claim, values: pd.DataFrame, units: pd.DataFrame, tables) -> str:
    """The paper's numbers for a claim beside our units: those of the papers' datasets and
    models our units stand for (config ``paper_dataset``), and the paper's general
    statements (dataset ``any``), e.g. ``none: 95.6 ± 1; fourier: 134.3 ± 1 (spi1 binary)``.
    """
    rows = _paper_rows(claim, values)
    rows = rows[rows["statistic"] != "direction"]
    ours = {
        (tables.paper_datasets.get(dataset, ""), tables.paper_model(model))
        for dataset, model in zip(units["dataset"], units["model"], strict=True)
    }
    datasets = {dataset for dataset, _ in ours}
    keep = np.array(
        [
            dataset == "any"
            or (dataset in datasets and (model == "any" or (dataset, model) in ours))
            for dataset, model in zip(rows["dataset"], rows["model"], strict=True)
        ],
        dtype=bool,
    )
    rows = rows.loc[keep]
    parts = []
    for key, group in rows.groupby(["dataset", "model", "metric"], sort=False):
        dataset, model, metric = key
        where = " ".join(v for v in (dataset, model) if v != "any")
        if claim.metric != metric and not metric.startswith(claim.metric):
            where += f" [{metric}]"
        texts = [
            f"{condition}: {paper_value_text(by_condition)}"
            for condition, by_condition in group.groupby("condition", sort=False)
        ]
        parts.append("; ".join(texts) + (f" ({where.strip()})" if where.strip() else ""))
    return "; ".join(parts)


TARGET_METRICS = {
    "table_simulation": ("fraction_in_motif", "motif_auprc"),
    "table_baselines": ("highfreq", "entropy", "summit_spearman", "peaks_auprc", "test_auroc"),
    "fig1_koo": ("above_30", "above_45", "above_60"),
}


"""The metrics of the paper targets whose tables are per dataset: their summaries beside
the paper's values (:func:`target_summary`)."""


def target_summary(tables: ScoreTables, target: str) -> pd.DataFrame:
    """Our numbers of a per-dataset paper target beside the paper's.

    Per dataset × model × condition × metric of :data:`TARGET_METRICS`: the mean ± SEM
    over seeds of per-seed means, of the dataset's raw maps (angles: raw saliency maps),
    and :func:`add_paper_values` (the papers' angle ranges are for models without a prior:
    they stand beside the reference condition).

    Returns
    -------
    DataFrame
        ``dataset, model, condition, metric, method, mean, sem, n_seeds`` and the paper's
        ``paper_*`` columns.
    """
    rows = []
    for dataset in tables.target_datasets.get(target, []):
        method = tables.methods.get(dataset, "")
        for metric in TARGET_METRICS[target]:
            if metric.startswith("above_"):
                source, shown = tables.angle_fractions.get(dataset), "saliency"
            elif metric.startswith("test_"):
                source, shown = tables.models.get(dataset), ""
            elif metric.endswith("_auprc"):
                source, shown = tables.pooled.get(dataset), method
            else:
                source, shown = tables.sequences.get(dataset), method
            if source is None or metric not in source.columns:
                continue
            if "method" in source.columns:
                source = _raw_rows(source, shown)
            summary = summarise_over_seeds(source, ["model", "condition"], [metric])
            rows.append(summary.assign(dataset=dataset, method=shown))
    columns = ["dataset", "model", "condition", "metric", "method", "mean", "sem", "n_seeds"]
    summary = pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)
    paper_condition = [
        ("raw" if condition == tables.reference.get(dataset) else "")
        if metric.startswith("above_")
        else condition
        for dataset, condition, metric in zip(
            summary["dataset"], summary["condition"], summary["metric"], strict=True
        )
    ]
    return add_paper_values(
        summary,
        target,
        tables.paper_datasets,
        {model: tables.paper_model(model) for model in summary["model"].unique()},
        condition=paper_condition,
    )


def scorecard(
    tables: ScoreTables, claims: Sequence[Claim] = CLAIMS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scorecard: one row per claim, and the units behind each verdict.

    Returns
    -------
    summary : DataFrame
        One row per claim: ``claim, paper, source, statement, target, metric, test,
        alpha, units, reproduced_units, effect`` (the range of the units' effects),
        ``p`` (the largest p over the units), ``n_seeds`` (the smallest), ``paper_value``,
        ``verdict``.
    units : DataFrame
        :data:`UNIT_COLUMNS`, one row per claim × unit.
    """
    values = paper_values()
    summaries, all_units = [], []
    for claim in claims:
        units = measure_claim(claim, tables)
        all_units.append(units)
        effects = units["effect"].dropna()
        effect = (
            ""
            if not len(effects)
            else (
                f"{effects.iloc[0]:+.3g}"
                if len(effects) == 1
                else f"{effects.min():+.3g} … {effects.max():+.3g}"
            )
        )
        summaries.append(
            {
                "claim": claim.id,
                "paper": claim.paper,
                "source": claim.source,
                "statement": claim.statement,
                "target": claim.target,
                "metric": claim.metric,
                "test": claim.test,
                "alpha": claim.alpha if claim.test != "range" else np.nan,
                "units": len(units),
                "reproduced_units": int((units["verdict"] == "reproduced").sum()),
                "effect": effect,
                "p": float(units["p"].max()) if units["p"].notna().any() else np.nan,
                "n_seeds": int(units["n_seeds"].min()) if len(units) else 0,
                "paper_value": _paper_summary(claim, values, units, tables),
                "verdict": claim_verdict(list(units["verdict"])),
            }
        )
    return pd.DataFrame(summaries), pd.concat(all_units, ignore_index=True)


def scorecard_markdown(summary: pd.DataFrame) -> str:
    """The scorecard as a Markdown table for people (verdict first)."""
    lines = [
        "| verdict | claim | paper | our effect | test, p | seeds | paper's value |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples():
        if row.test == "range":
            test = "range"
        elif np.isfinite(row.p):
            test = f"{row.test}, p ≤ {row.p:.2g} (level {row.alpha:g})"
        else:
            test = f"{row.test} (level {row.alpha:g})"
        units = f" ({row.reproduced_units}/{row.units} units)" if row.units > 1 else ""
        lines.append(
            f"| **{row.verdict}**{units} | {row.statement} | {row.paper}, {row.source} | "
            f"{row.effect or '–'} | {test} | {row.n_seeds or '–'} | {row.paper_value or '–'} |"
        )
    return "\n".join(lines) + "\n"
