# Per-sequence metrics (against the ground truth of simulations; on summits, peaks and
# footprints of genomic datasets, Tseng et al. Tables 3-4), angle statistics, collection.


rule score_attributions:
    input:
        attributions=rules.attribute.output.attributions,
        inputs=paths.attribution_inputs,
    output:
        sequences=f"{paths.results}/{{dataset}}/scores/{{model}}/{{condition}}/seed{{seed}}/sequences.tsv",
        pooled=f"{paths.results}/{{dataset}}/scores/{{model}}/{{condition}}/seed{{seed}}/pooled.tsv",
        angle_fractions=f"{paths.results}/{{dataset}}/scores/{{model}}/{{condition}}/seed{{seed}}/angle_fractions.tsv",
        angle_histogram=f"{paths.results}/{{dataset}}/scores/{{model}}/{{condition}}/seed{{seed}}/angle_histogram.tsv",
    log:
        "logs/{dataset}/score/{model}/{condition}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/score_attributions/{dataset}/{model}/{condition}/seed{seed}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        evaluation=lambda wc: paths.dataset_config(wc, "evaluation"),
    script:
        "../workflow/scripts/score_attributions.py"


rule collect_scores:
    input:
        sequences=lambda wc: paths.run_outputs(
            rules.score_attributions.output.sequences, wc.dataset
        ),
        pooled=lambda wc: paths.run_outputs(
            rules.score_attributions.output.pooled, wc.dataset
        ),
        angle_fractions=lambda wc: paths.run_outputs(
            rules.score_attributions.output.angle_fractions, wc.dataset
        ),
        angle_histogram=lambda wc: paths.run_outputs(
            rules.score_attributions.output.angle_histogram, wc.dataset
        ),
        test_metrics=lambda wc: paths.run_outputs(
            rules.train_model.output.test_metrics, wc.dataset
        ),
    output:
        sequences=f"{paths.results}/{{dataset}}/scores/sequences.tsv.gz",
        pooled=f"{paths.results}/{{dataset}}/scores/pooled.tsv",
        angle_fractions=f"{paths.results}/{{dataset}}/scores/angle_fractions.tsv",
        angle_histograms=f"{paths.results}/{{dataset}}/scores/angle_histograms.tsv",
        models=f"{paths.results}/{{dataset}}/scores/models.tsv",
    log:
        "logs/{dataset}/collect_scores.log",
    benchmark:
        "logs/benchmarks/collect_scores/{dataset}.tsv"
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    script:
        "../workflow/scripts/collect_scores.py"
