"""attrprior.genomics.h5_dataset: the authors' published HDF5 datasets, on a real ChIP-seq task
(tests/data/koo/LEF1_200.h5) and on tiny files of either layout."""

from pathlib import Path

import h5py
import numpy as np
import pytest

from attrprior.genomics.h5_dataset import SPLITS, read_split_h5

LEF1 = Path(__file__).parent / "data" / "koo" / "LEF1_200.h5"


def test_the_published_lef1_task():
    data = read_split_h5(LEF1)
    assert data.layout == "N4L"
    sizes = {split: data.x[split].shape for split in SPLITS}
    assert sizes == {"train": (7257, 4, 200), "valid": (1037, 4, 200), "test": (2074, 4, 200)}
    for split in SPLITS:
        assert data.x[split].dtype == np.float32 and data.y[split].shape == (sizes[split][0], 1)
        assert set(np.unique(data.y[split])) == {0.0, 1.0}
        assert 0.4 < data.y[split].mean() < 0.6  # about half positive (fixture README)


def write(path, x, y):
    with h5py.File(path, "w") as handle:
        for split in SPLITS:
            handle[f"x_{split}"] = x
            handle[f"y_{split}"] = y


def test_either_layout_gives_channels_first(tmp_path):
    rng = np.random.default_rng(0)
    one_hot = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(5, 12))]  # N, L, 4
    write(tmp_path / "nl4.h5", one_hot, np.ones(5, dtype=np.int8))
    data = read_split_h5(tmp_path / "nl4.h5")
    assert data.layout == "NL4" and data.y["test"].shape == (5, 1)
    np.testing.assert_array_equal(data.x["valid"], one_hot.transpose(0, 2, 1))
    # Four positions long: both layouts have a 4 axis, only one is one-hot per position.
    short = np.eye(4, dtype=np.float32)[[[0, 1, 2, 3], [3, 3, 0, 1]]]  # (2, 4, 4) as N, L, 4
    write(tmp_path / "short.h5", short, np.zeros((2, 1)))
    np.testing.assert_array_equal(
        read_split_h5(tmp_path / "short.h5").x["train"][1][:, 0], [0, 0, 0, 1]
    )


def test_the_billboard_file_layout_with_its_ground_truth(tmp_path):
    # As the authors' synthetic_code_dataset.h5: capital X_/Y_, and model_<split> holding
    # the probability matrix each sequence was drawn from (N, 4, L).
    rng = np.random.default_rng(1)
    truth = rng.dirichlet(np.ones(4), size=(3, 10)).transpose(0, 2, 1).astype(np.float32)
    one_hot = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(3, 10))].transpose(0, 2, 1)
    with h5py.File(tmp_path / "code.h5", "w") as handle:
        for split in SPLITS:
            handle[f"X_{split}"] = one_hot
            handle[f"Y_{split}"] = np.ones((3, 1))
            handle[f"model_{split}"] = truth
    data = read_split_h5(tmp_path / "code.h5")
    assert data.layout == "N4L" and set(data.truth) == set(SPLITS)
    np.testing.assert_allclose(data.truth["test"], truth)
    assert read_split_h5(LEF1).truth is None  # the ChIP-seq tasks have none
    with h5py.File(tmp_path / "code.h5", "a") as handle:
        del handle["model_valid"]
    with pytest.raises(ValueError, match=r"ground truth for \['test', 'train'\] only"):
        read_split_h5(tmp_path / "code.h5")


def test_stacked_splits_keep_file_order_and_name_each_row():
    data = read_split_h5(LEF1)
    arrays = data.stacked()
    assert set(arrays) == {"x", "y", "split"}  # no ground truth in a ChIP-seq task
    sizes = [len(data.x[split]) for split in SPLITS]
    assert [(arrays["split"] == split).sum() for split in SPLITS] == sizes
    assert list(arrays["split"][[0, sizes[0], sizes[0] + sizes[1]]]) == list(SPLITS)
    np.testing.assert_array_equal(arrays["x"][sizes[0] : sizes[0] + 3], data.x["valid"][:3])
    np.testing.assert_array_equal(arrays["y"][-3:], data.y["test"][-3:])


def test_bad_files_are_named(tmp_path):
    one_hot = np.eye(4, dtype=np.float32)[np.zeros((3, 8), dtype=int)]
    with h5py.File(tmp_path / "partial.h5", "w") as handle:
        handle["x_train"] = one_hot
    with pytest.raises(ValueError, match=r"partial.h5: missing arrays \['y_train', 'x_valid'"):
        read_split_h5(tmp_path / "partial.h5")
    write(tmp_path / "rows.h5", one_hot, np.ones(2))
    with pytest.raises(ValueError, match="rows.h5: y_train has 2 rows, x_train 3"):
        read_split_h5(tmp_path / "rows.h5")
    write(tmp_path / "dense.h5", np.full((3, 4, 8), 0.5, dtype=np.float32), np.ones(3))
    with pytest.raises(ValueError, match="dense.h5: x_train of shape .* is not one-hot"):
        read_split_h5(tmp_path / "dense.h5")
