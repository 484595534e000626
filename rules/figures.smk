# Figures per dataset and model; each is redrawn from collected scores without retraining.


# They take seconds and about 1 GB at paper scale (reading 5 M per-sequence rows: 16 s): on a
# cluster they run on the submitting host rather than as jobs of their own.
localrules:
    plot_metric_distributions,
    plot_raw_vs_corrected,
    plot_angle_histograms,
    plot_logos,


rule plot_metric_distributions:
    input:
        sequences=rules.collect_scores.output.sequences,
    output:
        figure=figure_output("metric_distributions"),
    log:
        "logs/{dataset}/figures/{model}/metric_distributions.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        reference=lambda wc: paths.dataset_config(wc, "evaluation")[
            "reference_condition"
        ],
    script:
        "../workflow/scripts/plot_metric_distributions.py"


rule plot_raw_vs_corrected:
    input:
        sequences=rules.collect_scores.output.sequences,
    output:
        figure=figure_output("raw_vs_corrected"),
    log:
        "logs/{dataset}/figures/{model}/raw_vs_corrected.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    script:
        "../workflow/scripts/plot_raw_vs_corrected.py"


rule plot_angle_histograms:
    input:
        angle_histograms=rules.collect_scores.output.angle_histograms,
    output:
        figure=figure_output("angle_histograms"),
    log:
        "logs/{dataset}/figures/{model}/angle_histograms.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../workflow/scripts/plot_angle_histograms.py"


rule plot_logos:
    input:
        attributions=lambda wc: expand(
            rules.attribute.output.attributions,
            dataset=wc.dataset,
            model=wc.model,
            condition=list(paths.dataset_config(wc, "conditions")),
            seed=0,
        ),
        inputs=paths.attribution_inputs,
    output:
        figure=figure_output("logos"),
    log:
        "logs/{dataset}/figures/{model}/logos.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        conditions=lambda wc: list(paths.dataset_config(wc, "conditions")),
        figures=lambda wc: paths.dataset_config(wc, "figures"),
    script:
        "../workflow/scripts/plot_logos.py"
