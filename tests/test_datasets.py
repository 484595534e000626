"""attrprior.sim.datasets: splits and storage of simulated datasets."""

import os

import numpy as np
import pandas as pd
import pytest
from toy_motifs import toy_billboard, toy_motifs

from attrprior.sim.datasets import load_dataset, save_dataset, split_arrays
from attrprior.sim.single_motif import (
    simulate_single_motif,
)


def test_split_arrays_select_each_splits_rows():
    x = np.arange(5 * 4 * 2, dtype=np.float64).reshape(5, 4, 2)
    y = np.arange(5)[:, None]
    split = np.array(["test", "train", "valid", "train", "test"])
    splits = split_arrays(x, y, split)
    assert list(splits) == ["train", "valid", "test"]
    np.testing.assert_array_equal(splits["train"][0], x[[1, 3]])
    np.testing.assert_array_equal(splits["test"][1], y[[0, 4]])
    assert splits["valid"][0].dtype == np.float32


def test_save_load_round_trip_is_atomic(tmp_path):
    dataset = toy_billboard(n_sequences=50)
    path = tmp_path / "billboard.npz"
    save_dataset(dataset, path)
    assert os.listdir(tmp_path) == ["billboard.npz"]  # no temporary file left behind
    loaded = load_dataset(path)
    for key in ("x", "y", "truth", "split"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(dataset, key))
        assert getattr(loaded, key).dtype == getattr(dataset, key).dtype
    pd.testing.assert_frame_equal(loaded.placements, dataset.placements)
    pd.testing.assert_frame_equal(loaded.motif_pool, dataset.motif_pool)


def test_save_load_without_placements(tmp_path):
    dataset = simulate_single_motif(
        0, 6, length=40, motif_id="MX0000.1", central_flank=5, motifs=toy_motifs()
    )
    assert dataset.placements.empty
    save_dataset(dataset, tmp_path / "negatives.npz")
    loaded = load_dataset(tmp_path / "negatives.npz")
    pd.testing.assert_frame_equal(loaded.placements, dataset.placements)
    np.testing.assert_array_equal(loaded.truth, dataset.truth)


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "data.npz"
    save_dataset(toy_billboard(n_sequences=20), path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_dataset(toy_billboard(n_sequences=30), path)
    assert os.listdir(tmp_path) == ["data.npz"]
    assert path.read_bytes() == before


def test_load_bad_files_name_the_path(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="garbage.npz"):
        load_dataset(garbage)
    partial = tmp_path / "partial.npz"
    np.savez_compressed(partial, x=np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match="partial.npz.*truth"):
        load_dataset(partial)
    array_file = tmp_path / "array.npy"
    np.save(array_file, np.zeros(3))
    with pytest.raises(ValueError, match="array.npy"):
        load_dataset(array_file)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_dataset(tmp_path / "missing.npz")
