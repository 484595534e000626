"""Time and peak memory of CPU training and attribution under glibc's malloc, tcmalloc and
jemalloc.

glibc gives each block above its mmap threshold (which it raises as blocks are freed, up to
32 MiB) a fresh mapping and unmaps it when it is freed. A step whose tensors are larger than
that (a pack of seeds; DeepSHAP's batches of 256 example-reference pairs; the Tseng profile
model, or the binary model at a batch above 128) has the kernel map and zero those pages
again at every step. tcmalloc, loaded with ``LD_PRELOAD``, keeps freed memory for reuse;
jemalloc is measured too.

Each workload runs in a fresh process per allocator, glibc's first: an untimed warm-up,
then ``--repeats`` timed runs. The process checks that the preloaded library is mapped
(``/proc/self/maps``); ld.so only warns when it cannot load one, so an allocator that did
not load is reported as such, not timed. Printed per workload and allocator: the median
milliseconds of a run, the process's peak resident memory (``ru_maxrss``) and the minor page
faults per timed run, and the time and memory against glibc's. Linux only. Workloads, with
random weights and random one-hot inputs:

- ``tseng_binary_step``: one training step of the Tseng binary model (1000 bp) on 128
  sequences (the shape of a batch of 64 with its reverse complements), no prior;
- ``tseng_binary_pack``: a packed step of ``--seeds`` such models
  (:mod:`attrprior.packing`);
- ``deepshap_tseng_binary``, ``deepshap_tseng_profile``: DeepSHAP of 40 examples with 10
  dinucleotide-shuffled references each, batches of 256 pairs (the profile model with its
  control, through its explained output).

Run ``python benchmarks/host_allocator.py`` (allocators not found are skipped, with a
note); see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import ctypes.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

from attrprior.conditions import Condition, TrainSettings
from attrprior.deepshap import deepshap, dinucleotide_references
from attrprior.explained import ProfileAttributionModel
from attrprior.models import build_model
from attrprior.objectives import BinaryObjective
from attrprior.packing import PackedAdam, SeedPack, build_seeds, train_pack_step
from attrprior.sequences import codes_to_one_hot
from attrprior.train import SeedRun

WORKLOADS = (
    "tseng_binary_step",
    "tseng_binary_pack",
    "deepshap_tseng_binary",
    "deepshap_tseng_profile",
)
# Allocator name -> the library names ctypes.util.find_library tries, in order.
ALLOCATORS = {
    "glibc": (),
    "tcmalloc": ("tcmalloc_minimal", "tcmalloc"),
    "jemalloc": ("jemalloc",),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument(
        "--allocators", nargs="+", default=list(ALLOCATORS), choices=list(ALLOCATORS)
    )
    parser.add_argument(
        "--library",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="the shared library of allocator NAME (default: found by ctypes.util.find_library)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per workload")
    parser.add_argument("--seeds", type=int, default=4, help="pack size of tseng_binary_pack")
    parser.add_argument("--scale", type=float, default=1.0, help="batch and example counts ×")
    parser.add_argument(
        "--threads", type=int, default=len(os.sched_getaffinity(0)), help="torch threads"
    )
    parser.add_argument("--child", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.seeds < 2:
        parser.error("--seeds must be at least 2")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if not (args.scale > 0 and math.isfinite(args.scale)):
        parser.error("--scale must be a number above 0")
    args.libraries = {}
    for item in args.library:
        name, _, path = item.partition("=")
        if not ALLOCATORS.get(name) or not path:  # glibc has no library to give
            parser.error(f"--library {item!r}: expected tcmalloc=PATH or jemalloc=PATH")
        if name not in args.allocators:
            parser.error(f"--library {item!r}: {name} is not among --allocators")
        args.libraries[name] = path
    # glibc's first: the others are compared with it.
    args.allocators = sorted(dict.fromkeys(args.allocators), key=lambda a: a != "glibc")
    return args


def make_workload(name: str, seeds: int, scale: float) -> Callable[[], None]:
    """One run of workload ``name``, ready to call (models and inputs built here)."""
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    if name.startswith("deepshap_"):
        architecture = name.removeprefix("deepshap_")
        length = 1346 if architecture == "tseng_profile" else 1000
        settings = {"architecture": architecture, "length": length}
        if architecture == "tseng_profile":
            settings["control_strands"] = 2
        model = build_model(**settings).eval()
        x = codes_to_one_hot(rng.integers(0, 4, (max(1, round(40 * scale)), length)))
        references = dinucleotide_references(x, n_shuffles=10, seed=0)
        extra = None
        if architecture == "tseng_profile":
            control = rng.random((len(x), 1, 2, model.output_length)).astype(np.float32)
            extra = (control,)
            model = ProfileAttributionModel(model).eval()
        return lambda: deepshap(model, x, references, batch_size=256, args=extra)

    architecture = {"architecture": "tseng_binary", "length": 1000, "n_tasks": 1}
    batch = max(2, round(128 * scale))
    x = torch.as_tensor(codes_to_one_hot(rng.integers(0, 4, (batch, 1000))))
    y = torch.as_tensor(rng.random((batch, 1)) < 0.5).float()
    objective, condition = BinaryObjective(), Condition()
    if name == "tseng_binary_step":
        run = SeedRun(build_model(**architecture), condition, TrainSettings(), 0, "cpu", objective)
        run.model.train()
        return lambda: run.train_step((x, y))
    models, generators = build_seeds(architecture, range(seeds))
    pack = SeedPack(models, generators)
    adam = PackedAdam(pack, [torch.optim.Adam(m.parameters()) for m in models])
    return lambda: train_pack_step(objective, pack, [(x, y)] * seeds, [condition] * seeds, adam)


def preloaded() -> bool:
    """Whether every library in ``LD_PRELOAD`` is mapped into this process."""
    libraries = os.environ.get("LD_PRELOAD", "").replace(":", " ").split()
    with open("/proc/self/maps") as maps:
        mapped = maps.read()
    # A path is mapped under its target's name. A bare soname is found on the loader's path,
    # mapped under a file name that starts with it (libtcmalloc_minimal.so.4.5.10).
    names = [os.path.basename(os.path.realpath(lib) if os.sep in lib else lib) for lib in libraries]
    return all(name in mapped for name in names)


def measure(name: str, repeats: int, seeds: int, scale: float) -> dict:
    """Milliseconds per run (median), peak RSS (MiB) and minor faults per timed run."""
    run = make_workload(name, seeds, scale)
    run()  # warm-up
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "ms": 1e3 * statistics.median(seconds),
        "max_rss_mib": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "faults_per_run": (usage.ru_minflt - faults) / repeats,
    }


def find_library(allocator: str, given: dict[str, str]) -> str | None:
    """The shared library to preload for ``allocator`` ("" for glibc's own malloc), or None
    where it is not found."""
    if allocator in given:
        return given[allocator]
    if not ALLOCATORS[allocator]:
        return ""
    for name in ALLOCATORS[allocator]:
        found = ctypes.util.find_library(name)
        if found:
            return found
    return None


def run_child(workload: str, library: str, args: argparse.Namespace) -> dict | str:
    """``measure`` in a fresh process with ``library`` preloaded, or why it gave nothing."""
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    if library:
        env["LD_PRELOAD"] = library
    command = [
        sys.executable,
        __file__,
        "--child",
        workload,
        f"--repeats={args.repeats}",
        f"--seeds={args.seeds}",
        f"--scale={args.scale}",
        f"--threads={args.threads}",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()
        return f"failed (exit {done.returncode}): {last[-1] if last else 'no message'}"
    try:
        result = json.loads(done.stdout.splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return f"no result: {done.stdout[-300:]!r}"
    if not result["preloaded"]:
        why = [line for line in done.stderr.splitlines() if "LD_PRELOAD" in line]
        return f"{library} was not loaded" + (f": {why[0].strip()}" if why else "")
    return result


def main(argv: list[str] | None = None) -> None:
    if platform.system() != "Linux":
        raise SystemExit("host_allocator.py runs on Linux only (LD_PRELOAD, /proc/self/maps)")
    args = parse_args(argv)
    if args.child:
        torch.set_num_threads(args.threads)
        if not preloaded():
            print(json.dumps({"preloaded": False}))
            return
        result = measure(args.child, args.repeats, args.seeds, args.scale)
        print(json.dumps({"preloaded": True, **result}))
        return
    libraries = {}
    for allocator in args.allocators:
        library = find_library(allocator, args.libraries)
        if library is None:
            print(f"# {allocator}: not found (install it, or give --library {allocator}=PATH)")
        else:
            libraries[allocator] = library
    print(
        f"# torch {torch.__version__}, {args.threads} threads, {args.repeats} timed runs after "
        f"a warm-up, each workload and allocator in a fresh process; scale {args.scale}, "
        f"packs of {args.seeds}"
    )
    print("workload\tallocator\tms\tmax_rss_mib\tfaults_per_run\tms_vs_glibc\trss_vs_glibc")
    for workload in args.workloads:
        baseline = None
        for allocator, library in libraries.items():
            result = run_child(workload, library, args)
            if isinstance(result, str):
                print(f"# {workload}, {allocator}: {result}", flush=True)
                if allocator == "glibc":
                    print(f"# {workload}: no glibc run, so no ratios (nan)", flush=True)
                continue
            if allocator == "glibc":
                baseline = result
            ms_ratio = result["ms"] / baseline["ms"] if baseline else float("nan")
            rss_ratio = (
                result["max_rss_mib"] / baseline["max_rss_mib"] if baseline else float("nan")
            )
            print(
                f"{workload}\t{allocator}\t{result['ms']:.0f}\t{result['max_rss_mib']:.0f}\t"
                f"{result['faults_per_run']:.0f}\t{ms_ratio:.2f}\t{rss_ratio:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
