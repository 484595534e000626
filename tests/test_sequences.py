"""Tests for attrprior.sequences: the alphabet, base codes, one-hot and reverse complements."""

import numpy as np
import pytest

from attrprior.sequences import (
    ALPHABET,
    N_CODE,
    codes_to_one_hot,
    encode_codes,
    one_hot_decode,
    one_hot_encode,
    reverse_complement,
    reverse_complement_codes,
)


def test_reverse_complement_known_value_and_involution():
    x = one_hot_encode("AACGTTG")
    assert one_hot_decode(reverse_complement(x)) == "CAACGTT"
    batch = np.random.default_rng(0).random((3, 4, 9))
    np.testing.assert_array_equal(reverse_complement(reverse_complement(batch)), batch)
    np.testing.assert_array_equal(reverse_complement(batch)[1], reverse_complement(batch[1]))
    with pytest.raises(ValueError, match="x"):
        reverse_complement(np.zeros((5, 3)))


def test_one_hot_round_trip_and_unknown_letters():
    sequence = "ACGTNACCGTTA"
    x = one_hot_encode(sequence)
    assert x.dtype == np.int8 and x.shape == (4, len(sequence))
    assert one_hot_decode(x) == sequence
    assert x[:, 4].sum() == 0
    np.testing.assert_array_equal(one_hot_encode("acgt"), np.eye(4, dtype=np.int8))
    assert one_hot_decode(one_hot_encode("AXG-")) == "ANGN"
    with pytest.raises(ValueError, match="x"):
        one_hot_decode(np.full((4, 2), 0.25))


def test_codes_and_one_hot_agree():
    sequence = "ACGTNacgtx"
    codes = encode_codes(sequence)
    assert codes.tolist() == [0, 1, 2, 3, N_CODE, 0, 1, 2, 3, N_CODE]
    np.testing.assert_array_equal(codes_to_one_hot(codes, np.int8), one_hot_encode(sequence))
    np.testing.assert_array_equal(
        codes_to_one_hot(reverse_complement_codes(codes)),
        reverse_complement(codes_to_one_hot(codes)),
    )
    assert one_hot_decode(one_hot_encode("acgtn")) == "ACGTN"
    assert ALPHABET == "ACGT"


def test_alphabet():
    assert ALPHABET == "ACGT"


# ---------------------------------------------------------------------------------------------
# Tseng et al.'s synthetic SPI1 protocol: fresh sequences, centred motif, PWM-scan mask
# ---------------------------------------------------------------------------------------------
