# Majdandzic et al.'s ensemble-difference analysis: per dataset and model of its ensemble
# section, models that differ in their first-layer filter count explain the same sequences;
# their average raw map stands in for the truth (attrprior.ensemble).


use rule train_model as train_ensemble_member with:
    input:
        unpack(training_data),
    output:
        model=f"{ENSEMBLE_RUN}/model.pt",
        history=f"{ENSEMBLE_RUN}/history.tsv",
        test_metrics=f"{ENSEMBLE_RUN}/test_metrics.tsv",
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/filters{n_filters}/seed{seed}/train.log",
    benchmark:
        "logs/benchmarks/train_ensemble_member/{dataset}/{model}/{condition}/filters{n_filters}/seed{seed}.tsv"
    wildcard_constraints:
        n_filters=r"\d+",
    params:
        model=lambda wc: config["models"][wc.model] | {"n_filters": int(wc.n_filters)},
        condition=lambda wc: dataset_config(wc, "conditions")[wc.condition],
        training=lambda wc: dataset_config(wc, "training"),
        genomic=lambda wc: (
            genomic_source(wc.dataset) if wc.dataset in WINDOW_DATASETS else None
        ),
        single_motif=lambda wc: single_motif_settings(wc, drop=("evaluation",)),


use rule attribute as attribute_ensemble_member with:
    input:
        model=rules.train_ensemble_member.output.model,
        inputs=ATTRIBUTION_INPUTS,
    output:
        attributions=f"{ENSEMBLE_RUN}/maps.npz",
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/filters{n_filters}/seed{seed}/attribute.log",
    benchmark:
        "logs/benchmarks/attribute_ensemble_member/{dataset}/{model}/{condition}/filters{n_filters}/seed{seed}.tsv"
    wildcard_constraints:
        n_filters=r"\d+",
    params:
        # The dataset's attribution settings, with the ensemble's method only.
        attribution=lambda wc: dataset_config(wc, "attribution")
        | {"methods": {ensemble_method(wc): ensemble_method_params(wc)}},
        tasks=lambda wc: model_tasks(config["datasets"][wc.dataset], config["models"]),


rule ensemble_difference:
    input:
        maps=lambda wc: ensemble_member_files(wc, "maps.npz"),
        inputs=ATTRIBUTION_INPUTS,
    output:
        summary=f"{ENSEMBLE_DIR}/summary.tsv",
        by_angle=f"{ENSEMBLE_DIR}/by_angle.tsv",
        members=f"{ENSEMBLE_DIR}/members.tsv",
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/difference.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        members=lambda wc: ensemble_members(wc.dataset),
        method=lambda wc: ensemble_method(wc),
        bin_width=lambda wc: dataset_config(wc, "ensemble").get("angle_bin_width", 5),
    script:
        "../workflow/scripts/ensemble_difference.py"
