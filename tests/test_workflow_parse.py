"""attrprior.workflow.parse: a config's cross-key checks, in the order the workflow runs them
at parse time, on plain dicts validated against config/schema.yaml (what a dry run would
stop with, without Snakemake's process; tests/test_workflow.py keeps dry runs that show
the checks are wired into the workflow)."""

import pytest
from workflow_configs import load, parsed


def assert_parse_fails(tmp_path, config, message):
    """Validating and parsing ``config`` stops with an error that contains ``message``."""
    with pytest.raises(Exception) as error:
        parsed(config, tmp_path)
    assert message in str(error.value)


def BILLBOARD(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["billboard"]


def with_published_model(config, weights, conditions=None, seeds=1):
    """The default billboard dataset evaluating a published model only (conditions: every
    one empty unless given), for the parse-time checks of published_weights."""
    config["models"]["published"] = {
        "architecture": "cnn_shallow",
        "activation": "relu",
        "published_weights": weights,
    }
    BILLBOARD(config).update(
        models=["published"], conditions={"none": {}, **(conditions or {})}, seeds=seeds
    )


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
        (lambda c: BILLBOARD(c)["motifs"].update(seed=2), "billboard.motifs.seed"),
        (lambda c: BILLBOARD(c)["motifs"].update(gold="footprints"), "billboard.motifs.gold"),
        (
            lambda c: BILLBOARD(c)["attribution"]["methods"].pop("deepshap"),
            "billboard.motifs.method",
        ),
        (lambda c: BILLBOARD(c).pop("motifs"), "paper.fig3.datasets"),
        (
            lambda c: BILLBOARD(c)["attribution"].update(explain="task0"),
            "datasets.billboard.attribution.explain: 'task0' is neither 'sum' nor a task",
        ),
        (
            lambda c: BILLBOARD(c)["conditions"].update(none_keep1={"keep_positives": 0.01}),
            "datasets.billboard.conditions.none_keep1.keep_positives: only for encode_binary",
        ),
        (
            lambda c: BILLBOARD(c)["conditions"].update(
                tuned={
                    "prior": "sparsity",
                    "weight": {"grid": [0.1, 1.0]},
                    "l2_weight": {"grid": [0.001, 0.01]},
                }
            ),
            "datasets.billboard.conditions.tuned: only one weight can be tuned at a time",
        ),
        (
            lambda c: BILLBOARD(c)["conditions"].update(
                tuned={"prior": "sparsity", "weight": {"grid": [0.1]}}
            ),
            "grid",
        ),
        (
            lambda c: BILLBOARD(c)["conditions"].update(
                tuned={"prior": "sparsity", "weight": "auto", "l2_weight": {"grid": [0, 1]}}
            ),
            "datasets.billboard.conditions.tuned: weight 'auto' cannot be combined",
        ),
        (
            lambda c: BILLBOARD(c)["conditions"]["fourier"]["params"].update(freq_limit=100),
            "datasets.billboard.conditions.fourier.params.freq_limit: 100 leaves no frequency",
        ),
        (
            lambda c: BILLBOARD(c)["evaluation"].update(highfreq_limit=99),
            "datasets.billboard.evaluation.highfreq_limit: 99 leaves no frequency",
        ),
        (
            # Without the key, two Fourier limits leave no single default to take.
            lambda c: (
                BILLBOARD(c)["evaluation"].pop("highfreq_limit"),
                BILLBOARD(c)["conditions"].update(
                    fourier_15={"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 15}}
                ),
            ),
            "datasets.billboard.evaluation.highfreq_limit: not set, and the dataset's "
            "Fourier-prior conditions give no single freq_limit to take it from (found [15, 30])",
        ),
        (
            lambda c: BILLBOARD(c)["evaluation"].update(entropy_pseudocount=float("nan")),
            "datasets.billboard.evaluation.entropy_pseudocount: nan is not a number",
        ),
        (
            lambda c: BILLBOARD(c)["figures"].update(logo_sequence=10_000),
            "datasets.billboard.figures.logo_sequence: 10000 is out of range",
        ),
        (
            lambda c: BILLBOARD(c)["billboard"].update(
                core_motifs=["MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.9"]
            ),
            "datasets.billboard.billboard.core_motifs: ['MA0095.9'] not in JASPAR2016",
        ),
        (
            lambda c: BILLBOARD(c)["attribution"].update(n_sequences=1201),
            "datasets.billboard.attribution.n_sequences: 1201 sequences, but the simulation "
            "has at most 1200 positives in test",
        ),
        (
            lambda c: BILLBOARD(c).update(
                ensemble={"models": ["tseng_binary"], "n_filters": [4], "models_per_filter": 2}
            ),
            "config key datasets.billboard.ensemble.models: 'tseng_binary' is not one of",
        ),
        (
            lambda c: BILLBOARD(c).update(
                ensemble={"models": ["cnn_shallow_exp"], "n_filters": [4], "models_per_filter": 1}
            ),
            "config key datasets.billboard.ensemble: n_filters x models_per_filter is 1 model",
        ),
        (
            lambda c: BILLBOARD(c).update(
                ensemble={
                    "models": ["cnn_shallow_exp"],
                    "condition": "fourier_typo",
                    "n_filters": [4, 6],
                    "models_per_filter": 1,
                }
            ),
            "config key datasets.billboard.ensemble.condition: 'fourier_typo' is not one of",
        ),
        (
            lambda c: BILLBOARD(c).update(
                ensemble={
                    "models": ["cnn_shallow_exp"],
                    "n_filters": [4, 6],
                    "models_per_filter": 1,
                    "angle_bin_width": 7,
                }
            ),
            "config key datasets.billboard.ensemble.angle_bin_width: 7 does not divide 180",
        ),
        (
            lambda c: (
                BILLBOARD(c).update(
                    ensemble={
                        "models": ["cnn_shallow_exp"],
                        "n_filters": [4, 6],
                        "models_per_filter": 1,
                        "method": "smoothgrad",
                    }
                )
                or BILLBOARD(c)["attribution"]["methods"].pop("smoothgrad")
            ),
            "config key datasets.billboard.ensemble.method: 'smoothgrad' is not one of",
        ),
        (
            lambda c: with_published_model(c, "weights_{seed}.h5", {"l2": {"l2_weight": 0.001}}),
            "config key datasets.billboard.conditions.l2: the published model 'published' "
            "is not trained here",
        ),
        (
            lambda c: with_published_model(c, "/nonexistent/weights_{seed}.h5"),
            "config key models.published.published_weights: no file /nonexistent/weights_0.h5",
        ),
        (
            lambda c: with_published_model(
                c,
                {
                    "github": {
                        "repository": "p-koo/GradientCorrection",
                        "commit": "e5d4abe0cbb3d6a6996dc4ca9bfb2c7b9cae3b19",
                        "path": "results/synthetic/model_params/cnn_shallow_relu_{seed}.h5",
                    }
                },
                seeds=51,
            ),
            "config key models.published.published_weights: seed 50 (datasets.billboard.seeds "
            "is 51)",
        ),
        (lambda c: c.update(results="/"), "config key results: '/' must name a directory"),
        (lambda c: c.update(results="../out"), "config key results: '../out' must name"),
    ],
)
def test_bad_config_stops_with_the_key_named(tmp_path, edit, message):
    config = load("config.yaml")
    edit(config)
    assert_parse_fails(tmp_path, config, message)


def PAPER(config):  # noqa: N802 - reads like the config key it returns
    return config["paper"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: PAPER(c).update(fig9={"datasets": ["billboard"]}), "fig9"),
        (lambda c: PAPER(c)["table1"].update(datasets=["nowhere"]), "nowhere"),
        (lambda c: PAPER(c)["fig5"].update(datasets=["billboard"]), "paper.fig5.datasets"),
        (lambda c: PAPER(c)["table2"].update(datasets=["spi1"]), "at least 2"),
        (lambda c: PAPER(c)["fig4"].update(conditions=["l1"]), "paper.fig4.conditions"),
        (
            lambda c: PAPER(c).update(table3={"datasets": ["billboard"]}),
            "attributions on genomic peaks",
        ),
        (lambda c: PAPER(c)["table1"].update(top_models=5), "paper.table1.top_models"),
    ],
)
def test_bad_paper_targets_stop_with_the_key_named(tmp_path, edit, message):
    config = load("test.yaml")
    edit(config)
    assert_parse_fails(tmp_path, config, message)


def PROFILE(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["simulated_profile"]["encode_binary"]


def drop_alignments(config):
    for entry in PROFILE(config)["experiments"].values():
        entry.pop("alignments")
        entry.pop("control_alignments")


def SIMULATED(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["simulated"]["encode_binary"]


def BPNET(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["simulated_bpnet"]["encode_binary"]


def DNASE(config):  # noqa: N802 - reads like the config key it returns
    return config["datasets"]["simulated_dnase_profile"]["encode_binary"]


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
        (lambda c: SIMULATED(c)["splits"].update(test=["chr2"]), "valid and test share chr2"),
        (
            lambda c: SIMULATED(c)["splits"].update(test=["chr3:2000-1000"]),
            "splits.test: split entry 'chr3:2000-1000': the region is empty",
        ),
        (
            lambda c: c["references"]["simGRCh38"].pop("chrom_sizes"),
            "references.simGRCh38.chrom_sizes: required unless the FASTA is an external file",
        ),
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
            lambda c: c["datasets"]["simulated_regions"]["encode_regions"]["chip"].update(
                peaks="ENCSR900AAG"
            ),
            "ENCSR900AAG",
        ),
        (lambda c: SIMULATED(c).update(footprints="vierstra"), "footprints"),
        (
            lambda c: SIMULATED(c).update(footprints=["footprints_simK562/DS00003.bed.gz"]),
            "simulated.encode_binary.footprints: 'footprints_simK562/DS00003.bed.gz': "
            "external.footprints_simK562 has no member",
        ),
        (
            lambda c: BPNET(c)["experiments"]["SPI1"]["signal"].update(pos="bpnet_simK562/x.bw"),
            "simulated_bpnet.encode_binary.experiments.SPI1.signal.pos",
        ),
        (
            lambda c: BPNET(c)["experiments"]["SPI1"].update(relaxed_peaks="ENCFF900AAG"),
            "simulated_bpnet.encode_binary.experiments.SPI1.experiment: required",
        ),
        (
            lambda c: BPNET(c)["experiments"]["GATA2"].pop("control_signal"),
            "control_signal) on ['SPI1'] but not on ['GATA2']",
        ),
        (
            lambda c: c["external"]["bpnet_simK562"].update(url="http://x/y", md5="0" * 32),
            "bpnet_simK562",  # a URL or a Zenodo record, not both
        ),
        (
            lambda c: BPNET(c)["experiments"]["SPI1"].update(
                signal={"unstranded": "bpnet_simK562/SPI1_pos.bw"}
            ),
            "SPI1.signal: datasets.simulated_bpnet.encode_binary.profile.stranded is True",
        ),
        (
            lambda c: DNASE(c)["experiments"]["DNase_simK562"]["control_alignments"].update(
                fastq=["naked_dnase"]
            ),
            "control_alignments.fastq: 'naked_dnase' names no entry of external",
        ),
        (lambda c: c["external"]["naked_dnase_simK562"]["ena"].update(run="SRX123"), "SRX123"),
        (lambda c: PAPER(c)["table4"].update(datasets=["simulated_regions"]), "table4"),
        (drop_alignments, "simulated_profile.encode_binary.experiments"),
        (
            lambda c: PROFILE(c)["experiments"]["SPI1_simK562"].update(
                alignments={"output_typ": "unfiltered alignments"}
            ),
            "output_typ",
        ),
        (
            lambda c: PROFILE(c)["experiments"]["SPI1_simK562"].update(
                control_alignments={"output_type": "unfiltered_alignments"}
            ),
            "unfiltered_alignments",
        ),
        (
            lambda c: SIMULATED(c)["experiments"]["GATA2_simK562"].pop("optimal_peaks"),
            "optimal_peaks",
        ),
        (lambda c: c["encode"].update(lock="earlier/downloads.tsv"), "config key encode.lock"),
        (
            lambda c: c["datasets"]["simulated"]["models"].append("tseng_profile"),
            "datasets.simulated.models: an attributed dataset",
        ),
        (
            lambda c: c["datasets"]["simulated_profile"]["attribution"]["methods"].update(
                saliency={}
            ),
            "simulated_profile.attribution.methods",
        ),
        (
            lambda c: c["datasets"]["simulated_regions"]["models"].append("tseng_profile"),
            "datasets.simulated_regions.models",
        ),
        (
            lambda c: c["datasets"]["simulated_profile"]["training"].update(monitor="auroc"),
            "datasets.simulated_profile.training.monitor: 'auroc' is a binary",
        ),
        (
            lambda c: c["datasets"]["simulated"]["attribution"].update(jitter=10),
            "datasets.simulated.attribution.jitter: only for datasets of profile models",
        ),
        (
            lambda c: c["datasets"]["simulated_profile"]["attribution"].update(jitter=1000),
            "datasets.simulated_profile.attribution.jitter: 1000 exceeds",
        ),
        (
            lambda c: c["datasets"]["simulated"]["attribution"].update(explain="SPI1_simHeLa"),
            "datasets.simulated.attribution.explain: 'SPI1_simHeLa' is neither 'sum' nor",
        ),
    ],
)
def test_bad_genomic_config_stops_with_the_key_named(tmp_path, edit, message):
    config = load("simulated.yaml")
    edit(config)
    assert_parse_fails(tmp_path, config, message)


def test_subsampled_pairs_name_conditions_of_every_genomic_dataset(tmp_path):
    # simulated_profile, also in table2, lacks the pair's conditions.
    config = load("simulated.yaml")
    conditions = config["datasets"]["simulated"]["conditions"]
    conditions["none_keep"] = {"keep_positives": 0.5}
    PAPER(config)["table2"]["subsampled"] = {"none": "none_keep"}
    message = "paper.table2.subsampled: 'none_keep' is not one of datasets.simulated_profile"
    assert_parse_fails(tmp_path, config, message)
