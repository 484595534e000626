"""Binary labels from peaks: Tseng et al.'s genome-wide bins.

Tseng et al. (2020) binary tasks
--------------------------------
The genome is tiled with ``bin_size`` bins at ``stride``: on a chromosome of length ``L``,
bin ``i`` is ``[i * stride, i * stride + bin_size)`` for ``i = 0 .. (L - bin_size) // stride``
(every bin that fits). Each bin is the centre of a window ``[bin start - flank, bin end +
flank)`` (1000 bp with the defaults 200 / 50 / 400). Windows are dropped, and counted, when

- they run off either end of the chromosome (window start < 0 or window end > ``L``), or
- the *whole window* overlaps a blacklist region by at least 1 bp (checked only for windows
  still on the chromosome, so every bin is counted once).

Per task ``t`` and kept window, the label is

- ``1`` (positive) when the central bin overlaps the union of the task's optimal peaks by at
  least ``min_overlap * bin_size`` bp (100 bp with the defaults);
- ``-1`` (ambiguous, left out of training) when it is not positive and the central bin
  overlaps one of the task's relaxed peaks by at least 1 bp;
- ``0`` (negative) otherwise.

Interval unions come from ``bedtools merge`` (:func:`attrprior.genomics.peaks.merge_intervals`). The
bins form a regular grid, so the overlap of every (interval, bin) pair is computed in closed
form and summed per bin with :func:`numpy.bincount`; nothing loops over bins in Python, and
only one chromosome's bins are in memory at a time.

Koo-style 200-bp regions (Majdandzic et al. 2023) are in
:mod:`attrprior.genomics.koo_regions`; agreement of labels with a simulated genome's truth in
:mod:`attrprior.genomics.label_agreement`.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.genomics.chroms import parse_split_region
from attrprior.genomics.peaks import (
    merge_intervals,
    read_bed,
    read_chrom_sizes,
    read_narrowpeak,
    validate_intervals,
)
from attrprior.io import atomic_path

log = logging.getLogger(__name__)


PeakInput = pd.DataFrame | str | os.PathLike


ChromSizesInput = Mapping[str, int] | pd.Series | str | os.PathLike


#: Keys of the labels ``.npz`` file.
NPZ_KEYS = (
    "chrom_names",
    "chrom_lengths",
    "chrom",
    "start",
    "labels",
    "tasks",
    "bin_size",
    "stride",
    "flank",
    "min_overlap",
)


_SUMMARY_COUNTS = ("bins", "windows", "dropped_off_end", "dropped_blacklist")


# Rows per block when copying spilled per-chromosome arrays into the output file.
_COPY_BLOCK = 1 << 22


# Positions within a chromosome stay below this in the (chromosome, position) sort keys.
_CHROM_KEY = np.int64(1) << np.int64(40)


@dataclass(frozen=True, eq=False)
class ChromosomeLabels:
    """Labels of the kept windows of one chromosome.

    Attributes
    ----------
    chrom : str
        Chromosome name.
    length : int
        Chromosome length in bp.
    start : numpy.ndarray of int64, shape (W,)
        Window starts (bin start - flank), ascending.
    labels : numpy.ndarray of int8, shape (W, T)
        Windows x tasks: 1 positive, 0 negative, -1 ambiguous.
    tasks : tuple of str, length T
        Task names.
    counts : dict of str to int
        ``bins``, ``windows`` (kept), ``dropped_off_end``, ``dropped_blacklist``, and per task
        ``positive_<task>`` and ``ambiguous_<task>`` (among kept windows).
    """

    chrom: str
    length: int
    start: np.ndarray
    labels: np.ndarray
    tasks: tuple[str, ...]
    counts: dict[str, int]


@dataclass(frozen=True, eq=False)
class BinaryLabels:
    """Genome-wide binary labels as stored by :func:`write_binary_labels`.

    Attributes
    ----------
    chrom_names : numpy.ndarray of str, shape (C,)
        Chromosome names; ``chrom`` indexes into them.
    chrom : numpy.ndarray of int16, shape (W,)
        Chromosome index of each window.
    start : numpy.ndarray of int64, shape (W,)
        Window start (0-based); the central bin starts at ``start + flank``.
    labels : numpy.ndarray of int8, shape (W, T)
        Windows x tasks: 1 positive, 0 negative, -1 ambiguous.
    tasks : numpy.ndarray of str, shape (T,)
        Task names.
    bin_size, stride, flank : int
        Tiling parameters; windows are ``bin_size + 2 * flank`` bp.
    """

    chrom_names: np.ndarray
    chrom: np.ndarray
    start: np.ndarray
    labels: np.ndarray
    tasks: np.ndarray
    bin_size: int
    stride: int
    flank: int

    @property
    def window_length(self) -> int:
        """Length of each window in bp, ``bin_size + 2 * flank``."""
        return self.bin_size + 2 * self.flank

    def split_mask(self, split_chroms: Iterable[str]) -> np.ndarray:
        """Windows of a held-out split: on the given chromosomes, or centred in the given
        regions (:func:`attrprior.genomics.chroms.parse_split_region`).

        Parameters
        ----------
        split_chroms : iterable of str
            Chromosome names or regions, for example ``["chr1"]`` for the test split, or
            ``["chr22:16000000-18000000"]`` where a genome has too few chromosomes.

        Returns
        -------
        numpy.ndarray of bool, shape (W,)

        Raises
        ------
        ValueError
            A chromosome that is not among ``chrom_names``.
        """
        regions = [parse_split_region(entry) for entry in split_chroms]
        names = list(self.chrom_names)
        unknown = [chrom for chrom, _, _ in regions if chrom not in names]
        if unknown:
            raise ValueError(f"split chromosomes {unknown} are not in the labels ({names})")
        mask = np.zeros(len(self.chrom), dtype=bool)
        half = self.window_length // 2
        for chrom, start, end in regions:
            rows = np.flatnonzero(self.chrom == names.index(chrom))
            if end is not None:  # starts ascend within a chromosome: W can be 10^7 or more
                first, last = np.searchsorted(self.start[rows], [start - half, end - half])
                rows = rows[first:last]
            mask[rows] = True
        return mask


def region_mask(
    chroms: Sequence[str] | np.ndarray,
    positions: Sequence[int] | np.ndarray,
    regions: Iterable[tuple[str, int, int | None]],
) -> np.ndarray:
    """Which positions lie in any of ``regions`` (e.g. summits in held-out regions).

    Parameters
    ----------
    chroms : array-like of str, shape (N,)
        Chromosome of each position.
    positions : array-like of int, shape (N,)
        0-based positions.
    regions : iterable of (chrom, start, end)
        As :func:`attrprior.genomics.chroms.parse_split_region` returns them (``end`` None: the
        whole
        chromosome).

    Returns
    -------
    numpy.ndarray of bool, shape (N,)
    """
    chroms, positions = np.asarray(chroms).astype(str), np.asarray(positions)
    mask = np.zeros(len(chroms), dtype=bool)
    for chrom, start, end in regions:
        inside = (chroms == chrom) & (positions >= start)
        if end is not None:
            inside &= positions < end
        mask |= inside
    return mask


def binary_labels(
    chrom_sizes: ChromSizesInput,
    optimal: Sequence[PeakInput],
    relaxed: Sequence[PeakInput | None] | None = None,
    blacklist: PeakInput | None = None,
    *,
    bin_size: int = 200,
    stride: int = 50,
    flank: int = 400,
    min_overlap: float = 0.5,
    chroms: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
) -> dict[str, ChromosomeLabels]:
    """Label every window of the genome for each task (see the module docstring for the rules).

    Parameters
    ----------
    chrom_sizes : mapping of str to int, or path-like
        Chromosome lengths, or a chrom sizes / ``.fai`` file (:func:`read_chrom_sizes`).
    optimal : sequence of DataFrame or path-like, length T
        Per task, the optimal (IDR thresholded) peaks: a table with ``chrom``, ``start``,
        ``end`` or a narrowPeak file.
    relaxed : sequence of DataFrame, path-like or None, length T, optional
        Per task, the relaxed peaks whose bins are ambiguous (for example
        :func:`attrprior.genomics.peaks.relaxed_peaks`), or None for a task without any. Files are
        read as narrowPeak and used whole.
    blacklist : DataFrame or path-like, optional
        Regions to exclude (a BED file or a table).
    bin_size, stride, flank : int
        Central bin length, step between bins and flank on each side, in bp.
    min_overlap : float
        Fraction of the central bin an optimal peak must cover for a positive, in (0, 1].
    chroms : sequence of str, optional
        Chromosomes to label, in this order; default all of ``chrom_sizes`` in its order.
        Peaks on other chromosomes are ignored.
    tasks : sequence of str, optional
        Task names; default the optimal files' names without ``.gz`` / ``.narrowPeak`` /
        ``.bed``, or ``task0``, ``task1``, ... for tables.

    Returns
    -------
    dict of str to ChromosomeLabels
        Per chromosome, in order. For the whole genome prefer :func:`write_binary_labels`,
        which keeps one chromosome in memory at a time.
    """
    results = _iter_binary_labels(
        chrom_sizes,
        optimal,
        relaxed,
        blacklist,
        bin_size=bin_size,
        stride=stride,
        flank=flank,
        min_overlap=min_overlap,
        chroms=chroms,
        tasks=tasks,
    )
    return {result.chrom: result for result in results}


def write_binary_labels(
    path: str | os.PathLike,
    chrom_sizes: ChromSizesInput,
    optimal: Sequence[PeakInput],
    relaxed: Sequence[PeakInput | None] | None = None,
    blacklist: PeakInput | None = None,
    *,
    bin_size: int = 200,
    stride: int = 50,
    flank: int = 400,
    min_overlap: float = 0.5,
    chroms: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Label the genome chromosome by chromosome and save one ``.npz`` file, atomically.

    Each chromosome's labels are spilled to a temporary directory beside ``path`` as soon as
    they are computed and then copied block-wise into the output, so memory stays bounded by
    the largest chromosome (about 5 M bins for human chr1), not the genome (about 62 M).

    Parameters
    ----------
    path : path-like
        Output ``.npz`` file (uncompressed, as :func:`numpy.savez`). Its arrays:

        - ``chrom_names`` (C,) str; ``chrom_lengths`` (C,) int64;
        - ``chrom`` (W,) int16, index into ``chrom_names``;
        - ``start`` (W,) int64, window start (central bin start - flank);
        - ``labels`` (W, T) int8, windows x tasks, 1 / 0 / -1 (positive / negative /
          ambiguous);
        - ``tasks`` (T,) str;
        - 0-d ``bin_size``, ``stride``, ``flank`` (int64) and ``min_overlap`` (float64).

        Windows are ordered by chromosome (as listed) and start.
    chrom_sizes, optimal, relaxed, blacklist, bin_size, stride, flank, min_overlap, chroms
        As for :func:`binary_labels`.
    tasks : sequence of str, optional
        As for :func:`binary_labels`.

    Returns
    -------
    pandas.DataFrame
        One row per chromosome: ``chrom``, ``length``, ``bins``, ``windows`` (kept),
        ``dropped_off_end``, ``dropped_blacklist``, then ``positive_<task>`` and
        ``ambiguous_<task>`` per task.
    """
    results = _iter_binary_labels(
        chrom_sizes,
        optimal,
        relaxed,
        blacklist,
        bin_size=bin_size,
        stride=stride,
        flank=flank,
        min_overlap=min_overlap,
        chroms=chroms,
        tasks=tasks,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    parts: list[tuple[int, int, Path, Path]] = []
    chrom_names: list[str] = []
    chrom_lengths: list[int] = []
    task_names: tuple[str, ...] = ()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.spill-") as spill:
        for i, result in enumerate(results):
            start_file = Path(spill) / f"{i}.start.npy"
            labels_file = Path(spill) / f"{i}.labels.npy"
            np.save(start_file, result.start)
            np.save(labels_file, result.labels)
            parts.append((i, len(result.start), start_file, labels_file))
            rows.append({"chrom": result.chrom, "length": result.length, **result.counts})
            chrom_names.append(result.chrom)
            chrom_lengths.append(result.length)
            task_names = result.tasks
            log.info("labelled %s: %d windows kept", result.chrom, len(result.start))
        small = {
            "chrom_names": np.array(chrom_names, dtype=np.str_),
            "chrom_lengths": np.array(chrom_lengths, dtype=np.int64),
            "tasks": np.array(task_names, dtype=np.str_),
            "bin_size": np.int64(bin_size),
            "stride": np.int64(stride),
            "flank": np.int64(flank),
            "min_overlap": np.float64(min_overlap),
        }
        streamed = {
            "chrom": [_chrom_block(i, n) for i, n, _, _ in parts],
            "start": [_loader(s) for _, _, s, _ in parts],
            "labels": [_loader(lab) for _, _, _, lab in parts],
        }
        with atomic_path(path, suffix=".npz") as tmp:
            _write_npz_streamed(tmp, small, streamed)
    return pd.DataFrame(rows)


def load_binary_labels(path: str | os.PathLike) -> BinaryLabels:
    """Load labels written by :func:`write_binary_labels`.

    Parameters
    ----------
    path : path-like
        The ``.npz`` file.

    Returns
    -------
    BinaryLabels
        All arrays loaded into memory (about 11 + T bytes per window).

    Raises
    ------
    ValueError
        A missing array or inconsistent shapes; the message names the file.
    """
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in NPZ_KEYS if k not in data.files]
        if missing:
            raise ValueError(f"{path}: not a binary labels file, missing arrays {missing}")
        arrays = {k: data[k] for k in NPZ_KEYS}
    n_windows = arrays["chrom"].shape[0]
    labels = arrays["labels"]
    if arrays["start"].shape != (n_windows,) or labels.ndim != 2 or len(labels) != n_windows:
        raise ValueError(
            f"{path}: inconsistent shapes: chrom {arrays['chrom'].shape}, start "
            f"{arrays['start'].shape}, labels {labels.shape}"
        )
    if labels.shape[1] != len(arrays["tasks"]):
        raise ValueError(
            f"{path}: labels has {labels.shape[1]} task columns but {len(arrays['tasks'])} "
            "task names"
        )
    if n_windows and not 0 <= arrays["chrom"].min() <= arrays["chrom"].max() < len(
        arrays["chrom_names"]
    ):
        raise ValueError(f"{path}: chromosome indices outside chrom_names")
    return BinaryLabels(
        chrom_names=arrays["chrom_names"],
        chrom=arrays["chrom"],
        start=arrays["start"],
        labels=labels,
        tasks=arrays["tasks"],
        bin_size=int(arrays["bin_size"]),
        stride=int(arrays["stride"]),
        flank=int(arrays["flank"]),
    )


def _iter_binary_labels(
    chrom_sizes: ChromSizesInput,
    optimal: Sequence[PeakInput],
    relaxed: Sequence[PeakInput | None] | None,
    blacklist: PeakInput | None,
    *,
    bin_size: int,
    stride: int,
    flank: int,
    min_overlap: float,
    chroms: Sequence[str] | None,
    tasks: Sequence[str] | None,
) -> Iterator[ChromosomeLabels]:
    """Read and merge the inputs once, then label one chromosome at a time."""
    _check_tiling(bin_size, stride, flank, min_overlap)
    sizes = _as_chrom_sizes(chrom_sizes)
    chrom_list = _select_chroms(sizes, chroms)
    task_names = _task_names(optimal, tasks)
    if relaxed is None:
        relaxed = [None] * len(optimal)
    if len(relaxed) != len(optimal):
        raise ValueError(f"relaxed has {len(relaxed)} entries for {len(optimal)} optimal sets")
    optimal_merged = [
        _merged_by_chrom(_as_peaks(p, sizes, f"optimal peaks of task {name!r}"))
        for p, name in zip(optimal, task_names, strict=True)
    ]
    relaxed_merged = [
        {} if p is None else _merged_by_chrom(_as_peaks(p, sizes, f"relaxed peaks of {name!r}"))
        for p, name in zip(relaxed, task_names, strict=True)
    ]
    black = {}
    if blacklist is not None:
        black = _merged_by_chrom(
            _as_peaks(blacklist, sizes, "blacklist", narrowpeak=False, allow_empty=True)
        )
    threshold = min_overlap * bin_size
    for chrom in chrom_list:
        yield _label_chromosome(
            chrom,
            sizes[chrom],
            [m.get(chrom, _NO_INTERVALS) for m in optimal_merged],
            [m.get(chrom, _NO_INTERVALS) for m in relaxed_merged],
            black.get(chrom, _NO_INTERVALS),
            task_names,
            bin_size,
            stride,
            flank,
            threshold,
        )


_NO_INTERVALS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def _label_chromosome(
    chrom: str,
    length: int,
    optimal: list[tuple[np.ndarray, np.ndarray]],
    relaxed: list[tuple[np.ndarray, np.ndarray]],
    blacklist: tuple[np.ndarray, np.ndarray],
    tasks: tuple[str, ...],
    bin_size: int,
    stride: int,
    flank: int,
    threshold: float,
) -> ChromosomeLabels:
    """Labels of one chromosome from its merged (disjoint, sorted) intervals per task."""
    n_bins = max(0, (length - bin_size) // stride + 1)
    bin_start = np.arange(n_bins, dtype=np.int64) * stride
    on_chrom = (bin_start - flank >= 0) & (bin_start + bin_size + flank <= length)
    # A window [b - flank, b + bin_size + flank) meets [s, e) iff the bin meets [s - flank,
    # e + flank).
    near_black = _bins_touched(blacklist[0] - flank, blacklist[1] + flank, n_bins, bin_size, stride)
    blacklisted = on_chrom & near_black
    keep = on_chrom & ~near_black
    labels = np.zeros((int(keep.sum()), len(tasks)), dtype=np.int8)
    counts = {
        "bins": n_bins,
        "windows": len(labels),
        "dropped_off_end": int(n_bins - on_chrom.sum()),
        "dropped_blacklist": int(blacklisted.sum()),
    }
    for t, name in enumerate(tasks):
        covered = _bin_overlap_bp(*optimal[t], n_bins, bin_size, stride)[keep]
        touched = _bins_touched(*relaxed[t], n_bins, bin_size, stride)[keep]
        positive = covered >= threshold
        ambiguous = ~positive & touched
        labels[positive, t] = 1
        labels[ambiguous, t] = -1
        counts[f"positive_{name}"] = int(positive.sum())
        counts[f"ambiguous_{name}"] = int(ambiguous.sum())
    return ChromosomeLabels(chrom, length, bin_start[keep] - flank, labels, tasks, counts)


def _bin_span(
    starts: np.ndarray, ends: np.ndarray, n_bins: int, bin_size: int, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last bin index overlapping each interval (last < first: none).

    Bin ``i`` = ``[i * stride, i * stride + bin_size)`` meets ``[s, e)`` iff
    ``i * stride < e`` and ``i * stride + bin_size > s``.
    """
    first = np.maximum((starts - bin_size) // stride + 1, 0)
    last = np.minimum((ends - 1) // stride, n_bins - 1)
    return first, last


def _bin_overlap_bp(
    starts: np.ndarray, ends: np.ndarray, n_bins: int, bin_size: int, stride: int
) -> np.ndarray:
    """Base pairs of each bin covered by disjoint intervals, shape (n_bins,), int64.

    Every (interval, bin) pair that overlaps is enumerated with ``np.repeat`` (about
    ``(length + bin_size) / stride`` pairs per interval) and summed with ``np.bincount``.
    """
    first, last = _bin_span(starts, ends, n_bins, bin_size, stride)
    n_pairs = np.maximum(last - first + 1, 0)
    if n_bins == 0 or n_pairs.sum() == 0:
        return np.zeros(n_bins, dtype=np.int64)
    offsets = np.cumsum(n_pairs) - n_pairs
    step = np.arange(n_pairs.sum(), dtype=np.int64) - np.repeat(offsets, n_pairs)
    index = np.repeat(first, n_pairs) + step
    lo = np.maximum(np.repeat(starts, n_pairs), index * stride)
    hi = np.minimum(np.repeat(ends, n_pairs), index * stride + bin_size)
    covered = np.bincount(index, weights=hi - lo, minlength=n_bins)
    return np.rint(covered).astype(np.int64)


def _bins_touched(
    starts: np.ndarray, ends: np.ndarray, n_bins: int, bin_size: int, stride: int
) -> np.ndarray:
    """Whether each bin overlaps any interval by >= 1 bp, shape (n_bins,), bool.

    Intervals may overlap one another; a difference array counts them per bin.
    """
    first, last = _bin_span(starts, ends, n_bins, bin_size, stride)
    some = last >= first
    opened = np.bincount(first[some], minlength=n_bins + 1)
    closed = np.bincount(last[some] + 1, minlength=n_bins + 1)
    return np.cumsum(opened - closed)[:n_bins] > 0


def central_bin_coverage(
    labels: BinaryLabels, windows: np.ndarray, peaks: pd.DataFrame
) -> np.ndarray:
    """Base pairs of each window's central bin covered by the union of ``peaks``.

    The overlap :func:`binary_labels` compares with ``min_overlap * bin_size``, for other
    peaks (e.g. the strongest of a task's, :func:`attrprior.genomics.sampling.retained_positives`).

    Parameters
    ----------
    labels : BinaryLabels
    windows : numpy.ndarray of int, shape (n,)
        Window indices.
    peaks : pandas.DataFrame
        ``chrom``, ``start``, ``end`` (0-based, half-open; may overlap).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    windows = np.asarray(windows, dtype=np.int64)
    coverage = np.zeros(len(windows), dtype=np.int64)
    if not len(windows) or not len(peaks):
        return coverage
    chroms = labels.chrom_names[labels.chrom[windows]]
    # Window w's central bin is bin (start + flank) / stride of its chromosome's tiling.
    bins = (labels.start[windows] + labels.flank) // labels.stride
    for chrom, (starts, ends) in _merged_by_chrom(peaks).items():
        on_chrom = chroms == chrom
        if on_chrom.any():
            n_bins = int(bins[on_chrom].max()) + 1
            covered = _bin_overlap_bp(starts, ends, n_bins, labels.bin_size, labels.stride)
            coverage[on_chrom] = covered[bins[on_chrom]]
    return coverage


def _merged_by_chrom(intervals: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Union of the intervals (``bedtools merge``) as per-chromosome start / end arrays."""
    merged = merge_intervals(intervals)
    return {
        str(chrom): (group["start"].to_numpy(np.int64), group["end"].to_numpy(np.int64))
        for chrom, group in merged.groupby("chrom", sort=False)
    }


def _check_tiling(bin_size: int, stride: int, flank: int, min_overlap: float) -> None:
    for name, value, low in (("bin_size", bin_size, 1), ("stride", stride, 1), ("flank", flank, 0)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0 < min_overlap <= 1:
        raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap!r}")


def _select_chroms(sizes: Mapping[str, int], chroms: Sequence[str] | None) -> list[str]:
    chrom_list = list(sizes) if chroms is None else list(chroms)
    if not chrom_list:
        raise ValueError("no chromosomes to label")
    unknown = [c for c in chrom_list if c not in sizes]
    if unknown:
        raise ValueError(f"chroms {unknown} are absent from the chrom sizes")
    if len(set(chrom_list)) != len(chrom_list):
        raise ValueError("chroms lists a chromosome twice")
    if len(chrom_list) > np.iinfo(np.int16).max:
        raise ValueError(f"{len(chrom_list)} chromosomes do not fit the int16 chromosome index")
    return chrom_list


def _task_names(optimal: Sequence[PeakInput], tasks: Sequence[str] | None) -> tuple[str, ...]:
    if len(optimal) == 0:
        raise ValueError("optimal: at least one task's peaks are needed")
    if tasks is None:
        tasks = [
            f"task{t}" if isinstance(p, pd.DataFrame) else _file_stem(p)
            for t, p in enumerate(optimal)
        ]
    tasks = tuple(str(t) for t in tasks)
    if len(tasks) != len(optimal):
        raise ValueError(f"tasks has {len(tasks)} names for {len(optimal)} optimal peak sets")
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"task names must be unique, got {list(tasks)}; pass tasks=")
    return tasks


def _file_stem(path: str | os.PathLike) -> str:
    name = Path(path).name
    for suffix in (".gz", ".narrowPeak", ".bed"):
        name = name.removesuffix(suffix)
    return name


def _as_chrom_sizes(chrom_sizes: ChromSizesInput) -> dict[str, int]:
    if isinstance(chrom_sizes, Mapping | pd.Series):
        return {str(k): int(v) for k, v in chrom_sizes.items()}
    return read_chrom_sizes(chrom_sizes)


def _as_peaks(
    peaks: PeakInput,
    sizes: Mapping[str, int],
    source: str,
    narrowpeak: bool = True,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """A validated interval table from a table or a narrowPeak / BED file."""
    if isinstance(peaks, pd.DataFrame):
        return validate_intervals(peaks, sizes, source=source, allow_empty=allow_empty)
    if narrowpeak:
        return read_narrowpeak(peaks, sizes)
    return read_bed(peaks, sizes, allow_empty=allow_empty)


def _chrom_block(index: int, n: int) -> Callable[[], np.ndarray]:
    return lambda: np.full(n, index, dtype=np.int16)


def _loader(path: Path) -> Callable[[], np.ndarray]:
    return lambda: np.load(path, mmap_mode="r")


def _write_npz_streamed(
    path: Path,
    arrays: Mapping[str, np.ndarray],
    streamed: Mapping[str, list[Callable[[], np.ndarray]]],
) -> None:
    """Write an ``.npz`` (uncompressed zip of ``.npy``) whose large arrays arrive in parts.

    ``streamed[name]`` lists callables returning the parts in order; they are concatenated
    along axis 0 without holding more than one part (copied in blocks) in memory.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(array), allow_pickle=False)
        for name, parts in streamed.items():
            shapes, dtypes = [], set()
            for part in parts:
                values = part()
                shapes.append(values.shape)
                dtypes.add(values.dtype)
            if len(dtypes) != 1 or len({s[1:] for s in shapes}) != 1:
                raise ValueError(f"{name}: parts differ in dtype or trailing shape")
            header = {
                "descr": np.lib.format.dtype_to_descr(dtypes.pop()),
                "fortran_order": False,
                "shape": (sum(s[0] for s in shapes), *shapes[0][1:]),
            }
            with archive.open(f"{name}.npy", "w", force_zip64=True) as handle:
                np.lib.format.write_array_header_2_0(handle, header)
                for part in parts:
                    values = part()
                    for lo in range(0, len(values), _COPY_BLOCK):
                        handle.write(np.ascontiguousarray(values[lo : lo + _COPY_BLOCK]).tobytes())
