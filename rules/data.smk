# Simulated datasets and the fixed inputs of every attribution run.


rule simulate_dataset:
    output:
        dataset=f"{paths.results}/{{dataset}}/data/dataset.npz",
        placements=report(
            f"{paths.results}/{{dataset}}/data/placements.tsv",
            caption="../workflow/report/placements.rst",
            category="Data",
        ),
        motif_pool=report(
            f"{paths.results}/{{dataset}}/data/motif_pool.tsv",
            caption="../workflow/report/motif_pool.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/simulate_dataset.log",
    benchmark:
        "logs/benchmarks/simulate_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(
            name
            for name in paths.simulated_datasets
            if name not in paths.published_billboards
        )
        or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        simulation=lambda wc: paths.simulation_config(wc),
    script:
        "../workflow/scripts/simulate_dataset.py"


# A billboard dataset's published draw (billboard.published: Majdandzic et al.'s
# synthetic_code_dataset.h5), stored as a simulated one, its planted motifs read back
# from the ground truth.
rule published_billboard:
    input:
        h5=lambda wc: paths.external_path(
            config["datasets"][wc.dataset]["billboard"]["published"]
        ),
    output:
        dataset=rules.simulate_dataset.output.dataset,
        placements=rules.simulate_dataset.output.placements,
        motif_pool=rules.simulate_dataset.output.motif_pool,
    log:
        "logs/{dataset}/published_billboard.log",
    benchmark:
        "logs/benchmarks/published_billboard/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(paths.published_billboards) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        billboard=lambda wc: config["datasets"][wc.dataset]["billboard"],
    script:
        "../workflow/scripts/published_billboard.py"


# A dataset published as HDF5 splits (published_h5), as peak-centred regions are stored
# (rule task_regions): every model of the dataset trains on it.
rule published_regions:
    input:
        h5=lambda wc: paths.external_path(
            config["datasets"][wc.dataset]["published_h5"]["file"]
        ),
    output:
        regions=f"{paths.results}/{{dataset}}/data/regions.npz",
        summary=report(
            f"{paths.results}/{{dataset}}/data/regions_summary.tsv",
            caption="../workflow/report/regions_summary.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/published_regions.log",
    wildcard_constraints:
        dataset="|".join(paths.published_datasets) or "(?!)",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../workflow/scripts/published_regions.py"


# purpose "attribution": the sequences every model is explained on; "motif": those that
# TF-MoDISco's DeepSHAP maps are computed on, when motifs.n_sequences asks for more.
rule attribution_inputs:
    input:
        dataset=rules.simulate_dataset.output.dataset,
    output:
        inputs=f"{paths.results}/{{dataset}}/data/{{purpose}}_inputs.npz",
    log:
        "logs/{dataset}/{purpose}_inputs.log",
    benchmark:
        "logs/benchmarks/{purpose}_inputs/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(paths.simulated_datasets) or "(?!)",
        purpose="attribution|motif",
    conda:
        "../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        attribution=lambda wc: paths.dataset_config(wc, "attribution"),
        n_sequences=lambda wc: paths.inputs_size(wc),
        splits=lambda wc: INPUT_SPLITS[wc.purpose],
        single_motif=lambda wc: paths.single_motif_settings(wc),
    script:
        "../workflow/scripts/attribution_inputs.py"
