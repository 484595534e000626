"""The workflow as a whole: config validation, the paper-scale plan, and an end-to-end run
of the tiny configuration (config/test.yaml) that is then re-planned as up to date."""

import re
import shutil
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake_runner import ROOT, snakemake


def BILLBOARD(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["billboard"]


def workdir_with(tmp_path, config):
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def load(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def planned_jobs(output):
    """Rule -> count from the job-stats table of a dry run."""
    counts = {}
    for line in output.splitlines():
        match = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(bogus_key=1), "bogus_key"),
        (
            lambda c: BILLBOARD(c)["conditions"].update(f={"prior": "fourrier", "weight": 1}),
            "fourrier",
        ),
        (lambda c: BILLBOARD(c)["billboard"].update(n_sequences=-5), "n_sequences"),
        (lambda c: BILLBOARD(c).update(seeds=0), "seeds"),
        (lambda c: BILLBOARD(c)["training"].update(max_epoch=3), "max_epoch"),
        (
            lambda c: BILLBOARD(c)["evaluation"].update(reference_condition="nothing"),
            "reference_condition",
        ),
        (lambda c: BILLBOARD(c)["billboard"]["split"].update(train=0.9), "split"),
        (lambda c: BILLBOARD(c).update(models=["cnn_wide"]), "cnn_wide"),
        (lambda c: BILLBOARD(c)["figures"].update(method="deepshap_typo"), "deepshap_typo"),
    ],
)
def test_bad_config_stops_with_the_key_named(tmp_path, edit, message):
    config = load("config.yaml")
    edit(config)
    result = snakemake(workdir_with(tmp_path, config), "-n", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def SIMULATED(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["simulated"]["encode_binary"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: SIMULATED(c)["experiments"]["GATA2_simK562"].update(optimal_peaks="ENCFF12"),
            "ENCFF12",
        ),
        (
            lambda c: SIMULATED(c)["experiments"]["GATA2_simK562"].update(experiment="ENCFF900AAF"),
            "ENCFF900AAF",
        ),
        (lambda c: c["references"]["simGRCh38"].update(blacklist="ENCSR000BGQ"), "ENCSR000BGQ"),
        (lambda c: SIMULATED(c)["splits"].update(test=["chr9"]), "splits.test"),
        (lambda c: SIMULATED(c)["splits"].update(test=["chr2"]), "both valid and test"),
        (lambda c: SIMULATED(c).update(assembly="hg19"), "assembly"),
        (lambda c: c["encode"].update(base_url="ftp://x; rm -rf /"), "base_url"),
        (lambda c: c.pop("encode"), "config key encode"),
        (
            lambda c: c["datasets"]["simulated_regions"]["encode_regions"]["split"].update(
                train=0.9
            ),
            "encode_regions.split",
        ),
        (
            lambda c: c["datasets"]["simulated_regions"]["encode_regions"]["dnase"].update(
                peaks="ENCSR900AAG"
            ),
            "ENCSR900AAG",
        ),
    ],
)
def test_bad_genomic_config_stops_with_the_key_named(tmp_path, edit, message):
    config = load("simulated.yaml")
    edit(config)
    result = snakemake(workdir_with(tmp_path, config), "-n", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_paper_config_plans_every_job_quickly(tmp_path):
    config = load("paper.yaml")
    start = time.perf_counter()
    result = snakemake(workdir_with(tmp_path, config), "-n", "--quiet", "rules")
    seconds = time.perf_counter() - start
    datasets = config["datasets"]
    runs = {
        name: len(d["models"]) * len(d["conditions"]) * d["seeds"] for name, d in datasets.items()
    }
    genomic = {name: d["encode_binary"] for name, d in datasets.items() if "encode_binary" in d}
    simulated = {name: d for name, d in datasets.items() if name not in genomic}
    # The billboard benchmark: 4 models x 7 conditions x 30 seeds; the SPI1 GC series:
    # 5 datasets x 1 model x 2 conditions x 10 seeds; ENCODE SPI1 and GATA2: 5 conditions
    # x 30 seeds each.
    assert runs["billboard"] == 4 * 7 * 30
    assert sorted(genomic) == ["gata2_encode", "spi1_encode"]
    assert sum(runs.values()) == 4 * 7 * 30 + 5 * 2 * 10 + 2 * 5 * 30
    jobs = planned_jobs(result.stdout)
    assert jobs["train_model"] == sum(runs.values())
    for rule in ("attribute", "score_attributions"):
        assert jobs[rule] == sum(runs[name] for name in simulated), rule
    for rule in ("simulate_dataset", "attribution_inputs", "collect_scores", "tables"):
        assert jobs[rule] == len(simulated), rule
    n_figures = sum(len(d["models"]) for d in simulated.values())
    for figure in (
        "plot_metric_distributions",
        "plot_raw_vs_corrected",
        "plot_angle_histograms",
        "plot_logos",
    ):
        assert jobs[figure] == n_figures
    # Every download and labelling job of the ENCODE datasets: two peak files per
    # experiment, the three GRCh38 reference files, one genome array, labels per dataset.
    peak_files = {
        entry[role]
        for source in genomic.values()
        for entry in source["experiments"].values()
        for role in ("optimal_peaks", "relaxed_peaks")
    }
    assert jobs["download_encode_file"] == len(peak_files) == 14
    assert jobs["download_reference"] == 3 and jobs["encode_genome"] == 1
    for rule in ("binary_labels", "download_lock", "genomic_tables"):
        assert jobs[rule] == len(genomic), rule
    assert seconds < 20, f"dry run took {seconds:.1f} s"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = workdir_with(tmp_path_factory.mktemp("tiny"), load("test.yaml"))
    snakemake(workdir, "--cores", "2")
    return workdir


@pytest.mark.slow
def test_end_to_end_outputs(tiny_run):
    results = tiny_run / "results" / "billboard"
    for table in (
        "interpretability",
        "predictive",
        "angles",
        "tests_vs_reference",
        "tests_corrected_vs_raw",
    ):
        assert (results / "tables" / f"{table}.md").read_text().startswith("|")
        assert len(pd.read_csv(results / "tables" / f"{table}.tsv", sep="\t")) > 0
    for figure in ("metric_distributions", "raw_vs_corrected", "angle_histograms", "logos"):
        png = results / "figures" / "cnn_shallow_exp" / f"{figure}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sequences = pd.read_csv(results / "scores" / "sequences.tsv.gz", sep="\t")
    # 1 model x 2 conditions x 2 seeds x 6 methods x raw/corrected x 8 sequences.
    assert len(sequences) == 2 * 2 * 6 * 2 * 8
    spi1 = pd.read_csv(tiny_run / "results" / "spi1" / "scores" / "sequences.tsv.gz", sep="\t")
    # 1 model x 4 conditions x 1 seed x 2 methods x raw/corrected x 4 sequences.
    assert len(spi1) == 4 * 2 * 2 * 4
    assert set(spi1["condition"]) == {"none", "fourier_corrected", "angle", "fourier_auto"}
    auto_log = (
        tiny_run / "logs" / "spi1" / "train" / "tseng_binary" / "fourier_auto" / "seed0.log"
    ).read_text()
    assert "automatic prior weight" in auto_log
    assert (tiny_run / "results" / "spi1" / "figures" / "tseng_binary" / "logos.png").exists()
    assert sequences["cosine"].between(-1, 1).all()
    maps = np.load(results / "attributions" / "cnn_shallow_exp" / "fourier" / "seed0.npz")
    assert maps["deepshap"].shape == (8, 4, 200)
    # The correction removes the per-position mean.
    assert np.allclose(maps["saliency_corrected"].mean(axis=1), 0, atol=1e-6)
    history = pd.read_csv(
        results / "models" / "cnn_shallow_exp" / "fourier" / "seed0" / "history.tsv", sep="\t"
    )
    assert {"train_correctness", "train_prior", "valid_auroc"} <= set(history.columns)
    assert (history["train_prior"] > 0).all()
    log = (
        tiny_run / "logs" / "billboard" / "train" / "cnn_shallow_exp" / "fourier" / "seed0.log"
    ).read_text()
    assert "epoch   1" in log


@pytest.mark.slow
def test_end_to_end_seeds_differ_and_rerun_is_a_no_op(tiny_run):
    models = tiny_run / "results" / "billboard" / "attributions" / "cnn_shallow_exp" / "none"
    a, b = np.load(models / "seed0.npz"), np.load(models / "seed1.npz")
    assert not np.array_equal(a["saliency"], b["saliency"])
    result = snakemake(tiny_run, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.slow
def test_end_to_end_report(tiny_run):
    snakemake(tiny_run, "--report", "results/report.html")
    html = (tiny_run / "results" / "report.html").read_text()
    assert "logos.png" in html and "interpretability" in html


@pytest.mark.slow
def test_end_to_end_training_is_reproducible(tiny_run, tmp_path):
    # Retrain one model in a second working directory from the same config and seed.
    shutil.copytree(tiny_run / "config", tmp_path / "config")
    target = "results/billboard/attributions/cnn_shallow_exp/fourier/seed0.npz"
    snakemake(tmp_path, "--cores", "2", target)
    first, second = np.load(tiny_run / target), np.load(tmp_path / target)
    for key in first.files:
        assert np.array_equal(first[key], second[key]), key


@pytest.mark.slow
def test_adding_a_condition_trains_only_that_condition(tiny_run, tmp_path):
    work = tmp_path / "copy"
    shutil.copytree(tiny_run, work)  # keeps modification times and .snakemake metadata
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    config["datasets"]["billboard"]["conditions"]["l2"] = {"l2_weight": 0.001}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    jobs = planned_jobs(snakemake(work, "-n", "--quiet", "rules").stdout)
    assert "simulate_dataset" not in jobs and "attribution_inputs" not in jobs
    assert jobs["train_model"] == 2  # the new condition's two seeds, nothing else
    assert jobs["attribute"] == 2
