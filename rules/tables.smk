# Summary tables (TSV for machines, Markdown for people) with the statistical tests.


rule tables:
    input:
        sequences=rules.collect_scores.output.sequences,
        pooled=rules.collect_scores.output.pooled,
        angle_fractions=rules.collect_scores.output.angle_fractions,
        models=rules.collect_scores.output.models,
    output:
        **{
            f"{table}_{ext}": report(
                f"{paths.results}/{{dataset}}/tables/{table}.{ext}",
                caption=f"../workflow/report/{table}.rst",
                category="Tables",
                labels={"table": table, "format": ext},
            )
            for table in TABLES
            for ext in ("tsv", "md")
        },
    log:
        "logs/{dataset}/tables.log",
    wildcard_constraints:
        dataset="|".join(paths.simulated_datasets) or "(?!)",
    conda:
        "../envs/stats.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    params:
        reference=lambda wc: paths.dataset_config(wc, "evaluation")[
            "reference_condition"
        ],
    script:
        "../workflow/scripts/tables.py"
