"""Reference genome as a memory-mapped array of base codes, and summit-centred examples.

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
    A base coded 4 becomes an all-zero one-hot column (as in ``attrprior.data.one_hot_encode``).
    Windows holding Ns are kept, as in Tseng et al.'s training data; callers who want to drop
    windows with many Ns can use :meth:`GenomeArray.n_fraction`.

Profile examples
    :func:`build_profile_examples` cuts, for each summit, the sequence codes of
    ``input_length + 2 * max_jitter`` bases and the read-count profiles of
    ``output_length + 2 * max_jitter`` positions centred on it (Tseng et al.'s profile models:
    1346-bp inputs, 1000-bp outputs, jitter up to ±128 bp) into ``.npy`` files in a directory;
    :class:`ProfileExamples` memory-maps them and samples jittered, optionally
    reverse-complemented batches. See :func:`build_profile_examples` for the files.
    Optionally the same files also hold a seeded pool of random genomic windows from the
    training chromosomes (the "negatives" of Tseng et al.'s profile batches), marked by
    ``is_peak == False`` and ``task == -1``.

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
import pandas as pd

from attrprior.io import atomic_path
from attrprior.tracks import (
    ChromSizes,
    as_chrom_sizes,
    check_bigwig_chroms,
    open_bigwig,
    read_bigwig_values,
)

__all__ = [
    "BASES",
    "take_windows",
    "N_CODE",
    "DEFAULT_CHUNK_SIZE",
    "encode_codes",
    "codes_to_one_hot",
    "reverse_complement_codes",
    "fasta_chrom_sizes",
    "check_fasta_chroms",
    "genome_index_path",
    "GenomeIndex",
    "NpyWriter",
    "encode_genome",
    "GenomeArray",
    "build_profile_examples",
    "ProfileBatch",
    "ProfileExamples",
    "RANDOM_WINDOW_TASK",
    "concatenate_profile_batches",
]

BASES = "ACGT"
#: Code of any letter other than A, C, G, T (upper or lower case).
N_CODE = 4
#: Bases read from the FASTA per step in :func:`encode_genome`.
DEFAULT_CHUNK_SIZE = 4_000_000

_INDEX_FORMAT = "attrprior-genome-codes"
_INDEX_VERSION = 1
_EXAMPLES_FORMAT = "attrprior-profile-examples"
# Version 2 added the random-window pool (``is_peak``); version-1 files hold peaks only.
_EXAMPLES_VERSION = 2
_READABLE_EXAMPLES_VERSIONS = (1, 2)
#: ``task`` of the random genomic windows in a profile-examples directory.
RANDOM_WINDOW_TASK = -1
SEQUENCE_FILE = "sequence_codes.npy"
PROFILES_FILE = "profiles.npy"
CONTROL_FILE = "control.npy"
METADATA_FILE = "metadata.npz"
SUMMIT_COLUMNS = ("chrom", "summit", "task", "split")


def _code_table() -> np.ndarray:
    """256-entry lookup from ASCII byte to code; read-only."""
    table = np.full(256, N_CODE, dtype=np.uint8)
    for code, base in enumerate(BASES):
        table[ord(base)] = code
        table[ord(base.lower())] = code
    table.setflags(write=False)
    return table


_CODE_TABLE = _code_table()


# --------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------


def encode_codes(sequence: str | bytes) -> np.ndarray:
    """Encode DNA letters as codes A=0, C=1, G=2, T=3, other=4 (case-insensitive).

    Parameters
    ----------
    sequence : str or bytes
        Letters; non-ASCII characters count as "other".

    Returns
    -------
    numpy.ndarray, shape (L,), uint8
    """
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii", errors="replace")
    if not isinstance(sequence, bytes | bytearray):
        raise ValueError(f"sequence: expected str or bytes, got {type(sequence).__name__}")
    return _CODE_TABLE[np.frombuffer(sequence, dtype=np.uint8)]


def codes_to_one_hot(codes: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """One-hot encode base codes.

    Parameters
    ----------
    codes : numpy.ndarray, shape (..., L)
        Codes 0-3 for A, C, G, T; 4 (N) gives an all-zero column.
    dtype : numpy dtype
        Output dtype, e.g. float32 or int8.

    Returns
    -------
    numpy.ndarray, shape (..., 4, L)
        Bases A, C, G, T on the second-to-last axis.
    """
    codes = np.asarray(codes)
    bases = np.arange(len(BASES), dtype=codes.dtype).reshape(len(BASES), 1)
    return (codes[..., None, :] == bases).astype(dtype)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement base codes along the last axis (A<->T, C<->G, N stays N).

    Parameters
    ----------
    codes : numpy.ndarray, shape (..., L), uint8

    Returns
    -------
    numpy.ndarray, shape (..., L), uint8
        A new array.
    """
    codes = np.asarray(codes, dtype=np.uint8)[..., ::-1]
    return np.where(codes < N_CODE, 3 - codes, codes).astype(np.uint8)


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
            "codes": {**{base: code for code, base in enumerate(BASES)}, "other": N_CODE},
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


# --------------------------------------------------------------------------------------------
# Profile examples
# --------------------------------------------------------------------------------------------


def _track_paths(tracks, name: str) -> list[list[Path]]:
    """Normalise per-task bigWig paths to a (T, S) list of lists, S in {1, 2}."""
    if isinstance(tracks, str | os.PathLike):
        raise ValueError(f"{name}: expected one entry per task, got a single path {tracks}")
    result = []
    for task, entry in enumerate(tracks):
        paths = [entry] if isinstance(entry, str | os.PathLike) else list(entry)
        if len(paths) not in (1, 2):
            raise ValueError(
                f"{name}[{task}]: expected one path (unstranded) or two (+, -), got {len(paths)}"
            )
        result.append([Path(p) for p in paths])
    if not result:
        raise ValueError(f"{name}: no tasks")
    strands = {len(paths) for paths in result}
    if len(strands) != 1:
        raise ValueError(f"{name}: every task needs the same number of strands, got {strands}")
    return result


def _check_summits(summits: pd.DataFrame, n_tasks: int, genome: GenomeArray) -> pd.DataFrame:
    """Check the summit table; return it with a clean RangeIndex and typed columns."""
    if not isinstance(summits, pd.DataFrame):
        raise ValueError(f"summits: expected a DataFrame, got {type(summits).__name__}")
    missing = [c for c in SUMMIT_COLUMNS if c not in summits.columns]
    if missing:
        raise ValueError(f"summits: missing columns {missing}; need {list(SUMMIT_COLUMNS)}")
    table = summits.loc[:, list(SUMMIT_COLUMNS)].reset_index(drop=True)
    if table.isna().any().any():
        raise ValueError("summits: missing values")
    for column in ("summit", "task"):
        if not pd.api.types.is_integer_dtype(table[column]):
            raise ValueError(f"summits: column {column!r} must hold integers")
    bad_task = ~table["task"].between(0, n_tasks - 1)
    if bad_task.any():
        raise ValueError(
            f"summits: task {table['task'][bad_task].iloc[0]} outside 0..{n_tasks - 1} "
            f"({n_tasks} tasks of bigWigs)"
        )
    unknown = sorted(set(table["chrom"].astype(str)) - set(genome.chrom_sizes))
    if unknown:
        raise ValueError(f"summits: chromosomes {unknown} are not in the genome {genome.path}")
    return table.astype({"chrom": str, "summit": np.int64, "task": np.int64, "split": str})


def _check_peak_ranks(
    summits: pd.DataFrame, task_peak_counts: Sequence[int] | None, n_tasks: int
) -> np.ndarray | None:
    """The ``peak_rank`` column of the summit table, shape (n,) int64, or None without one.

    Ranks and ``task_peak_counts`` come together; each rank lies in 1 .. its task's count.
    """
    has_ranks = "peak_rank" in summits.columns
    if has_ranks != (task_peak_counts is not None):
        raise ValueError(
            "summits column peak_rank and task_peak_counts go together (signal ranks and "
            "the number of peaks they rank among)"
        )
    if not has_ranks:
        return None
    counts = np.asarray(task_peak_counts, dtype=np.int64)
    if counts.shape != (n_tasks,):
        raise ValueError(f"task_peak_counts: expected {n_tasks} counts, got {counts.shape}")
    ranks = summits["peak_rank"].to_numpy()
    if not np.issubdtype(ranks.dtype, np.integer):
        raise ValueError("summits: column 'peak_rank' must hold integers")
    if ((ranks < 1) | (ranks > counts[summits["task"].to_numpy()])).any():
        raise ValueError("summits: peak_rank outside 1 .. task_peak_counts of its task")
    return ranks.astype(np.int64)


def _window_start(center: np.ndarray | int, width: int) -> np.ndarray | int:
    """Start of a ``width`` window centred on ``center``: ``center - width // 2``."""
    return center - width // 2


def _random_window_centers(
    sizes: dict[str, int],
    chroms: Sequence[str],
    count: int,
    width: int,
    seed: int,
    exclude: Sequence[tuple[str, int, int]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Centres of ``count`` random ``width`` windows lying inside the given chromosomes.

    A chromosome is drawn with probability proportional to its number of possible window
    starts (``length - width + 1``), then a start uniformly among them, so every window
    position of the chosen chromosomes is equally likely. Windows overlapping a region of
    ``exclude`` (chrom, start, end; e.g. held-out split regions) are drawn again. Seeded
    by ``seed``.

    Returns
    -------
    chrom : numpy.ndarray, shape (count,), str
    center : numpy.ndarray, shape (count,), int64
        ``start + width // 2``, so that :func:`_window_start` gives the start back.
    """
    usable = [c for c in chroms if sizes[c] >= width]
    if count and not usable:
        raise ValueError(
            f"random_chroms: none of {list(chroms)} is at least {width} bp long (the stored "
            "sequence window)"
        )
    if not count:
        return np.array([], dtype=str), np.array([], dtype=np.int64)
    n_starts = np.array([sizes[c] - width + 1 for c in usable], dtype=np.int64)
    rng = np.random.default_rng(seed)
    which = rng.choice(len(usable), size=count, p=n_starts / n_starts.sum())
    starts = rng.integers(0, n_starts[which])
    for _ in range(1000):
        chosen = np.array(usable)[which].astype(str)
        clash = np.zeros(count, dtype=bool)
        for chrom, start, end in exclude:
            clash |= (chosen == chrom) & (starts < end) & (starts + width > start)
        if not clash.any():
            return chosen, (starts + width // 2).astype(np.int64)
        n = int(clash.sum())
        which[clash] = rng.choice(len(usable), size=n, p=n_starts / n_starts.sum())
        starts[clash] = rng.integers(0, n_starts[which[clash]])
    raise ValueError(
        f"random windows: after 1000 draws, {int(clash.sum())} still overlap the excluded "
        f"regions {list(exclude)}"
    )


def _random_chroms(
    random_chroms: Sequence[str] | None, table: pd.DataFrame, genome: GenomeArray
) -> list[str]:
    """The chromosomes random windows come from, checked (default: those of train summits)."""
    if random_chroms is None:
        train = set(table.loc[table["split"] == "train", "chrom"])
        return [c for c in genome.chrom_sizes if c in train]
    if isinstance(random_chroms, str):
        raise ValueError(f"random_chroms: expected a sequence of names, got {random_chroms!r}")
    chroms = [str(c) for c in random_chroms]
    unknown = sorted(set(chroms) - set(genome.chrom_sizes))
    if unknown:
        raise ValueError(f"random_chroms: {unknown} are not in the genome {genome.path}")
    return list(dict.fromkeys(chroms))


def build_profile_examples(
    genome: GenomeArray | str | os.PathLike,
    summits_df: pd.DataFrame,
    bigwigs: Sequence,
    out_dir: str | os.PathLike,
    *,
    input_length: int = 1346,
    output_length: int = 1000,
    max_jitter: int = 128,
    control_bigwigs: Sequence | None = None,
    chunk_size: int = 256,
    random_windows: int = 0,
    random_chroms: Sequence[str] | None = None,
    random_exclude: Sequence[tuple[str, int, int]] = (),
    random_seed: int = 0,
    task_peak_counts: Sequence[int] | None = None,
) -> ProfileExamples:
    """Cut summit-centred sequence and profile windows into memory-mapped ``.npy`` files.

    Parameters
    ----------
    genome : GenomeArray or path-like
        The encoded genome (or its ``.npy`` path).
    summits_df : pandas.DataFrame
        One row per example: ``chrom``, ``summit`` (0-based position), ``task`` (index of the
        task whose peak it is, 0..T-1) and ``split`` (e.g. ``"train"``); optionally
        ``peak_rank``, the signal rank of the example's peak among its task's peaks (1 the
        strongest; :func:`attrprior.sampling.signal_ranks`), needed to train on the
        strongest peaks only (condition key ``keep_positives``). Other columns are ignored.
        Rows are kept in order.
    bigwigs : sequence over tasks
        Per task, the ``(+, -)`` pair of 5′-count bigWigs (S = 2, ChIP-seq) or a single
        unstranded bigWig (S = 1, DNase-seq); the same S for all T tasks.
    out_dir : path-like
        Directory of the output files (created).
    input_length, output_length : int
        Model input and output lengths; ``input_length - output_length`` must be even so that
        the output window stays centred in the input after a reverse complement.
    max_jitter : int
        J: the stored windows are 2 J longer, so that :meth:`ProfileExamples.sample` can shift
        them by up to ±J.
    control_bigwigs : sequence over tasks, optional
        Control (input) bigWigs in the same layout, one entry per task (repeat the same paths
        for a shared control); S_c strands may differ from S.
    chunk_size : int
        Examples buffered in memory between writes (the arrays are written sequentially with
        :class:`NpyWriter`, so memory does not grow with N).
    random_windows : int
        Size of the pool of random genomic windows stored after the summit examples (0: none,
        the default). Tseng et al. fill half of every profile training batch with random
        windows of the training chromosomes; training draws them from this pool.
    random_chroms : sequence of str, optional
        Chromosomes the random windows come from; default those holding at least one
        ``"train"`` summit, in genome order.
    random_exclude : sequence of (str, int, int), optional
        Regions no random window may overlap (chrom, start, end): held-out split regions of
        a chromosome that also trains.
    random_seed : int
        Seeds the random windows (same seed, same pool).
    task_peak_counts : sequence of int, length T, optional
        Peaks per task that ``peak_rank`` ranks among (the rows of each task's peak file);
        given exactly when ``summits_df`` has ``peak_rank``.

    Returns
    -------
    ProfileExamples
        The loader of the files written.

    Notes
    -----
    A window of width W centred on a summit c starts at ``c - W // 2``. Summits whose
    sequence window (``input_length + 2J``) or profile window (``output_length + 2J``) runs
    off the chromosome are dropped; their row numbers and count are stored in the metadata
    (``dropped_rows``, ``n_dropped``). Random windows are drawn uniformly over the window
    positions that fit inside ``random_chroms`` (:func:`_random_window_centers`); they are
    not filtered for peaks or Ns. Every bigWig must have each chromosome used with its
    genome length. Files in ``out_dir`` (each written to a temporary file and renamed only
    when all are complete; ``metadata.npz`` last), with N = summit examples + random windows,
    summit examples first:

    - ``sequence_codes.npy``: (N, input_length + 2J) uint8 base codes.
    - ``profiles.npy``: (N, T, S, output_length + 2J) float32 5′ counts (NaN as 0).
    - ``control.npy``: (N, T, S_c, output_length + 2J) float32, only with controls.
    - ``metadata.npz``: ``chrom`` (N,) str, ``center`` (N,) int64 summit or window centre,
      ``task`` (N,) int64 (:data:`RANDOM_WINDOW_TASK`, -1, for random windows), ``split``
      (N,) str (``"train"`` for random windows), ``is_peak`` (N,) bool, ``source_row`` (N,)
      int64 row of ``summits_df`` (-1 for random windows), ``dropped_rows``, ``n_dropped``,
      ``n_random``, ``random_seed``, ``random_chroms``, ``input_length``,
      ``output_length``, ``max_jitter``, ``has_control``, ``bigwigs`` and
      ``control_bigwigs`` (paths, ``(T, S)``), ``format``, ``version`` (2); with peak
      ranks also ``peak_rank`` (N,) int64 (-1 for random windows) and
      ``task_peak_counts`` (T,) int64.
    """
    if not isinstance(genome, GenomeArray):
        genome = GenomeArray(genome)
    for name, value, minimum in (
        ("input_length", input_length, 1),
        ("output_length", output_length, 1),
        ("max_jitter", max_jitter, 0),
        ("chunk_size", chunk_size, 1),
        ("random_windows", random_windows, 0),
    ):
        if not isinstance(value, int | np.integer) or value < minimum:
            raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    if output_length > input_length or (input_length - output_length) % 2:
        raise ValueError(
            f"input_length - output_length must be even and >= 0, got {input_length} - "
            f"{output_length}"
        )
    tracks = _track_paths(bigwigs, "bigwigs")
    controls = None if control_bigwigs is None else _track_paths(control_bigwigs, "control_bigwigs")
    if controls is not None and len(controls) != len(tracks):
        raise ValueError(f"control_bigwigs: {len(controls)} tasks, but bigwigs has {len(tracks)}")
    table = _check_summits(summits_df, len(tracks), genome)
    ranks = _check_peak_ranks(summits_df, task_peak_counts, len(tracks))

    sequence_width = input_length + 2 * max_jitter
    profile_width = output_length + 2 * max_jitter
    sizes = genome.chrom_sizes
    chrom_length = table["chrom"].map(sizes).to_numpy(dtype=np.int64)
    centers = table["summit"].to_numpy()
    inside = (
        (_window_start(centers, sequence_width) >= 0)
        & (_window_start(centers, sequence_width) + sequence_width <= chrom_length)
        & (_window_start(centers, profile_width) >= 0)
        & (_window_start(centers, profile_width) + profile_width <= chrom_length)
    )
    kept = np.flatnonzero(inside)
    pool_chroms = _random_chroms(random_chroms, table, genome)
    random_chrom, random_center = _random_window_centers(
        sizes, pool_chroms, int(random_windows), sequence_width, random_seed, random_exclude
    )
    n_peaks, n_random = len(kept), len(random_chrom)
    is_peak = np.arange(n_peaks + n_random) < n_peaks
    rows = {
        "chrom": np.concatenate([table["chrom"].to_numpy()[kept].astype(str), random_chrom]),
        "center": np.concatenate([centers[kept], random_center]).astype(np.int64),
        "task": np.concatenate(
            [table["task"].to_numpy()[kept], np.full(n_random, RANDOM_WINDOW_TASK)]
        ).astype(np.int64),
        "split": np.concatenate(
            [table["split"].to_numpy()[kept].astype(str), np.full(n_random, "train")]
        ).astype(str),
        "source_row": np.concatenate([kept, np.full(n_random, -1)]).astype(np.int64),
    }
    if ranks is not None:
        rows["peak_rank"] = np.concatenate([ranks[kept], np.full(n_random, -1)]).astype(np.int64)
        rows["task_peak_counts"] = np.asarray(task_peak_counts, dtype=np.int64)
    used_sizes = {chrom: sizes[chrom] for chrom in np.unique(rows["chrom"])}
    all_paths = [p for task in tracks + (controls or []) for p in task]
    for path in dict.fromkeys(all_paths):
        if used_sizes:  # nothing to check when every summit was dropped
            check_bigwig_chroms(path, used_sizes)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n = n_peaks + n_random
    with contextlib.ExitStack() as stack:
        # Entered first, so renamed last: a complete metadata file means complete arrays.
        tmp_meta = stack.enter_context(atomic_path(out_dir / METADATA_FILE, suffix=".npz"))
        tmp_seq = stack.enter_context(atomic_path(out_dir / SEQUENCE_FILE, suffix=".npy"))
        tmp_prof = stack.enter_context(atomic_path(out_dir / PROFILES_FILE, suffix=".npy"))
        tmp_ctrl = (
            stack.enter_context(atomic_path(out_dir / CONTROL_FILE, suffix=".npy"))
            if controls is not None
            else None
        )
        handles = {
            path: stack.enter_context(contextlib.closing(open_bigwig(path)))
            for path in dict.fromkeys(all_paths)
        }
        n_tasks = len(tracks)
        seq_out = stack.enter_context(NpyWriter(tmp_seq, np.uint8, (n, sequence_width)))
        prof_out = stack.enter_context(
            NpyWriter(tmp_prof, np.float32, (n, n_tasks, len(tracks[0]), profile_width))
        )
        ctrl_out = (
            stack.enter_context(
                NpyWriter(tmp_ctrl, np.float32, (n, n_tasks, len(controls[0]), profile_width))
            )
            if controls is not None
            else None
        )
        sequence_starts = _window_start(rows["center"], sequence_width)
        profile_starts = _window_start(rows["center"], profile_width)
        for lo in range(0, n, chunk_size):
            chunk = slice(lo, lo + chunk_size)
            chroms = rows["chrom"][chunk]
            seq_out.write(
                genome.fetch_windows(list(chroms), sequence_starts[chunk], sequence_width)
            )
            for writer, layout in ((prof_out, tracks), (ctrl_out, controls)):
                if writer is not None:
                    writer.write(
                        _read_profiles(
                            handles, layout, chroms, profile_starts[chunk], profile_width
                        )
                    )
        for writer in (seq_out, prof_out, ctrl_out):
            if writer is not None:
                writer.close()
        np.savez(
            tmp_meta,
            format=_EXAMPLES_FORMAT,
            version=_EXAMPLES_VERSION,
            **rows,
            is_peak=is_peak,
            dropped_rows=np.flatnonzero(~inside).astype(np.int64),
            n_dropped=np.int64((~inside).sum()),
            n_random=np.int64(n_random),
            random_seed=np.int64(random_seed),
            random_chroms=np.array(pool_chroms if n_random else [], dtype=str),
            input_length=np.int64(input_length),
            output_length=np.int64(output_length),
            max_jitter=np.int64(max_jitter),
            has_control=controls is not None,
            bigwigs=np.array([[str(p) for p in task] for task in tracks]),
            control_bigwigs=np.array(
                [[str(p) for p in task] for task in controls] if controls else [], dtype=str
            ),
        )
    if controls is None:  # a control.npy from an earlier build would no longer belong
        (out_dir / CONTROL_FILE).unlink(missing_ok=True)
    return ProfileExamples(out_dir)


def _read_profiles(
    handles: dict, layout: list[list[Path]], chroms, starts: np.ndarray, width: int
) -> np.ndarray:
    """Read (B, T, S, width) float32 values from open bigWigs (NaN as 0)."""
    out = np.empty((len(starts), len(layout), len(layout[0]), width), dtype=np.float32)
    for i, (chrom, start) in enumerate(zip(chroms, starts.tolist(), strict=True)):
        for t, paths in enumerate(layout):
            for s, path in enumerate(paths):
                out[i, t, s] = read_bigwig_values(handles[path], chrom, start, start + width)
    return out


@dataclass
class ProfileBatch:
    """One batch sampled from :class:`ProfileExamples`.

    Attributes
    ----------
    one_hot : numpy.ndarray, shape (B, 4, input_length), float32
        Sequences, bases A, C, G, T (N as an all-zero column).
    profiles : numpy.ndarray, shape (B, T, S, output_length), float32
        5′ counts; after a reverse complement strand 0 is again the strand of the sequence
        shown.
    control : numpy.ndarray or None, shape (B, T, S_c, output_length), float32
    indices : numpy.ndarray, shape (B,), int64
        Rows of the examples.
    shifts : numpy.ndarray, shape (B,), int64
        Jitter applied: the windows are centred on ``center + shift``.
    reverse_complemented : numpy.ndarray, shape (B,), bool
    is_peak : numpy.ndarray or None, shape (B,), bool
        Summit-centred peak example (True) or random genomic window (False); None only for
        batches built by hand without it.
    """

    one_hot: np.ndarray
    profiles: np.ndarray
    control: np.ndarray | None
    indices: np.ndarray
    shifts: np.ndarray
    reverse_complemented: np.ndarray
    is_peak: np.ndarray | None = None


def concatenate_profile_batches(batches: Sequence[ProfileBatch]) -> ProfileBatch:
    """Join batches along the example axis (all with or all without controls).

    Parameters
    ----------
    batches : sequence of ProfileBatch
        At least one; ``is_peak`` of a batch without it counts as all True.

    Returns
    -------
    ProfileBatch
        Every array is the concatenation, in order, of the batches' arrays.
    """
    if not batches:
        raise ValueError("batches: need at least one batch")
    if len({b.control is None for b in batches}) != 1:
        raise ValueError("batches: cannot join batches with and without controls")

    def join(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in batches])

    return ProfileBatch(
        one_hot=join("one_hot"),
        profiles=join("profiles"),
        control=None if batches[0].control is None else join("control"),
        indices=join("indices"),
        shifts=join("shifts"),
        reverse_complemented=join("reverse_complemented"),
        is_peak=np.concatenate(
            [np.ones(len(b.indices), bool) if b.is_peak is None else b.is_peak for b in batches]
        ),
    )


class ProfileExamples:
    """Examples written by :func:`build_profile_examples`, memory-mapped read-only.

    Parameters
    ----------
    directory : path-like

    Attributes
    ----------
    directory : pathlib.Path
    sequence_codes : numpy.memmap, shape (N, input_length + 2J), uint8
    profiles : numpy.memmap, shape (N, T, S, output_length + 2J), float32
    control : numpy.memmap or None, shape (N, T, S_c, output_length + 2J), float32
    chrom, split : numpy.ndarray, shape (N,), str
    center, task, source_row : numpy.ndarray, shape (N,), int64
        ``task`` is -1 and ``source_row`` -1 for random windows.
    peak_rank : numpy.ndarray of int64, shape (N,), or None
        Signal rank of each peak example's peak among its task's peaks (1 the strongest;
        -1 for random windows); None when the directory was built without ranks.
    task_peak_counts : numpy.ndarray of int64, shape (T,), or None
        Peaks each task's ranks are taken among; None without ranks.
    is_peak : numpy.ndarray, shape (N,), bool
        Summit-centred peak example or random genomic window (version-1 directories, written
        before random windows existed, hold peaks only).
    input_length, output_length, max_jitter, n_dropped, n_random : int

    Notes
    -----
    Pickling keeps only the directory (workers re-open the memory maps).
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        meta_path = self.directory / METADATA_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"{meta_path}: not found (made by build_profile_examples)")
        with np.load(meta_path, allow_pickle=False) as meta:
            if str(meta.get("format", "")) != _EXAMPLES_FORMAT:
                raise ValueError(f"{meta_path}: not a profile-examples metadata file")
            version = int(meta["version"])
            if version not in _READABLE_EXAMPLES_VERSIONS:
                raise ValueError(
                    f"{meta_path}: profile-examples version {version}, this code reads "
                    f"{_READABLE_EXAMPLES_VERSIONS}; rebuild with build_profile_examples"
                )
            self.chrom = meta["chrom"]
            self.center = meta["center"]
            self.task = meta["task"]
            self.split = meta["split"]
            self.source_row = meta["source_row"]
            self.dropped_rows = meta["dropped_rows"]
            self.n_dropped = int(meta["n_dropped"])
            self.input_length = int(meta["input_length"])
            self.output_length = int(meta["output_length"])
            self.max_jitter = int(meta["max_jitter"])
            has_control = bool(meta["has_control"])
            self.is_peak = meta["is_peak"] if version >= 2 else np.ones(len(self.chrom), bool)
            # Optional in version 2: written when the summits came with signal ranks.
            self.peak_rank = meta["peak_rank"] if "peak_rank" in meta.files else None
            self.task_peak_counts = (
                meta["task_peak_counts"] if "task_peak_counts" in meta.files else None
            )
        n = len(self.chrom)
        self.n_random = int((~self.is_peak).sum())
        if (
            self.is_peak.shape != (n,)
            or self.is_peak.dtype != bool
            or not np.array_equal(self.is_peak, self.task != RANDOM_WINDOW_TASK)
        ):
            raise ValueError(
                f"{meta_path}: is_peak must be (N,) bool and False exactly where task is "
                f"{RANDOM_WINDOW_TASK}"
            )
        self.sequence_codes = self._open(
            SEQUENCE_FILE, (n, self.input_length + 2 * self.max_jitter)
        )
        self.profiles = self._open(PROFILES_FILE, None)
        self.control = self._open(CONTROL_FILE, None) if has_control else None
        width = self.output_length + 2 * self.max_jitter
        for name, array in (("profiles", self.profiles), ("control", self.control)):
            if array is not None and (
                array.ndim != 4 or array.shape[0] != n or array.shape[3] != width
            ):
                raise ValueError(
                    f"{self.directory / (name + '.npy')}: shape {array.shape} does not match "
                    f"the metadata ({n} examples, width {width})"
                )

    def _open(self, name: str, shape: tuple[int, ...] | None) -> np.ndarray:
        path = self.directory / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found (made by build_profile_examples)")
        array = np.load(path, mmap_mode="r")
        if shape is not None and array.shape != shape:
            raise ValueError(f"{path}: shape {array.shape} does not match the metadata {shape}")
        return array

    def __getstate__(self) -> dict:
        return {"directory": self.directory}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["directory"])

    def __len__(self) -> int:
        return len(self.chrom)

    def __repr__(self) -> str:
        return f"ProfileExamples({str(self.directory)!r}, {len(self)} examples)"

    @property
    def n_tasks(self) -> int:
        """T."""
        return self.profiles.shape[1]

    @property
    def n_strands(self) -> int:
        """S."""
        return self.profiles.shape[2]

    def split_indices(self, split: str, *, peaks_only: bool = True) -> np.ndarray:
        """Rows of one split, shape (n,), int64: its peak examples, or with ``peaks_only=False``
        also its random windows (which are all in ``"train"``)."""
        selected = self.split == split
        if peaks_only:
            selected &= self.is_peak
        return np.flatnonzero(selected)

    def random_indices(self) -> np.ndarray:
        """Rows of the random genomic windows, shape (n_random,), int64."""
        return np.flatnonzero(~self.is_peak)

    def sample(
        self,
        indices,
        jitter=0,
        rng: np.random.Generator | None = None,
        reverse_complement=False,
    ) -> ProfileBatch:
        """Cut model-sized windows, jittered and optionally reverse-complemented.

        Parameters
        ----------
        indices : array-like of int, shape (B,)
            Example rows.
        jitter : int or array-like of int, shape (B,)
            An int J' (0 <= J' <= max_jitter): shifts drawn uniformly from -J'..J' with
            ``rng``. An array: the shift of each example. Sequence and profiles shift together.
        rng : numpy.random.Generator, optional
            Needed when anything is drawn at random.
        reverse_complement : bool or array-like of bool, shape (B,)
            False: none. True: each example with probability 1/2 (drawn with ``rng``). An array:
            which examples. A reverse complement reverses positions and complements bases of
            the sequence, and reverses positions and swaps the + and - strands of the profiles
            and controls.

        Returns
        -------
        ProfileBatch
        """
        indices = np.asarray(indices)
        if indices.ndim != 1 or (len(indices) and not np.issubdtype(indices.dtype, np.integer)):
            raise ValueError(f"indices: expected 1-D integers, got {indices.dtype} {indices.shape}")
        indices = indices.astype(np.int64)  # an empty list arrives as float64
        if len(indices) and (indices.min() < 0 or indices.max() >= len(self)):
            raise ValueError(f"indices: outside 0..{len(self) - 1}")
        b = len(indices)
        shifts = self._shifts(jitter, rng, b)
        flips = self._flips(reverse_complement, rng, b)

        codes = take_windows(
            self.sequence_codes[indices], self.max_jitter + shifts, self.input_length
        )
        codes[flips] = reverse_complement_codes(codes[flips])
        profiles = _flip_profiles(
            take_windows(self.profiles[indices], self.max_jitter + shifts, self.output_length),
            flips,
        )
        control = None
        if self.control is not None:
            control = _flip_profiles(
                take_windows(self.control[indices], self.max_jitter + shifts, self.output_length),
                flips,
            )
        return ProfileBatch(
            one_hot=codes_to_one_hot(codes, np.float32),
            profiles=profiles,
            control=control,
            indices=indices,
            shifts=shifts,
            reverse_complemented=flips,
            is_peak=self.is_peak[indices],
        )

    def _shifts(self, jitter, rng: np.random.Generator | None, b: int) -> np.ndarray:
        if np.ndim(jitter) == 0:
            if not isinstance(jitter, int | np.integer) or not 0 <= jitter <= self.max_jitter:
                raise ValueError(f"jitter: expected an int in 0..{self.max_jitter}, got {jitter!r}")
            if jitter == 0:
                return np.zeros(b, dtype=np.int64)
            if rng is None:
                raise ValueError("rng: needed to draw random jitter")
            return rng.integers(-jitter, jitter, size=b, endpoint=True).astype(np.int64)
        shifts = np.asarray(jitter)
        if shifts.shape != (b,) or (b and not np.issubdtype(shifts.dtype, np.integer)):
            raise ValueError(
                f"jitter: expected {b} integer shifts, got {shifts.dtype} {shifts.shape}"
            )
        if b and np.abs(shifts).max() > self.max_jitter:
            raise ValueError(f"jitter: shifts must be within ±{self.max_jitter}")
        return shifts.astype(np.int64)

    @staticmethod
    def _flips(reverse_complement, rng: np.random.Generator | None, b: int) -> np.ndarray:
        if np.ndim(reverse_complement) == 0:
            if not isinstance(reverse_complement, bool | np.bool_):
                raise ValueError(
                    f"reverse_complement: expected a bool or bool array, got {reverse_complement!r}"
                )
            if not reverse_complement:
                return np.zeros(b, dtype=bool)
            if rng is None:
                raise ValueError("rng: needed to draw random reverse complements")
            return rng.random(b) < 0.5
        flips = np.asarray(reverse_complement)
        if flips.shape != (b,) or flips.dtype != bool:
            raise ValueError(
                f"reverse_complement: expected {b} bools, got {flips.dtype} {flips.shape}"
            )
        return flips


def take_windows(stored: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Cut ``stored[i, ..., starts[i] : starts[i] + length]`` for each row i (a new array).

    Parameters
    ----------
    stored : numpy.ndarray, shape (B, ..., L_stored)
    starts : numpy.ndarray of int, shape (B,)
    length : int

    Returns
    -------
    numpy.ndarray, shape (B, ..., length)
    """
    columns = starts[:, None] + np.arange(length)
    columns = columns.reshape((len(starts),) + (1,) * (stored.ndim - 2) + (length,))
    return np.take_along_axis(np.asarray(stored), columns, axis=-1)


def _flip_profiles(profiles: np.ndarray, flips: np.ndarray) -> np.ndarray:
    """Reverse positions and strands of the flagged rows of (B, T, S, L) profiles, in place."""
    profiles[flips] = profiles[flips][:, :, ::-1, ::-1]
    return profiles
