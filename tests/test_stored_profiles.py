"""Tests for attrprior.genomics.stored_profiles: sampling jittered, reverse-complemented
batches from stored profile examples."""

import pickle

import numpy as np
import pytest

# The stored examples (and the genome they come from) are built by test_profile_examples's
# fixtures.
from test_genome import PLANTED_BASE, fasta, genome, python_code, sequences  # noqa: F401
from test_profile_examples import (  # noqa: F401
    INPUT,
    JITTER,
    NEG_COUNT,
    NEG_OFFSET,
    OUTPUT,
    POS_COUNT,
    examples,
    tracks,
)

from attrprior.sequences import reverse_complement


def check_alignment(batch, genome_code):
    """The summit count and the summit base sit at matching positions in every example."""
    offset = (INPUT - OUTPUT) // 2
    for i in range(len(batch.indices)):
        flipped = batch.reverse_complemented[i]
        summit_strand, other_strand = (1, 0) if flipped else (0, 1)
        profile = batch.profiles[i, 0]
        k = OUTPUT // 2 - batch.shifts[i]  # summit position in the unflipped output window
        k = OUTPUT - 1 - k if flipped else k
        assert profile[summit_strand, k] == POS_COUNT
        # The - strand count lies NEG_OFFSET downstream on the genome: upstream once flipped.
        assert profile[other_strand, k - NEG_OFFSET if flipped else k + NEG_OFFSET] == NEG_COUNT
        assert profile.sum() == POS_COUNT + NEG_COUNT
        base = 3 - genome_code if flipped else genome_code
        column = batch.one_hot[i, :, k + offset]
        assert column[base] == 1 and column.sum() == 1
        # The control (unstranded) count at SUMMIT + 1 moves with the window.
        assert batch.control[i, 0, 0, k - 1 if flipped else k + 1] == 3.0


def test_jitter_keeps_sequence_and_profile_aligned(examples):
    code = python_code(PLANTED_BASE)
    plain = examples.sample([0, 0, 0], jitter=np.array([0, 3, -5]))
    assert plain.one_hot.shape == (3, 4, INPUT) and plain.profiles.shape == (3, 2, 2, OUTPUT)
    assert plain.control.shape == (3, 2, 1, OUTPUT)
    check_alignment(plain, code)
    flipped = examples.sample(
        [0, 0, 0],
        jitter=np.array([0, 3, -5]),
        reverse_complement=True,
        rng=np.random.default_rng(0),
    )
    rng = np.random.default_rng(1)
    for _ in range(5):
        batch = examples.sample(np.zeros(8, dtype=int), JITTER, rng, reverse_complement=True)
        assert np.abs(batch.shifts).max() <= JITTER
        check_alignment(batch, code)
    check_alignment(flipped, code)


def test_reverse_complement_twice_is_identity_and_swaps_strands(examples):
    shifts = np.array([2, -1])
    plain = examples.sample([0, 1], jitter=shifts)
    flipped = examples.sample([0, 1], jitter=shifts, reverse_complement=np.array([True, True]))
    assert flipped.reverse_complemented.all() and not plain.reverse_complemented.any()
    np.testing.assert_array_equal(reverse_complement(flipped.one_hot), plain.one_hot)
    np.testing.assert_array_equal(flipped.profiles[..., ::-1, ::-1], plain.profiles)
    np.testing.assert_array_equal(flipped.control[..., ::-1], plain.control)
    # Task 0 is strand-asymmetric: + holds POS_COUNT, - holds NEG_COUNT; rc swaps them.
    assert plain.profiles[0, 0, 0].max() == POS_COUNT and plain.profiles[0, 0, 1].max() == NEG_COUNT
    assert flipped.profiles[0, 0, 0].max() == NEG_COUNT
    assert flipped.profiles[0, 0, 1].max() == POS_COUNT
    mixed = examples.sample([0, 1], jitter=shifts, reverse_complement=np.array([False, True]))
    np.testing.assert_array_equal(mixed.profiles[0], plain.profiles[0])
    np.testing.assert_array_equal(mixed.profiles[1], flipped.profiles[1])


def test_sample_argument_errors(examples):
    with pytest.raises(ValueError, match="rng"):
        examples.sample([0], jitter=2)
    with pytest.raises(ValueError, match="jitter"):
        examples.sample([0], jitter=JITTER + 1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="jitter"):
        examples.sample([0], jitter=np.array([JITTER + 1]))
    with pytest.raises(ValueError, match="indices"):
        examples.sample([2])
    with pytest.raises(ValueError, match="rng"):
        examples.sample([0], reverse_complement=True)


def test_examples_pickle_by_directory(examples):
    copy = pickle.loads(pickle.dumps(examples))
    np.testing.assert_array_equal(copy.profiles, examples.profiles)
