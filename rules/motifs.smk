# TF-MoDISco motifs of attributed models (Tseng et al. Figure 3), for datasets with a
# motifs section: one model seed per model and condition.


# With motifs.n_sequences, the motif seed's model is explained again, with the motifs'
# method only, on more positives (data/motif_inputs.npz) than the attribution runs use.
rule motif_attributions:
    input:
        model=lambda wc: rules.train_model.output.model.format(
            dataset=wc.dataset,
            model=wc.model,
            condition=wc.condition,
            seed=paths.dataset_config(wc, "motifs")["seed"],
        ),
        inputs=f"{paths.results}/{{dataset}}/data/motif_inputs.npz",
    output:
        attributions=f"{paths.results}/{{dataset}}/motifs/{{model}}/{{condition}}/attributions.npz",
    log:
        "logs/{dataset}/motif_attributions/{model}/{condition}.log",
    benchmark:
        "logs/benchmarks/motif_attributions/{dataset}/{model}/{condition}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        attribution=lambda wc: paths.motif_attribution_settings(wc),
        tasks=lambda wc: model_tasks(config["datasets"][wc.dataset], config["models"]),
    script:
        "../workflow/scripts/attribute.py"


# A positive control of TF-MoDISco and TOMTOM (attrprior.motif_control): three JASPAR motifs
# planted in clean synthetic contributions must all be found. It runs once, before the
# per-model jobs, and so also fills numba's cache with most of the kernels that each of those
# jobs would otherwise compile for itself in a fresh environment (about a minute of one core).
rule motif_control:
    output:
        control=report(
            f"{paths.results}/motif_control.tsv",
            caption="../workflow/report/motif_control.rst",
            category="Motifs",
        ),
    log:
        "logs/motif_control.log",
    benchmark:
        "logs/benchmarks/motif_control.tsv"
    conda:
        "../envs/motifs.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../workflow/scripts/motif_control.py"


rule discover_motifs:
    input:
        # ancient: a rerun of the control alone does not make every TF-MoDISco job stale.
        control=ancient(rules.motif_control.output.control),
        attributions=lambda wc: motif_attributions(wc),
        inputs=lambda wc: paths.motif_inputs(wc),
    output:
        motifs=f"{paths.results}/{{dataset}}/motifs/{{model}}/{{condition}}/motifs.npz",
        summary=f"{paths.results}/{{dataset}}/motifs/{{model}}/{{condition}}/motifs.tsv",
        matches=f"{paths.results}/{{dataset}}/motifs/{{model}}/{{condition}}/matches.tsv",
        recall=f"{paths.results}/{{dataset}}/motifs/{{model}}/{{condition}}/recall.tsv",
        logos=report(
            f"{paths.results}/{{dataset}}/motifs/{{model}}/{{condition}}/logos.png",
            caption="../workflow/report/motif_logos.rst",
            category="Motifs",
            subcategory="{dataset} {model}",
            labels={
                "dataset": "{dataset}",
                "model": "{model}",
                "condition": "{condition}",
            },
        ),
    log:
        "logs/{dataset}/discover_motifs/{model}/{condition}.log",
    benchmark:
        "logs/benchmarks/discover_motifs/{dataset}/{model}/{condition}.tsv"
    conda:
        "../envs/motifs.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        motifs=lambda wc: paths.dataset_config(wc, "motifs"),
    script:
        "../workflow/scripts/discover_motifs.py"
