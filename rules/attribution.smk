# Attribution maps of every trained model on the same test sequences and references.


rule attribute:
    input:
        model=rules.train_model.output.model,
        inputs=ATTRIBUTION_INPUTS,
    output:
        attributions=f"{RESULTS}/{{dataset}}/attributions/{{model}}/{{condition}}/seed{{seed}}.npz",
    log:
        "logs/{dataset}/attribute/{model}/{condition}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/attribute/{dataset}/{model}/{condition}/seed{seed}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        attribution=lambda wc: dataset_config(wc, "attribution"),
        tasks=lambda wc: model_tasks(config["datasets"][wc.dataset], config["models"]),
    script:
        "../workflow/scripts/attribute.py"
