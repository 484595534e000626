"""attrprior.workflow.paths: every file of the workflow, from the config, on plain dicts
(the project's configs, validated as the workflow validates them)."""

import copy
from argparse import Namespace

import pytest
from workflow_configs import load, parsed, project_config

from attrprior.workflow.paths import Paths, seed_pack


def test_seed_pack_is_the_run_of_consecutive_seeds_holding_the_seed():
    assert seed_pack(7, n_seeds=10, pack_size=4) == (4, 7)
    assert seed_pack(9, n_seeds=10, pack_size=4) == (8, 9)  # the last pack is short
    assert seed_pack(0, n_seeds=1, pack_size=10) == (0, 0)
    with pytest.raises(ValueError, match="seed 10 is not one of the dataset's seeds 0 … 9"):
        seed_pack(10, n_seeds=10, pack_size=4)


@pytest.fixture(scope="module")
def genomic():
    return project_config("simulated.yaml")


@pytest.fixture(scope="module")
def tiny():
    """config/test.yaml: a billboard with motifs and an ensemble, a single_motif dataset."""
    return project_config("test.yaml")


@pytest.fixture(scope="module")
def paper():
    """config/paper.yaml: pack_seeds 10, published models, ensembles."""
    return project_config("paper.yaml")


def edited(paths, edit):
    """Paths of a copy of ``paths``' config changed by ``edit(config)`` (the fixture's own
    config is left as it is)."""
    config = copy.deepcopy(paths.config)
    edit(config)
    return Paths(config)


class Wildcards(Namespace):
    """Snakemake's wildcards: attributes, and items() as a named list has them."""

    def items(self):
        return vars(self).items()


def run(dataset, model="tseng_binary", condition="none", **more):
    return Wildcards(dataset=dataset, model=model, condition=condition, **more)


def test_datasets_are_sorted_by_kind(genomic):
    assert genomic.window_datasets == [
        "simulated",
        "simulated_profile",
        "simulated_bpnet",
        "simulated_dnase_profile",
    ]
    assert genomic.region_datasets == ["simulated_regions"]
    assert genomic.published_datasets == []
    assert genomic.simulated_datasets == []
    assert genomic.genomic_datasets == genomic.window_datasets + ["simulated_regions"]
    simulated = parsed(load("config.yaml"), in_main_process=False)
    assert simulated.simulated_datasets == ["billboard"] and simulated.genomic_datasets == []


def test_external_files_archives_and_reads_to_align(genomic):
    assert genomic.archives == ["footprints_simK562", "bpnet_simK562"]
    assert genomic.archive_members[:2] == ["DS00001.bed.gz", "DS00002.bed.gz"]
    assert genomic.fastq_to_align == ["naked_dnase_simK562"]
    assert genomic.external_bams == []
    assert genomic.external_path("naked") == "resources/external/naked"
    member = genomic.external_path("footprints_simK562/DS00001.bed.gz")
    assert member == "resources/external/footprints_simK562.members/DS00001.bed.gz"


def test_reference_files_downloaded_external_or_stood_in_for():
    config = load("simulated.yaml")
    paths = parsed(config, in_main_process=False)
    assert paths.reference_path("simGRCh38", "blacklist") == (
        "resources/simGRCh38/reference/blacklist.bed.gz"
    )
    reference = config["references"]["simGRCh38"]
    reference["fasta"] = {"external": "naked_dnase_simK562"}  # any plain external entry
    reference.pop("chrom_sizes")
    reference.pop("blacklist")
    paths = parsed(config, in_main_process=False)
    assert paths.reference_path("simGRCh38", "fasta") == "resources/external/naked_dnase_simK562"
    # Left out: read from the FASTA (rule fasta_chrom_sizes), an empty blacklist.
    assert paths.reference_path("simGRCh38", "chrom_sizes") == (
        "resources/simGRCh38/fasta.chrom.sizes"
    )
    assert paths.reference_path("simGRCh38", "blacklist") == "resources/simGRCh38/no_blacklist.bed"
    assert paths.recorded_reference_files("simGRCh38") == ["resources/external/naked_dnase_simK562"]


def test_task_alignments_by_accession_file_reads_or_output_type(genomic):
    entry = {"experiment": "ENCSR1", "control": "ENCSR2"}
    cases = [
        ({"alignments": ["ENCFF000AAA"]}, "alignments", ["resources/a/encode/ENCFF000AAA.bam"]),
        ({"alignments": {"bam": ["mine"]}}, "alignments", ["resources/external/mine"]),
        ({"alignments": {"fastq": ["reads"]}}, "alignments", ["resources/a/aligned/reads.bam"]),
        (
            {"alignments": {"output_type": "unfiltered alignments"}},
            "alignments",
            ["resources/a/experiments/ENCSR1/signal_unfiltered_alignments"],
        ),
        # A named control's own files (role signal); else the experiment's first control.
        (
            {"control_alignments": {"output_type": "alignments"}},
            "control_alignments",
            ["resources/a/experiments/ENCSR2/signal_alignments"],
        ),
    ]
    for value, key, expected in cases:
        assert genomic.task_alignments("a", {**entry, **value}, key) == expected
    no_control = {"experiment": "ENCSR1", "control_alignments": {"output_type": "alignments"}}
    assert genomic.task_alignments("a", no_control, "control_alignments") == [
        "resources/a/experiments/ENCSR1/control_alignments"
    ]


def test_downloaded_files_are_each_file_once(genomic):
    encode = "resources/simGRCh38/encode"
    peaks = ["AAF", "AAG", "AAJ", "AAK", "AAN", "AAO"]
    footprints = "resources/external/footprints_simK562"
    assert genomic.downloaded_files("simulated") == [
        "resources/simGRCh38/reference/genome.fasta.gz",
        "resources/simGRCh38/reference/chrom.sizes",
        "resources/simGRCh38/reference/blacklist.bed.gz",
        *[f"{encode}/ENCFF900{suffix}.bed.gz" for suffix in peaks],
        # The archive is recorded with its members (its md5 goes into the lock).
        footprints,
        f"{footprints}.members/DS00001.bed.gz",
        f"{footprints}.members/DS00002.bed.gz",
    ]


def test_training_data_by_dataset_kind(genomic):
    assert genomic.training_data(run("simulated_regions", "cnn_shallow_relu")) == {
        "regions": "results/simulated_regions/data/regions.npz"
    }
    assert genomic.training_data(run("simulated_profile", "tseng_profile")) == {
        "profile_examples": "results/simulated_profile/data/profile_examples"
    }
    assert genomic.training_data(run("simulated")) == {
        "genome": "resources/simGRCh38/genome.npy",
        "genome_index": "resources/simGRCh38/genome.json",
        "labels": "results/simulated/data/labels.npz",
        "peaks": [],
    }
    simulated = parsed(load("config.yaml"), in_main_process=False)
    assert simulated.training_data(run("billboard", "cnn_shallow_relu")) == {
        "dataset": "results/billboard/data/dataset.npz"
    }


def test_keep_positives_trains_on_the_tasks_optimal_peaks():
    config = load("simulated.yaml")
    config["datasets"]["simulated"]["conditions"]["kept"] = {"keep_positives": 0.5}
    paths = parsed(config, in_main_process=False)
    encode = "resources/simGRCh38/encode"
    assert paths.training_data(run("simulated", condition="kept"))["peaks"] == [
        f"{encode}/ENCFF900AAF.bed.gz",
        f"{encode}/ENCFF900AAJ.bed.gz",
        f"{encode}/ENCFF900AAN.bed.gz",
    ]


def test_tuning_runs_use_their_own_seeds():
    paths = parsed(load("test.yaml"), in_main_process=False)
    wildcards = run("spi1", condition="smoothness_tuned")
    assert paths.tuning_run_condition(Namespace(**vars(wildcards), weight_index="1")) == {
        "prior": "smoothness",
        "weight": 0.01,
    }
    assert paths.tuning_runs(wildcards, "{weight_index}:{weight}:{seed}") == [
        "0:0.001:10000",
        "1:0.01:10000",
    ]
    tuned = paths.tuning_run.format(**vars(wildcards), weight_index=1, seed=10000)
    assert tuned == "results/spi1/models/tseng_binary/smoothness_tuned/tuning/weight1/seed10000"


def test_runs_and_packs():
    config = load("config.yaml")
    config["pack_seeds"] = 2
    paths = parsed(config, in_main_process=False)
    runs = paths.run_outputs("{dataset}/{model}/{condition}/{seed}", "billboard")
    assert len(runs) == 2 * 5 * 2 and runs[:2] == [
        "billboard/cnn_shallow_relu/none/0",
        "billboard/cnn_shallow_relu/none/1",
    ]
    wildcards = run("billboard", "cnn_shallow_exp", seed="1")
    assert paths.packed_seed_source(wildcards) == (
        "results/billboard/models/cnn_shallow_exp/none/pack_seeds0-1"
    )
    assert paths.packed_models == ["cnn_shallow_relu", "cnn_shallow_exp"]
    assert paths.pack_seeds(Namespace(first="0", last="1")) == [0, 1]
    config["pack_seeds"] = 1
    assert parsed(config, in_main_process=False).packed_models == []


def test_every_trained_model_is_packed_profile_models_too(paper):
    assert paper.config["pack_seeds"] == 10
    assert "tseng_profile" in paper.packed_models
    assert paper.packed_models == paper.trained_models
    assert not set(paper.packed_models) & set(paper.published_models)


def test_a_relative_local_file_is_relative_to_the_config_file(tmp_path):
    config = load("config.yaml")
    config["external"] = {"mine": {"path": "data/mine.bed"}}
    with pytest.raises(ValueError, match="config key external.mine.path: 'data/mine.bed'"):
        parsed(config, tmp_path)
    (tmp_path / "config" / "data").mkdir(parents=True)
    (tmp_path / "config" / "data" / "mine.bed").write_text("chr1\t0\t1\n")
    paths = parsed(config, tmp_path)
    assert paths.local_files == {"mine": tmp_path / "config" / "data" / "mine.bed"}


# The train_model output the rules pass as a pattern (rules/train.smk).
MODEL = "results/{dataset}/models/{model}/{condition}/seed{seed}/model.pt"


def test_dataset_config_is_a_section_of_the_wildcards_dataset(tiny):
    billboard = run("billboard", "cnn_shallow_exp")
    assert tiny.dataset_config(billboard, "seeds") == 2
    assert tiny.dataset_config(run("spi1"), "seeds") == 1
    # test.yaml's ensemble, with the schema's defaults (method, angle_bin_width).
    assert tiny.dataset_config(billboard, "ensemble") == {
        "models": ["cnn_shallow_exp"],
        "n_filters": [4, 6],
        "models_per_filter": 2,
        "method": "saliency",
        "angle_bin_width": 5,
    }
    with pytest.raises(KeyError, match="ensemble"):
        tiny.dataset_config(run("spi1"), "ensemble")


def test_simulation_config_is_the_simulator_section_without_protocol_keys(tiny):
    assert tiny.simulation_config(run("spi1")) == {
        "single_motif": {
            "n_positives": 60,
            "n_negatives": 60,
            "length": 1000,
            "motif": "MA0080.4",
            "gc_prob": 0.5,
            "positive_gc_excess": 0.02,
            "central_flank": 100,
            "split": {"train": 0.7, "valid": 0.1, "test": 0.2},
            "jaspar_release": "JASPAR2016",
            "seed": 0,
        }
    }
    billboard = tiny.simulation_config(run("billboard", "cnn_shallow_exp"))
    assert list(billboard) == ["billboard"]
    assert billboard["billboard"]["n_sequences"] == 400
    assert billboard["billboard"]["core_motifs"][0] == "MA0079.3"

    # Training, evaluation and conditions leave the simulation as it is; its own keys do not.
    def protocol(config):
        spi1 = config["datasets"]["spi1"]
        spi1["single_motif"]["fresh_training_batches"] = False
        spi1["single_motif"]["evaluation"] = {"sequences": "test", "motif_mask": "planted"}
        spi1["conditions"] = {"none": {}}
        spi1["training"]["max_epochs"] = 50

    unchanged = edited(tiny, protocol).simulation_config(run("spi1"))
    assert unchanged == tiny.simulation_config(run("spi1"))
    reseeded = edited(tiny, lambda c: c["datasets"]["spi1"]["single_motif"].update(seed=7))
    assert reseeded.simulation_config(run("spi1"))["single_motif"]["seed"] == 7


def test_single_motif_settings_drop_only_the_keys_asked(tiny):
    full = tiny.single_motif_settings(run("spi1"))
    assert full["fresh_training_batches"] is True
    # test.yaml's evaluation, with the schema's pwm_threshold default.
    assert full["evaluation"] == {
        "sequences": "fresh",
        "motif_mask": "pwm_scan",
        "pwm_threshold": 0.9,
    }
    training = tiny.single_motif_settings(run("spi1"), drop=("evaluation",))
    assert set(full) - set(training) == {"evaluation"}
    assert training["fresh_training_batches"] is True
    assert training["positive_gc_excess"] == 0.02
    assert tiny.single_motif_settings(run("billboard", "cnn_shallow_exp")) is None


def test_reference_run_is_the_same_seed_under_the_reference_condition(tiny):
    wildcards = run("spi1", condition="fourier_auto", seed="0")
    assert tiny.reference_run(wildcards, MODEL) == (
        "results/spi1/models/tseng_binary/none/seed0/model.pt"
    )
    other = edited(
        tiny, lambda c: c["datasets"]["spi1"]["evaluation"].update(reference_condition="angle")
    )
    assert other.reference_run(wildcards, MODEL) == (
        "results/spi1/models/tseng_binary/angle/seed0/model.pt"
    )


def test_pack_directory_is_the_pack_of_pack_seeds_holding_the_seed(paper):
    # paper.yaml: pack_seeds 10.
    wildcards = run("billboard", "cnn_deep_exp", "fourier", seed="23")
    runs = "results/billboard/models/cnn_deep_exp/fourier"
    assert paper.pack_directory(wildcards, paper.pack, 30) == f"{runs}/pack_seeds20-29"
    assert paper.pack_directory(wildcards, paper.pack, 25) == f"{runs}/pack_seeds20-24"
    # Every wildcard of the pattern is filled (an ensemble's filter count too).
    member = run("billboard", "cnn_deep_exp", n_filters="14", seed="3")
    assert paper.pack_directory(member, paper.ensemble_pack, 5) == (
        "results/billboard/ensemble/cnn_deep_exp/none/filters14/pack_seeds0-4"
    )
    with pytest.raises(ValueError, match="seed 30 is not one of the dataset's seeds 0 … 29"):
        paper.pack_directory(run("billboard", seed="30"), paper.pack, 30)


def test_inputs_size_by_purpose(tiny, genomic):
    # test.yaml's billboard: attribution.n_sequences 8, motifs.n_sequences 24.
    assert tiny.inputs_size(run("billboard", purpose="attribution")) == 8
    assert tiny.inputs_size(run("billboard", purpose="motif")) == 24
    assert genomic.inputs_size(run("simulated", purpose="attribution")) == 100


def test_motif_maps_are_their_own_or_the_motif_seeds_attributions(tiny, genomic):
    # test.yaml's billboard sets motifs.n_sequences: its own inputs (rule attribution_inputs,
    # purpose motif); simulated.yaml's simulated does not: the attribution inputs and the
    # attribution maps of motifs.seed (rule attribute).
    billboard = run("billboard", "cnn_shallow_exp", "fourier")
    assert tiny.motif_own_inputs(billboard) is True
    assert tiny.motif_inputs(billboard) == "results/billboard/data/motif_inputs.npz"
    simulated = run("simulated", condition="fourier")
    assert genomic.motif_own_inputs(simulated) is False
    assert genomic.motif_inputs(simulated) == "results/simulated/data/attribution_inputs.npz"
    assert genomic.motif_seed_attributions(simulated) == (
        "results/simulated/attributions/tseng_binary/fourier/seed0.npz"
    )
    seed1 = edited(genomic, lambda c: c["datasets"]["simulated"]["motifs"].update(seed=1))
    assert seed1.motif_seed_attributions(simulated) == (
        "results/simulated/attributions/tseng_binary/fourier/seed1.npz"
    )


def test_motif_attribution_settings_keep_the_motifs_method_only(tiny):
    settings = tiny.motif_attribution_settings(run("billboard", "cnn_shallow_exp"))
    # test.yaml's billboard attribution (explain: the schema's default), deepshap only.
    assert settings == {
        "n_sequences": 8,
        "n_shuffles": 3,
        "seed": 0,
        "explain": "sum",
        "methods": {"deepshap": {}},
    }
    assert len(tiny.config["datasets"]["billboard"]["attribution"]["methods"]) == 6


def test_ensemble_method_and_its_attribution_settings(tiny):
    billboard = run("billboard", "cnn_shallow_exp")
    # test.yaml names no method: the schema's default, saliency.
    assert tiny.ensemble_method(billboard) == "saliency"
    assert tiny.ensemble_attribution(billboard) == {
        "n_sequences": 8,
        "n_shuffles": 3,
        "seed": 0,
        "explain": "sum",
        "methods": {"saliency": {}},
    }
    assert len(tiny.config["datasets"]["billboard"]["attribution"]["methods"]) == 6
    named = edited(
        tiny,
        lambda c: c["datasets"]["billboard"]["ensemble"].update(method="integrated_gradients"),
    )
    assert named.ensemble_method(billboard) == "integrated_gradients"
    assert named.ensemble_attribution(billboard)["methods"] == {
        "integrated_gradients": {"steps": 5}
    }
    # A config not filled in by the schema: saliency still.
    unset = edited(tiny, lambda c: c["datasets"]["billboard"]["ensemble"].pop("method"))
    assert unset.ensemble_method(billboard) == "saliency"


def test_ensemble_members_and_their_files(tiny):
    # test.yaml: n_filters [4, 6], models_per_filter 2.
    assert tiny.ensemble_members("billboard") == [(4, 0), (4, 1), (6, 0), (6, 1)]
    ensemble = "results/billboard/ensemble/cnn_shallow_exp/none"
    assert tiny.ensemble_member_files(run("billboard", "cnn_shallow_exp"), "maps.npz") == [
        f"{ensemble}/filters4/seed0/maps.npz",
        f"{ensemble}/filters4/seed1/maps.npz",
        f"{ensemble}/filters6/seed0/maps.npz",
        f"{ensemble}/filters6/seed1/maps.npz",
    ]


def test_packed_ensemble_members_come_from_their_pack(paper):
    # paper.yaml: models_per_filter 5, pack_seeds 10: one pack of seeds 0-4 per filter count.
    member = run("koo_published_ctcf", "cnn_shallow_exp", n_filters="30", seed="4")
    assert paper.packed_member_source(member) == (
        "results/koo_published_ctcf/ensemble/cnn_shallow_exp/none/filters30/pack_seeds0-4"
    )
    with pytest.raises(ValueError, match="seed 5 is not one of the dataset's seeds 0 … 4"):
        paper.packed_member_source(run("billboard", "cnn_deep_exp", n_filters="12", seed="5"))
    threes = edited(paper, lambda c: c.update(pack_seeds=3))
    assert threes.packed_member_source(member) == (
        "results/koo_published_ctcf/ensemble/cnn_shallow_exp/none/filters30/pack_seeds3-4"
    )


def test_published_weights_from_github(paper):
    # paper.yaml's cnn_deep_exp_published: p-koo/GradientCorrection at e5d4abe,
    # results/synthetic/model_params/cnn_deep_exponential_{seed}.h5; md5 and size of seed 7
    # from src/attrprior/genomics/published_weights.tsv.
    commit = "e5d4abe0cbb3d6a6996dc4ca9bfb2c7b9cae3b19"
    path = "results/synthetic/model_params/cnn_deep_exponential_7.h5"
    assert paper.published_weights_file("cnn_deep_exp_published", "7") == (
        "resources/published_weights/cnn_deep_exp_published/seed7.h5"
    )
    assert paper.published_weights_download("cnn_deep_exp_published", 7) == {
        "repository": "p-koo/GradientCorrection",
        "commit": commit,
        "path": path,
        "md5": "d8ea241dc497d472ec7be3aec103d6a6",
        "size": 264768,
    }
    assert paper.published_weights_source("cnn_deep_exp_published", "7") == (
        f"p-koo/GradientCorrection@{commit}:{path}"
    )
    with pytest.raises(KeyError, match="no published weights file .*cnn_deep_exponential_50"):
        paper.published_weights_download("cnn_deep_exp_published", 50)


def test_published_weights_from_a_local_file(tmp_path):
    config = load("config.yaml")
    config["models"]["mine"] = {
        "architecture": "cnn_shallow",
        "activation": "relu",
        "published_weights": "weights/mine_{seed}.h5",
    }
    config["models"]["theirs"] = {
        "architecture": "cnn_deep",
        "activation": "relu",
        "published_weights": "/data/theirs/seed_{seed}.h5",
    }
    # Relative to the config file (tmp_path/config/config.yaml); absolute as given.
    paths = parsed(config, tmp_path, in_main_process=False)
    mine = str(tmp_path / "config" / "weights" / "mine_3.h5")
    assert paths.published_weights_file("mine", "3") == mine
    assert paths.published_weights_source("mine", "3") == mine
    assert paths.published_weights_file("theirs", 12) == "/data/theirs/seed_12.h5"
    assert paths.published_weights_source("theirs", 12) == "/data/theirs/seed_12.h5"
