"""Train one model under one condition and seed (rule train_model)."""

import logging

import numpy as np
import pandas as pd
import torch

from attrprior.data import load_dataset
from attrprior.genome import GenomeArray
from attrprior.io import write_tsv
from attrprior.labels import load_binary_labels
from attrprior.metrics import multitask_classification_metrics
from attrprior.models import build_model, load_checkpoint, save_checkpoint
from attrprior.sampling import genomic_splits
from attrprior.train import (
    Condition,
    TrainSettings,
    automatic_prior_weight,
    configure_torch,
    predict,
    resolve_device,
    train_model,
)

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
configure_torch(snakemake.threads)
seed = int(snakemake.wildcards.seed)
device = resolve_device(snakemake.params.device)
genomic = snakemake.params.genomic
if hasattr(snakemake.input, "dataset"):
    dataset = load_dataset(snakemake.input.dataset)
    splits = {
        name: (dataset.x[dataset.split == name], dataset.y[dataset.split == name])
        for name in ("train", "valid", "test")
    }
elif hasattr(snakemake.input, "regions"):
    # Peak-centred regions of one task (Majdandzic et al.), random split.
    with np.load(snakemake.input.regions) as regions:
        splits = {
            name: (
                regions["x"][regions["split"] == name].astype(np.float32),
                regions["y"][regions["split"] == name],
            )
            for name in ("train", "valid", "test")
        }
else:
    # Genomic windows: held-out chromosomes; training negatives are redrawn every epoch.
    train, valid, test = genomic_splits(
        GenomeArray(snakemake.input.genome),
        load_binary_labels(snakemake.input.labels),
        genomic["splits"],
        seed=genomic["seed"],
        negatives_per_positive=genomic.get("eval_negatives_per_positive", 1.0),
    )
    splits = {"train": train, "valid": valid, "test": test}
    logging.info(
        "%d training positives, %d validation and %d test windows",
        len(train.positives),
        len(valid[0]),
        len(test[0]),
    )
architecture = dict(snakemake.params.model)
settings = TrainSettings(**snakemake.params.training)
entry = dict(snakemake.params.condition)
if entry.get("weight") == "auto":
    reference, _ = load_checkpoint(snakemake.input.reference, device)
    entry["weight"] = automatic_prior_weight(
        reference,
        splits["valid"],
        Condition.from_config({**entry, "weight": 1.0}),
        settings.loss,
        device=device,
    )
    logging.info("automatic prior weight %.4g from %s", entry["weight"], snakemake.input.reference)
condition = Condition.from_config(entry)
logging.info("model %s, condition %s, seed %d, device %s", architecture, condition, seed, device)

length, n_tasks = splits["valid"][0].shape[2], splits["valid"][1].shape[1]
architecture.update(length=length, n_tasks=n_tasks)
torch.manual_seed(seed)
model = build_model(**architecture)
state, history = train_model(
    model,
    splits["train"],
    splits["valid"],
    condition,
    settings,
    seed=seed,
    device=device,
)

probabilities = predict(model, splits["test"][0], settings.batch_size, device)
test = multitask_classification_metrics(splits["test"][1], probabilities)
logging.info("test %s", test)
run = {"model": snakemake.wildcards.model, "condition": snakemake.wildcards.condition, "seed": seed}
write_tsv(
    pd.DataFrame([{**run, **{f"test_{k}": v for k, v in test.items()}}]),
    snakemake.output.test_metrics,
)
write_tsv(history, snakemake.output.history)
save_checkpoint(
    snakemake.output.model,
    state,
    architecture,
    condition=entry,
    seed=seed,
)
