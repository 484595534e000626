"""The authors' published data as a workflow input (published_h5): a real ChIP-seq task file
of Majdandzic et al. (tests/data/koo/LEF1_200.h5) fetched from the local Zenodo stand-in,
md5 verified and locked, then trained on its own splits."""

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
    assert plan["train_model"] == 1, plan
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


def test_attribution_of_a_published_dataset_is_refused_for_now(tmp_path):
    settings = config("http://127.0.0.1:1")
    settings["datasets"]["koo_lef1"]["attribution"] = {
        "n_sequences": 10,
        "n_shuffles": 2,
        "seed": 0,
        "methods": {"saliency": {}},
    }
    result = snakemake(workdir_with(tmp_path, settings), "-n", check=False)
    assert result.returncode != 0
    assert "datasets.koo_lef1.attribution: not supported for published_h5" in (
        result.stdout + result.stderr
    )
