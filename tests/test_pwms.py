"""attrprior.pwms: JASPAR motifs, sampling from a PWM, scanning for it."""

import numpy as np
import pytest

from attrprior.pwms import Motif, load_jaspar_motifs, pwm_scan_mask, sample_from_pwm
from attrprior.sequences import one_hot_decode, one_hot_encode, reverse_complement


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar_motifs("JASPAR2016")


def _spi1():
    return load_jaspar_motifs("JASPAR2016")["MA0080.4"]


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


def test_pwm_scan_mask_marks_strong_matches_on_both_strands():

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
