"""The reproduction scorecard: each claim of the two papers, our effect and test, the
paper's value, and a verdict.

A *claim* (:class:`Claim`) is a statement of one of the papers that a run can test: a
direction ("the Fourier prior lowers the entropy of attributions, Wilcoxon p < 1e-6") or a
range ("20–40 % of positions lie more than 30° off the simplex"). It is tested on the
datasets of one paper target (config key ``paper.<target>``), on every *unit* (dataset ×
model × method) those datasets hold, with the same statistical test the paper used:

- ``wilcoxon``: one-sided paired Wilcoxon signed-rank test over sequences, each sequence's
  metric first averaged over seeds (Tseng et al.'s test of per-example metrics);
- ``mannwhitney``: one-sided Mann–Whitney U test over seeds (per-seed values: test
  metrics, pooled auPRCs);
- ``range``: the mean over seeds and sequences lies inside the paper's range.

The verdict rule (:func:`direction_verdict`, :func:`range_verdict`,
:func:`claim_verdict`) is explicit:

- a direction claim is **reproduced** when the effect has the paper's sign and the one-sided
  p-value is below the paper's level (``alpha``; 0.05 where the paper states no test);
- it is **underpowered** when fewer than ``min_seeds`` seeds ran per side, or when the test
  cannot reach ``alpha`` at the sample size run, whatever the data (the smallest attainable
  exact p-value, :func:`smallest_p_value`, is not below ``alpha``);
- otherwise it is **not reproduced** (wrong sign, or right sign and p not below ``alpha``);
- a range claim is **reproduced** when the value lies in the range, else **not reproduced**;
- a claim with no unit measured is **not run**.

Over its units, a claim is reproduced when every unit is; not reproduced when any unit is;
otherwise (some units underpowered, none failed) underpowered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources

import numpy as np
import pandas as pd

from attrprior.stats import (
    HIGHER_IS_BETTER,
    kept_validation_loss,
    mann_whitney,
    paired_wilcoxon,
    summarise_over_seeds,
)

__all__ = [
    "CLAIMS",
    "add_paper_values",
    "paper_model_name",
    "paper_models",
    "Claim",
    "ScoreTables",
    "VERDICTS",
    "claim_verdict",
    "direction_verdict",
    "measure_claim",
    "paper_value_text",
    "paper_values",
    "range_verdict",
    "scorecard",
    "smallest_p_value",
    "target_summary",
]

VERDICTS = ("reproduced", "not reproduced", "underpowered", "not run")
DEFAULT_ALPHA = 0.05
"""The level of a direction claim for which the paper states no test."""
MIN_SEEDS = 3
"""Fewer seeds per side than this make a direction claim underpowered: the difference of
one or two models per condition says nothing about the conditions."""


# ---------------------------------------------------------------------------------------------
# The papers' values
# ---------------------------------------------------------------------------------------------


def paper_values() -> pd.DataFrame:
    """Every number the two papers report, one row each (``src/attrprior/paper_values.tsv``).

    Returns
    -------
    pandas.DataFrame
        ``paper`` (tseng2020, majdandzic2023), ``source`` (table or section), ``target``
        (the workflow's paper target, or ``text``), ``model``, ``dataset``, ``condition``,
        ``metric`` (the workflow's metric names where one exists), ``statistic`` (``best``,
        ``mean``, ``sem``, ``value``, ``p_upper``, ``range_low``, ``range_high``, ``n``,
        ``direction``), ``value`` (float; fractions, not per cent), ``quote`` (the text it
        was read from) and ``note``.
    """
    path = resources.files("attrprior").joinpath("paper_values.tsv")
    with resources.as_file(path) as file:
        table = pd.read_csv(file, sep="\t", keep_default_na=False, na_values=[])
    table["value"] = table["value"].astype(float)
    return table


def paper_value_text(values: pd.DataFrame) -> str:
    """A short text of some paper-value rows: ``mean ± sem`` where both are given, else the
    value; ``a–b`` for a range; ``p < x`` for a bound. Empty for no rows."""
    by_stat = {}
    for stat, value in zip(values["statistic"], values["value"], strict=True):
        by_stat.setdefault(stat, value)
    parts = []
    if "mean" in by_stat:
        text = f"{by_stat['mean']:g}"
        if "sem" in by_stat:
            text += f" ± {by_stat['sem']:g}"
        parts.append(text)
    for stat in ("best", "value"):
        if stat in by_stat:
            parts.append(f"{by_stat[stat]:g}")
    if "range_low" in by_stat and "range_high" in by_stat:
        parts.append(f"{by_stat['range_low']:g}–{by_stat['range_high']:g}")
    if "p_upper" in by_stat:
        parts.append(f"p < {by_stat['p_upper']:g}")
    return ", ".join(parts)


def paper_model_name(architecture: str, activation: str | None = None) -> str:
    """The papers' name of a model (:func:`paper_values` column ``model``): ``binary`` /
    ``profile`` for Tseng et al.'s (``tseng_binary``, ``tseng_profile``),
    ``<architecture>_<relu|exp>`` for the Koo lab's CNNs."""
    if architecture.startswith("tseng_"):
        return architecture.removeprefix("tseng_")
    if activation is None:
        return architecture
    return f"{architecture}_{'exp' if activation == 'exponential' else activation}"


def paper_models(
    architectures: Mapping[str, str], activations: Mapping[str, str]
) -> dict[str, str]:
    """Our model name -> the papers' (:func:`paper_model_name`), for every configured model."""
    return {
        model: paper_model_name(architecture, activations.get(model))
        for model, architecture in architectures.items()
    }


PAPER_STATISTICS = ("best", "mean", "sem", "value", "range_low", "range_high")
"""The statistics :func:`add_paper_values` puts beside ours, as ``paper_<statistic>``."""


def add_paper_values(
    table: pd.DataFrame,
    target: str,
    paper_datasets: Mapping[str, str],
    paper_models: Mapping[str, str],
    metric: str | None = None,
    condition: Sequence[str] | None = None,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Our summary table with the paper's numbers beside each row.

    Parameters
    ----------
    table : DataFrame
        One row per dataset × model × condition (× metric): columns ``dataset``, ``model``
        and ``condition``, and ``metric`` unless ``metric`` is given.
    target : str
        The paper target (:func:`paper_values` column ``target``), e.g. ``table1``.
    paper_datasets : mapping
        Our dataset -> the papers' dataset (config key ``paper_dataset``); datasets not in
        it get no paper values.
    paper_models : mapping
        Our model -> the papers' model name (:func:`paper_model_name`).
    metric : str, optional
        The metric of every row, when ``table`` has no ``metric`` column.
    condition : sequence of str, optional
        The paper's condition per row, when it is not the row's ``condition`` (Table 2's
        all-vs-1% rows: ``none_vs_keep1``).
    values : DataFrame, optional
        :func:`paper_values` (read when not given).

    Returns
    -------
    DataFrame
        ``table`` with ``paper_<statistic>`` columns (:data:`PAPER_STATISTICS`) where the
        paper reports any of them for this target (NaN where it reports none for a row); a
        value the paper states for every model (model ``any``) applies to each.
    """
    values = paper_values() if values is None else values
    of_target = values[values["target"] == target]
    conditions = table["condition"] if condition is None else pd.Series(list(condition))
    metrics = table["metric"] if metric is None else pd.Series([metric] * len(table))
    index = of_target.set_index(["dataset", "model", "condition", "metric", "statistic"])["value"]
    index = index[~index.index.duplicated(keep="first")]
    out = table.copy()
    for statistic in PAPER_STATISTICS:
        column = []
        for dataset, model, cond, name in zip(
            table["dataset"], table["model"], conditions, metrics, strict=True
        ):
            # The paper's value for this model, or one it states for every model ("any").
            keys = [
                (paper_datasets.get(dataset, ""), paper_model, cond, name, statistic)
                for paper_model in (paper_models.get(model, ""), "any")
            ]
            column.append(next((index[k] for k in keys if k in index.index), np.nan))
        if np.isfinite(np.asarray(column, dtype=float)).any():
            out[f"paper_{statistic}"] = column
    return out


# ---------------------------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------------------------


def smallest_p_value(test: str, n: int, n_other: int | None = None) -> float:
    """The smallest one-sided p-value SciPy's test can give at a sample size, whatever the
    data: what decides whether a claim's level can be reached at all.

    Parameters
    ----------
    test : str
        ``wilcoxon`` (signed-rank, ``n`` pairs) or ``mannwhitney`` (``n`` and ``n_other``
        values).
    n, n_other : int
        Sample sizes.

    Returns
    -------
    float
        The p-value of the most extreme data (all differences of one sign; complete
        separation) under the method ``scipy.stats`` uses by default at these sizes without
        ties: Wilcoxon exact ``2^-n`` up to 50 pairs, else the normal approximation;
        Mann–Whitney exact ``1 / C(n + m, n)`` when a sample has fewer than 8 values, else
        the normal approximation with continuity correction. 1.0 when a sample is empty.
    """
    from scipy.stats import norm

    if test == "wilcoxon":
        if n < 1:
            return 1.0
        if n <= 50:
            return 0.5**n
        mean, var = n * (n + 1) / 4, n * (n + 1) * (2 * n + 1) / 24
        return float(norm.sf((n * (n + 1) / 2 - mean) / math.sqrt(var)))
    if test == "mannwhitney":
        if n_other is None:
            raise ValueError("mannwhitney: n_other is needed")
        if n < 1 or n_other < 1:
            return 1.0
        if min(n, n_other) < 8:
            return 1.0 / math.comb(n + n_other, n)
        mean, var = n * n_other / 2, n * n_other * (n + n_other + 1) / 12
        return float(norm.sf((n * n_other - mean - 0.5) / math.sqrt(var)))
    raise ValueError(f"unknown test {test!r}; known: wilcoxon, mannwhitney")


def direction_verdict(
    effect: float,
    expected_sign: int,
    p: float,
    alpha: float,
    smallest_p: float,
    n_seeds: int,
    min_seeds: int = MIN_SEEDS,
) -> str:
    """Verdict of one unit of a direction claim (rule in the module docstring).

    Parameters
    ----------
    effect : float
        Our effect (better side minus worse side, in the metric's units); NaN if not measured.
    expected_sign : int
        +1 or -1: the sign the paper reports.
    p : float
        Our one-sided p-value in the paper's direction.
    alpha : float
        The paper's level.
    smallest_p : float
        :func:`smallest_p_value` of the test at our sample size.
    n_seeds : int
        Seeds per side (the smaller side).
    min_seeds : int
        Fewer seeds than this: underpowered.
    """
    if expected_sign not in (1, -1):
        raise ValueError(f"expected_sign must be +1 or -1, got {expected_sign!r}")
    if not np.isfinite(effect):
        return "not run"
    if n_seeds < min_seeds or smallest_p >= alpha:
        return "underpowered"
    if np.sign(effect) == expected_sign and np.isfinite(p) and p < alpha:
        return "reproduced"
    return "not reproduced"


def range_verdict(value: float, low: float, high: float) -> str:
    """``reproduced`` when ``low <= value <= high``; ``not run`` for NaN."""
    if not np.isfinite(value):
        return "not run"
    return "reproduced" if low <= value <= high else "not reproduced"


def claim_verdict(unit_verdicts: Sequence[str]) -> str:
    """A claim's verdict over its units (rule in the module docstring)."""
    unknown = set(unit_verdicts) - set(VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts {sorted(unknown)}; known: {VERDICTS}")
    measured = [v for v in unit_verdicts if v != "not run"]
    if not measured:
        return "not run"
    if "not reproduced" in measured:
        return "not reproduced"
    if all(v == "reproduced" for v in measured):
        return "reproduced"
    return "underpowered"


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One testable statement of a paper.

    Attributes
    ----------
    id : str
        Short stable name, e.g. ``tseng_stability``.
    paper : str
        ``tseng2020`` or ``majdandzic2023`` (as in :func:`paper_values`).
    source : str
        Where the paper says it.
    statement : str
        The claim in words.
    target : str
        The paper target whose datasets (config ``paper.<target>``) test it.
    metric : str
        The metric compared (a column of the score tables; :data:`HIGHER_IS_BETTER` gives
        its direction).
    compare : str
        What is compared: ``condition`` (training condition ``better`` vs ``worse``, raw
        maps), ``correction`` (corrected vs raw maps of the reference condition),
        ``activation`` (exponential vs ReLU first layer, raw maps of the reference
        condition), ``range`` (the value of raw saliency maps of the reference
        condition lies in ``[low, high]``), or ``ensemble`` (each ensemble member's
        corrected vs raw map, by its distance to the ensemble's average map).
    test : str
        ``wilcoxon`` (paired over sequences; ``ensemble``: over the ensemble's models),
        ``mannwhitney`` (over seeds) or ``range``.
    better, worse : str
        For ``condition``: the two conditions (``better`` is expected to be better on the
        metric). For ``comparison`` of stability (Table 2): ``better`` and ``worse`` are
        conditions and ``scope`` the comparison ("across seeds", "all vs 1% data").
    alpha : float
        The paper's level (:data:`DEFAULT_ALPHA` where it states no test).
    low, high : float
        The range of a range claim.
    scope : str
        Table 2 only: which similarity (``across seeds`` or ``all vs``).
    min_excess : float
        Figure 5 only: units are the datasets with at least this GC excess.
    models : tuple of str, optional
        The papers' model names (:func:`paper_model_name`) the claim is about; None: all.
    methods : tuple of str, optional
        Correction claims: the attribution methods the claim is about; None: all.
    paper_filter : mapping
        Columns of :func:`paper_values` that select the paper's numbers shown beside ours.
    """

    id: str
    paper: str
    source: str
    statement: str
    target: str
    metric: str
    compare: str
    test: str
    better: str = ""
    worse: str = ""
    alpha: float = DEFAULT_ALPHA
    low: float = float("nan")
    high: float = float("nan")
    scope: str = ""
    min_excess: float = 0.0
    models: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    paper_filter: Mapping[str, str] | None = None

    @property
    def expected_sign(self) -> int:
        """+1 if the better side should have the larger value of the metric, else -1."""
        return 1 if HIGHER_IS_BETTER[self.metric] else -1


def _tseng(id, source, statement, target, metric, test, better="fourier", worse="none", **kw):
    return Claim(
        id=id,
        paper="tseng2020",
        source=source,
        statement=statement,
        target=target,
        metric=metric,
        compare=kw.pop("compare", "condition"),
        test=test,
        better=better,
        worse=worse,
        **kw,
    )


def _koo(id, statement, metric, compare, test, **kw):
    return Claim(
        id=id,
        paper="majdandzic2023",
        source=kw.pop("source", "Results, Figure 1"),
        statement=statement,
        target=kw.pop("target", "fig1_koo"),
        metric=metric,
        compare=compare,
        test=test,
        **kw,
    )


def _p(level):
    return {"alpha": level}


CLAIMS: tuple[Claim, ...] = (
    _tseng(
        "tseng_table1_auroc",
        "Table 1",
        "The Fourier prior improves binary models' test auROC (paper: best of 30 seeds)",
        "table1",
        "test_auroc",
        "mannwhitney",
        paper_filter={"target": "table1", "metric": "test_auroc"},
    ),
    _tseng(
        "tseng_table1_aupr",
        "Table 1",
        "The Fourier prior improves binary models' test auPRC (paper: best of 30 seeds)",
        "table1",
        "test_aupr",
        "mannwhitney",
        paper_filter={"target": "table1", "metric": "test_aupr"},
    ),
    _tseng(
        "tseng_stability",
        "Table 2, Section 6",
        "The Fourier prior raises the stability of attributions across seeds (continuous "
        "Jaccard), Wilcoxon p < 1e-6",
        "table2",
        "stability",
        "wilcoxon",
        scope="across seeds",
        paper_filter={"target": "table2", "metric": "stability", "condition_in": "none,fourier"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_stability_subsampled",
        "Table 2, Section 6",
        "With the Fourier prior, models trained on 1% of the data are more similar to models "
        "trained on all of it, Wilcoxon p < 1e-6",
        "table2",
        "stability",
        "wilcoxon",
        scope="all vs",
        paper_filter={
            "target": "table2",
            "metric": "stability",
            "condition_in": "none_vs_keep1,fourier_vs_keep1",
        },
        **_p(1e-6),
    ),
    _tseng(
        "tseng_summit_distance",
        "Table 3, Section 7",
        "The Fourier prior places importance closer to peak summits (more negative Spearman "
        "correlation of importance with summit distance), Wilcoxon p < 1e-6",
        "table3",
        "summit_spearman",
        "wilcoxon",
        paper_filter={"target": "table3", "metric": "summit_spearman"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_peaks_auprc",
        "Table 3, Section 7",
        "Profile models: the Fourier prior raises the auPRC of importance-ranked bases against "
        "called peaks (the paper: always on profile models; not on binary Nanog/Oct4/Sox2)",
        "table3",
        "peaks_auprc",
        "mannwhitney",
        models=("profile",),
        paper_filter={"target": "table3", "metric": "peaks_auprc", "model": "profile"},
    ),
    _tseng(
        "tseng_footprints_auprc",
        "Table 4, Section 7",
        "Profile models: the Fourier prior raises the auPRC of importance-ranked bases against "
        "footprints / ChIP-nexus peaks (the paper: not on binary K562)",
        "table4",
        "footprints_auprc",
        "mannwhitney",
        models=("profile",),
        paper_filter={"target": "table4", "metric": "footprints_auprc", "model": "profile"},
    ),
    _tseng(
        "tseng_footprint_fraction",
        "Table 4, Section 7",
        "The Fourier prior raises the fraction of importance on footprints / ChIP-nexus "
        "peaks, Wilcoxon p < 1e-6",
        "table4",
        "fraction_in_footprints",
        "wilcoxon",
        paper_filter={"target": "table4", "metric": "fraction_in_footprints"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_highfreq",
        "Section 5, Figure 2A",
        "The Fourier prior lowers the high-frequency Fourier content of attributions, "
        "Wilcoxon p < 1e-6",
        "fig2",
        "highfreq",
        "wilcoxon",
        paper_filter={"target": "fig2", "metric": "highfreq"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_entropy",
        "Section 5, Figure 2B",
        "The Fourier prior lowers the Shannon entropy of attributions, Wilcoxon p < 1e-6",
        "fig2",
        "entropy",
        "wilcoxon",
        paper_filter={"target": "fig2", "metric": "entropy"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_simulation_fraction",
        "Section 7 (synthetic SPI1)",
        "The Fourier prior places a larger fraction of importance in the planted motif, "
        "Wilcoxon p < 1e-6",
        "table_simulation",
        "fraction_in_motif",
        "wilcoxon",
        paper_filter={"target": "table_simulation", "metric": "fraction_in_motif"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_simulation_auprc",
        "Section 7 (synthetic SPI1)",
        "The Fourier prior raises the auPRC of importance-ranked bases against motif "
        "instances (paper: 0.607 vs 0.422)",
        "table_simulation",
        "motif_auprc",
        "mannwhitney",
        paper_filter={"target": "table_simulation", "metric": "motif_auprc"},
    ),
    _tseng(
        "tseng_vs_l2_highfreq",
        "Section 8.1",
        "Fourier prior vs L2 regularisation: lower high-frequency content, Wilcoxon p < 1e-6",
        "table_baselines",
        "highfreq",
        "wilcoxon",
        worse="l2",
        paper_filter={"target": "table_baselines", "metric": "highfreq"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_vs_l2_entropy",
        "Section 8.1",
        "Fourier prior vs L2 regularisation: lower entropy, Wilcoxon p < 1e-6",
        "table_baselines",
        "entropy",
        "wilcoxon",
        worse="l2",
        paper_filter={"target": "table_baselines", "metric": "entropy"},
        **_p(1e-6),
    ),
    *(
        _tseng(
            f"tseng_vs_{prior}_valid_loss",
            "Section 8.2",
            f"Fourier prior vs the {prior} prior: lower validation loss, Mann-Whitney p < 5e-4",
            "table_baselines",
            "valid_loss",
            "mannwhitney",
            worse=prior,
            paper_filter={
                "target": "table_baselines",
                "condition_in": f"fourier,{prior},{prior}_tuned",
                "metric": "valid_loss",
            },
            **_p(5e-4),
        )
        for prior in ("smoothness", "sparsity")
    ),
    *(
        _tseng(
            f"tseng_vs_{prior}_tuned_{metric}",
            "Section 8.2",
            statement.format(prior=prior, value=value),
            "table_baselines",
            metric,
            "mannwhitney",
            worse=f"{prior}_tuned",
            paper_filter={
                "target": "table_baselines",
                "condition_in": f"fourier,{prior}_tuned",
                "metric": metric,
            },
        )
        for metric, statement, values in (
            (
                "valid_loss",
                "Fourier prior (weight not tuned) vs the {prior} prior with its weight tuned "
                "on validation loss: the Fourier prior's validation loss is still lower "
                "(paper: 0.262 vs {value})",
                {"smoothness": "0.268", "sparsity": "0.269"},
            ),
            (
                "peaks_auprc",
                "Tuned for validation loss, the {prior} prior loses its interpretability "
                "edge: peak-overlap auPRC below the Fourier prior's (paper: {value} vs 0.616)",
                {"smoothness": "0.601", "sparsity": "0.597"},
            ),
        )
        for prior, value in values.items()
    ),
    _tseng(
        "tseng_gc_reliance",
        "Section 9, Figure 5",
        "With GC-biased training positives, models with the Fourier prior rely less on GC "
        "content (higher GC reliance score) than models without",
        "fig5",
        "gc_reliance",
        "wilcoxon",
        min_excess=0.01,
        paper_filter={"target": "fig5", "metric": "gc_reliance"},
    ),
    *(
        _koo(
            f"koo_correction_{metric}",
            f"The gradient correction improves every gradient method's {label} (saliency, "
            "integrated gradients, SmoothGrad, expected gradients: corrected better than raw)",
            metric,
            "correction",
            "wilcoxon",
            methods=("saliency", "integrated_gradients", "smoothgrad", "expected_gradients"),
            paper_filter={"target": "fig1_koo", "metric_prefix": f"{prefix}_"},
        )
        for metric, label, prefix in (
            ("cosine", "cosine similarity to the ground truth", "cosine"),
            ("auroc", "interpretability AUROC", "auroc"),
            ("aupr", "interpretability AUPR", "aupr"),
        )
    ),
    *(
        _koo(
            f"koo_angles_above_{threshold}",
            f"{100 * low:g}–{100 * high:g} % of positions of raw saliency maps lie more than "
            f"{threshold}° off the simplex (billboard data)",
            f"above_{threshold}",
            "range",
            "range",
            low=low,
            high=high,
            paper_filter={"target": "fig1_koo", "metric": f"above_{threshold}"},
        )
        for threshold, low, high in ((30, 0.20, 0.40), (45, 0.10, 0.20), (60, 0.05, 0.15))
    ),
    _koo(
        "koo_ensemble_difference",
        "Correcting a single model's saliency map brings it closer to the average map of an "
        "ensemble of models with 12-30 first-layer filters, the paper's proxy for the truth "
        "(ensemble difference reduction; ChIP-seq): distance lower after correction, paired "
        "over the ensemble's models",
        "ensemble_distance",
        "ensemble",
        "wilcoxon",
        source="Methods (ensemble difference reduction), Supplementary Fig. 3",
        target="fig_koo_ensemble",
        better="corrected",
        worse="raw",
    ),
    _koo(
        "koo_exponential_activation",
        "Exponential first-layer activations give more interpretable saliency maps than "
        "ReLU (cosine similarity to the ground truth; Koo & Ploenzke 2021, used by the paper)",
        "cosine",
        "activation",
        "wilcoxon",
        source="Background (Koo & Ploenzke 2021)",
        better="exponential",
        worse="relu",
    ),
)
"""The claims of the two papers that the workflow tests (the scorecard's rows)."""


# ---------------------------------------------------------------------------------------------
# Measuring a claim
# ---------------------------------------------------------------------------------------------


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
