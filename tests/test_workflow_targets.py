"""attrprior.workflow.targets: the paper targets, their check and what each target builds."""

import copy
import re
from pathlib import Path

import pytest
from workflow_configs import parsed_file, project_config

from attrprior.workflow.paths import Paths
from attrprior.workflow.targets import Targets, check_paper_targets, dataset_kinds


def test_paper_targets_take_datasets_of_their_kind():

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


@pytest.fixture(scope="module")
def test_config():
    return project_config("test.yaml")


@pytest.fixture(scope="module")
def default():
    """config/config.yaml: fig3 selects a model and conditions."""
    return project_config("config.yaml")


@pytest.fixture(scope="module")
def simulated():
    """config/simulated.yaml: window, profile and region datasets."""
    return project_config("simulated.yaml")


@pytest.fixture(scope="module")
def paper():
    """config/paper.yaml: every target, 1% data pairs, published datasets, ensembles."""
    return project_config("paper.yaml")


@pytest.fixture(scope="module")
def koo():
    """config/reproduce_koo_chipseq.yaml: a published_h5 dataset with an ensemble, results
    under results/koo_chipseq; read from its file (its local path is relative to it)."""
    return parsed_file("reproduce_koo_chipseq.yaml")


def edited(targets, edit):
    """Targets of a copy of ``targets``' config changed by ``edit(config)``."""
    config = copy.deepcopy(targets.config)
    edit(config)
    return Targets(config)


def test_paper_tables_and_figures_are_under_results_paper(test_config):
    paper = "results/paper"
    assert test_config.paper_target_files("table1") == [f"{paper}/table1.md", f"{paper}/table1.tsv"]
    # Figure 3 also draws each selected run's TF-MoDISco logos.
    motifs = "results/billboard/motifs/cnn_shallow_exp"
    assert test_config.paper_target_files("fig3") == [
        f"{paper}/fig3.png",
        f"{paper}/fig3.tsv",
        f"{motifs}/none/logos.png",
        f"{motifs}/fourier/logos.png",
    ]
    # A per-dataset target: its comparison with the paper, then the dataset's own outputs.
    assert test_config.paper_target_files("table_simulation") == [
        f"{paper}/table_simulation.md",
        f"{paper}/table_simulation.tsv",
        "results/spi1/tables/interpretability.md",
        "results/spi1/tables/motif_auprc.md",
        "results/spi1/tables/tests_vs_reference.md",
    ]


def test_a_target_the_config_does_not_select_names_the_key(test_config):
    with pytest.raises(ValueError, match="target table3 needs config key paper.table3"):
        test_config.paper_runs("table3")


def test_paper_runs_are_every_selected_run(test_config):
    # table1: billboard (1 model × 2 conditions × 2 seeds) and spi1 (1 × 5 × 1).
    runs = test_config.paper_runs("table1")
    assert len(runs) == 2 * 2 + 5
    assert runs[0] == {
        "dataset": "billboard",
        "model": "cnn_shallow_exp",
        "condition": "none",
        "seed": 0,
    }
    # The scorecard reads table1's and table_baselines' runs, each once.
    scorecard = test_config.scorecard_runs()
    assert len(scorecard) == len({tuple(run.values()) for run in scorecard})
    assert set(map(str, runs)) <= set(map(str, scorecard))


def test_all_builds_every_table_run_and_paper_target(test_config):
    outputs = test_config.all_outputs()
    for table in ("interpretability", "predictive", "angles"):
        assert f"results/billboard/tables/{table}.tsv" in outputs
    assert "results/spi1/models/tseng_binary/angle/seed0/model.pt" in outputs
    assert "results/paper/scorecard.md" in outputs
    assert "results/billboard/ensemble/cnn_shallow_exp/none/summary.tsv" in outputs
    assert test_config.planted_motifs("fig3") == {
        "billboard": ["MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2"]
    }


PAPER = "results/paper"
# The per-dataset genomic tables (rule genomic_tables), table by table, tsv then md.
GENOMIC_TABLES = [
    "tables/predictive.tsv",
    "tables/predictive.md",
    "tables/tests_vs_reference.tsv",
    "tables/tests_vs_reference.md",
]
# paper.yaml's table2 datasets with encode_binary (billboard and spi1_gc0 are simulated).
TABLE2_GENOMIC = [
    "spi1_encode",
    "gata2_encode",
    "bpnet",
    "k562_dnase",
    "spi1_encode_profile",
    "gata2_encode_profile",
    "bpnet_profile",
    "k562_dnase_profile",
]


def under(directory, files):
    return [f"{directory}/{name}" for name in files]


def test_genomic_outputs_of_window_datasets(simulated):
    # Download lock, labels summary, tables; label agreement where the truth is known;
    # pooled scores of an attributed dataset.
    assert simulated.genomic_outputs("simulated") == under(
        "results/simulated",
        [
            "data/downloads.tsv",
            "data/labels_summary.tsv",
            *GENOMIC_TABLES,
            "tables/label_agreement.tsv",
            "tables/label_agreement.md",
            "scores/pooled.tsv",
        ],
    )
    # Profile datasets: the bigWigs built from BAMs and the profile examples' summary.
    tracks = [
        f"data/tracks/{task}.{name}.{strand}.bigWig"
        for task in ("SPI1_simGM12878", "SPI1_simK562")
        for name in ("signal", "control")
        for strand in ("pos", "neg")
    ]
    assert simulated.genomic_outputs("simulated_profile") == under(
        "results/simulated_profile",
        [
            "data/downloads.tsv",
            "data/labels_summary.tsv",
            *GENOMIC_TABLES,
            *tracks,
            "data/profile_examples.tsv",
            "scores/pooled.tsv",
        ],
    )
    # External bigWigs: nothing to build.
    assert simulated.genomic_outputs("simulated_bpnet") == under(
        "results/simulated_bpnet",
        [
            "data/downloads.tsv",
            "data/labels_summary.tsv",
            *GENOMIC_TABLES,
            "data/profile_examples.tsv",
            "scores/pooled.tsv",
        ],
    )
    # A profile section but no task with reads: no profile examples.
    binary = edited(
        simulated,
        lambda c: c["datasets"]["simulated"]["encode_binary"].update(
            profile={"input_length": 1346, "output_length": 1000, "max_jitter": 128}
        ),
    )
    assert "results/simulated/data/profile_examples.tsv" not in binary.genomic_outputs("simulated")


def test_genomic_outputs_of_region_and_published_datasets(simulated, paper, koo):
    assert simulated.genomic_outputs("simulated_regions") == under(
        "results/simulated_regions",
        ["data/downloads.tsv", "data/regions_summary.tsv", *GENOMIC_TABLES],
    )
    # Attributed: pooled scores and each model's angle histograms.
    assert koo.genomic_outputs("koo_lef1") == under(
        "results/koo_chipseq/koo_lef1",
        [
            "data/downloads.tsv",
            "data/regions_summary.tsv",
            *GENOMIC_TABLES,
            "scores/pooled.tsv",
            "figures/cnn_shallow_relu/angle_histograms.png",
            "figures/cnn_shallow_exp/angle_histograms.png",
        ],
    )
    # paper.yaml's koo_ctcf (encode_regions) and koo_published_ctcf: 4 models each.
    for dataset in ("koo_ctcf", "koo_published_ctcf"):
        outputs = paper.genomic_outputs(dataset)
        assert len(outputs) == 2 + 4 + 1 + 4
        assert f"results/{dataset}/figures/cnn_deep_exp/angle_histograms.png" in outputs
        assert f"results/{dataset}/data/labels_summary.tsv" not in outputs


def test_run_files_are_every_runs_training_outputs_and_maps(test_config, simulated):
    # test.yaml's billboard: 1 model x 2 conditions x 2 seeds, 3 training files + maps each.
    files = test_config.run_files("billboard")
    assert len(files) == 2 * 2 * 4
    assert files[:2] == [
        "results/billboard/models/cnn_shallow_exp/none/seed0/model.pt",
        "results/billboard/models/cnn_shallow_exp/none/seed1/model.pt",
    ]
    assert "results/billboard/models/cnn_shallow_exp/fourier/seed1/test_metrics.tsv" in files
    assert "results/billboard/attributions/cnn_shallow_exp/fourier/seed1.npz" in files
    # simulated_regions has no attribution section: no maps.
    regions = simulated.run_files("simulated_regions")
    assert len(regions) == 2 * 2 * 3
    assert "results/simulated_regions/models/cnn_shallow_relu/fourier/seed1/history.tsv" in regions
    assert not [path for path in regions if "/attributions/" in path]


def test_paper_selection_is_the_targets_key_or_an_error_naming_it(default):
    assert default.paper_selection("fig3") == {
        "datasets": ["billboard"],
        "models": ["cnn_shallow_exp"],
        "conditions": ["none", "fourier"],
    }
    with pytest.raises(ValueError, match="target table3 needs config key paper.table3"):
        default.paper_selection("table3")
    without = edited(default, lambda c: c.pop("paper"))
    with pytest.raises(ValueError, match="target table1 needs config key paper.table1"):
        without.paper_selection("table1")


def test_table2_subsampled_pairs_apply_to_encode_binary_datasets(paper, test_config):
    pairs = [
        {"condition": "none", "subsampled": "none_keep1", "keep_positives": 0.01},
        {"condition": "fourier", "subsampled": "fourier_keep1", "keep_positives": 0.01},
    ]
    assert paper.table2_subsampled() == {dataset: pairs for dataset in TABLE2_GENOMIC}
    assert list(paper.table2_subsampled()) == TABLE2_GENOMIC
    # keep_positives is read from each dataset's own subsampled condition.
    stronger = edited(
        paper,
        lambda c: c["datasets"]["spi1_encode"]["conditions"].update(
            none_keep1={"keep_positives": 0.05}
        ),
    ).table2_subsampled()
    assert stronger["spi1_encode"][0]["keep_positives"] == 0.05
    assert stronger["gata2_encode"][0]["keep_positives"] == 0.01
    # test.yaml's table2 has no subsampled key.
    assert test_config.table2_subsampled() == {}


def test_table2_runs_add_the_subsampled_conditions_once(paper, test_config):
    runs = paper.table2_runs()
    # paper.table2: none and fourier of 8 genomic datasets (1 model, 30 seeds), billboard
    # (4 models, 30 seeds), spi1_gc0 (1 model, 10 seeds); then the 1% data conditions of the
    # genomic datasets (their all-data runs are already there).
    across_seeds = 8 * 2 * 30 + 4 * 2 * 30 + 2 * 10
    assert len(runs) == across_seeds + 8 * 2 * 30
    assert len({tuple(run.values()) for run in runs}) == len(runs)
    assert runs[across_seeds] == {
        "dataset": "spi1_encode",
        "model": "tseng_binary",
        "condition": "none_keep1",
        "seed": 0,
    }
    assert runs[-1] == {
        "dataset": "k562_dnase_profile",
        "model": "tseng_profile",
        "condition": "fourier_keep1",
        "seed": 29,
    }
    billboard = {run["condition"] for run in runs if run["dataset"] == "billboard"}
    assert billboard == {"none", "fourier"}
    # Without subsampled: table2's own runs (billboard: 1 model x 2 conditions x 2 seeds).
    assert test_config.table2_runs() == [
        {"dataset": "billboard", "model": "cnn_shallow_exp", "condition": condition, "seed": seed}
        for condition in ("none", "fourier")
        for seed in (0, 1)
    ]


def test_paper_run_files_are_the_pattern_per_selected_run(test_config, paper):
    pattern = "results/{dataset}/models/{model}/{condition}/seed{seed}/test_metrics.tsv"
    billboard = "results/billboard/models/cnn_shallow_exp"
    spi1 = "results/spi1/models/tseng_binary"
    # test.yaml's table1: billboard (none, fourier; 2 seeds), spi1 (5 conditions, 1 seed).
    assert test_config.paper_run_files("table1", pattern) == [
        f"{billboard}/none/seed0/test_metrics.tsv",
        f"{billboard}/none/seed1/test_metrics.tsv",
        f"{billboard}/fourier/seed0/test_metrics.tsv",
        f"{billboard}/fourier/seed1/test_metrics.tsv",
        f"{spi1}/none/seed0/test_metrics.tsv",
        f"{spi1}/fourier_corrected/seed0/test_metrics.tsv",
        f"{spi1}/angle/seed0/test_metrics.tsv",
        f"{spi1}/fourier_auto/seed0/test_metrics.tsv",
        f"{spi1}/smoothness_tuned/seed0/test_metrics.tsv",
    ]
    # paper.yaml's table1 selects 4 conditions of 8 datasets (1 model, 30 seeds each).
    files = paper.paper_run_files("table1", pattern)
    assert len(files) == 8 * 4 * 30
    assert "results/bpnet/models/tseng_binary/fourier_keep1/seed29/test_metrics.tsv" in files
    assert "results/spi1_encode/models/tseng_binary/l2/seed0/test_metrics.tsv" not in files


def test_paper_dataset_files_are_the_pattern_per_dataset(test_config, simulated):
    pattern = "results/{dataset}/scores/sequences.tsv.gz"
    assert test_config.paper_dataset_files("fig4", pattern) == [
        "results/billboard/scores/sequences.tsv.gz",
        "results/spi1/scores/sequences.tsv.gz",
    ]
    assert simulated.paper_dataset_files("table4", "results/{dataset}/scores/pooled.tsv") == [
        "results/simulated/scores/pooled.tsv",
        "results/simulated_bpnet/scores/pooled.tsv",
        "results/simulated_dnase_profile/scores/pooled.tsv",
    ]


def test_paper_reference_is_the_first_datasets_reference_condition(test_config):
    assert test_config.paper_reference("table1") == "none"
    changed = edited(
        test_config,
        lambda c: c["datasets"]["billboard"]["evaluation"].update(reference_condition="fourier"),
    )
    assert changed.paper_reference("table1") == "fourier"  # billboard, spi1
    assert changed.paper_reference("fig1") == "none"  # spi1


def test_paper_methods_are_the_figures_method_or_the_first_attribution_method(paper):
    # billboard: figures.method saliency; spi1_gc0: figures.method deepshap (its first
    # attribution method is saliency); the genomic datasets: no figures, deepshap only.
    assert paper.paper_methods("table2") == {
        **{dataset: "deepshap" for dataset in TABLE2_GENOMIC},
        "billboard": "saliency",
        "spi1_gc0": "deepshap",
    }
    without = edited(paper, lambda c: c["datasets"]["spi1_gc0"].pop("figures"))
    assert without.paper_methods("table2")["spi1_gc0"] == "saliency"


def test_paper_dataset_selection_models_and_conditions_per_dataset(default):
    assert default.paper_dataset_selection("fig3") == {
        "billboard": {"models": ["cnn_shallow_exp"], "conditions": ["none", "fourier"]}
    }
    # Nothing selected: every model and condition of the dataset.
    assert default.paper_dataset_selection("table1") == {
        "billboard": {
            "models": ["cnn_shallow_relu", "cnn_shallow_exp"],
            "conditions": ["none", "fourier", "l2", "smoothness", "sparsity"],
        }
    }


def test_comparison_datasets_are_those_with_score_tables(paper):
    # fig1_koo takes angles (any attribution section): all 20 of its datasets.
    fig1_koo = paper.comparison_datasets("fig1_koo")
    assert fig1_koo == paper.config["paper"]["fig1_koo"]["datasets"] and len(fig1_koo) == 20
    assert {"koo_ctcf", "koo_published_ctcf", "billboard_published"} <= set(fig1_koo)
    assert paper.comparison_datasets("table_simulation") == ["spi1_gc0"]
    assert paper.comparison_datasets("table_baselines") == ["spi1_encode", "billboard"]
    # Other targets take the attributed ones: not regions or published files.
    wider = edited(
        paper,
        lambda c: c["paper"]["table_baselines"].update(
            datasets=["spi1_encode", "koo_ctcf", "koo_published_max", "billboard"]
        ),
    )
    assert wider.comparison_datasets("table_baselines") == ["spi1_encode", "billboard"]


def test_paper_outputs_are_every_selected_target_then_the_scorecard(test_config):
    billboard = "results/billboard"
    assert test_config.paper_outputs() == [
        f"{PAPER}/table1.md",
        f"{PAPER}/table1.tsv",
        f"{PAPER}/table2.md",
        f"{PAPER}/table2.tsv",
        f"{PAPER}/table_simulation.md",
        f"{PAPER}/table_simulation.tsv",
        "results/spi1/tables/interpretability.md",
        "results/spi1/tables/motif_auprc.md",
        "results/spi1/tables/tests_vs_reference.md",
        f"{PAPER}/table_baselines.md",
        f"{PAPER}/table_baselines.tsv",
        f"{billboard}/tables/predictive.md",
        f"{billboard}/tables/tests_vs_reference.md",
        "results/spi1/figures/tseng_binary/logos.png",
        f"{PAPER}/fig4.png",
        f"{PAPER}/fig4.tsv",
        f"{PAPER}/fig5.png",
        f"{PAPER}/fig5.tsv",
        f"{PAPER}/fig3.png",
        f"{PAPER}/fig3.tsv",
        f"{billboard}/motifs/cnn_shallow_exp/none/logos.png",
        f"{billboard}/motifs/cnn_shallow_exp/fourier/logos.png",
        f"{PAPER}/fig1_koo.md",
        f"{PAPER}/fig1_koo.tsv",
        f"{billboard}/figures/cnn_shallow_exp/raw_vs_corrected.png",
        f"{billboard}/figures/cnn_shallow_exp/angle_histograms.png",
        f"{billboard}/figures/cnn_shallow_exp/logos.png",
        f"{PAPER}/fig_koo_ensemble.png",
        f"{PAPER}/fig_koo_ensemble.md",
        f"{PAPER}/fig_koo_ensemble.tsv",
        f"{PAPER}/scorecard.md",
        f"{PAPER}/scorecard.tsv",
    ]
    # No paper target: no scorecard either.
    assert edited(test_config, lambda c: c.pop("paper")).paper_outputs() == []


def test_scorecard_datasets_are_the_attributed_datasets_of_every_target(simulated, paper):
    # simulated_regions (table1, fig4) has no attribution section.
    assert simulated.scorecard_datasets() == [
        "simulated",
        "simulated_profile",
        "simulated_bpnet",
        "simulated_dnase_profile",
    ]
    # In target order, each once; the koo_* regions and published files are not attributed
    # (no ground truth, no peaks to place importance on).
    assert paper.scorecard_datasets() == [
        *TABLE2_GENOMIC,
        "billboard",
        "spi1_gc0",
        "spi1_gc1",
        "spi1_gc2",
        "spi1_gc3",
        "spi1_gc4",
        "billboard_published",
    ]
    assert edited(paper, lambda c: c.pop("paper")).scorecard_datasets() == []


def test_scorecard_settings_are_what_the_scorecard_reads_of_the_config(test_config, simulated):
    assert test_config.scorecard_settings() == {
        "target_datasets": {
            "table1": ["billboard", "spi1"],
            "table2": ["billboard"],
            "table_simulation": ["spi1"],
            "table_baselines": ["billboard"],
            "fig1": ["spi1"],
            "fig4": ["billboard", "spi1"],
            "fig5": ["spi1"],
            "fig3": ["billboard"],
            "fig1_koo": ["billboard"],
            "fig2_koo": ["billboard"],
            "fig_koo_ensemble": ["billboard"],
        },
        "methods": {"billboard": "saliency", "spi1": "saliency"},
        "reference": {"billboard": "none", "spi1": "none"},
        "activations": {"cnn_shallow_exp": "exponential"},
        "architectures": {"cnn_shallow_exp": "cnn_shallow", "tseng_binary": "tseng_binary"},
        "gc_excess": {"spi1": 0.02},
        "paper_datasets": {"billboard": "billboard", "spi1": "synthetic_spi1"},
    }
    # No figures section: the first attribution method; no attribution section: no method;
    # no single_motif: no GC excess.
    settings = simulated.scorecard_settings()
    assert settings["methods"] == {
        "simulated": "deepshap",
        "simulated_profile": "deepshap",
        "simulated_bpnet": "deepshap",
        "simulated_dnase_profile": "deepshap",
    }
    assert settings["reference"]["simulated_regions"] == "none"
    assert settings["gc_excess"] == {}
    assert settings["activations"] == {"cnn_shallow_relu": "relu"}
    assert settings["paper_datasets"]["simulated_dnase_profile"] == "k562_dnase"
    unset = edited(
        test_config, lambda c: c["datasets"]["spi1"]["single_motif"].pop("positive_gc_excess")
    )
    assert unset.scorecard_settings()["gc_excess"] == {"spi1": 0.0}


def test_paper_motif_runs_are_the_selected_models_and_conditions(default, paper):
    assert default.paper_motif_runs("fig3") == [
        {"dataset": "billboard", "model": "cnn_shallow_exp", "condition": "none"},
        {"dataset": "billboard", "model": "cnn_shallow_exp", "condition": "fourier"},
    ]
    assert paper.paper_motif_runs("fig3") == [
        {"dataset": dataset, "model": model, "condition": condition}
        for dataset, model in (
            ("bpnet_profile", "tseng_profile"),
            ("bpnet", "tseng_binary"),
            ("spi1_encode", "tseng_binary"),
            ("gata2_encode", "tseng_binary"),
        )
        for condition in ("none", "fourier")
    ]


def test_dataset_ensembles_and_their_tables(test_config):
    # test.yaml's billboard: one ensemble (cnn_shallow_exp) under the reference condition.
    assert test_config.dataset_ensembles("billboard") == [
        {"dataset": "billboard", "model": "cnn_shallow_exp", "condition": "none"}
    ]
    assert test_config.dataset_ensembles("spi1") == []
    ensemble = "results/billboard/ensemble/cnn_shallow_exp/none"
    # Rule ensemble_difference's outputs.
    assert test_config.ensemble_outputs("billboard") == [
        f"{ensemble}/summary.tsv",
        f"{ensemble}/by_angle.tsv",
        f"{ensemble}/members.tsv",
    ]
    assert test_config.ensemble_outputs("spi1") == []
    fourier = edited(
        test_config, lambda c: c["datasets"]["billboard"]["ensemble"].update(condition="fourier")
    )
    assert fourier.dataset_ensembles("billboard")[0]["condition"] == "fourier"
    assert fourier.ensemble_outputs("billboard")[0] == (
        "results/billboard/ensemble/cnn_shallow_exp/fourier/summary.tsv"
    )


def test_paper_ensembles_and_their_tables(paper, koo, default):
    # fig_koo_ensemble: billboard and 10 koo_published_* datasets, 4 models each.
    runs = paper.paper_ensembles()
    assert len(runs) == 11 * 4
    assert runs[0] == {"dataset": "billboard", "model": "cnn_shallow_relu", "condition": "none"}
    assert runs[-1] == {
        "dataset": "koo_published_rest",
        "model": "cnn_deep_exp",
        "condition": "none",
    }
    assert "billboard_published" not in {run["dataset"] for run in runs}
    one_model = edited(
        paper, lambda c: c["paper"]["fig_koo_ensemble"].update(models=["cnn_shallow_exp"])
    )
    assert len(one_model.paper_ensembles()) == 11
    assert {run["model"] for run in one_model.paper_ensembles()} == {"cnn_shallow_exp"}
    ensembles = "results/koo_chipseq/koo_lef1/ensemble"
    assert koo.paper_ensemble_files("members") == [
        f"{ensembles}/cnn_shallow_relu/none/members.tsv",
        f"{ensembles}/cnn_shallow_exp/none/members.tsv",
    ]
    assert koo.paper_ensemble_files("summary")[1] == (
        f"{ensembles}/cnn_shallow_exp/none/summary.tsv"
    )
    # config.yaml selects no fig_koo_ensemble.
    assert default.paper_ensembles() == []
    assert default.paper_ensemble_files("summary") == []


def test_every_public_method_of_paths_and_targets_has_a_test():
    here = Path(__file__).parent
    text = "".join(
        (here / name).read_text()
        for name in (
            "test_workflow_paths.py",
            "test_workflow_paths_genomic.py",
            "test_workflow_targets.py",
        )
    )
    public = [name for cls in (Paths, Targets) for name in vars(cls) if not name.startswith("_")]
    assert "genomic_source" in public and "paper_outputs" in public
    untested = [name for name in public if not re.search(rf"\.{name}\b", text)]
    assert untested == [], f"no test calls {untested}"
