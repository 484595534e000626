"""attrprior.claims: the papers' claims and the verdict rule."""

import math

import numpy as np
import pytest
from scipy import stats

from attrprior import claims
from attrprior.stats import HIGHER_IS_BETTER


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
