"""Models per hour: S seeds trained packed (:func:`attrprior.packing.train_packed`) against
the same S seeds trained one by one (:func:`attrprior.train.train_model`).

Both arms train the same seeded models on the same random one-hot data (half the
sequences carry a planted 10-mer and are labelled positive) for a fixed number of epochs
(early stopping off), validation included, in one process. The arms alternate per round
so that drift on a shared machine affects them alike. The packed arm's weights are checked
against the one-by-one arm's (the largest difference of the training-loss history is
printed: float noise, see :mod:`attrprior.packing`).

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
TARGET_CPU = 1.5  # packed / one-by-one models per hour, CNN-shallow at S = 10 (issue 17)


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
    print("model\tcondition\tone_by_one_s\tpacked_s\tmodels_per_hour_ratio\tmax_history_diff")
    seeds = list(range(args.seeds))
    settings = TrainSettings(
        max_epochs=args.epochs, batch_size=args.batch_size, patience=args.epochs + 1
    )
    for name in args.models:
        arch = {**MODELS[name], "n_tasks": 1}
        x, y = synthetic_data(args.examples + 200, arch["length"])
        data, valid = (
            (x[: args.examples], y[: args.examples]),
            (x[args.examples :], y[args.examples :]),
        )
        for condition_name in args.conditions:
            condition = Condition.from_config(CONDITIONS[condition_name])
            times = {"one_by_one": 0.0, "packed": 0.0}
            for _ in range(args.rounds):
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
            print(
                f"{name}\t{condition_name}\t{times['one_by_one']:.1f}\t{times['packed']:.1f}"
                f"\t{times['one_by_one'] / times['packed']:.2f}\t{diff:.1e}",
                flush=True,
            )
    print(f"# target (CPU, cnn_shallow, S=10): ratio >= {TARGET_CPU}")


if __name__ == "__main__":
    main()
