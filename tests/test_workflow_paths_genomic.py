"""attrprior.workflow.paths, genomic datasets: the downloads (ENCODE files, archive members),
peaks, alignments and their indexes, bigWig tracks, the inputs of the rules that build
labels, regions, profile examples and attribution inputs; on the project's configs
(config/simulated.yaml: windows, profiles from BAMs, from bigWigs and from reads to align,
regions; config/own_data_example.yaml: local BAMs)."""

import pytest
from test_workflow_paths import Wildcards, edited, run
from workflow_configs import parsed_file, project_config

from attrprior.genomics.alignment import bowtie2_index_files

ENCODE = "resources/simGRCh38/encode"
EXPERIMENTS = "resources/simGRCh38/experiments"
BPNET = "resources/external/bpnet_simK562.members"
FOOTPRINTS = "resources/external/footprints_simK562.members"
GENOME = {
    "genome": "resources/simGRCh38/genome.npy",
    "genome_index": "resources/simGRCh38/genome.json",
}


@pytest.fixture(scope="module")
def genomic():
    return project_config("simulated.yaml")


@pytest.fixture(scope="module")
def own_data():
    """config/own_data_example.yaml, read from its file (its local paths are relative to it)."""
    return parsed_file("own_data_example.yaml")


def experiments(paths, dataset):
    return paths.config["datasets"][dataset]["encode_binary"]["experiments"]


def track(dataset, task, name):
    """The wildcards of rule profile_tracks."""
    return Wildcards(dataset=dataset, task=task, track=name)


def test_genomic_and_region_sources_are_their_sections(genomic):
    source = genomic.genomic_source("simulated")
    assert source["assembly"] == "simGRCh38"
    assert list(source["experiments"]) == ["SPI1_simGM12878", "SPI1_simK562", "GATA2_simK562"]
    assert genomic.region_source("simulated_regions") == {
        "assembly": "simGRCh38",
        "chip": {"experiment": "ENCSR900AAE", "peaks": "ENCFF900AAJ"},
        "dnase": {"experiment": "ENCSR900AAG", "output_type": "peaks"},
        "width": 200,
        "split": {"train": 0.7, "valid": 0.1, "test": 0.2},
        "seed": 0,
    }
    with pytest.raises(KeyError, match="encode_binary"):
        genomic.genomic_source("simulated_regions")
    with pytest.raises(KeyError, match="encode_regions"):
        genomic.region_source("simulated")


def test_genome_array_and_encode_files_are_under_downloads(genomic):
    # Rule encode_genome's outputs; rule download_encode_file's (bed.gz or bam).
    assert genomic.genome_array("simGRCh38") == GENOME
    assert genomic.encode_path("simGRCh38", "ENCFF900AAF", "bed.gz") == (
        f"{ENCODE}/ENCFF900AAF.bed.gz"
    )
    assert genomic.encode_path("GRCh38", "ENCFF000AAA", "bam") == (
        "resources/GRCh38/encode/ENCFF000AAA.bam"
    )
    elsewhere = edited(genomic, lambda c: c.update(downloads="/scratch/dl"))
    assert elsewhere.genome_array("mm10") == {
        "genome": "/scratch/dl/mm10/genome.npy",
        "genome_index": "/scratch/dl/mm10/genome.json",
    }
    assert elsewhere.encode_path("mm10", "ENCFF547MET", "bed.gz") == (
        "/scratch/dl/mm10/encode/ENCFF547MET.bed.gz"
    )


def test_archive_member_pattern_or_an_error_naming_the_key(genomic):
    assert genomic.archive_member_pattern("footprints_simK562", "DS00002.bed.gz") == (
        "*h.simK562-DS00002*.bed.gz"
    )
    assert genomic.archive_member_pattern("bpnet_simK562", "control_neg.bw") == (
        "*chip-seq/input-control/counts.neg.bw"
    )
    # A member of another archive (the rule's wildcard constraints let it through).
    with pytest.raises(
        ValueError, match=r"config key external\.bpnet_simK562\.members: no member 'DS00001"
    ):
        genomic.archive_member_pattern("bpnet_simK562", "DS00001.bed.gz")


def test_task_peaks_by_accession_external_or_output_type(genomic):
    gm12878 = experiments(genomic, "simulated")["SPI1_simGM12878"]
    assert genomic.task_peaks("simGRCh38", gm12878, "optimal_peaks") == (
        f"{ENCODE}/ENCFF900AAF.bed.gz"
    )
    assert genomic.task_peaks("simGRCh38", gm12878, "relaxed_peaks") == (
        f"{ENCODE}/ENCFF900AAG.bed.gz"
    )
    spi1 = experiments(genomic, "simulated_bpnet")["SPI1"]
    assert genomic.task_peaks("simGRCh38", spi1, "optimal_peaks") == (
        f"{BPNET}/SPI1_peaks.narrowPeak.gz"
    )
    # By output type: rule download_experiment_file's file of the task's experiment.
    dnase = experiments(genomic, "simulated_dnase_profile")["DNase_simK562"]
    assert genomic.task_peaks("simGRCh38", dnase, "optimal_peaks") == (
        f"{EXPERIMENTS}/ENCSR900AAG/peaks.bed.gz"
    )
    replicated = {"experiment": "ENCSR1", "optimal_peaks": {"output_type": "replicated peaks"}}
    assert genomic.task_peaks("a", replicated, "optimal_peaks") == (
        "resources/a/experiments/ENCSR1/replicated_peaks.bed.gz"
    )


def test_peak_files_are_in_task_order_and_skip_tasks_without_them(genomic):
    assert genomic.peak_files(run("simulated"), "optimal_peaks") == [
        f"{ENCODE}/ENCFF900AAF.bed.gz",
        f"{ENCODE}/ENCFF900AAJ.bed.gz",
        f"{ENCODE}/ENCFF900AAN.bed.gz",
    ]
    assert genomic.peak_files(run("simulated"), "relaxed_peaks") == [
        f"{ENCODE}/ENCFF900AAG.bed.gz",
        f"{ENCODE}/ENCFF900AAK.bed.gz",
        f"{ENCODE}/ENCFF900AAO.bed.gz",
    ]
    assert genomic.peak_files(run("simulated_bpnet"), "optimal_peaks") == [
        f"{BPNET}/SPI1_peaks.narrowPeak.gz",
        f"{BPNET}/GATA2_peaks.narrowPeak.gz",
    ]
    assert genomic.peak_files(run("simulated_dnase_profile"), "relaxed_peaks") == []

    def drop_relaxed(config):
        config["datasets"]["simulated"]["encode_binary"]["experiments"]["SPI1_simK562"].pop(
            "relaxed_peaks"
        )

    assert edited(genomic, drop_relaxed).peak_files(run("simulated"), "relaxed_peaks") == [
        f"{ENCODE}/ENCFF900AAG.bed.gz",
        f"{ENCODE}/ENCFF900AAO.bed.gz",
    ]


def test_experiment_alignments_dir_is_where_the_replicates_bams_are_downloaded(genomic):
    # Rule download_experiment_alignments: <assembly>/experiments/<ENCSR>/<role>_<type>.
    assert genomic.experiment_alignments_dir(
        "GRCh38", "ENCSR000EWG", "control", "unfiltered alignments"
    ) == ("resources/GRCh38/experiments/ENCSR000EWG/control_unfiltered_alignments")
    assert genomic.experiment_alignments_dir(
        "simGRCh38", "ENCSR900AAE", "signal", "alignments"
    ) == (f"{EXPERIMENTS}/ENCSR900AAE/signal_alignments")


def test_reads_are_aligned_with_the_assemblys_bowtie2_index(genomic):
    # Rules bowtie2_index and align_reads.
    assert genomic.aligned_bam("simGRCh38", "naked_dnase_simK562") == (
        "resources/simGRCh38/aligned/naked_dnase_simK562.bam"
    )
    prefix = "resources/simGRCh38/bowtie2/genome"
    assert genomic.bowtie2_prefix("simGRCh38") == prefix
    files = genomic.bowtie2_index_files("simGRCh38")
    assert files == [
        f"{prefix}.1.bt2",
        f"{prefix}.2.bt2",
        f"{prefix}.3.bt2",
        f"{prefix}.4.bt2",
        f"{prefix}.rev.1.bt2",
        f"{prefix}.rev.2.bt2",
    ]
    # The files the job's bowtie2-build writes for that prefix.
    assert files == [str(path) for path in bowtie2_index_files(prefix)]
    # As rule bowtie2_index's output pattern.
    pattern = genomic.bowtie2_index_files("{assembly}")
    assert pattern[0] == "resources/{assembly}/bowtie2/genome.1.bt2"


def test_alignment_files_and_their_indexes_per_task_and_track(genomic, own_data):
    # By accession: rule index_bam indexes each.
    signal = track("simulated_profile", "SPI1_simGM12878", "signal")
    bams = [f"{ENCODE}/ENCFF900AAD.bam", f"{ENCODE}/ENCFF900AAE.bam"]
    assert genomic.alignment_files(signal) == bams
    assert genomic.alignment_indexes(signal) == [f"{bam}.bai" for bam in bams]
    control = track("simulated_profile", "SPI1_simGM12878", "control")
    assert genomic.alignment_files(control) == [f"{ENCODE}/ENCFF900AAB.bam"]
    assert genomic.alignment_indexes(control) == [f"{ENCODE}/ENCFF900AAB.bam.bai"]
    # By output type: a directory that holds its own indexes; the named control's files.
    k562 = track("simulated_profile", "SPI1_simK562", "signal")
    assert genomic.alignment_files(k562) == [
        f"{EXPERIMENTS}/ENCSR900AAE/signal_unfiltered_alignments"
    ]
    assert genomic.alignment_indexes(k562) == []
    k562_control = track("simulated_profile", "SPI1_simK562", "control")
    assert genomic.alignment_files(k562_control) == [
        f"{EXPERIMENTS}/ENCSR900AAC/signal_unfiltered_alignments"
    ]
    # Reads to align: rule align_reads writes the BAM and its index.
    reads = track("simulated_dnase_profile", "DNase_simK562", "control")
    aligned = "resources/simGRCh38/aligned/naked_dnase_simK562.bam"
    assert genomic.alignment_files(reads) == [aligned]
    assert genomic.alignment_indexes(reads) == [f"{aligned}.bai"]
    # External BAMs (no .bam suffix): rule index_external_bam indexes them beside the link.
    local = track("own_ctcf_profile", "CTCF", "signal")
    assert own_data.alignment_files(local) == ["resources/external/ctcf_chip_bam"]
    assert own_data.alignment_indexes(local) == ["resources/external/ctcf_chip_bam.bai"]
    local_control = track("own_ctcf_profile", "CTCF", "control")
    assert own_data.alignment_indexes(local_control) == ["resources/external/ctcf_control_bam.bai"]


def test_profile_tasks_are_those_with_read_tracks(genomic):
    assert genomic.profile_tasks("simulated") == []
    assert genomic.profile_tasks("simulated_profile") == ["SPI1_simGM12878", "SPI1_simK562"]
    assert genomic.profile_tasks("simulated_bpnet") == ["SPI1", "GATA2"]
    assert genomic.profile_tasks("simulated_dnase_profile") == ["DNase_simK562"]


def test_task_bigwigs_are_external_or_built_from_alignments(genomic):
    assert genomic.task_bigwigs("simulated_bpnet", "SPI1", "signal") == [
        f"{BPNET}/SPI1_pos.bw",
        f"{BPNET}/SPI1_neg.bw",
    ]
    assert genomic.task_bigwigs("simulated_bpnet", "GATA2", "control") == [
        f"{BPNET}/control_pos.bw",
        f"{BPNET}/control_neg.bw",
    ]
    # Rule profile_tracks (stranded) and profile_tracks_unstranded.
    tracks = "results/simulated_profile/data/tracks"
    assert genomic.task_bigwigs("simulated_profile", "SPI1_simK562", "control") == [
        f"{tracks}/SPI1_simK562.control.pos.bigWig",
        f"{tracks}/SPI1_simK562.control.neg.bigWig",
    ]
    assert genomic.task_bigwigs("simulated_dnase_profile", "DNase_simK562", "signal") == [
        "results/simulated_dnase_profile/data/tracks/DNase_simK562.signal.unstranded.bigWig"
    ]


def test_track_outputs_are_the_bigwigs_built_from_alignments(genomic):
    tracks = "results/simulated_profile/data/tracks"
    assert genomic.track_outputs("simulated_profile") == [
        f"{tracks}/{task}.{name}.{strand}.bigWig"
        for task in ("SPI1_simGM12878", "SPI1_simK562")
        for name in ("signal", "control")
        for strand in ("pos", "neg")
    ]
    assert genomic.track_outputs("simulated_dnase_profile") == [
        "results/simulated_dnase_profile/data/tracks/DNase_simK562.signal.unstranded.bigWig",
        "results/simulated_dnase_profile/data/tracks/DNase_simK562.control.unstranded.bigWig",
    ]
    # External bigWigs, or no reads: nothing to build.
    assert genomic.track_outputs("simulated_bpnet") == []
    assert genomic.track_outputs("simulated") == []

    def no_control(config):
        entry = config["datasets"]["simulated_profile"]["encode_binary"]["experiments"]
        entry["SPI1_simK562"].pop("control_alignments")

    outputs = edited(genomic, no_control).track_outputs("simulated_profile")
    assert len(outputs) == 6
    assert f"{tracks}/SPI1_simK562.signal.neg.bigWig" in outputs
    assert f"{tracks}/SPI1_simK562.control.pos.bigWig" not in outputs


def test_profile_inputs_per_task_with_or_without_controls(genomic):
    assert genomic.profile_inputs(run("simulated_bpnet", "tseng_profile")) == {
        **GENOME,
        "peaks": [f"{BPNET}/SPI1_peaks.narrowPeak.gz", f"{BPNET}/GATA2_peaks.narrowPeak.gz"],
        "signal": [
            f"{BPNET}/SPI1_pos.bw",
            f"{BPNET}/SPI1_neg.bw",
            f"{BPNET}/GATA2_pos.bw",
            f"{BPNET}/GATA2_neg.bw",
        ],
        # The shared control, once per task.
        "control": [f"{BPNET}/control_{strand}.bw" for _ in range(2) for strand in ("pos", "neg")],
    }
    tracks = "results/simulated_dnase_profile/data/tracks"
    assert genomic.profile_inputs(run("simulated_dnase_profile", "tseng_profile")) == {
        **GENOME,
        "peaks": [f"{EXPERIMENTS}/ENCSR900AAG/peaks.bed.gz"],
        "signal": [f"{tracks}/DNase_simK562.signal.unstranded.bigWig"],
        "control": [f"{tracks}/DNase_simK562.control.unstranded.bigWig"],
    }

    # Without controls, and with a task that has no reads (not a profile task).
    def change(config):
        bpnet = config["datasets"]["simulated_bpnet"]["encode_binary"]["experiments"]
        for entry in bpnet.values():
            entry.pop("control_signal")
        bpnet["GATA2"].pop("signal")

    inputs = edited(genomic, change).profile_inputs(run("simulated_bpnet", "tseng_profile"))
    assert inputs["peaks"] == [f"{BPNET}/SPI1_peaks.narrowPeak.gz"]
    assert inputs["signal"] == [f"{BPNET}/SPI1_pos.bw", f"{BPNET}/SPI1_neg.bw"]
    assert inputs["control"] == []


def test_region_inputs_peaks_by_accession_or_output_type(genomic):
    chip = {"experiment": "ENCSR900AAE", "peaks": "ENCFF900AAJ"}
    assert genomic.peak_source_path("simGRCh38", chip) == f"{ENCODE}/ENCFF900AAJ.bed.gz"
    dnase = {"experiment": "ENCSR000EMT", "output_type": "replicated peaks"}
    assert genomic.peak_source_path("GRCh38", dnase) == (
        "resources/GRCh38/experiments/ENCSR000EMT/replicated_peaks.bed.gz"
    )
    assert genomic.region_inputs(run("simulated_regions", "cnn_shallow_relu")) == {
        "chrom_sizes": "resources/simGRCh38/reference/chrom.sizes",
        "blacklist": "resources/simGRCh38/reference/blacklist.bed.gz",
        "chip": f"{ENCODE}/ENCFF900AAJ.bed.gz",
        "dnase": f"{EXPERIMENTS}/ENCSR900AAG/peaks.bed.gz",
        **GENOME,
    }


def test_dataset_external_refs_name_each_archive_before_its_members(genomic):
    member = "bpnet_simK562/{}".format
    assert genomic.dataset_external_refs(genomic.genomic_source("simulated_bpnet")) == [
        "bpnet_simK562",
        # Per task: peaks, signal and control bigWigs (the shared control once).
        member("SPI1_peaks.narrowPeak.gz"),
        member("SPI1_pos.bw"),
        member("SPI1_neg.bw"),
        member("control_pos.bw"),
        member("control_neg.bw"),
        member("GATA2_peaks.narrowPeak.gz"),
        member("GATA2_pos.bw"),
        member("GATA2_neg.bw"),
        # Then the footprints.
        member("SPI1_nexus.narrowPeak.gz"),
        member("GATA2_nexus.narrowPeak.gz"),
    ]
    assert genomic.dataset_external_refs(genomic.genomic_source("simulated_dnase_profile")) == [
        "footprints_simK562",
        "naked_dnase_simK562",
        "footprints_simK562/DS00001.bed.gz",
        "footprints_simK562/DS00002.bed.gz",
    ]
    assert genomic.dataset_external_refs(genomic.genomic_source("simulated_profile")) == []


def test_is_profile_dataset_when_every_model_is_a_profile_model(genomic):
    assert genomic.is_profile_dataset("simulated_profile") is True
    assert genomic.is_profile_dataset("simulated") is False
    assert genomic.is_profile_dataset("simulated_regions") is False
    mixed = edited(
        genomic,
        lambda c: c["datasets"]["simulated_profile"].update(
            models=["tseng_profile", "tseng_binary"]
        ),
    )
    assert mixed.is_profile_dataset("simulated_profile") is False


def test_genomic_attribution_data_of_binary_and_profile_datasets(genomic):
    # Binary: genome and labels (rule binary_labels), the optimal peaks, footprints and the
    # planted motif instances of simulated.yaml's truth.
    assert genomic.genomic_attribution_data(run("simulated", purpose="attribution")) == {
        **GENOME,
        "labels": "results/simulated/data/labels.npz",
        "peaks": [
            f"{ENCODE}/ENCFF900AAF.bed.gz",
            f"{ENCODE}/ENCFF900AAJ.bed.gz",
            f"{ENCODE}/ENCFF900AAN.bed.gz",
        ],
        "footprints": [f"{FOOTPRINTS}/DS00001.bed.gz", f"{FOOTPRINTS}/DS00002.bed.gz"],
        "motif_instances": ["resources/simgenome/truth/motif_instances.bed"],
    }
    # Profile: rule profile_examples' directory; no truth.
    profile = run("simulated_bpnet", "tseng_profile", purpose="attribution")
    assert genomic.genomic_attribution_data(profile) == {
        "profile_examples": "results/simulated_bpnet/data/profile_examples",
        "peaks": [f"{BPNET}/SPI1_peaks.narrowPeak.gz", f"{BPNET}/GATA2_peaks.narrowPeak.gz"],
        "footprints": [
            f"{BPNET}/SPI1_nexus.narrowPeak.gz",
            f"{BPNET}/GATA2_nexus.narrowPeak.gz",
        ],
        "motif_instances": [],
    }
    no_footprints = run("simulated_profile", "tseng_profile", purpose="attribution")
    data = genomic.genomic_attribution_data(no_footprints)
    assert data["footprints"] == [] and data["motif_instances"] == []
    assert "genome" not in data and "labels" not in data
