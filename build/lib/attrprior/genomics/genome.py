"""Reference genome as a memory-mapped array of base codes.

Genome array
    :func:`encode_genome` streams a FASTA with pyfaidx, a chunk of ``chunk_size`` bases at a
    time, into one flat ``uint8`` ``.npy`` file: chromosome after chromosome, one code per
    base, A=0, C=1, G=2, T=3 and 4 for anything else (N, IUPAC ambiguity codes). Lower case
    (soft-masked repeats) counts as upper case. Beside it, a JSON index (same name, suffix
    ``.json``: ``hg38.npy`` -> ``hg38.json``) records the FASTA, the code table and, per
    chromosome, its name, offset into the array and length. The array is written
    sequentially (:class:`NpyWriter`), so encoding holds one chunk in memory.
    :class:`GenomeArray` memory-maps the pair read-only: hg38 (3.1 Gb) costs 3.1 GB of disk
    and only the pages touched of memory.

N handling
    A base coded 4 becomes an all-zero one-hot column (``attrprior.sequences``).
    Windows holding Ns are kept, as in Tseng et al.'s training data; callers who want to drop
    windows with many Ns can use :meth:`GenomeArray.n_fraction`.

Coordinates are 0-based, half-open. One-hot arrays are ``(N, 4, L)`` (examples, bases A/C/G/T,
positions); profiles ``(N, T, S, L)`` (examples, tasks, strands, positions), strand 0 the
``+`` strand and strand 1 the ``-`` strand when there are two.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attrprior.genomics.tracks import ChromSizes, as_chrom_sizes
from attrprior.io import atomic_path
from attrprior.sequences import ALPHABET, N_CODE, codes_to_one_hot, encode_codes

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "fasta_chrom_sizes",
    "check_fasta_chroms",
    "genome_index_path",
    "GenomeIndex",
    "NpyWriter",
    "encode_genome",
    "GenomeArray",
]

#: Bases read from the FASTA per step in :func:`encode_genome`.
DEFAULT_CHUNK_SIZE = 4_000_000

_INDEX_FORMAT = "attrprior-genome-codes"
_INDEX_VERSION = 1


# --------------------------------------------------------------------------------------------
# FASTA
# --------------------------------------------------------------------------------------------


def _open_fasta(fasta: str | os.PathLike):
    """Open a FASTA with pyfaidx (building its ``.fai`` if missing); errors name the file."""
    import pyfaidx

    fasta = Path(fasta)
    if not fasta.is_file():
        raise FileNotFoundError(f"{fasta}: FASTA file not found")
    try:
        return pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=False)
    except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat, ValueError) as error:
        raise ValueError(f"{fasta}: cannot index FASTA with pyfaidx: {error}") from error


def fasta_chrom_sizes(fasta: str | os.PathLike) -> dict[str, int]:
    """Return ``chrom -> length`` of a FASTA's records, in file order."""
    with contextlib.closing(_open_fasta(fasta)) as records:
        return {name: len(records[name]) for name in records.keys()}


def check_fasta_chroms(fasta: str | os.PathLike, chrom_sizes: ChromSizes) -> None:
    """Check that a FASTA has every chromosome of ``chrom_sizes`` with the same length.

    Raises
    ------
    ValueError
        Naming the FASTA and the chromosomes absent from it or of another length. Records of
        the FASTA that ``chrom_sizes`` does not list are allowed.
    """
    sizes = as_chrom_sizes(chrom_sizes)
    have = fasta_chrom_sizes(fasta)
    absent = [chrom for chrom in sizes if chrom not in have]
    wrong = [
        f"{chrom} ({have[chrom]} in the FASTA, {length} expected)"
        for chrom, length in sizes.items()
        if chrom in have and have[chrom] != length
    ]
    problems = []
    if absent:
        problems.append(f"chromosomes absent from the FASTA: {absent}")
    if wrong:
        problems.append("different lengths: " + ", ".join(wrong))
    if problems:
        raise ValueError(
            f"{fasta}: FASTA does not match the chromosome sizes: " + "; ".join(problems)
        )


# --------------------------------------------------------------------------------------------
# Sequential .npy output
# --------------------------------------------------------------------------------------------


class NpyWriter:
    """Write a C-ordered ``.npy`` of known dtype and shape block by block, sequentially.

    The header is written first, then each :meth:`write` appends rows (blocks along axis 0).
    Unlike filling a ``np.lib.format.open_memmap`` array, the written pages are never mapped
    into the process, so its resident memory stays at one block however large the file (with
    a memory map, every page written counts towards the resident set: 3 GB for hg38). The
    result reads back with ``np.load(path, mmap_mode="r")``.

    Parameters
    ----------
    path : path-like
        Output file (pass the temporary path of :func:`attrprior.io.atomic_path`).
    dtype : numpy dtype
    shape : tuple of int
        Final shape; axis 0 counts the rows written.

    Raises
    ------
    ValueError
        On a block of another trailing shape, more rows than ``shape[0]``, or, when closed
        without an error, fewer.
    """

    def __init__(self, path: str | os.PathLike, dtype: np.dtype | type, shape: tuple[int, ...]):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(d) for d in shape)
        self.rows = 0
        self._handle = open(self.path, "wb")
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": self.shape,
        }
        np.lib.format.write_array_header_2_0(self._handle, header)

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` of shape ``(k, *shape[1:])`` (cast to the dtype)."""
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if block.ndim != len(self.shape) or block.shape[1:] != self.shape[1:]:
            raise ValueError(
                f"{self.path}: block of shape {block.shape}, expected (k, *{self.shape[1:]})"
            )
        if self.rows + len(block) > self.shape[0]:
            raise ValueError(f"{self.path}: more than {self.shape[0]} rows written")
        block.tofile(self._handle)
        self.rows += len(block)

    def close(self) -> None:
        """Close the file; raise if fewer rows than ``shape[0]`` were written."""
        if self._handle.closed:
            return
        self._handle.close()
        if self.rows != self.shape[0]:
            raise ValueError(f"{self.path}: {self.rows} rows written, {self.shape[0]} expected")

    def __enter__(self) -> NpyWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self._handle.close()


# --------------------------------------------------------------------------------------------
# Genome array
# --------------------------------------------------------------------------------------------


def genome_index_path(path: str | os.PathLike) -> Path:
    """The JSON index beside a genome ``.npy``: ``hg38.npy`` -> ``hg38.json``."""
    return Path(path).with_suffix(".json")


@dataclass(frozen=True)
class GenomeIndex:
    """Where each chromosome lies in the flat code array.

    Attributes
    ----------
    chroms : tuple of str
        Chromosome names, in array order.
    offsets : tuple of int
        Index of each chromosome's first base in the array.
    lengths : tuple of int
        Chromosome lengths.
    fasta : str
        The FASTA the array was made from (as given).
    """

    chroms: tuple[str, ...]
    offsets: tuple[int, ...]
    lengths: tuple[int, ...]
    fasta: str = ""

    @property
    def total_length(self) -> int:
        """Number of bases in the array."""
        return sum(self.lengths)

    @property
    def chrom_sizes(self) -> dict[str, int]:
        """``chrom -> length`` in array order."""
        return dict(zip(self.chroms, self.lengths, strict=True))

    def to_json(self) -> str:
        """The index file's text."""
        record = {
            "format": _INDEX_FORMAT,
            "version": _INDEX_VERSION,
            "codes": {**{base: code for code, base in enumerate(ALPHABET)}, "other": N_CODE},
            "fasta": self.fasta,
            "total_length": self.total_length,
            "chroms": [
                {"name": c, "offset": o, "length": n}
                for c, o, n in zip(self.chroms, self.offsets, self.lengths, strict=True)
            ],
        }
        return json.dumps(record, indent=1) + "\n"

    @classmethod
    def read(cls, path: str | os.PathLike) -> GenomeIndex:
        """Read and check an index file written by :func:`encode_genome`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: genome index not found (made by encode_genome)")
        try:
            record = json.loads(path.read_text())
            if record.get("format") != _INDEX_FORMAT or record.get("version") != _INDEX_VERSION:
                raise ValueError("not a version-1 attrprior genome index")
            chroms = record["chroms"]
            index = cls(
                chroms=tuple(str(c["name"]) for c in chroms),
                offsets=tuple(int(c["offset"]) for c in chroms),
                lengths=tuple(int(c["length"]) for c in chroms),
                fasta=str(record.get("fasta", "")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: malformed genome index: {error}") from error
        expected = np.concatenate([[0], np.cumsum(index.lengths[:-1], dtype=np.int64)])
        if len(set(index.chroms)) != len(index.chroms) or not np.array_equal(
            index.offsets, expected[: len(index.chroms)]
        ):
            raise ValueError(f"{path}: malformed genome index: offsets or names inconsistent")
        if index.total_length != record.get("total_length"):
            raise ValueError(f"{path}: malformed genome index: total_length disagrees")
        return index


def encode_genome(
    fasta: str | os.PathLike,
    out_path: str | os.PathLike,
    chroms: Sequence[str] | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> GenomeIndex:
    """Encode a FASTA into a flat ``uint8`` ``.npy`` of base codes plus a JSON index.

    Parameters
    ----------
    fasta : path-like
        Plain or bgzip-compressed FASTA; pyfaidx builds its ``.fai`` beside it if missing.
    out_path : path-like
        Output ``.npy``; the index goes to :func:`genome_index_path` (``.json``). Both are
        written to temporary files and renamed, the ``.npy`` first; the ``.npy`` is written
        sequentially with :class:`NpyWriter`.
    chroms : sequence of str, optional
        Chromosomes to encode, in this order; default all FASTA records in file order.
    chunk_size : int
        Bases read and encoded per step; memory use is a small multiple of it.

    Returns
    -------
    GenomeIndex
        Codes: A=0, C=1, G=2, T=3, anything else 4; lower case as upper case.
    """
    fasta = Path(fasta)
    out_path = Path(out_path)
    if out_path.suffix != ".npy":
        raise ValueError(f"out_path: expected a .npy path, got {out_path}")
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ValueError(f"chunk_size: expected a positive int, got {chunk_size!r}")
    with contextlib.closing(_open_fasta(fasta)) as records:
        available = list(records.keys())
        if chroms is None:
            chroms = available
        elif isinstance(chroms, str):
            raise ValueError(f"chroms: expected a sequence of names, got the string {chroms!r}")
        chroms = [str(c) for c in chroms]
        absent = [c for c in chroms if c not in records]
        if absent:
            raise ValueError(f"{fasta}: chromosomes absent from the FASTA: {absent}")
        if len(set(chroms)) != len(chroms):
            raise ValueError(f"chroms: duplicate names in {chroms}")
        lengths = [len(records[c]) for c in chroms]
        offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        index = GenomeIndex(
            chroms=tuple(chroms),
            offsets=tuple(int(o) for o in offsets[:-1]),
            lengths=tuple(lengths),
            fasta=str(fasta),
        )
        with (
            atomic_path(genome_index_path(out_path), suffix=".json") as tmp_index,
            atomic_path(out_path, suffix=".npy") as tmp_codes,
        ):
            with NpyWriter(tmp_codes, np.uint8, (index.total_length,)) as writer:
                for chrom, length in zip(chroms, lengths, strict=True):
                    _encode_chrom(fasta, records[chrom], chrom, writer, length, chunk_size)
            tmp_index.write_text(index.to_json())
    return index


def _encode_chrom(
    fasta: Path, record, chrom: str, writer: NpyWriter, length: int, chunk_size: int
) -> None:
    """Encode one FASTA record and append its codes to ``writer``, chunk by chunk."""
    for start in range(0, length, chunk_size):
        end = min(start + chunk_size, length)
        chunk = encode_codes(record[start:end])
        if len(chunk) != end - start:
            raise ValueError(
                f"{fasta}: read {len(chunk)} bases of {chrom}:{start}-{end}, expected "
                f"{end - start} (FASTA and its .fai disagree?)"
            )
        writer.write(chunk)


class GenomeArray:
    """A genome encoded by :func:`encode_genome`, memory-mapped read-only.

    Parameters
    ----------
    path : path-like
        The ``.npy`` file; its ``.json`` index must be beside it.

    Attributes
    ----------
    path : pathlib.Path
    index : GenomeIndex
    codes : numpy.memmap, shape (total_length,), uint8
        All chromosomes back to back.

    Notes
    -----
    Pickling keeps only the path (workers re-open the memory map, nothing is copied).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.index = GenomeIndex.read(genome_index_path(self.path))
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: genome array not found")
        try:
            codes = np.load(self.path, mmap_mode="r")
        except ValueError as error:
            raise ValueError(f"{self.path}: not a .npy file: {error}") from error
        if codes.dtype != np.uint8 or codes.shape != (self.index.total_length,):
            raise ValueError(
                f"{self.path}: expected uint8 of shape ({self.index.total_length},) as its "
                f"index says, got {codes.dtype} {codes.shape}; re-run encode_genome"
            )
        self.codes = codes
        self._location = {
            chrom: (offset, length)
            for chrom, offset, length in zip(
                self.index.chroms, self.index.offsets, self.index.lengths, strict=True
            )
        }

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def __repr__(self) -> str:
        return f"GenomeArray({str(self.path)!r}, {len(self.index.chroms)} chromosomes)"

    @property
    def chrom_sizes(self) -> dict[str, int]:
        """``chrom -> length`` in array order."""
        return self.index.chrom_sizes

    def _locate(self, chrom: str, start: int, end: int) -> int:
        """Offset of ``chrom:start`` in the array; errors name the chrom and coordinates."""
        if chrom not in self._location:
            raise ValueError(f"{self.path}: no chromosome {chrom!r} in the genome array")
        offset, length = self._location[chrom]
        if not 0 <= start <= end <= length:
            raise ValueError(
                f"{chrom}:{start}-{end} is outside {chrom} (length {length}) in {self.path}"
            )
        return offset + start

    def fetch(self, chrom: str, start: int, end: int) -> np.ndarray:
        """Codes of ``chrom:[start, end)``.

        Returns
        -------
        numpy.ndarray, shape (end - start,), uint8
            A copy (not a view of the memory map).
        """
        start, end = int(start), int(end)
        offset = self._locate(chrom, start, end)
        return np.array(self.codes[offset : offset + end - start])

    def fetch_windows(self, chroms: str | Sequence[str], starts, length: int) -> np.ndarray:
        """Codes of N windows of equal length.

        Parameters
        ----------
        chroms : str or sequence of str
            One chromosome per window, or one for all.
        starts : array-like of int, shape (N,)
            0-based window starts.
        length : int
            Window length L.

        Returns
        -------
        numpy.ndarray, shape (N, L), uint8
        """
        starts = np.atleast_1d(np.asarray(starts))
        if starts.ndim != 1 or (len(starts) and not np.issubdtype(starts.dtype, np.integer)):
            raise ValueError(f"starts: expected 1-D integers, got {starts.dtype} {starts.shape}")
        if isinstance(chroms, str):
            chroms = [chroms] * len(starts)
        if len(chroms) != len(starts):
            raise ValueError(f"chroms: {len(chroms)} names for {len(starts)} starts")
        length = int(length)
        if length < 0:
            raise ValueError(f"length: must be >= 0, got {length}")
        out = np.empty((len(starts), length), dtype=np.uint8)
        for i, (chrom, start) in enumerate(zip(chroms, starts.tolist(), strict=True)):
            offset = self._locate(chrom, start, start + length)
            out[i] = self.codes[offset : offset + length]
        return out

    def one_hot(
        self,
        chroms: str | Sequence[str],
        starts,
        length: int,
        dtype: np.dtype | type = np.float32,
    ) -> np.ndarray:
        """One-hot sequences of N windows.

        Parameters
        ----------
        chroms, starts, length
            As for :meth:`fetch_windows`.
        dtype : numpy dtype
            float32 (default) or e.g. int8.

        Returns
        -------
        numpy.ndarray, shape (N, 4, L)
            Bases A, C, G, T; an N (code 4) is an all-zero column.
        """
        return codes_to_one_hot(self.fetch_windows(chroms, starts, length), dtype)

    def n_fraction(self, chroms: str | Sequence[str], starts, length: int) -> np.ndarray:
        """Fraction of N (code 4) bases in each of N windows, shape (N,), float64."""
        codes = self.fetch_windows(chroms, starts, length)
        if length == 0:
            return np.zeros(len(codes))
        return (codes == N_CODE).mean(axis=1)
