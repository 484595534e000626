"""bowtie2 index and single-end alignment: reads drawn from a tiny seeded genome land at
their origin and strand; repeats get a low MAPQ, foreign reads stay unaligned; failures
leave nothing behind."""

import gzip

import numpy as np
import pysam
import pytest

from attrprior.genomics.alignment import (
    AlignmentSummary,
    align_single_end,
    bowtie2_index_files,
    build_bowtie2_index,
    parse_bowtie2_summary,
)

READ_LENGTH = 36
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reverse_complement(sequence):
    return sequence.translate(COMPLEMENT)[::-1]


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """Two random chromosomes; chr2 holds two copies of one 200-bp segment (a repeat)."""
    rng = np.random.default_rng(0)
    chroms = {name: "".join(rng.choice(list("ACGT"), 3000)) for name in ("chr1", "chr2")}
    repeat = chroms["chr2"][100:300]
    chroms["chr2"] = chroms["chr2"][:2000] + repeat + chroms["chr2"][2200:]
    root = tmp_path_factory.mktemp("genome")
    fasta = root / "genome.fa.gz"
    with gzip.open(fasta, "wt") as handle:
        for name, sequence in chroms.items():
            handle.write(f">{name}\n{sequence}\n")
    prefix = root / "index" / "genome"
    build_bowtie2_index(fasta, prefix, threads=2)
    return chroms, prefix


def write_fastq(path, reads):
    with gzip.open(path, "wt") as handle:
        for name, sequence in reads:
            handle.write(f"@{name}\n{sequence}\n+\n{'I' * len(sequence)}\n")


def sample_reads(chroms):
    """Reads with known origins: (name, sequence) and name -> (chrom, 5' end, strand)."""
    rng = np.random.default_rng(1)
    reads, origins = [], {}
    for i in range(60):
        chrom = ("chr1", "chr2")[i % 2]
        # Away from both copies of the chr2 repeat (100-300 and 2000-2200).
        start = int(rng.integers(400, 1900))
        forward = chroms[chrom][start : start + READ_LENGTH]
        if i % 3 == 0:
            sequence, five_prime, strand = reverse_complement(forward), start + 35, "-"
        else:
            sequence, five_prime, strand = forward, start, "+"
        reads.append((f"r{i}", sequence))
        origins[f"r{i}"] = (chrom, five_prime, strand)
    reads.append(("repeat", chroms["chr2"][150 : 150 + READ_LENGTH]))
    reads.append(("foreign", "".join(rng.choice(list("ACGT"), READ_LENGTH))))
    return reads, origins


def test_index_files_are_renamed_into_place(genome):
    _, prefix = genome
    files = bowtie2_index_files(prefix)
    assert [path.name for path in files][:2] == ["genome.1.bt2", "genome.2.bt2"]
    assert all(path.stat().st_size > 0 for path in files)
    # Nothing temporary is left next to the index.
    assert sorted(p.name for p in prefix.parent.iterdir()) == sorted(p.name for p in files)


def test_reads_align_to_their_origin_and_strand(genome, tmp_path):
    chroms, prefix = genome
    reads, origins = sample_reads(chroms)
    fastq = tmp_path / "reads.fastq.gz"
    write_fastq(fastq, reads)
    bam = tmp_path / "out" / "reads.bam"
    summary = align_single_end([fastq], prefix, bam, threads=2)
    assert summary == AlignmentSummary(reads=62, unaligned=1, unique=60, multiple=1)
    assert summary.aligned_fraction == pytest.approx(61 / 62)
    assert (tmp_path / "out" / "reads.bam.bai").is_file()
    with pysam.AlignmentFile(bam) as handle:
        assert handle.header["HD"]["SO"] == "coordinate"
        records = {read.query_name: read for read in handle.fetch(until_eof=True)}
    assert set(records) == {name for name, _ in reads}
    for name, (chrom, five_prime, strand) in origins.items():
        read = records[name]
        assert read.reference_name == chrom
        assert read.is_reverse == (strand == "-")
        assert (read.reference_end - 1 if read.is_reverse else read.reference_start) == five_prime
        assert read.mapping_quality >= 30
    # The repeat read has two equally good places: a MAPQ the default filter drops.
    assert records["repeat"].mapping_quality < 30
    assert records["foreign"].is_unmapped


def test_alignment_is_the_same_for_any_thread_count(genome, tmp_path):
    chroms, prefix = genome
    reads, _ = sample_reads(chroms)
    fastq = tmp_path / "reads.fastq.gz"
    write_fastq(fastq, reads)
    alignments = []
    for threads in (1, 2):
        bam = tmp_path / f"t{threads}.bam"
        align_single_end([fastq], prefix, bam, threads=threads, seed=3)
        with pysam.AlignmentFile(bam) as handle:
            alignments.append([read.to_string() for read in handle.fetch(until_eof=True)])
    assert alignments[0] == alignments[1]


def test_several_fastqs_are_one_library(genome, tmp_path):
    chroms, prefix = genome
    reads, _ = sample_reads(chroms)
    first, second = tmp_path / "a.fastq.gz", tmp_path / "b.fastq.gz"
    write_fastq(first, reads[:30])
    write_fastq(second, reads[30:])
    summary = align_single_end([first, second], prefix, tmp_path / "ab.bam")
    assert summary.reads == len(reads)


def test_a_corrupt_fastq_fails_naming_it_and_leaves_nothing(genome, tmp_path):
    _, prefix = genome
    fastq = tmp_path / "broken.fastq"
    fastq.write_text("@r1\nACGT\n+\nII\n")  # quality shorter than the sequence
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="broken.fastq"):
        align_single_end([fastq], prefix, out / "broken.bam")
    assert list(out.iterdir()) == []


def test_missing_inputs_are_named(genome, tmp_path):
    _, prefix = genome
    with pytest.raises(FileNotFoundError, match="nothing.fastq"):
        align_single_end([tmp_path / "nothing.fastq"], prefix, tmp_path / "x.bam")
    fastq = tmp_path / "r.fastq"
    fastq.write_text("@r1\nACGT\n+\nIIII\n")
    with pytest.raises(FileNotFoundError, match=r"other\.1\.bt2"):
        align_single_end([fastq], tmp_path / "other", tmp_path / "x.bam")
    with pytest.raises(FileNotFoundError, match="absent.fa"):
        build_bowtie2_index(tmp_path / "absent.fa", tmp_path / "idx")
    with pytest.raises(ValueError, match="threads"):
        align_single_end([fastq], prefix, tmp_path / "x.bam", threads=0)


def test_summary_is_parsed_from_bowtie2_text():
    text = (
        "1000 reads; of these:\n"
        "  1000 (100.00%) were unpaired; of these:\n"
        "    12 (1.20%) aligned 0 times\n"
        "    950 (95.00%) aligned exactly 1 time\n"
        "    38 (3.80%) aligned >1 times\n"
        "98.80% overall alignment rate\n"
    )
    assert parse_bowtie2_summary(text) == AlignmentSummary(1000, 12, 950, 38)
    with pytest.raises(ValueError, match="unique"):
        parse_bowtie2_summary(text.replace("exactly 1 time", "once"))
