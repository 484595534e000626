# The papers' tables and figures as named targets (`snakemake table1`, `snakemake fig5`, …).
# Datasets per target come from config key paper.<target>; PAPER_TARGETS in attrprior.workflow.checks says
# which datasets each accepts. The paper_* rules aggregate finished runs and never train:
# after editing a plotting script, `snakemake <target> --forcerun paper_<target>
# --rerun-triggers mtime` redraws one figure (docs/targets.md).


localrules:
    paper_table1,
    paper_table2,
    paper_table3,
    paper_table4,
    paper_fig2,
    paper_fig3,
    paper_fig4,
    paper_fig5,
    paper_comparison,
    scorecard,


rule paper_table1:
    input:
        test_metrics=lambda wc: paths.paper_run_files(
            "table1", rules.train_model.output.test_metrics
        ),
    output:
        md=paper_report("table1", "md"),
        tsv=f"{paths.paper}/table1.tsv",
    log:
        "logs/paper/table1.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        names=lambda wc: paths.scorecard_settings(),
        runs=lambda wc: paths.paper_runs("table1"),
    script:
        "../workflow/scripts/paper_table1.py"


# Across-seed rows for the selected conditions; with paper.table2.subsampled also the
# similarity between the models of each all-data condition and of its subsampled one.
rule paper_table2:
    input:
        attributions=lambda wc: [
            rules.attribute.output.attributions.format(**run)
            for run in paths.table2_runs()
        ],
        histories=lambda wc: [
            rules.train_model.output.history.format(**run)
            for run in paths.table2_runs()
        ],
    output:
        md=paper_report("table2", "md"),
        tsv=f"{paths.paper}/table2.tsv",
        sequences=f"{paths.paper}/table2_sequences.tsv",
    log:
        "logs/paper/table2.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        names=lambda wc: paths.scorecard_settings(),
        runs=lambda wc: paths.table2_runs(),
        selection=lambda wc: paths.paper_dataset_selection("table2"),
        subsampled=lambda wc: paths.table2_subsampled(),
        methods=lambda wc: paths.paper_methods("table2"),
        reference=lambda wc: paths.paper_reference("table2"),
        top_models=lambda wc: paths.paper_selection("table2").get("top_models"),
        n_sequences=lambda wc: paths.paper_selection("table2").get("n_sequences"),
    script:
        "../workflow/scripts/paper_table2.py"


rule paper_table3:
    input:
        sequences=lambda wc: paths.paper_dataset_files(
            "table3", rules.collect_scores.output.sequences
        ),
        pooled=lambda wc: paths.paper_dataset_files(
            "table3", rules.collect_scores.output.pooled
        ),
    output:
        md=paper_report("table3", "md"),
        tsv=f"{paths.paper}/table3.tsv",
    log:
        "logs/paper/table3.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        names=lambda wc: paths.scorecard_settings(),
        datasets=lambda wc: paths.paper_selection("table3")["datasets"],
        selection=lambda wc: paths.paper_dataset_selection("table3"),
        methods=lambda wc: paths.paper_methods("table3"),
        reference=lambda wc: paths.paper_reference("table3"),
        target="table3",
        sequence_metric="summit_spearman",
        pooled_metric="peaks_auprc",
        title="Tseng et al. Table 3: importance on summits and called peaks",
    script:
        "../workflow/scripts/paper_placement.py"


rule paper_table4:
    input:
        sequences=lambda wc: paths.paper_dataset_files(
            "table4", rules.collect_scores.output.sequences
        ),
        pooled=lambda wc: paths.paper_dataset_files(
            "table4", rules.collect_scores.output.pooled
        ),
    output:
        md=paper_report("table4", "md"),
        tsv=f"{paths.paper}/table4.tsv",
    log:
        "logs/paper/table4.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        names=lambda wc: paths.scorecard_settings(),
        datasets=lambda wc: paths.paper_selection("table4")["datasets"],
        selection=lambda wc: paths.paper_dataset_selection("table4"),
        methods=lambda wc: paths.paper_methods("table4"),
        reference=lambda wc: paths.paper_reference("table4"),
        target="table4",
        sequence_metric="fraction_in_footprints",
        pooled_metric="footprints_auprc",
        title="Tseng et al. Table 4: importance on footprints / ChIP-nexus peaks",
    script:
        "../workflow/scripts/paper_placement.py"


rule paper_fig2:
    input:
        sequences=lambda wc: paths.paper_dataset_files(
            "fig2", rules.collect_scores.output.sequences
        ),
    output:
        figure=paper_report("fig2", "png"),
        tsv=f"{paths.paper}/fig2.tsv",
    log:
        "logs/paper/fig2.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        datasets=lambda wc: paths.paper_selection("fig2")["datasets"],
        selection=lambda wc: paths.paper_dataset_selection("fig2"),
        methods=lambda wc: paths.paper_methods("fig2"),
        reference=lambda wc: paths.paper_reference("fig2"),
    script:
        "../workflow/scripts/paper_fig2.py"


rule paper_fig3:
    input:
        recall=lambda wc: [
            rules.discover_motifs.output.recall.format(**run)
            for run in paths.paper_motif_runs("fig3")
        ],
        matches=lambda wc: [
            rules.discover_motifs.output.matches.format(**run)
            for run in paths.paper_motif_runs("fig3")
        ],
        summaries=lambda wc: [
            rules.discover_motifs.output.summary.format(**run)
            for run in paths.paper_motif_runs("fig3")
        ],
    output:
        figure=paper_report("fig3", "png"),
        tsv=f"{paths.paper}/fig3.tsv",
    log:
        "logs/paper/fig3.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        runs=lambda wc: paths.paper_motif_runs("fig3"),
        reference=lambda wc: paths.paper_reference("fig3"),
        planted=lambda wc: paths.planted_motifs("fig3"),
    script:
        "../workflow/scripts/paper_fig3.py"


rule paper_fig4:
    input:
        test_metrics=lambda wc: paths.paper_run_files(
            "fig4", rules.train_model.output.test_metrics
        ),
        histories=lambda wc: paths.paper_run_files(
            "fig4", rules.train_model.output.history
        ),
    output:
        figure=paper_report("fig4", "png"),
        tsv=f"{paths.paper}/fig4.tsv",
    log:
        "logs/paper/fig4.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        runs=lambda wc: paths.paper_runs("fig4"),
        reference=lambda wc: paths.paper_reference("fig4"),
    script:
        "../workflow/scripts/paper_fig4.py"


rule paper_fig5:
    input:
        sequences=lambda wc: paths.paper_dataset_files(
            "fig5", rules.collect_scores.output.sequences
        ),
    output:
        figure=paper_report("fig5", "png"),
        tsv=f"{paths.paper}/fig5.tsv",
    log:
        "logs/paper/fig5.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        datasets=lambda wc: paths.paper_selection("fig5")["datasets"],
        methods=lambda wc: paths.paper_methods("fig5"),
        gc_excess=lambda wc: {
            dataset: config["datasets"][dataset]["single_motif"]["positive_gc_excess"]
            for dataset in paths.paper_selection("fig5")["datasets"]
        },
    script:
        "../workflow/scripts/paper_fig5.py"


# Majdandzic et al.'s ensemble difference (Supplementary Fig. 3): every ensemble of the
# selected datasets and models.
rule paper_fig_koo_ensemble:
    input:
        summaries=lambda wc: paths.paper_ensemble_files("summary"),
        by_angle=lambda wc: paths.paper_ensemble_files("by_angle"),
    output:
        figure=paper_report("fig_koo_ensemble", "png"),
        md=f"{paths.paper}/fig_koo_ensemble.md",
        tsv=f"{paths.paper}/fig_koo_ensemble.tsv",
    log:
        "logs/paper/fig_koo_ensemble.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../workflow/scripts/paper_fig_koo_ensemble.py"


# Named targets, one per table and figure of the papers.


rule table1:
    input:
        lambda wc: paths.paper_target_files("table1"),


rule table2:
    input:
        lambda wc: paths.paper_target_files("table2"),


rule table3:
    input:
        lambda wc: paths.paper_target_files("table3"),


rule table4:
    input:
        lambda wc: paths.paper_target_files("table4"),


rule table_simulation:
    input:
        lambda wc: paths.paper_target_files("table_simulation"),


rule table_baselines:
    input:
        lambda wc: paths.paper_target_files("table_baselines"),


rule fig1:
    input:
        lambda wc: paths.paper_target_files("fig1"),


rule fig2:
    input:
        lambda wc: paths.paper_target_files("fig2"),


rule fig3:
    input:
        lambda wc: paths.paper_target_files("fig3"),


rule fig4:
    input:
        lambda wc: paths.paper_target_files("fig4"),


rule fig5:
    input:
        lambda wc: paths.paper_target_files("fig5"),


rule fig1_koo:
    input:
        lambda wc: paths.paper_target_files("fig1_koo"),


rule fig2_koo:
    input:
        lambda wc: paths.paper_target_files("fig2_koo"),


rule fig_koo_ensemble:
    input:
        lambda wc: paths.paper_target_files("fig_koo_ensemble"),


# Per-dataset paper targets (table_simulation, table_baselines, fig1_koo): our numbers of
# the paper's metrics beside the paper's values.
rule paper_comparison:
    input:
        sequences=lambda wc: [
            rules.collect_scores.output.sequences.format(dataset=d)
            for d in paths.comparison_datasets(wc.target)
        ],
        pooled=lambda wc: [
            rules.collect_scores.output.pooled.format(dataset=d)
            for d in paths.comparison_datasets(wc.target)
        ],
        angle_fractions=lambda wc: [
            rules.collect_scores.output.angle_fractions.format(dataset=d)
            for d in paths.comparison_datasets(wc.target)
        ],
        models=lambda wc: [
            rules.collect_scores.output.models.format(dataset=d)
            for d in paths.comparison_datasets(wc.target)
        ],
    output:
        md=report(
            f"{paths.paper}/{{target}}.md",
            caption="../workflow/report/paper_comparison.rst",
            category="Paper tables and figures",
            labels={"target": "{target}", "format": "md"},
        ),
        tsv=f"{paths.paper}/{{target}}.tsv",
    log:
        "logs/paper/{target}.log",
    wildcard_constraints:
        target="|".join(COMPARISON_TARGETS),
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        datasets=lambda wc: paths.comparison_datasets(wc.target),
        settings=lambda wc: paths.scorecard_settings(),
    script:
        "../workflow/scripts/paper_comparison.py"


# One row per claim of the two papers: our effect and test, the paper's value, a verdict
# (attrprior.scorecard). Reads the scores of every attributed dataset of the paper targets,
# the test metrics of Table 1's runs and Table 2's similarities; it never trains.
rule scorecard:
    input:
        sequences=lambda wc: [
            rules.collect_scores.output.sequences.format(dataset=d)
            for d in paths.scorecard_datasets()
        ],
        pooled=lambda wc: [
            rules.collect_scores.output.pooled.format(dataset=d)
            for d in paths.scorecard_datasets()
        ],
        angle_fractions=lambda wc: [
            rules.collect_scores.output.angle_fractions.format(dataset=d)
            for d in paths.scorecard_datasets()
        ],
        test_metrics=lambda wc: [
            rules.train_model.output.test_metrics.format(**run)
            for run in paths.scorecard_runs()
        ],
        histories=lambda wc: [
            rules.train_model.output.history.format(**run)
            for run in paths.scorecard_runs()
        ],
        stability=lambda wc: (
            [rules.paper_table2.output.sequences]
            if "table2" in config.get("paper", {})
            else []
        ),
        ensembles=lambda wc: paths.paper_ensemble_files("members"),
    output:
        md=report(
            f"{paths.paper}/scorecard.md",
            caption="../workflow/report/scorecard.rst",
            category="1. Reproduction scorecard",
            labels={"table": "scorecard", "format": "md"},
        ),
        tsv=f"{paths.paper}/scorecard.tsv",
        units=f"{paths.paper}/scorecard_units.tsv",
    log:
        "logs/paper/scorecard.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        datasets=lambda wc: paths.scorecard_datasets(),
        runs=lambda wc: paths.scorecard_runs(),
        settings=lambda wc: paths.scorecard_settings(),
        ensemble_datasets=lambda wc: [run["dataset"] for run in paths.paper_ensembles()],
    script:
        "../workflow/scripts/scorecard.py"


rule paper:
    input:
        lambda wc: paths.paper_outputs(),
