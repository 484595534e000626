"""The workflow as a whole: config validation, the paper-scale plan, and an end-to-end run
of the tiny configuration (config/test.yaml) that is then re-planned as up to date."""

import math
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from benchmark_scripts import load_benchmark
from snakemake_runner import ROOT, SNAKEMAKE, planned_jobs, snakemake, workdir_with
from workflow_configs import load


def BILLBOARD(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["billboard"]


def assert_dry_run_fails(tmp_path, config, message, *targets):
    """A dry run with ``config`` stops, and its output contains ``message``."""
    result = snakemake(workdir_with(tmp_path, config), "-n", *targets, check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


# Every config check is unit-tested on plain dicts (tests/test_workflow_parse.py and
# tests/test_workflow_checks.py); these dry runs show that the schema, the cross-key checks
# and the genomic sources' checks stop the workflow itself.
@pytest.mark.parametrize(
    ("config_name", "edit", "message"),
    [
        ("config.yaml", lambda c: c.update(bogus_key=1), "bogus_key"),
        (
            "config.yaml",
            lambda c: BILLBOARD(c)["evaluation"].update(reference_condition="nothing"),
            "reference_condition",
        ),
        (
            "simulated.yaml",
            lambda c: c["datasets"]["simulated"]["encode_binary"]["experiments"][
                "GATA2_simK562"
            ].update(optimal_peaks="ENCFF12"),
            "ENCFF12",
        ),
    ],
)
def test_bad_config_stops_the_dry_run_with_the_key_named(tmp_path, config_name, edit, message):
    config = load(config_name)
    edit(config)
    assert_dry_run_fails(tmp_path, config, message)


def test_attribution_batch_sizes_are_settings(tmp_path):
    config = load("config.yaml")
    methods = BILLBOARD(config)["attribution"]["methods"]
    for name in methods:
        if name != "grad_x_input":
            methods[name] = {**(methods[name] or {}), "batch_size": 64}
    result = snakemake(workdir_with(tmp_path, config), "-n", "--quiet", "rules")
    assert planned_jobs(result.stdout)["attribute"] > 0
    methods["deepshap"]["batch_size"] = 0
    assert_dry_run_fails(tmp_path, config, "batch_size")


def test_a_key_given_twice_stops_with_file_and_line(tmp_path):
    text = (ROOT / "config" / "config.yaml").read_text() + "\nresults: elsewhere\n"
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(text)
    result = snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0
    line = len(text.splitlines())
    assert (
        f"config/config.yaml, line {line}: config key 'results' is given twice"
        in result.stdout + result.stderr
    )


def test_a_paper_target_missing_from_the_config_says_which_key(tmp_path):
    config = load("test.yaml")
    del config["paper"]["fig5"]
    assert_dry_run_fails(tmp_path, config, "paper.fig5", "fig5")


def test_a_task_name_is_accepted_as_the_explained_output(tmp_path):
    config = load("simulated.yaml")
    config["datasets"]["simulated"]["attribution"]["explain"] = "GATA2_simK562"
    # The simulator's planted instances (an input of the attribution inputs), as a stand-in.
    truth = tmp_path / "resources/simgenome/truth/motif_instances.bed"
    truth.parent.mkdir(parents=True)
    truth.touch()
    target = "results/simulated/attributions/tseng_binary/none/seed0.npz"
    result = snakemake(workdir_with(tmp_path, config), "-n", target)
    assert "rule attribute:" in result.stdout


def test_profile_models_plan_training_on_profile_examples(tmp_path):
    config = load("simulated.yaml")
    runs = "results/{}/models/{}/{}/seed0/test_metrics.tsv"
    targets = [
        runs.format("simulated_profile", "tseng_profile", "fourier"),
        runs.format("simulated", "tseng_binary", "none"),
    ]
    result = snakemake(workdir_with(tmp_path, config), "-n", *targets)
    # Each planned job: its rule, inputs and wildcards (as the dry run prints them).
    jobs = [
        (block.group(1), block.group(2).split(", "), block.group(3))
        for block in re.finditer(
            r"rule (\w+):\n\s+input: ([^\n]*)\n(?:.*\n)*?\s+wildcards: ([^\n]*)",
            result.stdout,
        )
    ]
    training = {wildcards: inputs for rule, inputs, wildcards in jobs if rule == "train_model"}
    examples = "results/simulated_profile/data/profile_examples"
    none_model = "results/simulated_profile/models/tseng_profile/none/seed0/model.pt"
    profile = "dataset=simulated_profile, model=tseng_profile, condition={}, seed=0"
    # The profile model reads the profile examples (and, for weight auto, the no-prior
    # model of its seed); the binary model reads the window labels.
    assert training[profile.format("none")] == [examples]
    assert training[profile.format("fourier")] == [examples, none_model]
    binary = training["dataset=simulated, model=tseng_binary, condition=none, seed=0"]
    assert "results/simulated/data/labels.npz" in binary and examples not in binary
    jobs = planned_jobs(result.stdout)
    assert jobs["profile_examples"] == 1 and jobs["profile_tracks"] == 2 * 2
    assert jobs["train_model"] == 3


def planned_outputs(output):
    """Every output file of a dry run's jobs (its printed ``output:`` lines)."""
    files = set()
    for line in output.splitlines():
        if line.strip().startswith("output: "):
            files |= {path.strip() for path in line.strip()[len("output: ") :].split(",")}
    return files


def test_packed_seeds_plan_the_same_files(tmp_path):
    """pack_seeds changes which jobs train, not what they leave: every file of the
    unpacked plan is planned, plus the pack directories only."""
    config = load("test.yaml")
    plans = {}
    for pack_seeds in (1, 2):
        workdir = workdir_with(tmp_path / f"pack{pack_seeds}", {**config, "pack_seeds": pack_seeds})
        result = snakemake(workdir, "-n", "--cores", "1")
        plans[pack_seeds] = (planned_outputs(result.stdout), planned_jobs(result.stdout))
    (unpacked, unpacked_jobs), (packed, packed_jobs) = plans[1], plans[2]
    packs = packed - unpacked
    assert packs and all(re.search(r"/pack_seeds\d+-\d+$", path) for path in packs)
    assert packed - packs == unpacked
    assert "train_model_pack" not in unpacked_jobs
    assert packed_jobs["unpack_packed_seed"] == unpacked_jobs["train_model"]
    assert packed_jobs["unpack_ensemble_member"] == unpacked_jobs["train_ensemble_member"]
    # Every trained model is packed.
    assert "train_model" not in packed_jobs and "train_ensemble_member" not in packed_jobs
    assert packed_jobs["train_model_pack"] + packed_jobs["train_ensemble_pack"] == len(packs)


def test_paper_config_plans_every_job(tmp_path):
    config = load("paper.yaml")
    start = time.perf_counter()
    result = snakemake(workdir_with(tmp_path, config), "-n", "--quiet", "rules")
    seconds = time.perf_counter() - start
    datasets = config["datasets"]
    runs = {
        name: len(d["models"]) * len(d["conditions"]) * d["seeds"] for name, d in datasets.items()
    }
    genomic = {name: d["encode_binary"] for name, d in datasets.items() if "encode_binary" in d}
    regions = {name: d["encode_regions"] for name, d in datasets.items() if "encode_regions" in d}
    published = {name: d["published_h5"] for name, d in datasets.items() if "published_h5" in d}
    simulated = {
        name: d
        for name, d in datasets.items()
        if name not in genomic and name not in regions and name not in published
    }
    attributed = [name for name in genomic if "attribution" in datasets[name]]
    # Majdandzic et al.'s half: the authors' billboard draw with their 4 x 50 trained models
    # (imported, not trained); the GM12878 tasks built from ENCODE and their own task files,
    # all explained; ensembles of 4 models x 10 filter counts x 5 on the billboard and on
    # their task files.
    published_models = [m for m, entry in config["models"].items() if "published_weights" in entry]
    assert runs.pop("billboard_published") == len(published_models) * 50 == 4 * 50
    assert all(datasets[name].get("attribution") for name in [*regions, *published])
    ensembles = [name for name, d in datasets.items() if "ensemble" in d]
    assert sorted(ensembles) == sorted(["billboard", *published])
    # The billboard benchmark: 4 models x 7 conditions x 30 seeds; the SPI1 GC series:
    # 5 datasets x 1 model x 2 conditions x 10 seeds; the binary ENCODE and BPNet datasets:
    # 5 conditions + 2 on 1% of the data x 30 seeds each, and for SPI1 the smoothness and
    # sparsity priors with tuned weights (Section 8.2); their profile datasets:
    # 2 conditions + 2 on 1% of the data x 30 seeds each; Majdandzic et al.'s GM12878 tasks:
    # 8 TFs x 2 models x 3 conditions x 5 seeds.
    assert runs["billboard"] == 4 * 7 * 30
    assert sorted(genomic) == [
        "bpnet",
        "bpnet_profile",
        "gata2_encode",
        "gata2_encode_profile",
        "k562_dnase",
        "k562_dnase_profile",
        "spi1_encode",
        "spi1_encode_profile",
    ]
    assert sorted(attributed) == sorted(genomic)
    assert len(regions) == 8 and len(published) == 10
    # The 1% data runs (keep_positives) of every ENCODE and BPNet dataset, the pairs of
    # Table 2's "all vs 1% data" rows.
    keep = {
        name: sorted(c for c, entry in d["conditions"].items() if "keep_positives" in entry)
        for name, d in datasets.items()
    }
    assert all(keep[name] == ["fourier_keep1", "none_keep1"] for name in genomic)
    assert not any(keep[name] for name in [*regions, *published, *simulated])
    assert config["paper"]["table2"]["subsampled"] == {
        "none": "none_keep1",
        "fourier": "fourier_keep1",
    }
    profile = [name for name in genomic if datasets[name]["models"] == ["tseng_profile"]]
    binary = [name for name in genomic if name not in profile]
    assert sum(runs.values()) == (
        4 * 7 * 30
        + 5 * 2 * 10
        + len(binary) * (5 + 2) * 30
        + 2 * 30
        + len(profile) * (2 + 2) * 30
        + len(regions) * 4 * 3 * 5
        + len(published) * 4 * 1 * 5
    )
    jobs = planned_jobs(result.stdout)
    # Seeds trained in packs of 10 (pack_seeds), the profile models' too, each copied out
    # to train_model's outputs: no one-seed training job is left.
    assert config["pack_seeds"] == 10
    packs = {
        name: len(d["models"]) * len(d["conditions"]) * math.ceil(d["seeds"] / 10)
        for name, d in datasets.items()
        if name in runs
    }
    assert jobs["train_model_pack"] == sum(packs.values())
    assert jobs["unpack_packed_seed"] == sum(runs.values())
    assert "train_model" not in jobs
    assert jobs["import_published_model"] == jobs["download_published_weights"] == 200
    # benchmarks/cost_plan.py counts the same training jobs, packed and not.
    planned = load_benchmark("cost_plan").training_jobs(config, {}, 1.0, config["pack_seeds"])
    assert sum(group.packs for group in planned) == sum(
        jobs[rule] for rule in ("train_model_pack", "train_tuning_run", "train_ensemble_pack")
    )
    assert sum(group.runs for group in planned) == (
        jobs["unpack_packed_seed"] + jobs["train_tuning_run"] + jobs["unpack_ensemble_member"]
    )
    # Ensemble members of one filter count trained together: 5 per pack.
    assert jobs["unpack_ensemble_member"] == len(ensembles) * 4 * 50
    assert jobs["train_ensemble_pack"] == len(ensembles) * 4 * 10
    assert "train_ensemble_member" not in jobs
    assert jobs["attribute_ensemble_member"] == len(ensembles) * 4 * 50
    assert jobs["ensemble_difference"] == len(ensembles) * 4
    assert jobs["paper_fig_koo_ensemble"] == 1
    assert jobs["published_billboard"] == 1 and jobs["published_regions"] == len(published)
    # Each tuned weight: 4 grid weights x 3 tuning seeds, one choice per model.
    tuned = [
        entry["weight"]
        for entry in datasets["spi1_encode"]["conditions"].values()
        if isinstance(entry.get("weight"), dict)
    ]
    assert len(tuned) == 2
    assert jobs["train_tuning_run"] == sum(len(t["grid"]) * t["tuning_seeds"] for t in tuned)
    assert jobs["train_tuning_run"] == 2 * 4 * 3
    assert jobs["choose_weight"] == 2
    # Simulated datasets are scored against their ground truth; the attributed ENCODE and
    # BPNet binary and profile datasets on summits, peaks and (K562 DNase, BPNet) footprints.
    explained = [*simulated, *attributed, *regions, *published]
    for rule in ("attribute", "score_attributions"):  # the 200 published models too
        assert jobs[rule] == sum(runs.get(name, 0) for name in explained) + 200, rule
    for rule in ("attribution_inputs", "tables"):
        assert jobs[rule] == len(simulated), rule
    assert jobs["simulate_dataset"] == len(simulated) - 1  # billboard_published is read
    assert jobs["genomic_attribution_inputs"] == len(attributed)
    assert jobs["region_attribution_inputs"] == len(regions) + len(published)
    assert jobs["collect_scores"] == len(explained)
    for rule in ("paper_table2", "paper_table3", "paper_fig2"):
        assert jobs[rule] == 1, rule
    n_figures = sum(len(d["models"]) for d in simulated.values())
    for figure in ("plot_metric_distributions", "plot_raw_vs_corrected", "plot_logos"):
        assert jobs[figure] == n_figures
    # Angle histograms of every explained dataset without a ground truth too (fig1_koo).
    assert jobs["plot_angle_histograms"] == n_figures + 4 * (len(regions) + len(published))
    # Every download and labelling job of the ENCODE datasets: the peak files named by
    # accession (two per SPI1 and GATA2 experiment, shared by the binary and profile
    # datasets, and the 8 ChIP peak files of the GM12878 tasks), the three GRCh38 reference
    # files, one genome array, labels per dataset.
    peak_files = {
        entry[role]
        for source in genomic.values()
        for entry in source["experiments"].values()
        for role in ("optimal_peaks", "relaxed_peaks")
        if isinstance(entry.get(role), str)
    }
    peak_files |= {source["chip"]["peaks"] for source in regions.values()}
    assert jobs["download_encode_file"] == len(peak_files) == 2 * (4 + 3) + 8
    # Peaks by output type: the GM12878 DNase peaks, shared by the 8 tasks, and the K562
    # DNase peaks (k562_dnase, without relaxed peaks), each resolved from its experiment.
    assert {source["dnase"]["experiment"] for source in regions.values()} == {"ENCSR000EMT"}
    assert genomic["k562_dnase"]["experiments"] == {
        "DNase_K562": {"experiment": "ENCSR000EOT", "optimal_peaks": {"output_type": "peaks"}}
    }
    assert jobs["download_experiment_file"] == 1 + 1
    # Alignments by output type, one directory of replicate BAMs each: the 4 SPI1
    # experiments and their 4 named controls (each control's own files), the 3 GATA2
    # experiments and the first possible control of each (3, keyed by the experiment);
    # no BAM named by accession, so nothing for index_bam. One track per task and
    # signal/control; one set of profile examples per profile dataset.
    # The K562 DNase experiment's replicates make one more directory, its unstranded
    # signal and naked-DNA control two unstranded tracks; the control's reads (one ENA
    # run) are aligned once, to one bowtie2 index of GRCh38.
    assert jobs["download_experiment_alignments"] == (4 + 4) + (3 + 3) + 1
    assert "index_bam" not in jobs
    assert jobs["profile_tracks"] == 2 * (4 + 3)
    dnase_profile = genomic["k562_dnase_profile"]
    assert dnase_profile["profile"]["stranded"] is False
    assert dnase_profile["experiments"]["DNase_K562"]["control_alignments"] == {
        "fastq": ["naked_dnase_k562"]
    }
    assert jobs["profile_tracks_unstranded"] == 2
    assert jobs["bowtie2_index"] == 1 and jobs["align_reads"] == 1
    # BPNet data and footprints: two Zenodo archives, each member extracted once (the
    # binary and profile BPNet datasets share them); the BPNet bigWigs need no tracks.
    external = config["external"]
    assert {
        name: entry["zenodo"]["record"] for name, entry in external.items() if "zenodo" in entry
    } == {
        "bpnet_data": 3371216,
        "vierstra_footprints": 3603549,
        "koo_billboard_h5": 7011631,
        **{entry["file"]: 7011631 for entry in published.values()},
    }
    assert external["naked_dnase_k562"] == {"ena": {"run": "SRR1565781"}}
    assert jobs["download_external"] == 3 + 1 + len(published)
    assert jobs["extract_external_member"] == sum(
        len(e.get("members", {})) for e in external.values()
    )
    assert genomic["bpnet"]["footprints"] == [
        f"bpnet_data/{tf}_nexus_peaks.narrowPeak.gz" for tf in ("Nanog", "Oct4", "Sox2")
    ]
    assert len(genomic["k562_dnase"]["footprints"]) == 3
    assert len(genomic["k562_dnase_profile"]["footprints"]) == 3
    assert jobs["profile_examples"] == len(profile) == 4
    # Reference files of GRCh38 and mm10 (BPNet), one genome array each.
    assert jobs["download_reference"] == 3 + 3 and jobs["encode_genome"] == 2
    assert jobs["binary_labels"] == len(genomic) and jobs["task_regions"] == len(regions)
    for rule in ("download_lock", "genomic_tables"):
        assert jobs[rule] == len(genomic) + len(regions) + len(published) == 8 + 8 + 10, rule
    print(f"paper.yaml dry run: {seconds:.1f} s")  # a figure for notes, not a timed test


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
    # 1 model x 5 conditions x 1 seed x 2 methods x raw/corrected x 4 sequences.
    assert len(spi1) == 5 * 2 * 2 * 4
    assert set(spi1["condition"]) == {
        "none",
        "fourier_corrected",
        "angle",
        "fourier_auto",
        "smoothness_tuned",
    }
    # Section 8.2: the tuned condition trains at the grid weight of lowest validation loss,
    # chosen from runs on tuning seed 10000 (never seed 0, the run it is used for).
    tuned = tiny_run / "results" / "spi1" / "models" / "tseng_binary" / "smoothness_tuned"
    choice = pd.read_csv(tuned / "tuning" / "weight_choice.tsv", sep="\t")
    assert choice["weight"].tolist() == [0.001, 0.01]
    assert choice["chosen"].sum() == 1
    for index in (0, 1):
        history = pd.read_csv(
            tuned / "tuning" / f"weight{index}" / "seed10000" / "history.tsv", sep="\t"
        )
        assert history["valid_correctness"].notna().all()
    chosen = float(choice.loc[choice["chosen"], "weight"].iloc[0])
    assert chosen == choice.loc[choice["valid_loss_mean"].idxmin(), "weight"]
    import torch

    checkpoint = torch.load(tuned / "seed0" / "model.pt", weights_only=False)
    assert checkpoint["condition"] == {"prior": "smoothness", "weight": chosen}
    auto_log = (
        tiny_run / "logs" / "spi1" / "train" / "tseng_binary" / "fourier_auto" / "seed0.log"
    ).read_text()
    assert "automatic prior weight" in auto_log
    # Tseng et al.'s synthetic SPI1 protocol: fresh training batches; explained: fresh
    # positives (indices -1, -2, ...) with the motif centred and marked by a PWM scan.
    assert "training on fresh sequences" in auto_log
    spi1_inputs = np.load(tiny_run / "results" / "spi1" / "data" / "attribution_inputs.npz")
    np.testing.assert_array_equal(spi1_inputs["index"], [-1, -2, -3, -4])
    centre = slice(500 - 10, 500 + 10)
    assert spi1_inputs["mask_motif"][:, centre].any(axis=1).all()
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
    assert "scorecard.md" in html and "Reproduction scorecard" in html


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


@pytest.mark.slow
def test_end_to_end_paper_targets(tiny_run):
    paper = tiny_run / "results" / "paper"
    assert "| dataset" in (paper / "table1.md").read_text()
    table1 = pd.read_csv(paper / "table1.tsv", sep="\t")
    # billboard: 1 model x 2 conditions; spi1: 1 model x 5 conditions; 3 metrics each.
    assert len(table1) == (2 + 5) * 3
    assert (table1["best"] >= table1["mean"]).all()
    table2 = pd.read_csv(paper / "table2.tsv", sep="\t")
    assert set(table2["condition"]) == {"none", "fourier"}
    assert (table2["n_sequences"] == 8).all()  # the attributed test sequences
    assert table2["mean"].between(-200, 200).all()  # continuous Jaccard lies in [-L, L]
    fig4 = pd.read_csv(paper / "fig4.tsv", sep="\t")
    assert len(fig4) == 2 * 2 + 5  # billboard 2 conditions x 2 seeds, spi1 5 conditions
    fig5 = pd.read_csv(paper / "fig5.tsv", sep="\t")
    assert set(fig5["gc_excess"]) == {0.02} and fig5["metric"].eq("gc_reliance").all()
    for name in ("fig4.png", "fig5.png"):
        assert (paper / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The scorecard: one row per claim; the claims this configuration can test are measured
    # (2 seeds per condition: direction claims are underpowered, range claims are judged).
    from attrprior.claims import CLAIMS, VERDICTS

    card = pd.read_csv(paper / "scorecard.tsv", sep="\t").set_index("claim")
    assert list(card.index) == [claim.id for claim in CLAIMS]
    assert set(card["verdict"]) <= set(VERDICTS)
    assert card.loc["tseng_stability", "verdict"] == "underpowered"
    assert card.loc["tseng_stability", "n_seeds"] == 2
    for threshold in (30, 45, 60):
        assert card.loc[f"koo_angles_above_{threshold}", "verdict"] != "not run"
    assert card.loc["tseng_summit_distance", "verdict"] == "not run"  # no genomic dataset
    units = pd.read_csv(paper / "scorecard_units.tsv", sep="\t")
    assert set(units["dataset"]) <= {"billboard", "spi1"}
    assert "| verdict | claim |" in (paper / "scorecard.md").read_text()
    # The per-dataset targets stand beside the paper's values: Section 7's fraction in the
    # motif without the prior (0.218 ± 0.010), the angle ranges beside the no-prior models.
    simulation = pd.read_csv(paper / "table_simulation.tsv", sep="\t")
    row = simulation[
        (simulation["condition"] == "none") & (simulation["metric"] == "fraction_in_motif")
    ]
    assert list(row["paper_mean"]) == [0.218] and list(row["paper_sem"]) == [0.010]
    angles = pd.read_csv(paper / "fig1_koo.tsv", sep="\t").set_index(["condition", "metric"])
    assert angles.loc[("none", "above_30"), ["paper_range_low", "paper_range_high"]].tolist() == [
        0.2,
        0.4,
    ]
    assert np.isnan(angles.loc[("fourier", "above_30"), "paper_range_low"])
    assert 0 < angles.loc[("none", "above_30"), "mean"] < 1
    # TF-MoDISco ran on its own DeepSHAP maps of motifs.n_sequences positives.
    motif_inputs = np.load(tiny_run / "results" / "billboard" / "data" / "motif_inputs.npz")
    assert motif_inputs["x"].shape == (24, 4, 200)
    motif_maps = tiny_run / "results" / "billboard" / "motifs" / "cnn_shallow_exp" / "none"
    assert np.load(motif_maps / "attributions.npz")["deepshap"].shape == (24, 4, 200)
    assert (motif_maps / "logos.png").exists()
    fig3 = pd.read_csv(paper / "fig3.tsv", sep="\t")
    assert "planted" in fig3.columns  # whether a pattern's best match was planted
    # The positive control of TF-MoDISco and TOMTOM ran before it and found every motif.
    control = pd.read_csv(tiny_run / "results" / "motif_control.tsv", sep="\t")
    assert control["matrix_id"].tolist() == ["MA0080.4", "MA0036.2", "MA0139.1"]
    assert control["found"].all()
    # Every named target is up to date after `snakemake` (they are all in rule all).
    for target in (
        "table1",
        "table2",
        "table_simulation",
        "table_baselines",
        "fig1",
        "fig3",
        "fig4",
        "fig5",
        "fig1_koo",
        "fig2_koo",
        "fig_koo_ensemble",
        "paper",
        "scorecard",
    ):
        result = snakemake(tiny_run, "-n", target)
        assert "Nothing to be done" in result.stdout + result.stderr, target


@pytest.mark.slow
def test_end_to_end_ensemble_difference(tiny_run):
    """Majdandzic et al.'s ensemble difference: 2 filter counts x 2 models, each trained
    with its own first-layer width, explained on the attribution sequences, compared with
    the ensemble's average raw map and, here, with the ground truth."""
    ensemble = tiny_run / "results" / "billboard" / "ensemble" / "cnn_shallow_exp" / "none"
    for n_filters in (4, 6):
        for seed in (0, 1):
            member = ensemble / f"filters{n_filters}" / f"seed{seed}"
            state = torch.load(member / "model.pt", map_location="cpu", weights_only=False)
            first = next(v for k, v in state["state_dict"].items() if k.endswith("weight"))
            assert first.shape[:2] == (n_filters, 4)
            maps = np.load(member / "maps.npz")
            assert set(maps.files) == {"saliency", "saliency_corrected"}
            assert maps["saliency"].shape == (8, 4, 200)
    summary = pd.read_csv(ensemble / "summary.tsv", sep="\t").iloc[0]
    assert (summary["n_models"], summary["n_sequences"], summary["method"]) == (4, 8, "saliency")
    assert 0 <= summary["fraction_positions_closer"] <= 1
    assert np.isfinite(summary["cosine_average"]) and np.isfinite(summary["cosine_models"])
    members = pd.read_csv(ensemble / "members.tsv", sep="\t")
    assert members[["n_filters", "seed"]].values.tolist() == [[4, 0], [4, 1], [6, 0], [6, 1]]
    by_angle = pd.read_csv(ensemble / "by_angle.tsv", sep="\t")
    # Every position with a gradient (some of an untrained model's have none: no angle).
    assert len(by_angle) == 36 and 4 * 8 * 100 < by_angle["n_positions"].sum() <= 4 * 8 * 200
    paper = tiny_run / "results" / "paper"
    assert (paper / "fig_koo_ensemble.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(paper / "fig_koo_ensemble.tsv", sep="\t")
    assert table[["dataset", "model", "condition"]].values.tolist() == [
        ["billboard", "cnn_shallow_exp", "none"]
    ]
    assert "| dataset" in (paper / "fig_koo_ensemble.md").read_text()


@pytest.mark.slow
def test_redrawing_a_figure_trains_nothing(tiny_run, tmp_path):
    # A copy of the workflow code and of the finished run, so the edit stays in tmp_path.
    code = tmp_path / "code"
    code.mkdir()
    for part in ("Snakefile", "rules", "workflow", "src", "envs", "config"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, code / part, symlinks=True)
        else:
            shutil.copy2(source, code / part)
    work = tmp_path / "run"
    shutil.copytree(tiny_run, work)  # keeps modification times and .snakemake metadata
    for script in ("train_model.py", "paper_fig4.py"):
        with open(code / "workflow" / "scripts" / script, "a") as handle:
            handle.write("# edited\n")

    def plan(*args):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--snakefile",
                str(code / "Snakefile"),
                "--directory",
                str(work),
                *args,  # first: --forcerun and the target take several values
                "-n",
                "--quiet",
                "rules",
            ],
            capture_output=True,
            text=True,
            check=True,
            # The copy's own library (the workflow refuses another one).
            env={**os.environ, "PYTHONPATH": str(code / "src")},
        )
        return planned_jobs(result.stdout)

    # Snakemake's default triggers would retrain after the edit: the edit is seen ...
    assert plan("fig4").get("train_model", 0) > 0
    # ... and the documented redraw retrains nothing and redraws the figure.
    jobs = plan("fig4", "--forcerun", "paper_fig4", "--rerun-triggers", "mtime")
    assert jobs == {"paper_fig4": 1, "fig4": 1}


@pytest.mark.slow
def test_a_failing_script_writes_its_traceback_to_its_rule_log(tiny_run, tmp_path):
    work = tmp_path / "run"
    shutil.copytree(tiny_run, work)  # keeps modification times and .snakemake metadata
    inputs = work / "results" / "billboard" / "data" / "attribution_inputs.npz"
    stat = inputs.stat()
    inputs.write_bytes(inputs.read_bytes()[:100])  # truncated ...
    os.utime(inputs, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ... unseen by Snakemake
    figure = "results/billboard/figures/cnn_shallow_exp/logos.png"
    result = snakemake(work, "--cores", "1", "--forcerun", "plot_logos", "--", figure, check=False)
    assert result.returncode != 0
    log = (work / "logs" / "billboard" / "figures" / "cnn_shallow_exp" / "logos.log").read_text()
    assert "failed:\nTraceback (most recent call last):" in log
    assert "plot_logos.py" in log
    assert "attribution_inputs.npz: not a valid attribution inputs file" in log


@pytest.mark.slow
def test_switching_the_device_reruns_nothing(tiny_run):
    # The device is not a rule param: cpu -> auto (or cuda) changes no planned job.
    result = snakemake(tiny_run, "--config", "device=auto", "-n", "--quiet", "rules")
    assert planned_jobs(result.stdout) == {}, result.stdout


@pytest.mark.slow
def test_a_missing_model_is_rebuilt_by_a_plain_rerun(tiny_run, tmp_path):
    # A training killed under --forcerun: Snakemake deleted its model first, and the results
    # downstream of it still exist. A plain rerun retrains it (then redoes what follows).
    work = tmp_path / "run"
    shutil.copytree(tiny_run, work)  # keeps modification times and .snakemake metadata
    run = work / "results" / "billboard" / "models" / "cnn_shallow_exp" / "none" / "seed0"
    (run / "model.pt").unlink()
    jobs = planned_jobs(snakemake(work, "-n", "--quiet", "rules").stdout)
    assert jobs.get("train_model") == 1 and jobs.get("attribute", 0) >= 1, jobs


def test_a_cuda_device_without_cuda_is_a_parse_time_warning(tmp_path):
    config = load("config.yaml")
    config["device"] = "cuda"
    result = snakemake(workdir_with(tmp_path, config), "-n", "--quiet", "rules")
    if not torch.cuda.is_available():
        assert "Warning: config key device: 'cuda', but this process sees no CUDA" in (
            result.stderr
        )


def test_another_attrprior_in_the_environment_stops_the_run(tmp_path):
    fake = tmp_path / "site" / "attrprior"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    workdir = workdir_with(tmp_path / "work", load("test.yaml"))
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), "-n"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"the environment's attrprior ({fake})" in output
    assert f"is not this checkout's ({ROOT / 'src' / 'attrprior'})" in output


def _one_training_config(max_epochs):
    """test.yaml's billboard dataset alone, trained for ``max_epochs`` epochs."""
    config = load("test.yaml")
    config["datasets"] = {"billboard": config["datasets"]["billboard"]}
    config["datasets"]["billboard"]["training"].update(max_epochs=max_epochs, patience=max_epochs)
    config["paper"] = {}
    return config


@pytest.mark.slow
def test_a_training_killed_by_sigkill_resumes_where_it_stopped(tmp_path):
    import signal

    import torch

    run = "results/billboard/models/cnn_shallow_exp/fourier/seed0"
    whole = workdir_with(tmp_path / "whole", _one_training_config(6))
    snakemake(whole, "--cores", "1", f"{run}/model.pt")

    killed = workdir_with(tmp_path / "killed", _one_training_config(6))
    log = killed / "logs" / "billboard" / "train" / "cnn_shallow_exp" / "fourier" / "seed0.log"
    job = subprocess.Popen(
        [*SNAKEMAKE, "--directory", str(killed), "--cores", "1", f"{run}/model.pt"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 600
    while not (log.exists() and "epoch   2" in log.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    pids = subprocess.run(
        ["pgrep", "-f", f"{killed}/.snakemake/scripts/.*train_model.py"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert pids, "the training job was not found"
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    assert job.wait(timeout=120) != 0
    assert not (killed / run / "model.pt").exists()
    assert (killed / run / "training_state.pt").exists()

    snakemake(killed, "--cores", "1", f"{run}/model.pt")  # a plain rerun
    resumed = re.search(r"resumed from epoch (\d)", log.read_text())
    assert resumed and 2 <= int(resumed.group(1)) < 6
    assert not (killed / run / "training_state.pt").exists()
    ours = torch.load(killed / run / "model.pt", weights_only=True)["state_dict"]
    reference = torch.load(whole / run / "model.pt", weights_only=True)["state_dict"]
    for name, tensor in reference.items():
        assert torch.equal(tensor, ours[name]), name
    history = pd.read_csv(killed / run / "history.tsv", sep="\t").drop(columns="seconds")
    expected = pd.read_csv(whole / run / "history.tsv", sep="\t").drop(columns="seconds")
    pd.testing.assert_frame_equal(history, expected)
    assert (killed / run / "test_metrics.tsv").read_text() == (
        whole / run / "test_metrics.tsv"
    ).read_text()
