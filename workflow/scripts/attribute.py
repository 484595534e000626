"""Attribution maps of one trained model, raw and gradient-corrected (rule attribute).

The output ``.npz`` holds one (N, 4, L) float32 array per map, axes (sequences, bases
A/C/G/T, positions), named ``<method>`` (raw: gradient-like, DeepSHAP hypothetical) and
``<method>_corrected``. ``grad_x_input`` is the saliency map times the one-hot input.
The explained output is config key ``attribution.explain`` (``sum``: the sum of the task
logits, as Tseng et al. explain their multi-task models; or one task's name), through
:func:`attrprior.explained.explained_model`. A profile model is explained through
:class:`attrprior.explained.ProfileAttributionModel`, with the inputs' ``control`` profiles (when
they hold them) fixed for every reference.
"""

import logging

import numpy as np

from attrprior.attribution import attribute
from attrprior.correction import correct_gradients
from attrprior.device import configure_torch, resolve_device
from attrprior.explained import explained_model
from attrprior.io import atomic_path, load_npz, log_to_file
from attrprior.map_names import corrected_name
from attrprior.models import TsengProfileCNN, load_checkpoint

log_to_file(snakemake.log[0])
configure_torch(snakemake.threads)
# The device is read from the config, not a rule param: switching it (cpu, auto, cuda)
# must not make Snakemake rerun finished jobs.
device = resolve_device(snakemake.config["device"])
model, _ = load_checkpoint(snakemake.input.model, device)
inputs = load_npz(snakemake.input.inputs, "attribution inputs")
x, references = inputs["x"], inputs["references"]
settings = snakemake.params.attribution
args = None
if isinstance(model, TsengProfileCNN) and "control" in inputs:
    args = (inputs["control"],)
explain = settings.get("explain", "sum")
model = explained_model(model, explain, snakemake.params.tasks)
methods = dict(settings["methods"])
want_grad_x_input = methods.pop("grad_x_input", None) is not None
if want_grad_x_input:
    methods.setdefault("saliency", {})
maps = attribute(model, x, references, methods, seed=settings["seed"], args=args)
if want_grad_x_input:
    maps["grad_x_input"] = maps["saliency"] * x
    maps[corrected_name("grad_x_input")] = correct_gradients(maps["saliency"]) * x
logging.info(
    "maps %s of output %r (tasks %s) for %d sequences on %s",
    sorted(maps),
    explain,
    snakemake.params.tasks,
    len(x),
    device,
)
with atomic_path(snakemake.output.attributions) as tmp:
    np.savez_compressed(tmp, **{name: array.astype(np.float32) for name, array in maps.items()})
