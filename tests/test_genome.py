"""Tests for attrprior.genomics.genome: genome code arrays, one-hot windows and profile examples."""

import os
import pickle

import numpy as np
import pytest

from attrprior.genomics.genome import (
    GenomeArray,
    NpyWriter,
    check_fasta_chroms,
    encode_genome,
    fasta_chrom_sizes,
    genome_index_path,
)
from attrprior.sequences import (
    codes_to_one_hot,
    encode_codes,
    reverse_complement,
    reverse_complement_codes,
)

LENGTHS = {"chr1": 3000, "chr2": 2000}
SUMMIT = 1000  # planted summit on chr1
PLANTED_BASE = "G"


def python_code(letter):
    """Reference encoding, one letter at a time."""
    return {"A": 0, "C": 1, "G": 2, "T": 3}.get(letter.upper(), 4)


@pytest.fixture(scope="module")
def sequences():
    rng = np.random.default_rng(7)
    seqs = {c: list("".join(rng.choice(list("ACGT"), size=n))) for c, n in LENGTHS.items()}
    seqs["chr1"][100:150] = "N" * 50
    seqs["chr1"][300:400] = [b.lower() for b in seqs["chr1"][300:400]]
    seqs["chr1"][420] = "R"
    seqs["chr1"][421] = "n"
    seqs["chr2"][1990:2000] = "N" * 10
    seqs["chr1"][SUMMIT] = PLANTED_BASE
    return {c: "".join(s) for c, s in seqs.items()}


def write_fasta(path, sequences, width=60):
    with open(path, "w") as handle:
        for chrom, seq in sequences.items():
            handle.write(f">{chrom} description\n")
            for i in range(0, len(seq), width):
                handle.write(seq[i : i + width] + "\n")
    return path


@pytest.fixture(scope="module")
def fasta(tmp_path_factory, sequences):
    return write_fasta(tmp_path_factory.mktemp("fasta") / "toy.fa", sequences)


@pytest.fixture(scope="module")
def genome(tmp_path_factory, fasta):
    path = tmp_path_factory.mktemp("genome") / "toy.npy"
    encode_genome(fasta, path, chunk_size=7)
    return GenomeArray(path)


def test_codes_match_fasta_text(genome, sequences):
    assert genome.chrom_sizes == LENGTHS
    for chrom, seq in sequences.items():
        codes = genome.fetch(chrom, 0, len(seq))
        assert codes.dtype == np.uint8
        np.testing.assert_array_equal(codes, [python_code(b) for b in seq])
    assert genome.fetch("chr1", 100, 103).tolist() == [4, 4, 4]
    assert genome.fetch("chr1", 420, 422).tolist() == [4, 4]  # IUPAC R and lower-case n
    lower = sequences["chr1"][300:400]
    assert lower.islower()
    np.testing.assert_array_equal(genome.fetch("chr1", 300, 400), encode_codes(lower.upper()))


def test_chunk_size_does_not_change_the_array(tmp_path, fasta, genome):
    index = encode_genome(fasta, tmp_path / "big.npy", chunk_size=1_000_000)
    assert (tmp_path / "big.npy").read_bytes() == genome.path.read_bytes()
    assert genome_index_path(tmp_path / "big.npy").name == "big.json"
    assert index.chroms == ("chr1", "chr2") and index.offsets == (0, 3000)
    assert sorted(os.listdir(tmp_path)) == ["big.json", "big.npy"]


def test_encode_genome_subset_order_and_errors(tmp_path, fasta, sequences):
    index = encode_genome(fasta, tmp_path / "sub.npy", chroms=["chr2", "chr1"])
    sub = GenomeArray(tmp_path / "sub.npy")
    assert index.chroms == ("chr2", "chr1") and index.offsets == (0, 2000)
    np.testing.assert_array_equal(sub.codes[:2000], encode_codes(sequences["chr2"]))
    with pytest.raises(ValueError, match=r"toy\.fa.*chrX"):
        encode_genome(fasta, tmp_path / "x.npy", chroms=["chr1", "chrX"])
    with pytest.raises(ValueError, match=r"\.npy"):
        encode_genome(fasta, tmp_path / "x.bin")
    assert not (tmp_path / "x.npy").exists() and not (tmp_path / "x.json").exists()


def test_one_hot_matches_per_base_encoding(genome, sequences):
    chroms, starts, length = ["chr1", "chr2", "chr1"], [90, 1950, 280], 50
    x = genome.one_hot(chroms, starts, length)
    assert x.shape == (3, 4, length) and x.dtype == np.float32
    for i, (chrom, start) in enumerate(zip(chroms, starts, strict=True)):
        expected = np.zeros((4, length), dtype=np.float32)
        for j, letter in enumerate(sequences[chrom][start : start + length]):
            if python_code(letter) < 4:
                expected[python_code(letter), j] = 1
        np.testing.assert_array_equal(x[i], expected)
    assert genome.one_hot("chr1", [0], 10, dtype=np.int8).dtype == np.int8
    assert x[0, :, 10:50].sum() == 0  # chr1:100-140 is N: all-zero columns
    np.testing.assert_allclose(genome.n_fraction(chroms, starts, length), [0.8, 0.2, 0.0])


def test_out_of_bounds_and_unknown_chromosome(genome):
    with pytest.raises(ValueError, match=r"chr2:1990-2010 is outside chr2 \(length 2000\)"):
        genome.one_hot(["chr1", "chr2"], [0, 1990], 20)
    with pytest.raises(ValueError, match=r"chr1:-5-5"):
        genome.fetch("chr1", -5, 5)
    with pytest.raises(ValueError, match="chrX"):
        genome.fetch("chrX", 0, 5)


def test_genome_array_pickles_by_path(genome):
    copy = pickle.loads(pickle.dumps(genome))
    assert len(pickle.dumps(genome)) < 1000
    np.testing.assert_array_equal(copy.fetch("chr2", 5, 50), genome.fetch("chr2", 5, 50))


def test_genome_array_checks_its_index(tmp_path, fasta):
    encode_genome(fasta, tmp_path / "g.npy", chroms=["chr2"])
    np.save(tmp_path / "g.npy", np.zeros(10, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"g\.npy.*shape \(2000,\)"):
        GenomeArray(tmp_path / "g.npy")
    with pytest.raises(FileNotFoundError, match=r"none\.json"):
        GenomeArray(tmp_path / "none.npy")


def test_check_fasta_chroms(fasta):
    assert fasta_chrom_sizes(fasta) == LENGTHS
    check_fasta_chroms(fasta, {"chr2": 2000})
    with pytest.raises(ValueError, match=r"toy\.fa.*absent.*chr3"):
        check_fasta_chroms(fasta, {**LENGTHS, "chr3": 5})
    with pytest.raises(ValueError, match=r"toy\.fa.*chr1 \(3000 in the FASTA, 3001 expected\)"):
        check_fasta_chroms(fasta, {"chr1": 3001})
    with pytest.raises(FileNotFoundError, match=r"absent\.fa"):
        check_fasta_chroms(fasta.parent / "absent.fa", LENGTHS)


def test_reverse_complement_codes(genome):
    codes = genome.fetch_windows(["chr1", "chr1"], [95, 410], 30)
    twice = reverse_complement_codes(reverse_complement_codes(codes))
    np.testing.assert_array_equal(twice, codes)
    np.testing.assert_array_equal(
        codes_to_one_hot(reverse_complement_codes(codes)),
        reverse_complement(codes_to_one_hot(codes)),
    )


def test_npy_writer_round_trip_and_checks(tmp_path):
    data = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    with NpyWriter(tmp_path / "a.npy", np.float32, data.shape) as writer:
        writer.write(data[:1])
        writer.write(data[1:])
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy", mmap_mode="r"), data)
    with pytest.raises(ValueError, match=r"b\.npy: 1 rows written, 4 expected"):
        with NpyWriter(tmp_path / "b.npy", np.float32, data.shape) as writer:
            writer.write(data[:1])
    with NpyWriter(tmp_path / "c.npy", np.float32, data.shape) as writer:
        with pytest.raises(ValueError, match="block of shape"):
            writer.write(data[:, :1])
        with pytest.raises(ValueError, match="more than 4 rows"):
            writer.write(np.concatenate([data, data]))
        writer.write(data)
