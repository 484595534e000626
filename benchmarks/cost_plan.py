"""Device-hours and wall time of every training job of a configuration, with and without
packed seeds, from training steps timed on the device this script runs on.

For each dataset × model × condition the configuration trains (its seeds, the tuning runs
of tuned weights and the ensemble members), the plan counts training steps, an upper
bound: ``max_epochs × ceil(examples per epoch / batch_size)`` (early stopping ends most
runs sooner: ``--epoch-fraction`` scales it). It times a few steps of each distinct kind
of step on the device: the model at the dataset's input length, tasks and batch size
(doubled by reverse complements), with or without a prior; one seed alone and
``pack_seeds`` seeds packed (:mod:`attrprior.packing`); ensemble members
are costed as the model of their config entry (its first-layer width). Validation,
attribution and data preparation are not counted.

Examples per epoch come from the configuration for the simulated datasets (sequences ×
``split.train``). For data built from downloads, ``--built-data`` counts the steps of an
epoch from the built training inputs (run from the workflow's directory after its data
rules: the training data are built as a training job builds them), or give them with
``--examples NAME=N`` (a binary window dataset's epoch is its training positives and as
many negatives; a profile dataset's, its training peaks and as many random windows).
Conditions with ``keep_positives`` train on that share of the examples (counted exactly
from built data; from a count, scaled by the share). Datasets without a count are listed
and left out of the totals; ``--time-all`` still times their kinds of step (their per-step
times are printed and written with ``--out``).

Run ``python benchmarks/cost_plan.py --configfile config/paper.yaml --gpus 8`` for the
simulated datasets; for the whole configuration add ``--built-data`` after the data rules,
and ``--device cuda`` on a GPU node. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch
import yaml

from attrprior.conditions import Condition, TrainSettings
from attrprior.device import synchronise
from attrprior.genomics.sampling import kept_rank
from attrprior.models import build_model
from attrprior.objectives import (
    BinaryObjective,
    ProfileObjective,
    ProfileTensors,
    batches_per_epoch,
)
from attrprior.packing import PackedAdam, SeedPack, build_seeds, train_pack_step
from attrprior.train import SeedRun
from attrprior.training_data import from_inputs
from attrprior.workflow.checks import TUNABLE_CONDITION_KEYS

PROFILE = "tseng_profile"
SCHEMA = Path(__file__).resolve().parents[1] / "config" / "schema.yaml"


@dataclass(frozen=True)
class StepKind:
    """What one training step costs depends on: the model, the input and the prior."""

    model: str  # a key of the config's models
    length: int
    n_tasks: int
    batch: int  # examples per step, reverse complements included
    prior: str | None  # the prior's name, None without one
    profile: tuple = ()  # profile models: (output_length, control)


@dataclass(frozen=True)
class Jobs:
    """Training runs of one dataset × model × condition that cost alike."""

    dataset: str
    model: str
    condition: str
    kind: str  # "seeds", "tuning" or "ensemble"
    runs: int
    packs: int  # jobs with packing (= runs where nothing is packed)
    pack_size: int  # seeds per pack (1 where nothing is packed)
    epochs: int
    steps_per_epoch: int | None  # None: examples per epoch unknown
    step: StepKind
    packable: bool


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", required=True, type=Path)
    parser.add_argument("--gpus", type=int, default=8, help="devices working at once")
    parser.add_argument("--device", default="cpu", help="where steps are timed (cpu, cuda)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per kind")
    parser.add_argument(
        "--examples",
        nargs="*",
        default=[],
        metavar="NAME=N",
        help="training examples per epoch of datasets built from downloads",
    )
    parser.add_argument(
        "--built-data",
        action="store_true",
        help="count the steps per epoch of datasets built from downloads from their built "
        "training inputs (run from the workflow's directory, after its data rules)",
    )
    parser.add_argument(
        "--epoch-fraction",
        type=float,
        default=1.0,
        help="share of max_epochs a run lasts (early stopping); 1 is the upper bound",
    )
    parser.add_argument(
        "--pack-seeds",
        type=int,
        default=None,
        help="pack size (default: the config's pack_seeds, else 10)",
    )
    parser.add_argument(
        "--threads", type=int, default=len(os.sched_getaffinity(0)), help="torch threads"
    )
    parser.add_argument(
        "--time-all",
        action="store_true",
        help="also time the steps of datasets left out of the totals (no count from the "
        "config, --examples or --built-data)",
    )
    parser.add_argument("--out", type=Path, help="also write the per-job table here (TSV)")
    return parser.parse_args(argv)


def examples_per_epoch(name: str, dataset: dict, given: dict[str, int]) -> int | None:
    """Training examples of one epoch, or None when only the built data would tell."""
    if name in given:
        return given[name]
    if "billboard" in dataset:
        section = dataset["billboard"]
        if "n_sequences" in section:  # not a published draw
            return int(section["n_sequences"] * section["split"]["train"])
    if "single_motif" in dataset:
        # Fresh batches too: as many as the training positives fill half of.
        section = dataset["single_motif"]
        n = section["n_positives"] + section["n_negatives"]
        return int(n * section["split"]["train"])
    return None


def kept_steps(examples: int | None, keep: float | None, batch_size: int) -> int | None:
    """Steps of one epoch of ``examples`` at ``batch_size``, on ``int(examples × keep)`` of
    them for a ``keep_positives`` condition (at least one step); None without a count.

    The share is approximate: the workflow keeps each task's strongest ``int(n_peaks × keep)``
    peaks (:func:`attrprior.genomics.sampling.kept_rank`, applied here to the examples),
    which ``--built-data`` counts exactly.
    """
    if examples is None:
        return None
    kept = examples if keep is None else kept_rank(examples, keep)
    return max(1, math.ceil(kept / batch_size))


def built_steps(
    jobs: list[Jobs], config: dict, configfile: Path, root: Path
) -> tuple[list[Jobs], list[str]]:
    """``jobs`` with the steps per epoch of uncounted datasets read from their built
    training inputs under ``root`` (the workflow's directory), and a line per count.

    The inputs are those a training job of the group reads
    (:meth:`attrprior.workflow.paths.Paths.training_data`), built into training data as the
    job builds them (:func:`attrprior.training_data.from_inputs`, the condition's
    ``keep_positives`` included), so this needs a training job's memory. A group whose
    inputs are not all there stays uncounted, and its line names the first missing file.
    """
    paths = _workflow_paths(config, configfile)
    counts: dict[tuple, int | None] = {}
    lines = []
    updated = []
    for job in jobs:
        if job.steps_per_epoch is None:
            dataset = paths.config["datasets"][job.dataset]
            keep = dataset["conditions"][job.condition].get("keep_positives")
            inputs = _training_inputs(paths, job, root)
            key = (job.dataset, repr(sorted(inputs.items())), keep)
            if key not in counts:
                counts[key], outcome = _built_steps(inputs, dataset, keep, root)
                share = "" if keep is None else f", keep_positives {keep:g}"
                names = ", ".join(sorted(name for name, value in inputs.items() if value != []))
                lines.append(f"#   {job.dataset} ({names}{share}): {outcome}")
            if counts[key] is not None:
                job = replace(job, steps_per_epoch=counts[key])
        updated.append(job)
    return updated, lines


def _workflow_paths(config: dict, configfile: Path):
    """The workflow's paths of ``config``, validated and parsed as the workflow does."""
    # Imported here: Snakemake is not needed to time steps (benchmarks/gpu_checks.sh).
    from snakemake.utils import validate

    from attrprior.workflow.config_files import ConfigFiles
    from attrprior.workflow.parse import parse_config

    config = copy.deepcopy(config)
    validate(config, str(SCHEMA))
    return parse_config(config, ConfigFiles([str(configfile)]), in_main_process=False)


def _training_inputs(paths, job: Jobs, root: Path) -> dict[str, Path | list[Path]]:
    """The input files of a training job of ``job``'s group, under ``root``."""
    wildcards = SimpleNamespace(dataset=job.dataset, model=job.model, condition=job.condition)
    return {
        name: [root / path for path in value] if isinstance(value, list) else root / value
        for name, value in paths.training_data(wildcards).items()
    }


def _built_steps(
    inputs: dict, dataset: dict, keep: float | None, root: Path
) -> tuple[int | None, str]:
    """Steps of one training epoch of built ``inputs`` (None if a file is missing), and
    what to print of it."""
    files = [
        p for value in inputs.values() for p in (value if isinstance(value, list) else [value])
    ]
    missing = [path for path in files if not path.exists()]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        first = missing[0].relative_to(root) if missing[0].is_relative_to(root) else missing[0]
        return None, f"not counted, {first}{more} not built"
    batch_size = dataset["training"]["batch_size"]
    data = from_inputs(
        inputs,
        batch_size=batch_size,
        genomic=dataset.get("encode_binary"),
        keep_positives=keep,
    )
    steps = batches_per_epoch(data.splits["train"], batch_size)
    return steps, f"{steps} step{'' if steps == 1 else 's'} per epoch"


def input_shape(dataset: dict) -> tuple[int, int, tuple]:
    """(input length, tasks, profile settings) of a dataset's training examples."""
    for key in ("billboard", "single_motif"):
        if key in dataset:
            return int(dataset[key].get("length", 200)), 1, ()
    if "encode_binary" in dataset:
        source = dataset["encode_binary"]
        n_tasks = len(source["experiments"])
        if "profile" in source:
            profile = source["profile"]
            control = any("control" in e for e in source["experiments"].values())
            return profile["input_length"], n_tasks, (profile["output_length"], control)
        labels = source["labels"]
        return labels["bin_size"] + 2 * labels["flank"], n_tasks, ()
    return 200, 1, ()  # Majdandzic et al.'s 200-nt tasks (encode_regions, published_h5)


def training_jobs(
    config: dict, given: dict[str, int], epoch_fraction: float, pack: int
) -> list[Jobs]:
    """Every group of training runs the configuration plans, with ``pack`` seeds per packed
    job (the workflow's rules train_model_pack and train_ensemble_pack)."""
    jobs = []
    published = {m for m, entry in config["models"].items() if "published_weights" in entry}
    for name, dataset in config["datasets"].items():
        training = dataset["training"]
        examples = examples_per_epoch(name, dataset, given)
        epochs = max(1, round(training["max_epochs"] * epoch_fraction))
        length, n_tasks, profile = input_shape(dataset)
        batch = training["batch_size"] * (2 if training.get("reverse_complement") else 1)
        for model in dataset["models"]:
            if model in published:
                continue
            for condition, settings in dataset["conditions"].items():
                prior = settings.get("prior") if settings.get("weight", 0) != 0 else None
                kind = StepKind(model, length, n_tasks, batch, prior, profile)
                group = (name, model, condition)
                steps = kept_steps(examples, settings.get("keep_positives"), training["batch_size"])
                seeds = dataset["seeds"]
                size = min(pack, seeds)
                jobs.append(
                    Jobs(
                        *group,
                        "seeds",
                        seeds,
                        -(-seeds // size),
                        size,
                        epochs,
                        steps,
                        kind,
                        True,
                    )
                )
                tuning = sum(
                    len(settings[key]["grid"]) * settings[key].get("tuning_seeds", 1)
                    for key in TUNABLE_CONDITION_KEYS
                    if isinstance(settings.get(key), dict)
                )
                if tuning:
                    jobs.append(
                        Jobs(*group, "tuning", tuning, tuning, 1, epochs, steps, kind, False)
                    )
        ensemble = dataset.get("ensemble")
        if ensemble:
            condition = ensemble.get("condition", dataset["evaluation"]["reference_condition"])
            settings = dataset["conditions"][condition]
            prior = settings.get("prior") if settings.get("weight", 0) != 0 else None
            steps = kept_steps(examples, settings.get("keep_positives"), training["batch_size"])
            for model in ensemble["models"]:
                kind = StepKind(model, length, n_tasks, batch, prior, profile)
                # The members of one filter count are packed together.
                per_filter = ensemble["models_per_filter"]
                size = min(pack, per_filter)
                runs = len(ensemble["n_filters"]) * per_filter
                packs = len(ensemble["n_filters"]) * -(-per_filter // size)
                jobs.append(
                    Jobs(
                        name,
                        model,
                        condition,
                        "ensemble",
                        runs,
                        packs,
                        size,
                        epochs,
                        steps,
                        kind,
                        True,
                    )
                )
    return jobs


def _condition(prior: str | None, profile: bool) -> Condition:
    """A condition with ``prior`` (weight 1; the cost does not depend on the weight)."""
    if prior is None:
        return Condition()
    params = {"freq_limit": 200 if profile else 20} if prior == "fourier" else {}
    examples = "all" if prior == "angle" else "positives"
    attribution = "gradient" if prior == "angle" else "grad_x_input"
    return Condition(
        prior=prior,
        prior_weight=1.0,
        prior_params=params,
        examples=examples,
        attribution=attribution,
    )


def _architecture(kind: StepKind, models: dict) -> dict:
    entry = {k: v for k, v in models[kind.model].items() if k != "published_weights"}
    if entry["architecture"] == PROFILE:
        output_length, control = kind.profile
        return {
            **entry,
            "length": kind.length,
            "output_length": output_length,
            "n_tasks": kind.n_tasks,
            "n_strands": 2,
            "control_strands": 2 if control else None,
        }
    return {**entry, "length": kind.length, "n_tasks": kind.n_tasks}


def _batch(kind: StepKind, architecture: dict, device, rng):
    x = torch.as_tensor(
        np.eye(4, dtype=np.float32)[rng.integers(0, 4, (kind.batch, kind.length))].transpose(
            0, 2, 1
        ),
        device=device,
    ).contiguous()
    if architecture["architecture"] != PROFILE:
        y = torch.as_tensor(rng.random((kind.batch, kind.n_tasks)) < 0.5, device=device).float()
        return x, y
    shape = (kind.batch, kind.n_tasks, 2, architecture["output_length"])
    profiles = torch.as_tensor(rng.poisson(0.5, shape), dtype=torch.float32, device=device)
    control = None
    if architecture["control_strands"]:
        control = torch.as_tensor(rng.poisson(0.5, shape), dtype=torch.float32, device=device)
    is_peak = torch.arange(kind.batch, device=device) < kind.batch // 2
    return ProfileTensors(x, profiles, control, is_peak)


def time_steps(
    kind: StepKind, models: dict, pack: int, steps: int, device
) -> tuple[float, float | None]:
    """Seconds of one step of one seed alone, and per seed in a pack (None: no pack).

    ``models`` is the config's ``models`` section.
    """
    architecture = _architecture(kind, models)
    profile = architecture["architecture"] == PROFILE
    objective = ProfileObjective() if profile else BinaryObjective()
    condition = _condition(kind.prior, profile)
    rng = np.random.default_rng(0)
    batch = _batch(kind, architecture, device, rng)

    torch.manual_seed(0)
    run = SeedRun(build_model(**architecture), condition, TrainSettings(), 0, device, objective)
    run.model.train()
    alone_s = _seconds(partial(run.train_step, batch), steps, device)
    if pack < 2:
        return alone_s, None
    models, generators = build_seeds(architecture, range(pack), device)
    seed_pack = SeedPack(models, generators)
    adam = PackedAdam(seed_pack, [torch.optim.Adam(m.parameters()) for m in models])

    def packed():
        train_pack_step(objective, seed_pack, [batch] * pack, [condition] * pack, adam)

    return alone_s, _seconds(packed, steps, device) / pack


def _seconds(step, steps: int, device: torch.device) -> float:
    step()  # warm-up
    synchronise(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronise(device)
    return (time.perf_counter() - start) / steps


def plan(jobs: list[Jobs], costs: dict[tuple[StepKind, int], tuple[float, float | None]]):
    """Per group: runs, steps and device-hours one seed per job and packed.

    ``costs`` maps (kind of step, pack size) to the seconds of a step alone and per packed
    seed; a group's last, smaller pack is costed per seed as its full packs are.
    """
    rows = []
    for job in jobs:
        alone_s, packed_s = costs[job.step, job.pack_size]
        steps = None if job.steps_per_epoch is None else job.runs * job.epochs * job.steps_per_epoch
        hours = None if steps is None else steps * alone_s / 3600
        packed_hours = hours
        if hours is not None and job.packable and packed_s is not None:
            packed_hours = steps * packed_s / 3600
        rows.append(
            {
                "dataset": job.dataset,
                "model": job.model,
                "condition": job.condition,
                "kind": job.kind,
                "runs": job.runs,
                "jobs_packed": job.packs,
                "steps": steps,
                "step_ms": 1000 * alone_s,
                "packed_step_ms_per_seed": None if packed_s is None else 1000 * packed_s,
                "device_hours": hours,
                "device_hours_packed": packed_hours,
            }
        )
    return pd.DataFrame(rows)


def packing_advice(
    hours: float,
    packed_hours: float,
    pack: int,
    configured: int,
    uncounted: int = 0,
    band: float = 0.05,
) -> str:
    """Whether packing saves device-hours on the device the steps were timed on.

    ``hours`` and ``packed_hours`` are the plan's totals one seed per job and in packs of up
    to ``pack`` seeds; ``configured`` is the configuration's ``pack_seeds``; ``uncounted``
    the training runs of datasets left out of the totals, which the advice then does not
    cover. A change within ``band`` (a share of ``hours``) is taken as no change: a few
    timed steps per kind are not more precise than that. Only device-hours are weighed; a
    packed run's fewer jobs also wait less in the queue, which the plan does not count.
    With ``pack`` below 2 no pack was timed, and nothing is weighed.
    """
    if pack < 2:
        return "packing not weighed: packs of 1 seed were asked for"
    if not (hours > 0 and math.isfinite(packed_hours)):
        return "packing: no training step of a counted dataset was timed"
    change = packed_hours / hours - 1
    packs = f"packs of up to {pack} seeds"
    if abs(packed_hours - hours) <= band * hours:
        advice = (
            f"{packs} change the device-hours by {change:+.0%} on this device, within the "
            f"timings' noise (±{band:.0%}): either setting of pack_seeds costs about the same"
        )
    elif change < 0:
        keep = (
            f"keep pack_seeds: {pack}"
            if configured == pack
            else f"run with --config pack_seeds={pack}"
        )
        advice = f"{packs} save {-change:.0%} of the device-hours on this device: {keep}"
    else:
        keep = "keep pack_seeds: 1" if configured == 1 else "run with --config pack_seeds=1"
        advice = f"{packs} cost {change:.0%} more device-hours on this device: {keep}"
    if uncounted:
        advice += f" (the counted datasets only: {uncounted} training runs are not counted)"
    return advice


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    config = yaml.safe_load(args.configfile.read_text())
    pack = args.pack_seeds or (
        config.get("pack_seeds", 1) if config.get("pack_seeds", 1) > 1 else 10
    )
    given = {}
    for item in args.examples:
        name, _, value = item.partition("=")
        if name not in config["datasets"] or not value.isdigit():
            raise SystemExit(
                f"--examples {item!r}: expected DATASET=N with a dataset of the config"
            )
        given[name] = int(value)
    jobs = training_jobs(config, given, args.epoch_fraction, pack)
    if args.built_data:
        jobs, lines = built_steps(jobs, config, args.configfile, Path.cwd())
        print(
            "# steps per epoch from built data:",
            *(lines or ["#   none to count"]),
            sep="\n",
            flush=True,
        )
    kinds = sorted(
        {
            (job.step, job.pack_size)
            for job in jobs
            if job.steps_per_epoch is not None or args.time_all
        },
        key=repr,
    )
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.machine()
    print(
        f"# {args.configfile}: {sum(j.runs for j in jobs)} training runs; steps timed on "
        f"{card} ({args.threads} threads), {len(kinds)} kinds of step and pack size, packs of "
        f"up to {pack}",
        flush=True,
    )
    costs = {}
    for number, (kind, size) in enumerate(kinds, 1):
        alone_s, packed_s = time_steps(kind, config["models"], size, args.steps, device)
        costs[kind, size] = alone_s, packed_s
        print(
            f"#   step {number}/{len(kinds)}: {kind.model} L={kind.length} "
            f"T={kind.n_tasks} batch={kind.batch} prior={kind.prior}: "
            f"{1000 * alone_s:.0f} ms alone"
            + ("" if packed_s is None else f", {1000 * packed_s:.0f} ms per seed in {size}"),
            flush=True,
        )
    for job in jobs:
        costs.setdefault((job.step, job.pack_size), (math.nan, None))
    table = plan(jobs, costs)
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)
    known = table[table["steps"].notna()]
    unknown = sorted(set(table.loc[table["steps"].isna(), "dataset"]))
    by_dataset = known.groupby("dataset")[
        ["runs", "jobs_packed", "device_hours", "device_hours_packed"]
    ].sum()
    print(by_dataset.round(1).to_string())
    total, total_packed = known["device_hours"].sum(), known["device_hours_packed"].sum()
    jobs_alone, jobs_packed = int(known["runs"].sum()), int(known["jobs_packed"].sum())
    print(
        f"\ntraining, {len(known)} groups: {jobs_alone} jobs, {total:.1f} device-hours "
        f"(wall on {args.gpus}: {total / args.gpus:.1f} h); packed: {jobs_packed} jobs, "
        f"{total_packed:.1f} device-hours (wall on {args.gpus}: {total_packed / args.gpus:.1f} h); "
        f"upper bound at {args.epoch_fraction:g} x max_epochs"
    )
    uncounted = int(table.loc[table["steps"].isna(), "runs"].sum())
    print(packing_advice(total, total_packed, pack, config.get("pack_seeds", 1), uncounted))
    if unknown:
        print(
            "not counted (examples per epoch unknown: run with --built-data after the data "
            "rules, or give --examples NAME=N): " + ", ".join(unknown)
        )


if __name__ == "__main__":
    main()
