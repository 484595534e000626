"""The storage format of profile examples (its files and version) and the examples as stored
by :func:`attrprior.genomics.profile_examples.build_profile_examples`,
read back: :class:`ProfileExamples` takes windows (jittered, reverse-complemented) of the
stored sequences and profiles and gives :class:`ProfileBatch` es.

Sequences are one-hot ``(N, 4, L)``; profiles ``(N, T, S, L_out)``: examples, tasks,
strands, positions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attrprior.sequences import codes_to_one_hot, reverse_complement_codes

_EXAMPLES_FORMAT = "attrprior-profile-examples"


_READABLE_EXAMPLES_VERSIONS = (1, 2)


#: ``task`` of the random genomic windows in a profile-examples directory.
RANDOM_WINDOW_TASK = -1


SEQUENCE_FILE = "sequence_codes.npy"


PROFILES_FILE = "profiles.npy"


CONTROL_FILE = "control.npy"


METADATA_FILE = "metadata.npz"


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
