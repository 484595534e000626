# One training job per dataset × model × condition × seed.


rule train_model:
    input:
        unpack(paths.training_data),
        # weight "auto" scales the prior to the no-prior model of the same seed.
        reference=lambda wc: (
            paths.reference_run(wc, rules.train_model.output.model)
            if paths.dataset_config(wc, "conditions")[wc.condition].get("weight")
            == "auto"
            else []
        ),
        # A weight given as a grid is tuned first (rule choose_weight).
        weight_choice=lambda wc: (
            f"{paths.results}/{wc.dataset}/models/{wc.model}/{wc.condition}/tuning/weight_choice.tsv"
            if tuned_key(paths.dataset_config(wc, "conditions")[wc.condition])
            else []
        ),
    output:
        model=f"{paths.results}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/model.pt",
        history=f"{paths.results}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/history.tsv",
        test_metrics=f"{paths.results}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/test_metrics.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/seed{seed}.tsv"
    wildcard_constraints:
        model="|".join(paths.trained_models) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        model=lambda wc: config["models"][wc.model],
        condition=lambda wc: paths.dataset_config(wc, "conditions")[wc.condition],
        training=lambda wc: paths.dataset_config(wc, "training"),
        genomic=lambda wc: (
            paths.genomic_source(wc.dataset)
            if wc.dataset in paths.window_datasets
            else None
        ),
        # Without the evaluation keys: changing how models are explained retrains nothing.
        single_motif=lambda wc: paths.single_motif_settings(wc, drop=("evaluation",)),
    script:
        "../workflow/scripts/train_model.py"


# With pack_seeds > 1 the seeds of a binary model and condition are trained in packs
# (attrprior.packing) and copied to train_model's outputs, so no later rule changes.
use rule train_model as train_model_pack with:
    input:
        unpack(paths.training_data),
        reference=pack_references,
        weight_choice=lambda wc: (
            f"{paths.results}/{wc.dataset}/models/{wc.model}/{wc.condition}/tuning/weight_choice.tsv"
            if tuned_key(paths.dataset_config(wc, "conditions")[wc.condition])
            else []
        ),
    output:
        pack=directory(paths.pack),
    log:
        "logs/{dataset}/train/{model}/{condition}/pack_seeds{first}-{last}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/pack_seeds{first}-{last}.tsv"
    wildcard_constraints:
        model="|".join(paths.packed_models) or "(?!)",
        first=r"\d+",
        last=r"\d+",
    params:
        seeds=paths.pack_seeds,


rule unpack_packed_seed:
    input:
        pack=paths.packed_seed_source,
    output:
        model=rules.train_model.output.model,
        history=rules.train_model.output.history,
        test_metrics=rules.train_model.output.test_metrics,
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}_unpack.log",
    wildcard_constraints:
        model="|".join(paths.packed_models) or "(?!)",
    localrule: True
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../workflow/scripts/unpack_packed_seed.py"


ruleorder: unpack_packed_seed > train_model


# Tseng et al. (Section 8.2) tune the smoothness and sparsity weights on validation loss: a
# condition whose weight (or l2_weight) is {grid: [...], tuning_seeds: k} is trained at
# every grid weight on k tuning seeds (10000, 10001, ...: never a seed of its own runs);
# its runs then use the weight of lowest mean validation loss.
use rule train_model as train_tuning_run with:
    input:
        unpack(paths.training_data),
    output:
        model=f"{paths.tuning_run}/model.pt",
        history=f"{paths.tuning_run}/history.tsv",
        test_metrics=f"{paths.tuning_run}/test_metrics.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/tuning/weight{weight_index}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/tuning/weight{weight_index}/seed{seed}.tsv"
    params:
        model=lambda wc: config["models"][wc.model],
        condition=lambda wc: paths.tuning_run_condition(wc),
        training=lambda wc: paths.dataset_config(wc, "training"),
        genomic=lambda wc: (
            paths.genomic_source(wc.dataset)
            if wc.dataset in paths.window_datasets
            else None
        ),
        single_motif=lambda wc: paths.single_motif_settings(wc, drop=("evaluation",)),


rule choose_weight:
    input:
        histories=lambda wc: paths.tuning_runs(wc, f"{paths.tuning_run}/history.tsv"),
    output:
        choice=f"{paths.results}/{{dataset}}/models/{{model}}/{{condition}}/tuning/weight_choice.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/tuning/choose_weight.log",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        weights=lambda wc: paths.tuning_runs(wc, "{weight}"),
        seeds=lambda wc: paths.tuning_runs(wc, "{seed}"),
    script:
        "../workflow/scripts/choose_weight.py"


# Not part of `all`: `snakemake gpu_smoke_test --profile profiles/slurm` checks that jobs get
# a GPU (lists the visible GPUs, runs one Fourier-prior training step on CUDA).
rule gpu_smoke_test:
    output:
        report=f"{paths.results}/gpu_smoke_test.txt",
    log:
        "logs/gpu_smoke_test.log",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
        gpu=1,
    script:
        "../workflow/scripts/gpu_smoke_test.py"


# A published trained model (models.<name>.published_weights) stands where a training run
# would: its weights loaded, its validation loss and test metrics measured.
rule import_published_model:
    input:
        unpack(paths.training_data),
        weights=lambda wc: paths.published_weights_file(wc.model, wc.seed),
    output:
        model=rules.train_model.output.model,
        history=rules.train_model.output.history,
        test_metrics=rules.train_model.output.test_metrics,
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}.log",
    wildcard_constraints:
        model="|".join(paths.published_models) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        model=lambda wc: config["models"][wc.model],
        training=lambda wc: paths.dataset_config(wc, "training"),
        source=lambda wc: paths.published_weights_source(wc.model, wc.seed),
    script:
        "../workflow/scripts/import_published_model.py"
