"""attrprior.genomics.chroms: chromosome names of FASTA, BAM, bigWig and table files, renaming them,
on the real files of tests/data/ctcf_chr22 and tiny hand-made ones."""

import gzip
from pathlib import Path

import numpy as np
import pyBigWig
import pysam
import pytest

from attrprior.genomics import chroms
from attrprior.genomics.chroms import (
    check_shared_names,
    fasta_lengths,
    file_kind,
    read_aliases,
    rename_chroms,
    renamed,
    sequence_names,
)

CTCF = Path(__file__).parent / "data" / "ctcf_chr22"


def test_kinds_and_names_of_the_real_files():
    expected = {
        "hg19_chr22_part.fa.gz": ("fasta", ["22"]),
        "CTCF_ChIP.bam": ("bam", ["chr22"]),
        "CTCF_peaks.narrowPeak": ("table", ["chr22"]),
    }
    for name, (kind, names) in expected.items():
        assert file_kind(CTCF / name) == kind
        assert sequence_names(CTCF / name) == names


def test_fasta_lengths_by_hand_and_of_the_real_genome(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">a desc\nACGT\nAC\n>b\nNNNNN\n")
    assert fasta_lengths(fasta) == {"a": 6, "b": 5}
    assert sequence_names(fasta) == ["a", "b"]
    (tmp_path / "g.fa.fai").write_text("x\t6\t3\t4\t5\n")  # an index wins over the headers
    assert sequence_names(fasta) == ["x"]
    assert fasta_lengths(CTCF / "hg19_chr22_part.fa.gz") == {"22": 22_000_000}
    fasta.write_text(">a\nAC\n>a\nGT\n")
    with pytest.raises(ValueError, match="'a' empty or repeated"):
        fasta_lengths(fasta)
    fasta.write_text(">a\nAC\n>b\n>c\nG\n")
    with pytest.raises(ValueError, match=r"sequences without bases: \['b'\]"):
        fasta_lengths(fasta)


def test_reads_name_no_chromosome(tmp_path):
    # A FASTQ (reads to align) is not read line by line as a table of names.
    fastq = tmp_path / "reads.fastq.gz"
    with gzip.open(fastq, "wt") as handle:
        handle.write("@r1\nACGT\n+\nIIII\n" * 3)
    assert file_kind(fastq) == "fastq" and sequence_names(fastq) == []
    assert rename_chroms(fastq, tmp_path / "copy.fastq.gz", {"r1": "x"}) == 0


def test_rename_a_fasta_keeps_gzip_and_bases(tmp_path):
    source = tmp_path / "g.fa.gz"
    with gzip.open(source, "wt") as handle:
        handle.write(">22 some description\nACGTn\n>X\nGG\n")
    assert rename_chroms(source, tmp_path / "out.fa.gz", {"22": "chr22"}) == 1
    with gzip.open(tmp_path / "out.fa.gz", "rt") as handle:
        assert handle.read() == ">chr22 some description\nACGTn\n>X\nGG\n"


def test_rename_a_table_and_a_bam(tmp_path):
    table = tmp_path / "peaks.bed"
    table.write_text("track name=x\n22\t5\t10\tp1\n22\t20\t30\tp2\nY\t1\t2\tp3\n")
    assert rename_chroms(table, tmp_path / "out.bed", {"22": "chr22"}) == 1
    assert (tmp_path / "out.bed").read_text() == (
        "track name=x\nchr22\t5\t10\tp1\nchr22\t20\t30\tp2\nY\t1\t2\tp3\n"
    )
    out = tmp_path / "out.bam"
    assert rename_chroms(CTCF / "CTCF_ChIP.bam", out, {"chr22": "22"}) == 1
    assert sequence_names(out) == ["22"]
    with (
        pysam.AlignmentFile(str(out)) as renamed_bam,
        pysam.AlignmentFile(str(CTCF / "CTCF_ChIP.bam")) as original,
    ):
        pairs = zip(renamed_bam.fetch(until_eof=True), original.fetch(until_eof=True), strict=True)
        assert all(
            (a.reference_start, a.flag, a.query_name) == (b.reference_start, b.flag, b.query_name)
            for a, b in pairs
        )
        assert renamed_bam.header.get_reference_length("22") == 22_000_000


def test_rename_a_bigwig_keeps_its_values(tmp_path, monkeypatch):
    monkeypatch.setattr(chroms, "_BIGWIG_BLOCK", 8)  # copied in blocks: (10, 20) spans two
    source = tmp_path / "a.bw"
    with pyBigWig.open(str(source), "w") as bigwig:
        bigwig.addHeader([("1", 100), ("2", 50)])
        bigwig.addEntries(["1", "1"], [0, 10], ends=[5, 20], values=[1.0, 3.0])
        bigwig.addEntries(["2"], [7], ends=[8], values=[2.0])
    out = tmp_path / "b.bw"
    assert rename_chroms(source, out, {"1": "chr1", "2": "chr2"}) == 2
    assert file_kind(out) == "bigwig" and sequence_names(out) == ["chr1", "chr2"]
    with pyBigWig.open(str(out)) as bigwig:
        assert bigwig.intervals("chr1") == ((0, 5, 1.0), (10, 20, 3.0))
        assert np.nansum(bigwig.values("chr2", 0, 50)) == 2.0


def test_nothing_to_rename_is_a_plain_copy(tmp_path):
    out = tmp_path / "copy.narrowPeak"
    assert rename_chroms(CTCF / "CTCF_peaks.narrowPeak", out, {"1": "chr1"}) == 0
    assert out.read_bytes() == (CTCF / "CTCF_peaks.narrowPeak").read_bytes()


def test_aliases_from_a_mapping_or_a_file(tmp_path):
    assert read_aliases({22: "chr22"}) == {"22": "chr22"}
    path = tmp_path / "aliases.txt"
    path.write_text("# Ensembl to UCSC\n22\tchr22\nX chrX  # sex\n")
    assert read_aliases(path) == {"22": "chr22", "X": "chrX"}
    assert renamed(["22", "MT"], read_aliases(path)) == ["chr22", "MT"]
    path.write_text("22 chr22\n22 chr22b\n")
    with pytest.raises(ValueError, match=r"aliases.txt:2: '22' is mapped twice"):
        read_aliases(path)
    path.write_text("22\n")
    with pytest.raises(ValueError, match=r"aliases.txt:1: expected two columns"):
        read_aliases(path)


def test_files_sharing_no_name_are_named_both():
    check_shared_names("g.fa", ["chr1", "chr2"], "r.bam", ["chr2"])  # one shared: fine
    check_shared_names("g.fa", ["chr1"], "empty.bed", [])  # no records: nothing to say
    with pytest.raises(ValueError) as error:
        check_shared_names(
            "g.fa", ["1", "2", "3", "4", "5"], "r.bam", ["chr1"], hint="; use chrom_aliases"
        )
    message = str(error.value)
    assert "g.fa names ['1', '2', '3', '4', ...] (5)" in message
    assert "r.bam names ['chr1'] (1)" in message and message.endswith("use chrom_aliases")
