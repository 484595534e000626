"""Summaries and statistical tests over seeds and sequences.

Tables are long pandas DataFrames. Per-sequence scores carry the columns
``model, condition, seed, method, corrected, sequence`` plus one column per
metric; per-model scores carry ``model, condition, seed`` plus one column per
metric. Tests are one-sided in the direction in which a metric is *better*
(:data:`HIGHER_IS_BETTER`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

# Direction in which each metric improves; decides the side of every one-sided test.
HIGHER_IS_BETTER = {
    "cosine": True,
    "auroc": True,
    "aupr": True,
    "fraction_in_motif": True,
    "highfreq": False,
    "entropy": False,
    "gc_reliance": True,
    "motif_auprc": True,
    "test_auroc": True,
    "test_aupr": True,
    "test_accuracy": True,
    # Profile models: multinomial NLL and JSD of the predicted profiles, and the observed
    # against predicted log counts (attrprior.objectives.evaluate_profile_model).
    "test_nll": False,
    "test_jsd": False,
    "test_count_mse": False,
    "test_count_pearson": True,
    "test_count_spearman": True,
    "valid_loss": False,
    "stability": True,
    "summit_spearman": False,
    "fraction_in_peaks": True,
    "fraction_in_footprints": True,
    "peaks_auprc": True,
    "footprints_auprc": True,
    # Majdandzic et al.'s ensemble difference: a map's distance to the ensemble average.
    "ensemble_distance": False,
}

# The per-model test metrics (test_metrics.tsv) that Tseng et al. report for each kind of
# model (Table 1, Figure 4): binary classifiers, and profile models (judged by NLL and JSD).
RUN_TEST_METRICS = {
    "binary": ("test_accuracy", "test_auroc", "test_aupr"),
    "profile": ("test_nll", "test_jsd", "test_count_pearson", "test_count_spearman"),
}


def run_kind(columns) -> str:
    """The kind of model (a key of :data:`RUN_TEST_METRICS`) whose test metrics are
    ``columns``: the first kind whose metrics are all among them."""
    for kind, metrics in RUN_TEST_METRICS.items():
        if set(metrics) <= set(columns):
            return kind
    raise ValueError(
        f"test metrics {sorted(columns)} hold none of the metric sets {RUN_TEST_METRICS}"
    )


def alternative(metric: str) -> str:
    """SciPy ``alternative`` for the hypothesis "first sample is better" on ``metric``."""
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(
            f"no direction known for metric {metric!r}; known: {sorted(HIGHER_IS_BETTER)}"
        )
    return "greater" if HIGHER_IS_BETTER[metric] else "less"


def mean_sem(values: Sequence[float] | np.ndarray) -> tuple[float, float, int]:
    """Mean, standard error of the mean (ddof=1) and count, NaNs dropped."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if len(array) == 0:
        return np.nan, np.nan, 0
    sem = float(stats.sem(array)) if len(array) > 1 else np.nan
    return float(array.mean()), sem, len(array)


# Decimals kept of values divided by their scale before ranking. Rank tests see exact ties
# and zero differences only, and metrics computed with another summation order differ by
# round-off (about 1e-16 of their size): enough to make or break a tie and move a
# signed-rank p-value (by up to 11 % on the embedded default's per-sequence AUROCs).
TIE_DIGITS = 12


def largest_finite_magnitude(values: np.ndarray) -> float:
    """The largest ``|value|`` among the finite ``values`` (0 when there is none)."""
    values = np.asarray(values, float)
    return float(np.max(np.abs(values[np.isfinite(values)]), initial=0.0))


def tie_rounded(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """``values / scale`` rounded to :data:`TIE_DIGITS` decimals, for rank tests.

    Values that agree to that many digits of ``scale`` become ties, and differences that
    small become 0, so round-off makes or breaks a tie only for a value within round-off of a
    rounding boundary: unlikely, not impossible. Rank tests do not see the scaling.

    Parameters
    ----------
    values : numpy.ndarray, shape (N,)
    scale : float, optional
        The size of the quantities compared (for differences: of the values differenced).
        Default: the largest finite magnitude among ``values``.

    Returns
    -------
    numpy.ndarray, shape (N,)
        ``values`` unchanged when the scale is 0 or not finite.
    """
    values = np.asarray(values, float)
    if scale is None:
        scale = largest_finite_magnitude(values)
    if not (np.isfinite(scale) and scale > 0):
        return values
    return np.round(values / scale, TIE_DIGITS)


def paired_wilcoxon(better: np.ndarray, worse: np.ndarray, metric: str) -> tuple[float, int]:
    """One-sided paired Wilcoxon signed-rank p-value that ``better`` beats ``worse``.

    The test ranks the differences ``better - worse`` after :func:`tie_rounded` on the scale
    of the values themselves (a difference that is round-off is 0). Pairs with a NaN on
    either side are dropped. Returns ``(p, n_pairs)``; p is NaN with fewer than 2
    pairs and 1.0 when all differences are zero.
    """
    a, b = np.asarray(better, float), np.asarray(worse, float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if len(a) < 2:
        return np.nan, len(a)
    differences = tie_rounded(a - b, scale=largest_finite_magnitude(np.concatenate([a, b])))
    if np.all(differences == 0):
        return 1.0, len(a)
    result = stats.wilcoxon(differences, alternative=alternative(metric))
    return float(result.pvalue), len(a)


def mann_whitney(better: np.ndarray, worse: np.ndarray, metric: str) -> tuple[float, int, int]:
    """One-sided Mann–Whitney U p-value that ``better`` beats ``worse`` (independent samples),
    on the pooled values after :func:`tie_rounded`."""
    a = np.asarray(better, float)
    b = np.asarray(worse, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return np.nan, len(a), len(b)
    pooled = tie_rounded(np.concatenate([a, b]))
    result = stats.mannwhitneyu(pooled[: len(a)], pooled[len(a) :], alternative=alternative(metric))
    return float(result.pvalue), len(a), len(b)


def kept_validation_loss(history: pd.DataFrame) -> float:
    """The validation correctness loss of the epoch whose weights a run kept (its last
    ``best`` row of ``history.tsv``)."""
    best = history.loc[history["best"].astype(bool), "valid_correctness"]
    if not len(best):
        raise ValueError("history: no epoch is marked best")
    return float(best.iloc[-1])


def top_seeds(losses: Mapping[int, float], k: int) -> list[int]:
    """The ``k`` seeds with the lowest validation loss (ties: the lower seed), sorted.

    Tseng et al. compare models trained on all and on 1 % of the data through the top 5
    runs of each condition by validation loss (``consistency_of_importance_over_different_
    data_amounts``).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    ranked = sorted(losses, key=lambda seed: (losses[seed], seed))
    return sorted(ranked[:k])


def choose_weight(runs: pd.DataFrame) -> pd.DataFrame:
    """Pick a loss weight from a grid by the mean validation loss of its runs.

    Tseng et al. (Section 8.2) tune the smoothness and sparsity priors' weights "and select
    the models with the lowest validation loss"; here each grid weight is trained on a few
    tuning seeds and the weight whose runs have the lowest mean kept validation loss
    (:func:`kept_validation_loss`) is chosen (ties: the smaller weight).

    Parameters
    ----------
    runs : DataFrame
        One row per tuning run: columns ``weight``, ``seed`` and ``valid_loss``.

    Returns
    -------
    DataFrame
        One row per weight, in increasing weight order: ``weight``, ``n_seeds``,
        ``valid_loss_mean``, ``valid_loss_sem`` (NaN with one seed) and ``chosen`` (True on
        exactly one row).
    """
    missing = {"weight", "seed", "valid_loss"} - set(runs.columns)
    if missing:
        raise ValueError(f"runs: missing columns {sorted(missing)}")
    if not len(runs):
        raise ValueError("runs: no tuning run")
    if not np.isfinite(runs["valid_loss"].to_numpy(dtype=float)).all():
        bad = runs.loc[~np.isfinite(runs["valid_loss"].astype(float)), ["weight", "seed"]]
        raise ValueError(f"runs: validation loss not finite for {bad.to_dict('records')}")
    grouped = runs.groupby("weight")["valid_loss"]
    table = pd.DataFrame(
        {
            "n_seeds": grouped.size(),
            "valid_loss_mean": grouped.mean(),
            "valid_loss_sem": grouped.sem(),
        }
    ).reset_index()
    table = table.sort_values("weight", kind="stable").reset_index(drop=True)
    best = table["valid_loss_mean"].to_numpy().argmin()  # first minimum: the smaller weight
    table["chosen"] = np.arange(len(table)) == best
    return table


def summarise_over_seeds(scores: pd.DataFrame, keys: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean ± SEM over seeds of per-seed means.

    Parameters
    ----------
    scores : DataFrame
        Per-sequence or per-model scores with a ``seed`` column, the ``keys`` columns and
        the ``metrics`` columns.
    keys : list of str
        Grouping columns (e.g. ``["model", "condition", "method", "corrected"]``).
    metrics : list of str

    Returns
    -------
    DataFrame
        One row per group and metric: ``keys..., metric, mean, sem, n_seeds``.
    """
    per_seed = scores.groupby([*keys, "seed"], sort=True)[metrics].mean().reset_index()
    rows = []
    for group, table in per_seed.groupby(keys, sort=True):
        for metric in metrics:
            mean, sem, n = mean_sem(table[metric])
            rows.append(
                {
                    **dict(zip(keys, group, strict=True)),
                    "metric": metric,
                    "mean": mean,
                    "sem": sem,
                    "n_seeds": n,
                }
            )
    return pd.DataFrame(rows)


def compare_to_reference(
    scores: pd.DataFrame,
    metrics: list[str],
    reference: str = "none",
    keys: tuple[str, ...] = ("model", "method", "corrected"),
) -> pd.DataFrame:
    """Each condition against the ``reference`` condition.

    Paired one-sided Wilcoxon over sequences (each sequence's metric averaged over seeds
    first; only when ``scores`` has a ``sequence`` column) and one-sided Mann–Whitney over
    seeds (per-seed means).

    Returns
    -------
    DataFrame
        ``keys..., condition, metric, mean_condition, mean_reference, wilcoxon_p,
        n_sequences, mannwhitney_p, n_seeds``.
    """
    keys = list(keys)
    paired = "sequence" in scores.columns
    if paired:
        per_sequence = scores.groupby([*keys, "condition", "sequence"])[metrics].mean()
    per_seed = scores.groupby([*keys, "condition", "seed"])[metrics].mean()
    rows = []
    for group, table in scores.groupby(keys, sort=True):
        conditions = sorted(set(table["condition"]) - {reference})
        if reference not in set(table["condition"]):
            continue
        group_key = group if isinstance(group, tuple) else (group,)
        ref_seed = per_seed.loc[group_key + (reference,)]
        for condition in conditions:
            cond_seed = per_seed.loc[group_key + (condition,)]
            if paired:
                pairs = per_sequence.loc[group_key + (condition,)].join(
                    per_sequence.loc[group_key + (reference,)], how="inner", suffixes=("_c", "_r")
                )
            for metric in metrics:
                p_w, n_pairs = (
                    paired_wilcoxon(
                        pairs[f"{metric}_c"].to_numpy(), pairs[f"{metric}_r"].to_numpy(), metric
                    )
                    if paired
                    else (np.nan, 0)
                )
                p_mw, n_c, _ = mann_whitney(cond_seed[metric], ref_seed[metric], metric)
                rows.append(
                    {
                        **dict(zip(keys, group_key, strict=True)),
                        "condition": condition,
                        "metric": metric,
                        "mean_condition": cond_seed[metric].mean(),
                        "mean_reference": ref_seed[metric].mean(),
                        "wilcoxon_p": p_w,
                        "n_sequences": n_pairs,
                        "mannwhitney_p": p_mw,
                        "n_seeds": n_c,
                    }
                )
    return pd.DataFrame(rows)


def compare_corrected_to_raw(scores: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Gradient-corrected against raw maps of the same model, condition and method.

    One-sided paired Wilcoxon over sequences (metric averaged over seeds) that the
    corrected map is better.

    Returns
    -------
    DataFrame
        ``model, condition, method, metric, mean_raw, mean_corrected, wilcoxon_p, n_sequences``.
    """
    keys = ["model", "condition", "method"]
    per_sequence = scores.groupby([*keys, "corrected", "sequence"])[metrics].mean()
    rows = []
    for group, table in scores.groupby(keys, sort=True):
        if set(table["corrected"]) != {False, True}:
            continue
        raw = per_sequence.loc[group + (False,)]
        corrected = per_sequence.loc[group + (True,)]
        paired = corrected.join(raw, how="inner", suffixes=("_c", "_r"))
        for metric in metrics:
            p, n = paired_wilcoxon(
                paired[f"{metric}_c"].to_numpy(), paired[f"{metric}_r"].to_numpy(), metric
            )
            rows.append(
                {
                    **dict(zip(keys, group, strict=True)),
                    "metric": metric,
                    "mean_raw": paired[f"{metric}_r"].mean(),
                    "mean_corrected": paired[f"{metric}_c"].mean(),
                    "wilcoxon_p": p,
                    "n_sequences": n,
                }
            )
    return pd.DataFrame(rows)


def best_over_seeds(runs: pd.DataFrame, keys: list[str], metrics: list[str]) -> pd.DataFrame:
    """Best value and mean ± SEM over seeds of per-run metrics (Tseng et al. Table 1).

    "Best" follows each metric's direction (:data:`HIGHER_IS_BETTER`): the maximum of an
    auROC, the minimum of a loss.

    Parameters
    ----------
    runs : DataFrame
        One row per trained model: the ``keys`` columns, ``seed`` and the ``metrics``.
    keys : list of str
        Grouping columns (e.g. ``["dataset", "model", "condition"]``).
    metrics : list of str

    Returns
    -------
    DataFrame
        One row per group and metric: ``keys..., metric, best, mean, sem, n_seeds``.
    """
    rows = []
    for group, table in runs.groupby(keys, sort=True):
        group = group if isinstance(group, tuple) else (group,)
        for metric in metrics:
            values = table[metric].dropna()
            mean, sem, n = mean_sem(values)
            if n == 0:
                best = np.nan
            else:
                best = values.max() if HIGHER_IS_BETTER[metric] else values.min()
            rows.append(
                {
                    **dict(zip(keys, group, strict=True)),
                    "metric": metric,
                    "best": float(best),
                    "mean": mean,
                    "sem": sem,
                    "n_seeds": n,
                }
            )
    return pd.DataFrame(rows)


def sequence_summary(
    scores: pd.DataFrame,
    metric: str,
    reference: str = "none",
    keys: tuple[str, ...] = ("dataset", "model"),
) -> pd.DataFrame:
    """Mean ± SEM over sequences of a per-sequence metric, tested against a reference.

    Tseng et al. Tables 2–4 (stability, summit-distance correlation, share of importance
    in footprints). Where ``scores`` has a ``seed`` column, each sequence's metric is first
    averaged over seeds.

    Parameters
    ----------
    scores : DataFrame
        One row per sequence (and seed): the ``keys`` columns, ``condition``, ``sequence``
        and ``metric``.
    metric : str
        Column to summarise; its direction (:data:`HIGHER_IS_BETTER`) sets the side of the
        one-sided paired Wilcoxon test over sequences that a condition beats ``reference``.
    reference : str
        The condition every other condition is compared with.
    keys : tuple of str
        Columns that, with ``condition``, identify one set of models.

    Returns
    -------
    DataFrame
        ``keys..., condition, mean, sem, n_sequences, wilcoxon_p`` (NaN for the reference).
    """
    keys = list(keys)
    rows = []
    for group, table in scores.groupby(keys, sort=True):
        group = group if isinstance(group, tuple) else (group,)
        # pivot_table averages the seeds of each sequence.
        by_condition = table.pivot_table(index="sequence", columns="condition", values=metric)
        for condition in by_condition.columns:
            mean, sem, n = mean_sem(by_condition[condition])
            p = np.nan
            if condition != reference and reference in by_condition.columns:
                p, _ = paired_wilcoxon(
                    by_condition[condition].to_numpy(), by_condition[reference].to_numpy(), metric
                )
            rows.append(
                {
                    **dict(zip(keys, group, strict=True)),
                    "condition": condition,
                    "mean": mean,
                    "sem": sem,
                    "n_sequences": n,
                    "wilcoxon_p": p,
                }
            )
    return pd.DataFrame(rows)


def seed_summary(
    scores: pd.DataFrame,
    metric: str,
    reference: str = "none",
    keys: tuple[str, ...] = ("dataset", "model"),
) -> pd.DataFrame:
    """Mean ± SEM over seeds of a per-model metric, tested against a reference.

    For metrics pooled over all sequences of one model (Tseng et al.'s peak- and
    footprint-overlap auPRC): one value per seed, one-sided Mann–Whitney over seeds that a
    condition beats ``reference``.

    Parameters
    ----------
    scores : DataFrame
        The ``keys`` columns, ``condition``, ``seed`` and ``metric``; rows of one seed are
        averaged.
    metric : str
    reference : str
    keys : tuple of str

    Returns
    -------
    DataFrame
        ``keys..., condition, mean, sem, n_seeds, mannwhitney_p`` (NaN for the reference).
    """
    keys = list(keys)
    per_seed = scores.groupby([*keys, "condition", "seed"], sort=True)[metric].mean()
    rows = []
    for group, table in per_seed.groupby(keys, sort=True):
        group = group if isinstance(group, tuple) else (group,)
        by_condition = {
            condition: values.to_numpy()
            for condition, values in table.groupby(level="condition", sort=True)
        }
        for condition, values in by_condition.items():
            mean, sem, n = mean_sem(values)
            p = np.nan
            if condition != reference and reference in by_condition:
                p, _, _ = mann_whitney(values, by_condition[reference], metric)
            rows.append(
                {
                    **dict(zip(keys, group, strict=True)),
                    "condition": condition,
                    "mean": mean,
                    "sem": sem,
                    "n_seeds": n,
                    "mannwhitney_p": p,
                }
            )
    return pd.DataFrame(rows)


def shown_scores(
    scores: pd.DataFrame, method: str, models: Sequence[str], conditions: Sequence[str]
) -> pd.DataFrame:
    """Rows of raw (not gradient-corrected) maps of one method, models and conditions.

    Parameters
    ----------
    scores : DataFrame
        Per-sequence or pooled scores with ``method``, ``corrected``, ``model`` and
        ``condition`` columns (as written by the workflow's scoring rules).
    method : str
    models, conditions : sequence of str

    Returns
    -------
    DataFrame
        The matching rows, index kept.
    """
    return scores[
        (scores["method"] == method)
        & ~scores["corrected"].astype(bool)
        & scores["model"].isin(list(models))
        & scores["condition"].isin(list(conditions))
    ]


def format_mean_sem(summary: pd.DataFrame, index: list[str], digits: int = 3) -> pd.DataFrame:
    """Pivot a :func:`summarise_over_seeds` table to "mean ± sem" strings, one column per metric."""
    text = summary.assign(
        value=[
            f"{m:.{digits}f} ± {s:.{digits}f}" if np.isfinite(s) else f"{m:.{digits}f}"
            for m, s in zip(summary["mean"], summary["sem"], strict=True)
        ]
    )
    table = text.pivot_table(index=index, columns="metric", values="value", aggfunc="first")
    table.columns.name = None
    return table.reset_index()


def to_markdown(table: pd.DataFrame, float_digits: int = 3) -> str:
    """Markdown (GitHub pipe) table; floats in general format, p-values in scientific."""
    formatted = table.copy()
    for column in formatted.columns:
        if pd.api.types.is_float_dtype(formatted[column]):
            fmt = "{:.2e}" if column.endswith("_p") else f"{{:.{float_digits}f}}"
            formatted[column] = [
                fmt.format(v) if np.isfinite(v) else "NA" for v in formatted[column]
            ]
    return formatted.to_markdown(index=False, disable_numparse=True) + "\n"
