"""Reading and validating chrom sizes, narrowPeak and BED files."""

import gzip

import numpy as np
import pandas as pd
import pytest

from attrprior.genomics.peaks import (
    NARROWPEAK_COLUMNS,
    merge_intervals,
    overlaps_any,
    read_bed,
    read_chrom_sizes,
    read_narrowpeak,
    relaxed_peaks,
    summit_positions,
    validate_intervals,
    window_interval_mask,
    window_summit_distance,
)

SIZES = {"chr1": 2000, "chr2": 5000}


def _peak_line(chrom, start, end, q=1.0, summit=-1):
    return f"{chrom}\t{start}\t{end}\t.\t0\t.\t5.0\t3.0\t{q}\t{summit}"


def _write(path, lines, gz=False):
    text = "".join(f"{line}\n" for line in lines)
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


# --- chrom sizes -----------------------------------------------------------------------------


def test_read_chrom_sizes_keeps_order_and_accepts_fai(tmp_path):
    path = _write(tmp_path / "g.sizes", ["chr2\t5000", "# comment", "", "chr1\t2000"])
    assert list(read_chrom_sizes(path).items()) == [("chr2", 5000), ("chr1", 2000)]
    fai = _write(tmp_path / "g.fa.fai", ["chr1\t2000\t6\t60\t61"])
    assert read_chrom_sizes(fai) == {"chr1": 2000}


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (["chr1\t2000", "chr2"], r"line 2: expected 'name<TAB>length'"),
        (["chr1\t2000", "chr2\tlots"], r"line 2: length 'lots' is not an integer"),
        (["chr1\t0"], r"line 1: length of 'chr1' must be positive"),
        (["chr1\t10", "chr1\t10"], r"line 2: chromosome 'chr1' is listed twice"),
        (["# nothing"], r"no chromosomes"),
    ],
)
def test_read_chrom_sizes_errors(tmp_path, lines, problem):
    path = _write(tmp_path / "bad.sizes", lines)
    with pytest.raises(ValueError, match=r"bad\.sizes: .*" + problem):
        read_chrom_sizes(path)


# --- narrowPeak ------------------------------------------------------------------------------


def test_read_narrowpeak_plain_and_gzip_agree(tmp_path):
    lines = ["track name=x", _peak_line("chr1", 100, 300, 2, 50), _peak_line("chr2", 10, 21)]
    # gzip is detected from the magic bytes, not from the name
    plain = read_narrowpeak(_write(tmp_path / "p.narrowPeak", lines), SIZES)
    zipped = read_narrowpeak(_write(tmp_path / "p.narrowPeak", lines, gz=True), SIZES)
    renamed = read_narrowpeak(_write(tmp_path / "p.txt", lines, gz=True), SIZES)
    pd.testing.assert_frame_equal(plain, zipped)
    pd.testing.assert_frame_equal(plain, renamed)
    assert tuple(plain.columns) == NARROWPEAK_COLUMNS
    assert plain["start"].dtype == np.int64 and plain["q_value"].dtype == np.float64
    # summit -1 -> centre offset (end - start) // 2
    assert plain["summit"].tolist() == [50, 5]
    assert summit_positions(plain).tolist() == [150, 15]


def test_summit_positions_handles_minus_one():
    peaks = pd.DataFrame({"start": [10, 100], "end": [20, 151], "summit": [-1, 3]})
    assert summit_positions(peaks).tolist() == [15, 103]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "chr1\t100\t300\t.\t0\t.\t5\t3\t2",
            "expected 10 tab-separated narrowPeak columns, found 9",
        ),
        (_peak_line("chr1", "1x0", 300), "start '1x0' is not an integer"),
        (_peak_line("chr1", 100, 300.5), r"end '300\.5' is not an integer"),
        (_peak_line("chr1", -5, 300), "start -5 is negative"),
        (_peak_line("chr1", 300, 300), "start 300 is not before end 300"),
        (_peak_line("chr1", 100, 300, summit=200), "summit offset 200 is outside the peak"),
        (_peak_line("chr1", 100, 300, summit=-2), "summit offset -2 is outside the peak"),
        (_peak_line("chrZ", 100, 300), "chromosome 'chrZ' is absent from the FASTA / chrom sizes"),
        (_peak_line("chr1", 1900, 2001), "end 2001 is past the end of chr1 \\(length 2000\\)"),
        (
            "chr1\t100\t300\t.\t0\t.\tstrong\t3\t2\t-1",
            "signal 'strong' is not a number",
        ),
    ],
)
def test_read_narrowpeak_errors_name_file_line_and_problem(tmp_path, line, problem):
    path = _write(tmp_path / "bad.narrowPeak", ["# header", _peak_line("chr1", 1, 50), line])
    with pytest.raises(ValueError, match=r"bad\.narrowPeak: line 3: " + problem):
        read_narrowpeak(path, SIZES)


def test_read_narrowpeak_empty_and_unknown_chroms(tmp_path):
    empty = _write(tmp_path / "empty.narrowPeak", ["track name=none"])
    with pytest.raises(ValueError, match=r"empty\.narrowPeak: no peaks"):
        read_narrowpeak(empty)
    gz_empty = _write(tmp_path / "empty.narrowPeak.gz", [], gz=True)
    with pytest.raises(ValueError, match=r"empty\.narrowPeak\.gz: no peaks"):
        read_narrowpeak(gz_empty)
    path = _write(tmp_path / "p.narrowPeak", [_peak_line("chrUn", 1, 9), _peak_line("chr1", 1, 9)])
    kept = read_narrowpeak(path, SIZES, unknown_chroms="drop")
    assert kept["chrom"].tolist() == ["chr1"]
    only_unknown = _write(tmp_path / "u.narrowPeak", [_peak_line("chrUn", 1, 9)])
    with pytest.raises(ValueError, match=r"u\.narrowPeak: no peaks"):
        read_narrowpeak(only_unknown, SIZES, unknown_chroms="drop")


def test_read_narrowpeak_without_chrom_sizes_skips_chromosome_checks(tmp_path):
    path = _write(tmp_path / "p.narrowPeak", [_peak_line("chrZ", 1, 10**9)])
    assert read_narrowpeak(path)["end"].tolist() == [10**9]


# --- BED ---------------------------------------------------------------------------------------


def test_read_bed_columns_and_checks(tmp_path):
    path = _write(tmp_path / "b.bed", ["chr1\t0\t10\tsiteA\t5", "chr2\t20\t30\tsiteB\t7"])
    table = read_bed(path, SIZES)
    assert list(table.columns) == ["chrom", "start", "end", "name", "score"]
    assert table["name"].tolist() == ["siteA", "siteB"]
    with pytest.raises(ValueError, match=r"b\.bed: line 1: expected at least 6"):
        read_bed(path, min_columns=6)
    ragged = _write(tmp_path / "r.bed", ["chr1\t0\t10", "chr1\t5\t10\tx"])
    with pytest.raises(ValueError, match=r"r\.bed: line 2: expected 3 tab-separated BED columns"):
        read_bed(ragged)
    past = _write(tmp_path / "past.bed", ["chr1\t0\t2001"])
    with pytest.raises(ValueError, match=r"past\.bed: line 1: end 2001 is past the end of chr1"):
        read_bed(past, SIZES)
    empty = _write(tmp_path / "e.bed", [])
    with pytest.raises(ValueError, match=r"e\.bed: no intervals"):
        read_bed(empty)
    assert len(read_bed(empty, allow_empty=True)) == 0


def test_validate_intervals_names_the_source():
    table = pd.DataFrame({"chrom": ["chr1", "chr3"], "start": [0, 5], "end": [10, 9]})
    with pytest.raises(ValueError, match=r"optimal peaks: row 1: chromosome 'chr3' is absent"):
        validate_intervals(table, SIZES, source="optimal peaks")
    with pytest.raises(ValueError, match=r"x: column 'start' must be integer"):
        validate_intervals(table.astype({"start": float}), source="x")


# --- peak sets ---------------------------------------------------------------------------------


def test_relaxed_peaks_ranks_by_column_9_q_value(tmp_path):
    # (start, q_value): ties at q=5 keep file order
    specs = [(0, 1.0), (100, 5.0), (200, 9.0), (300, 5.0), (400, 2.0)]
    path = _write(tmp_path / "all.narrowPeak", [_peak_line("chr1", s, s + 50, q) for s, q in specs])
    top = relaxed_peaks(path, top_n=3)
    assert top["start"].tolist() == [200, 100, 300]
    assert len(relaxed_peaks(path, top_n=100)) == 5
    optimal = pd.DataFrame({"chrom": ["chr1"], "start": [120], "end": [130]})
    kept = relaxed_peaks(path, optimal, top_n=3, exclude_optimal=True)
    assert kept["start"].tolist() == [200, 300]
    with pytest.raises(ValueError, match="needs the optimal peaks"):
        relaxed_peaks(path, exclude_optimal=True)


def test_merge_and_overlaps_match_brute_force():
    rng = np.random.default_rng(3)
    starts = rng.integers(0, 900, size=40)
    table = pd.DataFrame(
        {
            "chrom": rng.choice(["a", "b"], 40),
            "start": starts,
            "end": starts + rng.integers(1, 60, 40),
        }
    )
    merged = merge_intervals(table)
    for chrom in ("a", "b"):
        expected = np.zeros(1000, dtype=bool)
        for row in table[table["chrom"] == chrom].itertuples():
            expected[row.start : row.end] = True
        got = np.zeros(1000, dtype=bool)
        rows = merged[merged["chrom"] == chrom]
        assert (rows["start"].to_numpy()[1:] > rows["end"].to_numpy()[:-1]).all()  # disjoint
        for row in rows.itertuples():
            got[row.start : row.end] = True
        np.testing.assert_array_equal(got, expected)
    queries = table.sample(frac=1.0, random_state=0).iloc[:15].copy()
    queries["start"] += 30
    queries["end"] += 30
    others = table.iloc[20:]
    expected = [
        any(o.chrom == q.chrom and o.start < q.end and q.start < o.end for o in others.itertuples())
        for q in queries.itertuples()
    ]
    assert overlaps_any(queries, others).tolist() == expected
    assert overlaps_any(queries, others.iloc[:0]).tolist() == [False] * 15


def test_window_annotations_match_brute_force():
    rng = np.random.default_rng(3)
    intervals = pd.DataFrame(
        {
            "chrom": rng.choice(["chr1", "chr2"], 30),
            "start": rng.integers(0, 900, 30),
        }
    )
    intervals["end"] = intervals["start"] + rng.integers(1, 60, 30)
    summits = pd.DataFrame(
        {"chrom": rng.choice(["chr1", "chr2"], 12), "summit": rng.integers(0, 1000, 12)}
    )
    chroms = np.array(["chr1", "chr2", "chr1", "chr3"])
    starts = np.array([0, 400, 850, 10])
    length = 120
    mask = window_interval_mask(chroms, starts, length, intervals)
    distance = window_summit_distance(chroms, starts, length, summits)
    anywhere = window_summit_distance(chroms, starts, length, summits, inside_only=False)
    assert mask.shape == distance.shape == anywhere.shape == (4, length)
    for n, (chrom, start) in enumerate(zip(chroms, starts, strict=True)):
        own = intervals[intervals["chrom"] == chrom]
        points = summits.loc[summits["chrom"] == chrom, "summit"].to_numpy()
        inside = points[(start <= points) & (points < start + length)]
        for i in range(length):
            position = start + i
            covered = ((own["start"] <= position) & (position < own["end"])).any()
            assert mask[n, i] == covered
            # Only the summits inside the window count (Tseng et al.'s notebook).
            if len(inside):
                assert distance[n, i] == np.abs(inside - position).min()
            else:
                assert np.isnan(distance[n, i])
            if len(points):
                assert anywhere[n, i] == np.abs(points - position).min()
            else:
                assert np.isnan(anywhere[n, i])
    # Some window has a nearer summit outside it than inside: the two rules differ.
    assert not np.array_equal(np.nan_to_num(distance), np.nan_to_num(anywhere))


def test_window_annotations_by_hand_and_errors():
    intervals = pd.DataFrame({"chrom": ["c"], "start": [2], "end": [4]})
    np.testing.assert_array_equal(
        window_interval_mask(["c"], [0], 6, intervals), [[0, 0, 1, 1, 0, 0]]
    )
    summits = pd.DataFrame({"chrom": ["c", "c"], "summit": [1, 5]})
    np.testing.assert_array_equal(
        window_summit_distance(["c"], [0], 7, summits), [[1, 0, 1, 2, 1, 0, 1]]
    )
    # The window [2, 5) holds no summit (1 and 5 lie outside it): no distances.
    assert np.isnan(window_summit_distance(["c"], [2], 3, summits)).all()
    np.testing.assert_array_equal(
        window_summit_distance(["c"], [2], 3, summits, inside_only=False), [[1, 2, 1]]
    )
    with pytest.raises(ValueError, match="same length"):
        window_interval_mask(["c", "c"], [0], 6, intervals)
    with pytest.raises(ValueError, match="length must be positive"):
        window_summit_distance(["c"], [0], 0, summits)
