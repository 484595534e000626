"""Summarise the workflow's job benchmarks (the rules' ``benchmark:`` files) per rule.

Every heavy rule writes ``logs/benchmarks/<rule>/<wildcards>.tsv`` (Snakemake's benchmark
format: ``s``, ``max_rss`` in MB, ...). This prints, per rule and dataset, the number of
jobs and the largest and median wall time and peak resident memory: the numbers the cluster
profile (profiles/slurm/config.yaml) sets ``runtime`` and ``mem_mb`` from.

    python benchmarks/job_resources.py                  # logs/benchmarks of this checkout
    python benchmarks/job_resources.py /tmp/run/logs/benchmarks --output jobs.tsv
"""

import argparse
from pathlib import Path

import pandas as pd


def collect(root):
    """One row per benchmark file: rule, dataset (or the first wildcard), s, max_rss."""
    rows = []
    for path in sorted(Path(root).rglob("*.tsv")):
        parts = path.relative_to(root).with_suffix("").parts
        table = pd.read_csv(path, sep="\t", na_values="-")
        rows += [
            {
                "rule": parts[0],
                "dataset": parts[1] if len(parts) > 2 else parts[-1],
                "job": "/".join(parts[1:]),
                "s": row.s,
                "max_rss": row.max_rss,
            }
            for row in table.itertuples()
        ]
    return pd.DataFrame(rows, columns=["rule", "dataset", "job", "s", "max_rss"])


def summarise(jobs):
    """Per rule and dataset: jobs, max and median seconds and peak RSS (MB)."""
    grouped = jobs.groupby(["rule", "dataset"])
    return grouped.agg(
        jobs=("job", "count"),
        s_max=("s", "max"),
        s_median=("s", "median"),
        max_rss_max=("max_rss", "max"),
        max_rss_median=("max_rss", "median"),
    ).round(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="logs/benchmarks", type=Path)
    parser.add_argument("--output", type=Path, help="also write the table as TSV")
    args = parser.parse_args()
    jobs = collect(args.root)
    if jobs.empty:
        raise SystemExit(f"no benchmark files under {args.root}")
    table = summarise(jobs)
    print(table.to_string())
    if args.output:
        table.to_csv(args.output, sep="\t")


if __name__ == "__main__":
    main()
