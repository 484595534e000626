"""Tests for attrprior.genomics.profile_examples: summit-centred examples and random windows."""

import os

import numpy as np
import pandas as pd
import pytest

# The genome fixtures (a FASTA with a planted summit, its genome array) are test_genome's.
from test_genome import (  # noqa: F401
    LENGTHS,
    SUMMIT,
    fasta,
    genome,
    sequences,
)

import attrprior.genomics.profile_examples as examples_module
from attrprior.genomics.bigwig import write_bigwig
from attrprior.genomics.profile_examples import build_profile_examples
from attrprior.genomics.stored_profiles import ProfileExamples

# --------------------------------------------------------------------------------------------

INPUT, OUTPUT, JITTER = 40, 20, 5
POS_COUNT, NEG_COUNT, NEG_OFFSET = 5.0, 7.0, 3


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    """Two stranded tasks and one unstranded control; task 0 asymmetric around SUMMIT."""
    folder = tmp_path_factory.mktemp("bigwigs")

    def bigwig(name, entries):
        return write_bigwig(
            folder / name,
            LENGTHS,
            {c: (np.array(s), np.array(s) + 1, np.array(v)) for c, (s, v) in entries.items()},
        )

    task0 = (
        bigwig("t0_pos.bw", {"chr1": ([SUMMIT], [POS_COUNT]), "chr2": ([1000], [1.0])}),
        bigwig("t0_neg.bw", {"chr1": ([SUMMIT + NEG_OFFSET], [NEG_COUNT])}),
    )
    task1 = (
        bigwig("t1_pos.bw", {"chr1": ([SUMMIT - 2], [2.0])}),
        bigwig("t1_neg.bw", {}),
    )
    control = bigwig("ctl.bw", {"chr1": ([SUMMIT + 1], [3.0])})
    return [task0, task1], [control, control]


def summits():
    return pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr2", "chr2"],
            "summit": [SUMMIT, 10, 1990, 1000],  # rows 1 and 2 run off a chromosome end
            "task": [0, 1, 0, 1],
            "split": ["train", "train", "test", "valid"],
            "name": ["a", "b", "c", "d"],
        }
    )


@pytest.fixture(scope="module")
def examples(tmp_path_factory, genome, tracks):
    bigwigs, controls = tracks
    return build_profile_examples(
        genome,
        summits(),
        bigwigs,
        tmp_path_factory.mktemp("examples") / "out",
        input_length=INPUT,
        output_length=OUTPUT,
        max_jitter=JITTER,
        control_bigwigs=controls,
        chunk_size=1,
    )


def test_examples_drop_windows_off_the_end(examples, genome):
    assert len(examples) == 2 and examples.n_dropped == 2
    assert examples.dropped_rows.tolist() == [1, 2]
    assert examples.source_row.tolist() == [0, 3]
    assert examples.chrom.tolist() == ["chr1", "chr2"]
    assert examples.center.tolist() == [SUMMIT, 1000]
    assert examples.split.tolist() == ["train", "valid"]
    assert examples.split_indices("valid").tolist() == [1]
    assert examples.sequence_codes.shape == (2, INPUT + 2 * JITTER)
    assert examples.profiles.shape == (2, 2, 2, OUTPUT + 2 * JITTER)
    assert examples.control.shape == (2, 2, 1, OUTPUT + 2 * JITTER)
    start = SUMMIT - (INPUT + 2 * JITTER) // 2
    np.testing.assert_array_equal(
        examples.sequence_codes[0], genome.fetch("chr1", start, start + INPUT + 2 * JITTER)
    )
    assert sorted(os.listdir(examples.directory)) == [
        "control.npy",
        "metadata.npz",
        "profiles.npy",
        "sequence_codes.npy",
    ]


def test_build_checks_inputs(tmp_path, genome, tracks):
    bigwigs, _ = tracks
    arguments = dict(input_length=INPUT, output_length=OUTPUT, max_jitter=JITTER)
    bad_bigwig = write_bigwig(tmp_path / "short.bw", {"chr1": 2999, "chr2": 2000}, [])
    with pytest.raises(ValueError, match=r"short\.bw.*chr1"):
        build_profile_examples(
            genome, summits(), [bigwigs[0], (bad_bigwig, bad_bigwig)], tmp_path / "o", **arguments
        )
    with pytest.raises(ValueError, match="chrX"):
        table = summits().assign(chrom=["chr1", "chrX", "chr1", "chr1"])
        build_profile_examples(genome, table, bigwigs, tmp_path / "o", **arguments)
    with pytest.raises(ValueError, match="task"):
        build_profile_examples(genome, summits(), bigwigs[:1], tmp_path / "o", **arguments)
    with pytest.raises(ValueError, match="even"):
        build_profile_examples(
            genome, summits(), bigwigs, tmp_path / "o", input_length=41, output_length=20
        )
    assert not (tmp_path / "o").exists() or not os.listdir(tmp_path / "o")


def test_failed_build_leaves_no_partial_files(tmp_path, genome, tracks, monkeypatch):
    bigwigs, controls = tracks
    out = tmp_path / "out"
    arguments = dict(input_length=INPUT, output_length=OUTPUT, max_jitter=JITTER, chunk_size=1)
    first = build_profile_examples(genome, summits(), bigwigs, out, **arguments)
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    assert "control.npy" not in before and first.control is None

    calls = []
    real = examples_module.read_bigwig_values

    def failing(*args):
        calls.append(args)
        if len(calls) > 5:  # after the first example
            raise RuntimeError("disk on fire")
        return real(*args)

    monkeypatch.setattr(examples_module, "read_bigwig_values", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_profile_examples(
            genome, summits(), bigwigs, out, control_bigwigs=controls, **arguments
        )
    # No temporary files, and the earlier complete output is untouched.
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
    assert len(ProfileExamples(out)) == 2


def test_all_summits_dropped_gives_empty_examples(tmp_path, genome, tracks):
    bigwigs, _ = tracks
    table = summits().iloc[[1, 2]]
    examples = build_profile_examples(
        genome, table, bigwigs, tmp_path / "e", input_length=INPUT, output_length=OUTPUT
    )
    assert len(examples) == 0 and examples.n_dropped == 2
    assert examples.sequence_codes.shape == (0, INPUT + 2 * 128)
    assert examples.sample([]).profiles.shape == (0, 2, 2, OUTPUT)


def test_random_window_pool(tmp_path, genome, tracks):
    bigwigs, controls = tracks
    arguments = dict(
        input_length=INPUT,
        output_length=OUTPUT,
        max_jitter=JITTER,
        control_bigwigs=controls,
        chunk_size=3,
    )
    examples = build_profile_examples(
        genome, summits(), bigwigs, tmp_path / "a", random_windows=7, random_seed=3, **arguments
    )
    assert len(examples) == 2 + 7 and examples.n_random == 7
    assert examples.is_peak.tolist() == [True] * 2 + [False] * 7
    randoms = examples.random_indices()
    assert randoms.tolist() == list(range(2, 9))
    assert (examples.task[randoms] == -1).all() and (examples.source_row[randoms] == -1).all()
    assert (examples.split[randoms] == "train").all()
    # Default: the chromosomes of the train summits (only chr1 here).
    assert set(examples.chrom[randoms]) == {"chr1"}
    width = INPUT + 2 * JITTER
    for row in randoms:
        chrom, start = examples.chrom[row], examples.center[row] - width // 2
        assert 0 <= start and start + width <= LENGTHS[chrom]
        np.testing.assert_array_equal(
            examples.sequence_codes[row], genome.fetch(chrom, start, start + width)
        )
    # Profiles and controls are those of a summit at the window centre.
    as_summits = pd.DataFrame(
        {"chrom": examples.chrom[randoms], "summit": examples.center[randoms], "task": 0}
    ).assign(split="train")
    direct = build_profile_examples(genome, as_summits, bigwigs, tmp_path / "d", **arguments)
    np.testing.assert_array_equal(direct.profiles, examples.profiles[randoms])
    np.testing.assert_array_equal(direct.control, examples.control[randoms])
    # Peaks only by default; the random windows on request; sample() marks them.
    assert examples.split_indices("train").tolist() == [0]
    assert examples.split_indices("train", peaks_only=False).tolist() == [0, *randoms]
    assert examples.sample([0, 5]).is_peak.tolist() == [True, False]
    # Seeded.
    again = build_profile_examples(
        genome, summits(), bigwigs, tmp_path / "b", random_windows=7, random_seed=3, **arguments
    )
    other = build_profile_examples(
        genome, summits(), bigwigs, tmp_path / "c", random_windows=7, random_seed=4, **arguments
    )
    np.testing.assert_array_equal(again.center, examples.center)
    assert not np.array_equal(other.center, examples.center)


def test_random_window_arguments_and_old_directories(tmp_path, genome, tracks):
    bigwigs, _ = tracks
    arguments = dict(input_length=INPUT, output_length=OUTPUT, max_jitter=JITTER)
    chosen = build_profile_examples(
        genome,
        summits(),
        bigwigs,
        tmp_path / "e",
        random_windows=4,
        random_chroms=["chr2"],
        **arguments,
    )
    assert set(chosen.chrom[chosen.random_indices()]) == {"chr2"}
    # Held-out regions of a training chromosome: no random window overlaps them.
    length = genome.chrom_sizes["chr2"]
    held_out = [("chr2", 0, length // 2)]
    avoided = build_profile_examples(
        genome,
        summits(),
        bigwigs,
        tmp_path / "r",
        random_windows=20,
        random_chroms=["chr2"],
        random_exclude=held_out,
        **arguments,
    )
    starts = avoided.center[avoided.random_indices()] - (INPUT + 2 * JITTER) // 2
    assert len(starts) == 20 and (starts >= length // 2).all()
    with pytest.raises(ValueError, match="chrX"):
        build_profile_examples(
            genome,
            summits(),
            bigwigs,
            tmp_path / "x",
            random_windows=2,
            random_chroms=["chrX"],
            **arguments,
        )
    with pytest.raises(ValueError, match="random_windows"):
        build_profile_examples(genome, summits(), bigwigs, tmp_path / "x", random_windows=-1)
    # A version-1 directory (before random windows) reads as peaks only.
    plain = build_profile_examples(genome, summits(), bigwigs, tmp_path / "v1", **arguments)
    with np.load(plain.directory / "metadata.npz") as meta:
        fields = {k: meta[k] for k in meta.files if k not in ("is_peak", "n_random")}
    np.savez(plain.directory / "metadata.npz", **{**fields, "version": 1})
    old = ProfileExamples(plain.directory)
    assert old.is_peak.tolist() == [True, True] and old.n_random == 0
    np.savez(plain.directory / "metadata.npz", **{**fields, "version": 3})
    with pytest.raises(ValueError, match="version 3"):
        ProfileExamples(plain.directory)


def test_peak_ranks_are_stored_with_the_examples(tmp_path, genome, tracks, examples):
    bigwigs, _ = tracks
    arguments = dict(input_length=INPUT, output_length=OUTPUT, max_jitter=JITTER)
    # Rows 1 and 2 run off a chromosome end; the kept rows keep their own ranks.
    ranked = summits().assign(peak_rank=[2, 1, 1, 3])
    built = build_profile_examples(
        genome,
        ranked,
        bigwigs,
        tmp_path / "r",
        random_windows=2,
        task_peak_counts=[2, 3],
        **arguments,
    )
    assert built.peak_rank.tolist() == [2, 3, -1, -1]  # random windows: -1
    assert built.task_peak_counts.tolist() == [2, 3]
    assert examples.peak_rank is None and examples.task_peak_counts is None  # built without
    for table, counts, match in (
        (ranked, None, "go together"),
        (summits(), [2, 3], "go together"),
        (ranked, [2], "expected 2 counts"),
        (ranked, [1, 3], "outside 1 .. task_peak_counts"),
        (summits().assign(peak_rank=[2.0, 1, 1, 3]), [2, 3], "must hold integers"),
    ):
        with pytest.raises(ValueError, match=match):
            build_profile_examples(
                genome, table, bigwigs, tmp_path / "x", task_peak_counts=counts, **arguments
            )


def test_held_out_splits_whole_chromosomes_and_regions():
    from attrprior.genomics.profile_examples import HeldOut

    held_out = HeldOut.from_config(
        {"valid": ["chr2"], "test": ["chr1:100-200"]}, ["chr1", "chr2", "chr3"]
    )
    assert held_out.train_chroms == ["chr1", "chr3"]
    assert held_out.regions == {"valid": [("chr2", 0, None)], "test": [("chr1", 100, 200)]}
    assert held_out.partial_regions == [("chr1", 100, 200)]


def test_task_summits_ranks_splits_and_drops_other_chromosomes(tmp_path, genome):
    from attrprior.genomics.profile_examples import HeldOut, task_summits

    rows = [  # chrom, start, end, signal, summit offset
        ("chr1", 900, 1100, 5.0, 100),
        ("chr2", 400, 600, 9.0, 50),
        ("chrUn", 0, 100, 7.0, 10),
    ]
    path = tmp_path / "task0.narrowPeak"
    path.write_text(
        "".join(
            f"{c}\t{s}\t{e}\tp{i}\t0\t.\t{v}\t-1\t-1\t{o}\n"
            for i, (c, s, e, v, o) in enumerate(rows)
        )
    )
    held_out = HeldOut.from_config({"test": ["chr2"]}, list(LENGTHS))
    summits, counts, n_other = task_summits([path, path], genome, held_out)
    assert counts == [3, 3] and n_other == 2
    assert summits["summit"].tolist() == [1000, 450, 1000, 450]
    assert summits["split"].tolist() == ["train", "test", "train", "test"]
    assert summits["peak_rank"].tolist() == [3, 1, 3, 1]  # chrUn's 7.0 ranks 2nd
    assert summits["task"].tolist() == [0, 0, 1, 1]


def test_examples_summary_counts_kept_examples_and_dropped_summits(examples):
    from attrprior.genomics.profile_examples import examples_summary

    table = examples_summary(examples, ["ctcf", "rest"], n_other_chroms=4)
    assert table["kind"].tolist() == ["peak", "peak"]
    assert table[["task", "split", "examples"]].values.tolist() == [
        ["ctcf", "train", 1],
        ["rest", "valid", 1],
    ]
    assert (table["dropped_off_end_all_tasks"] == 2).all()
    assert (table["dropped_other_chroms_all_tasks"] == 4).all()
