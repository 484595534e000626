"""The workflow config's derived defaults and cross-key checks (attrprior.workflow_config), on
plain dicts, without Snakemake."""

import pytest

from attrprior.chroms import parse_split_region
from attrprior.train import PROFILE_PRIOR_DEFAULTS
from attrprior.workflow_config import (
    PROFILE_FOURIER_FREQ_LIMIT,
    check_explained_sequences,
    check_frequency_limits,
    check_results_directory,
    check_values,
    default_highfreq_limit,
    fourier_freq_limits,
    input_lengths,
    simulated_positives,
)

MODELS = {
    "binary": {"architecture": "tseng_binary"},
    "profile": {"architecture": "tseng_profile"},
}


def dataset(models, **conditions):
    return {"models": models, "conditions": {"none": {}, **conditions}}


def test_highfreq_limit_defaults_to_the_fourier_priors_limit():
    fourier = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 150}}
    assert default_highfreq_limit("datasets.d", dataset(["binary"], fourier=fourier), MODELS) == 150
    # The same limit in two conditions is one limit; other priors do not count.
    smooth = {"prior": "smoothness", "weight": 1.0}
    two = dataset(["binary"], fourier=fourier, again=fourier, smooth=smooth)
    assert default_highfreq_limit("datasets.d", two, MODELS) == 150


def test_profile_models_take_their_default_limit():
    fourier = {"prior": "fourier", "weight": 1.0}
    assert fourier_freq_limits(dataset(["profile"], fourier=fourier), MODELS) == {200}
    assert PROFILE_PRIOR_DEFAULTS["fourier"]["freq_limit"] == PROFILE_FOURIER_FREQ_LIMIT


def test_no_default_without_a_single_limit():
    with pytest.raises(ValueError, match=r"datasets\.d\.evaluation\.highfreq_limit: .*found none"):
        default_highfreq_limit("datasets.d", dataset(["binary"]), MODELS)
    a = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 150}}
    b = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 30}}
    both = dataset(["binary"], a=a, b=b)
    with pytest.raises(ValueError, match=r"found \[30, 150\]"):
        default_highfreq_limit("datasets.d", both, MODELS)
    assert fourier_freq_limits(both, MODELS) == {30, 150}


# --- cross-key checks (each error names the key) ---------------------------------------------

SINGLE_MOTIF = {
    "n_positives": 60,
    "n_negatives": 40,
    "length": 1000,
    "split": {"train": 0.7, "valid": 0.1, "test": 0.2},
}


def test_check_values_names_a_nan_anywhere():
    check_values({"a": [1.0, {"b": 2}]})
    with pytest.raises(ValueError, match=r"config key a\[1\]\.b: nan is not a number"):
        check_values({"a": [1.0, {"b": float("nan")}]})


@pytest.mark.parametrize("results", ["/", "../out", ".", "a/../../b"])
def test_results_must_name_a_directory_below_the_working_directory(results):
    with pytest.raises(ValueError, match="config key results"):
        check_results_directory({"results": results})
    check_results_directory({"results": "results/run1"})


def test_simulated_positives_bound_what_can_be_explained():
    dataset = {"single_motif": SINGLE_MOTIF}
    assert simulated_positives(dataset, ["test"]) == 20  # ceil(0.2 x 100), below 60
    assert simulated_positives(dataset, ["test", "valid", "train"]) == 60
    assert simulated_positives({"encode_binary": {}}, ["test"]) is None
    check_explained_sequences("datasets.s", {**dataset, "attribution": {"n_sequences": 20}})
    with pytest.raises(ValueError, match=r"datasets\.s\.attribution\.n_sequences: 21"):
        check_explained_sequences("datasets.s", {**dataset, "attribution": {"n_sequences": 21}})
    fresh = {**SINGLE_MOTIF, "evaluation": {"sequences": "fresh"}}
    check_explained_sequences(
        "datasets.s", {"single_motif": fresh, "attribution": {"n_sequences": 500}}
    )


def test_frequency_limits_must_leave_a_frequency_to_penalise_and_score():
    config = {"models": {"m": {"architecture": "tseng_binary"}}}
    dataset = {
        "models": ["m"],
        "single_motif": SINGLE_MOTIF,
        "conditions": {"f": {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 499}}},
        "attribution": {},
        "evaluation": {"highfreq_limit": 150},
    }
    assert input_lengths(config, dataset) == {"m": 1000}
    check_frequency_limits(config, "datasets.s", dataset)
    dataset["conditions"]["f"]["params"]["freq_limit"] = 500
    with pytest.raises(ValueError, match=r"datasets\.s\.conditions\.f\.params\.freq_limit: 500"):
        check_frequency_limits(config, "datasets.s", dataset)
    dataset["conditions"]["f"]["params"]["freq_limit"] = 150
    dataset["evaluation"]["highfreq_limit"] = 499
    with pytest.raises(ValueError, match=r"datasets\.s\.evaluation\.highfreq_limit: 499"):
        check_frequency_limits(config, "datasets.s", dataset)


def test_table2_options_belong_to_table2():
    from attrprior.workflow_config import check_table2_options

    check_table2_options({"paper": {"table2": {"top_models": 5, "n_sequences": 100}}})
    with pytest.raises(ValueError, match=r"paper\.table1\.top_models: only for table2"):
        check_table2_options({"paper": {"table1": {"top_models": 5}}})


def test_subsampled_pairs_exist_subsample_and_cover_the_reference():
    from attrprior.workflow_config import check_subsampled

    conditions = {"none": {}, "none_keep1": {"keep_positives": 0.01}, "fourier": {}}
    config = {
        "datasets": {
            "g": {
                "encode_binary": {},
                "conditions": conditions,
                "evaluation": {"reference_condition": "none"},
            },
            "sim": {"billboard": {}},
        }
    }
    key = "paper.table2.subsampled"
    check_subsampled(config, key, {"datasets": ["g", "sim"], "subsampled": {"none": "none_keep1"}})
    with pytest.raises(ValueError, match="none of the datasets"):
        check_subsampled(config, key, {"datasets": ["sim"], "subsampled": {"none": "none_keep1"}})
    with pytest.raises(ValueError, match="has no keep_positives"):
        check_subsampled(config, key, {"datasets": ["g"], "subsampled": {"none": "fourier"}})
    with pytest.raises(ValueError, match="'gone' is not one of"):
        check_subsampled(config, key, {"datasets": ["g"], "subsampled": {"none": "gone"}})
    with pytest.raises(ValueError, match="no pair for datasets.g's reference condition"):
        check_subsampled(config, key, {"datasets": ["g"], "subsampled": {"fourier": "none_keep1"}})


def test_motifs_need_an_attributed_method_a_trained_seed_and_an_available_gold():
    from attrprior.workflow_config import check_motifs

    dataset = {
        "seeds": 2,
        "attribution": {"methods": {"deepshap": {}}},
        "motifs": {"method": "deepshap", "seed": 1, "gold": "motif"},
    }
    check_motifs({"datasets": {"b": dataset}})
    for change, message in (
        ({"method": "saliency"}, r"motifs\.method: 'saliency'"),
        ({"seed": 2}, r"motifs\.seed: 2 but the dataset trains seeds"),
        ({"gold": "footprints"}, r"motifs\.gold: 'footprints' is not available"),
    ):
        broken = {**dataset, "motifs": {**dataset["motifs"], **change}}
        with pytest.raises(ValueError, match=message):
            check_motifs({"datasets": {"b": broken}})
    with pytest.raises(ValueError, match=r"datasets\.b\.motifs: needs datasets\.b\.attribution"):
        check_motifs({"datasets": {"b": {"motifs": dataset["motifs"], "seeds": 2}}})


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
    from attrprior.workflow_config import check_genomic_dataset

    config, source = genomic_config()
    check_genomic_dataset(config, "datasets.g", source, parse_split_region)
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
            check_genomic_dataset(config, "datasets.g", source, parse_split_region)
    # With the portal configured, a file from ENCODE needs its experiment named.
    config, source = genomic_config(experiments={"CTCF": {"optimal_peaks": "ENCFF000AAA"}})
    with pytest.raises(ValueError, match=r"experiments\.CTCF\.experiment: required"):
        check_genomic_dataset({**config, "encode": {}}, "datasets.g", source, parse_split_region)


def test_profile_models_need_reads_and_the_346_bp_crop():
    from attrprior.workflow_config import check_genomic_dataset

    profile = {"input_length": 1346, "output_length": 1000, "max_jitter": 128}
    config, source = genomic_config(profile=profile)
    check_genomic_dataset(config, "datasets.g", source, parse_split_region, ["tseng_profile"])
    config, source = genomic_config()
    with pytest.raises(ValueError, match=r"encode_binary\.profile: required by the profile"):
        check_genomic_dataset(config, "datasets.g", source, parse_split_region, ["tseng_profile"])
    config, source = genomic_config(profile={**profile, "output_length": 900})
    with pytest.raises(ValueError, match="input_length - 346 positions"):
        check_genomic_dataset(config, "datasets.g", source, parse_split_region, ["tseng_profile"])


def test_external_refs_to_archives_name_a_member():
    from attrprior.workflow_config import check_external_ref, task_external_refs

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


def test_paper_targets_take_datasets_of_their_kind():
    from attrprior.workflow_config import check_paper_targets, dataset_kinds

    simulated = {
        "billboard": {},
        "attribution": {},
        "seeds": 2,
        "models": ["m"],
        "conditions": {"none": {}},
    }
    genomic = {"encode_binary": {}, "seeds": 2, "models": ["m"], "conditions": {"none": {}}}
    assert dataset_kinds(simulated) == {"any", "angles", "simulated", "attributed"}
    assert dataset_kinds(genomic) == {"any"}
    config = {"datasets": {"sim": simulated, "gen": genomic}}
    check_paper_targets({**config, "paper": {"fig1": {"datasets": ["sim"]}}})
    with pytest.raises(ValueError, match=r"paper\.fig1\.datasets: 'gen' does not fit fig1"):
        check_paper_targets({**config, "paper": {"fig1": {"datasets": ["gen"]}}})
    with pytest.raises(ValueError, match=r"paper\.table1\.datasets: 'x' is not one of"):
        check_paper_targets({**config, "paper": {"table1": {"datasets": ["x"]}}})
    with pytest.raises(ValueError, match=r"paper\.table1\.models: \['other'\] not in"):
        check_paper_targets(
            {**config, "paper": {"table1": {"datasets": ["sim"], "models": ["other"]}}}
        )
    one_seed = {"datasets": {"sim": {**simulated, "seeds": 1}}}
    with pytest.raises(ValueError, match="stability across seeds needs at least 2"):
        check_paper_targets({**one_seed, "paper": {"table2": {"datasets": ["sim"]}}})
