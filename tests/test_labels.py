"""Binary labels: hand-computed cases, a brute-force reference, the file format, Koo regions."""

import gzip

import numpy as np
import pandas as pd
import pytest
from peak_tables import intervals

from attrprior.genomics.chroms import parse_split_region
from attrprior.genomics.labels import (
    binary_labels,
    central_bin_coverage,
    load_binary_labels,
    region_mask,
    write_binary_labels,
)


def _brute_force(length, optimal, relaxed, blacklist, bin_size=200, stride=50, flank=400):
    """A second, straightforward implementation: one loop over every bin, base-pair masks.

    ``optimal`` / ``relaxed``: per task a list of (start, end); ``blacklist``: list of spans.
    Returns window starts (W,), labels (W, T), and the drop counts.
    """
    masks = {}
    for key, spans_per_task in (("opt", optimal), ("rel", relaxed)):
        masks[key] = []
        for spans in spans_per_task:
            mask = np.zeros(length, dtype=bool)
            for s, e in spans:
                mask[s:e] = True
            masks[key].append(mask)
    black = np.zeros(length, dtype=bool)
    for s, e in blacklist:
        black[s:e] = True
    starts, rows, off_end, blacklisted = [], [], 0, 0
    i = 0
    while i * stride + bin_size <= length:
        b = i * stride
        i += 1
        if b - flank < 0 or b + bin_size + flank > length:
            off_end += 1
            continue
        if black[b - flank : b + bin_size + flank].any():
            blacklisted += 1
            continue
        row = []
        for opt, rel in zip(masks["opt"], masks["rel"], strict=True):
            if opt[b : b + bin_size].sum() >= bin_size / 2:
                row.append(1)
            elif rel[b : b + bin_size].any():
                row.append(-1)
            else:
                row.append(0)
        starts.append(b - flank)
        rows.append(row)
    labels = np.array(rows, dtype=np.int8).reshape(len(rows), len(optimal))
    return np.array(starts, dtype=np.int64), labels, off_end, blacklisted


def _write_narrowpeak(path, table, gz=False):
    lines = "".join(
        f"{r.chrom}\t{r.start}\t{r.end}\t.\t0\t.\t1\t1\t1\t-1\n" for r in table.itertuples()
    )
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(lines)
    else:
        path.write_text(lines)
    return path


# --- Tseng binary labels ---------------------------------------------------------------------


def test_hand_computed_single_peak():
    # chr1: 2000 bp -> bins 0..36 (start 0..1800); windows on the chromosome need
    # bin start in [400, 1400]: 21 kept, 8 + 8 dropped off the ends.
    optimal = intervals("chr1", [(1000, 1100)])
    relaxed = intervals("chr1", [(700, 1300)])
    result = binary_labels({"chr1": 2000}, [optimal], [relaxed])["chr1"]
    assert result.counts["bins"] == 37
    assert result.counts["windows"] == 21
    assert result.counts["dropped_off_end"] == 16
    assert result.start.tolist() == list(range(0, 1001, 50))
    bin_start = result.start + 400
    # positive: bins overlapping [1000, 1100) by >= 100 bp: starts 900, 950, 1000
    assert bin_start[result.labels[:, 0] == 1].tolist() == [900, 950, 1000]
    # ambiguous: other bins meeting [700, 1300): starts 550..850 and 1050..1250 (kept ones)
    expected_ambiguous = list(range(550, 851, 50)) + list(range(1050, 1251, 50))
    assert bin_start[result.labels[:, 0] == -1].tolist() == expected_ambiguous
    assert result.counts["positive_task0"] == 3
    assert result.counts["ambiguous_task0"] == 12
    expected = _brute_force(2000, [[(1000, 1100)]], [[(700, 1300)]], [])
    np.testing.assert_array_equal(result.start, expected[0])
    np.testing.assert_array_equal(result.labels, expected[1])


def test_overlap_threshold_boundary():
    # A 100-bp peak [1000, 1100) covers bin 950 by exactly 100 (positive); a 99-bp peak does not.
    for end, expected in ((1100, 1), (1099, -1)):
        result = binary_labels(
            {"c": 2000}, [intervals("c", [(1000, end)])], [intervals("c", [(1000, end)])]
        )["c"]
        assert result.labels[result.start == 950 - 400, 0].tolist() == [expected]


def test_blacklist_and_multiple_tasks_and_empty_chromosome():
    sizes = {"chr1": 3000, "chr2": 2500, "chr3": 1200}
    # blacklist [1500, 1510) kills windows [b - 400, b + 600) meeting it: b in (900, 1910)
    # i.e. bin starts 950..1900 -> those on the chromosome (b <= 2400) are 20 windows.
    blacklist = intervals("chr1", [(1500, 1510)])
    optimal = [
        pd.concat([intervals("chr1", [(500, 700)]), intervals("chr2", [(1200, 1300)])]),
        intervals("chr1", [(2000, 2300), (2250, 2400)]),  # overlapping peaks: union counts
    ]
    relaxed = [intervals("chr1", [(450, 800)]), None]
    results = binary_labels(sizes, optimal, relaxed, blacklist, tasks=["a", "b"])
    assert list(results) == ["chr1", "chr2", "chr3"]
    chr1 = results["chr1"]
    assert chr1.counts["bins"] == 57 and chr1.counts["dropped_off_end"] == 16
    assert chr1.counts["dropped_blacklist"] == 20
    assert chr1.counts["windows"] == 57 - 16 - 20
    expected = _brute_force(
        3000,
        [[(500, 700)], [(2000, 2300), (2250, 2400)]],
        [[(450, 800)], []],
        [(1500, 1510)],
    )
    np.testing.assert_array_equal(chr1.start, expected[0])
    np.testing.assert_array_equal(chr1.labels, expected[1])
    assert (expected[2], expected[3]) == (16, 20)
    assert chr1.counts["positive_a"] == 5 and chr1.counts["positive_b"] == 8
    assert chr1.counts["ambiguous_b"] == 0
    # bins 400..600 meet [500, 700) by >= 100; task b: the union [2000, 2400), bins 1950..2300
    # chr2: task a has a peak, task b none; chr3 (1200 bp) has no peaks
    assert (results["chr2"].labels[:, 1] == 0).all()
    assert results["chr2"].counts["positive_a"] == 3  # bins 1100..1200
    assert results["chr3"].counts["windows"] == 5  # bins 400..600
    assert (results["chr3"].labels == 0).all()


def test_random_peaks_match_brute_force():
    rng = np.random.default_rng(0)
    length = 20_000
    for _ in range(3):
        spans = {}
        for key, n in (("opt0", 12), ("opt1", 6), ("rel0", 20), ("rel1", 10), ("black", 2)):
            starts = rng.integers(0, length - 700, size=n)
            ends = starts + rng.integers(1, 700, n)
            spans[key] = [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
        result = binary_labels(
            {"chrR": length},
            [intervals("chrR", spans["opt0"]), intervals("chrR", spans["opt1"])],
            [intervals("chrR", spans["rel0"]), intervals("chrR", spans["rel1"])],
            intervals("chrR", spans["black"]),
        )["chrR"]
        starts, labels, off_end, blacklisted = _brute_force(
            length,
            [spans["opt0"], spans["opt1"]],
            [spans["rel0"], spans["rel1"]],
            spans["black"],
        )
        np.testing.assert_array_equal(result.start, starts)
        np.testing.assert_array_equal(result.labels, labels)
        assert result.counts["dropped_off_end"] == off_end
        assert result.counts["dropped_blacklist"] == blacklisted
        assert set(np.unique(labels)) <= {-1, 0, 1} and (labels == 1).any()


def test_other_tiling_parameters_match_brute_force():
    spans = [(300, 420), (1000, 1037)]
    result = binary_labels(
        {"c": 1600}, [intervals("c", spans)], bin_size=100, stride=30, flank=150, min_overlap=0.3
    )["c"]
    mask = np.zeros(1600, dtype=bool)
    for s, e in spans:
        mask[s:e] = True
    bins = [b for b in range(0, 1501, 30) if b >= 150 and b + 250 <= 1600]
    expected = [int(mask[b : b + 100].sum() >= 30) for b in bins]
    assert (result.start + 150).tolist() == bins
    assert result.labels[:, 0].tolist() == expected


def test_task_without_relaxed_peaks_has_no_ambiguous_windows(tmp_path):
    # Relaxed peaks are optional (encode_binary.experiments.<task>.relaxed_peaks): without
    # them the positives stay and every ambiguous window of the task becomes a negative.
    sizes = {"chr1": 5000}
    optimal = [intervals("chr1", [(1000, 1300)])] * 2
    relaxed = intervals("chr1", [(800, 1500), (3000, 3200)])
    summary = write_binary_labels(
        tmp_path / "l.npz", sizes, optimal, [relaxed, None], tasks=["with", "without"]
    )
    labels = load_binary_labels(tmp_path / "l.npz").labels
    assert summary.loc[0, "ambiguous_with"] > 0 and summary.loc[0, "ambiguous_without"] == 0
    assert summary.loc[0, "positive_with"] == summary.loc[0, "positive_without"] > 0
    np.testing.assert_array_equal(labels[:, 1], np.where(labels[:, 0] == -1, 0, labels[:, 0]))


def test_central_bin_coverage_is_the_overlap_the_labels_use(tmp_path):
    # Overlapping peaks on two chromosomes: coverage counts their union, and a window is
    # positive exactly where its central bin is covered by >= min_overlap x 200 bp.
    sizes = {"chr1": 5000, "chr2": 3000}
    optimal = pd.concat(
        [
            intervals("chr1", [(1000, 1130), (1100, 1250), (2600, 2700)]),
            intervals("chr2", [(1480, 1560)]),
        ]
    )
    write_binary_labels(tmp_path / "l.npz", sizes, [optimal], [None], tasks=["t"])
    labels = load_binary_labels(tmp_path / "l.npz")
    windows = np.arange(len(labels.start))
    coverage = central_bin_coverage(labels, windows, optimal)
    np.testing.assert_array_equal(labels.labels[:, 0] == 1, coverage >= 100)
    # By hand: chr1's bin [1050, 1250) holds 200 bp of the union [1000, 1250).
    chr1 = labels.chrom_names[labels.chrom] == "chr1"
    (window,) = np.flatnonzero(chr1 & (labels.start + labels.flank == 1050))
    assert coverage[window] == 200
    assert central_bin_coverage(labels, windows, optimal.iloc[:0]).sum() == 0


def test_gzip_and_plain_peak_files_give_identical_labels(tmp_path):
    optimal = intervals("chr1", [(1000, 1100), (1500, 1650)])
    relaxed = intervals("chr1", [(900, 1700)])
    sizes = tmp_path / "g.sizes"
    sizes.write_text("chr1\t2500\n")
    plain = write_binary_labels(
        tmp_path / "plain.npz",
        sizes,
        [_write_narrowpeak(tmp_path / "T.narrowPeak", optimal)],
        [_write_narrowpeak(tmp_path / "R.narrowPeak", relaxed)],
    )
    zipped = write_binary_labels(
        tmp_path / "zipped.npz",
        sizes,
        [_write_narrowpeak(tmp_path / "T.narrowPeak.gz", optimal, gz=True)],
        [_write_narrowpeak(tmp_path / "R.narrowPeak.gz", relaxed, gz=True)],
    )
    pd.testing.assert_frame_equal(plain, zipped)
    assert "positive_T" in plain.columns  # task named after the file
    a, b = load_binary_labels(tmp_path / "plain.npz"), load_binary_labels(tmp_path / "zipped.npz")
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.start, b.start)


def test_write_and_load_round_trip(tmp_path):
    sizes = {"chrA": 3000, "chrB": 2200, "chrC": 500}
    optimal = [intervals("chrA", [(1200, 1400)]), intervals("chrB", [(1000, 1200)])]
    relaxed = [intervals("chrA", [(1000, 1600)]), None]
    blacklist = intervals("chrB", [(1700, 1800)])
    path = tmp_path / "out" / "labels.npz"
    summary = write_binary_labels(path, sizes, optimal, relaxed, blacklist, tasks=["x", "y"])
    in_memory = binary_labels(sizes, optimal, relaxed, blacklist, tasks=["x", "y"])
    assert sorted(p.name for p in path.parent.iterdir()) == ["labels.npz"]  # no temp files
    assert summary["chrom"].tolist() == ["chrA", "chrB", "chrC"]
    assert list(summary.columns) == [
        "chrom",
        "length",
        "bins",
        "windows",
        "dropped_off_end",
        "dropped_blacklist",
        "positive_x",
        "ambiguous_x",
        "positive_y",
        "ambiguous_y",
    ]
    assert (
        summary["bins"] == summary[["windows", "dropped_off_end", "dropped_blacklist"]].sum(axis=1)
    ).all()

    with np.load(path) as raw:
        assert raw["chrom"].dtype == np.int16 and raw["start"].dtype == np.int64
        assert raw["labels"].dtype == np.int8 and raw["labels"].shape == (
            summary["windows"].sum(),
            2,
        )
        assert raw["tasks"].tolist() == ["x", "y"] and int(raw["flank"]) == 400
    labels = load_binary_labels(path)
    assert (labels.bin_size, labels.stride, labels.flank, labels.window_length) == (
        200,
        50,
        400,
        1000,
    )
    np.testing.assert_array_equal(
        labels.labels, np.concatenate([r.labels for r in in_memory.values()])
    )
    np.testing.assert_array_equal(
        labels.start, np.concatenate([r.start for r in in_memory.values()])
    )
    mask = labels.split_mask(["chrB"])
    assert mask.sum() == summary.set_index("chrom").loc["chrB", "windows"]
    assert (labels.chrom[mask] == 1).all()
    with pytest.raises(ValueError, match=r"chrZ"):
        labels.split_mask(["chrZ"])
    # A region of chrB: the windows whose centre (start + 500) lies in [1000, 1500).
    centers = labels.start + labels.window_length // 2
    region = labels.split_mask(["chrB:1000-1500"])
    expected = (labels.chrom == 1) & (centers >= 1000) & (centers < 1500)
    assert region.any() and np.array_equal(region, expected)
    both = labels.split_mask(["chrA", "chrB:1000-1500"])
    assert np.array_equal(both, labels.split_mask(["chrA"]) | expected)


def test_split_regions_are_parsed_and_matched():
    assert parse_split_region("chr1") == ("chr1", 0, None)
    assert parse_split_region("chr22:100-250") == ("chr22", 100, 250)
    for bad in ("chr22:250-100", "chr22:5", "chr 1"):
        with pytest.raises(ValueError, match="split entry"):
            parse_split_region(bad)
    chroms = ["chr1", "chr1", "chr1", "chr2", "chr3"]
    positions = [99, 100, 250, 5, 7]
    regions = [("chr1", 100, 250), ("chr2", 0, None)]
    assert region_mask(chroms, positions, regions).tolist() == [False, True, False, True, False]


def test_load_rejects_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match=r"other\.npz: not a binary labels file, missing"):
        load_binary_labels(tmp_path / "other.npz")


def test_input_errors(tmp_path):
    optimal = intervals("chr1", [(100, 200)])
    with pytest.raises(
        ValueError, match=r"optimal peaks of task 'task0': row 0: chromosome 'chr1'"
    ):
        binary_labels({"chr2": 1000}, [optimal])
    with pytest.raises(ValueError, match=r"end 200 is past the end of chr1"):
        binary_labels({"chr1": 150}, [optimal])
    with pytest.raises(ValueError, match="relaxed has 2 entries for 1"):
        binary_labels({"chr1": 1000}, [optimal], [None, None])
    with pytest.raises(ValueError, match="chroms .'chrX'. are absent"):
        binary_labels({"chr1": 1000}, [optimal], chroms=["chrX"])
    with pytest.raises(ValueError, match="min_overlap"):
        binary_labels({"chr1": 1000}, [optimal], min_overlap=0)
    empty = tmp_path / "none.narrowPeak"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"none\.narrowPeak: no peaks"):
        write_binary_labels(tmp_path / "l.npz", {"chr1": 1000}, [empty])
    assert list(tmp_path.iterdir()) == [empty]  # nothing left behind


# --- agreement with simulated truth ------------------------------------------------------------
