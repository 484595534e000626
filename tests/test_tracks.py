"""Tests for attrprior.tracks: BAM -> 5' count bigWigs, checks and bigWig reading."""

import os

import numpy as np
import pyBigWig
import pysam
import pytest

from attrprior.tracks import (
    bams_to_bigwig,
    bams_to_stranded_bigwigs,
    check_bam_chroms,
    check_bam_index,
    check_bigwig_chroms,
    five_prime_bedgraph,
    index_bam,
    merged_five_prime_counts,
    read_bigwig_values,
    sum_intervals,
    write_bigwig,
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


def make_bam(path, reads, sizes=SIZES, index=True):
    """Write a coordinate-sorted BAM holding ``reads``; index it if asked."""
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": chrom, "LN": length} for chrom, length in sizes.items()],
    }
    chrom_ids = {chrom: i for i, chrom in enumerate(sizes)}
    unsorted = str(path) + ".unsorted.bam"
    with pysam.AlignmentFile(unsorted, "wb", header=header) as bam:
        for i, (chrom, start, reverse, length) in enumerate(reads):
            read = pysam.AlignedSegment(bam.header)
            read.query_name = f"read{i}"
            read.reference_id = chrom_ids[chrom]
            read.reference_start = start
            read.cigarstring = f"{length}M"
            read.query_sequence = "A" * length
            read.query_qualities = pysam.qualitystring_to_array("I" * length)
            read.flag = 16 if reverse else 0
            read.mapping_quality = 60
            bam.write(read)
    pysam.sort("-o", str(path), unsorted)
    os.unlink(unsorted)
    if index:
        pysam.index(str(path))
    return path


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


def test_check_bigwig_chroms_names_file_and_chromosome(tmp_path):
    path = write_bigwig(tmp_path / "t.bw", SIZES, {"chr1": ([5], [6], [1.0])})
    check_bigwig_chroms(path, SIZES)
    check_bigwig_chroms(path, {"chr2": 2000})  # extra bigWig chromosomes are fine
    with pytest.raises(ValueError, match=r"t\.bw.*absent.*chr3"):
        check_bigwig_chroms(path, {**SIZES, "chr3": 10})
    with pytest.raises(ValueError, match=r"t\.bw.*chr1 \(3000 in the bigWig, 3100 expected\)"):
        check_bigwig_chroms(path, {"chr1": 3100})
    (tmp_path / "bad.bw").write_text("not a bigwig")
    with pytest.raises(ValueError, match=r"bad\.bw"):
        check_bigwig_chroms(tmp_path / "bad.bw", SIZES)
    with pytest.raises(FileNotFoundError, match=r"missing\.bw"):
        check_bigwig_chroms(tmp_path / "missing.bw", SIZES)


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


def test_write_bigwig_checks_and_drops_zeros(tmp_path):
    path = write_bigwig(
        tmp_path / "z.bw",
        SIZES,
        [("chr1", np.array([0, 10]), np.array([5, 20]), np.array([0.0, 3.5]))],
    )
    with pyBigWig.open(str(path)) as bigwig:
        assert bigwig.intervals("chr1") == ((10, 20, 3.5),)
    np.testing.assert_array_equal(read_bigwig_values(path, "chr1", 8, 12), [0, 0, 3.5, 3.5])
    with pytest.raises(ValueError, match="order"):
        write_bigwig(
            tmp_path / "o.bw", SIZES, [("chr2", [0], [1], [1.0]), ("chr1", [0], [1], [1.0])]
        )
    with pytest.raises(ValueError, match=r"chr1.*3000"):
        write_bigwig(tmp_path / "o.bw", SIZES, [("chr1", [2999], [3001], [1.0])])
    with pytest.raises(ValueError, match="overlapping"):
        write_bigwig(tmp_path / "o.bw", SIZES, [("chr1", [0, 3], [5, 8], [1.0, 1.0])])
    assert not (tmp_path / "o.bw").exists()
    assert sorted(os.listdir(tmp_path)) == ["z.bw"]


def test_read_bigwig_values_of_empty_bigwig_and_bounds(tmp_path):
    path = write_bigwig(tmp_path / "empty.bw", SIZES, [])
    values = read_bigwig_values(path, "chr2", 10, 20)
    assert values.dtype == np.float32 and values.shape == (10,) and not values.any()
    with pytest.raises(ValueError, match=r"chr2:1990-2010"):
        read_bigwig_values(path, "chr2", 1990, 2010)
