"""Models per hour: S seeds trained packed (:func:`attrprior.packing.train_packed`) against
the same S seeds trained one by one (:func:`attrprior.train.train_model`).

Both arms train the same seeded models on the same random one-hot data (half the
sequences carry a planted 10-mer and are labelled positive) for a fixed number of epochs
(early stopping off), validation included, in one process, after an untimed warm-up of
each arm (one epoch of two batches). The arms alternate per round so that drift on a
shared machine affects them alike. The packed arm's weights are checked
against the one-by-one arm's: the largest difference of the training-loss history is
printed. On a CPU it is float noise; on a GPU a packed seed draws other dropout masks than
the seed alone (see :mod:`attrprior.packing`), and convolutions may use TF32, so the
histories differ by more there (the Tseng binary model has no dropout).

The last columns estimate how much packing can gain on the device at most, from training
steps of one model timed in the same process (``step_seconds``, medians, round-robin):

- ``batch_bound`` (at ``bound_k``): the largest k t(B) / t(kB) over the divisors k of S,
  where t(n) is the time of one step on a batch of n examples. A pack of k seeds does the
  arithmetic of one model on a batch of kB, on activations of the same size, and adds its
  own per-seed work (k optimisers, k dropout streams, grouped convolutions). So a pack of
  all S seeds (k = S, what :func:`attrprior.packing.train_packed` runs) or one run in
  chunks of k seeds is not expected to beat the best large batch. A measurement, not a
  proof: it moves with the machine's load.
- ``fixed_share``: t(2) / t(B), 2 examples being the least BatchNorm takes. A 2-example
  step is nearly all fixed cost (Python, dispatch, the optimiser), the most of a step a
  pack could save; it saves it only where a larger batch costs no more per example,
  which ``batch_bound`` measures.

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
from attrprior.device import synchronise
from attrprior.models import build_model
from attrprior.packing import build_seeds, train_packed
from attrprior.train import SeedRun, train_model

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
    args = parser.parse_args(argv)
    if args.bound_repeats < 1:
        parser.error("--bound-repeats must be at least 1")
    return args


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
    models, generators = build_seeds(arch, seeds, device)
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
    arch: dict,
    data: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray],
    condition: Condition,
    settings: TrainSettings,
    seeds: list[int],
    device: torch.device,
    rounds: int,
) -> tuple[float, float, float]:
    """Train the seeds one by one and packed, alternating, ``rounds`` times.

    Returns
    -------
    one_by_one_s, packed_s : float
        Seconds of each arm, summed over the rounds.
    history_diff : float
        The largest difference between the two arms' training-loss histories.
    """
    seconds = {"one_by_one": 0.0, "packed": 0.0}
    for _ in range(rounds):
        for arm, train in (("one_by_one", one_by_one), ("packed", packed)):
            start = time.perf_counter()
            histories = train(arch, data, valid, condition, settings, seeds, device)
            seconds[arm] += time.perf_counter() - start
            if arm == "one_by_one":
                reference = histories
    history_diff = max(
        float(np.abs(a["train_correctness"] - b["train_correctness"]).max())
        for a, b in zip(reference, histories, strict=True)
    )
    return seconds["one_by_one"], seconds["packed"], history_diff


def step_seconds(run: SeedRun, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    """Seconds of one training step of ``run`` on ``batch`` (``x`` ``(n, 4, L)``, ``y``
    ``(n, 1)``): :meth:`SeedRun.train_step`, the step that :func:`train_model` takes."""
    start = time.perf_counter()
    run.train_step(batch)
    synchronise(batch[0].device)
    return time.perf_counter() - start


def packing_bounds(
    arch: dict,
    x: np.ndarray,
    y: np.ndarray,
    condition: Condition,
    settings: TrainSettings,
    seeds: int,
    repeats: int,
    device: torch.device,
) -> tuple[float, int, float]:
    """What packing ``seeds`` seeds can gain at most, from steps of one model (see the
    module's docstring).

    Times ``repeats`` steps on batches of 2 and of k B examples for each divisor k of
    ``seeds`` (B = ``settings.batch_size``; examples drawn from ``x`` ``(n, 4, L)`` and
    ``y`` ``(n, 1)``, repeated where n is smaller), round-robin after two warm-up steps
    each.

    Returns
    -------
    batch_bound : float
        The largest k t(B) / t(kB), t being median seconds per step.
    bound_k : int
        The k that gives it.
    fixed_share : float
        t(2) / t(B).
    """
    batch_size = settings.batch_size
    ks = [k for k in range(1, seeds + 1) if seeds % k == 0]
    sizes = [2, *(k * batch_size for k in ks)]
    index = np.arange(sizes[-1]) % len(x)
    runs, batches = {}, {}
    for size in sizes:
        torch.manual_seed(0)
        runs[size] = SeedRun(build_model(**arch), condition, settings, 0, device)
        runs[size].model.train()
        batches[size] = tuple(torch.from_numpy(a[index[:size]]).to(device) for a in (x, y))
    times = {size: [] for size in sizes}
    for repeat in range(repeats + 2):
        for size, run in runs.items():
            seconds = step_seconds(run, batches[size])
            if repeat >= 2:
                times[size].append(seconds)
    median = {size: float(np.median(values)) for size, values in times.items()}
    gains = {k: k * median[batch_size] / median[k * batch_size] for k in ks}
    bound_k = max(gains, key=gains.get)
    return gains[bound_k], bound_k, median[2] / median[batch_size]


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
            one_by_one_s = packed_s = history_diff = float("nan")
            if not args.bound_only:
                # Untimed, so that neither arm pays the process's first-call costs.
                warmup_data = (data[0][: 2 * args.batch_size], data[1][: 2 * args.batch_size])
                compare_arms(arch, warmup_data, valid, condition, warmup_settings, seeds, device, 1)
                one_by_one_s, packed_s, history_diff = compare_arms(
                    arch, data, valid, condition, settings, seeds, device, args.rounds
                )
            batch_bound, bound_k, fixed_share = packing_bounds(
                arch, x, y, condition, settings, args.seeds, args.bound_repeats, device
            )
            print(
                f"{name}\t{condition_name}\t{one_by_one_s:.1f}\t{packed_s:.1f}"
                f"\t{one_by_one_s / packed_s:.2f}\t{history_diff:.1e}"
                f"\t{batch_bound:.2f}\t{bound_k}\t{fixed_share:.2f}",
                flush=True,
            )
    targets = TARGETS.get(device.type, {})
    print(
        f"# targets ({device.type}, S=10): " + ", ".join(f"{m} >= {t}" for m, t in targets.items())
    )


if __name__ == "__main__":
    main()
