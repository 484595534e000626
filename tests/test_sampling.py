"""Balanced training batches from genome-wide labels: every positive once per epoch, fresh
negatives, sequences read from the genome array at the labelled windows; the test peaks
profile models are explained on; training on the strongest peaks only (keep_positives)."""

import shutil

import numpy as np
import pandas as pd
import pytest

from attrprior.genomics.bigwig import write_bigwig
from attrprior.genomics.genome import GenomeArray, encode_genome
from attrprior.genomics.labels import BinaryLabels
from attrprior.genomics.profile_examples import build_profile_examples
from attrprior.genomics.sampling import (
    BalancedWindows,
    genomic_splits,
    kept_rank,
    positive_and_negative_windows,
    profile_attribution_examples,
    profile_splits,
    retained_positives,
    retained_profile_peaks,
    signal_ranks,
)
from attrprior.genomics.stored_profiles import SEQUENCE_FILE, ProfileExamples
from attrprior.objectives import ArrayBatches, batches_per_epoch
from attrprior.sequences import N_CODE

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


@pytest.mark.parametrize("batch_size", [2, 3, 4, 6, 7, 100])
def test_balanced_batches_per_epoch_counts_the_batches_of_an_epoch(genome, batch_size):
    array, _ = genome
    labels = make_labels(ROWS)
    source = BalancedWindows(array, labels, labels.split_mask(["chr1"]))  # 3 positives
    epoch = list(source.batches(batch_size, np.random.default_rng(0)))
    assert source.batches_per_epoch(batch_size) == len(epoch) == -(-3 // (batch_size // 2))
    assert batches_per_epoch(source, batch_size) == len(epoch)
    with pytest.raises(ValueError, match="at least 2"):
        source.batches_per_epoch(1)


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
    with pytest.raises(ValueError, match="valid and test share windows"):
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
    for batch_size in (1, 3, 5, 10, 11):
        epoch = list(ArrayBatches(x, y).batches(batch_size, np.random.default_rng(0)))
        assert ArrayBatches(x, y).batches_per_epoch(batch_size) == len(epoch)
        assert batches_per_epoch((x, y), batch_size) == len(epoch)  # arrays as training takes them


def tiny_profile_examples(tmp_path, sequences, summits, **options):
    """Profile examples (20-bp inputs, 10-bp outputs, jitter 2) of 2 tasks on a tiny genome
    (chromosome name -> bases) with empty count tracks."""
    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{chrom}\n{bases}\n" for chrom, bases in sequences.items()))
    encode_genome(fasta, tmp_path / "genome.npy")
    sizes = {chrom: len(bases) for chrom, bases in sequences.items()}
    bigwig = write_bigwig(tmp_path / "t.bw", sizes, {})
    return build_profile_examples(
        GenomeArray(tmp_path / "genome.npy"),
        summits,
        [[bigwig], [bigwig]],
        tmp_path / "examples",
        input_length=20,
        output_length=10,
        max_jitter=2,
        **options,
    )


def test_profile_attribution_examples_are_distinct_usable_test_peaks(tmp_path):
    rng = np.random.default_rng(0)
    chr2 = list(rng.choice(list("ACGT"), 600))
    chr2[400] = "N"  # inside the input window of the test summit at 410
    summits = pd.DataFrame(
        [("chr1", 300, 0, "train")]
        + [("chr2", s, t, "test") for s, t in [(100, 0), (100, 1), (200, 0), (300, 1), (410, 0)]]
        + [("chr2", 500, 0, "valid")],
        columns=["chrom", "summit", "task", "split"],
    )
    examples = tiny_profile_examples(
        tmp_path, {"chr1": "".join(rng.choice(list("ACGT"), 600)), "chr2": "".join(chr2)}, summits
    )
    # Rows 1-5 are test peaks; row 2 repeats row 1's summit, row 5 holds an N.
    everything, shifts = profile_attribution_examples(examples, 10, seed=0)
    np.testing.assert_array_equal(everything, [1, 3, 4])
    np.testing.assert_array_equal(shifts, [0, 0, 0])  # jitter 0: centred on the summits
    two, _ = profile_attribution_examples(examples, 2, seed=3)
    assert len(two) == 2 and set(two) <= {1, 3, 4} and np.all(np.diff(two) > 0)
    np.testing.assert_array_equal(two, profile_attribution_examples(examples, 2, seed=3)[0])
    draws = {tuple(profile_attribution_examples(examples, 2, seed=s)[0]) for s in range(20)}
    assert len(draws) > 1
    np.testing.assert_array_equal(profile_attribution_examples(examples, 5, 0, "valid")[0], [6])
    with pytest.raises(ValueError, match="no train peak example without N"):
        profile_attribution_examples(_all_n(examples, tmp_path), 1, 0, "train")
    with pytest.raises(ValueError, match="jitter: expected an int in 0.."):
        profile_attribution_examples(examples, 2, 0, jitter=examples.max_jitter + 1)


def test_profile_attribution_examples_are_jittered_with_a_seed(tmp_path):
    rng = np.random.default_rng(1)
    chrom = "".join(rng.choice(list("ACGT"), 4000))
    summits = pd.DataFrame(
        [("chr1", s, 0, "test") for s in range(200, 3800, 150)],
        columns=["chrom", "summit", "task", "split"],
    )
    examples = tiny_profile_examples(tmp_path, {"chr1": chrom}, summits)
    jitter = examples.max_jitter
    assert jitter > 0
    rows, shifts = profile_attribution_examples(examples, 100, seed=4, jitter=jitter)
    # Shifts are seeded, spread over [-jitter, jitter] and not all zero (the old behaviour).
    again = profile_attribution_examples(examples, 100, seed=4, jitter=jitter)
    np.testing.assert_array_equal(rows, again[0])
    np.testing.assert_array_equal(shifts, again[1])
    assert np.abs(shifts).max() <= jitter and len(set(shifts)) > 3 and (shifts != 0).any()
    # The shifted window is the genome around summit + shift.
    batch = examples.sample(rows, jitter=shifts)
    for row, shift, one_hot in zip(rows, shifts, batch.one_hot, strict=True):
        start = examples.center[row] + shift - examples.input_length // 2
        expected = chrom[start : start + examples.input_length]
        assert "".join("ACGT"[i] for i in one_hot.argmax(axis=0)) == expected


def _all_n(examples, tmp_path):
    """A copy of ``examples`` whose sequences are all N."""
    copy = tmp_path / "all_n"
    shutil.copytree(examples.directory, copy)
    codes = np.load(copy / SEQUENCE_FILE, mmap_mode="r+")
    codes[:] = N_CODE
    codes.flush()
    return ProfileExamples(copy)


# --- training on the strongest peaks only (keep_positives, Tseng et al.'s 1% data) -------


def narrowpeaks(rows):
    """rows: (chrom, start, end, signal) -> a read_narrowpeak-like table."""
    chrom, start, end, signal = zip(*rows, strict=True)
    return pd.DataFrame(
        {"chrom": chrom, "start": start, "end": end, "signal": np.array(signal, float)}
    )


def test_signal_ranks_strongest_first_ties_in_file_order():
    assert signal_ranks([5.0, 9.0, 1.0]).tolist() == [2, 1, 3]
    assert signal_ranks([5.0, 9.0, 5.0, 5.0]).tolist() == [2, 1, 3, 4]
    assert signal_ranks([]).tolist() == []


def test_kept_rank_truncates_like_the_reference():
    assert kept_rank(3, 0.34) == 1  # int(1.02)
    assert kept_rank(3, 0.33) == 0  # fewer than one peak: none of the task's
    assert kept_rank(562, 0.1) == 56 and kept_rank(562, 1.0) == 562
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="keep_positives"):
            kept_rank(10, bad)


# Windows of make_labels: 20 bp, central bin [start + 5, start + 15); min_overlap 0.5 -> 5 bp.
KEEP_ROWS = [
    (0, 0, (1, 0)),  # 0: task a, peak of signal 5
    (0, 10, (0, 0)),  # 1: negative
    (0, 30, (1, 0)),  # 2: task a, peak of signal 9 (the strongest)
    (0, 50, (1, 0)),  # 3: task a, peak of signal 1
    (0, 70, (1, 1)),  # 4: weak task a peak, strongest task b peak
    (0, 90, (1, 0)),  # 5: weak task a peak; the strongest task b peak nearby, task b 0
    (1, 0, (1, -1)),  # 6: chr2, task a, peak of signal 9 covering 4 bp of the bin only
    (1, 20, (1, 0)),  # 7: chr2, task a, peak of signal 9 covering 5 bp of the bin
]


def test_retained_positives_keep_the_windows_of_the_strongest_peaks():
    labels = make_labels(KEEP_ROWS[:4])
    task_a = narrowpeaks([("chr1", 5, 15, 5), ("chr1", 35, 45, 9), ("chr1", 55, 65, 1)])
    task_b = narrowpeaks([("chr3", 0, 10, 1)])
    # 3 peaks x 0.34 -> rank 1: only the signal-9 peak's window; negatives never kept.
    keep = retained_positives(labels, [task_a, task_b], 0.34, 0.5)
    assert keep.tolist() == [False, False, True, False]
    # All the peaks: every positive window.
    assert retained_positives(labels, [task_a, task_b], 1.0, 0.5).tolist() == [
        True,
        False,
        True,
        True,
    ]
    with pytest.raises(ValueError, match="2 tasks"):
        retained_positives(labels, [task_a], 0.5, 0.5)


def test_retained_positives_any_positive_task_and_min_overlap():
    labels = make_labels(KEEP_ROWS)
    # Ranks are over each task's whole file (chr3 is not labelled): task a has 6 peaks,
    # 6 x 0.34 -> ranks 1-2; task b 3 peaks -> rank 1.
    task_a = narrowpeaks(
        [
            ("chr1", 5, 15, 5),
            ("chr1", 75, 85, 0.5),
            ("chr1", 95, 105, 0.5),
            ("chr2", 1, 9, 9),  # 4 bp of window 6's bin [5, 15)
            ("chr2", 20, 30, 9),  # 5 bp of window 7's bin [25, 35); ties in file order
            ("chr3", 0, 10, 1),
        ]
    )
    task_b = narrowpeaks([("chr1", 75, 85, 100), ("chr1", 95, 105, 100), ("chr3", 0, 10, 1)])
    keep = retained_positives(labels, [task_a, task_b], 0.34, 0.5)
    # Window 4: kept through task b (positive there); window 5: task b's peak ranks 2nd
    # (ties keep file order) and b is not positive there; 6: 4 bp < 5; 7: 5 bp.
    assert np.flatnonzero(keep).tolist() == [4, 7]
    # With task b's peak of rank 1 over window 5 instead, b being 0 there still keeps it out.
    task_b = narrowpeaks([("chr1", 95, 105, 100), ("chr1", 75, 85, 100), ("chr3", 0, 10, 1)])
    assert np.flatnonzero(retained_positives(labels, [task_a, task_b], 0.34, 0.5)).tolist() == [7]


def test_genomic_splits_keep_only_training_positives(genome):
    array, _ = genome
    rows = [*ROWS, (1, 20, (0, 1)), (1, 30, (0, 0)), (2, 0, (1, 1)), (2, 10, (0, 0))]
    labels = make_labels(rows)
    split_chroms = {"valid": ["chr3"], "test": ["chr2"]}
    full = genomic_splits(array, labels, split_chroms)
    keep = np.zeros(len(rows), bool)
    keep[[3, 8, 12]] = True  # one chr1 training positive, and held-out positives
    train, valid, test = genomic_splits(array, labels, split_chroms, train_keep=keep)
    assert train.positives.tolist() == [3] and len(train) == 2
    # The training positives before keep, as many as without it.
    assert train.n_all_positives == full[0].n_all_positives == len(full[0].positives) > 1
    np.testing.assert_array_equal(train.negatives, full[0].negatives)
    # Validation and test are complete, the same windows as without keep.
    for kept, whole in ((valid, full[1]), (test, full[2])):
        np.testing.assert_array_equal(kept[0], whole[0])
        np.testing.assert_array_equal(kept[1], whole[1])
    with pytest.raises(ValueError, match="split 'train': 0 positive"):
        genomic_splits(array, labels, split_chroms, train_keep=np.zeros(len(rows), bool))


@pytest.fixture
def ranked_examples(tmp_path):
    """Profile examples of 2 tasks with signal ranks: 5 training peaks, 1 valid, 1 test."""
    rng = np.random.default_rng(0)
    sequences = {c: "".join(rng.choice(list("ACGT"), 600)) for c in "12"}
    summits = pd.DataFrame(
        [
            ("1", 100, 0, "train", 3),
            ("1", 200, 0, "train", 1),
            ("1", 300, 0, "train", 2),
            ("1", 400, 1, "train", 2),
            ("1", 500, 1, "train", 1),
            ("2", 100, 0, "valid", 4),
            ("2", 200, 1, "test", 3),
        ],
        columns=["chrom", "summit", "task", "split", "peak_rank"],
    )
    return tiny_profile_examples(
        tmp_path,
        sequences,
        summits,
        random_windows=4,
        task_peak_counts=[4, 3],  # task 0: 4 peaks, task 1: 3
    )


def test_profile_splits_keep_the_strongest_training_peaks(ranked_examples):
    examples = ranked_examples
    # int(4 x 0.5) = 2 for task 0 (ranks 1, 2: rows 1, 2), int(3 x 0.5) = 1 for task 1 (row 4).
    assert retained_profile_peaks(examples, examples.split_indices("train"), 0.5).tolist() == [
        1,
        2,
        4,
    ]
    splits = profile_splits(examples, keep_positives=0.5)
    assert splits["train"].peaks.tolist() == [1, 2, 4]
    # Random windows, validation and test stay complete.
    full = profile_splits(examples)
    np.testing.assert_array_equal(splits["train"].randoms, full["train"].randoms)
    assert splits["train"].random_fraction == full["train"].random_fraction == 0.5
    for name in ("valid", "test"):
        np.testing.assert_array_equal(splits[name].peaks, full[name].peaks)
    assert profile_splits(examples, keep_positives=1.0)["train"].peaks.tolist() == [0, 1, 2, 3, 4]
    # An epoch is one pass over the (kept) peaks, half of each batch of 4 being random windows.
    for train in (splits["train"], full["train"]):
        for batch_size in (2, 3, 4, 7):
            epoch = list(train.batches(batch_size, np.random.default_rng(0)))
            assert train.batches_per_epoch(batch_size) == len(epoch)
    assert [full["train"].batches_per_epoch(b) for b in (4, 7)] == [3, 2]  # 2 and 3 peaks each
    with pytest.raises(ValueError, match="random windows have no peak rank"):
        retained_profile_peaks(examples, examples.random_indices(), 0.5)
    with pytest.raises(ValueError, match="no train peak examples"):
        profile_splits(examples, keep_positives=0.2)  # int(4 x 0.2) = 0, int(3 x 0.2) = 0


def test_profile_keep_needs_examples_with_ranks(tmp_path, ranked_examples):
    copy = tmp_path / "unranked"
    shutil.copytree(ranked_examples.directory, copy)
    with np.load(copy / "metadata.npz") as meta:
        fields = {k: meta[k] for k in meta.files if k not in ("peak_rank", "task_peak_counts")}
    np.savez(copy / "metadata.npz", **fields)
    unranked = ProfileExamples(copy)
    assert unranked.peak_rank is None and unranked.task_peak_counts is None
    assert len(profile_splits(unranked)["train"]) == 5
    with pytest.raises(ValueError, match="unranked: no peak signal ranks"):
        profile_splits(unranked, keep_positives=0.5)
