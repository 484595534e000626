"""attrprior.sim.billboard: the billboard dataset, its motif placements and ground truth."""

import numpy as np
import pandas as pd
import pytest
from toy_motifs import stranded_pwm, toy_billboard

from attrprior.pwms import load_jaspar_motifs
from attrprior.sequences import reverse_complement
from attrprior.sim.billboard import billboard_from_truth, simulate_billboard
from attrprior.sim.datasets import motif_mask

CORE_IDS = ("MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2")
COUNT_PROBABILITIES = {3: 0.50, 4: 0.25, 5: 0.17, 6: 0.05, 7: 0.03}


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar_motifs("JASPAR2016")


@pytest.fixture(scope="module")
def billboard(jaspar):
    return simulate_billboard(n_sequences=3000, seed=1, motifs=jaspar)


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
        expected = stranded_pwm(jaspar, row).astype(np.float32)
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


def test_billboard_is_deterministic():
    first, again, other = toy_billboard(seed=5), toy_billboard(seed=5), toy_billboard(seed=6)
    for key in ("x", "y", "truth", "split"):
        np.testing.assert_array_equal(getattr(first, key), getattr(again, key))
    pd.testing.assert_frame_equal(first.placements, again.placements)
    pd.testing.assert_frame_equal(first.motif_pool, again.motif_pool)
    assert not np.array_equal(first.x, other.x)
    assert not np.array_equal(first.split, other.split)
    assert not first.placements.equals(other.placements)


def test_billboard_split_sizes_sum_to_n():
    dataset = toy_billboard(n_sequences=11)
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
        toy_billboard(**kwargs)


def test_billboard_resamples_motifs_that_do_not_fit():
    # Draws of three motifs wider than the sequence are redrawn, not truncated.
    dataset = toy_billboard(
        length=22,
        core_motif_ids=("MX0002.1", "MX0003.1"),  # widths 7 and 8: only 7+7+7 and 7+7+8 fit
        motifs_per_sequence={3: 1.0},
        n_background_motifs=0,
    )
    assert (dataset.placements["end"] <= 22).all()
    widths = dataset.placements.groupby("sequence").apply(lambda g: (g.end - g.start).sum())
    assert set(widths) == {21, 22}
    assert (dataset.placements.groupby("sequence").size() == 3).all()
