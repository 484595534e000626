"""Throughput and memory of genome-wide binary labelling (:func:`write_binary_labels`).

Builds a random genome layout (``--chroms`` chromosomes of ``--chrom-size`` bp), random peaks
at ENCODE-like density per task (optimal peaks; relaxed peaks = the optimal ones plus extra
ones; widths 150-600 bp), a sparse blacklist, writes them as gzip narrowPeak / BED files in a
temporary directory, and times one :func:`attrprior.genomics.labels.write_binary_labels` call on the
files (reading, merging, labelling and writing the ``.npz`` included). Prints bins per second,
wall time, peak resident memory, and a linear extrapolation to hg38.

Run ``python benchmarks/labels_throughput.py --help``.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.genomics.labels import write_binary_labels

HG38_SIZE = 3_100_000_000  # bp, primary assembly
HG38_LARGEST = 248_956_422  # chr1
PEAK_WIDTHS = (150, 600)  # bp, uniform
BLACKLIST_PER_MB = 0.2  # about 640 regions over hg38 (ENCODE blacklist v2: 636)
BLACKLIST_WIDTHS = (1_000, 20_000)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chroms", type=int, default=5, help="number of chromosomes")
    parser.add_argument("--chrom-size", type=int, default=25_000_000, help="bp per chromosome")
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--optimal-per-100mb", type=int, default=20_000)
    parser.add_argument(
        "--relaxed-per-100mb", type=int, default=60_000, help="relaxed peaks incl. the optimal"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def random_peaks(sizes: dict[str, int], n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` random narrowPeak rows spread over the chromosomes in proportion to length.

    Returns
    -------
    pandas.DataFrame
        The ten narrowPeak columns, sorted by chromosome and start.
    """
    names = np.array(list(sizes))
    lengths = np.array(list(sizes.values()), dtype=np.int64)
    chrom = rng.choice(len(names), size=n, p=lengths / lengths.sum())
    width = rng.integers(*PEAK_WIDTHS, size=n, endpoint=True)
    start = (rng.random(n) * (lengths[chrom] - width)).astype(np.int64)
    table = pd.DataFrame(
        {
            "chrom": names[chrom],
            "start": start,
            "end": start + width,
            "name": ".",
            "score": 0,
            "strand": ".",
            "signal": rng.gamma(2.0, 5.0, size=n).round(3),
            "p_value": -1,
            "q_value": rng.gamma(2.0, 5.0, size=n).round(3),
            "summit": (rng.random(n) * width).astype(np.int64),
        }
    )
    return table.sort_values(["chrom", "start"], kind="stable").reset_index(drop=True)


def random_blacklist(sizes: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    """About :data:`BLACKLIST_PER_MB` regions per Mb, 1-20 kb wide (at least one)."""
    total = sum(sizes.values())
    n = max(1, round(total / 1e6 * BLACKLIST_PER_MB))
    peaks = random_peaks(sizes, n, rng)
    width = rng.integers(*BLACKLIST_WIDTHS, size=n, endpoint=True)
    length = peaks["chrom"].map(sizes).to_numpy()
    start = np.minimum(peaks["start"].to_numpy(), length - width)
    return pd.DataFrame({"chrom": peaks["chrom"], "start": start, "end": start + width})


def write_inputs(args: argparse.Namespace, folder: Path) -> tuple[Path, list, list, Path, int]:
    """Write chrom sizes, per-task optimal / relaxed narrowPeak files and a blacklist."""
    rng = np.random.default_rng(args.seed)
    sizes = {f"chr{i + 1}": args.chrom_size for i in range(args.chroms)}
    total = sum(sizes.values())
    n_optimal = round(args.optimal_per_100mb * total / 1e8)
    n_extra = max(0, round(args.relaxed_per_100mb * total / 1e8) - n_optimal)
    sizes_path = folder / "genome.chrom.sizes"
    sizes_path.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    optimal, relaxed = [], []
    for t in range(args.tasks):
        opt = random_peaks(sizes, n_optimal, rng)
        rel = pd.concat([opt, random_peaks(sizes, n_extra, rng)], ignore_index=True)
        for table, kind, paths in ((opt, "optimal", optimal), (rel, "relaxed", relaxed)):
            path = folder / f"task{t}.{kind}.narrowPeak.gz"
            table.to_csv(path, sep="\t", header=False, index=False, compression="gzip")
            paths.append(path)
    blacklist = folder / "blacklist.bed.gz"
    random_blacklist(sizes, rng).to_csv(
        blacklist, sep="\t", header=False, index=False, compression="gzip"
    )
    return sizes_path, optimal, relaxed, blacklist, n_optimal


def max_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    total = args.chroms * args.chrom_size
    with tempfile.TemporaryDirectory(prefix="labels-bench-") as tmp:
        folder = Path(tmp)
        sizes_path, optimal, relaxed, blacklist, n_optimal = write_inputs(args, folder)
        rss_before = max_rss_mib()
        tic = time.perf_counter()
        summary = write_binary_labels(
            folder / "labels.npz",
            sizes_path,
            optimal,
            relaxed,
            blacklist,
            tasks=[f"task{t}" for t in range(args.tasks)],
        )
        wall = time.perf_counter() - tic
        rss_after = max_rss_mib()
        output_mib = (folder / "labels.npz").stat().st_size / 2**20
    bins = int(summary["bins"].sum())
    windows = int(summary["windows"].sum())
    print(f"python {platform.python_version()}, {platform.processor() or platform.machine()}")
    print(
        f"genome: {args.chroms} x {args.chrom_size / 1e6:g} Mb = {total / 1e6:g} Mb; "
        f"{args.tasks} tasks; per task {n_optimal} optimal peaks, "
        f"{round(args.relaxed_per_100mb * total / 1e8)} relaxed peaks"
    )
    print(
        f"bins {bins:,}; windows kept {windows:,}; dropped off ends "
        f"{int(summary['dropped_off_end'].sum()):,}; blacklisted "
        f"{int(summary['dropped_blacklist'].sum()):,}; output {output_mib:.1f} MiB"
    )
    for t in range(args.tasks):
        print(
            f"task{t}: positive {int(summary[f'positive_task{t}'].sum()):,}, "
            f"ambiguous {int(summary[f'ambiguous_task{t}'].sum()):,}"
        )
    print(f"wall time {wall:.2f} s; {bins / wall:,.0f} bins/s")
    print(f"peak RSS {rss_after:.0f} MiB (before the call {rss_before:.0f} MiB)")
    hg38_bins = HG38_SIZE / 50
    scale = HG38_LARGEST / args.chrom_size
    rss_hg38 = rss_before + (rss_after - rss_before) * scale
    print(
        f"hg38 extrapolation (linear in genome size; working memory in the largest "
        f"chromosome, {HG38_LARGEST / 1e6:.0f} Mb): about {hg38_bins / 1e6:.0f} M bins, "
        f"{hg38_bins / (bins / wall) / 60:.1f} min, peak RSS about {rss_hg38 / 1024:.1f} GiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
