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
    output:
        model=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/model.pt",
        history=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/history.tsv",
        test_metrics=f"{RESULTS}/{{dataset}}/models/{{model}}/{{condition}}/seed{{seed}}/test_metrics.tsv",
    log:
        "logs/{dataset}/train/{model}/{condition}/seed{seed}.log",
    benchmark:
        "logs/benchmarks/train_model/{dataset}/{model}/{condition}/seed{seed}.tsv"
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
        device=config["device"],
        genomic=lambda wc: (
            genomic_source(wc.dataset) if wc.dataset in WINDOW_DATASETS else None
        ),
        # Without the evaluation keys: changing how models are explained retrains nothing.
        single_motif=lambda wc: single_motif_settings(wc, drop=("evaluation",)),
    script:
        "../workflow/scripts/train_model.py"


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
