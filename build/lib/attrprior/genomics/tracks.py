"""Read-count tracks: BAM files to bigWigs of 5′ read counts, and reading bigWigs back.

Tseng et al. (2020) train their profile models on the 5′ ends of ChIP-seq (and DNase-seq)
reads: for every base, the number of reads whose 5′ end falls on it, per strand. The steps
here follow that description:

1. Filtering: each BAM is filtered as the reference does, ``samtools view -F 780 -q 30``
   (:func:`filter_bam`, pysam's samtools wrapper), into a temporary BAM. The same pass counts
   the alignments read and kept (``samtools view --save-counts``), and the builders below log
   ``"<bam>: kept N of M alignments (ReadFilter(...))"`` per BAM through this module's logger,
   so a BAM is read once by samtools, never again for statistics.
   :func:`five_prime_bedgraph` then runs ``bedtools genomecov -ibam BAM -bg -5 [-strand ±]``
   on the filtered BAM (through pybedtools). Each kept alignment counts once, at its 5′ end:
   the alignment start for a ``+`` read, the alignment end − 1 (0-based) for a ``−`` read.

   The filter (:class:`ReadFilter`, default :data:`DEFAULT_READ_FILTER`) drops alignments with
   any of the flags 780 = 4 (unmapped) + 8 (mate unmapped) + 256 (secondary) + 512 (QC
   failed), and those of MAPQ below 30 (multi-mapping reads). These are the values of Tseng et
   al.'s track-building script, which starts from ENCODE's *unfiltered* alignments; without
   them, multi-mappers, secondary copies and QC failures would all count. Duplicates (1024) and
   supplementary alignments (2048) are kept, as in the reference, and so are both mates of a
   pair. ``read_filter=None`` skips the filter and counts every mapped alignment (genomecov
   ignores unmapped ones; nothing is filtered or counted then).
   :func:`count_filtered_reads` counts what a filter keeps without writing a BAM (one pass).
2. Summing: :func:`merged_five_prime_counts` sums the counts of several BAMs (replicates). Each
   BAM is filtered once and its bedGraph of every strand wanted is spilled to per-chromosome
   binary files in a temporary directory (the filtered BAM goes there too, one at a time, and
   is removed once counted); then for one chromosome at a time the intervals of all BAMs are
   summed with a sweep over their boundaries (:func:`sum_intervals`). Memory is bounded by
   the nonzero intervals of one chromosome across the replicates, never the genome.
3. Writing: :func:`write_bigwig` writes the nonzero intervals as a bigWig with pyBigWig, the
   header holding the chromosome sizes in the order given.

:func:`bams_to_bigwig` runs the three steps for one strand (``"+"``, ``"-"``) or unstranded
(``None``: both strands' 5′ ends together, as for DNase-seq). Stranded ChIP-seq gets two
bigWigs from :func:`bams_to_stranded_bigwigs`, which filters (and counts) each BAM once for
both strands; controls are made the same way.

Chromosome sizes are a mapping ``chrom -> length`` in the order wanted in file headers, or a
UCSC ``chrom.sizes`` file (read by :func:`attrprior.genomics.peaks.read_chrom_sizes`).
Intervals are 0-based, half-open, as in BED and bigWig.

bigWig files (writing counts, reading values) are :mod:`attrprior.genomics.bigwig`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.genomics.peaks import read_chrom_sizes

#: Strand arguments: ``"+"`` and ``"-"`` for one strand, ``None`` for both together.
STRANDS = ("+", "-", None)


ChromSizes = Mapping[str, int] | str | os.PathLike


Intervals = tuple[str, np.ndarray, np.ndarray, np.ndarray]


# Rows per chunk when streaming a bedGraph, and intervals per pyBigWig.addEntries call.
_BEDGRAPH_CHUNK_ROWS = 1_000_000


_BIGWIG_BATCH = 1_000_000


_INDEX_SUFFIXES = (".bai", ".csi")


logger = logging.getLogger(__name__)


def as_chrom_sizes(chrom_sizes: ChromSizes) -> dict[str, int]:
    """Return ``chrom -> length`` from a mapping or a ``chrom.sizes`` path, checked."""
    if isinstance(chrom_sizes, str | os.PathLike):
        return read_chrom_sizes(chrom_sizes)
    sizes = {str(chrom): int(length) for chrom, length in chrom_sizes.items()}
    if not sizes:
        raise ValueError("chrom_sizes: no chromosomes")
    bad = [chrom for chrom, length in sizes.items() if length <= 0]
    if bad:
        raise ValueError(f"chrom_sizes: non-positive lengths for {bad}")
    return sizes


def find_bam_index(path: str | os.PathLike) -> Path | None:
    """Return the index of a BAM (``X.bam.bai``, ``X.bai``, ``X.bam.csi`` or ``X.csi``), or None."""
    path = Path(path)
    for suffix in _INDEX_SUFFIXES:
        for candidate in (path.with_name(path.name + suffix), path.with_suffix(suffix)):
            if candidate.is_file():
                return candidate
    return None


def check_bam_index(path: str | os.PathLike) -> Path:
    """Check that a BAM exists and has an index; return the index path.

    An index also shows that the BAM is coordinate-sorted, which ``genomecov`` needs.

    Raises
    ------
    FileNotFoundError
        Naming the BAM, if it or its ``.bai``/``.csi`` index is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: BAM file not found")
    index = find_bam_index(path)
    if index is None:
        raise FileNotFoundError(
            f"{path}: BAM has no index ({path.name}.bai or {path.name}.csi); sort it by "
            f"coordinate and create one with `samtools index {path}` or "
            f"`pysam.index('{path}')` (attrprior.genomics.tracks.index_bam)"
        )
    return index


def index_bam(path: str | os.PathLike) -> Path:
    """Create a ``.bai`` index beside a coordinate-sorted BAM with pysam; return its path."""
    import pysam  # imported here: only BAM handling needs it

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: BAM file not found")
    index = path.with_name(path.name + ".bai")
    try:
        pysam.index(str(path), str(index))
    except pysam.utils.SamtoolsError as error:
        raise ValueError(
            f"{path}: could not index BAM (is it sorted by coordinate?): {error}"
        ) from error
    return index


def bam_chrom_sizes(path: str | os.PathLike) -> dict[str, int]:
    """Return the ``@SQ`` chromosomes of a BAM header, ``chrom -> length`` in header order."""
    import pysam

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: BAM file not found")
    try:
        with pysam.AlignmentFile(str(path), "rb") as bam:
            return dict(zip(bam.references, bam.lengths, strict=True))
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: not a readable BAM file: {error}") from error


def check_bam_chroms(path: str | os.PathLike, chrom_sizes: ChromSizes) -> None:
    """Check that a BAM's ``@SQ`` lines agree with the chromosome sizes.

    Every chromosome of ``chrom_sizes`` must be in the BAM header with the same length, and
    every ``@SQ`` chromosome must be in ``chrom_sizes`` (a BAM aligned to another assembly or
    with extra contigs is refused rather than silently dropping reads).

    Raises
    ------
    ValueError
        Naming the BAM and the chromosomes that are missing, extra or of another length.
    """
    sizes = as_chrom_sizes(chrom_sizes)
    header = bam_chrom_sizes(path)
    problems = _compare_chroms(header, sizes, "BAM header")
    extra = [chrom for chrom in header if chrom not in sizes]
    if extra:
        problems.append(f"chromosomes in the BAM header but not in the chrom sizes: {extra}")
    if problems:
        raise ValueError(f"{path}: BAM does not match the chromosome sizes: " + "; ".join(problems))


def _compare_chroms(have: Mapping[str, int], want: Mapping[str, int], what: str) -> list[str]:
    """Describe chromosomes of ``want`` absent from ``have`` or of another length there."""
    problems = []
    absent = [chrom for chrom in want if chrom not in have]
    if absent:
        problems.append(f"chromosomes absent from the {what}: {absent}")
    wrong = [
        f"{chrom} ({have[chrom]} in the {what}, {length} expected)"
        for chrom, length in want.items()
        if chrom in have and have[chrom] != length
    ]
    if wrong:
        problems.append("different lengths: " + ", ".join(wrong))
    return problems


_MAX_FLAGS = 4096  # SAM flags are 12 bits


_MAX_MAPQ = 255


@dataclass(frozen=True)
class ReadFilter:
    """Which alignments count: ``samtools view -F exclude_flags -q min_mapq``.

    Parameters
    ----------
    exclude_flags : int
        Drop alignments with any of these SAM flag bits set, in [0, 4096). Default 780 =
        4 (unmapped) + 8 (mate unmapped) + 256 (secondary) + 512 (QC failed).
    min_mapq : int
        Drop alignments of mapping quality below this, in [0, 255]. Default 30.

    Raises
    ------
    ValueError
        Naming the field, if a value is not an int in its range.
    """

    exclude_flags: int = 780
    min_mapq: int = 30

    def __post_init__(self) -> None:
        for name, upper in (("exclude_flags", _MAX_FLAGS - 1), ("min_mapq", _MAX_MAPQ)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"ReadFilter.{name}: expected an int, got {value!r}")
            if not 0 <= value <= upper:
                raise ValueError(f"ReadFilter.{name}: expected 0 to {upper}, got {value}")
            object.__setattr__(self, name, int(value))

    def samtools_args(self) -> list[str]:
        """The ``samtools view`` options of this filter: ``["-F", flags, "-q", mapq]``."""
        return ["-F", str(self.exclude_flags), "-q", str(self.min_mapq)]

    def keeps(self, flag, mapq):
        """Whether alignments of SAM ``flag`` and ``mapq`` pass (ints or numpy arrays)."""
        return ((np.asarray(flag) & self.exclude_flags) == 0) & (np.asarray(mapq) >= self.min_mapq)


#: The reference's filter (Tseng et al. 2020, ``samtools view -F 780 -q 30`` on ENCODE's
#: unfiltered alignments): drop unmapped, mate-unmapped, secondary and QC-failed alignments and
#: those of MAPQ < 30.
DEFAULT_READ_FILTER = ReadFilter()


def filter_bam(
    bam: str | os.PathLike,
    output: str | os.PathLike,
    read_filter: ReadFilter = DEFAULT_READ_FILTER,
) -> Path:
    """Write the alignments of ``bam`` that pass ``read_filter`` to the BAM ``output``.

    ``samtools view -b -1 -F <flags> -q <mapq> -o output bam`` through pysam: streamed (memory
    does not grow with the BAM), fast compression (meant for temporary files), order and header
    kept, so a coordinate-sorted input gives a coordinate-sorted output. Not indexed; not
    atomic (write into a temporary directory). The track builders run this same pass and log
    its counts (alignments read and kept, from ``--save-counts``).

    Returns
    -------
    pathlib.Path
        ``output``.
    """
    output = Path(output)
    _filter_and_count(Path(bam), output, read_filter)
    return output


def _filter_and_count(bam: Path, output: Path, read_filter: ReadFilter) -> tuple[int, int]:
    """:func:`filter_bam`, returning (alignments read, alignments kept) of that one pass."""
    counts = output.with_name(output.name + ".counts.json")
    # catch_stdout=False: otherwise pysam captures the BAM in memory and ignores -o.
    args = ["-b", "-1", *read_filter.samtools_args(), "-o", str(output)]
    return _samtools_view_counts(bam, args, counts, "filter", catch_stdout=False)


def _samtools_view_counts(
    bam: Path, args: Sequence[str], counts: Path, what: str, catch_stdout: bool = True
) -> tuple[int, int]:
    """Run ``samtools view ARGS --save-counts COUNTS BAM``; return (records read, kept).

    The JSON file ``counts`` is removed afterwards. Errors name the BAM and ``what`` was done.
    """
    import pysam  # imported here: only BAM handling needs it

    if not bam.is_file():
        raise FileNotFoundError(f"{bam}: BAM file not found")
    try:
        pysam.view(*args, "--save-counts", str(counts), str(bam), catch_stdout=catch_stdout)
        saved = json.loads(counts.read_text())
        return int(saved["records_processed"]), int(saved["records_filter_accepted"])
    except (pysam.utils.SamtoolsError, OSError, ValueError, KeyError) as error:
        raise ValueError(f"{bam}: samtools view could not {what} the BAM: {error}") from error
    finally:
        counts.unlink(missing_ok=True)


def count_filtered_reads(
    bam: str | os.PathLike, read_filter: ReadFilter | None = DEFAULT_READ_FILTER
) -> tuple[int, int]:
    """Count a BAM's alignments and those a filter keeps.

    Parameters
    ----------
    bam : path-like
        A BAM (any order; no index needed).
    read_filter : ReadFilter or None
        None counts the mapped alignments as kept (what ``genomecov`` counts unfiltered).

    Returns
    -------
    total, kept : int
        Alignment records in the BAM (unmapped reads included), and those passing the filter
        (``samtools view -c -F <flags> -q <mapq> --save-counts``): one streaming pass.
    """
    args = ["-c", *(["-F", "4"] if read_filter is None else read_filter.samtools_args())]
    with tempfile.TemporaryDirectory(prefix="attrprior-count-") as tmp:
        return _samtools_view_counts(Path(bam), args, Path(tmp) / "counts.json", "count")


@contextlib.contextmanager
def _filtered_bam(
    bam: Path, read_filter: ReadFilter | None, tmp_dir: str | os.PathLike | None
) -> Iterator[Path]:
    """Yield the BAM to count: ``bam`` itself if ``read_filter`` is None, else its filtered copy.

    The copy lies in a temporary directory under ``tmp_dir`` (default the system's), removed on
    exit. The counts of the filtering pass are logged: ``"<bam>: kept N of M alignments"``.
    """
    if read_filter is None:
        logger.info("%s: no read filter, every mapped alignment counted", bam)
        yield bam
        return
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="attrprior-filter-") as tmp:
        filtered = Path(tmp) / "filtered.bam"
        total, kept = _filter_and_count(bam, filtered, read_filter)
        logger.info("%s: kept %d of %d alignments (%s)", bam, kept, total, read_filter)
        yield filtered


def _check_strand(strand: str | None) -> None:
    if strand not in STRANDS:
        raise ValueError(f"strand: expected '+', '-' or None, got {strand!r}")


def five_prime_bedgraph(
    bam: str | os.PathLike,
    strand: str | None,
    output: str | os.PathLike | None = None,
    read_filter: ReadFilter | None = DEFAULT_READ_FILTER,
):
    """Count read 5′ ends of one BAM with ``bedtools genomecov -bg -5 [-strand ±]``.

    Parameters
    ----------
    bam : path-like
        Coordinate-sorted, indexed BAM.
    strand : {"+", "-", None}
        Count reads on this strand only; None counts both.
    output : path-like, optional
        Where bedtools writes the bedGraph; default a pybedtools temporary file (removed by
        ``pybedtools.cleanup()``, or delete ``result.fn`` yourself).
    read_filter : ReadFilter or None
        Count only the alignments passing it (default :data:`DEFAULT_READ_FILTER`, the
        reference's ``-F 780 -q 30``); the BAM is filtered into a temporary file beside
        ``output`` (or in the system's temporary directory), removed afterwards. None counts
        every mapped alignment.

    Returns
    -------
    pybedtools.BedTool
        bedGraph (chrom, start, end, count), 0-based half-open, nonzero counts only, sorted in
        the BAM header's chromosome order. A ``+`` read counts at its alignment start, a ``-``
        read at its alignment end − 1.
    """
    _check_strand(strand)
    check_bam_index(bam)
    parent = None if output is None else Path(output).parent
    with _filtered_bam(Path(bam), read_filter, parent) as source:
        return _genomecov(source, strand, output)  # runs now: the BAM may go afterwards


def _genomecov(bam: str | os.PathLike, strand: str | None, output: str | os.PathLike | None):
    """``bedtools genomecov -ibam bam -bg -5 [-strand ±]`` of a sorted BAM (not checked)."""
    import pybedtools  # imported here: needs the bedtools binary

    kwargs: dict[str, object] = {"bg": True, "5": True}  # bedtools genomecov -bg -5
    if strand is not None:
        kwargs["strand"] = strand
    if output is not None:
        kwargs["output"] = str(output)
    return pybedtools.BedTool(str(bam)).genome_coverage(**kwargs)


def sum_intervals(
    intervals: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum several bedGraph tracks of one chromosome.

    Parameters
    ----------
    intervals : sequence of (starts, ends, values)
        One triple of 1-D arrays of equal length per track; within a track the intervals must
        not overlap (any order).

    Returns
    -------
    starts, ends : numpy.ndarray, shape (K,), int64
    values : numpy.ndarray, shape (K,), float64
        The summed track: sorted, non-overlapping intervals with nonzero values, adjacent
        intervals of equal value merged.

    Notes
    -----
    A sweep over the interval boundaries: each interval adds its value at its start and
    subtracts it at its end; the running sum is the value between consecutive boundaries.
    Counts are integers, so the sums are exact.
    """
    if not intervals:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float64)
    starts = np.concatenate([np.asarray(s, dtype=np.int64) for s, _, _ in intervals])
    ends = np.concatenate([np.asarray(e, dtype=np.int64) for _, e, _ in intervals])
    values = np.concatenate([np.asarray(v, dtype=np.float64) for _, _, v in intervals])
    if not starts.shape == ends.shape == values.shape:
        raise ValueError("intervals: starts, ends and values must have equal lengths")
    if np.any(ends <= starts):
        raise ValueError("intervals: every interval needs start < end")
    bounds = np.unique(np.concatenate([starts, ends]))
    delta = np.bincount(np.searchsorted(bounds, starts), weights=values, minlength=len(bounds))
    delta -= np.bincount(np.searchsorted(bounds, ends), weights=values, minlength=len(bounds))
    level = np.cumsum(delta)[:-1]
    return _merge_runs(bounds[:-1], bounds[1:], level)


def _merge_runs(
    starts: np.ndarray, ends: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop zero-valued intervals and merge touching intervals of equal value (sorted input)."""
    keep = values != 0
    starts, ends, values = starts[keep], ends[keep], values[keep]
    if len(starts) == 0:
        return starts, ends, values
    continues = (starts[1:] == ends[:-1]) & (values[1:] == values[:-1])
    first = np.concatenate([[True], ~continues])
    last = np.concatenate([~continues, [True]])
    return starts[first], ends[last], values[first]


def _spill_bedgraph(path: Path, spill_dir: Path, tag: str, chroms: Mapping[str, int]) -> None:
    """Append a bedGraph's columns to raw per-chromosome files ``{tag}.{i}.{column}``.

    Chromosome ``i`` is its position in ``chroms``; streamed in chunks of rows.
    """
    order = {chrom: i for i, chrom in enumerate(chroms)}
    if path.stat().st_size == 0:  # no reads counted
        return
    reader = pd.read_csv(
        path,
        sep="\t",
        header=None,
        usecols=[0, 1, 2, 3],
        names=["chrom", "start", "end", "value"],
        dtype={"chrom": str, "start": np.int64, "end": np.int64, "value": np.float64},
        chunksize=_BEDGRAPH_CHUNK_ROWS,
    )
    with reader:
        for chunk in reader:
            for chrom, rows in chunk.groupby("chrom", sort=False):
                if chrom not in order:
                    raise ValueError(f"{path}: bedGraph chromosome {chrom!r} not in chrom sizes")
                stem = spill_dir / f"{tag}.{order[chrom]}"
                for column in ("start", "end", "value"):
                    with open(f"{stem}.{column}", "ab") as handle:
                        rows[column].to_numpy().tofile(handle)


def _read_spilled(
    spill_dir: Path, tag: str, index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Read back one chromosome's spilled (starts, ends, values), or None if it had none."""
    stem = spill_dir / f"{tag}.{index}"
    if not Path(f"{stem}.start").is_file():
        return None
    return (
        np.fromfile(f"{stem}.start", dtype=np.int64),
        np.fromfile(f"{stem}.end", dtype=np.int64),
        np.fromfile(f"{stem}.value", dtype=np.float64),
    )


def merged_five_prime_counts(
    bams: str | os.PathLike | Sequence[str | os.PathLike],
    chrom_sizes: ChromSizes,
    strand: str | None,
    tmp_dir: str | os.PathLike | None = None,
    read_filter: ReadFilter | None = DEFAULT_READ_FILTER,
) -> Iterator[Intervals]:
    """Sum the 5′ read counts of several BAMs, one chromosome at a time.

    Parameters
    ----------
    bams : path-like or sequence of path-like
        Indexed BAMs (replicates) whose ``@SQ`` lines match ``chrom_sizes``.
    chrom_sizes : mapping of str to int, or path-like
        Chromosomes to report, in order.
    strand : {"+", "-", None}
        Strand of the reads counted; None counts both.
    tmp_dir : path-like, optional
        Parent of the temporary directory holding the bedGraphs (about the size of the
        bedGraphs) and one filtered BAM at a time; default the system's.
    read_filter : ReadFilter or None
        Alignments counted (default :data:`DEFAULT_READ_FILTER`); None: every mapped one.

    Returns
    -------
    iterator of (chrom, starts, ends, values)
        For each chromosome of ``chrom_sizes`` in order (also those without reads): sorted,
        non-overlapping intervals (int64 starts and ends, float64 summed counts, nonzero).
        The arguments and BAMs are checked at the call; samtools and bedtools run when
        iteration starts. Close the iterator (or exhaust it) to remove the temporary directory.
    """
    _check_strand(strand)
    sizes = as_chrom_sizes(chrom_sizes)
    bams = _checked_bams(bams, sizes)
    return _merged_counts(bams, sizes, strand, tmp_dir, read_filter)


def _checked_bams(
    bams: str | os.PathLike | Sequence[str | os.PathLike], sizes: dict[str, int]
) -> list[Path]:
    """The BAMs as a list of Paths, each checked for an index and matching chromosomes."""
    bams = _as_path_list(bams, "bams")
    for bam in bams:  # checked now, not when the first chromosome is asked for
        check_bam_index(bam)
        check_bam_chroms(bam, sizes)
    return bams


def _merged_counts(
    bams: list[Path],
    sizes: dict[str, int],
    strand: str | None,
    tmp_dir,
    read_filter: ReadFilter | None,
) -> Iterator[Intervals]:
    """The generator behind :func:`merged_five_prime_counts` (arguments checked)."""
    with _spilled_counts(bams, sizes, (strand,), tmp_dir, read_filter) as spill_dir:
        yield from _sum_spilled(spill_dir, len(bams), sizes, strand)


_STRAND_TAGS = {"+": "pos", "-": "neg", None: "both"}


@contextlib.contextmanager
def _spilled_counts(
    bams: Sequence[Path],
    sizes: dict[str, int],
    strands: Sequence[str | None],
    tmp_dir: str | os.PathLike | None,
    read_filter: ReadFilter | None,
) -> Iterator[Path]:
    """Count the 5′ ends of every BAM on each of ``strands``; yield the directory of counts.

    A temporary directory under ``tmp_dir`` (removed on exit). Each BAM is filtered once (if
    ``read_filter``; its counts logged) into it, counted on every strand (one bedGraph at a
    time, spilled to per-chromosome files ``bam<i>.<strand tag>.*``, read back by
    :func:`_sum_spilled`), then its filtered copy is removed.
    """
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="attrprior-5prime-") as spill:
        spill_dir = Path(spill)
        for i, bam in enumerate(bams):
            with _filtered_bam(bam, read_filter, spill_dir) as source:
                for strand in strands:
                    bedgraph = spill_dir / f"bam{i}.bedGraph"
                    _genomecov(source, strand, bedgraph)
                    _spill_bedgraph(bedgraph, spill_dir, f"bam{i}.{_STRAND_TAGS[strand]}", sizes)
                    bedgraph.unlink()
        yield spill_dir


def _sum_spilled(
    spill_dir: Path, n_bams: int, sizes: dict[str, int], strand: str | None
) -> Iterator[Intervals]:
    """Per chromosome in order, the sum over BAMs of one strand's spilled counts."""
    tag = _STRAND_TAGS[strand]
    for index, (chrom, length) in enumerate(sizes.items()):
        tracks = [_read_spilled(spill_dir, f"bam{i}.{tag}", index) for i in range(n_bams)]
        starts, ends, values = sum_intervals([t for t in tracks if t is not None])
        if len(ends) and ends[-1] > length:
            raise ValueError(f"bedtools reported counts past the end of {chrom} ({length})")
        yield chrom, starts, ends, values


def _as_path_list(paths: str | os.PathLike | Iterable[str | os.PathLike], name: str) -> list[Path]:
    """A path or a sequence of paths as a non-empty list of Paths."""
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    result = [Path(p) for p in paths]
    if not result:
        raise ValueError(f"{name}: no files given")
    return result
