# Attribution maps of every trained model on the same test sequences and references.


rule attribute:
    input:
        model=rules.train_model.output.model,
        inputs=paths.attribution_inputs,
    output:
        attributions=f"{paths.results}/{{dataset}}/attributions/{{model}}/{{condition}}/seed{{seed}}.npz",
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
        attribution=lambda wc: paths.dataset_config(wc, "attribution"),
        tasks=lambda wc: model_tasks(config["datasets"][wc.dataset], config["models"]),
    script:
        "../workflow/scripts/attribute.py"


# Peak-centred regions (encode_regions) and published datasets (published_h5): random
# positive test regions, their summit at the centre (Majdandzic et al.'s tasks are
# summit-centred), explained like the windows of encode_binary datasets.
rule region_attribution_inputs:
    input:
        regions=f"{paths.results}/{{dataset}}/data/regions.npz",
    output:
        inputs=paths.attribution_inputs,
    log:
        "logs/{dataset}/region_attribution_inputs.log",
    wildcard_constraints:
        dataset="|".join(paths.region_datasets + paths.published_datasets) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        attribution=lambda wc: paths.dataset_config(wc, "attribution"),
    script:
        "../workflow/scripts/region_attribution_inputs.py"
