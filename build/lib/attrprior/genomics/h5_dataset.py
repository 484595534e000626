"""Datasets published as HDF5 splits, as Majdandzic et al. (2023) publish theirs.

Their billboard data and per-TF ChIP-seq tasks (Zenodo record 7011631; the authors'
repository) are HDF5 files with one array per split and role: ``x_train``, ``y_train``,
``x_valid``, ``y_valid``, ``x_test``, ``y_test`` (the ChIP-seq tasks) or the same with capital
``X_``/``Y_`` (the billboard file, which also holds each sequence's generating probability
matrix as ``model_train``, ``model_valid``, ``model_test``: the ground truth). One-hot
sequences are stored either ``(N, 4, L)`` or ``(N, L, 4)``; :func:`read_split_h5` returns
them ``(N, 4, L)`` whichever it is, and says which layout it found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Split names in file order, as the published files name them.
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class SplitArrays:
    """The arrays of one published dataset.

    Attributes
    ----------
    x : dict of str to numpy.ndarray
        Split -> one-hot sequences, float32, shape (N, 4, L): sequences, bases A/C/G/T,
        positions.
    y : dict of str to numpy.ndarray
        Split -> labels, float32, shape (N, T).
    layout : str
        How the file stored ``x``: ``"N4L"`` or ``"NL4"``.
    truth : dict of str to numpy.ndarray or None
        Split -> the probability matrices the sequences were drawn from, float32, shape
        (N, 4, L), where the file has them (``model_<split>``); else None.
    """

    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    layout: str
    truth: dict[str, np.ndarray] | None = None

    def stacked(self) -> dict[str, np.ndarray]:
        """Every split's rows in file order (train, valid, test): ``x`` (N, 4, L), ``y``
        (N, T), ``split`` (N,) str, and ``truth`` (N, 4, L) where the file has it."""
        arrays = {
            "x": np.concatenate([self.x[name] for name in SPLITS]),
            "y": np.concatenate([self.y[name] for name in SPLITS]),
            "split": np.concatenate([np.full(len(self.x[name]), name) for name in SPLITS]),
        }
        if self.truth is not None:
            arrays["truth"] = np.concatenate([self.truth[name] for name in SPLITS])
        return arrays


def read_split_h5(path: str | os.PathLike) -> SplitArrays:
    """Read a dataset stored as ``x_<split>`` / ``y_<split>`` arrays in an HDF5 file.

    Raises
    ------
    ValueError
        Naming the file: a missing array, sequences that are not one-hot over 4 bases in
        either layout, splits of different layouts or lengths, or labels whose count differs
        from the sequences'.
    """
    import h5py  # only published datasets need it

    path = Path(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path}: cannot read as HDF5: {error}") from error
    x, y, truth, layouts = {}, {}, {}, set()
    with handle:
        names = {name.lower(): name for name in handle}
        missing = [f"{role}_{s}" for s in SPLITS for role in "xy" if f"{role}_{s}" not in names]
        if missing:
            raise ValueError(f"{path}: missing arrays {missing} (has {sorted(handle)})")
        for split in SPLITS:
            sequences = np.asarray(handle[names[f"x_{split}"]], dtype=np.float32)
            layout, sequences = _channels_first(sequences, path, f"x_{split}")
            layouts.add(layout)
            if f"model_{split}" in names:
                matrices = np.asarray(handle[names[f"model_{split}"]], dtype=np.float32)
                truth_layout, truth[split] = _channels_first(matrices, path, f"model_{split}")
                layouts.add(truth_layout)
                if truth[split].shape != sequences.shape:
                    raise ValueError(
                        f"{path}: model_{split} {truth[split].shape} does not match x_{split} "
                        f"{sequences.shape}"
                    )
            labels = np.asarray(handle[names[f"y_{split}"]], dtype=np.float32)
            labels = labels.reshape(len(labels), -1)
            if len(labels) != len(sequences):
                raise ValueError(
                    f"{path}: y_{split} has {len(labels)} rows, x_{split} {len(sequences)}"
                )
            x[split], y[split] = sequences, labels
    lengths = {array.shape[2] for array in x.values()}
    if len(layouts) > 1 or len(lengths) > 1:
        raise ValueError(
            f"{path}: arrays differ in layout {layouts} or length {lengths} across splits"
        )
    if truth and set(truth) != set(SPLITS):
        raise ValueError(f"{path}: ground truth for {sorted(truth)} only, not every split")
    return SplitArrays(x=x, y=y, layout=layouts.pop(), truth=truth or None)


def _channels_first(sequences: np.ndarray, path: Path, name: str) -> tuple[str, np.ndarray]:
    """(layout, array as (N, 4, L)): one-hot sequences or probability matrices, whose 4
    bases sum to 1 at every position."""
    if sequences.ndim != 3 or 4 not in sequences.shape[1:]:
        raise ValueError(f"{path}: {name} has shape {sequences.shape}, not (N, 4, L) or (N, L, 4)")
    candidates = []
    if sequences.shape[1] == 4:
        candidates.append(("N4L", sequences))
    if sequences.shape[2] == 4:
        candidates.append(("NL4", sequences.transpose(0, 2, 1)))
    for layout, channels_first in candidates:
        if np.allclose(channels_first.sum(axis=1), 1.0, atol=1e-3):
            return layout, np.ascontiguousarray(channels_first)
    raise ValueError(
        f"{path}: {name} of shape {sequences.shape} is not one-hot (or a probability matrix) "
        "over 4 bases in either layout (the bases do not sum to 1 at every position)"
    )
