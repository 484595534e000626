"""attrprior.genomics.bigwig: bigWig files written, checked and read."""

import os

import numpy as np
import pyBigWig
import pytest

from attrprior.genomics.bigwig import (
    check_bigwig_chroms,
    read_bigwig_values,
    write_bigwig,
)

SIZES = {"chr1": 3000, "chr2": 2000}


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


# --------------------------------------------------------------------------------- read filter
