"""attrprior.score_tables: the workflow's score tables of attribution maps."""

import numpy as np
import pytest

from attrprior.metrics import (
    fraction_in_mask,
    mask_auprc,
    summit_distance_correlation,
)
from attrprior.score_tables import pooled_scores, score_genomic_maps


def test_genomic_scores_use_importance_and_name_masks():
    rng = np.random.default_rng(2)
    onehot = np.eye(4)[rng.integers(0, 4, size=(3, 40))].transpose(0, 2, 1)
    hypothetical = rng.normal(size=(3, 4, 40))
    distance = np.abs(np.arange(40) - 20)[None].repeat(3, axis=0).astype(float)
    peaks = np.zeros((3, 40), dtype=bool)
    peaks[:, 15:25] = True
    maps = {"deepshap": hypothetical, "deepshap_corrected": hypothetical - 1}
    table = score_genomic_maps(
        maps, onehot, distance, {"peaks": peaks}, freq_limit=5, pseudocount=0.001
    )
    assert list(table.columns) == [
        "method",
        "corrected",
        "example",
        "highfreq",
        "entropy",
        "summit_spearman",
        "fraction_in_peaks",
    ]
    own = table[~table["corrected"]]
    importance = hypothetical * onehot
    np.testing.assert_allclose(own["fraction_in_peaks"], fraction_in_mask(importance, peaks))
    np.testing.assert_allclose(
        own["summit_spearman"], summit_distance_correlation(importance, distance)
    )
    pooled = pooled_scores(maps, onehot, {"peaks": peaks})
    assert list(pooled.columns) == ["method", "corrected", "peaks_auprc"]
    assert pooled.loc[0, "peaks_auprc"] == pytest.approx(mask_auprc(importance, peaks))
