"""The authors' published data as a workflow input: a real ChIP-seq task file of Majdandzic
et al. (tests/data/koo/LEF1_200.h5, published_h5) fetched from the local Zenodo stand-in,
md5 verified and locked, trained on its own splits, explained raw and corrected, its angles
and tables written; and a billboard draw stored as their synthetic_code_dataset.h5 is
(billboard.published), read back with its planted motifs and scored against its truth."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from snakemake_runner import planned_jobs, snakemake, workdir_with

from attrprior.io import load_npz
from attrprior.sim.billboard import simulate_billboard
from attrprior.sim.datasets import load_dataset
from attrprior.sim.portal import MockPortal
from attrprior.sim.portal_files import add_github_file, add_zenodo_file

LEF1 = Path(__file__).parent / "data" / "koo" / "LEF1_200.h5"
RECORD = 7011631  # the paper's Zenodo record
COMMIT = "e5d4abe0cbb3d6a6996dc4ca9bfb2c7b9cae3b19"  # p-koo/GradientCorrection
CORE_MOTIFS = ["MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2"]
TRAINING = {
    "max_epochs": 1,
    "batch_size": 100,
    "learning_rate": 0.001,
    "patience": 5,
    "min_delta": 0.0,
    "lr_factor": 0.2,
    "lr_patience": 3,
    "loss": "bce",
    "reverse_complement": False,
    "monitor": "auroc",
}
EVALUATION = {
    "reference_condition": "none",
    "interpretability_threshold": 0.1,
    "highfreq_limit": 30,
    "entropy_pseudocount": 0.001,
    "angle_thresholds": [30, 45, 60],
}


def attribution(*methods):
    """20 positive test sequences, 3 shuffled references, the methods with their defaults."""
    return {
        "n_sequences": 20,
        "n_shuffles": 3,
        "seed": 0,
        "methods": {method: {} for method in methods},
    }


def billboard_h5(path):
    """A small billboard draw written as the published synthetic_code_dataset.h5 is: X_, Y_
    and model_ (the ground truth) per split, sequences (N, 4, L)."""
    import h5py

    dataset = simulate_billboard(n_sequences=600, seed=4)
    with h5py.File(path, "w") as handle:
        for split in ("train", "valid", "test"):
            rows = dataset.split == split
            handle[f"X_{split}"] = dataset.x[rows]
            handle[f"Y_{split}"] = dataset.y[rows]
            handle[f"model_{split}"] = dataset.truth[rows]
    return dataset


def config(base_url):
    return {
        "results": "results",
        "device": "cpu",
        "zenodo": {"base_url": base_url},
        "github": {"raw_url": f"{base_url}/github"},
        "encode": {"base_url": base_url, "retries": 2, "backoff": 0.1, "timeout": 10},
        "external": {
            "lef1": {"zenodo": {"record": RECORD, "file": "LEF1_200.h5"}},
            "billboard": {"zenodo": {"record": RECORD, "file": "synthetic_code_dataset.h5"}},
        },
        "models": {
            "cnn_shallow_relu": {"architecture": "cnn_shallow", "activation": "relu"},
            # The authors' trained models (trial 0 of their 50), evaluated, not trained:
            # CNN-deep fetched from their repository (here the local stand-in), md5
            # checked; CNN-shallow from a local copy.
            "cnn_deep_exp_published": {
                "architecture": "cnn_deep",
                "activation": "exponential",
                "published_weights": {
                    "github": {
                        "repository": "p-koo/GradientCorrection",
                        "commit": COMMIT,
                        "path": "results/synthetic/model_params/cnn_deep_exponential_{seed}.h5",
                    }
                },
            },
            "cnn_shallow_relu_published": {
                "architecture": "cnn_shallow",
                "activation": "relu",
                "published_weights": str(LEF1.parent / "cnn_shallow_relu_{seed}.h5"),
            },
        },
        "datasets": {
            "koo_lef1": {
                "paper_dataset": "chipseq",
                "published_h5": {"file": "lef1"},
                "models": ["cnn_shallow_relu"],
                "conditions": {"none": {}},
                "seeds": 1,
                "training": TRAINING,
                "attribution": attribution("saliency", "deepshap"),
                "evaluation": EVALUATION,
            },
            "billboard_published": {
                "paper_dataset": "billboard",
                "billboard": {
                    "published": "billboard",
                    "length": 200,
                    "core_motifs": CORE_MOTIFS,
                    "jaspar_release": "JASPAR2016",
                },
                "models": [
                    "cnn_shallow_relu",
                    "cnn_deep_exp_published",
                    "cnn_shallow_relu_published",
                ],
                "conditions": {"none": {}},
                "seeds": 1,
                "training": TRAINING,
                "attribution": attribution("saliency"),
                "evaluation": EVALUATION,
                "figures": {"method": "saliency", "logo_sequence": 0},
            },
        },
        # The angle statistics of a ChIP-seq task (no ground truth) beside the billboard's.
        "paper": {"fig1_koo": {"datasets": ["koo_lef1", "billboard_published"]}},
    }


@pytest.fixture(scope="module")
def published_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("published")
    root = base / "portal"
    root.mkdir()
    add_zenodo_file(root, RECORD, "LEF1_200.h5", LEF1.read_bytes())
    drawn = billboard_h5(base / "synthetic_code_dataset.h5")
    add_zenodo_file(
        root, RECORD, "synthetic_code_dataset.h5", (base / "synthetic_code_dataset.h5").read_bytes()
    )
    add_github_file(
        root,
        "p-koo/GradientCorrection",
        COMMIT,
        "results/synthetic/model_params/cnn_deep_exponential_0.h5",
        (LEF1.parent / "cnn_deep_exponential_0.h5").read_bytes(),
    )
    with MockPortal(root) as portal:
        work = workdir_with(base / "work", config(portal.url))
        plan = planned_jobs(snakemake(work, "-n", "--quiet", "rules").stdout)
        snakemake(work, "--cores", "2")
    return work, plan, drawn


@pytest.mark.slow
def test_the_published_task_is_fetched_verified_and_trained(published_run):
    work, plan, _ = published_run
    assert plan["download_external"] == 2 and plan["published_regions"] == 1, plan
    assert plan["train_model"] == 2 and plan["region_attribution_inputs"] == 1, plan
    assert plan["import_published_model"] == 2 and plan["download_published_weights"] == 1
    results = work / "results" / "koo_lef1"
    lock = pd.read_csv(results / "data" / "downloads.tsv", sep="\t").set_index("accession")
    assert lock.loc["lef1", "md5"] == hashlib.md5(LEF1.read_bytes()).hexdigest()
    regions = load_npz(results / "data" / "regions.npz", "regions")
    splits, counts = np.unique(regions["split"], return_counts=True)
    assert dict(zip(splits, counts, strict=True)) == {"train": 7257, "valid": 1037, "test": 2074}
    assert regions["x"].shape == (10368, 4, 200)
    summary = pd.read_csv(results / "data" / "regions_summary.tsv", sep="\t")
    assert set(summary["layout"]) == {"N4L"} and summary["regions"].sum() == 10368
    table = (results / "tables" / "predictive.md").read_text()
    assert table.startswith("|") and "cnn_shallow_relu" in table
    metrics = pd.read_csv(
        results / "models" / "cnn_shallow_relu" / "none" / "seed0" / "test_metrics.tsv", sep="\t"
    )
    assert 0.5 < float(metrics["test_auroc"].iloc[0]) <= 1.0  # one epoch learns something


@pytest.mark.slow
def test_the_published_task_is_explained_and_its_angles_measured(published_run):
    work, _, _ = published_run
    results = work / "results" / "koo_lef1"
    inputs = load_npz(results / "data" / "attribution_inputs.npz", "attribution inputs")
    regions = load_npz(results / "data" / "regions.npz", "regions")
    assert len(inputs["index"]) == 20
    assert (regions["split"][inputs["index"]] == "test").all()
    assert (regions["y"][inputs["index"], 0] == 1).all()  # positive test regions
    assert inputs["summit_distance"][0, 100] == 0 and inputs["summit_distance"][0, 0] == 100
    maps = load_npz(results / "attributions" / "cnn_shallow_relu" / "none" / "seed0.npz", "maps")
    assert set(maps) == {"saliency", "saliency_corrected", "deepshap", "deepshap_corrected"}
    assert all(m.shape == (20, 4, 200) and np.isfinite(m).all() for m in maps.values())
    angles = pd.read_csv(results / "scores" / "angle_fractions.tsv", sep="\t")
    raw = angles.set_index("method").loc["saliency"]
    assert raw["n_positions"] > 3000  # 20 x 200 positions, less those with a zero gradient
    fractions = raw[["above_30", "above_45", "above_60"]].to_numpy(float)
    assert (np.diff(fractions) < 0).all() and 0 < fractions[-1] < fractions[0] < 1
    sequences = pd.read_csv(results / "scores" / "sequences.tsv.gz", sep="\t")
    assert {"summit_spearman", "entropy", "highfreq"} <= set(sequences.columns)


@pytest.mark.slow
def test_the_published_billboard_is_read_back_and_scored_against_its_truth(published_run):
    work, plan, drawn = published_run
    assert plan["published_billboard"] == 1 and "simulate_dataset" not in plan, plan
    results = work / "results" / "billboard_published"
    dataset = load_dataset(results / "data" / "dataset.npz")
    # The splits as the file has them (train, valid, test in turn), every motif found.
    order = np.concatenate([np.flatnonzero(drawn.split == s) for s in ("train", "valid", "test")])
    np.testing.assert_array_equal(dataset.x, drawn.x[order])
    np.testing.assert_array_equal(dataset.truth, drawn.truth[order])
    placements = pd.read_csv(results / "data" / "placements.tsv", sep="\t")
    assert len(placements) == len(drawn.placements)
    assert "unknown" not in set(placements["matrix_id"])
    assert set(placements.query("core")["matrix_id"]) == set(CORE_MOTIFS)
    inputs = load_npz(results / "data" / "attribution_inputs.npz", "attribution inputs")
    assert inputs["mask_motif"].any(axis=1).all()  # every explained positive has a motif
    scores = pd.read_csv(results / "scores" / "sequences.tsv.gz", sep="\t")
    assert {"cosine", "auroc", "fraction_in_motif"} <= set(scores.columns)
    assert scores["auroc"].between(0, 1).all() and scores["cosine"].notna().all()


@pytest.mark.slow
def test_a_published_model_is_evaluated_and_explained_not_trained(published_run):
    """The authors' CNN-deep (exponential, trial 0) on a billboard draw of ours: the same
    generative process, so it classifies sequences it never saw; its maps are scored."""
    work, _, _ = published_run
    run = work / "results" / "billboard_published" / "models" / "cnn_deep_exp_published"
    checkpoint = torch.load(run / "none" / "seed0" / "model.pt", weights_only=True)
    assert checkpoint["architecture"]["first_kernel_size"] == 11  # read from the file
    assert checkpoint["published_weights"] == (
        f"p-koo/GradientCorrection@{COMMIT}:results/synthetic/model_params/cnn_deep_exponential_0.h5"
    )
    metrics = pd.read_csv(run / "none" / "seed0" / "test_metrics.tsv", sep="\t")
    assert float(metrics["test_auroc"].iloc[0]) > 0.85  # 0.97 on 2,000 of our sequences
    history = pd.read_csv(run / "none" / "seed0" / "history.tsv", sep="\t")
    assert len(history) == 1 and history["valid_auroc"].iloc[0] > 0.8
    record = work / "resources" / "published_weights" / "cnn_deep_exp_published"
    assert json.loads((record / "seed0.h5.download.json").read_text())["md5"] == (
        "2f4b6cdfb02f0a1ffa64f82025ec3666"  # the authors' file, as their repository has it
    )
    local = work / "results" / "billboard_published" / "models" / "cnn_shallow_relu_published"
    metrics = pd.read_csv(local / "none" / "seed0" / "test_metrics.tsv", sep="\t")
    assert float(metrics["test_auroc"].iloc[0]) > 0.8  # 0.91 on 2,000 of our sequences
    results = work / "results" / "billboard_published"
    maps = load_npz(
        results / "attributions" / "cnn_deep_exp_published" / "none" / "seed0.npz", "maps"
    )
    assert maps["saliency"].shape == (20, 4, 200)
    angles = pd.read_csv(results / "scores" / "angle_fractions.tsv", sep="\t")
    assert "cnn_deep_exp_published" in set(angles["model"])


@pytest.mark.slow
def test_fig1_koo_shows_the_angles_of_a_task_without_ground_truth(published_run):
    work, _, _ = published_run
    paper = work / "results" / "paper"
    angles = pd.read_csv(paper / "fig1_koo.tsv", sep="\t")
    assert set(angles["dataset"]) == {"koo_lef1", "billboard_published"}
    lef1 = angles[angles["dataset"] == "koo_lef1"]
    assert set(lef1["metric"]) == {"above_30", "above_45", "above_60"}
    assert lef1["mean"].between(0, 1).all()
    figures = work / "results" / "koo_lef1" / "figures" / "cnn_shallow_relu"
    assert (figures / "angle_histograms.png").read_bytes()[:4] == b"\x89PNG"
    assert not (figures / "raw_vs_corrected.png").exists()  # no truth to score against
    card = pd.read_csv(paper / "scorecard.tsv", sep="\t").set_index("claim")
    assert card.loc["koo_angles_above_30", "units"] == 3  # the billboard's 3 models only
