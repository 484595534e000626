"""Tests for attrprior.motifs: TF-MoDISco motifs, filters, TOMTOM matches, instances, storage;
and attrprior.motif_control, the workflow's positive control.

The end-to-end tests run on the positive control's input
(:func:`attrprior.motif_control.planted_contributions`): three JASPAR 2016 motifs (SPI1, GATA2,
CTCF) planted in 300 random 200-bp sequences, with "hypothetical scores" that carry the planted
PPM minus 0.25 at planted positions and small Gaussian noise everywhere, so TF-MoDISco has
something clear to find.
TF-MoDISco runs once per module with 2 Leiden runs (the cost that grows with
``n_leiden_runs``); the first run in a fresh environment also compiles numba kernels.
"""

import inspect
import math
import os

import numpy as np
import pandas as pd
import pytest
from discovered_motifs import discovered_motif

from attrprior import motif_instances as mi
from attrprior import motif_matches as mm
from attrprior import motifs as mt
from attrprior.motif_control import PLANTED_MOTIFS, planted_contributions, recovered_motifs
from attrprior.pwms import load_jaspar_motifs
from attrprior.sequences import reverse_complement

U = [0.25, 0.25, 0.25, 0.25]  # IC 0 bits
T = [1.0, 0.0, 0.0, 0.0]  # IC 2 bits
H = [0.5, 0.5, 0.0, 0.0]  # IC 1 bit
Q = [0.5, 0.25, 0.25, 0.0]  # IC 2 - 0.5 - 1 = 0.5 bits
L = [0.4, 0.2, 0.2, 0.2]  # IC 2 + 0.4 log2 0.4 + 0.6 log2 0.2 = 0.0780719 bits


def _ppm(*columns) -> np.ndarray:
    return np.array(columns, dtype=float).T


# --------------------------------------------------------------------------------------------
# Synthetic data and one TF-MoDISco run
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar_motifs("JASPAR2016")


@pytest.fixture(scope="module")
def synthetic(jaspar):
    return planted_contributions(jaspar)


@pytest.fixture(scope="module")
def discovered(synthetic):
    one_hot, hypothetical, _ = synthetic
    return mt.find_motifs(hypothetical, one_hot, n_leiden_runs=2)


@pytest.fixture(scope="module")
def kept(discovered):
    return mt.filter_motifs(discovered)


@pytest.fixture(scope="module")
def matches(kept, jaspar):
    return mm.match_to_database(kept, jaspar, n_matches=3)


@pytest.fixture(scope="module")
def best_matches(matches):
    return matches[matches["rank"] == 1].set_index("motif")


def _stack_seqlets(motif, tracks):
    """The (4, W) windows of ``tracks`` (N, 4, L) at the motif's seqlets, oriented."""
    windows = []
    for example, start, end, strand in motif.seqlets.itertuples(index=False):
        window = tracks[example, :, start:end]
        windows.append(reverse_complement(window) if strand == "-" else window)
    return np.stack(windows)


def test_default_settings_are_the_papers():
    parameters = inspect.signature(mt.find_motifs).parameters
    for name, value in mt.PAPER_MODISCO_SETTINGS.items():
        assert parameters[name].default == value


def test_find_motifs_recovers_the_planted_motifs(discovered, kept, best_matches):
    assert len(discovered) >= 3
    assert all(m.sign == 1 for m in discovered)  # hypothetical scores favour the motif
    # Every planted motif is the best TOMTOM match (against all 519 JASPAR 2016 vertebrate
    # motifs) of one filtered motif, with a small q-value.
    assert set(best_matches["matrix_id"]) == set(PLANTED_MOTIFS)
    assert (best_matches["q_value"] < 1e-3).all()
    spi1 = best_matches[best_matches["matrix_id"] == "MA0080.4"]
    assert spi1["target_name"].tolist() == ["SPI1"]
    for motif in kept:
        assert motif.n_seqlets >= 60  # final_min_cluster_size
        assert motif.width <= 20
        assert mt.passes_filter(motif.ppm)


def test_the_positive_control_finds_every_planted_motif(matches):
    control = recovered_motifs(matches)
    assert control["matrix_id"].tolist() == list(PLANTED_MOTIFS)
    assert control["target_name"].tolist() == ["SPI1", "GATA2", "CTCF"]
    assert control["found"].all()
    assert (control["q_value"] < 1e-3).all()
    assert set(control["motif"]) <= set(matches["motif"])


def test_the_positive_control_reports_what_it_misses(matches):
    control = recovered_motifs(matches[matches["matrix_id"] != "MA0139.1"]).set_index("matrix_id")
    assert control.loc["MA0139.1", "motif"] == "" and math.isnan(control.loc["MA0139.1", "q_value"])
    assert control["found"].tolist() == [True, True, False]
    # A best match above the q-value threshold does not count.
    assert not recovered_motifs(matches.assign(q_value=0.2))["found"].any()
    assert not recovered_motifs(matches.iloc[:0])["found"].any()
    with pytest.raises(ValueError, match="missing columns"):
        recovered_motifs(matches.drop(columns="q_value"))


def test_seqlets_lie_on_planted_instances(kept, best_matches, synthetic):
    _, _, gold = synthetic
    for motif in kept:
        matrix_id = best_matches.loc[motif.name, "matrix_id"]
        own_gold = gold[gold["matrix_id"] == matrix_id]
        curve = mi.cumulative_recall(motif.seqlets, own_gold)
        # Almost every seqlet overlaps a planted instance of the motif it matches ...
        assert curve["precision"].iloc[-1] >= 0.9
        # ... and the seqlets cover a good share of those instances.
        assert curve["recall"].iloc[-1] >= 0.4


@pytest.mark.parametrize("trimmed", [False, True])
def test_seqlet_coordinates_reproduce_the_matrices(discovered, kept, synthetic, trimmed):
    one_hot, hypothetical, _ = synthetic
    for motif in kept if trimmed else discovered:
        assert (motif.seqlets["end"] - motif.seqlets["start"] == motif.width).all()
        ppm = _stack_seqlets(motif, one_hot).mean(axis=0)
        cwm = _stack_seqlets(motif, hypothetical * one_hot).mean(axis=0)
        hcwm = _stack_seqlets(motif, hypothetical).mean(axis=0)
        np.testing.assert_allclose(ppm, motif.ppm, atol=1e-9)
        np.testing.assert_allclose(cwm, motif.cwm, atol=1e-5)  # modisco sums float32
        np.testing.assert_allclose(hcwm, motif.hypothetical_cwm, atol=1e-5)


def test_instances_ranked_by_attribution_hit_the_planted_motifs(kept, synthetic):
    one_hot, hypothetical, gold = synthetic
    contributions = hypothetical * one_hot
    calls = mi.call_instances(kept, contributions, one_hot)
    assert set(calls["motif"]) == {m.name for m in kept}
    ranked = mi.rank_instances(calls, contributions)
    assert (np.diff(ranked["attribution"]) <= 0).all()
    curve = mi.cumulative_recall(ranked, gold)
    assert curve["hit"].iloc[:50].all()
    assert curve["recall"].is_monotonic_increasing


def test_write_and_read_motifs(discovered, tmp_path):
    path = tmp_path / "out" / "motifs.npz"
    mt.write_motifs(discovered, path)
    assert sorted(os.listdir(path.parent)) == ["motifs.npz", "motifs.tsv"]  # no temp files
    back = mt.read_motifs(path)
    assert [m.name for m in back] == [m.name for m in discovered]
    for original, copy in zip(discovered, back, strict=True):
        assert copy.sign == original.sign
        for field in ("ppm", "cwm", "hypothetical_cwm"):
            np.testing.assert_array_equal(getattr(copy, field), getattr(original, field))
        pd.testing.assert_frame_equal(copy.seqlets, original.seqlets)
    summary = pd.read_csv(path.with_suffix(".tsv"), sep="\t")
    assert list(summary.columns) == list(mt.SUMMARY_COLUMNS)
    assert summary["n_seqlets"].tolist() == [m.n_seqlets for m in discovered]
    assert summary["consensus"].tolist() == [m.consensus for m in discovered]


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def _random_inputs(n=20, length=200, seed=0):
    rng = np.random.default_rng(seed)
    one_hot = np.eye(4)[rng.integers(4, size=(n, length))].transpose(0, 2, 1)
    return rng.normal(size=one_hot.shape), one_hot


def test_find_motifs_rejects_bad_inputs():
    hypothetical, one_hot = _random_inputs()
    with pytest.raises(ValueError, match="shapes differ"):
        mt.find_motifs(hypothetical[:, :, :100], one_hot)
    with pytest.raises(ValueError, match=r"expected shape \(N, 4, L\)"):
        mt.find_motifs(hypothetical[:, :3], one_hot[:, :3])
    not_one_hot = one_hot.copy()
    not_one_hot[0, :, 5] = [1, 1, 0, 0]
    with pytest.raises(ValueError, match="not one-hot"):
        mt.find_motifs(hypothetical, not_one_hot)
    with pytest.raises(ValueError, match="not one-hot"):
        mt.find_motifs(hypothetical, one_hot * 0.5)
    bad = hypothetical.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        mt.find_motifs(bad, one_hot)
    with pytest.raises(ValueError, match="shorter than one seqlet"):
        mt.find_motifs(hypothetical[:, :, :40], one_hot[:, :, :40])


def test_the_seqlet_floor_reaches_modisco_and_is_checked(monkeypatch):
    import modiscolite.tfmodisco

    received = {}

    def fake_modisco(**kwargs):
        received.update(kwargs)
        return [], []

    monkeypatch.setattr(modiscolite.tfmodisco, "TFMoDISco", fake_modisco)
    hypothetical, one_hot = _random_inputs()
    assert mt.find_motifs(hypothetical, one_hot) == []
    assert received["min_passing_windows_frac"] == 0.03  # modisco-lite's own default
    mt.find_motifs(hypothetical, one_hot, min_passing_windows_frac=0.1)
    assert received["min_passing_windows_frac"] == 0.1
    with pytest.raises(ValueError, match="exceeds max_passing_windows_frac 0.2"):
        mt.find_motifs(hypothetical, one_hot, min_passing_windows_frac=0.3)
    mt.find_motifs(
        hypothetical, one_hot, min_passing_windows_frac=0.3, max_passing_windows_frac=0.5
    )
    assert received["max_passing_windows_frac"] == 0.5


def test_find_motifs_rejects_too_few_sequences():
    # 200 bp: window sums over 180 positions, centres in [10, 170), at least 21 apart, so at
    # most ceil(160 / 21) = 8 seqlets per sequence; 12 sequences give 96 <= 100.
    assert mt._max_seqlets_per_sequence(200, 21, 10) == 8
    hypothetical, one_hot = _random_inputs(n=12)
    with pytest.raises(ValueError, match="too few sequences: 12 sequences"):
        mt.find_motifs(hypothetical, one_hot)


def test_motif_record_validation():
    with pytest.raises(ValueError, match="sign"):
        discovered_motif(_ppm(T, H), sign=0)
    with pytest.raises(ValueError, match="cwm: expected shape"):
        discovered_motif(_ppm(T, H), cwm=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="2 bp long"):
        discovered_motif(_ppm(T, H), seqlets=[(0, 3, 6, "+")])
    with pytest.raises(ValueError, match="strand"):
        discovered_motif(_ppm(T, H), seqlets=[(0, 3, 5, "x")])
    with pytest.raises(ValueError, match="ppm: every column must sum to 1"):
        discovered_motif(_ppm(T, H) * 2)
    with pytest.raises(ValueError, match="positive sum"):
        mt.information_content(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="sum to 1"):
        mt.information_content(_ppm(T), background=[0.3, 0.3, 0.3, 0.3])


# --------------------------------------------------------------------------------------------
# Information content, trimming, filters (by hand)
# --------------------------------------------------------------------------------------------


def test_information_content_by_hand():
    ppm = _ppm(T, H, U, Q, L)
    np.testing.assert_allclose(
        mt.information_content(ppm, pseudocount=0), [2.0, 1.0, 0.0, 0.5, 0.0780719], atol=1e-6
    )
    # Counts are normalised per column.
    np.testing.assert_allclose(
        mt.information_content(ppm * 37, pseudocount=0),
        mt.information_content(ppm, pseudocount=0),
    )
    # Non-uniform background: 0.5 log2(0.5/0.4) + 0.5 log2(0.5/0.1).
    background = [0.4, 0.1, 0.1, 0.4]
    expected = 0.5 * math.log2(0.5 / 0.4) + 0.5 * math.log2(0.5 / 0.1)
    assert mt.information_content(_ppm(H), background, pseudocount=0)[0] == pytest.approx(expected)
    # Default pseudocount 0.001: q = (p + 0.001) / 1.004.
    big, small = 1.001 / 1.004, 0.001 / 1.004
    expected = big * math.log2(big / 0.25) + 3 * small * math.log2(small / 0.25)
    assert mt.information_content(_ppm(T))[0] == pytest.approx(expected)


def test_trim_bounds_by_hand():
    # IC: 0, 0.078, 2, 0, 1, 0.5, 0.078, 0 -> max 2.
    ppm = _ppm(U, L, T, U, H, Q, L, U)
    # 0.2 x 2 = 0.4 bits: positions 2, 4 and 5 pass; the uniform position 3 inside is kept.
    assert mt.trim_bounds(ppm, 0.2, pseudocount=0) == (2, 6)
    # 0.3 x 2 = 0.6 bits: positions 2 and 4.
    assert mt.trim_bounds(ppm, 0.3, pseudocount=0) == (2, 5)
    assert mt.trim_bounds(ppm, 0.0, pseudocount=0) == (0, 8)
    assert mt.trim_bounds(_ppm(U, U, U)) == (0, 3)  # no information: nothing to trim


def test_trim_motif_shrinks_matrices_and_seqlets():
    ppm = _ppm(U, U, T, H, U)
    motif = discovered_motif(ppm, seqlets=[(0, 10, 15, "+"), (1, 30, 35, "-")])
    trimmed = mt.trim_motif(motif)
    np.testing.assert_array_equal(trimmed.ppm, ppm[:, 2:4])
    np.testing.assert_array_equal(trimmed.cwm, motif.cwm[:, 2:4])
    # "+": motif column j at start + j -> columns 2, 3 at 12, 13.
    # "-": motif column j at end - 1 - j -> columns 2, 3 at 32, 31.
    assert trimmed.seqlets.values.tolist() == [[0, 12, 14, "+"], [1, 31, 33, "-"]]
    assert motif.width == 5  # the input is unchanged


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ([T, T, U, U, U, U], True),  # best 6-bp window mean 4/6 = 0.667 bits
        ([T, H, Q, U, U, U], False),  # 3.5/6 = 0.583 bits
        ([U] * 3 + [H] * 3 + [Q] * 2 + [U] * 3, True),  # H H H Q Q U: 4/6
        ([U] * 3 + [H] * 2 + [Q] * 2 + [U] * 3, False),  # H H Q Q U U: 3/6
        ([T] * 5, False),  # narrower than the window
        ([U] * 5 + [T] * 20 + [U] * 5, True),  # trims to 20 bp
        ([T] * 21, False),  # 21 bp after trimming
        ([T] * 3 + [U] * 17 + [T] * 2, False),  # informative ends: 22 bp after trimming
    ],
)
def test_passes_filter_by_hand(columns, expected):
    assert mt.passes_filter(_ppm(*columns), pseudocount=0) is expected


def test_passes_filter_parameters():
    ppm = _ppm(T, H, Q, U, U, U)  # mean 0.583 over 6 bp
    assert mt.passes_filter(ppm, min_ic=0.5, pseudocount=0)
    assert mt.passes_filter(ppm, ic_window=3, pseudocount=0)
    assert not mt.passes_filter(_ppm(*[T] * 12), max_length=10, pseudocount=0)


def test_filter_motifs_by_hand():
    good = _ppm(U, T, T, H, Q, U, U)  # window T T H Q U U: 5.5/6; trims to columns 1..4
    weak = _ppm(*[H] * 2 + [U] * 6)  # 2/6
    motifs = [
        discovered_motif(good, "good"),
        discovered_motif(good, "negative_metacluster", sign=-1),
        discovered_motif(good, "negative_cwm", cwm=-np.abs(good)),
        discovered_motif(weak, "weak"),
    ]
    kept = mt.filter_motifs(motifs, pseudocount=0)
    assert [m.name for m in kept] == ["good"]
    np.testing.assert_array_equal(kept[0].ppm, good[:, 1:5])
    everything_positive_or_not = mt.filter_motifs(motifs, positive_only=False, pseudocount=0)
    assert [m.name for m in everything_positive_or_not] == [
        "good",
        "negative_metacluster",
        "negative_cwm",
    ]


# --------------------------------------------------------------------------------------------
# Database matches
# --------------------------------------------------------------------------------------------


def test_read_motifs_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        mt.read_motifs(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(ValueError, match="not a valid motif file"):
        mt.read_motifs(junk)
    mt.write_motifs([], tmp_path / "empty.npz")
    assert mt.read_motifs(tmp_path / "empty.npz") == []


def test_motif_logos_figure():
    from attrprior.plots import motif_logos

    motifs = [discovered_motif(_ppm(U, T, H, Q), "a"), discovered_motif(_ppm(T, T, L), "b")]
    fig = motif_logos(motifs, labels={"a": "SPI1"})
    assert len(fig.axes) == 4
    import matplotlib.pyplot as plt

    plt.close(fig)
