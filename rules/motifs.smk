# TF-MoDISco motifs of attributed models (Tseng et al. Figure 3), for datasets with a
# motifs section: one model seed per model and condition.


rule discover_motifs:
    input:
        attributions=lambda wc: motif_attributions(wc),
        inputs=f"{RESULTS}/{{dataset}}/data/attribution_inputs.npz",
    output:
        motifs=f"{RESULTS}/{{dataset}}/motifs/{{model}}/{{condition}}/motifs.npz",
        summary=f"{RESULTS}/{{dataset}}/motifs/{{model}}/{{condition}}/motifs.tsv",
        matches=f"{RESULTS}/{{dataset}}/motifs/{{model}}/{{condition}}/matches.tsv",
        recall=f"{RESULTS}/{{dataset}}/motifs/{{model}}/{{condition}}/recall.tsv",
        logos=report(
            f"{RESULTS}/{{dataset}}/motifs/{{model}}/{{condition}}/logos.png",
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
        motifs=lambda wc: dataset_config(wc, "motifs"),
    script:
        "../workflow/scripts/discover_motifs.py"
