"""Do profile models learn counts? The counts learnability check at CI or full size.

Trains ``attrprior.models.TsengProfileCNN`` on the synthetic profile task of
``attrprior.learnability`` (one motif sets the read count) with each way of feeding the
control to the counts head, and reports the held-out profile NLL and log-count Pearson
correlation over training steps. See benchmarks/README.md.

    python benchmarks/profile_counts.py --size ci --seeds 0 1 2 --steps 2000
    python benchmarks/profile_counts.py --size full --modes reference default --steps 1600
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch

from attrprior.learnability import counts_learnability, simulate_profile_task
from attrprior.models import TsengProfileCNN

# Model and task sizes. full: the paper's profile model and the task (1,600
# training examples of 1346 bp); ci: a small model on 304 bp that still shows the effect.
SIZES = {
    "full": {
        "model": {"length": 1346},
        "task": {"input_length": 1346, "max_offset": 150},
        "n_train": 1600,
    },
    "ci": {
        "model": {
            "length": 304,
            "n_filters": 16,
            "kernel_sizes": (21, 3, 3, 3, 3),
            "profile_kernel_size": 25,
        },
        "task": {"input_length": 304, "max_offset": 50},
        "n_train": 800,
    },
}
# How the counts head sees the control: the reference (raw totals, PyTorch's initialisation
# of the counts mixing), the default (log(1 + total), identity start), each change alone, and
# a model without controls (identity start).
MODES = {
    "reference": {"log_control_counts": False, "counts_mix_init": "pytorch"},
    "log_only": {"log_control_counts": True, "counts_mix_init": "pytorch"},
    "identity_only": {"log_control_counts": False, "counts_mix_init": "identity"},
    "default": {},
    "no_control": {"control_strands": None},
}


def build(size: str, mode: str, seed: int) -> TsengProfileCNN:
    """The size's profile model with one counts-head mode, initialised with ``seed``."""
    torch.manual_seed(seed)
    return TsengProfileCNN(**SIZES[size]["model"], **{"control_strands": 2, **MODES[mode]})


def run(size: str, modes, seeds, steps: int, eval_every: int, n_test: int) -> pd.DataFrame:
    """Every mode x seed, on the same task draw (task seeds 1 and 2 for train and test)."""
    output_length = build(size, "default", 0).output_length
    task = {**SIZES[size]["task"], "output_length": output_length}
    train = simulate_profile_task(SIZES[size]["n_train"], seed=1, **task)
    test = simulate_profile_task(n_test, seed=2, **task)
    tables = []
    for mode in modes:
        for seed in seeds:
            start = time.perf_counter()
            table = counts_learnability(
                build(size, mode, seed),
                train,
                test,
                steps=steps,
                eval_every=eval_every,
                seed=seed,
                progress=lambda row, mode=mode, seed=seed: print(
                    f"  {mode} seed {seed} step {row['step']}: count Pearson "
                    f"{row['count_pearson']:.3f}, profile NLL {row['profile_nll']:.1f}",
                    flush=True,
                ),
            )
            last = table.iloc[-1]
            print(
                f"{size} {mode:>13} seed {seed}: step {int(last.step)} profile NLL "
                f"{last.profile_nll:.1f} (uniform {last.uniform_nll:.1f}), count Pearson "
                f"{last.count_pearson:.3f}, count MSE {last.count_mse:.3f} (mean "
                f"{last.mean_mse:.3f}), {time.perf_counter() - start:.0f} s",
                flush=True,
            )
            tables.append(table.assign(size=size, mode=mode, seed=seed))
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="ci")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--steps", type=int, default=1600)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--output", type=Path, help="TSV of every evaluation")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    table = run(args.size, args.modes, args.seeds, args.steps, args.eval_every, args.n_test)
    summary = (
        table.groupby(["mode", "step"])[["profile_nll", "count_pearson", "count_mse"]]
        .mean()
        .unstack("mode")
    )
    print("\nmean over seeds:\n" + summary.round(3).to_string())
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.output, sep="\t", index=False)


if __name__ == "__main__":
    main()
