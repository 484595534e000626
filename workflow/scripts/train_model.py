"""Train one model under one condition: one seed (rule train_model) or a pack of seeds
trained together (rule train_model_pack)."""

import json
import logging
import os
from pathlib import Path

import pandas as pd
import torch

from attrprior.data import SingleMotifBatches, load_dataset, load_jaspar_motifs, split_arrays
from attrprior.device import configure_torch, resolve_device
from attrprior.genome import GenomeArray, ProfileExamples
from attrprior.io import load_npz, log_to_file, write_tsv
from attrprior.labels import load_binary_labels
from attrprior.metrics import multitask_classification_metrics
from attrprior.models import build_model, load_checkpoint, save_checkpoint
from attrprior.packing import seed_generator, train_packed
from attrprior.peaks import read_narrowpeak
from attrprior.sampling import (
    genomic_splits,
    profile_splits,
    retained_positives,
)
from attrprior.train import (
    Condition,
    ProfileObjective,
    TrainSettings,
    automatic_prior_weight,
    evaluate_profile_model,
    predict,
    train_model,
    with_weight,
)

# Test metrics of profile models (evaluate_profile_model), written as test_<name>.
PROFILE_TEST_METRICS = ("nll", "jsd", "count_mse", "count_pearson", "count_spearman")


def labelled_positives(y) -> int:
    """Sequences with a label 1 for some task (labels ``(N, T)``)."""
    return int((y == 1).any(axis=1).sum())


log_to_file(snakemake.log[0])
configure_torch(snakemake.threads)
# The device is read from the config, not a rule param: switching it (cpu, auto, cuda)
# must not make Snakemake rerun finished jobs.
device = resolve_device(snakemake.config["device"])
genomic = snakemake.params.genomic
architecture = dict(snakemake.params.model)
objective = None  # the binary objective (train_model's default)
# Condition key keep_positives: train on the strongest share of each task's peaks only
# (Tseng et al.'s "1% data" runs); validation and test stay complete.
keep_positives = snakemake.params.condition.get("keep_positives")
if hasattr(snakemake.input, "dataset"):
    dataset = load_dataset(snakemake.input.dataset)
    splits = split_arrays(dataset.x, dataset.y, dataset.split)
    n_train_positives = labelled_positives(splits["train"][1])
    single_motif = snakemake.params.single_motif
    if single_motif and single_motif.get("fresh_training_batches"):
        # Tseng et al.'s synthetic SPI1 training: every batch drawn fresh, half positives at
        # the training GC bias, half negatives; as many batches as the fixed set would fill.
        batch_size = snakemake.params.training["batch_size"]
        motif = load_jaspar_motifs(single_motif["jaspar_release"])[single_motif["motif"]]
        splits["train"] = SingleMotifBatches(
            motif=motif,
            length=single_motif["length"],
            positive_gc=single_motif["gc_prob"] + single_motif["positive_gc_excess"],
            negative_gc=single_motif["gc_prob"],
            central_flank=single_motif["central_flank"],
            n_batches=max(1, -(-n_train_positives // max(1, batch_size // 2))),
        )
        logging.info(
            "training on fresh sequences: %d batches of %d per epoch",
            splits["train"].n_batches,
            batch_size,
        )
elif hasattr(snakemake.input, "regions"):
    # Peak-centred regions of one task (Majdandzic et al.), random split.
    regions = load_npz(snakemake.input.regions, "regions")
    splits = split_arrays(regions["x"], regions["y"], regions["split"])
    n_train_positives = labelled_positives(splits["train"][1])
elif hasattr(snakemake.input, "profile_examples"):
    # Profile models (Tseng et al.): jittered training peaks plus random genomic windows of
    # the training chromosomes; validation and test peaks centred, without random windows.
    examples = ProfileExamples(snakemake.input.profile_examples)
    splits = profile_splits(examples, keep_positives=keep_positives)
    n_train_positives = len(splits["train"])  # peak examples
    if keep_positives is not None:
        logging.info(
            "keep_positives %g: %d of %d training peaks kept (signal rank <= int(n_peaks x "
            "%g) per task)",
            keep_positives,
            len(splits["train"]),
            len(examples.split_indices("train")),
            keep_positives,
        )
    if not examples.n_random:
        logging.warning("no random windows in %s: training on peaks only", examples.directory)
    objective = ProfileObjective()
    architecture.update(
        length=examples.input_length,
        output_length=examples.output_length,
        n_tasks=examples.n_tasks,
        n_strands=examples.n_strands,
        control_strands=None if examples.control is None else examples.control.shape[2],
    )
    logging.info(
        "%s: %d training, %d validation and %d test peaks, %d random windows (%.0f%% of "
        "each training batch), jitter up to %d bp",
        examples,
        len(splits["train"]),
        len(splits["valid"]),
        len(splits["test"]),
        examples.n_random,
        100 * splits["train"].random_fraction,
        splits["train"].jitter,
    )
else:
    # Genomic windows: held-out chromosomes; training negatives are redrawn every epoch.
    labels = load_binary_labels(snakemake.input.labels)
    train_keep = None
    if keep_positives is not None:
        # The tasks' optimal peaks, in task order (rule input peaks).
        train_keep = retained_positives(
            labels,
            [read_narrowpeak(path) for path in snakemake.input.peaks],
            keep_positives,
            genomic["labels"]["min_overlap"],
        )
    train, valid, test = genomic_splits(
        GenomeArray(snakemake.input.genome),
        labels,
        genomic["splits"],
        seed=genomic["seed"],
        negatives_per_positive=genomic.get("eval_negatives_per_positive", 1.0),
        train_keep=train_keep,
    )
    n_train_positives = len(train.positives)
    if keep_positives is not None:
        logging.info(
            "keep_positives %g: %d of %d training positives kept (central bin covered by the "
            "peaks of signal rank <= int(n_peaks x %g) of a positive task)",
            keep_positives,
            n_train_positives,
            train.n_all_positives,
            keep_positives,
        )
    splits = {"train": train, "valid": valid, "test": test}
    logging.info(
        "%d training positives, %d validation and %d test windows",
        len(train.positives),
        len(valid[0]),
        len(test[0]),
    )
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
if objective is None:
    length, n_tasks = splits["valid"][0].shape[2], splits["valid"][1].shape[1]
    architecture.update(length=length, n_tasks=n_tasks)
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
        json.dumps(
            {
                "params": {
                    k: getattr(snakemake.params, k) for k in ("model", "condition", "training")
                },
                "condition": entry,
                "seed": seed,
                **({"packed": seeds} if packed else {}),
                "inputs": sorted(
                    (str(path), os.stat(path).st_mtime_ns) for path in snakemake.input
                ),
            },
            sort_keys=True,
            default=str,
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
        n_train_positives=n_train_positives,
    )
for resume in resumes:
    resume.unlink(missing_ok=True)
