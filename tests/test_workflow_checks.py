"""The workflow config's derived defaults and cross-key checks (attrprior.workflow.checks), on
plain dicts, without Snakemake."""

import pytest

from attrprior.conditions import PROFILE_PRIOR_DEFAULTS
from attrprior.workflow.checks import (
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
    from attrprior.workflow.checks import check_table2_options

    check_table2_options({"paper": {"table2": {"top_models": 5, "n_sequences": 100}}})
    with pytest.raises(ValueError, match=r"paper\.table1\.top_models: only for table2"):
        check_table2_options({"paper": {"table1": {"top_models": 5}}})


def test_subsampled_pairs_exist_subsample_and_cover_the_reference():
    from attrprior.workflow.checks import check_subsampled

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
    from attrprior.workflow.checks import check_motifs

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
