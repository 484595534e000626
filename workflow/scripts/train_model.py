"""Train one model under one condition: one seed (rule train_model) or a pack of seeds
trained together (rule train_model_pack)."""

import logging
from pathlib import Path

import pandas as pd
import torch

from attrprior.conditions import Condition, TrainSettings, with_weight
from attrprior.device import configure_torch, resolve_device
from attrprior.io import log_to_file, write_tsv
from attrprior.metrics import multitask_classification_metrics
from attrprior.models import build_model, load_checkpoint, save_checkpoint
from attrprior.objectives import evaluate_profile_model, predict
from attrprior.packing import seed_generator, train_packed
from attrprior.train import automatic_prior_weight, train_model
from attrprior.training_data import from_inputs, resume_key

# Test metrics of profile models (evaluate_profile_model), written as test_<name>.
PROFILE_TEST_METRICS = ("nll", "jsd", "count_mse", "count_pearson", "count_spearman")

log_to_file(snakemake.log[0])
configure_torch(snakemake.threads)
# The device is read from the config, not a rule param: switching it (cpu, auto, cuda)
# must not make Snakemake rerun finished jobs.
device = resolve_device(snakemake.config["device"])
# Condition key keep_positives: train on the strongest share of each task's peaks only
# (Tseng et al.'s "1% data" runs); validation and test stay complete.
keep_positives = snakemake.params.condition.get("keep_positives")
data = from_inputs(
    dict(snakemake.input.items()),
    single_motif=snakemake.params.single_motif,
    batch_size=snakemake.params.training["batch_size"],
    genomic=snakemake.params.genomic,
    keep_positives=keep_positives,
)
splits, objective = data.splits, data.objective
architecture = {**snakemake.params.model, **data.model_sizes}
settings = TrainSettings(**snakemake.params.training)
# Rule train_model_pack trains params.seeds together (attrprior.packing) into its pack
# directory; rule train_model one seed into its outputs.
packed = hasattr(snakemake.params, "seeds")
seeds = list(snakemake.params.seeds) if packed else [int(snakemake.wildcards.seed)]
references = snakemake.input.get("reference", [])
references = [references] if isinstance(references, str) else list(references)


def seed_outputs(seed: int) -> dict[str, Path]:
    """Where the seed's model, history and test metrics go."""
    if not packed:
        return {key: Path(snakemake.output[key]) for key in ("model", "history", "test_metrics")}
    directory = Path(snakemake.output.pack) / f"seed{seed}"
    return {
        "model": directory / "model.pt",
        "history": directory / "history.tsv",
        "test_metrics": directory / "test_metrics.tsv",
    }


def seed_entry(index: int) -> dict:
    """The condition entry of the seed at ``index`` of ``seeds``, weights resolved."""
    entry = dict(snakemake.params.condition)
    if objective is not None and entry.get("prior") is not None:
        # Record the prior parameters in effect (profile models: freq_limit 200 unless set).
        entry["params"] = objective.prior_params(
            Condition(prior=entry["prior"], prior_params=entry.get("params", {}))
        )
    if getattr(snakemake.input, "weight_choice", None):
        # A tuned weight: the grid weight of lowest mean validation loss (rule choose_weight).
        choice = pd.read_csv(snakemake.input.weight_choice, sep="\t")
        entry = with_weight(entry, float(choice.loc[choice["chosen"], "weight"].iloc[0]))
        logging.info("tuned weight %s from %s", entry, snakemake.input.weight_choice)
    if entry.get("weight") == "auto":
        reference, _ = load_checkpoint(references[index], device)
        entry["weight"] = automatic_prior_weight(
            reference,
            splits["valid"],
            Condition.from_config({**entry, "weight": 1.0}),
            settings.loss,
            device=device,
            objective=objective,
        )
        logging.info("automatic prior weight %.4g from %s", entry["weight"], references[index])
    return entry


entries = [seed_entry(index) for index in range(len(seeds))]
conditions = [Condition.from_config(entry) for entry in entries]
models, generators, resumes, resume_keys = [], [], [], []
for seed, entry in zip(seeds, entries, strict=True):
    logging.info("model %s, condition %s, seed %d, device %s", architecture, entry, seed, device)
    torch.manual_seed(seed)
    models.append(build_model(**architecture))
    generators.append(seed_generator(seed, device))
    # Each epoch's state is kept beside the seed's outputs (not one of them, so Snakemake
    # leaves it when it marks a killed job incomplete): a rerun or a SLURM retry resumes from
    # it. Its key is the run's settings and the inputs' modification times, so new data or
    # settings start afresh.
    # A pack directory sits beside its seeds' directories.
    resumes.append(
        Path(snakemake.output.pack).parent / f"seed{seed}" / "training_state.pt"
        if packed
        else Path(snakemake.output.model).with_name("training_state.pt")
    )
    resume_keys.append(
        resume_key(
            {k: getattr(snakemake.params, k) for k in ("model", "condition", "training")},
            entry,
            seed,
            snakemake.input,
            seeds if packed else None,
        )
    )
if architecture["architecture"] == "tseng_profile":
    # Recorded, so that the checkpoint does not depend on the code's default.
    architecture["log_control_counts"] = models[0].log_control_counts
if packed:
    for seed, resume in zip(seeds, resumes, strict=True):
        resume.parent.mkdir(parents=True, exist_ok=True)
        seed_outputs(seed)["model"].parent.mkdir(parents=True, exist_ok=True)
    results = train_packed(
        models,
        [splits["train"]] * len(seeds),
        splits["valid"],
        conditions,
        settings,
        seeds,
        generators,
        device,
        objective,
        resumes,
        resume_keys,
    )
else:
    results = [
        train_model(
            models[0],
            splits["train"],
            splits["valid"],
            conditions[0],
            settings,
            seed=seeds[0],
            device=device,
            objective=objective,
            resume=resumes[0],
            resume_key=resume_keys[0],
        )
    ]

for model, seed, entry, (state, history) in zip(models, seeds, entries, results, strict=True):
    if objective is None:
        probabilities = predict(model, splits["test"][0], settings.batch_size, device)
        test = multitask_classification_metrics(splits["test"][1], probabilities)
    else:
        test = evaluate_profile_model(
            model,
            splits["test"],
            settings.batch_size,
            device,
            objective.smooth_sigma,
            objective.smooth_truncate,
        )
        test = {name: test[name] for name in PROFILE_TEST_METRICS}
    logging.info("seed %d: test %s", seed, test)
    run = {
        "model": snakemake.wildcards.model,
        "condition": snakemake.wildcards.condition,
        "seed": seed,
    }
    outputs = seed_outputs(seed)
    write_tsv(
        pd.DataFrame([{**run, **{f"test_{k}": v for k, v in test.items()}}]),
        outputs["test_metrics"],
    )
    write_tsv(history, outputs["history"])
    save_checkpoint(
        outputs["model"],
        state,
        architecture,
        condition=entry,
        seed=seed,
        # Training positives (windows) or peak examples of one epoch: fewer with
        # keep_positives.
        n_train_positives=data.n_train_positives,
    )
for resume in resumes:
    resume.unlink(missing_ok=True)
