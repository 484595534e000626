"""bigWig files: counts written from per-chromosome intervals (and from BAMs, strand by
strand), chromosomes checked against the genome's, values read back.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from attrprior.genomics.tracks import (
    _BIGWIG_BATCH,
    DEFAULT_READ_FILTER,
    ChromSizes,
    Intervals,
    ReadFilter,
    _check_strand,
    _checked_bams,
    _compare_chroms,
    _spilled_counts,
    _sum_spilled,
    as_chrom_sizes,
)
from attrprior.io import atomic_path


def write_bigwig(
    path: str | os.PathLike,
    chrom_sizes: ChromSizes,
    intervals_per_chrom: Iterable[Intervals] | Mapping[str, tuple[np.ndarray, ...]],
) -> Path:
    """Write intervals to a bigWig, atomically.

    Parameters
    ----------
    path : path-like
        Output bigWig.
    chrom_sizes : mapping of str to int, or path-like
        Header: chromosome names and lengths, in this order.
    intervals_per_chrom : iterable of (chrom, starts, ends, values), or mapping
        Per chromosome 1-D arrays of equal length: 0-based starts, exclusive ends, values.
        Chromosomes must come in the order of ``chrom_sizes`` (those without data may be
        left out), each once; within one, intervals sorted and non-overlapping, inside the
        chromosome. A mapping ``chrom -> (starts, ends, values)`` is taken in
        ``chrom_sizes`` order. Zero values are not written (a bigWig reads them back as NaN).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import pyBigWig

    sizes = as_chrom_sizes(chrom_sizes)
    if isinstance(intervals_per_chrom, Mapping):
        items: Iterable = (
            (chrom, *intervals_per_chrom[chrom]) for chrom in sizes if chrom in intervals_per_chrom
        )
        unknown = [chrom for chrom in intervals_per_chrom if chrom not in sizes]
        if unknown:
            raise ValueError(f"{path}: chromosomes {unknown} are not in the chrom sizes")
    else:
        items = intervals_per_chrom
    order = {chrom: i for i, chrom in enumerate(sizes)}
    path = Path(path)
    with atomic_path(path, suffix=".bw") as tmp:
        bigwig = pyBigWig.open(str(tmp), "w")
        if bigwig is None:
            raise OSError(f"{path}: pyBigWig could not open {tmp} for writing")
        try:
            bigwig.addHeader(list(sizes.items()), maxZooms=10)
            previous = -1
            for chrom, starts, ends, values in items:
                if chrom not in order:
                    raise ValueError(f"{path}: chromosome {chrom!r} is not in the chrom sizes")
                if order[chrom] <= previous:
                    raise ValueError(
                        f"{path}: chromosome {chrom!r} out of the chrom sizes order or repeated"
                    )
                previous = order[chrom]
                starts, ends, values = _check_intervals(
                    path, chrom, sizes[chrom], starts, ends, values
                )
                for lo in range(0, len(starts), _BIGWIG_BATCH):
                    hi = lo + _BIGWIG_BATCH
                    bigwig.addEntries(
                        [chrom] * len(starts[lo:hi]),
                        starts[lo:hi].tolist(),
                        ends=ends[lo:hi].tolist(),
                        values=values[lo:hi].tolist(),
                    )
        finally:
            bigwig.close()
    return path


def _check_intervals(
    path: Path, chrom: str, length: int, starts, ends, values
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate one chromosome's intervals for a bigWig; drop zero values."""
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if not (starts.ndim == ends.ndim == values.ndim == 1) or not (
        len(starts) == len(ends) == len(values)
    ):
        raise ValueError(f"{path}, {chrom}: starts, ends and values must be 1-D of equal length")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{path}, {chrom}: values must be finite")
    keep = values != 0
    starts, ends, values = starts[keep], ends[keep], values[keep]
    if len(starts) == 0:
        return starts, ends, values
    if np.any(ends <= starts) or starts[0] < 0 or ends.max() > length:
        raise ValueError(
            f"{path}, {chrom}: intervals need 0 <= start < end <= {length} (chromosome length)"
        )
    if np.any(starts[1:] < ends[:-1]):
        raise ValueError(f"{path}, {chrom}: intervals must be sorted and non-overlapping")
    return starts, ends, values


def bams_to_bigwig(
    bams: str | os.PathLike | Sequence[str | os.PathLike],
    chrom_sizes: ChromSizes,
    path: str | os.PathLike,
    strand: str | None,
    tmp_dir: str | os.PathLike | None = None,
    read_filter: ReadFilter | None = DEFAULT_READ_FILTER,
) -> Path:
    """Write one bigWig of 5′ read counts summed over BAMs (replicates merged).

    Parameters
    ----------
    bams : path-like or sequence of path-like
        Indexed, coordinate-sorted BAMs; their ``@SQ`` lines must match ``chrom_sizes``.
    chrom_sizes : mapping of str to int, or path-like
        Chromosomes of the bigWig header, in order.
    path : path-like
        Output bigWig, written atomically.
    strand : {"+", "-", None}
        ``"+"`` or ``"-"``: reads of that strand (one of ChIP-seq's two tracks); None: all
        reads (DNase-seq's unstranded track).
    tmp_dir : path-like, optional
        Where the temporary bedGraphs and filtered BAMs go; default the output's directory.
    read_filter : ReadFilter or None
        Alignments counted (default :data:`DEFAULT_READ_FILTER`, ``-F 780 -q 30``); None:
        every mapped alignment.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return _write_strand_bigwigs(bams, chrom_sizes, {strand: path}, tmp_dir, read_filter)[0]


def bams_to_stranded_bigwigs(
    bams: str | os.PathLike | Sequence[str | os.PathLike],
    chrom_sizes: ChromSizes,
    pos_path: str | os.PathLike,
    neg_path: str | os.PathLike,
    tmp_dir: str | os.PathLike | None = None,
    read_filter: ReadFilter | None = DEFAULT_READ_FILTER,
) -> tuple[Path, Path]:
    """Write the ``+`` and ``-`` strand bigWigs of 5′ counts (ChIP-seq and its controls).

    Like :func:`bams_to_bigwig` for each strand, but every BAM is filtered once and counted on
    both strands before the two bigWigs are written (both atomically); ``tmp_dir`` defaults to
    the directory of ``pos_path``.
    """
    paths = {"+": pos_path, "-": neg_path}
    pos, neg = _write_strand_bigwigs(bams, chrom_sizes, paths, tmp_dir, read_filter)
    return pos, neg


def _write_strand_bigwigs(
    bams: str | os.PathLike | Sequence[str | os.PathLike],
    chrom_sizes: ChromSizes,
    paths: Mapping[str | None, str | os.PathLike],
    tmp_dir: str | os.PathLike | None,
    read_filter: ReadFilter | None,
) -> list[Path]:
    """Write the bigWig ``paths[strand]`` of each strand from one filtering pass per BAM.

    The BAMs are checked first; the temporary directory defaults to the first path's directory.
    Returns the paths, in the order given.
    """
    for strand in paths:
        _check_strand(strand)
    sizes = as_chrom_sizes(chrom_sizes)
    paths = {strand: Path(path) for strand, path in paths.items()}
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    bams = _checked_bams(bams, sizes)
    parent = tmp_dir or next(iter(paths.values())).parent
    with _spilled_counts(bams, sizes, tuple(paths), parent, read_filter) as spill_dir:
        for strand, path in paths.items():
            write_bigwig(path, sizes, _sum_spilled(spill_dir, len(bams), sizes, strand))
    return list(paths.values())


def open_bigwig(path: str | os.PathLike):
    """Open a bigWig for reading with pyBigWig; errors name the file. Close it when done."""
    import pyBigWig

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: bigWig file not found")
    try:
        bigwig = pyBigWig.open(str(path))
    except RuntimeError as error:
        raise ValueError(f"{path}: not a readable bigWig file") from error
    if bigwig is None or not bigwig.isBigWig():
        raise ValueError(f"{path}: not a bigWig file")
    return bigwig


def check_bigwig_chroms(path: str | os.PathLike, chrom_sizes: ChromSizes) -> None:
    """Check that a bigWig's header has every chromosome of ``chrom_sizes`` with its length.

    Chromosomes in the bigWig but not in ``chrom_sizes`` are allowed (not used).

    Raises
    ------
    ValueError
        Naming the bigWig and the chromosomes absent from it or of another length.
    """
    sizes = as_chrom_sizes(chrom_sizes)
    bigwig = open_bigwig(path)
    try:
        header = bigwig.chroms()
    finally:
        bigwig.close()
    problems = _compare_chroms(header, sizes, "bigWig")
    if problems:
        raise ValueError(
            f"{path}: bigWig does not match the chromosome sizes: " + "; ".join(problems)
        )


def read_bigwig_values(bigwig, chrom: str, start: int, end: int) -> np.ndarray:
    """Read a bigWig's values over ``[start, end)`` with missing values as 0.

    Parameters
    ----------
    bigwig : path-like or open pyBigWig file
        An open file is not closed (open once when reading many windows).
    chrom : str
    start, end : int
        0-based, half-open; inside the chromosome.

    Returns
    -------
    numpy.ndarray, shape (end - start,), float32
        Values, NaN (no data) replaced by 0.
    """
    if isinstance(bigwig, str | os.PathLike):
        with contextlib.closing(open_bigwig(bigwig)) as handle:
            return read_bigwig_values(handle, chrom, start, end)
    length = bigwig.chroms(chrom)
    if length is None:
        raise ValueError(f"bigWig has no chromosome {chrom!r}")
    if not 0 <= start < end <= length:
        raise ValueError(f"{chrom}:{start}-{end} is outside the chromosome (length {length})")
    values = bigwig.values(chrom, int(start), int(end), numpy=True)
    if len(values) == 0:  # a bigWig without any entries returns no values at all
        return np.zeros(end - start, dtype=np.float32)
    return np.nan_to_num(values.astype(np.float32), nan=0.0)
