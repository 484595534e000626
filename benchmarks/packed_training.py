"""Models per hour: S seeds trained packed (:func:`attrprior.packing.train_packed`) against
the same S seeds trained one by one (:func:`attrprior.train.train_model`).

Both arms train the same seeded models on the same random one-hot data (half the
sequences carry a planted 10-mer and are labelled positive) for a fixed number of epochs
(early stopping off), validation included, in one process, after an untimed warm-up of
each arm (one epoch of two batches). The arms alternate per round so that drift on a
shared machine affects them alike. The packed arm's weights are checked
against the one-by-one arm's (the largest difference of the training-loss history is
printed: float noise, see :mod:`attrprior.packing`).

The last columns say how much packing can gain on the device at most, from training steps
of one model timed in the same process (``step_seconds``, medians, round-robin):

- ``batch_bound`` (at ``bound_k``): the largest k t(B) / t(kB) over the divisors k of S,
  where t(n) is the time of one step on a batch of n examples. A pack of k seeds does the
  arithmetic of one model on a batch of kB, on activations of the same size, and more
  besides (each seed's optimiser and dropout masks, grouped convolutions); a pack of S
  seeds run in chunks of k (``vmap``'s ``chunk_size``) does it S / k times. So no pack
  is much faster than the best large batch.
- ``fixed_share``: t(2) / t(B), 2 examples being the least BatchNorm takes. A 2-example
  step is nearly all fixed cost (Python, dispatch, the optimiser), the share of a step
  that a pack can save at most; it saves it only where a larger batch is not slower per
  example.

Run ``python benchmarks/packed_training.py --help``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from attrprior.conditions import Condition, TrainSettings
from attrprior.models import build_model
from attrprior.objectives import BinaryObjective
from attrprior.packing import seed_generator, train_packed
from attrprior.train import train_model

MODELS = {
    "cnn_shallow": {"architecture": "cnn_shallow", "activation": "relu", "length": 200},
    "tseng_binary": {"architecture": "tseng_binary", "length": 1000},
}
CONDITIONS = {
    "none": {},
    "fourier": {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 150}},
}
# Issue 17's targets at S = 10, packed / one-by-one models per hour, per device type.
TARGETS = {"cpu": {"cnn_shallow": 1.5}, "cuda": {"cnn_shallow": 5.0, "tseng_binary": 3.0}}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument(
        "--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS)
    )
    parser.add_argument("--seeds", type=int, default=10, help="pack size S")
    parser.add_argument("--examples", type=int, default=1000, help="training sequences")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds per arm")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--bound-repeats", type=int, default=7, help="timed steps per batch size for the bound"
    )
    parser.add_argument(
        "--bound-only", action="store_true", help="time the bounds only, not the two arms"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads", type=int, default=len(os.sched_getaffinity(0)), help="torch threads"
    )
    return parser.parse_args(argv)


def synthetic_data(n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` one-hot sequences ``(n, 4, length)`` and labels ``(n, 1)``; positives carry a
    10-mer at the centre."""
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1).copy()
    y = (rng.random((n, 1)) < 0.5).astype(np.float32)
    motif = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 3, 2, 1, 0, 0, 2]].T
    centre = length // 2 - 5
    x[y[:, 0] == 1, :, centre : centre + 10] = motif
    return x, y


def one_by_one(arch, data, valid, condition, settings, seeds, device):
    histories = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = build_model(**arch)
        histories.append(train_model(model, data, valid, condition, settings, seed, device)[1])
    return histories


def packed(arch, data, valid, condition, settings, seeds, device):
    models, generators = [], []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(build_model(**arch).to(device))
        generators.append(seed_generator(seed, device))
    results = train_packed(
        models,
        [data] * len(seeds),
        valid,
        [condition] * len(seeds),
        settings,
        seeds,
        generators,
        device,
    )
    return [history for _, history in results]


def compare_arms(
    arch, data, valid, condition, settings, seeds, device, rounds
) -> tuple[float, float, float]:
    """Seconds one by one, seconds packed (summed over alternating rounds) and the largest
    difference between the two arms' training-loss histories."""
    times = {"one_by_one": 0.0, "packed": 0.0}
    for _ in range(rounds):
        for arm, train in (("one_by_one", one_by_one), ("packed", packed)):
            start = time.perf_counter()
            histories = train(arch, data, valid, condition, settings, seeds, device)
            times[arm] += time.perf_counter() - start
            if arm == "one_by_one":
                reference = histories
    diff = max(
        float(np.abs(a["train_correctness"] - b["train_correctness"]).max())
        for a, b in zip(reference, histories, strict=True)
    )
    return times["one_by_one"], times["packed"], diff


def step_seconds(
    model: torch.nn.Module,
    optimiser: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, torch.Tensor],
    condition: Condition,
) -> float:
    """Seconds of one training step (losses, backward, Adam) as :func:`train_model` takes it."""
    start = time.perf_counter()
    correctness, prior, l2 = BinaryObjective("bce").losses(model, batch, condition)
    optimiser.zero_grad()
    (correctness + condition.prior_weight * prior + condition.l2_weight * l2).backward()
    optimiser.step()
    if batch[0].device.type == "cuda":
        torch.cuda.synchronize(batch[0].device)
    return time.perf_counter() - start


def packing_bounds(
    arch, x, y, condition, seeds, batch_size, repeats, device
) -> tuple[float, int, float]:
    """``batch_bound``, its k and ``fixed_share`` (see the module's docstring): medians
    of ``repeats`` steps per batch size, round-robin after two warm-up steps each."""
    ks = [k for k in range(1, seeds + 1) if seeds % k == 0]
    sizes = [2, *(k * batch_size for k in ks)]
    index = np.arange(sizes[-1]) % len(x)
    runs = {}
    for size in sizes:
        torch.manual_seed(0)
        model = build_model(**arch).to(device).train()
        batch = tuple(torch.from_numpy(a[index[:size]]).to(device) for a in (x, y))
        runs[size] = (model, torch.optim.Adam(model.parameters(), lr=1e-3), batch)
    times = {size: [] for size in sizes}
    for repeat in range(repeats + 2):
        for size, (model, optimiser, batch) in runs.items():
            seconds = step_seconds(model, optimiser, batch, condition)
            if repeat >= 2:
                times[size].append(seconds)
    median = {size: float(np.median(values)) for size, values in times.items()}
    small = median[batch_size]
    gains = {k: k * small / median[k * batch_size] for k in ks}
    best = max(gains, key=gains.get)
    return gains[best], best, median[2] / small


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(
        f"# {card or platform.machine()}, torch {torch.__version__}, {args.threads} threads; "
        f"S={args.seeds}, {args.examples} training sequences, {args.epochs} epochs, "
        f"batch {args.batch_size}"
    )
    print(
        "model\tcondition\tone_by_one_s\tpacked_s\tmodels_per_hour_ratio\tmax_history_diff"
        "\tbatch_bound\tbound_k\tfixed_share"
    )
    seeds = list(range(args.seeds))
    settings = TrainSettings(
        max_epochs=args.epochs, batch_size=args.batch_size, patience=args.epochs + 1
    )
    warmup_settings = TrainSettings(max_epochs=1, batch_size=args.batch_size, patience=2)
    for name in args.models:
        arch = {**MODELS[name], "n_tasks": 1}
        x, y = synthetic_data(args.examples + 200, arch["length"])
        data, valid = (
            (x[: args.examples], y[: args.examples]),
            (x[args.examples :], y[args.examples :]),
        )
        for condition_name in args.conditions:
            condition = Condition.from_config(CONDITIONS[condition_name])
            arms = (float("nan"),) * 3
            if not args.bound_only:
                # Untimed, so that neither arm pays the process's first-call costs.
                warmup = ((data[0][: 2 * args.batch_size], data[1][: 2 * args.batch_size]),)
                compare_arms(arch, *warmup, valid, condition, warmup_settings, seeds, device, 1)
                arms = compare_arms(
                    arch, data, valid, condition, settings, seeds, device, args.rounds
                )
            bounds = packing_bounds(
                arch, x, y, condition, args.seeds, args.batch_size, args.bound_repeats, device
            )
            print(
                f"{name}\t{condition_name}\t{arms[0]:.1f}\t{arms[1]:.1f}"
                f"\t{arms[0] / arms[1]:.2f}\t{arms[2]:.1e}"
                f"\t{bounds[0]:.2f}\t{bounds[1]}\t{bounds[2]:.2f}",
                flush=True,
            )
    targets = TARGETS.get(device.type, {})
    print(
        f"# targets ({device.type}, S=10): " + ", ".join(f"{m} >= {t}" for m, t in targets.items())
    )


if __name__ == "__main__":
    main()
