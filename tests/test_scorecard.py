"""Tests for attrprior.scorecard: the papers' values, the verdict rule and claim measurement."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attrprior import claims
from attrprior import scorecard as S


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
