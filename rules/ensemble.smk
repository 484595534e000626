# Majdandzic et al.'s ensemble-difference analysis: per dataset and model of its ensemble
# section, models that differ in their first-layer filter count explain the same sequences;
# their average raw map stands in for the truth (attrprior.ensemble).


use rule train_model as train_ensemble_member with:
    input:
        unpack(paths.training_data),
    output:
        model=f"{paths.ensemble_run}/model.pt",
        history=f"{paths.ensemble_run}/history.tsv",
        test_metrics=f"{paths.ensemble_run}/test_metrics.tsv",
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/filters{n_filters}/seed{seed}/train.log",
    benchmark:
        "logs/benchmarks/train_ensemble_member/{dataset}/{model}/{condition}/filters{n_filters}/seed{seed}.tsv"
    wildcard_constraints:
        n_filters=r"\d+",
    # Only the model differs from train_model's params (the others are inherited).
    params:
        model=lambda wc: config["models"][wc.model] | {"n_filters": int(wc.n_filters)},


# With pack_seeds > 1 the members of one filter count train together (as train_model_pack).
use rule train_model_pack as train_ensemble_pack with:
    input:
        unpack(paths.training_data),
    output:
        pack=directory(paths.ensemble_pack),
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/filters{n_filters}/pack_seeds{first}-{last}.log",
    benchmark:
        "logs/benchmarks/train_ensemble_member/{dataset}/{model}/{condition}/filters{n_filters}/pack_seeds{first}-{last}.tsv"
    wildcard_constraints:
        model="|".join(paths.packed_models) or "(?!)",
        n_filters=r"\d+",
        first=r"\d+",
        last=r"\d+",
    params:
        model=lambda wc: config["models"][wc.model] | {"n_filters": int(wc.n_filters)},


use rule unpack_packed_seed as unpack_ensemble_member with:
    input:
        pack=paths.packed_member_source,
    output:
        model=rules.train_ensemble_member.output.model,
        history=rules.train_ensemble_member.output.history,
        test_metrics=rules.train_ensemble_member.output.test_metrics,
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/filters{n_filters}/seed{seed}/unpack.log",
    wildcard_constraints:
        model="|".join(paths.packed_models) or "(?!)",
        n_filters=r"\d+",


ruleorder: unpack_ensemble_member > train_ensemble_member


use rule attribute as attribute_ensemble_member with:
    input:
        model=rules.train_ensemble_member.output.model,
        inputs=paths.attribution_inputs,
    output:
        attributions=f"{paths.ensemble_run}/maps.npz",
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/filters{n_filters}/seed{seed}/attribute.log",
    benchmark:
        "logs/benchmarks/attribute_ensemble_member/{dataset}/{model}/{condition}/filters{n_filters}/seed{seed}.tsv"
    wildcard_constraints:
        n_filters=r"\d+",
    # The dataset's attribution settings with the ensemble's method only (tasks inherited).
    params:
        attribution=lambda wc: paths.ensemble_attribution(wc),


rule ensemble_difference:
    input:
        maps=lambda wc: paths.ensemble_member_files(wc, "maps.npz"),
        inputs=paths.attribution_inputs,
    output:
        summary=f"{paths.ensemble_dir}/summary.tsv",
        by_angle=f"{paths.ensemble_dir}/by_angle.tsv",
        members=f"{paths.ensemble_dir}/members.tsv",
    log:
        "logs/{dataset}/ensemble/{model}/{condition}/difference.log",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        members=lambda wc: paths.ensemble_members(wc.dataset),
        method=lambda wc: paths.ensemble_method(wc),
        bin_width=lambda wc: paths.dataset_config(wc, "ensemble").get(
            "angle_bin_width", 5
        ),
    script:
        "../workflow/scripts/ensemble_difference.py"
