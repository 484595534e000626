"""attrprior.workflow.targets: the paper targets, their check and what each target builds."""

import pytest
from workflow_configs import load, parsed

from attrprior.workflow.targets import check_paper_targets, dataset_kinds


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
    return parsed(load("test.yaml"), in_main_process=False)


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
