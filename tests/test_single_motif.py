"""attrprior.sim.single_motif: the synthetic SPI1 dataset, stored or fresh per batch."""

import numpy as np
import pytest
from toy_motifs import stranded_pwm, toy_motifs

from attrprior.pwms import load_jaspar_motifs
from attrprior.sim.datasets import motif_mask
from attrprior.sim.single_motif import (
    SingleMotifBatches,
    simulate_single_motif,
    single_motif_sequences,
)


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar_motifs("JASPAR2016")


def _spi1():
    return load_jaspar_motifs("JASPAR2016")["MA0080.4"]


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
        expected = stranded_pwm(jaspar, row).astype(np.float32)
        np.testing.assert_array_equal(dataset.truth[row.sequence, :, row.start : row.end], expected)
    assert not motif_mask(dataset)[300:].any()
    np.testing.assert_array_equal(dataset.truth[300:], 0.25)
    assert dataset.y.sum() == 300


def test_single_motif_gc_excess_applies_to_training_positives():
    motifs = toy_motifs()
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
    motifs = toy_motifs()
    with pytest.raises(ValueError, match="MA0080.4"):
        simulate_single_motif(5, 5, motifs=motifs)
    with pytest.raises(ValueError, match="length"):
        simulate_single_motif(5, 5, length=50, motif_id="MX0000.1", motifs=motifs)
    with pytest.raises(ValueError, match="positive_gc_excess"):
        simulate_single_motif(
            5, 5, motif_id="MX0000.1", gc_prob=0.9, positive_gc_excess=0.2, motifs=motifs
        )


def test_fresh_single_motif_sequences_centre_the_motif_at_the_asked_gc():

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
    assert source.batches_per_epoch(64) == source.batches_per_epoch(8) == 3
