"""Tests for attrprior.data: motifs, one-hot helpers, simulated datasets and their storage."""

import os

import numpy as np
import pandas as pd
import pytest

from attrprior.data import (
    Motif,
    billboard_from_truth,
    load_dataset,
    load_jaspar_motifs,
    motif_mask,
    sample_from_pwm,
    save_dataset,
    simulate_billboard,
    simulate_single_motif,
    split_arrays,
)
from attrprior.sequences import ALPHABET, one_hot_decode, one_hot_encode, reverse_complement

CORE_IDS = ("MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2")
COUNT_PROBABILITIES = {3: 0.50, 4: 0.25, 5: 0.17, 6: 0.05, 7: 0.03}


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar_motifs("JASPAR2016")


@pytest.fixture(scope="module")
def billboard(jaspar):
    return simulate_billboard(n_sequences=3000, seed=1, motifs=jaspar)


def _toy_motifs():
    """Four small motifs with distinct, asymmetric PWMs."""
    rng = np.random.default_rng(123)
    motifs = {}
    for i, width in enumerate((5, 6, 7, 8)):
        pwm = rng.dirichlet(np.full(4, 0.5), size=width).T
        matrix_id = f"MX{i:04d}.1"
        motifs[matrix_id] = Motif(matrix_id=matrix_id, name=f"TOY{i}", pwm=pwm)
    return motifs


def _toy_billboard(**kwargs):
    arguments = dict(
        n_sequences=200,
        length=60,
        core_motif_ids=("MX0000.1", "MX0001.1"),
        n_background_motifs=2,
        motifs=_toy_motifs(),
    )
    arguments.update(kwargs)
    return simulate_billboard(**arguments)


def _stranded_pwm(motifs, row):
    pwm = motifs[row.matrix_id].pwm
    return reverse_complement(pwm) if row.strand == "-" else pwm


# --- JASPAR ---------------------------------------------------------------------------------


def test_jaspar_2016_vertebrate_core(jaspar):
    assert len(jaspar) == 519
    assert list(jaspar) == sorted(jaspar)
    sp1 = jaspar["MA0079.3"]
    assert sp1.name == "SP1"
    assert sp1.pwm.shape == (4, 11)
    np.testing.assert_allclose(sp1.pwm.sum(axis=0), 1.0, atol=1e-12)
    # First column of the SP1 count matrix (A, C, G, T) in JASPAR 2016, normalised without
    # pseudocount.
    counts = np.array([857.0, 1786.0, 4271.0, 1820.0])
    np.testing.assert_allclose(sp1.pwm[:, 0], counts / counts.sum())
    assert all(np.allclose(m.pwm.sum(axis=0), 1.0) for m in jaspar.values())


def test_unknown_jaspar_release_is_an_error():
    with pytest.raises(ValueError, match="JASPAR1999"):
        load_jaspar_motifs("JASPAR1999")


def test_motif_pwm_is_read_only_and_validated():
    motif = Motif("MX9.1", "X", np.full((4, 3), 0.25))
    with pytest.raises(ValueError):
        motif.pwm[0, 0] = 1.0
    with pytest.raises(ValueError, match="pwm"):
        Motif("MX9.1", "X", np.full((4, 3), 0.3))


# --- One-hot helpers ------------------------------------------------------------------------


def test_sample_from_pwm_follows_column_probabilities():
    rng = np.random.default_rng(0)
    # A deterministic PWM gives exactly its consensus.
    assert one_hot_decode(sample_from_pwm(one_hot_encode("GATTACA"), rng)) == "GATTACA"
    column = np.array([0.1, 0.0, 0.6, 0.3])
    pwm = np.repeat(column[:, None], 20000, axis=1)
    x = sample_from_pwm(pwm, rng)
    assert x.dtype == np.int8
    np.testing.assert_array_equal(x.sum(axis=0), 1)
    assert x[1].sum() == 0  # a base of probability 0 is never drawn
    np.testing.assert_allclose(x.mean(axis=1), column, atol=0.015)
    with pytest.raises(ValueError, match="pwm"):
        sample_from_pwm(np.full((4, 3), 0.3), rng)


# --- Billboard ------------------------------------------------------------------------------


def test_billboard_labels_splits_and_shapes(billboard):
    n, length = 3000, 200
    assert billboard.x.shape == (n, 4, length) and billboard.x.dtype == np.float32
    assert billboard.truth.shape == (n, 4, length) and billboard.truth.dtype == np.float32
    assert billboard.y.shape == (n, 1) and billboard.y.dtype == np.float32
    assert billboard.y.sum() == n // 2
    # Positives come first.
    assert billboard.y[: n // 2].all() and not billboard.y[n // 2 :].any()
    sizes = {s: int((billboard.split == s).sum()) for s in ("train", "valid", "test")}
    assert sizes == {"train": 2100, "valid": 300, "test": 600}
    # The split is a random permutation, not blocks of rows.
    assert 0.4 < billboard.y[billboard.split == "test"].mean() < 0.6


def test_billboard_motif_counts_and_pools(billboard):
    placements = billboard.placements
    counts = placements.groupby("sequence").size().reindex(range(3000), fill_value=0)
    observed = counts.value_counts(normalize=True)
    for k, p in COUNT_PROBABILITIES.items():
        assert abs(observed.get(k, 0.0) - p) < 0.03, (k, observed.get(k, 0.0), p)
    assert set(counts) <= set(COUNT_PROBABILITIES)

    positive = placements["sequence"] < 1500
    assert placements.loc[positive, "core"].all()
    assert set(placements.loc[positive, "matrix_id"]) == set(CORE_IDS)
    assert set(placements["strand"]) == {"+", "-"}
    # Negatives draw from 50 background motifs x 2 strands plus the 10 core PWMs.
    negative_core = placements.loc[~positive, "core"].mean()
    assert 10 / 110 - 0.03 < negative_core < 10 / 110 + 0.03

    pool = billboard.motif_pool
    assert list(pool["pool"]).count("core") == 5
    assert list(pool["pool"]).count("background") == 50
    background = pool.loc[pool["pool"] == "background", "matrix_id"]
    assert not set(background) & set(CORE_IDS)
    assert set(placements.loc[~placements["core"], "matrix_id"]) <= set(background)


def test_billboard_placements_do_not_overlap(billboard):
    for _, group in billboard.placements.groupby("sequence"):
        starts, ends = group["start"].to_numpy(), group["end"].to_numpy()
        assert starts.min() >= 0 and ends.max() <= 200
        order = np.argsort(starts)
        assert (starts[order][1:] >= ends[order][:-1]).all()


def test_billboard_gaps_are_exchangeable(billboard):
    # The leading and trailing gaps are drawn like the inner ones, so on average they are equal.
    groups = billboard.placements.groupby("sequence")
    leading = groups["start"].min().to_numpy()
    trailing = 200 - groups["end"].max().to_numpy()
    assert leading.mean() > 5 and trailing.mean() > 5
    assert abs(leading.mean() - trailing.mean()) < 2.0


def test_billboard_background_pool_is_random_and_seeded(billboard, jaspar):
    pool = billboard.motif_pool
    background = list(pool.loc[pool["pool"] == "background", "matrix_id"])
    assert background == sorted(background)
    non_core = [m for m in sorted(jaspar) if m not in CORE_IDS]
    assert background != non_core[:50]
    # The pool is drawn first, so it depends on the seed only.
    small = simulate_billboard(n_sequences=10, seed=1, motifs=jaspar)
    pd.testing.assert_frame_equal(small.motif_pool, pool)
    other = simulate_billboard(n_sequences=10, seed=2, motifs=jaspar)
    assert not other.motif_pool.equals(pool)


def test_billboard_truth_and_sequences(billboard, jaspar):
    truth, x = billboard.truth, billboard.x
    inside = np.zeros((len(x), 200), dtype=bool)
    for row in billboard.placements.itertuples():
        expected = _stranded_pwm(jaspar, row).astype(np.float32)
        np.testing.assert_array_equal(truth[row.sequence, :, row.start : row.end], expected)
        inside[row.sequence, row.start : row.end] = True
    np.testing.assert_array_equal(motif_mask(billboard, core_only=False), inside)
    outside = truth.transpose(0, 2, 1)[~inside]
    np.testing.assert_array_equal(outside, 0.25)
    np.testing.assert_allclose(truth.sum(axis=1), 1.0, atol=1e-5)

    assert np.isin(x, (0.0, 1.0)).all()
    np.testing.assert_array_equal(x.sum(axis=1), 1.0)
    # Every sampled base had positive probability under the ground truth.
    assert ((x * truth).sum(axis=1) > 0).all()
    composition = x.transpose(0, 2, 1)[~inside].mean(axis=0)
    np.testing.assert_allclose(composition, 0.25, atol=0.01)
    # Inside motifs the composition follows the PWMs (not uniform).
    np.testing.assert_allclose(
        x.transpose(0, 2, 1)[inside].mean(axis=0),
        truth.transpose(0, 2, 1)[inside].mean(axis=0),
        atol=0.01,
    )


def test_motif_mask_core_only(billboard):
    core_mask = motif_mask(billboard)
    all_mask = motif_mask(billboard, core_only=False)
    assert core_mask.shape == (3000, 200) and core_mask.dtype == bool
    assert (core_mask <= all_mask).all() and core_mask.sum() < all_mask.sum()
    np.testing.assert_array_equal(core_mask[:1500], all_mask[:1500])


def test_billboard_read_back_from_its_truth_finds_every_placement(billboard, jaspar):
    """A published draw stores only x, y, truth and split: reading the planted motifs back
    from the truth gives the generator's own placements (strand aside where a matrix is its
    own reverse complement) and the same core-motif mask."""
    read, n_unknown = billboard_from_truth(
        billboard.x, billboard.y, billboard.truth, billboard.split, CORE_IDS, motifs=jaspar
    )
    assert n_unknown == 0
    planted, found = billboard.placements, read.placements
    columns = ["sequence", "matrix_id", "start", "end", "core"]
    pd.testing.assert_frame_equal(planted[columns], found[columns])
    palindromic = [
        matrix_id
        for matrix_id, motif in jaspar.items()
        if np.allclose(motif.pwm, reverse_complement(motif.pwm), atol=1e-3)
    ]
    stranded = ~planted["matrix_id"].isin(palindromic)
    assert (planted["strand"][stranded] == found["strand"][stranded]).all()
    np.testing.assert_array_equal(motif_mask(read), motif_mask(billboard))
    assert list(read.motif_pool["matrix_id"][:5]) == list(CORE_IDS)
    assert set(read.motif_pool["matrix_id"]) <= set(billboard.motif_pool["matrix_id"])


def test_billboard_read_back_names_what_no_matrix_explains(jaspar):
    """A non-uniform run that is no matrix of the release becomes one 'unknown' placement,
    counted, outside the core mask."""
    dataset = simulate_billboard(n_sequences=20, seed=2, motifs=jaspar)
    truth = dataset.truth.copy()
    assert dataset.placements.query("sequence == 0")["start"].min() >= 3  # seed 2: 27
    truth[0, :, 0:3] = np.array([[0.7], [0.1], [0.1], [0.1]])
    read, n_unknown = billboard_from_truth(
        dataset.x, dataset.y, truth, dataset.split, CORE_IDS, motifs=jaspar
    )
    assert n_unknown == 1
    unknown = read.placements[read.placements["matrix_id"] == "unknown"]
    assert unknown[["sequence", "start", "end", "core"]].values.tolist() == [[0, 0, 3, False]]
    assert not motif_mask(read)[0, :3].any()
    # An unknown run that abuts a motif ends where the motif starts: the motif is kept.
    first = dataset.placements.query("sequence == 0").iloc[0]
    start = int(first["start"])
    truth[0, :, start - 3 : start] = np.array([[0.7], [0.1], [0.1], [0.1]])
    read, n_unknown = billboard_from_truth(
        dataset.x, dataset.y, truth, dataset.split, CORE_IDS, motifs=jaspar
    )
    found = read.placements.query("sequence == 0")
    assert [start - 3, start] in found[found["matrix_id"] == "unknown"][
        ["start", "end"]
    ].values.tolist()
    assert ((found["matrix_id"] == first["matrix_id"]) & (found["start"] == start)).any()
    assert n_unknown == 2


def test_split_arrays_select_each_splits_rows():
    x = np.arange(5 * 4 * 2, dtype=np.float64).reshape(5, 4, 2)
    y = np.arange(5)[:, None]
    split = np.array(["test", "train", "valid", "train", "test"])
    splits = split_arrays(x, y, split)
    assert list(splits) == ["train", "valid", "test"]
    np.testing.assert_array_equal(splits["train"][0], x[[1, 3]])
    np.testing.assert_array_equal(splits["test"][1], y[[0, 4]])
    assert splits["valid"][0].dtype == np.float32


def test_billboard_is_deterministic():
    first, again, other = _toy_billboard(seed=5), _toy_billboard(seed=5), _toy_billboard(seed=6)
    for key in ("x", "y", "truth", "split"):
        np.testing.assert_array_equal(getattr(first, key), getattr(again, key))
    pd.testing.assert_frame_equal(first.placements, again.placements)
    pd.testing.assert_frame_equal(first.motif_pool, again.motif_pool)
    assert not np.array_equal(first.x, other.x)
    assert not np.array_equal(first.split, other.split)
    assert not first.placements.equals(other.placements)


def test_billboard_split_sizes_sum_to_n():
    dataset = _toy_billboard(n_sequences=11)
    sizes = {s: int((dataset.split == s).sum()) for s in ("train", "valid", "test")}
    assert sizes == {"train": 8, "valid": 1, "test": 2}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"motifs_per_sequence": {3: 0.5, 4: 0.4}}, "motifs_per_sequence"),
        ({"motifs_per_sequence": {0: 1.0}}, "motifs_per_sequence"),
        ({"split_fractions": {"train": 0.8, "valid": 0.1, "test": 0.2}}, "split_fractions"),
        ({"split_fractions": {"train": 0.9, "tset": 0.1}}, "split_fractions"),
        ({"core_motif_ids": ("MX0000.1", "MA9999.9")}, "MA9999.9"),
        ({"n_sequences": 0}, "n_sequences"),
        ({"length": 9}, "length"),
        ({"n_background_motifs": 3}, "n_background_motifs"),
        ({"positive_fraction": 1.5}, "positive_fraction"),
    ],
)
def test_billboard_validation_names_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _toy_billboard(**kwargs)


def test_billboard_resamples_motifs_that_do_not_fit():
    # Draws of three motifs wider than the sequence are redrawn, not truncated.
    dataset = _toy_billboard(
        length=22,
        core_motif_ids=("MX0002.1", "MX0003.1"),  # widths 7 and 8: only 7+7+7 and 7+7+8 fit
        motifs_per_sequence={3: 1.0},
        n_background_motifs=0,
    )
    assert (dataset.placements["end"] <= 22).all()
    widths = dataset.placements.groupby("sequence").apply(lambda g: (g.end - g.start).sum())
    assert set(widths) == {21, 22}
    assert (dataset.placements.groupby("sequence").size() == 3).all()


# --- Single motif ---------------------------------------------------------------------------


def test_single_motif_in_central_window(jaspar):
    dataset = simulate_single_motif(300, 200, positive_gc_excess=0.0, seed=2, motifs=jaspar)
    placements = dataset.placements
    width = jaspar["MA0080.4"].pwm.shape[1]
    assert len(placements) == 300 and list(placements["sequence"]) == list(range(300))
    window_start = (1000 - (width + 200)) // 2
    assert placements["start"].min() >= window_start
    assert placements["end"].max() <= window_start + width + 200
    assert placements["start"].max() - placements["start"].min() > 150  # spread over the window
    assert 0.35 < (placements["strand"] == "-").mean() < 0.65
    for row in placements.itertuples():
        expected = _stranded_pwm(jaspar, row).astype(np.float32)
        np.testing.assert_array_equal(dataset.truth[row.sequence, :, row.start : row.end], expected)
    assert not motif_mask(dataset)[300:].any()
    np.testing.assert_array_equal(dataset.truth[300:], 0.25)
    assert dataset.y.sum() == 300


def test_single_motif_gc_excess_applies_to_training_positives():
    motifs = _toy_motifs()
    dataset = simulate_single_motif(
        400,
        400,
        length=300,
        motif_id="MX0000.1",
        gc_prob=0.4,
        positive_gc_excess=0.1,
        central_flank=20,
        seed=3,
        motifs=motifs,
    )
    background = ~motif_mask(dataset)
    gc = dataset.x[:, 1] + dataset.x[:, 2]  # C + G, shape (N, L)
    positive = dataset.y[:, 0] == 1
    train = dataset.split == "train"

    def gc_fraction(rows):
        return gc[rows][background[rows]].mean()

    assert abs(gc_fraction(positive & train) - 0.5) < 0.01
    assert abs(gc_fraction(positive & ~train) - 0.4) < 0.02
    assert abs(gc_fraction(~positive) - 0.4) < 0.01
    assert gc_fraction(positive & train) - gc_fraction(~positive) == pytest.approx(0.1, abs=0.02)
    # The ground truth records the background actually used.
    first_train_positive = np.flatnonzero(positive & train)[0]
    np.testing.assert_allclose(dataset.truth[first_train_positive, :, 0], [0.25, 0.25, 0.25, 0.25])
    np.testing.assert_allclose(dataset.truth[-1, :, 0], [0.3, 0.2, 0.2, 0.3], atol=1e-7)


def test_single_motif_validation():
    motifs = _toy_motifs()
    with pytest.raises(ValueError, match="MA0080.4"):
        simulate_single_motif(5, 5, motifs=motifs)
    with pytest.raises(ValueError, match="length"):
        simulate_single_motif(5, 5, length=50, motif_id="MX0000.1", motifs=motifs)
    with pytest.raises(ValueError, match="positive_gc_excess"):
        simulate_single_motif(
            5, 5, motif_id="MX0000.1", gc_prob=0.9, positive_gc_excess=0.2, motifs=motifs
        )


# --- Save / load ----------------------------------------------------------------------------


def test_save_load_round_trip_is_atomic(tmp_path):
    dataset = _toy_billboard(n_sequences=50)
    path = tmp_path / "billboard.npz"
    save_dataset(dataset, path)
    assert os.listdir(tmp_path) == ["billboard.npz"]  # no temporary file left behind
    loaded = load_dataset(path)
    for key in ("x", "y", "truth", "split"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(dataset, key))
        assert getattr(loaded, key).dtype == getattr(dataset, key).dtype
    pd.testing.assert_frame_equal(loaded.placements, dataset.placements)
    pd.testing.assert_frame_equal(loaded.motif_pool, dataset.motif_pool)


def test_save_load_without_placements(tmp_path):
    dataset = simulate_single_motif(
        0, 6, length=40, motif_id="MX0000.1", central_flank=5, motifs=_toy_motifs()
    )
    assert dataset.placements.empty
    save_dataset(dataset, tmp_path / "negatives.npz")
    loaded = load_dataset(tmp_path / "negatives.npz")
    pd.testing.assert_frame_equal(loaded.placements, dataset.placements)
    np.testing.assert_array_equal(loaded.truth, dataset.truth)


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "data.npz"
    save_dataset(_toy_billboard(n_sequences=20), path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_dataset(_toy_billboard(n_sequences=30), path)
    assert os.listdir(tmp_path) == ["data.npz"]
    assert path.read_bytes() == before


def test_load_bad_files_name_the_path(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="garbage.npz"):
        load_dataset(garbage)
    partial = tmp_path / "partial.npz"
    np.savez_compressed(partial, x=np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match="partial.npz.*truth"):
        load_dataset(partial)
    array_file = tmp_path / "array.npy"
    np.save(array_file, np.zeros(3))
    with pytest.raises(ValueError, match="array.npy"):
        load_dataset(array_file)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_dataset(tmp_path / "missing.npz")


def test_alphabet():
    assert ALPHABET == "ACGT"


# ---------------------------------------------------------------------------------------------
# Tseng et al.'s synthetic SPI1 protocol: fresh sequences, centred motif, PWM-scan mask
# ---------------------------------------------------------------------------------------------


def _spi1():
    from attrprior.data import load_jaspar_motifs

    return load_jaspar_motifs("JASPAR2016")["MA0080.4"]


def test_fresh_single_motif_sequences_centre_the_motif_at_the_asked_gc():
    from attrprior.data import single_motif_sequences

    motif = _spi1()
    rng = np.random.default_rng(0)
    x, truth = single_motif_sequences(motif, 400, 101, 0.6, rng)
    start = (101 - motif.width) // 2
    # Centred: the PWM (or its reverse complement) sits at the central window, both strands.
    windows = truth[:, :, start : start + motif.width]
    forward = np.isclose(windows, motif.pwm).all(axis=(1, 2))
    reverse = np.isclose(windows, motif.pwm[::-1, ::-1]).all(axis=(1, 2))
    assert (forward | reverse).all() and 0.4 < forward.mean() < 0.6
    background = np.delete(x, np.s_[start : start + motif.width], axis=2)
    gc = background[:, 1:3].sum() / background.sum()
    assert abs(gc - 0.6) < 0.01  # 400 x 90 bases
    assert set(np.unique(x.sum(axis=1))) == {1.0}
    negatives, truth = single_motif_sequences(motif, 5, 50, 0.5, rng, with_motif=False)
    np.testing.assert_allclose(truth, 0.25)
    again = single_motif_sequences(motif, 400, 101, 0.6, np.random.default_rng(0))
    np.testing.assert_array_equal(again[0], x)


def test_single_motif_batches_are_fresh_balanced_and_gc_biased():
    from attrprior.data import SingleMotifBatches

    source = SingleMotifBatches(
        motif=_spi1(), length=120, positive_gc=0.7, negative_gc=0.5, central_flank=10, n_batches=3
    )
    batches = list(source.batches(64, np.random.default_rng(1)))
    assert len(batches) == 3
    for x, y in batches:
        assert x.shape == (64, 4, 120) and y.shape == (64, 1)
        np.testing.assert_array_equal(y[:, 0], np.r_[np.ones(32), np.zeros(32)])
        assert x[:32, 1:3].mean() > x[32:, 1:3].mean() + 0.05  # GC-biased positives
    assert not np.array_equal(batches[0][0], batches[1][0])  # drawn anew for every batch


def test_pwm_scan_mask_marks_strong_matches_on_both_strands():
    from attrprior.data import pwm_scan_mask, reverse_complement

    motif = _spi1()
    width = motif.width
    consensus = np.eye(4, dtype=np.float32)[motif.pwm.argmax(axis=0)].T  # (4, W)
    x = np.zeros((3, 4, 60), dtype=np.float32)
    x[:, 0] = 1  # poly-A background scores low
    x[0, :, 10 : 10 + width] = consensus
    x[1, :, 30 : 30 + width] = reverse_complement(consensus)
    mask = pwm_scan_mask(x, motif, gc=0.5)
    assert mask[0, 10 : 10 + width].all() and mask[1, 30 : 30 + width].all()
    assert not mask[2].any()
    # A second computation of one window's score: mean log2-odds of the consensus bases.
    ppm = (motif.pwm + 0.001) / (motif.pwm + 0.001).sum(axis=0)
    score = np.mean(np.log2(ppm.max(axis=0) / 0.25))
    assert score >= 0.9  # the consensus passes the reference's threshold
    assert not pwm_scan_mask(x, motif, gc=0.5, threshold=score + 0.01)[0].any()
