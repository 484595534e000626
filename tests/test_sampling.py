"""Balanced training batches from genome-wide labels: every positive once per epoch, fresh
negatives, sequences read from the genome array at the labelled windows; the test peaks
profile models are explained on."""

import shutil

import numpy as np
import pandas as pd
import pytest

from attrprior.genome import (
    N_CODE,
    SEQUENCE_FILE,
    GenomeArray,
    ProfileExamples,
    build_profile_examples,
    encode_genome,
)
from attrprior.labels import BinaryLabels
from attrprior.sampling import (
    BalancedWindows,
    genomic_splits,
    positive_and_negative_windows,
    profile_attribution_examples,
)
from attrprior.tracks import write_bigwig
from attrprior.train import ArrayBatches

WINDOW = 20


@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(0)
    fasta = tmp_path / "genome.fa"
    sequences = {name: "".join(rng.choice(list("ACGT"), 400)) for name in ("chr1", "chr2", "chr3")}
    fasta.write_text("".join(f">{name}\n{seq}\n" for name, seq in sequences.items()))
    encode_genome(fasta, tmp_path / "genome.npy")
    return GenomeArray(tmp_path / "genome.npy"), sequences


def make_labels(rows):
    """rows: (chrom index, start, labels of 2 tasks)."""
    chrom, start, labels = zip(*rows, strict=True)
    return BinaryLabels(
        chrom_names=np.array(["chr1", "chr2", "chr3"]),
        chrom=np.array(chrom, dtype=np.int16),
        start=np.array(start, dtype=np.int64),
        labels=np.array(labels, dtype=np.int8),
        tasks=np.array(["a", "b"]),
        bin_size=10,
        stride=5,
        flank=5,
    )


ROWS = [
    (0, 0, (1, 0)),  # positive
    (0, 10, (0, 0)),  # negative
    (0, 20, (-1, 0)),  # ambiguous only: never used
    (0, 30, (0, 1)),  # positive
    (0, 40, (0, 0)),  # negative
    (0, 50, (1, -1)),  # positive (task b ignored by the loss)
    (0, 60, (0, 0)),  # negative
    (0, 70, (0, 0)),  # negative
    (1, 0, (1, 0)),  # chr2 positive
    (1, 10, (0, 0)),  # chr2 negative
]


def test_positive_and_negative_windows():
    labels = make_labels(ROWS)
    positives, negatives = positive_and_negative_windows(labels, np.ones(len(ROWS), bool))
    assert positives.tolist() == [0, 3, 5, 8]
    assert negatives.tolist() == [1, 4, 6, 7, 9]
    chr1 = labels.split_mask(["chr1"])
    positives, negatives = positive_and_negative_windows(labels, chr1)
    assert positives.tolist() == [0, 3, 5] and negatives.tolist() == [1, 4, 6, 7]


def test_batches_are_balanced_every_positive_once_negatives_redrawn(genome):
    array, _ = genome
    labels = make_labels(ROWS)
    source = BalancedWindows(array, labels, labels.split_mask(["chr1"]))
    assert len(source) == 6
    rng = np.random.default_rng(1)
    negative_draws = set()
    for _ in range(20):
        batches = list(source.batches(4, rng))
        assert [len(yb) for _, yb in batches] == [4, 2]
        positives, negatives = [], []
        for xb, yb in batches:
            # Half positive (any task 1), half negative (all tasks 0), batch by batch.
            half = len(yb) // 2
            assert (yb[:half] == 1).any(axis=1).all() and (yb[half:] == 0).all()
            positives += [x.tobytes() for x in xb[:half]]
            negatives += [x.tobytes() for x in xb[half:]]
        assert len(set(positives)) == 3  # every chr1 positive, once
        negative_draws.add(tuple(sorted(negatives)))
    assert len(negative_draws) > 1  # negatives are redrawn each epoch


def test_sequences_come_from_the_labelled_windows(genome):
    array, sequences = genome
    labels = make_labels(ROWS)
    source = BalancedWindows(array, labels, np.ones(len(ROWS), bool))
    x, y = source.examples(np.array([3, 8]))
    decoded = ["".join("ACGT"[i] for i in one_hot.argmax(axis=0)) for one_hot in x]
    assert decoded == [sequences["chr1"][30:50], sequences["chr2"][0:20]]
    assert y.tolist() == [[0, 1], [1, 0]]


def test_fixed_sample_is_seeded_and_shuffled(genome):
    array, _ = genome
    labels = make_labels(ROWS)
    source = BalancedWindows(array, labels, labels.split_mask(["chr1"]))
    a = source.fixed_sample(np.random.default_rng(0))
    b = source.fixed_sample(np.random.default_rng(0))
    np.testing.assert_array_equal(a[0], b[0])
    assert len(a[1]) == 6 and int((a[1] == 1).any(axis=1).sum()) == 3


def test_genomic_splits_hold_out_chromosomes(genome):
    array, _ = genome
    rows = [*ROWS, (1, 20, (0, 1)), (1, 30, (0, 0)), (2, 0, (1, 1)), (2, 10, (0, 0))]
    labels = make_labels(rows)
    train, valid, test = genomic_splits(array, labels, {"valid": ["chr3"], "test": ["chr2"]})
    assert train.positives.tolist() == [0, 3, 5]
    assert len(test[1]) == 4  # 2 positives on chr2 and 2 of its 3 negatives
    assert len(valid[1]) == 2
    with pytest.raises(ValueError, match="split 'train': 0 positive"):
        genomic_splits(array, labels, {"valid": ["chr1", "chr3"], "test": ["chr2"]})
    with pytest.raises(ValueError, match="share a chromosome"):
        genomic_splits(array, labels, {"valid": ["chr2"], "test": ["chr2"]})


def test_a_split_without_positives_is_an_error(genome):
    array, _ = genome
    labels = make_labels(ROWS)
    with pytest.raises(ValueError, match="split 'test': 0 positive"):
        BalancedWindows(array, labels, np.zeros(len(ROWS), bool), "test")


def test_array_batches_cover_every_example_once():
    x, y = np.arange(10).reshape(10, 1, 1), np.arange(10).reshape(10, 1)
    batches = list(ArrayBatches(x, y).batches(3, np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate([b[1] for b in batches]).ravel()) == list(range(10))


def test_profile_attribution_examples_are_distinct_usable_test_peaks(tmp_path):
    rng = np.random.default_rng(0)
    chr2 = list(rng.choice(list("ACGT"), 600))
    chr2[400] = "N"  # inside the input window of the test summit at 410
    fasta = tmp_path / "genome.fa"
    fasta.write_text(f">chr1\n{''.join(rng.choice(list('ACGT'), 600))}\n>chr2\n{''.join(chr2)}\n")
    encode_genome(fasta, tmp_path / "genome.npy")
    bigwig = write_bigwig(tmp_path / "t.bw", {"chr1": 600, "chr2": 600}, {})
    summits = pd.DataFrame(
        [("chr1", 300, 0, "train")]
        + [("chr2", s, t, "test") for s, t in [(100, 0), (100, 1), (200, 0), (300, 1), (410, 0)]]
        + [("chr2", 500, 0, "valid")],
        columns=["chrom", "summit", "task", "split"],
    )
    examples = build_profile_examples(
        GenomeArray(tmp_path / "genome.npy"),
        summits,
        [[bigwig], [bigwig]],
        tmp_path / "examples",
        input_length=20,
        output_length=10,
        max_jitter=2,
    )
    # Rows 1-5 are test peaks; row 2 repeats row 1's summit, row 5 holds an N.
    everything = profile_attribution_examples(examples, 10, seed=0)
    np.testing.assert_array_equal(everything, [1, 3, 4])
    two = profile_attribution_examples(examples, 2, seed=3)
    assert len(two) == 2 and set(two) <= {1, 3, 4} and np.all(np.diff(two) > 0)
    np.testing.assert_array_equal(two, profile_attribution_examples(examples, 2, seed=3))
    draws = {tuple(profile_attribution_examples(examples, 2, seed=s)) for s in range(20)}
    assert len(draws) > 1
    np.testing.assert_array_equal(profile_attribution_examples(examples, 5, 0, "valid"), [6])
    with pytest.raises(ValueError, match="no train peak example without N"):
        profile_attribution_examples(_all_n(examples, tmp_path), 1, 0, "train")


def _all_n(examples, tmp_path):
    """A copy of ``examples`` whose sequences are all N."""
    copy = tmp_path / "all_n"
    shutil.copytree(examples.directory, copy)
    codes = np.load(copy / SEQUENCE_FILE, mmap_mode="r+")
    codes[:] = N_CODE
    codes.flush()
    return ProfileExamples(copy)
