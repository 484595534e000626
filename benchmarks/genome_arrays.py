"""Time encoding a FASTA into a genome code array and fetching one-hot windows from it.

Writes a random FASTA (several chromosomes, 60-column lines, some N runs and soft-masked
lower-case stretches) into a temporary directory, block by block so that writing it needs
little memory, then measures:

1. :func:`attrprior.genomics.genome.encode_genome` (including pyfaidx's ``.fai`` build), in bases/s;
2. :meth:`attrprior.genomics.genome.GenomeArray.one_hot` of random 1000-bp windows, in batches, in
   windows/s (the array is in the page cache by then: a warm read);

and prints the peak resident memory (``resource.getrusage``) after each phase, with the
current anonymous and file-backed (memory-mapped) resident memory from ``/proc``, plus an
extrapolation of time and disk to hg38 (3.1 Gb). Run ``python benchmarks/genome_arrays.py
--help``.
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

from attrprior.genomics.genome import DEFAULT_CHUNK_SIZE, GenomeArray, encode_genome

HG38_BASES = 3_100_000_000
_LINE = 60
_BLOCK_LINES = 20_000  # 1.2 Mb of sequence written per block


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chroms", type=int, default=5, help="number of chromosomes")
    parser.add_argument("--megabases", type=float, default=120.0, help="total genome size (Mb)")
    parser.add_argument("--windows", type=int, default=10_000, help="windows to fetch")
    parser.add_argument("--window-length", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1000, help="windows per one_hot call")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="bases/step")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp-dir", default=None, help="parent of the temporary directory")
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory() -> str:
    """Peak RSS, and the current anonymous / file-backed resident memory where Linux says."""
    text = f"peak RSS {peak_rss_mb():.0f} MiB"
    try:
        status = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return text
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    now = [
        f"{key} {int(fields[key].split()[0]) / 1024:.0f}"
        for key in ("RssAnon", "RssFile")
        if key in fields
    ]
    return text + (f" (now {', '.join(now)} MiB)" if now else "")


def write_random_fasta(path: Path, lengths: list[int], rng: np.random.Generator) -> dict[str, int]:
    """Write a random FASTA, one block of lines at a time; return ``chrom -> length``."""
    letters = np.frombuffer(b"ACGTacgtN", dtype=np.uint8)
    sizes = {}
    with open(path, "wb") as handle:
        for number, length in enumerate(lengths, start=1):
            chrom = f"chr{number}"
            sizes[chrom] = length
            handle.write(f">{chrom} random\n".encode())
            for start in range(0, length, _LINE * _BLOCK_LINES):
                n = min(_LINE * _BLOCK_LINES, length - start)
                codes = rng.integers(0, 4, size=n)
                codes[: n // 10] += 4  # a lower-case run at the start of each block
                if start % (10 * _LINE * _BLOCK_LINES) == 0:
                    codes[n // 2 : n // 2 + 5000] = 8  # an N run every ~12 Mb
                block = letters[codes]
                full = n // _LINE * _LINE
                lines = np.concatenate(
                    [block[:full].reshape(-1, _LINE), np.full((full // _LINE, 1), ord("\n"))],
                    axis=1,
                ).astype(np.uint8)
                handle.write(lines.tobytes())
                if n > full:
                    handle.write(block[full:].tobytes() + b"\n")
    return sizes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    total = int(args.megabases * 1e6)
    weights = rng.uniform(0.5, 1.5, size=args.chroms)
    lengths = np.floor(weights / weights.sum() * total).astype(int).tolist()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"after imports: {memory()}")

    with tempfile.TemporaryDirectory(dir=args.tmp_dir, prefix="genome-bench-") as folder:
        folder = Path(folder)
        fasta = folder / "random.fa"
        t0 = time.perf_counter()
        sizes = write_random_fasta(fasta, lengths, rng)
        bases = sum(sizes.values())
        print(
            f"FASTA: {len(sizes)} chromosomes, {bases / 1e6:.1f} Mb, "
            f"{fasta.stat().st_size / 2**20:.0f} MiB on disk, written in "
            f"{time.perf_counter() - t0:.1f} s; {memory()}"
        )

        t0 = time.perf_counter()
        encode_genome(fasta, folder / "random.npy", chunk_size=args.chunk_size)
        encode_s = time.perf_counter() - t0
        rate = bases / encode_s
        print(
            f"encode_genome (chunk {args.chunk_size:,} bases, .fai build included): "
            f"{encode_s:.2f} s, {rate / 1e6:.1f} Mb/s; {memory()}"
        )

        genome = GenomeArray(folder / "random.npy")
        chroms = list(genome.chrom_sizes)
        chosen = rng.choice(len(chroms), size=args.windows, p=np.array(lengths) / bases)
        starts = rng.integers(0, np.array(lengths)[chosen] - args.window_length + 1)
        names = [chroms[i] for i in chosen]
        t0 = time.perf_counter()
        checksum = 0.0
        for lo in range(0, args.windows, args.batch_size):
            hi = lo + args.batch_size
            x = genome.one_hot(names[lo:hi], starts[lo:hi], args.window_length)
            checksum += float(x[:, 0].sum())
        fetch_s = time.perf_counter() - t0
        print(
            f"one_hot: {args.windows:,} windows of {args.window_length} bp in batches of "
            f"{args.batch_size}: {fetch_s:.2f} s, {args.windows / fetch_s:,.0f} windows/s "
            f"({fetch_s / args.windows * 1e6:.0f} µs each, float32 (B, 4, L)); "
            f"{memory()}; A count {checksum:.0f}"
        )

    scale = HG38_BASES / bases
    print(
        f"hg38 extrapolation (3.1 Gb, linear): encode_genome ~{encode_s * scale / 60:.1f} min, "
        f"array {HG38_BASES / 2**30:.1f} GiB on disk (1 byte per base); one_hot per window "
        "does not depend on genome size (cold page cache adds disk reads)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
