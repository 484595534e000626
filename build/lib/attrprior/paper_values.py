"""Every number the two papers report (``paper_values.tsv``, transcribed with the section
each comes from), and our tables with the paper's values beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources

import numpy as np
import pandas as pd


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
