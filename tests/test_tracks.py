"""Tests for attrprior.genomics.tracks: BAM -> 5' count bigWigs, checks and bigWig reading."""

import logging
import os

import numpy as np
import pyBigWig
import pysam
import pytest

from attrprior.genomics.bigwig import (
    bams_to_bigwig,
    bams_to_stranded_bigwigs,
)
from attrprior.genomics.tracks import (
    DEFAULT_READ_FILTER,
    ReadFilter,
    check_bam_chroms,
    check_bam_index,
    count_filtered_reads,
    filter_bam,
    five_prime_bedgraph,
    index_bam,
    merged_five_prime_counts,
    sum_intervals,
)

SIZES = {"chr1": 3000, "chr2": 2000}

# (chrom, alignment start, reverse strand, aligned length)
READS_A = [
    ("chr1", 100, False, 20),
    ("chr1", 100, False, 30),
    ("chr1", 500, False, 20),
    ("chr1", 200, True, 20),  # 5' end at 219
    ("chr1", 210, True, 10),  # 5' end at 219
    ("chr1", 2980, True, 20),  # 5' end at 2999, the last base
    ("chr2", 30, True, 25),  # 5' end at 54
    ("chr2", 0, False, 15),
]
READS_B = [
    ("chr1", 100, False, 20),
    ("chr1", 219, False, 20),
    ("chr2", 40, True, 15),  # 5' end at 54
]


def write_sorted_bam(path, records, sizes=SIZES, index=True):
    """Write a coordinate-sorted BAM of ``records``, (name, flag, chrom, alignment start,
    aligned length, MAPQ) each (chrom None: unmapped, no position); index it if asked."""
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": chrom, "LN": length} for chrom, length in sizes.items()],
    }
    chrom_ids = {chrom: i for i, chrom in enumerate(sizes)}
    unsorted = str(path) + ".unsorted.bam"
    with pysam.AlignmentFile(unsorted, "wb", header=header) as bam:
        for name, flag, chrom, start, length, mapq in records:
            read = pysam.AlignedSegment(bam.header)
            read.query_name = name
            read.flag = flag
            if chrom is not None:
                read.reference_id = chrom_ids[chrom]
                read.reference_start = start
                read.cigarstring = f"{length}M"
            read.mapping_quality = mapq
            read.query_sequence = "A" * length
            read.query_qualities = pysam.qualitystring_to_array("I" * length)
            bam.write(read)
    pysam.sort("-o", str(path), unsorted)
    os.unlink(unsorted)
    if index:
        pysam.index(str(path))
    return path


def make_bam(path, reads, sizes=SIZES, index=True):
    """A BAM of plain mapped reads, (chrom, start, reverse, aligned length) each, MAPQ 60."""
    records = [
        (f"read{i}", 16 if reverse else 0, chrom, start, length, 60)
        for i, (chrom, start, reverse, length) in enumerate(reads)
    ]
    return write_sorted_bam(path, records, sizes, index)


def hand_count(reads, strand, sizes=SIZES):
    """Dense 5' counts per chromosome, computed read by read."""
    counts = {chrom: np.zeros(length) for chrom, length in sizes.items()}
    for chrom, start, reverse, length in reads:
        if strand == "+" and reverse or strand == "-" and not reverse:
            continue
        counts[chrom][start + length - 1 if reverse else start] += 1
    return counts


def bigwig_dense(path, sizes=SIZES):
    with pyBigWig.open(str(path)) as bigwig:
        return {c: np.nan_to_num(bigwig.values(c, 0, n, numpy=True)) for c, n in sizes.items()}


@pytest.fixture
def bams(tmp_path):
    return (
        make_bam(tmp_path / "rep1.bam", READS_A),
        make_bam(tmp_path / "rep2.bam", READS_B),
    )


@pytest.mark.parametrize("strand", ["+", "-", None])
def test_five_prime_counts_match_hand_count(bams, tmp_path, strand):
    out = bams_to_bigwig(bams[0], SIZES, tmp_path / "out" / "a.bw", strand)
    dense = bigwig_dense(out)
    expected = hand_count(READS_A, strand)
    for chrom in SIZES:
        np.testing.assert_array_equal(dense[chrom], expected[chrom])
    # A - read's 5' end is its alignment end - 1; two reads end there.
    if strand == "-":
        assert dense["chr1"][219] == 2 and dense["chr1"][2999] == 1 and dense["chr2"][54] == 1
    with pyBigWig.open(str(out)) as bigwig:
        assert bigwig.chroms() == SIZES
        values = [v for chrom in SIZES for _, _, v in (bigwig.intervals(chrom) or ())]
    assert values and all(v > 0 for v in values)
    assert sorted(os.listdir(tmp_path / "out")) == ["a.bw"]  # no temporary files left


def test_replicates_sum_and_unstranded_is_plus_and_minus(bams, tmp_path):
    pos, neg = bams_to_stranded_bigwigs(bams, SIZES, tmp_path / "pos.bw", tmp_path / "neg.bw")
    both = bams_to_bigwig(list(bams), SIZES, tmp_path / "both.bw", None)
    dense_pos, dense_neg, dense_both = bigwig_dense(pos), bigwig_dense(neg), bigwig_dense(both)
    for chrom in SIZES:
        for strand, dense in (("+", dense_pos), ("-", dense_neg)):
            expected = hand_count(READS_A, strand)[chrom] + hand_count(READS_B, strand)[chrom]
            np.testing.assert_array_equal(dense[chrom], expected)
        np.testing.assert_array_equal(dense_both[chrom], dense_pos[chrom] + dense_neg[chrom])
    assert dense_both["chr2"][54] == 2  # one - read from each replicate


def test_five_prime_bedgraph_is_sorted_nonzero(bams):
    bedgraph = five_prime_bedgraph(bams[0], "+")
    try:
        rows = [line.split("\t") for line in open(bedgraph.fn).read().splitlines()]
    finally:
        os.unlink(bedgraph.fn)
    assert [(r[0], int(r[1]), int(r[2]), float(r[3])) for r in rows] == [
        ("chr1", 100, 101, 2.0),
        ("chr1", 500, 501, 1.0),
        ("chr2", 0, 1, 1.0),
    ]
    with pytest.raises(ValueError, match="strand"):
        five_prime_bedgraph(bams[0], "forward")


def test_bam_without_index_is_refused(tmp_path):
    bam = make_bam(tmp_path / "noindex.bam", READS_A, index=False)
    with pytest.raises(FileNotFoundError, match=r"noindex\.bam.*samtools index"):
        check_bam_index(bam)
    with pytest.raises(FileNotFoundError, match=r"noindex\.bam"):
        bams_to_bigwig(bam, SIZES, tmp_path / "x.bw", "+")
    assert not (tmp_path / "x.bw").exists()
    index = index_bam(bam)
    assert index.is_file() and check_bam_index(bam) == index


def test_bam_chromosomes_must_match(tmp_path):
    extra = make_bam(tmp_path / "extra.bam", READS_A, sizes={**SIZES, "chrM": 100})
    with pytest.raises(ValueError, match=r"extra\.bam.*chrM"):
        check_bam_chroms(extra, SIZES)
    with pytest.raises(ValueError, match=r"extra\.bam.*chrM"):
        merged_five_prime_counts([extra], SIZES, "+")
    longer = make_bam(tmp_path / "longer.bam", READS_A, sizes={"chr1": 3000, "chr2": 2500})
    with pytest.raises(ValueError, match=r"longer\.bam.*chr2 \(2500"):
        check_bam_chroms(longer, SIZES)
    with pytest.raises(ValueError, match=r"longer\.bam.*absent.*chr3"):
        check_bam_chroms(longer, {**SIZES, "chr2": 2500, "chr3": 10})


def test_sum_intervals_matches_dense_sum():
    rng = np.random.default_rng(0)
    tracks, dense = [], np.zeros(300)
    for _ in range(3):
        bounds = np.sort(rng.choice(300, size=40, replace=False))
        starts, ends = bounds[0::2], bounds[1::2]
        values = rng.integers(-2, 4, size=len(starts)).astype(float)
        for s, e, v in zip(starts, ends, values, strict=True):
            dense[s:e] += v
        tracks.append((starts, ends, values))
    starts, ends, values = sum_intervals(tracks)
    rebuilt = np.zeros(300)
    for s, e, v in zip(starts, ends, values, strict=True):
        rebuilt[s:e] += v
    np.testing.assert_array_equal(rebuilt, dense)
    assert np.all(values != 0) and np.all(starts[1:] >= ends[:-1])
    # Touching intervals of equal value are merged.
    merged = sum_intervals([(np.array([0, 5]), np.array([5, 9]), np.array([2.0, 2.0]))])
    assert [a.tolist() for a in merged] == [[0], [9], [2.0]]


# (name, flag, chrom, alignment start, MAPQ): one read of each kind the filter is about.
# Aligned length 20; an unmapped read has no position (sorted to the end of the BAM).
JUNK_READS = [
    ("unmapped", 4, None, None, 0),
    ("mate_unmapped", 1 | 8 | 64, "chr1", 100, 60),  # paired, mate unmapped: dropped (8)
    ("secondary", 256, "chr1", 200, 60),
    ("qc_fail", 512, "chr1", 300, 60),
    ("mapq29", 0, "chr1", 400, 29),
    ("mapq30", 0, "chr1", 500, 30),  # kept: MAPQ 30 is enough
    ("reverse", 16, "chr1", 600, 60),  # kept, 5' end at 619
    ("duplicate", 1024, "chr2", 50, 60),  # kept: the reference does not drop duplicates
]


def make_flagged_bam(path, reads=JUNK_READS, sizes=SIZES):
    """A sorted, indexed BAM of reads with explicit flags and MAPQ (aligned length 20)."""
    records = [(name, flag, chrom, start, 20, mapq) for name, flag, chrom, start, mapq in reads]
    return write_sorted_bam(path, records, sizes)


def counts_at(dense):
    """{(chrom, position): count} of the nonzero bases of dense per-chromosome counts."""
    return {
        (chrom, int(i)): float(values[i])
        for chrom, values in dense.items()
        for i in np.flatnonzero(values)
    }


@pytest.fixture
def junk_bam(tmp_path):
    return make_flagged_bam(tmp_path / "junk.bam")


def test_default_read_filter_is_the_references(junk_bam, tmp_path):
    assert DEFAULT_READ_FILTER == ReadFilter() == ReadFilter(exclude_flags=780, min_mapq=30)
    # On the hand-built BAM, the default drops unmapped, mate-unmapped, secondary, QC-failed
    # and MAPQ < 30 alignments, exactly as the four flags spelled out with -q 30 do.
    spelled_out = ReadFilter(exclude_flags=4 | 8 | 256 | 512, min_mapq=30)
    kept = {}
    for name, read_filter in (("default", DEFAULT_READ_FILTER), ("spelled", spelled_out)):
        out = filter_bam(junk_bam, tmp_path / f"{name}.bam", read_filter)
        with pysam.AlignmentFile(str(out)) as bam:
            kept[name] = [r.query_name for r in bam.fetch(until_eof=True)]
    assert kept["default"] == kept["spelled"] == ["mapq30", "reverse", "duplicate"]
    flags = np.array([0, 16, 4, 8, 256, 512, 1024, 2048, 0, 0])
    mapq = np.array([60, 60, 60, 60, 60, 60, 60, 60, 29, 30])
    expected = [True, True, False, False, False, False, True, True, False, True]
    assert DEFAULT_READ_FILTER.keeps(flags, mapq).tolist() == expected
    assert bool(DEFAULT_READ_FILTER.keeps(0, 30)) and not DEFAULT_READ_FILTER.keeps(512, 60)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"exclude_flags": -1}, "exclude_flags"),
        ({"exclude_flags": 4096}, "exclude_flags"),
        ({"exclude_flags": "780"}, "exclude_flags"),
        ({"exclude_flags": 780.0}, "exclude_flags"),
        ({"min_mapq": -1}, "min_mapq"),
        ({"min_mapq": 256}, "min_mapq"),
        ({"min_mapq": 30.5}, "min_mapq"),
        ({"min_mapq": True}, "min_mapq"),
        ({"min_mapq": None}, "min_mapq"),
    ],
)
def test_bad_read_filter_values_raise_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"ReadFilter\.{field}"):
        ReadFilter(**kwargs)


def test_read_filter_accepts_bounds():
    assert ReadFilter(exclude_flags=0, min_mapq=0).samtools_args() == ["-F", "0", "-q", "0"]
    assert ReadFilter(exclude_flags=4095, min_mapq=255).exclude_flags == 4095
    assert type(ReadFilter(exclude_flags=np.int64(4)).exclude_flags) is int


@pytest.mark.parametrize("strand", ["+", "-", None])
def test_default_filter_counts_only_good_reads(junk_bam, tmp_path, strand):
    filtered = counts_at(bigwig_dense(bams_to_bigwig(junk_bam, SIZES, tmp_path / "f.bw", strand)))
    unfiltered = counts_at(
        bigwig_dense(bams_to_bigwig(junk_bam, SIZES, tmp_path / "u.bw", strand, read_filter=None))
    )
    # Kept by -F 780 -q 30: MAPQ 30 (+, 500), reverse (-, 5' end 619), duplicate (+, chr2:50).
    good = {"+": {("chr1", 500): 1, ("chr2", 50): 1}, "-": {("chr1", 619): 1}}
    # None counts every mapped alignment: the mate-unmapped, secondary, QC-failed and MAPQ-29
    # reads too (all +); the unmapped read never counts.
    junk = {"+": {("chr1", 100): 1, ("chr1", 200): 1, ("chr1", 300): 1, ("chr1", 400): 1}}
    strands = [strand] if strand else ["+", "-"]
    assert filtered == {k: v for s in strands for k, v in good.get(s, {}).items()}
    assert unfiltered == {
        k: v for s in strands for part in (good, junk) for k, v in part.get(s, {}).items()
    }
    assert sorted(os.listdir(tmp_path)) == ["f.bw", "junk.bam", "junk.bam.bai", "u.bw"]


def test_custom_read_filter(junk_bam, tmp_path):
    # No MAPQ threshold, drop unmapped reads and duplicates only.
    read_filter = ReadFilter(exclude_flags=4 | 1024, min_mapq=0)
    out = bams_to_bigwig(junk_bam, SIZES, tmp_path / "c.bw", None, read_filter=read_filter)
    assert counts_at(bigwig_dense(out)) == {
        ("chr1", 100): 1,
        ("chr1", 200): 1,
        ("chr1", 300): 1,
        ("chr1", 400): 1,
        ("chr1", 500): 1,
        ("chr1", 619): 1,
    }
    assert count_filtered_reads(junk_bam, read_filter) == (8, 6)


def test_count_filtered_reads(junk_bam):
    assert count_filtered_reads(junk_bam) == (8, 3)
    assert count_filtered_reads(junk_bam, DEFAULT_READ_FILTER) == (8, 3)
    assert count_filtered_reads(junk_bam, None) == (8, 7)  # every mapped alignment
    assert count_filtered_reads(junk_bam, ReadFilter(exclude_flags=0, min_mapq=0)) == (8, 8)
    with pytest.raises(FileNotFoundError, match=r"absent\.bam"):
        count_filtered_reads(junk_bam.with_name("absent.bam"))


def test_filter_bam_keeps_header_and_order(junk_bam, tmp_path):
    out = filter_bam(junk_bam, tmp_path / "kept.bam")
    with pysam.AlignmentFile(str(out)) as bam:
        assert dict(zip(bam.references, bam.lengths, strict=True)) == SIZES
        assert bam.header.to_dict()["HD"]["SO"] == "coordinate"
        assert [r.query_name for r in bam.fetch(until_eof=True)] == [
            "mapq30",
            "reverse",
            "duplicate",
        ]
    (tmp_path / "bad.bam").write_bytes(b"not a bam")
    with pytest.raises(ValueError, match=r"bad\.bam"):
        filter_bam(tmp_path / "bad.bam", tmp_path / "out.bam")


def test_five_prime_bedgraph_filters_by_default(junk_bam, tmp_path):
    def rows(bedgraph):
        lines = open(bedgraph.fn).read().splitlines()
        return [(c, int(s), int(e), float(v)) for c, s, e, v in (x.split("\t") for x in lines)]

    out = tmp_path / "out"
    out.mkdir()
    assert rows(five_prime_bedgraph(junk_bam, "+", output=out / "f.bg")) == [
        ("chr1", 500, 501, 1.0),
        ("chr2", 50, 51, 1.0),
    ]
    unfiltered = rows(five_prime_bedgraph(junk_bam, "+", out / "u.bg", read_filter=None))
    assert [r[1] for r in unfiltered] == [100, 200, 300, 400, 500, 50]
    assert sorted(os.listdir(out)) == ["f.bg", "u.bg"]  # the filtered BAM is gone


@pytest.fixture
def view_calls(monkeypatch):
    """The BAMs read by samtools view (pysam.view), each with its filter options, in order."""
    calls = []
    real = pysam.view

    def spy(*args, **kwargs):
        options = [
            part
            for option, value in zip(args, args[1:], strict=False)
            if option in ("-F", "-q")
            for part in (option, value)
        ]
        calls.append((os.path.basename(args[-1]), options))
        return real(*args, **kwargs)

    monkeypatch.setattr(pysam, "view", spy)
    return calls


def test_stranded_bigwigs_filter_each_bam_once(junk_bam, bams, tmp_path, view_calls):
    read_filter = ReadFilter(exclude_flags=780, min_mapq=20)
    out = tmp_path / "out"
    pos, neg = bams_to_stranded_bigwigs(
        [junk_bam, bams[0]], SIZES, out / "pos.bw", out / "neg.bw", read_filter=read_filter
    )
    options = ["-F", "780", "-q", "20"]
    assert view_calls == [("junk.bam", options), ("rep1.bam", options)]
    assert sorted(os.listdir(out)) == ["neg.bw", "pos.bw"]
    # Same tracks as one strand at a time (MAPQ 29 now passes); READS_A all pass.
    for path, strand in ((pos, "+"), (neg, "-")):
        expected = hand_count(READS_A, strand)
        if strand == "+":
            for chrom, position in (("chr1", 400), ("chr1", 500), ("chr2", 50)):
                expected[chrom][position] += 1
        else:
            expected["chr1"][619] += 1
        dense = bigwig_dense(path)
        for chrom in SIZES:
            np.testing.assert_array_equal(dense[chrom], expected[chrom])
    view_calls.clear()
    bams_to_stranded_bigwigs(junk_bam, SIZES, out / "p2.bw", out / "n2.bw", read_filter=None)
    assert view_calls == []  # no filter, no filtering


def test_builders_log_kept_and_total_per_bam_from_one_pass(
    junk_bam, bams, tmp_path, caplog, view_calls
):
    caplog.set_level(logging.INFO, logger="attrprior.genomics.tracks")
    bams_to_bigwig([junk_bam, bams[1]], SIZES, tmp_path / "u.bw", None)
    assert [r.name for r in caplog.records] == ["attrprior.genomics.tracks"] * 2
    assert [r.getMessage() for r in caplog.records] == [
        f"{junk_bam}: kept 3 of 8 alignments ({DEFAULT_READ_FILTER})",
        f"{bams[1]}: kept 3 of 3 alignments ({DEFAULT_READ_FILTER})",
    ]
    assert "ReadFilter(exclude_flags=780, min_mapq=30)" in caplog.records[0].getMessage()
    assert [bam for bam, _ in view_calls] == ["junk.bam", "rep2.bam"]  # one samtools pass each

    caplog.clear()
    view_calls.clear()
    custom = ReadFilter(exclude_flags=4 | 1024, min_mapq=0)
    bams_to_stranded_bigwigs(junk_bam, SIZES, tmp_path / "p.bw", tmp_path / "n.bw", None, custom)
    assert [r.getMessage() for r in caplog.records] == [
        f"{junk_bam}: kept 6 of 8 alignments ({custom})"
    ]
    assert view_calls == [("junk.bam", ["-F", "1028", "-q", "0"])]


def test_count_filtered_reads_is_one_pass(junk_bam, view_calls):
    assert count_filtered_reads(junk_bam) == (8, 3)
    assert count_filtered_reads(junk_bam, None) == (8, 7)
    assert view_calls == [("junk.bam", ["-F", "780", "-q", "30"]), ("junk.bam", ["-F", "4"])]
