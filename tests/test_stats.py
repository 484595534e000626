"""Summaries and one-sided tests, against hand-computed values and SciPy directly."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from attrprior.stats import (
    RUN_TEST_METRICS,
    alternative,
    best_over_seeds,
    compare_corrected_to_raw,
    compare_to_reference,
    format_mean_sem,
    mann_whitney,
    mean_sem,
    paired_wilcoxon,
    run_kind,
    seed_summary,
    sequence_summary,
    shown_scores,
    summarise_over_seeds,
    tie_rounded,
    to_markdown,
)


def test_mean_sem_by_hand():
    mean, sem, n = mean_sem([1.0, 2.0, 3.0, np.nan])
    assert (mean, n) == (2.0, 3)
    assert sem == pytest.approx(1 / math.sqrt(3))  # sd 1, n 3
    assert mean_sem([5.0])[1] != mean_sem([5.0])[1]  # NaN: no SEM from one seed
    assert mean_sem([])[2] == 0


def test_direction_follows_the_metric():
    assert alternative("cosine") == "greater"
    assert alternative("entropy") == "less"
    with pytest.raises(ValueError, match="bogus"):
        alternative("bogus")


def test_paired_wilcoxon_is_one_sided_in_the_better_direction():
    rng = np.random.default_rng(0)
    worse = rng.normal(size=40)
    better = worse + 0.5 + rng.normal(scale=0.1, size=40)
    p, n = paired_wilcoxon(better, worse, "cosine")
    assert n == 40 and p < 1e-6
    assert p == pytest.approx(sps.wilcoxon(better, worse, alternative="greater").pvalue)
    # For a lower-is-better metric the same numbers are evidence against.
    assert paired_wilcoxon(better, worse, "entropy")[0] > 0.99
    assert paired_wilcoxon(worse, worse, "cosine") == (1.0, 40)
    with_nan = better.copy()
    with_nan[0] = np.nan
    assert paired_wilcoxon(with_nan, worse, "cosine")[1] == 39


def test_round_off_neither_makes_nor_breaks_a_tie():
    # Per-sequence AUROCs are fractions; computed with another summation order they move
    # by an ulp, which made scipy see distinct differences where the true ones tie.
    worse = np.arange(1, 31) / 48
    better = worse + np.tile([1 / 48, 1 / 48, -1 / 96, 2 / 48, 0.0, 1 / 96], 5)
    nudged = better.copy()
    nudged[::2] = np.nextafter(nudged[::2], np.inf)
    nudged[1::4] = np.nextafter(nudged[1::4], -np.inf)
    exact = sps.wilcoxon(np.tile([2, 2, -1, 4, 0, 1], 5), alternative="greater").pvalue
    assert sps.wilcoxon(nudged, worse, alternative="greater").pvalue != pytest.approx(exact)
    assert paired_wilcoxon(nudged, worse, "auroc")[0] == pytest.approx(exact, rel=1e-12)
    assert paired_wilcoxon(better, worse, "auroc")[0] == pytest.approx(exact, rel=1e-12)
    # Differences that are round-off alone are zero, not signs to rank.
    assert sps.wilcoxon(np.nextafter(worse, np.inf), worse).pvalue < 1e-5
    assert paired_wilcoxon(np.nextafter(worse, np.inf), worse, "auroc") == (1.0, 30)
    # The same for independent samples.
    a, b = np.array([0.5, 0.75, 0.75, 1.0]), np.array([0.25, 0.5, 0.75])
    exact = sps.mannwhitneyu(a, b, alternative="greater").pvalue
    a_nudged = np.nextafter(a, np.inf)
    assert sps.mannwhitneyu(a_nudged, b, alternative="greater").pvalue != pytest.approx(exact)
    assert mann_whitney(a_nudged, b, "auroc")[0] == pytest.approx(exact, rel=1e-12)


def test_tie_rounding_keeps_scale_free_values():
    values = np.array([3e-7, -1e-7, np.nextafter(2e-7, 1.0), 2e-7])
    assert values[2] != values[3]
    rounded = tie_rounded(values)
    np.testing.assert_allclose(rounded, values / 3e-7, rtol=1e-9)
    assert rounded[2] == rounded[3]
    assert (tie_rounded(np.zeros(3)) == 0).all()
    # An infinite value neither sets the scale nor turns the others into NaN.
    with_inf = tie_rounded(np.array([np.inf, 0.5, 0.25]))
    assert with_inf[0] == np.inf and with_inf[1:].tolist() == [1.0, 0.5]
    # An explicit scale: differences of values near 1 that are round-off become 0.
    assert tie_rounded(np.array([2e-16, 0.5]), scale=1.0).tolist() == [0.0, 0.5]


def test_mann_whitney_matches_scipy():
    a, b = [5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0]
    p, n_a, n_b = mann_whitney(a, b, "auroc")
    assert (n_a, n_b) == (4, 3)
    # Complete separation: p = 1 / C(7, 3) = 1/35 exactly.
    assert p == pytest.approx(1 / 35)
    assert mann_whitney(a, b, "highfreq")[0] == pytest.approx(1.0)


def scores(effect=0.2, n_seq=12, seeds=(0, 1, 2)):
    rng = np.random.default_rng(1)
    base = rng.uniform(0.2, 0.6, n_seq)
    rows = []
    for condition, shift in (("none", 0.0), ("fourier", effect)):
        for seed in seeds:
            for corrected in (False, True):
                noise = rng.normal(scale=0.01, size=n_seq)
                value = base + shift + (0.1 if corrected else 0.0) + noise
                for i in range(n_seq):
                    rows.append(
                        {
                            "model": "m",
                            "condition": condition,
                            "seed": seed,
                            "method": "saliency",
                            "corrected": corrected,
                            "sequence": i,
                            "cosine": value[i],
                            "entropy": -value[i],
                        }
                    )
    return pd.DataFrame(rows)


def test_summarise_over_seeds_by_hand():
    table = pd.DataFrame(
        {"model": "m", "condition": "c", "seed": [0, 0, 1, 1], "cosine": [0.1, 0.3, 0.5, 0.7]}
    )
    summary = summarise_over_seeds(table, ["model", "condition"], ["cosine"])
    row = summary.iloc[0]
    # Per-seed means 0.2 and 0.6: mean 0.4, sd 0.2828, SEM 0.2.
    assert row["mean"] == pytest.approx(0.4)
    assert row["sem"] == pytest.approx(0.2)
    assert row["n_seeds"] == 2


def test_compare_against_reference_detect_an_improvement():
    result = compare_to_reference(scores(), ["cosine", "entropy"])
    assert set(result["condition"]) == {"fourier"}
    raw = result[~result["corrected"]].set_index("metric")
    assert raw.loc["cosine", "wilcoxon_p"] < 0.001
    assert raw.loc["cosine", "n_sequences"] == 12
    assert raw.loc["entropy", "wilcoxon_p"] < 0.001  # entropy fell: better
    assert raw.loc["cosine", "mannwhitney_p"] == pytest.approx(0.05)  # 3 vs 3, separated
    assert raw.loc["cosine", "mean_condition"] > raw.loc["cosine", "mean_reference"]
    no_effect = compare_to_reference(scores(effect=-0.2), ["cosine"])
    assert (no_effect["wilcoxon_p"] > 0.99).all()


def test_compare_without_sequences_give_only_mann_whitney():
    models = pd.DataFrame(
        {
            "model": "m",
            "condition": ["none"] * 3 + ["fourier"] * 3,
            "seed": [0, 1, 2] * 2,
            "test_auroc": [0.8, 0.81, 0.79, 0.9, 0.91, 0.92],
        }
    )
    result = compare_to_reference(models, ["test_auroc"], keys=("model",))
    assert np.isnan(result["wilcoxon_p"]).all()
    assert result["mannwhitney_p"].iloc[0] == pytest.approx(0.05)


def test_corrected_vs_raw():
    result = compare_corrected_to_raw(scores(), ["cosine"]).set_index("condition")
    assert (result["wilcoxon_p"] < 0.001).all()
    assert (result["mean_corrected"] - result["mean_raw"]).round(2).eq(0.1).all()


def test_format_mean_sem_and_markdown():
    summary = pd.DataFrame(
        {
            "model": ["m", "m"],
            "metric": ["cosine", "auroc"],
            "mean": [0.5, 0.25],
            "sem": [0.1, np.nan],
            "n_seeds": [3, 1],
        }
    )
    table = format_mean_sem(summary, ["model"])
    assert table.loc[0, "cosine"] == "0.500 ± 0.100"
    assert table.loc[0, "auroc"] == "0.250"
    text = to_markdown(
        pd.DataFrame({"metric": ["cosine"], "wilcoxon_p": [0.000123], "mean": [0.5]})
    )
    assert "1.23e-04" in text and "0.500" in text and text.startswith("| metric")


def test_best_over_seeds_follows_the_metric_direction():
    runs = pd.DataFrame(
        {
            "condition": ["none"] * 3 + ["fourier"] * 3,
            "seed": [0, 1, 2] * 2,
            "test_auroc": [0.7, 0.9, 0.8, 0.6, 0.65, np.nan],
            "valid_loss": [0.5, 0.3, 0.4, 0.2, 0.6, 0.4],
        }
    )
    table = best_over_seeds(runs, ["condition"], ["test_auroc", "valid_loss"]).set_index(
        ["condition", "metric"]
    )
    assert table.loc[("none", "test_auroc"), "best"] == 0.9
    assert table.loc[("none", "valid_loss"), "best"] == 0.3  # a loss: the minimum
    assert math.isclose(table.loc[("none", "test_auroc"), "mean"], 0.8)
    assert math.isclose(table.loc[("none", "test_auroc"), "sem"], 0.1 / math.sqrt(3))
    assert table.loc[("fourier", "test_auroc"), "n_seeds"] == 2  # the NaN is dropped
    assert table.loc[("fourier", "test_auroc"), "best"] == 0.65


def test_profile_metrics_lower_nll_and_jsd_are_better():
    runs = pd.DataFrame(
        {
            "condition": ["none"] * 2,
            "seed": [0, 1],
            "test_nll": [120.0, 110.0],
            "test_jsd": [0.3, 0.4],
            "test_count_pearson": [0.5, 0.6],
        }
    )
    metrics = ["test_nll", "test_jsd", "test_count_pearson"]
    table = best_over_seeds(runs, ["condition"], metrics).set_index("metric")
    assert table["best"].to_dict() == {
        "test_nll": 110.0,
        "test_jsd": 0.3,
        "test_count_pearson": 0.6,
    }
    assert alternative("test_nll") == alternative("test_jsd") == "less"
    assert alternative("test_count_spearman") == "greater"
    assert run_kind(["model", "seed", *RUN_TEST_METRICS["profile"]]) == "profile"
    assert run_kind(["model", "test_auroc", "test_aupr", "test_accuracy"]) == "binary"
    with pytest.raises(ValueError, match="none of the metric sets"):
        run_kind(["model", "test_auroc"])


def test_sequence_summary_tests_each_condition_against_the_reference():
    rng = np.random.default_rng(4)
    base = rng.normal(100, 5, size=30)
    rows = [
        {"dataset": "d", "model": "m", "condition": c, "sequence": i, "stability": v}
        for c, values in (("none", base), ("fourier", base + 10 + rng.normal(0, 1, 30)))
        for i, v in enumerate(values)
    ]
    table = sequence_summary(pd.DataFrame(rows), "stability", "none").set_index("condition")
    assert math.isclose(table.loc["none", "mean"], base.mean())
    assert table.loc["none", "n_sequences"] == 30
    assert np.isnan(table.loc["none", "wilcoxon_p"])
    fourier = pd.DataFrame(rows).query("condition == 'fourier'")["stability"].to_numpy()
    expected = sps.wilcoxon(fourier, base, alternative="greater").pvalue
    assert math.isclose(table.loc["fourier", "wilcoxon_p"], expected)
    assert expected < 1e-6
    # Swapping the roles: "none" is not more stable than "fourier".
    swapped = sequence_summary(pd.DataFrame(rows), "stability", "fourier").set_index("condition")
    assert swapped.loc["none", "wilcoxon_p"] > 0.99


def test_sequence_summary_averages_seeds_and_follows_the_metric_direction():
    # summit_spearman: lower is better; two seeds per sequence are averaged first.
    rng = np.random.default_rng(7)
    rows = [
        {
            "dataset": "d",
            "model": "m",
            "condition": condition,
            "seed": seed,
            "sequence": i,
            "summit_spearman": centre + rng.normal(0, 0.05),
        }
        for i in range(12)
        for condition, centre in (("none", -0.3), ("fourier", -0.4))
        for seed in range(2)
    ]
    table = sequence_summary(pd.DataFrame(rows), "summit_spearman").set_index("condition")
    per_sequence = pd.DataFrame(rows).groupby(["condition", "sequence"])["summit_spearman"].mean()
    assert math.isclose(table.loc["fourier", "mean"], per_sequence["fourier"].mean())
    assert table.loc["fourier", "n_sequences"] == 12
    expected = sps.wilcoxon(per_sequence["fourier"], per_sequence["none"], alternative="less")
    assert math.isclose(table.loc["fourier", "wilcoxon_p"], expected.pvalue)


def test_seed_summary_mann_whitney_over_seeds():
    rows = [
        {"dataset": "d", "model": "m", "condition": c, "seed": seed, "peaks_auprc": v}
        for c, values in (("none", [0.50, 0.52, 0.51]), ("fourier", [0.60, 0.58, 0.62]))
        for seed, v in enumerate(values)
    ]
    table = seed_summary(pd.DataFrame(rows), "peaks_auprc").set_index("condition")
    assert math.isclose(table.loc["fourier", "mean"], 0.6)
    assert math.isclose(table.loc["fourier", "sem"], sps.sem([0.60, 0.58, 0.62]))
    assert table.loc["fourier", "n_seeds"] == 3
    expected = sps.mannwhitneyu([0.60, 0.58, 0.62], [0.50, 0.52, 0.51], alternative="greater")
    assert math.isclose(table.loc["fourier", "mannwhitney_p"], expected.pvalue)
    assert np.isnan(table.loc["none", "mannwhitney_p"])


def test_shown_scores_keeps_raw_maps_of_the_method_models_and_conditions():
    scores = pd.DataFrame(
        {
            "model": ["a", "a", "a", "b", "a"],
            "condition": ["none", "none", "fourier", "none", "l2"],
            "method": ["deepshap", "deepshap", "deepshap", "deepshap", "deepshap"],
            "corrected": [False, True, False, False, False],
        }
    )
    shown = shown_scores(scores, "deepshap", models=["a"], conditions=["none", "fourier"])
    assert list(shown.index) == [0, 2]
    assert shown_scores(scores, "saliency", ["a"], ["none"]).empty


def test_top_seeds_and_kept_validation_loss():
    from attrprior.stats import kept_validation_loss, top_seeds

    losses = {0: 0.30, 1: 0.25, 2: 0.40, 3: 0.25, 4: 0.20}
    # The 3 lowest: 0.20 (seed 4), 0.25 (seeds 1 and 3: ties by seed), returned sorted.
    assert top_seeds(losses, 3) == [1, 3, 4]
    assert top_seeds(losses, 10) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="k must be"):
        top_seeds(losses, 0)
    history = pd.DataFrame(
        {"valid_correctness": [0.5, 0.4, 0.45, 0.42], "best": [True, True, False, False]}
    )
    assert kept_validation_loss(history) == 0.4
    with pytest.raises(ValueError, match="no epoch is marked best"):
        kept_validation_loss(history.assign(best=False))


def test_choose_weight_takes_the_lowest_mean_validation_loss():
    from attrprior.stats import choose_weight

    runs = pd.DataFrame(
        {
            "weight": [0.1, 0.01, 0.1, 0.01, 1.0, 1.0],
            "seed": [10000, 10000, 10001, 10001, 10000, 10001],
            # means by hand: 0.01 -> 0.30, 0.1 -> 0.25, 1.0 -> 0.40
            "valid_loss": [0.2, 0.4, 0.3, 0.2, 0.5, 0.3],
        }
    )
    table = choose_weight(runs)
    assert table["weight"].tolist() == [0.01, 0.1, 1.0]
    np.testing.assert_allclose(table["valid_loss_mean"], [0.30, 0.25, 0.40])
    np.testing.assert_allclose(table["valid_loss_sem"], [0.1, 0.05, 0.1])
    assert table["n_seeds"].tolist() == [2, 2, 2]
    assert table["chosen"].tolist() == [False, True, False]
    # A tie goes to the smaller weight.
    tie = runs.assign(valid_loss=[0.3, 0.3, 0.3, 0.3, 0.9, 0.9])
    assert choose_weight(tie)["chosen"].tolist() == [True, False, False]


def test_choose_weight_refuses_bad_runs():
    from attrprior.stats import choose_weight

    runs = pd.DataFrame({"weight": [0.1, 1.0], "seed": [0, 0], "valid_loss": [0.2, np.nan]})
    with pytest.raises(ValueError, match="not finite"):
        choose_weight(runs)
    with pytest.raises(ValueError, match="missing columns"):
        choose_weight(runs.drop(columns="seed"))
    with pytest.raises(ValueError, match="no tuning run"):
        choose_weight(runs.iloc[:0])
