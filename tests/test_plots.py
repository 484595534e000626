"""Figures are built from score tables with one panel per method / metric / condition."""

import numpy as np
import pandas as pd

from attrprior.plots import (
    angle_histograms,
    attribution_logos,
    cumulative_recall_curves,
    gc_reliance_series,
    metric_distributions,
    paired_sequence_scatter,
    raw_vs_corrected,
    save_figure,
    seed_distributions,
)


def sequences():
    rng = np.random.default_rng(0)
    rows = []
    for condition in ("none", "fourier"):
        for seed in (0, 1):
            for method in ("saliency", "deepshap"):
                for corrected in (False, True):
                    for sequence in range(5):
                        rows.append(
                            {
                                "model": "m",
                                "condition": condition,
                                "seed": seed,
                                "method": method,
                                "corrected": corrected,
                                "sequence": sequence,
                                "cosine": rng.uniform(),
                                "auroc": rng.uniform(),
                            }
                        )
    return pd.DataFrame(rows)


def test_metric_distributions_grid(tmp_path):
    fig = metric_distributions(sequences(), ["cosine", "auroc"], reference="none")
    assert len(fig.axes) == 2 * 2  # metrics x methods
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["none", "fourier"]  # the reference first
    save_figure(fig, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_raw_vs_corrected_has_a_point_per_sequence_and_condition():
    fig = raw_vs_corrected(sequences())
    assert len(fig.axes) == 2 * 2
    points = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert points == 2 * 5  # 2 conditions x 5 sequences, averaged over seeds


def test_angle_histograms_one_line_per_condition():
    edges = np.linspace(-90, 90, 7)
    rows = [
        {
            "condition": c,
            "seed": s,
            "method": "saliency",
            "bin_left": lo,
            "bin_right": hi,
            "count": 3,
        }
        for c in ("none", "fourier")
        for s in (0, 1)
        for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    ]
    fig = angle_histograms(pd.DataFrame(rows))
    assert len(fig.axes) == 1
    assert len(fig.axes[0].patches) == 2  # one stairs line per condition


def test_logos_rows_and_motif_shading():
    truth = np.full((4, 30), 0.25)
    truth[:, 10:15] = np.eye(4)[[0, 1, 2, 3, 0]].T
    mask = np.zeros(30, bool)
    mask[10:15] = True
    importance = {"none": np.random.default_rng(1).normal(size=(4, 30))}
    fig = attribution_logos(importance, truth, mask, title="t")
    assert len(fig.axes) == 2  # truth + one condition
    shaded = [p for p in fig.axes[1].patches if p.get_alpha() == 0.25]
    assert len(shaded) == 1


def test_seed_distributions_one_row_per_dataset_model_and_points_per_seed():
    runs = pd.DataFrame(
        [
            {
                "dataset": d,
                "model": "m",
                "condition": c,
                "seed": s,
                "test_auroc": 0.5 + s / 10,
                "valid_loss": 0.3,
            }
            for d in ("a", "b")
            for c in ("fourier", "none")
            for s in range(3)
        ]
        # A condition only one dataset has, with a single seed.
        + [
            {
                "dataset": "b",
                "model": "m",
                "condition": "l2",
                "seed": 0,
                "test_auroc": 0.7,
                "valid_loss": 0.2,
            }
        ]
    )
    fig = seed_distributions(runs, ["valid_loss", "test_auroc"], reference="none")
    assert len(fig.axes) == 2 * 2  # (dataset, model) rows x metrics
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["none", "fourier"]
    points = sum(len(c.get_offsets()) for c in fig.axes[1].collections)
    assert points == 2 * 3  # conditions x seeds
    labels = [t.get_text() for t in fig.axes[2].get_xticklabels()]
    assert labels == ["none", "fourier", "l2"]


def test_seed_distributions_profile_rows_show_their_own_metrics():
    binary = {"test_auroc": 0.8, "test_nll": np.nan, "test_jsd": np.nan}
    profile = {"test_auroc": np.nan, "test_nll": 150.0, "test_jsd": 0.2}
    runs = pd.DataFrame(
        [
            {"dataset": d, "model": m, "condition": c, "seed": s, "valid_loss": 0.3, **values}
            for d, m, values in (("a", "binary", binary), ("b", "profile", profile))
            for c in ("none", "fourier")
            for s in range(2)
        ]
    )
    fig = seed_distributions(runs, ["valid_loss", "test_auroc", "test_nll", "test_jsd"])
    assert len(fig.axes) == 2 * 3  # rows x the most metrics a row has
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "validation loss (kept epoch)",
        "test auROC",
        "",
        "validation loss (kept epoch)",
        "test profile NLL",
        "test profile JSD",
    ]
    assert not fig.axes[2].axison  # the binary row has no third metric


def test_gc_reliance_series_one_line_per_condition_in_percent():
    summary = pd.DataFrame(
        {
            "model": "m",
            "condition": ["none", "none", "fourier", "fourier"],
            "gc_excess": [0.0, 0.04, 0.0, 0.04],
            "mean": [-0.01, -0.05, -0.01, -0.02],
            "sem": [0.001, 0.002, 0.001, np.nan],
        }
    )
    fig = gc_reliance_series(summary)
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 2]
    xs = sorted(tuple(line.get_xdata()) for line in lines if line.get_linestyle() != "--")
    assert (0.0, 4.0) in xs
    assert sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts()) == [
        "fourier",
        "none",
    ]


def test_paired_sequence_scatter_points_per_sequence_against_the_reference():
    rng = np.random.default_rng(1)
    per_sequence = pd.DataFrame(
        [
            {
                "dataset": "d",
                "model": "m",
                "condition": condition,
                "sequence": sequence,
                "highfreq": rng.random(),
                "entropy": 9 + rng.random(),
            }
            for condition in ("none", "fourier", "l2")
            for sequence in range(7)
        ]
    )
    fig = paired_sequence_scatter(per_sequence, ["highfreq", "entropy"], "none")
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert [c.get_offsets().shape for c in ax.collections] == [(7, 2), (7, 2)]
    wide = per_sequence.pivot_table(index="sequence", columns="condition", values="highfreq")
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], wide["none"])
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], wide["fourier"])
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["fourier", "l2"]


def test_cumulative_recall_curves_one_line_per_condition():
    recall = pd.DataFrame(
        {
            "dataset": "d",
            "model": "m",
            "condition": ["fourier"] * 3 + ["none"] * 2,
            "rank": [1, 2, 3, 1, 2],
            "cumulative_hits": [1, 2, 3, 0, 1],
        }
    )
    fig = cumulative_recall_curves(recall, reference="none")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["none", "fourier"]
    np.testing.assert_array_equal(lines[1].get_ydata(), [1, 2, 3])
