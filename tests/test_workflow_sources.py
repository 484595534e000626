"""attrprior.workflow.sources: the genomic sources of a config, their cross-key checks, on
plain dicts."""

import pytest

from attrprior.workflow.sources import check_external_ref, check_genomic_dataset, task_external_refs


def genomic_config(**source_changes):
    """A config with one encode_binary dataset's source, all files external."""
    source = {
        "assembly": "hg38",
        "splits": {"valid": ["chr2"], "test": ["chr3"]},
        "experiments": {
            "CTCF": {
                "optimal_peaks": {"external": "peaks"},
                "alignments": {"fastq": ["reads"]},
            }
        },
        **source_changes,
    }
    config = {
        "references": {
            "hg38": {
                "fasta": {"external": "genome"},
                "chroms": ["chr1", "chr2", "chr3"],
            }
        },
        "external": {name: {"url": f"file:{name}"} for name in ("peaks", "reads", "genome")},
    }
    return config, source


def test_genomic_source_checks_name_the_key():

    config, source = genomic_config()
    check_genomic_dataset(config, "datasets.g", source)
    for changes, message in (
        ({"assembly": "mm10"}, r"datasets\.g\.encode_binary\.assembly: 'mm10' has no entry"),
        (
            {"splits": {"valid": ["chr2"], "test": ["chr9"]}},
            r"splits\.test: \['chr9'\] not among references\.hg38\.chroms",
        ),
        (
            {"splits": {"valid": ["chr2:0-100"], "test": ["chr2:50-200"]}},
            r"splits: valid and test share chr2:50-100",
        ),
        (
            {"splits": {"valid": ["chr1", "chr2"], "test": ["chr3"]}},
            "no chromosome is left for training",
        ),
        (
            {"experiments": {"CTCF": {"optimal_peaks": {"external": "nope"}}}},
            r"experiments\.CTCF\.optimal_peaks: 'nope' names no entry of external",
        ),
        (
            {"experiments": {"CTCF": {"optimal_peaks": "ENCFF000AAA"}}},
            r"config key encode: required by datasets\.g\.encode_binary",
        ),
    ):
        config, source = genomic_config(**changes)
        with pytest.raises(ValueError, match=message):
            check_genomic_dataset(config, "datasets.g", source)
    # With the portal configured, a file from ENCODE needs its experiment named.
    config, source = genomic_config(experiments={"CTCF": {"optimal_peaks": "ENCFF000AAA"}})
    with pytest.raises(ValueError, match=r"experiments\.CTCF\.experiment: required"):
        check_genomic_dataset({**config, "encode": {}}, "datasets.g", source)


def test_profile_models_need_reads_and_the_346_bp_crop():

    profile = {"input_length": 1346, "output_length": 1000, "max_jitter": 128}
    config, source = genomic_config(profile=profile)
    check_genomic_dataset(config, "datasets.g", source, ["tseng_profile"])
    config, source = genomic_config()
    with pytest.raises(ValueError, match=r"encode_binary\.profile: required by the profile"):
        check_genomic_dataset(config, "datasets.g", source, ["tseng_profile"])
    config, source = genomic_config(profile={**profile, "output_length": 900})
    with pytest.raises(ValueError, match="input_length - 346 positions"):
        check_genomic_dataset(config, "datasets.g", source, ["tseng_profile"])


def test_external_refs_to_archives_name_a_member():

    config = {"external": {"tar": {"url": "file:x", "members": {"a.bed": "a.bed"}}}}
    check_external_ref(config, "k", "tar/a.bed")
    with pytest.raises(ValueError, match="is an archive"):
        check_external_ref(config, "k", "tar")
    with pytest.raises(ValueError, match="has no member 'b.bed'"):
        check_external_ref(config, "k", "tar/b.bed")
    entry = {"signal": {"pos": "p", "neg": "n"}, "control_alignments": {"bam": ["c"]}}
    assert task_external_refs(entry) == [
        ("signal.pos", "p"),
        ("signal.neg", "n"),
        ("control_alignments.bam", "c"),
    ]
