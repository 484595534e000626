"""Figures of the benchmark (Matplotlib, logomaker).

Every function returns a :class:`matplotlib.figure.Figure`; saving is the caller's.
Score tables are those written by the workflow (see :mod:`attrprior.stats`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: figures are files

import logomaker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from attrprior.io import atomic_path  # noqa: E402
from attrprior.metrics import information_content  # noqa: E402
from attrprior.sequences import ALPHABET  # noqa: E402

METRIC_LABELS = {
    "cosine": "cosine similarity to truth",
    "auroc": "interpretability auROC",
    "aupr": "interpretability auPR",
    "fraction_in_motif": "fraction of |importance| in motifs",
    "highfreq": "high-frequency Fourier sum",
    "entropy": "entropy (bits)",
    "gc_reliance": "GC reliance (background)",
}
# Per-model metrics (one value per trained model).
RUN_METRIC_LABELS = {
    "valid_loss": "validation loss (kept epoch)",
    "test_accuracy": "test accuracy",
    "test_auroc": "test auROC",
    "test_aupr": "test auPRC",
    "test_nll": "test profile NLL",
    "test_jsd": "test profile JSD",
    "test_count_mse": "test log-count MSE",
    "test_count_pearson": "test log-count Pearson r",
    "test_count_spearman": "test log-count Spearman ρ",
}


def _ordered(values, first: str | None = None) -> list[str]:
    values = list(dict.fromkeys(values))
    if first in values:
        values.remove(first)
        values.insert(0, first)
    return values


def metric_distributions(
    sequences: pd.DataFrame, metrics: list[str], reference: str | None = None
) -> Figure:
    """Box plots of per-sequence metrics (averaged over seeds) for each condition.

    Parameters
    ----------
    sequences : DataFrame
        Per-sequence scores of one model: ``condition, seed, method, corrected,
        sequence`` and the ``metrics`` columns. Raw (uncorrected) maps are shown.
    metrics : list of str
        One row of panels per metric.
    reference : str, optional
        Condition drawn first (the no-prior baseline).
    """
    raw = sequences[~sequences["corrected"].astype(bool)]
    per_sequence = raw.groupby(["method", "condition", "sequence"])[metrics].mean().reset_index()
    methods = _ordered(raw["method"])
    conditions = _ordered(sorted(raw["condition"].unique()), reference)
    fig, axes = plt.subplots(
        len(metrics),
        len(methods),
        figsize=(2.6 * len(methods), 2.2 * len(metrics)),
        squeeze=False,
        sharey="row",
    )
    for row, metric in enumerate(metrics):
        for col, method in enumerate(methods):
            ax = axes[row, col]
            table = per_sequence[per_sequence["method"] == method]
            data = [table.loc[table["condition"] == c, metric].dropna() for c in conditions]
            ax.boxplot(data, showfliers=False)
            ax.set_xticks(range(1, len(conditions) + 1), conditions, rotation=45, ha="right")
            if row == 0:
                ax.set_title(method)
            if col == 0:
                ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    fig.tight_layout()
    return fig


def raw_vs_corrected(
    sequences: pd.DataFrame, metrics: tuple[str, ...] = ("cosine", "auroc")
) -> Figure:
    """Per-sequence metric of the corrected map against the raw map, for each method.

    Points are sequences (averaged over seeds), coloured by condition; points above the
    diagonal improved with the gradient correction.
    """
    per_sequence = (
        sequences.groupby(["method", "condition", "corrected", "sequence"])[list(metrics)]
        .mean()
        .reset_index()
    )
    methods = _ordered(sequences["method"])
    conditions = sorted(sequences["condition"].unique())
    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(
        len(metrics), len(methods), figsize=(2.6 * len(methods), 2.6 * len(metrics)), squeeze=False
    )
    for row, metric in enumerate(metrics):
        for col, method in enumerate(methods):
            ax = axes[row, col]
            table = per_sequence[per_sequence["method"] == method]
            for i, condition in enumerate(conditions):
                subset = table[table["condition"] == condition]
                raw = subset[~subset["corrected"].astype(bool)].set_index("sequence")[metric]
                corrected = subset[subset["corrected"].astype(bool)].set_index("sequence")[metric]
                raw, corrected = raw.align(corrected, join="inner")
                ax.scatter(raw, corrected, s=6, alpha=0.6, color=colours(i % 10), label=condition)
            limits = [np.nanmin(table[metric]), np.nanmax(table[metric])]
            ax.plot(limits, limits, color="grey", linewidth=0.8)
            ax.set_xlabel(f"raw {metric}")
            if col == 0:
                ax.set_ylabel(f"corrected {metric}")
            if row == 0:
                ax.set_title(method)
    axes[0, -1].legend(fontsize="small", markerscale=2, frameon=False)
    fig.tight_layout()
    return fig


def angle_histograms(histograms: pd.DataFrame) -> Figure:
    """Distribution of gradient angles to the simplex plane, per method and condition.

    Parameters
    ----------
    histograms : DataFrame
        One model's ``condition, seed, method, bin_left, bin_right, count`` rows; counts
        are summed over seeds and shown as densities.
    """
    methods = _ordered(histograms["method"])
    conditions = sorted(histograms["condition"].unique())
    fig, axes = plt.subplots(1, len(methods), figsize=(3 * len(methods), 2.6), squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        table = histograms[histograms["method"] == method]
        for condition in conditions:
            counts = (
                table[table["condition"] == condition]
                .groupby(["bin_left", "bin_right"])["count"]
                .sum()
                .reset_index()
            )
            width = counts["bin_right"] - counts["bin_left"]
            density = counts["count"] / (counts["count"].sum() * width)
            edges = np.append(counts["bin_left"].to_numpy(), counts["bin_right"].iloc[-1])
            ax.stairs(density.to_numpy(), edges, label=condition)
        ax.set_title(method)
        ax.set_xlabel("angle (degrees)")
        ax.set_xlim(-90, 90)
    axes[0, 0].set_ylabel("density")
    axes[0, -1].legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _logo(ax, matrix: np.ndarray, title: str) -> None:
    """Draw a (4, L) matrix as a sequence logo on ``ax``."""
    frame = pd.DataFrame(matrix.T, columns=list(ALPHABET))
    logomaker.Logo(frame, ax=ax, color_scheme="classic")
    ax.set_ylabel(title, rotation=0, ha="right", va="center")
    ax.spines[["top", "right"]].set_visible(False)


def attribution_logos(
    importance: dict[str, np.ndarray], truth: np.ndarray, motif_mask: np.ndarray, title: str = ""
) -> Figure:
    """Logos of one sequence: the ground truth, then each condition's importance.

    Parameters
    ----------
    importance : dict of str to np.ndarray
        Condition → ``(4, L)`` importance (attribution × one-hot input).
    truth : np.ndarray
        ``(4, L)`` ground-truth probabilities, drawn scaled by information content.
    motif_mask : np.ndarray
        ``(L,)`` bool, the planted motifs; shaded in every panel.
    """
    rows = {"truth": truth * information_content(truth[None])[0], **importance}
    fig, axes = plt.subplots(len(rows), 1, figsize=(12, 1.3 * len(rows)), sharex=True)
    axes = np.atleast_1d(axes)
    starts = np.flatnonzero(np.diff(np.concatenate([[0], motif_mask.astype(int), [0]])) == 1)
    ends = np.flatnonzero(np.diff(np.concatenate([[0], motif_mask.astype(int), [0]])) == -1)
    for ax, (name, matrix) in zip(axes, rows.items(), strict=True):
        _logo(ax, matrix, name)
        for start, end in zip(starts, ends, strict=True):
            ax.axvspan(start - 0.5, end - 0.5, color="gold", alpha=0.25, linewidth=0)
    axes[-1].set_xlabel("position")
    if title:
        axes[0].set_title(title)
    fig.tight_layout()
    return fig


def seed_distributions(
    runs: pd.DataFrame, metrics: list[str], reference: str | None = None
) -> Figure:
    """Distribution over seeds of per-model metrics, per condition (Tseng et al. Figure 4).

    Parameters
    ----------
    runs : DataFrame
        One row per trained model: ``dataset, model, condition, seed`` and the ``metrics``.
    metrics : list of str
        One column of panels per metric (e.g. ``valid_loss, test_accuracy, test_auroc``).
    reference : str, optional
        Condition drawn first (the no-prior baseline).

    Each row of panels is one dataset and model; each box one of its conditions, with the
    seeds drawn as points over it. A row shows only the metrics it has values for (binary
    and profile models have different test metrics); when rows differ, every panel has
    its own title and unused panels are left blank.
    """
    groups = list(runs.groupby(["dataset", "model"], sort=True))
    shown = [
        [m for m in metrics if m in table.columns and table[m].notna().any()] for _, table in groups
    ]
    uniform = all(row == list(metrics) for row in shown)
    n_cols = max((len(row) for row in shown), default=0) or 1
    fig, axes = plt.subplots(
        len(groups),
        n_cols,
        figsize=(2.6 * n_cols, 2.4 * len(groups)),
        squeeze=False,
    )
    for row, ((dataset, model), table) in enumerate(groups):
        conditions = _ordered(sorted(table["condition"].unique()), reference)
        for ax in axes[row, len(shown[row]) :]:
            ax.axis("off")
        for col, metric in enumerate(shown[row]):
            ax = axes[row, col]
            data = [table.loc[table["condition"] == c, metric].dropna() for c in conditions]
            ax.boxplot(data, showfliers=False)
            for i, values in enumerate(data, start=1):
                jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else 0.0
                ax.scatter(i + jitter, values, s=8, color="black", alpha=0.6)
            ax.set_xticks(range(1, len(conditions) + 1), conditions, rotation=45, ha="right")
            if row == 0 or not uniform:
                ax.set_title(RUN_METRIC_LABELS.get(metric, metric), fontsize="medium")
            if col == 0:
                ax.set_ylabel(f"{dataset}\n{model}")
    fig.tight_layout()
    return fig


def gc_reliance_series(summary: pd.DataFrame) -> Figure:
    """GC reliance against the positives' GC excess, per condition (Tseng et al. Figure 5).

    Parameters
    ----------
    summary : DataFrame
        ``gc_excess`` (fraction, e.g. 0.02), ``condition``, ``mean`` and ``sem`` (over
        seeds) of the GC reliance, and optionally ``model`` (one line per model and
        condition when there are several); more negative means heavier reliance on G/C
        vs A/T.
    """
    fig, ax = plt.subplots(figsize=(4.2, 3.2))
    several_models = summary["model"].nunique() > 1 if "model" in summary else False
    keys = ["model", "condition"] if several_models else ["condition"]
    for group, table in summary.groupby(keys, sort=True):
        label = " ".join(group) if isinstance(group, tuple) else group
        table = table.sort_values("gc_excess")
        ax.errorbar(
            100 * table["gc_excess"],
            table["mean"],
            yerr=table["sem"].fillna(0),
            marker="o",
            capsize=3,
            label=label,
        )
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("GC excess of training positives (%)")
    ax.set_ylabel(METRIC_LABELS["gc_reliance"])
    ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def ensemble_difference_curves(by_angle: pd.DataFrame) -> Figure:
    """Ensemble difference reduction against the raw map's angle to the simplex, one panel
    per model and one curve per dataset (Majdandzic et al., Supplementary Fig. 3).

    Parameters
    ----------
    by_angle : DataFrame
        ``dataset``, ``model``, ``angle_low``, ``angle_high``, ``n_positions`` and
        ``reduction_percent`` (:func:`attrprior.ensemble.reduction_by_angle`); empty bins
        are not drawn.
    """
    models = _ordered(by_angle["model"].unique())
    fig, axes = plt.subplots(
        1, len(models), figsize=(3.6 * len(models), 3.2), sharey=True, squeeze=False
    )
    for ax, model in zip(axes[0], models, strict=True):
        for dataset, table in by_angle[by_angle["model"] == model].groupby("dataset", sort=True):
            table = table[table["n_positions"] > 0]
            centre = (table["angle_low"] + table["angle_high"]) / 2
            ax.plot(centre, table["reduction_percent"], marker=".", label=dataset)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlim(-90, 90)
        ax.set_title(model, fontsize="medium")
        ax.set_xlabel("angle of the raw map to the simplex (°)")
        ax.legend(frameon=False, fontsize="small")
    axes[0][0].set_ylabel("ensemble difference reduction (%)")
    fig.tight_layout()
    return fig


def paired_sequence_scatter(
    per_sequence: pd.DataFrame, metrics: list[str], reference: str = "none"
) -> Figure:
    """Each sequence's metric with the reference condition against another condition
    (Tseng et al. Figure 2A–B: high-frequency Fourier share and entropy of attributions).

    Parameters
    ----------
    per_sequence : DataFrame
        ``dataset, model, condition, sequence`` and the ``metrics`` columns, one row per
        sequence (seeds already averaged).
    metrics : list of str
        One column of panels per metric.
    reference : str
        Condition on the x axis; every other condition is drawn against it in its own colour.

    Points below the diagonal have a lower value under the condition than under the
    reference (for both of Figure 2's metrics, lower is better).
    """
    groups = list(per_sequence.groupby(["dataset", "model"], sort=True))
    fig, axes = plt.subplots(
        len(groups), len(metrics), figsize=(3.2 * len(metrics), 3.0 * len(groups)), squeeze=False
    )
    for row, ((dataset, model), table) in enumerate(groups):
        wide = table.pivot_table(index="sequence", columns="condition", values=metrics)
        others = [c for c in sorted(table["condition"].unique()) if c != reference]
        for col, metric in enumerate(metrics):
            ax = axes[row, col]
            if reference in wide[metric]:
                for condition in others:
                    ax.scatter(
                        wide[metric][reference],
                        wide[metric][condition],
                        s=6,
                        alpha=0.5,
                        label=condition,
                    )
                values = wide[metric][[reference, *others]].to_numpy()
                low, high = np.nanmin(values), np.nanmax(values)
                ax.plot([low, high], [low, high], color="grey", linewidth=0.8)
            ax.set_xlabel(f"{METRIC_LABELS.get(metric, metric)}, {reference}")
            ax.set_ylabel("other condition")
            ax.set_title(f"{dataset} {model}", fontsize="medium")
            if row == 0 and col == 0 and others:
                ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def cumulative_recall_curves(recall: pd.DataFrame, reference: str | None = None) -> Figure:
    """Gold-standard instances hit by the top-k motif calls, per condition (Tseng et al.
    Figure 3B).

    Parameters
    ----------
    recall : DataFrame
        ``dataset, model, condition, rank, cumulative_hits`` (from
        :func:`attrprior.motif_instances.cumulative_recall`, one block per dataset, model and
        condition; calls ranked by total attribution).
    reference : str, optional
        Condition drawn first (the no-prior baseline).

    One panel per dataset and model, one line per condition.
    """
    groups = list(recall.groupby(["dataset", "model"], sort=True))
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(3.6 * max(len(groups), 1), 3.2))
    axes = np.atleast_1d(axes)
    for ax, ((dataset, model), table) in zip(axes, groups, strict=False):
        for condition in _ordered(sorted(table["condition"].unique()), reference):
            curve = table[table["condition"] == condition].sort_values("rank")
            ax.plot(curve["rank"], curve["cumulative_hits"], label=condition)
        ax.set_xlabel("motif calls, ranked by attribution")
        ax.set_ylabel("calls on gold-standard instances")
        ax.set_title(f"{dataset} {model}", fontsize="medium")
        ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path) -> None:
    """Save as PNG atomically and close the figure."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def motif_logos(motifs, labels: dict[str, str] | None = None) -> Figure:
    """Logos of discovered motifs (Tseng et al. Figure 3): CWM and IC-scaled PPM per motif.

    Parameters
    ----------
    motifs : sequence of attrprior.motifs.DiscoveredMotif
        Anything with ``name``, ``cwm`` and ``ppm`` (both ``(4, W)``, rows A, C, G, T).
    labels : dict of str to str, optional
        Motif name → extra text for its row title (e.g. the best database match).

    One row per motif: the contribution weight matrix on the left, the probability matrix
    scaled by its information content (bits, uniform background) on the right.
    """
    labels = labels or {}
    motifs = list(motifs)
    fig, axes = plt.subplots(
        max(len(motifs), 1),
        2,
        figsize=(9, 1.4 * max(len(motifs), 1)),
        squeeze=False,
        gridspec_kw={"width_ratios": [1, 1]},
    )
    for row, motif in enumerate(motifs):
        title = motif.name if motif.name not in labels else f"{motif.name}\n{labels[motif.name]}"
        ppm = np.asarray(motif.ppm, dtype=float)
        _logo(axes[row, 0], np.asarray(motif.cwm, dtype=float), title)
        _logo(axes[row, 1], ppm * information_content(ppm[None])[0], "")
        axes[row, 1].set_ylim(0, 2)
    axes[0, 0].set_title("CWM")
    axes[0, 1].set_title("PPM (bits)")
    if not motifs:
        for ax in axes[0]:
            ax.set_axis_off()
    fig.tight_layout()
    return fig
