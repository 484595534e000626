"""The data a training job trains on (attrprior.training_data), from the files its rule
gives it; the key under which its training state is resumed."""

import json
import os

import numpy as np
import pytest

from attrprior.sim.datasets import save_dataset
from attrprior.sim.single_motif import SingleMotifBatches, simulate_single_motif
from attrprior.training_data import (
    from_dataset,
    from_inputs,
    from_regions,
    labelled_positives,
    resume_key,
)


def test_dataset_splits_sizes_and_positives(tmp_path):
    dataset = simulate_single_motif(40, 40, length=120, central_flank=20, seed=3)
    save_dataset(dataset, tmp_path / "dataset.npz")
    data = from_dataset(tmp_path / "dataset.npz")
    train = dataset.split == "train"
    np.testing.assert_array_equal(data.splits["train"][0], dataset.x[train])
    assert data.n_train_positives == int(dataset.y[train, 0].sum())
    assert data.model_sizes == {"length": 120, "n_tasks": 1}
    assert data.objective is None


def test_fresh_single_motif_batches_fill_as_many_batches_as_the_stored_positives(tmp_path):
    dataset = simulate_single_motif(40, 40, length=120, central_flank=20, seed=3)
    save_dataset(dataset, tmp_path / "dataset.npz")
    single_motif = {
        "fresh_training_batches": True,
        "jaspar_release": "JASPAR2016",
        "motif": "MA0080.4",
        "length": 120,
        "gc_prob": 0.5,
        "positive_gc_excess": 0.02,
        "central_flank": 20,
    }
    data = from_dataset(tmp_path / "dataset.npz", single_motif, batch_size=8)
    batches = data.splits["train"]
    assert isinstance(batches, SingleMotifBatches)
    n_positives = int(dataset.y[dataset.split == "train", 0].sum())
    assert batches.n_batches == -(-n_positives // 4)  # 4 positives per batch of 8
    assert batches.positive_gc == 0.52 and batches.negative_gc == 0.5
    x, y = next(batches.batches(8, np.random.default_rng(0)))
    assert x.shape == (8, 4, 120) and y[:, 0].tolist() == [1] * 4 + [0] * 4


def test_regions_are_split_as_stored(tmp_path):
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (10, 30))].transpose(0, 2, 1)
    y = (np.arange(10) % 2).astype(np.float32)[:, None]
    split = np.array(["train"] * 6 + ["valid"] * 2 + ["test"] * 2)
    np.savez(tmp_path / "regions.npz", x=x, y=y, split=split)
    data = from_regions(tmp_path / "regions.npz")
    assert [len(data.splits[s][0]) for s in ("train", "valid", "test")] == [6, 2, 2]
    assert data.n_train_positives == 3
    assert data.model_sizes == {"length": 30, "n_tasks": 1}
    assert labelled_positives(np.array([[1, -1], [0, 0], [0, 1]])) == 2


def test_from_inputs_builds_what_the_rule_inputs_name(tmp_path):
    dataset = simulate_single_motif(40, 40, length=120, central_flank=20, seed=3)
    save_dataset(dataset, tmp_path / "dataset.npz")
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (10, 30))].transpose(0, 2, 1)
    y = (np.arange(10) % 2).astype(np.float32)[:, None]
    np.savez(tmp_path / "regions.npz", x=x, y=y, split=np.array(["train"] * 6 + ["test"] * 4))
    # A train rule's other inputs (the reference run, a tuned weight) are not data.
    simulated = from_inputs({"dataset": tmp_path / "dataset.npz", "reference": []})
    np.testing.assert_array_equal(
        simulated.splits["train"][0], from_dataset(tmp_path / "dataset.npz").splits["train"][0]
    )
    regions = from_inputs({"regions": tmp_path / "regions.npz", "weight_choice": []})
    assert regions.n_train_positives == 3 and regions.model_sizes["length"] == 30
    with pytest.raises(ValueError, match=r"expected dataset, .* got \['reference'\]"):
        from_inputs({"reference": []})
    with pytest.raises(ValueError, match="encode_binary section"):
        from_inputs({"genome": "g.npy", "labels": "labels.npz"})


def test_resume_key_changes_with_settings_seed_pack_and_inputs(tmp_path):
    path = tmp_path / "dataset.npz"
    path.write_text("x")
    params = {"model": {"architecture": "cnn_shallow"}, "condition": {}, "training": {}}
    key = resume_key(params, {"prior": None}, 0, [path])
    assert key == resume_key(params, {"prior": None}, 0, [str(path)])
    assert "packed" not in json.loads(key)  # a seed alone keeps its key of before packs
    assert json.loads(resume_key(params, {}, 0, [path], [0, 1]))["packed"] == [0, 1]
    assert key != resume_key(params, {"prior": None}, 1, [path])
    assert key != resume_key({**params, "training": {"max_epochs": 2}}, {"prior": None}, 0, [path])
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert key != resume_key(params, {"prior": None}, 0, [path])
