"""attrprior.motif_instances: instances called with CWMs, ranked, their recall of gold regions."""

import numpy as np
import pandas as pd
import pytest
from discovered_motifs import discovered_motif

from attrprior import motif_instances as mi
from attrprior.sequences import one_hot_encode, reverse_complement

# --------------------------------------------------------------------------------------------
# Synthetic data and one TF-MoDISco run
# --------------------------------------------------------------------------------------------


def test_call_instances_finds_exact_cwm_matches_on_both_strands():
    word = one_hot_encode("ACGTTG").astype(float)
    motif = discovered_motif(word, "word", cwm=word)
    rng = np.random.default_rng(3)
    one_hot = np.eye(4)[rng.integers(4, size=(2, 40))].transpose(0, 2, 1)
    one_hot[0, :, 10:16] = word
    one_hot[1, :, 20:26] = reverse_complement(word)
    contributions = np.zeros_like(one_hot)
    contributions[0, :, 10:16] = word
    contributions[1, :, 20:26] = reverse_complement(word)
    calls = mi.call_instances([motif], contributions, one_hot, top_fraction=0.0)
    assert calls[["example", "start", "end", "strand"]].values.tolist() == [
        [0, 10, 16, "+"],
        [1, 20, 26, "-"],
    ]
    np.testing.assert_allclose(calls["similarity"], [6.0, 6.0])  # 1 per position
    assert (calls["pwm_score"] > 0).all()


def test_rank_instances_by_hand():
    contributions = np.zeros((2, 4, 6))
    contributions[0, 0] = [1, 2, 3, 4, 5, 6]
    contributions[1, 1] = [-5, 0, 0, 0, 0, 1]
    instances = pd.DataFrame(
        {
            "example": [0, 1, 0, 1, 0],
            "start": [0, 0, 4, 4, 1],
            "end": [2, 2, 6, 6, 3],
            "label": ["a", "b", "c", "d", "e"],
        }
    )
    ranked = mi.rank_instances(instances, contributions)
    # |attribution|: a 3, b 5, c 11, d 1, e 5 (b before e: ties keep input order).
    assert ranked["label"].tolist() == ["c", "b", "e", "a", "d"]
    assert ranked["attribution"].tolist() == [11, 5, 5, 3, 1]
    assert ranked["rank"].tolist() == [1, 2, 3, 4, 5]
    signed = mi.rank_instances(instances, contributions, absolute=False)
    assert signed["label"].tolist() == ["c", "e", "a", "d", "b"]
    assert signed["attribution"].tolist() == [11, 5, 3, 1, -5]
    with pytest.raises(ValueError, match="outside"):
        mi.rank_instances(instances.assign(end=7), contributions)
    with pytest.raises(ValueError, match="missing columns"):
        mi.rank_instances(instances.drop(columns="start"), contributions)


def test_cumulative_recall_by_hand():
    gold = pd.DataFrame({"example": [0, 1, 1], "start": [2, 0, 10], "end": [5, 3, 12]})
    calls = pd.DataFrame(
        {
            "example": [0, 0, 1, 1, 2],
            "start": [4, 5, 1, 2, 0],
            "end": [8, 9, 2, 11, 5],
        }
    )
    curve = mi.cumulative_recall(calls, gold)
    assert list(curve.columns) == list(mi.RECALL_COLUMNS)
    # Call 2 only touches gold [2, 5) (half-open), call 4 overlaps two gold regions.
    assert curve["hit"].tolist() == [True, False, True, True, False]
    assert curve["cumulative_hits"].tolist() == [1, 1, 2, 3, 3]
    np.testing.assert_allclose(curve["precision"], [1, 1 / 2, 2 / 3, 3 / 4, 3 / 5])
    np.testing.assert_allclose(curve["recall"], [1 / 3, 1 / 3, 2 / 3, 1, 1])
    # Hits per call relative to an even spread (3 hits in 5 calls).
    np.testing.assert_allclose(curve["enrichment"], [1 / 0.6, 1 / 1.2, 2 / 1.8, 3 / 2.4, 3 / 3.0])
    # Every overlap above is exactly 1 bp.
    strict = mi.cumulative_recall(calls, gold, min_overlap=2)
    assert not strict["hit"].any()
    assert strict["recall"].tolist() == [0.0] * 5
    assert strict["enrichment"].isna().all()
    no_gold = mi.cumulative_recall(calls, gold.iloc[:0])
    assert no_gold["recall"].isna().all()


# --------------------------------------------------------------------------------------------
# Storage errors and logos
# --------------------------------------------------------------------------------------------


def test_mask_regions_runs_by_hand():
    from attrprior.motif_instances import mask_regions

    mask = np.array([[1, 1, 0, 0, 1], [0, 0, 0, 0, 0], [0, 1, 1, 1, 0]], dtype=bool)
    regions = mask_regions(mask)
    assert regions.to_dict("list") == {
        "example": [0, 0, 2],
        "start": [0, 4, 1],
        "end": [2, 5, 4],
    }
    assert mask_regions(np.zeros((2, 3), dtype=bool)).empty
    with pytest.raises(ValueError, match="mask"):
        mask_regions(np.zeros(3, dtype=bool))
