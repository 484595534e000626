"""Time one training step of the Tseng et al. binary model under each training condition.

A step is what :func:`attrprior.train.train_model` does per batch: forward (with double
backprop for the attribution priors), correctness + λ·prior + l2_weight·L2, backward, Adam
step. The losses come from :func:`attrprior.objectives.condition_losses`, so the timings follow the
training code as it is.

The batch is random one-hot sequences, the first half labelled positive (Tseng et al.'s
64 + 64 batches). Conditions are timed round-robin (one step of each per round) so that drift
on a shared machine affects them alike. Each condition has its own seeded model and optimiser.

Run ``python benchmarks/prior_step.py --help``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from attrprior.conditions import Condition
from attrprior.device import synchronise
from attrprior.models import TsengBinaryCNN
from attrprior.objectives import condition_losses

# λ = 1 for the priors (Tseng et al.'s binary models); the L2 weight only has to be > 0 for
# the penalty to be computed, its value does not change the cost.
CONDITIONS: dict[str, Condition] = {
    "none": Condition(),
    "fourier": Condition(prior="fourier", prior_weight=1.0, prior_params={"freq_limit": 150}),
    # Each example's own gradient, the batch statistics held fixed: one forward pass more.
    "fourier_per_example": Condition(
        prior="fourier",
        prior_weight=1.0,
        prior_params={"freq_limit": 150},
        prior_gradient="per_example",
    ),
    "smoothness": Condition(prior="smoothness", prior_weight=1.0),
    "sparsity": Condition(prior="sparsity", prior_weight=1.0),
    "l2": Condition(l2_weight=1e-3),
}
# Targets reported against (not enforced).
FOURIER_TARGET = 2.5  # Fourier step / plain step
SPARSITY_TARGET = 1.5  # sparsity step / Fourier step


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="torch.set_num_threads (default: all cores available to this process)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per condition")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per condition")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument(
        "--loss",
        default="balanced_bce",
        help="correctness loss in attrprior.losses.LOSSES (Tseng et al.: balanced_bce)",
    )
    parser.add_argument(
        "--conditions",
        nargs="+",
        default=list(CONDITIONS),
        choices=list(CONDITIONS),
        help="conditions to time (none is always included: it is the baseline)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="also write the table here as TSV")
    parser.add_argument(
        "--profile",
        choices=list(CONDITIONS),
        help="after timing, profile one step of this condition with torch.profiler",
    )
    args = parser.parse_args(argv)
    if "none" not in args.conditions:
        args.conditions.insert(0, "none")
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be >= 1 and --warmup >= 0")
    return args


def random_batch(
    batch_size: int, length: int, seed: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """One-hot ``(N, 4, L)`` float32 sequences and ``(N, 1)`` labels, first half positive."""
    rng = np.random.default_rng(seed)
    x = np.zeros((batch_size, 4, length), dtype=np.float32)
    x[
        np.arange(batch_size)[:, None], rng.integers(0, 4, (batch_size, length)), np.arange(length)
    ] = 1
    y = np.zeros((batch_size, 1), dtype=np.float32)
    y[: batch_size // 2] = 1
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def make_step(
    condition: Condition, args: argparse.Namespace, x: torch.Tensor, y: torch.Tensor
) -> Callable[[], None]:
    """A closure running one training step of a fresh seeded model under ``condition``."""
    torch.manual_seed(args.seed)
    model = TsengBinaryCNN(length=args.length, n_tasks=y.shape[1]).to(x.device).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    # condition_losses grew a ``loss`` argument; older versions always use plain BCE.
    extra = {"loss": args.loss} if "loss" in inspect.signature(condition_losses).parameters else {}

    def step() -> None:
        correctness, prior, l2 = condition_losses(model, x, y, condition, **extra)
        loss = correctness + condition.prior_weight * prior + condition.l2_weight * l2
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    return step


def time_steps(
    steps: dict[str, Callable[[], None]], repeats: int, warmup: int, device: torch.device
) -> dict[str, list[float]]:
    """Seconds of each timed step per condition, conditions interleaved round by round."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            synchronise(device)
            start = time.perf_counter()
            step()
            synchronise(device)
            times[name].append(time.perf_counter() - start)
    return times


def summarise(times: dict[str, list[float]]) -> list[dict[str, object]]:
    """One row per condition: median and min seconds, ratios to the plain and Fourier steps."""
    medians = {name: statistics.median(t) for name, t in times.items()}
    rows = []
    for name, t in times.items():
        rows.append(
            {
                "condition": name,
                "median_s": medians[name],
                "min_s": min(t),
                "ratio_to_none": medians[name] / medians["none"],
                "ratio_to_fourier": (
                    medians[name] / medians["fourier"] if "fourier" in medians else float("nan")
                ),
            }
        )
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    header = f"{'condition':<21}{'median s':>10}{'min s':>10}{'x none':>9}{'x fourier':>11}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['condition']:<21}{r['median_s']:>10.3f}{r['min_s']:>10.3f}"
            f"{r['ratio_to_none']:>9.2f}{r['ratio_to_fourier']:>11.2f}"
        )
    return "\n".join(lines)


def verdicts(rows: list[dict[str, object]]) -> list[str]:
    by_name = {r["condition"]: r for r in rows}
    lines = []
    if "fourier" in by_name:
        ratio = by_name["fourier"]["ratio_to_none"]
        ok = "meets" if ratio <= FOURIER_TARGET else "MISSES"
        lines.append(f"Fourier / plain step: {ratio:.2f} ({ok} target <= {FOURIER_TARGET})")
    if "fourier" in by_name and "sparsity" in by_name:
        ratio = by_name["sparsity"]["ratio_to_fourier"]
        ok = "meets" if ratio <= SPARSITY_TARGET else "MISSES"
        lines.append(f"sparsity / Fourier step: {ratio:.2f} ({ok} target <= {SPARSITY_TARGET})")
    return lines


def write_tsv(rows: list[dict[str, object]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0])
    with open(path, "w") as handle:
        handle.write("\t".join(columns) + "\n")
        for r in rows:
            handle.write(
                "\t".join(f"{r[c]:.6g}" if isinstance(r[c], float) else str(r[c]) for c in columns)
                + "\n"
            )


def profile_step(step: Callable[[], None], device: torch.device, row_limit: int = 20) -> str:
    """Operator table of one step (after a warm-up step), sorted by self time."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    step()
    synchronise(device)
    with profile(activities=activities) as prof:
        step()
        synchronise(device)
    sort_by = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    return prof.key_averages().table(sort_by=sort_by, row_limit=row_limit)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    x, y = random_batch(args.batch_size, args.length, args.seed, device)
    print(
        f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
        f"batch {args.batch_size} x 4 x {args.length}, loss {args.loss}, "
        f"{args.warmup} warm-up + {args.repeats} timed steps per condition, "
        f"machine {platform.machine()} ({os.cpu_count()} cores)"
    )
    steps = {name: make_step(CONDITIONS[name], args, x, y) for name in args.conditions}
    times = time_steps(steps, args.repeats, args.warmup, device)
    rows = summarise(times)
    print(format_table(rows))
    for line in verdicts(rows):
        print(line)
    if args.output is not None:
        write_tsv(rows, args.output)
        print(f"wrote {args.output}")
    if args.profile is not None:
        print(f"\nprofile of one '{args.profile}' step:")
        step = steps.get(args.profile) or make_step(CONDITIONS[args.profile], args, x, y)
        print(profile_step(step, device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
