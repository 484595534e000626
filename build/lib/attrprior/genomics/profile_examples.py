"""Summit-centred examples of profile models, with a pool of random genomic windows.

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

Reading stored examples back is :mod:`attrprior.genomics.stored_profiles`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.genomics.bigwig import check_bigwig_chroms, open_bigwig, read_bigwig_values
from attrprior.genomics.genome import GenomeArray, NpyWriter
from attrprior.genomics.stored_profiles import (
    _EXAMPLES_FORMAT,
    CONTROL_FILE,
    METADATA_FILE,
    PROFILES_FILE,
    RANDOM_WINDOW_TASK,
    SEQUENCE_FILE,
    ProfileExamples,
)
from attrprior.io import atomic_path

# Version 2 added the random-window pool (``is_peak``); version-1 files hold peaks only.
_EXAMPLES_VERSION = 2


SUMMIT_COLUMNS = ("chrom", "summit", "task", "split")


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
        strongest; :func:`attrprior.genomics.sampling.signal_ranks`), needed to train on the
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


#: The summary's task name for the random windows (task names cannot hold parentheses).
RANDOM_TASK_NAME = "(random windows)"


@dataclass(frozen=True)
class HeldOut:
    """Held-out splits of a genomic dataset, as profile examples need them.

    Attributes
    ----------
    regions : dict of str to list of (chrom, start, end)
        Per held-out split (``valid``, ``test``), its whole chromosomes (``(chrom, 0, None)``) and
        regions (``chrom:start-end`` of chromosomes that also train).
    train_chroms : list of str
        Chromosomes random windows may come from: every chromosome not held out whole.
    """

    regions: dict[str, list[tuple[str, int | None, int | None]]]
    train_chroms: list[str]

    @classmethod
    def from_config(cls, splits: dict[str, Sequence[str]], chroms: Sequence[str]) -> HeldOut:
        """From the config's ``splits`` (entries ``chrom`` or ``chrom:start-end``) and the
        genome's chromosomes in order."""
        from attrprior.genomics.chroms import parse_split_region

        regions = {
            split: [parse_split_region(entry) for entry in entries]
            for split, entries in splits.items()
        }
        whole = {chrom for held in regions.values() for chrom, _, end in held if end is None}
        return cls(regions, [chrom for chrom in chroms if chrom not in whole])

    @property
    def partial_regions(self) -> list[tuple[str, int, int]]:
        """The held-out regions of chromosomes that also train (random windows avoid them)."""
        return [
            (chrom, start, end)
            for held in self.regions.values()
            for chrom, start, end in held
            if end is not None
        ]


def task_summits(
    peak_files: Sequence[str | os.PathLike], genome: GenomeArray, held_out: HeldOut
) -> tuple[pd.DataFrame, list[int], int]:
    """The summits of every task's peaks, with their split and signal rank.

    Parameters
    ----------
    peak_files : sequence of path
        One narrowPeak file per task, in task order.
    genome : GenomeArray
        Summits on chromosomes it leaves out are dropped (and counted).
    held_out : HeldOut

    Returns
    -------
    summits : pandas.DataFrame
        ``chrom``, ``summit``, ``task``, ``peak_rank`` (signal rank over the task's whole
        peak file, rank 1 the strongest: for ``keep_positives``) and ``split``.
    task_peak_counts : list of int
        Peaks per task file (before any summit is dropped).
    n_other_chroms : int
        Summits dropped for lying on chromosomes outside the genome array.
    """
    from attrprior.genomics.labels import region_mask
    from attrprior.genomics.peaks import read_narrowpeak, summit_positions
    from attrprior.genomics.sampling import signal_ranks

    tables, task_peak_counts = [], []
    for index, path in enumerate(peak_files):
        peaks = read_narrowpeak(path)
        tables.append(
            pd.DataFrame(
                {
                    "chrom": peaks["chrom"],
                    "summit": summit_positions(peaks),
                    "task": index,
                    "peak_rank": signal_ranks(peaks["signal"]),
                }
            )
        )
        task_peak_counts.append(len(peaks))
    summits = pd.concat(tables, ignore_index=True)
    in_genome = summits["chrom"].isin(list(genome.chrom_sizes))
    n_other_chroms = int((~in_genome).sum())
    summits = summits[in_genome].reset_index(drop=True)
    summits["split"] = "train"
    for split, regions in held_out.regions.items():
        summits.loc[region_mask(summits["chrom"], summits["summit"], regions), "split"] = split
    return summits, task_peak_counts, n_other_chroms


def examples_summary(
    examples: ProfileExamples, task_names: Sequence[str], n_other_chroms: int
) -> pd.DataFrame:
    """Examples kept per task and split, the random windows, and the summits dropped.

    Columns ``kind`` (``peak``, ``random_window``), ``task``, ``split``, ``examples``,
    ``dropped_off_end_all_tasks``, ``dropped_other_chroms_all_tasks``.
    """
    peaks = examples.is_peak
    kept = (
        pd.DataFrame(
            {"task": np.array(task_names)[examples.task[peaks]], "split": examples.split[peaks]}
        )
        .value_counts()
        .rename("examples")
        .reset_index()
        .sort_values(["task", "split"])
        .assign(kind="peak")
    )
    if examples.n_random:
        random_windows = pd.DataFrame(
            {
                "task": [RANDOM_TASK_NAME],
                "split": ["train"],
                "examples": [examples.n_random],
                "kind": ["random_window"],
            }
        )
        kept = pd.concat([kept, random_windows], ignore_index=True)
    kept["dropped_off_end_all_tasks"] = examples.n_dropped
    kept["dropped_other_chroms_all_tasks"] = n_other_chroms
    columns = ["kind", "task", "split", "examples"]
    return kept[[*columns, "dropped_off_end_all_tasks", "dropped_other_chroms_all_tasks"]]


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
