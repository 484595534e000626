"""attrprior.workflow.paths: every file of the workflow, from the config, on plain dicts
(the project's configs, validated as the workflow validates them)."""

from argparse import Namespace

import pytest
from workflow_configs import load, parsed

from attrprior.workflow.paths import seed_pack


def test_seed_pack_is_the_run_of_consecutive_seeds_holding_the_seed():
    assert seed_pack(7, n_seeds=10, pack_size=4) == (4, 7)
    assert seed_pack(9, n_seeds=10, pack_size=4) == (8, 9)  # the last pack is short
    assert seed_pack(0, n_seeds=1, pack_size=10) == (0, 0)
    with pytest.raises(ValueError, match="seed 10 is not one of the dataset's seeds 0 … 9"):
        seed_pack(10, n_seeds=10, pack_size=4)


@pytest.fixture(scope="module")
def genomic():
    return parsed(load("simulated.yaml"), in_main_process=False)


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


def test_a_relative_local_file_is_relative_to_the_config_file(tmp_path):
    config = load("config.yaml")
    config["external"] = {"mine": {"path": "data/mine.bed"}}
    with pytest.raises(ValueError, match="config key external.mine.path: 'data/mine.bed'"):
        parsed(config, tmp_path)
    (tmp_path / "config" / "data").mkdir(parents=True)
    (tmp_path / "config" / "data" / "mine.bed").write_text("chr1\t0\t1\n")
    paths = parsed(config, tmp_path)
    assert paths.local_files == {"mine": tmp_path / "config" / "data" / "mine.bed"}
