"""A published trained model in place of a training run (rule import_published_model):
the authors' Keras weights of one trial (Majdandzic et al.'s
results/synthetic/model_params/<model>_<trial>.h5) loaded into our CNN, its validation loss
and test metrics measured on the dataset's splits as a trained run's are.

Writes what train_model writes: the checkpoint (which records the weights file and the
first-layer width read from it), a one-row history (validation only; nothing is trained)
and the test metrics.
"""

import logging
import time

import numpy as np
import pandas as pd

from attrprior.conditions import Condition
from attrprior.device import configure_torch, resolve_device
from attrprior.genomics.keras_weights import koo_cnn_from_keras
from attrprior.io import load_npz, log_to_file, write_tsv
from attrprior.metrics import multitask_classification_metrics
from attrprior.models import save_checkpoint
from attrprior.objectives import evaluate, predict
from attrprior.sim.datasets import load_dataset, split_arrays

log_to_file(snakemake.log[0])
configure_torch(snakemake.threads)
start = time.perf_counter()
device = resolve_device(snakemake.config["device"])
seed = int(snakemake.wildcards.seed)
entry = snakemake.params.model
if hasattr(snakemake.input, "dataset"):
    stored = load_dataset(snakemake.input.dataset)
    splits = split_arrays(stored.x, stored.y, stored.split)
else:
    stored = load_npz(snakemake.input.regions, "regions")
    splits = split_arrays(stored["x"], stored["y"], stored["split"])
length, n_tasks = splits["test"][0].shape[2], splits["test"][1].shape[1]
model, sizes = koo_cnn_from_keras(snakemake.input.weights, entry["activation"], length)
if sizes["architecture"] != entry["architecture"] or sizes["n_tasks"] != n_tasks:
    raise ValueError(
        f"{snakemake.input.weights}: a {sizes['architecture']} with {sizes['n_tasks']} "
        f"output(s), but config key models.{snakemake.wildcards.model} says "
        f"{entry['architecture']} and the dataset has {n_tasks} task(s)"
    )
logging.info("%s (%s): %s", snakemake.params.source, snakemake.input.weights, sizes)
model = model.to(device)
training = snakemake.params.training
valid = evaluate(
    model, *splits["valid"], Condition(), training["batch_size"], device, training["loss"]
)
test = multitask_classification_metrics(
    splits["test"][1], predict(model, splits["test"][0], training["batch_size"], device)
)
logging.info("valid %s, test %s", valid, test)
history = pd.DataFrame(
    [
        {
            "epoch": 0,
            "train_correctness": np.nan,
            "train_prior": np.nan,
            "train_l2": np.nan,
            "valid_correctness": valid["correctness"],
            "valid_prior": valid["prior"],
            "valid_auroc": valid["auroc"],
            "learning_rate": np.nan,
            "seconds": time.perf_counter() - start,
            "best": True,
        }
    ]
)
run = {"model": snakemake.wildcards.model, "condition": snakemake.wildcards.condition, "seed": seed}
write_tsv(
    pd.DataFrame([{**run, **{f"test_{k}": v for k, v in test.items()}}]),
    snakemake.output.test_metrics,
)
write_tsv(history, snakemake.output.history)
architecture = {
    "architecture": sizes["architecture"],
    "activation": entry["activation"],
    "length": length,
    "n_tasks": n_tasks,
    "n_filters": sizes["n_filters"],
    "first_kernel_size": sizes["first_kernel_size"],
}
save_checkpoint(
    snakemake.output.model,
    {name: value.cpu() for name, value in model.state_dict().items()},
    architecture,
    condition={},
    seed=seed,
    published_weights=snakemake.params.source,
)
