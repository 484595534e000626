"""attrprior.motif_matches: TOMTOM matches to a database, Benjamini-Hochberg q-values."""

import numpy as np
import pytest

from attrprior import motif_matches as mm
from attrprior.pwms import load_jaspar_motifs
from attrprior.sequences import reverse_complement


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar_motifs("JASPAR2016")


def test_match_to_database_finds_a_motif_itself_on_either_strand(jaspar):
    gata2 = jaspar["MA0036.2"].pwm
    queries = {"forward": gata2, "reverse": reverse_complement(gata2)}
    matches = mm.match_to_database(queries, jaspar, n_matches=2)
    assert list(matches.columns) == list(mm.MATCH_COLUMNS)
    assert matches["rank"].tolist() == [1, 2, 1, 2]
    best = matches[matches["rank"] == 1].set_index("motif")
    assert best["matrix_id"].tolist() == ["MA0036.2", "MA0036.2"]
    assert best["target_name"].tolist() == ["GATA2", "GATA2"]
    assert best.loc["forward", "strand"] == "+"
    assert best.loc["reverse", "strand"] == "-"
    assert (matches["q_value"] >= matches["p_value"]).all()
    assert (matches["q_value"] <= 1).all()
    empty = mm.match_to_database([], jaspar)
    assert list(empty.columns) == list(mm.MATCH_COLUMNS) and empty.empty


def test_benjamini_hochberg_by_hand():
    # Sorted 0.01, 0.03, 0.04, 0.5 -> p n / i = 0.04, 0.06, 0.0533, 0.5 -> running minimum
    # from the largest p: 0.04, 0.0533, 0.0533, 0.5.
    q = mm._benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    np.testing.assert_allclose(mm._benjamini_hochberg(np.array([0.9, 0.8])), [0.9, 0.9])


# --------------------------------------------------------------------------------------------
# Instances: calling, ranking, cumulative overlap (by hand)
# --------------------------------------------------------------------------------------------
