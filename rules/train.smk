# One training job per dataset × model × condition × seed.


rule train_model:
    input:
        unpack(training_data),
        # weight "auto" scales the prior to the no-prior model of the same seed.
        reference=lambda wc: (
            reference_run(wc, rules.train_model.output.model)
            if dataset_config(wc, "conditions")[wc.condition].get("weight") == "auto"
            else []
        ),
        # A weight given as a grid is tuned first (rule choose_weight).
        weight_choice=lambda wc: (
            f"{RESULTS}/{wc.dataset}/models/{wc.model}/{wc.condition}/tuning/weight_choice.tsv"
            if tuned_key(dataset_config(wc, "conditions")[wc.condition])
            else []
        ),
    output:
        model=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/model.pt",
        history=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/history.tsv",
        test_metrics=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/test_metrics.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/seed{seed}.tsv"
    wildcard_constraints:
        model="|".join(TRAINED_MODELS) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        model=lambda wc: config["models"][wc.model],
        condition=lambda wc: dataset_config(wc, "conditions")[wc.condition],
        training=lambda wc: dataset_config(wc, "training"),
        genomic=lambda wc: (
            genomic_source(wc.dataset) if wc.dataset in WINDOW_DATASETS else None
        ),
        # Without the evaluation keys: changing how models are explained retrains nothing.
        single_motif=lambda wc: single_motif_settings(wc, drop=("evaluation",)),
    script:
        "../workflow/scripts/train_model.py"


# With pack_seeds > 1 the seeds of a binary model and condition are trained in packs
# (attrprior.packing) and copied to train_model's outputs, so no later rule changes.
use rule train_model as train_model_pack with:
    input:
        unpack(training_data),
        reference=pack_references,
        weight_choice=lambda wc: (
            f"{RESULTS}/{wc.dataset}/models/{wc.model}/{wc.condition}/tuning/weight_choice.tsv"
            if tuned_key(dataset_config(wc, "conditions")[wc.condition])
            else []
        ),
    output:
        pack=directory(PACK),
    log:
        "logs/{dataset}/train/{model}/{condition}/pack_seeds{first}-{last}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/pack_seeds{first}-{last}.tsv"
    wildcard_constraints:
        model="|".join(PACKED_MODELS) or "(?!)",
        first=r"\d+",
        last=r"\d+",
    params:
        seeds=pack_seeds,


rule unpack_packed_seed:
    input:
        pack=packed_seed_source,
    output:
        model=rules.train_model.output.model,
        history=rules.train_model.output.history,
        test_metrics=rules.train_model.output.test_metrics,
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}_unpack.log",
    wildcard_constraints:
        model="|".join(PACKED_MODELS) or "(?!)",
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
        unpack(training_data),
    output:
        model=f"{TUNING_RUN}/model.pt",
        history=f"{TUNING_RUN}/history.tsv",
        test_metrics=f"{TUNING_RUN}/test_metrics.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/tuning/weight{weight_index}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/tuning/weight{weight_index}/seed{seed}.tsv"
    params:
        model=lambda wc: config["models"][wc.model],
        condition=lambda wc: tuning_run_condition(wc),
        training=lambda wc: dataset_config(wc, "training"),
        genomic=lambda wc: (
            genomic_source(wc.dataset) if wc.dataset in WINDOW_DATASETS else None
        ),
        single_motif=lambda wc: single_motif_settings(wc, drop=("evaluation",)),


rule choose_weight:
    input:
        histories=lambda wc: tuning_runs(wc, f"{TUNING_RUN}/history.tsv"),
    output:
        choice=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/tuning/weight_choice.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/tuning/choose_weight.log",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        weights=lambda wc: tuning_runs(wc, "{weight}"),
        seeds=lambda wc: tuning_runs(wc, "{seed}"),
    script:
        "../workflow/scripts/choose_weight.py"


# Not part of `all`: `snakemake gpu_smoke_test --profile profiles/slurm` checks that jobs get
# a GPU (lists the visible GPUs, runs one Fourier-prior training step on CUDA).
rule gpu_smoke_test:
    output:
        report=f"{RESULTS}/gpu_smoke_test.txt",
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
        unpack(training_data),
        weights=lambda wc: published_weights_file(wc.model, wc.seed),
    output:
        model=rules.train_model.output.model,
        history=rules.train_model.output.history,
        test_metrics=rules.train_model.output.test_metrics,
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}.log",
    wildcard_constraints:
        model="|".join(PUBLISHED_MODELS) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        model=lambda wc: config["models"][wc.model],
        training=lambda wc: dataset_config(wc, "training"),
        source=lambda wc: published_weights_source(wc.model, wc.seed),
    script:
        "../workflow/scripts/import_published_model.py"
