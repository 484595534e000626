"""The authors' published data as a workflow input (published_h5): a real ChIP-seq task file
of Majdandzic et al. (tests/data/koo/LEF1_200.h5) fetched from the local Zenodo stand-in,
md5 verified and locked, trained on its own splits, explained raw and corrected, its angles
and tables written."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from snakemake_runner import planned_jobs, snakemake, workdir_with

from attrprior.io import load_npz
from attrprior.portal import MockPortal, add_zenodo_file

LEF1 = Path(__file__).parent / "data" / "koo" / "LEF1_200.h5"
RECORD = 7011631  # the paper's Zenodo record


def config(base_url):
    return {
        "results": "results",
        "device": "cpu",
        "zenodo": {"base_url": base_url},
        "encode": {"base_url": base_url, "retries": 2, "backoff": 0.1, "timeout": 10},
        "external": {"lef1": {"zenodo": {"record": RECORD, "file": "LEF1_200.h5"}}},
        "models": {"cnn_shallow_relu": {"architecture": "cnn_shallow", "activation": "relu"}},
        "datasets": {
            "koo_lef1": {
                "paper_dataset": "chipseq",
                "published_h5": {"file": "lef1"},
                "models": ["cnn_shallow_relu"],
                "conditions": {"none": {}},
                "seeds": 1,
                "training": {
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
                },
                "attribution": {
                    "n_sequences": 20,
                    "n_shuffles": 3,
                    "seed": 0,
                    "methods": {"saliency": {}, "deepshap": {}},
                },
                "evaluation": {
                    "reference_condition": "none",
                    "interpretability_threshold": 0.1,
                    "highfreq_limit": 30,
                    "entropy_pseudocount": 0.001,
                    "angle_thresholds": [30, 45, 60],
                },
            }
        },
    }


@pytest.fixture(scope="module")
def published_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("published")
    root = base / "portal"
    root.mkdir()
    add_zenodo_file(root, RECORD, "LEF1_200.h5", LEF1.read_bytes())
    with MockPortal(root) as portal:
        work = workdir_with(base / "work", config(portal.url))
        plan = planned_jobs(snakemake(work, "-n", "--quiet", "rules").stdout)
        snakemake(work, "--cores", "2")
    return work, plan


@pytest.mark.slow
def test_the_published_task_is_fetched_verified_and_trained(published_run):
    work, plan = published_run
    assert plan["download_external"] == 1 and plan["published_regions"] == 1, plan
    assert plan["train_model"] == 1 and plan["region_attribution_inputs"] == 1, plan
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
    work, _ = published_run
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
