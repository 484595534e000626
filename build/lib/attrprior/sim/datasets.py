"""Simulated sequence datasets with known ground truth: the dataset, its splits, its
storage as one compressed ``.npz`` file (:func:`save_dataset`, :func:`load_dataset`).

Every array of sequences or probabilities is ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from attrprior.io import atomic_path, read_npz
from attrprior.sequences import ALPHABET

#: Tolerance of a sum of fractions that must be 1.
FRACTION_TOLERANCE = 1e-6


#: Default train / validation / test fractions.
DEFAULT_SPLIT_FRACTIONS = MappingProxyType({"train": 0.7, "valid": 0.1, "test": 0.2})


SPLIT_NAMES = ("train", "valid", "test")


PLACEMENT_COLUMNS = ("sequence", "matrix_id", "name", "strand", "start", "end", "core")


MOTIF_POOL_COLUMNS = ("matrix_id", "name", "pool", "width")


_INT_COLUMNS = ("sequence", "start", "end", "width")


_BOOL_COLUMNS = ("core",)


@dataclass
class SimulatedDataset:
    """A simulated dataset with its ground truth.

    Attributes
    ----------
    x : numpy.ndarray, shape (N, 4, L), float32
        One-hot sequences (rows A, C, G, T).
    y : numpy.ndarray, shape (N, 1), float32
        Labels, 1 for positives and 0 for negatives.
    truth : numpy.ndarray, shape (N, 4, L), float32
        The probability matrix each sequence was sampled from: the background probabilities
        outside motifs, the planted (possibly reverse-complemented) PWM inside them.
    split : numpy.ndarray, shape (N,), str
        ``"train"``, ``"valid"`` or ``"test"``.
    placements : pandas.DataFrame
        One row per planted motif, columns ``sequence`` (row index into ``x``), ``matrix_id``,
        ``name``, ``strand`` (``"+"``/``"-"``), ``start`` (0-based), ``end`` (exclusive) and
        ``core`` (True if drawn from the core pool).
    motif_pool : pandas.DataFrame
        The motifs the generator could draw from, columns ``matrix_id``, ``name``, ``pool``
        (``"core"`` or ``"background"``) and ``width``.
    """

    x: np.ndarray
    y: np.ndarray
    truth: np.ndarray
    split: np.ndarray
    placements: pd.DataFrame
    motif_pool: pd.DataFrame

    def __post_init__(self) -> None:
        n = len(self.x)
        if self.x.ndim != 3 or self.x.shape[1] != len(ALPHABET):
            raise ValueError(f"x: expected shape (N, 4, L), got {self.x.shape}")
        if self.truth.shape != self.x.shape:
            raise ValueError(f"truth: expected shape {self.x.shape}, got {self.truth.shape}")
        if self.y.shape != (n, 1):
            raise ValueError(f"y: expected shape ({n}, 1), got {self.y.shape}")
        if self.split.shape != (n,):
            raise ValueError(f"split: expected shape ({n},), got {self.split.shape}")
        for name, table, columns in (
            ("placements", self.placements, PLACEMENT_COLUMNS),
            ("motif_pool", self.motif_pool, MOTIF_POOL_COLUMNS),
        ):
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise ValueError(f"{name}: missing columns {missing}")


def split_arrays(
    x: np.ndarray, y: np.ndarray, split: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Sequences and labels of each split.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, 4, L)
        One-hot sequences.
    y : numpy.ndarray, shape (N, T)
        Labels.
    split : numpy.ndarray, shape (N,), str
        Each row's split.

    Returns
    -------
    dict
        ``"train"``, ``"valid"``, ``"test"`` -> ``(x, y)`` of its rows, ``x`` float32.
    """
    split = np.asarray(split)
    return {
        name: (np.asarray(x[split == name], dtype=np.float32), y[split == name])
        for name in SPLIT_NAMES
    }


def motif_mask(dataset: SimulatedDataset, core_only: bool = True) -> np.ndarray:
    """Mark the positions covered by planted motifs.

    Parameters
    ----------
    dataset : SimulatedDataset
        Dataset with N sequences of length L.
    core_only : bool
        If True (default), only motifs from the core pool are marked.

    Returns
    -------
    numpy.ndarray, shape (N, L), bool
        True inside planted motifs.
    """
    n, _, length = dataset.x.shape
    mask = np.zeros((n, length), dtype=bool)
    placements = dataset.placements
    if core_only:
        placements = placements[placements["core"]]
    for sequence, start, end in zip(
        placements["sequence"], placements["start"], placements["end"], strict=True
    ):
        mask[sequence, start:end] = True
    return mask


_ARRAY_KEYS = ("x", "y", "truth", "split")


_TABLE_KEYS = {"placements": PLACEMENT_COLUMNS, "motif_pool": MOTIF_POOL_COLUMNS}


def save_dataset(dataset: SimulatedDataset, path: str | os.PathLike) -> None:
    """Write a dataset to one compressed ``.npz`` file, atomically.

    The arrays ``x``, ``y``, ``truth`` and ``split`` are stored as they are; the two tables are
    stored as JSON strings (column name -> list of values). The file is written to a temporary
    file in the same directory and then renamed over ``path``, so a reader never sees a
    half-written file. ``path`` is used as given (no ``.npz`` suffix is added).

    Parameters
    ----------
    dataset : SimulatedDataset
        The dataset to save.
    path : str or os.PathLike
        Destination file; its directory is created if missing.
    """
    path = Path(path)
    arrays = {key: np.asarray(getattr(dataset, key)) for key in _ARRAY_KEYS}
    arrays["split"] = arrays["split"].astype(str)  # fixed-width unicode: loads without pickle
    for key, columns in _TABLE_KEYS.items():
        table = getattr(dataset, key)
        arrays[key] = np.array(json.dumps({c: table[c].tolist() for c in columns}))

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def load_dataset(path: str | os.PathLike) -> SimulatedDataset:
    """Read a dataset written by :func:`save_dataset`.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save_dataset`.

    Returns
    -------
    SimulatedDataset

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is not a dataset file or lacks one of its keys; the message names the path.
    """
    with read_npz(path, "dataset") as stored:
        missing = [key for key in (*_ARRAY_KEYS, *_TABLE_KEYS) if key not in stored.files]
        if missing:
            raise ValueError(f"missing keys {missing}")
        arrays = {key: stored[key] for key in _ARRAY_KEYS}
        tables = {}
        for key, columns in _TABLE_KEYS.items():
            values = json.loads(str(stored[key]))
            rows = list(zip(*(values[c] for c in columns), strict=True))
            tables[key] = typed_table(rows, columns)
        return SimulatedDataset(**arrays, **tables)


def check_split_fractions(split_fractions: Mapping[str, float]) -> None:
    """Raise a ValueError unless ``split_fractions`` maps train/valid/test to fractions
    in (0, 1] summing to 1."""
    name = "split_fractions"
    unknown = set(split_fractions) - set(SPLIT_NAMES)
    if unknown:
        raise ValueError(f"{name}: unknown splits {sorted(unknown)}; allowed {SPLIT_NAMES}")
    for key, fraction in split_fractions.items():
        if not fraction >= 0:
            raise ValueError(f"{name}[{key!r}]: fraction must be >= 0, got {fraction!r}")
    total = sum(split_fractions.values())
    if abs(total - 1.0) > FRACTION_TOLERANCE:
        raise ValueError(f"{name}: fractions sum to {total}, not 1")


def random_split(
    n: int, split_fractions: Mapping[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Assign ``n`` items to splits by a random permutation.

    Sizes are ``floor(fraction * n)`` plus one for the splits with the largest remainders, so
    they sum to ``n``.
    """
    names = [s for s in SPLIT_NAMES if s in split_fractions]
    exact = np.array([split_fractions[s] * n for s in names])
    sizes = np.floor(exact).astype(np.int64)
    # Largest remainders first; ties keep the train/valid/test order.
    for j in np.argsort(-(exact - sizes), kind="stable")[: n - sizes.sum()]:
        sizes[j] += 1
    labels = np.repeat(np.array(names), sizes)
    return labels[rng.permutation(n)]


def typed_table(rows: list[tuple], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame with fixed column order and dtypes (int64, bool, str), also when empty."""
    table = pd.DataFrame.from_records(rows, columns=list(columns))
    dtypes = {
        c: ("int64" if c in _INT_COLUMNS else "bool" if c in _BOOL_COLUMNS else str)
        for c in columns
    }
    return table.astype(dtypes)
