"""Operators and host waits per model-step: one seed's training step against a pack's.

On a GPU a small model's training step is bound by its kernel launches, not by arithmetic:
every operator costs some microseconds of host time whatever its size, and every read of a
device value by the host (``float(loss)``, ``bool(mask.any())``, selecting with a boolean
mask) and every blocking copy from host memory to the device makes the host wait until
the device has drained its queue. The operator count hardly depends on the device (on a GPU
the pinned copies of the batches add a few operators), so this script counts on any
machine, with a
:class:`torch.utils._python_dispatch.TorchDispatchMode` that sees each ATen operator a step
dispatches:

- ``ops``: operators that compute; views, allocations, reads of host values and profiler
  marks, which launch no kernel, are left out, and a multi-tensor (``_foreach``) operator
  counts once (on a GPU it launches one kernel per chunk of its tensors). The optimisers run
  their multi-tensor (``foreach``) implementation, the default on a GPU.
- ``waits``: operators whose result the host reads: ``_local_scalar_dense`` (``item``,
  ``float``, ``bool``) and the operators whose output size depends on the data
  (``nonzero``, ``masked_select``, indexing or ``index_put`` with a boolean mask,
  ``masked_scatter``'s backward). Adam's reads of its step counters are left out: they are
  kept on the host. Copies from the host are not seen (everything is on the CPU here):
- ``syncs`` (``--device cuda`` only): the calls in the step that PyTorch flags as
  synchronising with the GPU (:func:`torch.cuda.set_sync_debug_mode`: blocking copies,
  ``item``, ``nonzero``, explicit synchronisations; not every stall a driver may add).
- ``ops_ratio``: S × (ops of one seed's step) / (ops of the pack's step), the most a pack
  of S can gain where every operator costs the same fixed time. A bound of the same kind as
  ``packed_training.py``'s ``batch_bound``, for the other regime: arithmetic is free here
  and launches are all, there launches are free and arithmetic is all.

The steps are the training loops' own, from a batch on the host: one seed's step copies its
batch to the device as :meth:`attrprior.objectives.BinaryObjective.epoch` does and calls
:meth:`attrprior.train.SeedRun.train_step`; the pack's is
:func:`attrprior.packing.train_pack_step` on the seeds' host batches, as
:func:`attrprior.packing.train_packed` calls it. The batch holds random sequences (for the
profile model, Poisson profiles and controls).

With ``--time-repeats R`` it also times R steps of each, alone and packed alternating
(medians, the device synchronised after each step): at a batch so small that the
arithmetic is nearly nil (``--batch-size 2``) this is host time on a CPU, the other half of
the question, since under ``vmap`` an operator costs the host more than the same operator
of one model (``step_ratio``, measured, unlike ``ops_ratio``); on a GPU it is the step's
time.

Run ``python benchmarks/step_dispatch.py --help``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from torch.optim.optimizer import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)
from torch.utils._python_dispatch import TorchDispatchMode

from attrprior.conditions import Condition, TrainSettings
from attrprior.device import synchronise
from attrprior.models import build_model
from attrprior.objectives import (
    BinaryObjective,
    ProfileObjective,
    ProfileTensors,
    to_device,
)
from attrprior.packing import PackedAdam, SeedPack, build_seeds, train_pack_step
from attrprior.train import SeedRun

MODELS = {
    "cnn_shallow": {"architecture": "cnn_shallow", "activation": "relu", "length": 200},
    "cnn_deep": {"architecture": "cnn_deep", "activation": "relu", "length": 200},
    "tseng_binary": {"architecture": "tseng_binary", "length": 1000},
    "tseng_profile": {"architecture": "tseng_profile", "length": 1346, "output_length": 1000},
}
CONDITIONS = {
    "none": {},
    "fourier": {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 150}},
    "l2": {"l2_weight": 1e-3},
}
# Operators that only describe a tensor's memory anew, allocate it, read a host value or
# mark a profiler range: no kernel runs.
NO_KERNEL = {
    "_local_scalar_dense",
    "_record_function_enter_new",
    "_record_function_exit",
    "_reshape_alias",
    "_unsafe_view",
    "alias",
    "as_strided",
    "detach",
    "empty",
    "expand",
    "lift_fresh",
    "new_empty",
    "permute",
    "select",
    "set_",
    "slice",
    "split",
    "split_with_sizes",
    "squeeze",
    "t",
    "transpose",
    "unbind",
    "unsqueeze",
    "view",
}
DATA_DEPENDENT = {"nonzero", "masked_select", "masked_scatter_backward"}


class DispatchCount(TorchDispatchMode):
    """Counts the operators dispatched inside it (see the module's docstring).

    Attributes
    ----------
    ops : collections.Counter
        Operator name → calls, for the operators that compute.
    waits : collections.Counter
        Operator name → calls, for those whose result the host reads.
    """

    def __init__(self) -> None:
        super().__init__()
        self.ops: Counter = Counter()
        self.waits: Counter = Counter()
        self._in_optimiser = False

    def __enter__(self):
        # Global optimiser hooks mark the optimisers' steps, whose counter reads stay on
        # the host.
        self._hooks = [
            register_optimizer_step_pre_hook(lambda *_: self._mark_optimiser(True)),
            register_optimizer_step_post_hook(lambda *_: self._mark_optimiser(False)),
        ]
        return super().__enter__()

    def __exit__(self, *exc):
        for hook in self._hooks:
            hook.remove()
        return super().__exit__(*exc)

    def _mark_optimiser(self, inside: bool) -> None:
        self._in_optimiser = inside

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.__name__.split(".")[0]
        if name not in NO_KERNEL:
            self.ops[name] += 1
        if self._host_reads(name, args):
            self.waits[name] += 1
        return func(*args, **(kwargs or {}))

    def _host_reads(self, name: str, args: tuple) -> bool:
        if name in ("index", "index_put", "index_put_", "_index_put_impl_"):
            return any(
                isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in (args[1] or ())
            )
        if name == "_local_scalar_dense":
            return not self._in_optimiser
        return name in DATA_DEPENDENT


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument(
        "--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS)
    )
    parser.add_argument("--seeds", type=int, default=10, help="pack size S")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--time-repeats",
        type=int,
        default=0,
        help="also time this many steps of each (step_ms columns); 0: count only",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    if args.time_repeats < 0:
        parser.error("--time-repeats must be at least 0")
    return args


def random_batch(arch: dict, n: int, seed: int = 0):
    """A batch of ``n`` random one-hot sequences ``(n, 4, length)``, half of them positive:
    with labels ``(n, 1)`` for a binary model, or as :class:`ProfileTensors` with Poisson
    profiles and controls ``(n, 1, 2, output_length)`` for the profile model."""
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, arch["length"]))].transpose(0, 2, 1)
    x = torch.from_numpy(x.copy())
    positive = torch.arange(n) % 2 == 1
    if arch["architecture"] != "tseng_profile":
        return x, positive.float()[:, None]
    shape = (n, 1, 2, arch["output_length"])
    profiles, control = (torch.from_numpy(rng.poisson(0.5, shape).astype(np.float32)) for _ in "pc")
    return ProfileTensors(x, profiles, control, positive)


def _foreach(optimiser: torch.optim.Optimizer) -> torch.optim.Optimizer:
    for group in optimiser.param_groups:
        group["foreach"] = True
    return optimiser


def make_steps(
    arch: dict, condition: Condition, seeds: int, batch_size: int, device: torch.device
) -> tuple[Callable[[], object], Callable[[], object]]:
    """One seed's training step and a pack of ``seeds`` seeds' step on ``device``, as calls
    that each take one more step from the same host batch (optimisers in their multi-tensor
    implementation)."""
    settings = TrainSettings(batch_size=batch_size)
    profile = arch["architecture"] == "tseng_profile"
    objective = ProfileObjective() if profile else BinaryObjective()
    batch = random_batch(arch, batch_size)

    torch.manual_seed(0)
    run = SeedRun(build_model(**arch), condition, settings, 0, device, objective)
    run.model.train()
    _foreach(run.optimiser)

    def alone() -> torch.Tensor:
        moved = [None if part is None else to_device(part, device) for part in batch]
        return run.train_step(ProfileTensors(*moved) if profile else tuple(moved))

    models, generators = build_seeds(arch, range(seeds), device)
    pack = SeedPack(models, generators)
    optimisers = [_foreach(torch.optim.Adam(m.parameters())) for m in models]
    adam = PackedAdam(pack, optimisers)
    step_args = (objective, pack, [batch] * seeds, [condition] * seeds, adam)
    return alone, partial(train_pack_step, *step_args)


def step_counts(
    arch: dict, condition: Condition, seeds: int, batch_size: int, device: torch.device
) -> tuple[DispatchCount, DispatchCount]:
    """The dispatch counts of one seed's training step and of a pack of ``seeds`` seeds'
    step, each counted after one uncounted step (which creates the optimisers' state)."""
    counts = []
    for step in make_steps(arch, condition, seeds, batch_size, device):
        step()
        with DispatchCount() as count:
            step()
        counts.append(count)
    return counts[0], counts[1]


def cuda_syncs(
    arch: dict, condition: Condition, seeds: int, batch_size: int, device: torch.device
) -> tuple[int, int]:
    """The calls that synchronised with the GPU in one step alone and one packed step,
    counted with :func:`torch.cuda.set_sync_debug_mode` ("warn") after one step each."""
    counts = []
    for step in make_steps(arch, condition, seeds, batch_size, device):
        step()
        synchronise(device)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                step()
            finally:
                torch.cuda.set_sync_debug_mode("default")
        counts.append(sum("synchroniz" in str(warning.message) for warning in caught))
    return counts[0], counts[1]


def step_seconds(
    arch: dict,
    condition: Condition,
    seeds: int,
    batch_size: int,
    repeats: int,
    device: torch.device,
) -> tuple[float, float]:
    """Median seconds of one seed's step and of the pack's step, alternating, after two
    untimed steps each, the device synchronised after each. At a batch so small that its
    arithmetic is nearly nil, on a CPU this is the host's time: what bounds a small model's
    step on a GPU."""
    steps = make_steps(arch, condition, seeds, batch_size, device)
    times: list[list[float]] = [[], []]
    for repeat in range(repeats + 2):
        for step, seconds in zip(steps, times, strict=True):
            start = time.perf_counter()
            step()
            synchronise(device)
            if repeat >= 2:
                seconds.append(time.perf_counter() - start)
    return float(np.median(times[0])), float(np.median(times[1]))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"# {card}, torch {torch.__version__}, {args.threads} threads; S={args.seeds}, "
        f"batch {args.batch_size}"
    )
    columns = "model\tcondition\tops_alone\tops_packed\tops_ratio\twaits_alone\twaits_packed"
    if device.type == "cuda":
        columns += "\tsyncs_alone\tsyncs_packed"
    if args.time_repeats:
        columns += "\tstep_ms_alone\tstep_ms_packed\tstep_ratio"
    print(columns)
    for name in args.models:
        arch = {**MODELS[name], "n_tasks": 1}
        for condition_name in args.conditions:
            condition = Condition.from_config(CONDITIONS[condition_name])
            shape = (arch, condition, args.seeds, args.batch_size)
            alone, packed = step_counts(*shape, device)
            ops_alone, ops_packed = sum(alone.ops.values()), sum(packed.ops.values())
            row = (
                f"{name}\t{condition_name}\t{ops_alone}\t{ops_packed}"
                f"\t{args.seeds * ops_alone / ops_packed:.2f}"
                f"\t{sum(alone.waits.values())}\t{sum(packed.waits.values())}"
            )
            if device.type == "cuda":
                row += "\t{}\t{}".format(*cuda_syncs(*shape, device))
            if args.time_repeats:
                alone_s, packed_s = step_seconds(*shape, args.time_repeats, device)
                row += (
                    f"\t{1e3 * alone_s:.1f}\t{1e3 * packed_s:.1f}"
                    f"\t{args.seeds * alone_s / packed_s:.2f}"
                )
            print(row, flush=True)


if __name__ == "__main__":
    main()
