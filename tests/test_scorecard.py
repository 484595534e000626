"""Tests for attrprior.scorecard: the papers' values, the verdict rule and claim measurement."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attrprior import claims, paper_values
from attrprior import scorecard as S
from attrprior.stats import HIGHER_IS_BETTER

PAPERS = Path(__file__).resolve().parents[2] / "shared" / "papers"
PAPER_FILES = {
    "tseng2020": "000_61fde7bb1f8b7d2e.txt",
    "majdandzic2023": "004_a3d1e6722aca52b5.txt",
}


# ---------------------------------------------------------------------------------------------
# The papers' values
# ---------------------------------------------------------------------------------------------


def test_paper_values_hold_the_tables_cells():
    values = paper_values.paper_values()
    assert set(values["paper"]) == {"tseng2020", "majdandzic2023"}
    assert np.isfinite(values["value"]).all()
    # Table 2, SPI1 binary: 95.6 ± 1.0 | 134.3 ± 1.0 | 29.8 ± 0.7 | 42.0 ± 0.8.
    spi1 = values[
        (values["target"] == "table2")
        & (values["dataset"] == "spi1")
        & (values["model"] == "binary")
    ].set_index(["condition", "statistic"])["value"]
    assert spi1[("none", "mean")] == 95.6 and spi1[("fourier", "mean")] == 134.3
    assert spi1[("none_vs_keep1", "sem")] == 0.7 and spi1[("fourier_vs_keep1", "mean")] == 42.0
    # Table 1 accuracies are fractions; Section 7's fractions as printed.
    acc = values[(values["target"] == "table1") & (values["metric"] == "test_accuracy")]
    assert acc["value"].between(0.8, 1).all()
    sim = values[(values["target"] == "table_simulation") & (values["statistic"] == "mean")]
    assert sorted(sim["value"]) == [0.218, 0.659]


def test_every_table_cell_is_present_once():
    values = paper_values.paper_values()
    cells = values[values["source"].isin(["Table 1", "Table 2", "Table 3", "Table 4"])]
    cells = cells[cells["statistic"].isin(["mean", "sem", "best", "value"])]
    # Table 1: 4 datasets x 3 metrics x 2; Table 2: 8 rows x 4 cells, each mean and SEM;
    # Table 3: 8 rows x (2 mean-and-SEM cells + 2 values); Table 4: 4 rows x the same 6.
    counts = cells.groupby("source").size().to_dict()
    assert counts == {"Table 1": 24, "Table 2": 64, "Table 3": 48, "Table 4": 24}
    keys = ["source", "model", "dataset", "condition", "metric", "statistic"]
    assert not cells.duplicated(keys).any()


@pytest.mark.skipif(not PAPERS.is_dir(), reason="the papers' texts are not next to this checkout")
def test_every_quote_is_in_its_paper():
    values = paper_values.paper_values()
    for paper, name in PAPER_FILES.items():
        text = " ".join((PAPERS / name).read_text().split())
        quotes = values.loc[values["paper"] == paper, "quote"]
        missing = [q for q in quotes if " ".join(q.split()) not in text]
        assert not missing, missing[:3]


def test_paper_value_text():
    rows = pd.DataFrame({"statistic": ["mean", "sem", "p_upper"], "value": [0.659, 0.027, 1e-6]})
    assert paper_values.paper_value_text(rows) == "0.659 ± 0.027, p < 1e-06"
    rows = pd.DataFrame({"statistic": ["range_low", "range_high"], "value": [0.2, 0.4]})
    assert paper_values.paper_value_text(rows) == "0.2–0.4"
    assert paper_values.paper_value_text(rows.iloc[0:0]) == ""


# ---------------------------------------------------------------------------------------------
# The verdict rule
# ---------------------------------------------------------------------------------------------


def test_smallest_p_values_are_those_of_scipys_exact_tests():
    # All 6 differences positive: the exact one-sided signed-rank p is 2^-6.
    p = stats.wilcoxon(np.arange(1, 7), np.zeros(6), alternative="greater").pvalue
    assert claims.smallest_p_value("wilcoxon", 6) == pytest.approx(p) == 2**-6
    # Complete separation of 3 vs 4 values: 1 / C(7, 3) = 1/35.
    p = stats.mannwhitneyu([5, 6, 7], [1, 2, 3, 4], alternative="greater", method="exact").pvalue
    assert claims.smallest_p_value("mannwhitney", 3, 4) == pytest.approx(p) == 1 / 35
    # 30 vs 30 seeds can reach 1e-6; 5 vs 5 cannot (1/252).
    assert (
        claims.smallest_p_value("mannwhitney", 30, 30)
        < 1e-6
        < claims.smallest_p_value("mannwhitney", 5, 5)
    )
    # From 8 values per side SciPy uses the normal approximation: its bound, not the exact
    # one (10 vs 10: exact 5.4e-6, approximate about 9e-5).
    p = stats.mannwhitneyu(np.arange(10, 20), np.arange(10), alternative="greater").pvalue
    assert claims.smallest_p_value("mannwhitney", 10, 10) == pytest.approx(p)
    assert claims.smallest_p_value("mannwhitney", 10, 10) > 1 / math.comb(20, 10)
    # Over 50 pairs the signed-rank test is approximate too.
    p = stats.wilcoxon(np.arange(1, 61), np.zeros(60), alternative="greater").pvalue
    assert claims.smallest_p_value("wilcoxon", 60) == pytest.approx(p)
    assert claims.smallest_p_value("wilcoxon", 0) == 1.0
    with pytest.raises(ValueError, match="unknown test"):
        claims.smallest_p_value("ttest", 3)


@pytest.mark.parametrize(
    ("effect", "sign", "p", "alpha", "smallest", "seeds", "verdict"),
    [
        (0.1, 1, 1e-8, 1e-6, 1e-30, 30, "reproduced"),
        (-0.1, -1, 1e-8, 1e-6, 1e-30, 30, "reproduced"),  # lower is better, lower it is
        (0.1, 1, 1e-5, 1e-6, 1e-30, 30, "not reproduced"),  # right sign, not significant
        (-0.1, 1, 1e-8, 1e-6, 1e-30, 30, "not reproduced"),  # wrong sign
        (0.1, 1, 0.004, 1e-6, 1 / 252, 5, "underpowered"),  # 5 vs 5 seeds cannot reach 1e-6
        (0.1, 1, 1e-8, 1e-6, 1e-30, 2, "underpowered"),  # too few seeds
        (-0.1, 1, 0.9, 1e-6, 1e-30, 2, "underpowered"),  # too few seeds, whatever the sign
        (np.nan, 1, np.nan, 0.05, 1.0, 0, "not run"),
        (0.1, 1, np.nan, 0.05, 1e-30, 3, "not reproduced"),  # no p: never reproduced
    ],
)
def test_direction_verdict(effect, sign, p, alpha, smallest, seeds, verdict):
    assert claims.direction_verdict(effect, sign, p, alpha, smallest, seeds) == verdict


def test_range_and_claim_verdicts():
    assert claims.range_verdict(0.3, 0.2, 0.4) == "reproduced"
    assert claims.range_verdict(0.4, 0.2, 0.4) == "reproduced"
    assert claims.range_verdict(0.41, 0.2, 0.4) == "not reproduced"
    assert claims.range_verdict(np.nan, 0.2, 0.4) == "not run"
    assert claims.claim_verdict(["reproduced", "reproduced"]) == "reproduced"
    assert claims.claim_verdict(["reproduced", "underpowered"]) == "underpowered"
    assert claims.claim_verdict(["underpowered", "not reproduced"]) == "not reproduced"
    assert claims.claim_verdict(["not run", "reproduced"]) == "reproduced"
    assert claims.claim_verdict([]) == "not run"
    with pytest.raises(ValueError, match="unknown verdicts"):
        claims.claim_verdict(["maybe"])


def test_claims_are_well_formed():
    from attrprior.claims import CLAIMS

    ids = [claim.id for claim in CLAIMS]
    assert len(ids) == len(set(ids))
    targets = {
        "table1",
        "table2",
        "table3",
        "table4",
        "table_simulation",
        "table_baselines",
        "fig2",
        "fig5",
        "fig1_koo",
        "fig_koo_ensemble",
    }
    for claim in CLAIMS:
        assert claim.target in targets
        assert claim.test in ("wilcoxon", "mannwhitney", "range")
        if claim.compare == "range":
            assert claim.low < claim.high
        else:
            assert claim.metric in HIGHER_IS_BETTER


# ---------------------------------------------------------------------------------------------
# Measuring claims on score tables
# ---------------------------------------------------------------------------------------------


def sequence_scores(n_seeds, n_sequences=30, shift=0.05, seed=0):
    """Per-sequence scores of one model: 'fourier' has lower entropy than 'none' by
    ``shift`` on every sequence (plus noise), raw and corrected saliency and DeepSHAP."""
    rng = np.random.default_rng(seed)
    base = rng.normal(8.0, 0.2, n_sequences)
    rows = []
    for condition, offset in (("none", 0.0), ("fourier", -shift)):
        for s in range(n_seeds):
            for method in ("deepshap", "saliency"):
                for corrected in (False, True):
                    noise = rng.normal(0, 0.001, n_sequences)
                    cosine = 0.2 + 0.05 * corrected + rng.normal(0, 0.001, n_sequences)
                    rows.append(
                        pd.DataFrame(
                            {
                                "model": "tseng_binary",
                                "condition": condition,
                                "seed": s,
                                "sequence": np.arange(n_sequences),
                                "method": method,
                                "corrected": corrected,
                                "entropy": base + offset + noise,
                                "cosine": cosine,
                            }
                        )
                    )
    return pd.concat(rows, ignore_index=True)


def score_tables(sequences, **kw):
    settings = dict(
        pooled={},
        models={},
        angle_fractions={},
        stability=None,
        target_datasets={"fig2": ["d"], "fig1_koo": ["d"]},
        methods={"d": "deepshap"},
        reference={"d": "none"},
        activations={},
        architectures={"tseng_binary": "tseng_binary"},
        gc_excess={},
        paper_datasets={"d": "spi1"},
    )
    settings.update(kw)
    return S.ScoreTables(sequences={"d": sequences}, **settings)


def entropy_claim():
    (claim,) = [c for c in claims.CLAIMS if c.id == "tseng_entropy"]
    return claim


def test_a_clear_effect_over_enough_seeds_is_reproduced():
    units = S.measure_claim(entropy_claim(), score_tables(sequence_scores(n_seeds=3)))
    (unit,) = units.to_dict("records")
    assert unit["verdict"] == "reproduced"
    assert unit["effect"] == pytest.approx(-0.05, abs=1e-3)
    assert unit["n"] == 30 and unit["n_seeds"] == 3 and unit["method"] == "deepshap"
    # The p-value is the one-sided paired Wilcoxon of the seed-averaged sequences.
    scores = sequence_scores(n_seeds=3)
    raw = scores[(scores["method"] == "deepshap") & ~scores["corrected"]]
    by = raw.pivot_table(index="sequence", columns="condition", values="entropy")
    p = stats.wilcoxon(by["fourier"], by["none"], alternative="less").pvalue
    assert unit["p"] == pytest.approx(p)
    assert p < 1e-6  # 30 sequences all in one direction: 2^-30


def test_two_seeds_are_underpowered_and_a_reversed_effect_is_not_reproduced():
    units = S.measure_claim(entropy_claim(), score_tables(sequence_scores(n_seeds=2)))
    assert list(units["verdict"]) == ["underpowered"]
    reversed_ = S.measure_claim(
        entropy_claim(), score_tables(sequence_scores(n_seeds=3, shift=-0.05))
    )
    assert list(reversed_["verdict"]) == ["not reproduced"]
    # Too few sequences to reach the paper's 1e-6: 2^-10 > 1e-6.
    few = S.measure_claim(entropy_claim(), score_tables(sequence_scores(3, n_sequences=10)))
    assert list(few["verdict"]) == ["underpowered"]


def test_a_target_that_did_not_run_leaves_its_claims_not_run():
    tables = score_tables(sequence_scores(n_seeds=3), target_datasets={})
    summary, units = S.scorecard(tables)
    assert len(units) == 0
    assert set(summary["verdict"]) == {"not run"}
    assert list(summary["claim"]) == [claim.id for claim in claims.CLAIMS]


def test_correction_claims_compare_corrected_with_raw_maps_of_every_method():
    (claim,) = [c for c in claims.CLAIMS if c.id == "koo_correction_cosine"]
    units = S.measure_claim(claim, score_tables(sequence_scores(n_seeds=3)))
    # Majdandzic et al.'s gradient methods only: DeepSHAP is not one of them.
    assert list(units["method"]) == ["saliency"]
    assert (units["verdict"] == "reproduced").all()
    assert units["effect"].to_numpy() == pytest.approx([0.05], abs=1e-3)


def test_the_ensemble_claim_pairs_each_members_corrected_and_raw_distance():
    """Per ensemble (model), a one-sided paired Wilcoxon over its members that the corrected
    map is closer to the average; the members count as the seeds."""
    (claim,) = [c for c in claims.CLAIMS if c.id == "koo_ensemble_difference"]
    rng = np.random.default_rng(3)
    raw = rng.uniform(1.0, 2.0, 10)
    members = pd.DataFrame(
        {
            "model": ["cnn_shallow_relu"] * 10 + ["cnn_deep_relu"] * 10,
            "method": "saliency",
            "member": list(range(10)) * 2,
            "raw_distance": np.concatenate([raw, raw]),
            # Closer after correction for the shallow model, farther for the deep one.
            "corrected_distance": np.concatenate([0.8 * raw, 1.1 * raw]),
        }
    )
    tables = score_tables(
        sequence_scores(n_seeds=3),
        target_datasets={"fig_koo_ensemble": ["d"]},
        ensembles={"d": members},
    )
    units = S.measure_claim(claim, tables).set_index("model")
    shallow, deep = units.loc["cnn_shallow_relu"], units.loc["cnn_deep_relu"]
    assert shallow["verdict"] == "reproduced" and shallow["p"] == pytest.approx(0.5**10)
    assert shallow["effect"] == pytest.approx(-0.2 * raw.mean())
    assert (shallow["n"], shallow["n_seeds"], shallow["better"]) == (10, 10, "corrected")
    assert deep["verdict"] == "not reproduced"
    two = S.measure_claim(claim, replace(tables, ensembles={"d": members.iloc[[0, 1]]}))
    assert list(two["verdict"]) == ["underpowered"]  # 2 members: fewer than 3 "seeds"


def test_range_claims_average_seeds_of_raw_saliency():
    (claim,) = [c for c in claims.CLAIMS if c.id == "koo_angles_above_30"]
    fractions = pd.DataFrame(
        {
            "model": "m",
            "condition": ["none", "none", "none", "fourier"],
            "seed": [0, 1, 0, 0],
            "method": ["saliency", "saliency", "deepshap", "saliency"],
            "above_30": [0.30, 0.50, 0.9, 0.9],
        }
    )
    tables = score_tables(sequence_scores(1), angle_fractions={"d": fractions})
    (unit,) = S.measure_claim(claim, tables).to_dict("records")
    assert unit["mean_better"] == pytest.approx(0.40) and unit["verdict"] == "reproduced"
    fractions.loc[1, "above_30"] = 0.52
    (unit,) = S.measure_claim(claim, tables).to_dict("records")
    assert unit["verdict"] == "not reproduced"


def test_the_scorecard_shows_the_papers_values_of_the_datasets_run():
    tables = score_tables(sequence_scores(n_seeds=3), target_datasets={"table2": ["d"]})
    stability = pd.DataFrame(
        {
            "dataset": "d",
            "model": "tseng_binary",
            "condition": np.repeat(["none", "fourier"], 30),
            "comparison": "across seeds",
            "sequence": np.tile(np.arange(30), 2),
            "stability": np.r_[np.full(30, 1.0), np.linspace(1.1, 1.5, 30)],
        }
    )
    # The seeds come from the per-sequence scores (3 per condition), not from Table 1.
    tables.stability = stability
    summary, _ = S.scorecard(tables)
    row = summary.set_index("claim").loc["tseng_stability"]
    assert row["verdict"] == "reproduced" and row["n_seeds"] == 3
    # The SPI1 binary row of Table 2, and the paper's level; not the other datasets'.
    assert "none: 95.6 ± 1; fourier: 134.3 ± 1 (spi1 binary)" in row["paper_value"]
    assert "p < 1e-06" in row["paper_value"] and "gata2" not in row["paper_value"]
    markdown = S.scorecard_markdown(summary)
    assert markdown.count("\n") == len(claims.CLAIMS) + 2
    assert math.isnan(summary.set_index("claim").loc["koo_angles_above_30", "alpha"])


def test_add_paper_values_puts_the_papers_cells_beside_ours():
    ours = pd.DataFrame(
        {
            "dataset": ["spi1_encode", "spi1_encode", "mine", "spi1_encode"],
            "model": ["tseng_binary", "tseng_binary", "tseng_binary", "tseng_profile"],
            "condition": ["none", "fourier", "none", "none"],
            "metric": ["test_auroc", "test_accuracy", "test_auroc", "test_auroc"],
            "best": [0.9, 0.8, 0.7, 0.6],
        }
    )
    models = paper_values.paper_models(
        {"tseng_binary": "tseng_binary", "tseng_profile": "tseng_profile"}, {}
    )
    assert models == {"tseng_binary": "binary", "tseng_profile": "profile"}
    out = paper_values.add_paper_values(ours, "table1", {"spi1_encode": "spi1"}, models)
    # Table 1, SPI1: auROC 0.954 without the prior, accuracy 88.347 % with it; a dataset
    # without paper_dataset and the profile model (not in Table 1) get none.
    np.testing.assert_allclose(out["paper_best"], [0.954, 0.88347, np.nan, np.nan])
    assert "paper_mean" not in out.columns and list(out["best"]) == list(ours["best"])
    # Table 2's all-vs-1% rows look the paper's condition up under another name.
    stability = pd.DataFrame(
        {"dataset": ["d", "d"], "model": ["m", "m"], "condition": ["none", "fourier"]}
    )
    out = paper_values.add_paper_values(
        stability,
        "table2",
        {"d": "gata2"},
        {"m": "profile"},
        metric="stability",
        condition=["none", "fourier_vs_keep1"],
    )
    np.testing.assert_allclose(out["paper_mean"], [369.1, 121.6])
    np.testing.assert_allclose(out["paper_sem"], [10.1, 5.9])
    assert paper_values.paper_model_name("cnn_deep", "exponential") == "cnn_deep_exp"


def test_model_kind_claims_skip_other_models():
    # Table 3's auPRC claim is about profile models: a binary model's drop does not count.
    (claim,) = [c for c in claims.CLAIMS if c.id == "tseng_peaks_auprc"]
    pooled = pd.DataFrame(
        {
            "model": ["tseng_binary"] * 6 + ["tseng_profile"] * 6,
            "condition": (["none"] * 3 + ["fourier"] * 3) * 2,
            "seed": [0, 1, 2] * 4,
            "method": "deepshap",
            "corrected": False,
            "peaks_auprc": [0.6, 0.61, 0.62, 0.5, 0.51, 0.52, 0.4, 0.41, 0.42, 0.5, 0.51, 0.52],
        }
    )
    tables = score_tables(
        sequence_scores(1),
        pooled={"d": pooled},
        target_datasets={"table3": ["d"]},
        architectures={"tseng_binary": "tseng_binary", "tseng_profile": "tseng_profile"},
    )
    units = S.measure_claim(claim, tables)
    assert list(units["model"]) == ["tseng_profile"]
    # 3 vs 3 seeds by Mann-Whitney cannot reach 0.05 (1/20): underpowered.
    assert list(units["verdict"]) == ["underpowered"]


def test_section_8_claims_compare_validation_losses_over_seeds():
    (claim,) = [c for c in claims.CLAIMS if c.id == "tseng_vs_smoothness_valid_loss"]
    assert claim.alpha == 5e-4 and claim.worse == "smoothness"
    models = pd.DataFrame(
        {
            "model": "tseng_binary",
            "condition": ["fourier"] * 10 + ["smoothness"] * 10,
            "seed": list(range(10)) * 2,
            "valid_loss": np.r_[np.linspace(0.20, 0.25, 10), np.linspace(0.26, 0.30, 10)],
        }
    )
    tables = score_tables(
        sequence_scores(1), models={"d": models}, target_datasets={"table_baselines": ["d"]}
    )
    (unit,) = S.measure_claim(claim, tables).to_dict("records")
    assert unit["effect"] < 0 and unit["n_seeds"] == 10
    p = stats.mannwhitneyu(
        models["valid_loss"][:10], models["valid_loss"][10:], alternative="less"
    ).pvalue
    assert unit["p"] == pytest.approx(p) and p < 5e-4 and unit["verdict"] == "reproduced"


def test_a_dataset_without_attributions_is_measured_on_its_test_metrics():
    # An encode_regions dataset (no attribution section, no method) in Table 1.
    (claim,) = [c for c in claims.CLAIMS if c.id == "tseng_table1_auroc"]
    models = pd.DataFrame(
        {
            "model": "tseng_binary",
            "condition": ["none"] * 3 + ["fourier"] * 3,
            "seed": [0, 1, 2] * 2,
            "test_auroc": [0.80, 0.81, 0.82, 0.90, 0.91, 0.92],
        }
    )
    tables = score_tables(
        sequence_scores(1),
        models={"regions": models},
        target_datasets={"table1": ["regions"]},
        methods={},
    )
    (unit,) = S.measure_claim(claim, tables).to_dict("records")
    assert unit["dataset"] == "regions" and unit["effect"] == pytest.approx(0.1)
