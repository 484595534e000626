"""Reading and validating chromosome sizes, narrowPeak and BED files.

All coordinates are 0-based and half-open, as in BED: a peak ``[start, end)`` covers the bases
``start, ..., end - 1``. Peak files may be plain text or gzip-compressed; compression is
detected from the file's first two bytes (the gzip magic number ``1f 8b``), not from its name.
Blank lines and lines starting with ``#``, ``track`` or ``browser`` are skipped; line numbers
in error messages count every line of the file, from 1.

Every reader raises :class:`ValueError` on bad input, naming the file, the line and the
problem. With ``chrom_sizes`` (from :func:`read_chrom_sizes`, a FASTA index, or any mapping of
chromosome name to length) each interval must lie on a listed chromosome and end at or
before the chromosome's end.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "NARROWPEAK_COLUMNS",
    "BED_COLUMNS",
    "ChromSizes",
    "read_chrom_sizes",
    "read_narrowpeak",
    "read_bed",
    "relaxed_peaks",
    "summit_positions",
    "validate_intervals",
    "overlaps_any",
    "merge_intervals",
    "window_interval_mask",
    "window_summit_distance",
]

#: The ten narrowPeak columns (ENCODE / UCSC "BED6+4"), in file order.
NARROWPEAK_COLUMNS = (
    "chrom",
    "start",
    "end",
    "name",
    "score",
    "strand",
    "signal",
    "p_value",
    "q_value",
    "summit",
)
#: Names of the twelve standard BED columns; further columns are named ``col13``, ``col14``, ...
BED_COLUMNS = (
    "chrom",
    "start",
    "end",
    "name",
    "score",
    "strand",
    "thick_start",
    "thick_end",
    "item_rgb",
    "block_count",
    "block_sizes",
    "block_starts",
)
#: Chromosome name -> length in bp, in file order.
ChromSizes = dict[str, int]

_GZIP_MAGIC = b"\x1f\x8b"
_EMPTY_INT = pd.Series([], dtype=np.int64)
_SKIP_PREFIXES = ("#", "track", "browser")
_NARROWPEAK_FLOATS = ("score", "signal", "p_value", "q_value")
#: 1-based narrowPeak column used to rank the relaxed peaks: column 9, qValue (-log10 q).
RELAXED_RANK_COLUMN = "q_value"


# --------------------------------------------------------------------------------------------
# Chromosome sizes
# --------------------------------------------------------------------------------------------


def read_chrom_sizes(path: str | os.PathLike) -> ChromSizes:
    """Read a chromosome sizes file (UCSC ``.chrom.sizes``, or a FASTA index ``.fai``).

    Parameters
    ----------
    path : path-like
        Tab-separated lines ``name<TAB>length[<TAB>...]``; columns after the second (as in a
        ``.fai`` index) are ignored. Plain or gzip-compressed.

    Returns
    -------
    dict of str to int
        Chromosome name -> length in bp, in file order.

    Raises
    ------
    ValueError
        A line with fewer than two columns, a length that is not a positive integer, a
        chromosome listed twice, or no chromosome at all; the message names the file and line.
    """
    sizes: ChromSizes = {}
    for line_no, fields in _data_lines(path):
        where = f"{path}: line {line_no}"
        if len(fields) < 2:
            raise ValueError(
                f"{where}: expected 'name<TAB>length', found {len(fields)} tab-separated column"
            )
        name, length = fields[0], fields[1]
        try:
            size = int(length)
        except ValueError:
            raise ValueError(f"{where}: length {length!r} is not an integer") from None
        if size <= 0:
            raise ValueError(f"{where}: length of {name!r} must be positive, got {size}")
        if name in sizes:
            raise ValueError(f"{where}: chromosome {name!r} is listed twice")
        sizes[name] = size
    if not sizes:
        raise ValueError(f"{path}: no chromosomes (the file has no data lines)")
    return sizes


# --------------------------------------------------------------------------------------------
# narrowPeak and BED
# --------------------------------------------------------------------------------------------


def read_narrowpeak(
    path: str | os.PathLike,
    chrom_sizes: Mapping[str, int] | None = None,
    *,
    unknown_chroms: str = "error",
) -> pd.DataFrame:
    """Read and validate a narrowPeak file.

    Parameters
    ----------
    path : path-like
        Tab-separated narrowPeak file (exactly 10 columns), plain or gzip-compressed.
    chrom_sizes : mapping of str to int, optional
        Chromosome lengths; when given, every peak must lie on a listed chromosome and end at
        or before its end.
    unknown_chroms : {"error", "drop"}
        What to do with a peak on a chromosome absent from ``chrom_sizes``: raise (default),
        or drop it silently (for example peaks on unplaced contigs when the FASTA holds only
        the canonical chromosomes).

    Returns
    -------
    pandas.DataFrame
        One row per peak, in file order, with the columns :data:`NARROWPEAK_COLUMNS`:
        ``chrom``, ``name``, ``strand`` (str); ``start``, ``end``, ``summit`` (int64);
        ``score``, ``signal``, ``p_value``, ``q_value`` (float64). ``summit`` is the offset of
        the summit from ``start``. A summit of -1 in the file ("no summit called") is replaced
        by the peak centre, ``(end - start) // 2``.

    Raises
    ------
    ValueError
        Naming the file, the line and the problem: a line without 10 columns; a coordinate or
        summit that is not an integer; a non-numeric score, signal, p- or q-value; a negative
        start; ``start >= end``; a summit outside the peak (other than -1); a chromosome
        absent from ``chrom_sizes``; a peak ending past its chromosome's end; no peaks at all.
    """
    _check_choice("unknown_chroms", unknown_chroms, ("error", "drop"))
    line_nos, rows = _read_rows(path, n_columns=len(NARROWPEAK_COLUMNS), kind="narrowPeak")
    columns = _columns(rows, len(NARROWPEAK_COLUMNS))
    table = _base_table(path, line_nos, columns)
    for name in NARROWPEAK_COLUMNS[3:]:
        values = columns[NARROWPEAK_COLUMNS.index(name)]
        if name in _NARROWPEAK_FLOATS:
            table[name] = _float_column(values, line_nos, path, name)
        elif name == "summit":
            table[name] = _int_column(values, line_nos, path, name)
        else:
            table[name] = values
    table = table[list(NARROWPEAK_COLUMNS)]
    _check_summits(table, line_nos, path)
    table["summit"] = _summit_offsets(table)
    return _finish(table, line_nos, path, chrom_sizes, unknown_chroms, what="peaks")


def read_bed(
    path: str | os.PathLike,
    chrom_sizes: Mapping[str, int] | None = None,
    min_columns: int = 3,
    *,
    unknown_chroms: str = "error",
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Read and validate a BED file (blacklist, footprints, true motif sites, ...).

    Parameters
    ----------
    path : path-like
        Tab-separated BED file, plain or gzip-compressed. Every data line must have the same
        number of columns, at least ``min_columns``.
    chrom_sizes : mapping of str to int, optional
        Chromosome lengths; when given, every interval must lie on a listed chromosome and end
        at or before its end.
    min_columns : int
        Fewest columns a line may have (at least 3).
    unknown_chroms : {"error", "drop"}
        Raise on an interval on a chromosome absent from ``chrom_sizes`` (default), or drop it.
    allow_empty : bool
        Return an empty table for a file without intervals instead of raising.

    Returns
    -------
    pandas.DataFrame
        One row per interval, in file order: ``chrom`` (str), ``start``, ``end`` (int64), then
        the further columns as str, named after :data:`BED_COLUMNS` (``name``, ``score``,
        ``strand``, ...; ``col13`` onwards beyond the twelfth).

    Raises
    ------
    ValueError
        Naming the file, the line and the problem, as :func:`read_narrowpeak`.
    """
    if min_columns < 3:
        raise ValueError(f"min_columns must be at least 3, got {min_columns}")
    _check_choice("unknown_chroms", unknown_chroms, ("error", "drop"))
    line_nos, rows = _read_rows(path, n_columns=None, kind="BED", min_columns=min_columns)
    n_columns = len(rows[0]) if rows else min_columns
    columns = _columns(rows, n_columns)
    table = _base_table(path, line_nos, columns)
    for j in range(3, n_columns):
        name = BED_COLUMNS[j] if j < len(BED_COLUMNS) else f"col{j + 1}"
        table[name] = columns[j]
    return _finish(
        table,
        line_nos,
        path,
        chrom_sizes,
        unknown_chroms,
        what="intervals",
        allow_empty=allow_empty,
    )


def validate_intervals(
    intervals: pd.DataFrame,
    chrom_sizes: Mapping[str, int] | None = None,
    *,
    source: str = "intervals",
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Check an in-memory interval table as the readers check files.

    Parameters
    ----------
    intervals : pandas.DataFrame
        At least the columns ``chrom``, ``start``, ``end``.
    chrom_sizes : mapping of str to int, optional
        Chromosome lengths to check the intervals against.
    source : str
        What the table is, for error messages (for example ``"optimal peaks of task 'CTCF'"``).
    allow_empty : bool
        Accept a table without rows.

    Returns
    -------
    pandas.DataFrame
        A copy with ``start`` and ``end`` as int64 and ``chrom`` as str.

    Raises
    ------
    ValueError
        Missing columns, non-integer coordinates, a negative start, ``start >= end``, a
        chromosome absent from ``chrom_sizes`` or an interval past its chromosome's end; the
        message names ``source`` and the row (0-based position in the table).
    """
    missing = [c for c in ("chrom", "start", "end") if c not in intervals.columns]
    if missing:
        raise ValueError(f"{source}: missing columns {missing}")
    table = intervals.copy()
    for column in ("start", "end"):
        values = table[column].to_numpy()
        if not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"{source}: column {column!r} must be integer, got {values.dtype}")
        table[column] = values.astype(np.int64)
    table["chrom"] = table["chrom"].astype(str)
    rows = list(range(len(table)))
    _check_coordinates(table, rows, source, row_word="row")
    if chrom_sizes is not None:
        _check_on_chromosomes(table, rows, source, chrom_sizes, row_word="row")
    if len(table) == 0 and not allow_empty:
        raise ValueError(f"{source}: no intervals (the set is empty)")
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Peak sets and summits
# --------------------------------------------------------------------------------------------


def relaxed_peaks(
    relaxed: pd.DataFrame | str | os.PathLike,
    optimal: pd.DataFrame | str | os.PathLike | None = None,
    top_n: int = 150_000,
    *,
    exclude_optimal: bool = False,
    chrom_sizes: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The relaxed (ambiguous) peak set of Tseng et al.: the top peaks of the IDR input.

    The reference takes ENCODE's "peaks and background as input for IDR" narrowPeak file,
    sorts it by 1-based column 9, ``qValue`` (-log10 q; ``sort -k9,9rn``), and keeps the first
    150,000 lines. Here the ranking column is :data:`RELAXED_RANK_COLUMN` (``q_value``, the
    9th narrowPeak column), descending; ties keep file order (a stable sort, where ``sort``
    would break ties by the whole line).

    By default all top peaks are kept, including those overlapping optimal peaks:
    :func:`attrprior.genomics.labels.binary_labels` labels a bin positive from the optimal peaks
    first
    and calls it ambiguous only when it is not positive. The reference additionally removes
    top peaks that overlap any optimal peak (``bedtools intersect -v``); ``exclude_optimal``
    does the same.

    Parameters
    ----------
    relaxed : pandas.DataFrame or path-like
        narrowPeak table (:func:`read_narrowpeak`) or file.
    optimal : pandas.DataFrame or path-like, optional
        Optimal (IDR thresholded) peaks; needed only with ``exclude_optimal``.
    top_n : int
        Number of top-ranked peaks kept (all of them when the file has fewer).
    exclude_optimal : bool
        Drop top peaks that overlap an optimal peak by at least 1 bp.
    chrom_sizes : mapping of str to int, optional
        Passed to :func:`read_narrowpeak` when reading files.

    Returns
    -------
    pandas.DataFrame
        The kept peaks, narrowPeak columns, best rank first, with a fresh index.
    """
    if top_n <= 0:
        raise ValueError(f"top_n must be positive, got {top_n}")
    relaxed_table = _as_narrowpeak(relaxed, chrom_sizes)
    order = np.argsort(-relaxed_table[RELAXED_RANK_COLUMN].to_numpy(), kind="stable")
    top = relaxed_table.iloc[order[:top_n]].reset_index(drop=True)
    if not exclude_optimal:
        return top
    if optimal is None:
        raise ValueError("relaxed_peaks: exclude_optimal=True needs the optimal peaks")
    optimal_table = _as_narrowpeak(optimal, chrom_sizes)
    overlapping = overlaps_any(top, optimal_table)
    return top.loc[~overlapping].reset_index(drop=True)


def summit_positions(peaks: pd.DataFrame) -> np.ndarray:
    """Absolute summit coordinates of narrowPeak peaks.

    Parameters
    ----------
    peaks : pandas.DataFrame
        With ``start``, ``end`` and ``summit`` (offset from ``start``; -1 means no summit, in
        which case the centre ``start + (end - start) // 2`` is used).

    Returns
    -------
    numpy.ndarray of int64, shape (N,)
        0-based position of each peak's summit, in row order.
    """
    return peaks["start"].to_numpy(np.int64) + _summit_offsets(peaks)


def overlaps_any(intervals: pd.DataFrame, others: pd.DataFrame) -> np.ndarray:
    """Whether each interval overlaps any of ``others`` by >= 1 bp (``bedtools intersect -u``).

    Parameters
    ----------
    intervals, others : pandas.DataFrame
        Tables with ``chrom``, ``start``, ``end`` (0-based, half-open).

    Returns
    -------
    numpy.ndarray of bool, shape (len(intervals),)
        In the row order of ``intervals``.
    """
    result = np.zeros(len(intervals), dtype=bool)
    if len(intervals) == 0 or len(others) == 0:
        return result
    import pybedtools  # imported here: needs the bedtools binary

    with tempfile.TemporaryDirectory(prefix="attrprior-bedtools-") as tmp:
        a = _write_bed(intervals, Path(tmp) / "a.bed", name=np.arange(len(intervals)))
        b = _write_bed(others, Path(tmp) / "b.bed")
        out = Path(tmp) / "hits.bed"
        pybedtools.BedTool(str(a)).intersect(str(b), u=True, output=str(out))
        hits = _read_bed_output(out, n_columns=4)
    result[hits[3].to_numpy(np.int64)] = True
    return result


def merge_intervals(intervals: pd.DataFrame) -> pd.DataFrame:
    """Union of intervals (``bedtools merge``; overlapping and book-ended intervals join).

    Parameters
    ----------
    intervals : pandas.DataFrame
        With ``chrom``, ``start``, ``end`` (0-based, half-open).

    Returns
    -------
    pandas.DataFrame
        Disjoint intervals ``chrom`` (str), ``start``, ``end`` (int64), sorted by chromosome
        name and start.
    """
    if len(intervals) == 0:
        return pd.DataFrame(
            {"chrom": pd.Series([], dtype=object), "start": _EMPTY_INT, "end": _EMPTY_INT}
        )
    ordered = intervals[["chrom", "start", "end"]].astype({"chrom": str})
    ordered = ordered.sort_values(["chrom", "start"], kind="stable")
    import pybedtools  # imported here: needs the bedtools binary

    with tempfile.TemporaryDirectory(prefix="attrprior-bedtools-") as tmp:
        a = _write_bed(ordered, Path(tmp) / "a.bed")
        out = Path(tmp) / "merged.bed"
        pybedtools.BedTool(str(a)).merge(output=str(out))
        merged = _read_bed_output(out, n_columns=3)
    return merged.set_axis(["chrom", "start", "end"], axis=1)


# --------------------------------------------------------------------------------------------
# Per-base annotations of sequence windows
# --------------------------------------------------------------------------------------------


def _window_positions(chroms, starts, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Chromosome names ``(N,)`` and absolute positions ``(N, length)`` of windows."""
    chroms = np.asarray(chroms, dtype=str)
    starts = np.asarray(starts, dtype=np.int64)
    if chroms.ndim != 1 or chroms.shape != starts.shape:
        raise ValueError(
            f"chroms and starts must be 1-D of the same length, got {chroms.shape} and "
            f"{starts.shape}"
        )
    if length < 1:
        raise ValueError(f"length must be positive, got {length}")
    return chroms, starts[:, None] + np.arange(length)


def window_interval_mask(chroms, starts, length: int, intervals: pd.DataFrame) -> np.ndarray:
    """Which bases of each window lie inside any interval (peaks, footprints, motifs).

    Parameters
    ----------
    chroms : array-like of str, shape (N,)
        Chromosome of each window.
    starts : array-like of int, shape (N,)
        0-based start of each window.
    length : int
        Window length L in bp.
    intervals : pandas.DataFrame
        ``chrom``, ``start``, ``end`` (0-based, half-open); may overlap each other.

    Returns
    -------
    numpy.ndarray of bool, shape (N, L)
        ``mask[n, i]``: base ``starts[n] + i`` of ``chroms[n]`` is covered.
    """
    chroms, positions = _window_positions(chroms, starts, length)
    mask = np.zeros(positions.shape, dtype=bool)
    merged = merge_intervals(intervals)
    for chrom, group in merged.groupby("chrom", sort=False):
        rows = np.flatnonzero(chroms == chrom)
        if len(rows) == 0:
            continue
        begin = group["start"].to_numpy(np.int64)
        end = group["end"].to_numpy(np.int64)
        # Merged intervals are disjoint and sorted: the last one starting at or before a base
        # is the only one that can cover it.
        last = np.searchsorted(begin, positions[rows], side="right") - 1
        mask[rows] = (last >= 0) & (positions[rows] < end[np.maximum(last, 0)])
    return mask


def window_summit_distance(
    chroms, starts, length: int, summits: pd.DataFrame, inside_only: bool = True
) -> np.ndarray:
    """Distance in bp from each base of each window to the nearest summit.

    Tseng et al. (Table 3) correlate importance with the distance to the nearest peak
    summit of any task; their notebook counts only the summits inside the window
    (``start <= summit < start + L``), and a window without one gets no distances.

    Parameters
    ----------
    chroms : array-like of str, shape (N,)
    starts : array-like of int, shape (N,)
        0-based window starts.
    length : int
        Window length L in bp.
    summits : pandas.DataFrame
        ``chrom`` and ``summit`` (absolute 0-based position, :func:`summit_positions`).
    inside_only : bool
        Count only the summits inside each window (the reference's rule); False uses the
        nearest summit anywhere on the chromosome.

    Returns
    -------
    numpy.ndarray of float64, shape (N, L)
        ``|position - nearest summit|``; all NaN for a window with no summit inside it
        (``inside_only``) or on a chromosome without summits.
    """
    chroms, positions = _window_positions(chroms, starts, length)
    distance = np.full(positions.shape, np.nan)
    for chrom, group in summits.groupby("chrom", sort=False):
        rows = np.flatnonzero(chroms == chrom)
        if len(rows) == 0:
            continue
        points = np.sort(group["summit"].to_numpy(np.int64))
        if not inside_only:
            distance[rows] = _nearest_distance(positions[rows], points)
            continue
        first, last = positions[rows, 0], positions[rows, -1]
        for row, lo, hi in zip(
            rows,
            np.searchsorted(points, first, side="left"),
            np.searchsorted(points, last, side="right"),
            strict=True,
        ):
            if hi > lo:
                distance[row] = _nearest_distance(positions[row], points[lo:hi])
    return distance


def _nearest_distance(positions: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``|position - nearest point|`` for sorted, non-empty ``points``."""
    after = np.clip(np.searchsorted(points, positions), 0, len(points) - 1)
    before = np.clip(after - 1, 0, len(points) - 1)
    return np.minimum(np.abs(positions - points[after]), np.abs(positions - points[before]))


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _write_bed(table: pd.DataFrame, path: Path, name: np.ndarray | None = None) -> Path:
    """Write ``chrom``, ``start``, ``end`` (and an optional name column) as a BED file."""
    columns = {c: table[c].to_numpy() for c in ("chrom", "start", "end")}
    if name is not None:
        columns["name"] = name
    pd.DataFrame(columns).to_csv(path, sep="\t", header=False, index=False)
    return path


def _read_bed_output(path: Path, n_columns: int) -> pd.DataFrame:
    """Read a bedtools result (possibly empty) with columns 0..n_columns-1 (chrom as str)."""
    if path.stat().st_size == 0:
        return pd.DataFrame({j: np.zeros(0, dtype=np.int64) for j in range(n_columns)})
    table = pd.read_csv(path, sep="\t", header=None, usecols=range(n_columns), dtype={0: str})
    return table.astype({j: np.int64 for j in range(1, n_columns)})


def _open_text(path: str | os.PathLike) -> Iterator[str]:
    """Lines of a plain or gzip file (detected by the magic bytes), without line endings."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open("rb") as probe:
        magic = probe.read(2)
    opener = gzip.open if magic == _GZIP_MAGIC else open
    try:
        with opener(path, "rt") as handle:
            for line in handle:
                yield line.rstrip("\r\n")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read as text ({error})") from error


def _data_lines(path: str | os.PathLike) -> Iterator[tuple[int, list[str]]]:
    """1-based line numbers and tab-split fields of the lines that hold data."""
    for line_no, line in enumerate(_open_text(path), start=1):
        if not line.strip() or line.startswith(_SKIP_PREFIXES):
            continue
        yield line_no, line.split("\t")


def _read_rows(
    path: str | os.PathLike, n_columns: int | None, kind: str, min_columns: int = 3
) -> tuple[list[int], list[list[str]]]:
    """Data lines of a tabular file with a fixed number of columns (checked)."""
    line_nos: list[int] = []
    rows: list[list[str]] = []
    for line_no, fields in _data_lines(path):
        expected = n_columns if n_columns is not None else (len(rows[0]) if rows else None)
        if expected is not None and len(fields) != expected:
            raise ValueError(
                f"{path}: line {line_no}: expected {expected} tab-separated {kind} columns, "
                f"found {len(fields)}"
            )
        if len(fields) < min_columns:
            raise ValueError(
                f"{path}: line {line_no}: expected at least {min_columns} tab-separated {kind} "
                f"columns, found {len(fields)}"
            )
        line_nos.append(line_no)
        rows.append(fields)
    return line_nos, rows


def _columns(rows: list[list[str]], n_columns: int) -> list[list[str]]:
    """Transpose rows of fields into columns."""
    if not rows:
        return [[] for _ in range(n_columns)]
    return [list(column) for column in zip(*rows, strict=True)]


def _base_table(
    path: str | os.PathLike, line_nos: list[int], columns: list[list[str]]
) -> pd.DataFrame:
    """The ``chrom``, ``start``, ``end`` columns, converted and checked for integers."""
    return pd.DataFrame(
        {
            "chrom": pd.Series(columns[0], dtype=str),
            "start": _int_column(columns[1], line_nos, path, "start"),
            "end": _int_column(columns[2], line_nos, path, "end"),
        }
    )


def _int_column(
    values: list[str], line_nos: list[int], path: str | os.PathLike, column: str
) -> np.ndarray:
    return _numeric_column(values, line_nos, path, column, np.int64, int, "an integer")


def _float_column(
    values: list[str], line_nos: list[int], path: str | os.PathLike, column: str
) -> np.ndarray:
    return _numeric_column(values, line_nos, path, column, np.float64, float, "a number")


def _numeric_column(
    values: list[str],
    line_nos: list[int],
    path: str | os.PathLike,
    column: str,
    dtype: type,
    parse: Callable[[str], object],
    expected: str,
) -> np.ndarray:
    """Convert a text column in one go; on failure, name the first bad line."""
    try:
        return np.array(values, dtype=np.str_).astype(dtype)
    except (ValueError, OverflowError):
        pass
    for line_no, value in zip(line_nos, values, strict=True):
        try:
            parse(value)
        except ValueError:
            raise ValueError(
                f"{path}: line {line_no}: {column} {value!r} is not {expected}"
            ) from None
    raise ValueError(f"{path}: column {column} does not fit {np.dtype(dtype).name}")


def _check_summits(table: pd.DataFrame, line_nos: list[int], path) -> None:
    summit = table["summit"].to_numpy()
    width = (table["end"] - table["start"]).to_numpy()
    bad = np.flatnonzero((summit != -1) & ((summit < 0) | (summit >= width)))
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"{path}: line {line_nos[i]}: summit offset {summit[i]} is outside the peak "
            f"(width {width[i]}; valid offsets 0..{width[i] - 1}, or -1 for none)"
        )


def _summit_offsets(peaks: pd.DataFrame) -> np.ndarray:
    """Summit offsets from ``start``, with -1 replaced by the centre ``(end - start) // 2``."""
    summit = peaks["summit"].to_numpy(np.int64)
    centre = (peaks["end"].to_numpy(np.int64) - peaks["start"].to_numpy(np.int64)) // 2
    return np.where(summit == -1, centre, summit)


def _finish(
    table: pd.DataFrame,
    line_nos: list[int],
    path,
    chrom_sizes: Mapping[str, int] | None,
    unknown_chroms: str,
    what: str,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Coordinate and chromosome checks shared by the file readers."""
    _check_coordinates(table, line_nos, path, row_word="line")
    if chrom_sizes is not None:
        if unknown_chroms == "drop":
            known = table["chrom"].isin(list(chrom_sizes)).to_numpy()
            table = table.loc[known].reset_index(drop=True)
            line_nos = [n for n, k in zip(line_nos, known, strict=True) if k]
        _check_on_chromosomes(table, line_nos, path, chrom_sizes, row_word="line")
    if len(table) == 0 and not allow_empty:
        raise ValueError(f"{path}: no {what} (the {what[:-1]} set is empty)")
    return table


def _check_coordinates(table: pd.DataFrame, rows: Sequence[int], source, row_word: str) -> None:
    start = table["start"].to_numpy()
    end = table["end"].to_numpy()
    checks = (
        (start < 0, "start {s} is negative"),
        (start >= end, "start {s} is not before end {e}"),
    )
    for bad, message in checks:
        hits = np.flatnonzero(bad)
        if hits.size:
            i = hits[0]
            problem = message.format(s=start[i], e=end[i])
            raise ValueError(f"{source}: {row_word} {rows[i]}: {problem}")


def _check_on_chromosomes(
    table: pd.DataFrame,
    rows: Sequence[int],
    source,
    chrom_sizes: Mapping[str, int],
    row_word: str,
) -> None:
    chroms = table["chrom"].to_numpy()
    known = table["chrom"].isin(list(chrom_sizes)).to_numpy()
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise ValueError(
            f"{source}: {row_word} {rows[i]}: chromosome {chroms[i]!r} is absent from the "
            f"FASTA / chrom sizes ({len(chrom_sizes)} chromosomes listed)"
        )
    lengths = table["chrom"].map(dict(chrom_sizes)).to_numpy(np.int64)
    end = table["end"].to_numpy()
    past = np.flatnonzero(end > lengths)
    if past.size:
        i = past[0]
        raise ValueError(
            f"{source}: {row_word} {rows[i]}: end {end[i]} is past the end of {chroms[i]} "
            f"(length {lengths[i]})"
        )


def _as_narrowpeak(
    peaks: pd.DataFrame | str | os.PathLike, chrom_sizes: Mapping[str, int] | None
) -> pd.DataFrame:
    if isinstance(peaks, pd.DataFrame):
        return peaks
    return read_narrowpeak(peaks, chrom_sizes)


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
