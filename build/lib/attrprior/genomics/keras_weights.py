"""Published Keras weights of the Koo-lab CNNs, loaded into :class:`attrprior.models.KooCNN`.

Majdandzic et al. (2023) publish the billboard models they trained (CNN-shallow and CNN-deep,
ReLU or exponential first layer, 50 trials each) as Keras 2 weight files (HDF5, weights
only: one group per layer, ``<layer>/<layer>/<weight>:0``). :func:`koo_cnn_from_keras` builds
our model from such a file, its sizes read from the file, and copies the weights in:

- Conv1D kernels are stored ``(k, in, out)``; PyTorch wants ``(out, in, k)``.
- Dense kernels are ``(in, out)``; PyTorch wants ``(out, in)``. Keras flattens the last
  feature map channel-last (index ``l * C + c``), PyTorch channel-first (``c * L + l``), so
  the first dense kernel's rows are reordered.
- BatchNormalization holds ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``; Keras'
  epsilon (1e-3) is what :data:`attrprior.models.KERAS_BN` sets already.

The activation of the first layer is not in a weights-only file: it is given (it is in the
published file names). Pooling sizes are not in the file either; the architecture fixes them
and the first dense layer's input size checks them.

:func:`published_weights_record` gives the md5 and size of each published file (all 200 of
``p-koo/GradientCorrection`` at commit e5d4abe, read from the repository with git), so the
workflow can fetch and verify them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from attrprior.models import BatchNorm1d, KooCNN


@cache
def published_weights_table() -> pd.DataFrame:
    """The published weights files the workflow knows (``published_weights.tsv`` of the
    package): columns ``repository``, ``commit``, ``path``, ``md5``, ``size``."""
    path = resources.files("attrprior.genomics").joinpath("published_weights.tsv")
    with resources.as_file(path) as local:
        return pd.read_csv(local, sep="\t", dtype={"size": "int64"})


def published_weights_record(repository: str, commit: str, path: str) -> dict[str, object]:
    """MD5 and size of one published weights file.

    Raises
    ------
    KeyError
        If the file is not in :func:`published_weights_table`, saying how many files of
        that repository and commit it holds.
    """
    table = published_weights_table()
    rows = table[(table["repository"] == repository) & (table["commit"] == commit)]
    match = rows[rows["path"] == path]
    if match.empty:
        raise KeyError(
            f"{repository}@{commit[:7]}: no published weights file {path!r} known "
            f"({len(rows)} files of this repository and commit are, e.g. "
            f"{rows['path'].head(2).tolist()})"
        )
    row = match.iloc[0]
    return {"md5": str(row["md5"]), "size": int(row["size"])}


@dataclass(frozen=True)
class KerasLayer:
    """The weights of one Keras layer, by weight name (``kernel``, ``bias``, ``gamma``, ...)."""

    name: str
    weights: dict[str, np.ndarray]


def read_keras_weights(path: str | os.PathLike) -> list[KerasLayer]:
    """The layers with weights of a Keras weights file, in the model's layer order.

    Raises
    ------
    ValueError
        Naming the file, if it is not a Keras weights file (no ``layer_names`` attribute).
    """
    import h5py  # only published models need it

    path = Path(path)
    try:
        with h5py.File(path, "r") as handle:
            root = handle["model_weights"] if "model_weights" in handle else handle
            if "layer_names" not in root.attrs:
                raise ValueError(f"{path}: not a Keras weights file (no layer_names)")
            layers = []
            for raw in root.attrs["layer_names"]:
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                group = root[name]
                weights = {}
                for raw_weight in group.attrs.get("weight_names", []):
                    weight = raw_weight.decode() if isinstance(raw_weight, bytes) else raw_weight
                    short = weight.split("/")[-1].split(":")[0]
                    weights[short] = np.asarray(group[weight], dtype=np.float32)
                if weights:
                    layers.append(KerasLayer(name, weights))
    except OSError as error:
        raise ValueError(f"{path}: cannot read as HDF5: {error}") from error
    return layers


def koo_cnn_from_keras(
    path: str | os.PathLike, activation: str, length: int = 200
) -> tuple[KooCNN, dict[str, int | str]]:
    """Build CNN-shallow or CNN-deep from a published Keras weights file.

    Parameters
    ----------
    path : path-like
        Keras 2 weights file of a Koo-lab CNN (2 convolutions: CNN-shallow; 4: CNN-deep).
    activation : {"relu", "exponential"}
        The first layer's activation (not stored in a weights-only file).
    length : int
        Input length L the model was trained on (200 for the billboard data).

    Returns
    -------
    model : KooCNN
        In evaluation mode; input ``(N, 4, L)`` one-hot, output ``(N, n_tasks)`` logits (the
        Keras model's sigmoid is left out, as in our models).
    sizes : dict
        What was read from the file: ``architecture``, ``first_kernel_size`` (the published
        CNN-deep files have 11, where the paper's methods say 19), ``n_filters``, ``n_tasks``.

    Raises
    ------
    ValueError
        If the file's layers do not fit the architecture, naming the layer and both shapes.
    """
    layers = read_keras_weights(path)
    convs = [
        layer for layer in layers if "kernel" in layer.weights and layer.weights["kernel"].ndim == 3
    ]
    if len(convs) not in (2, 4):
        raise ValueError(
            f"{path}: {len(convs)} convolutional layers; a Koo-lab CNN has 2 (CNN-shallow) or "
            "4 (CNN-deep)"
        )
    first = convs[0].weights["kernel"]
    dense = [
        layer for layer in layers if "kernel" in layer.weights and layer.weights["kernel"].ndim == 2
    ]
    sizes = {
        "architecture": "cnn_shallow" if len(convs) == 2 else "cnn_deep",
        "first_kernel_size": int(first.shape[0]),
        "n_filters": int(first.shape[2]),
        "n_tasks": int(dense[-1].weights["kernel"].shape[1]),
    }
    model = KooCNN(
        sizes["architecture"],
        activation=activation,
        length=length,
        n_tasks=sizes["n_tasks"],
        n_filters=sizes["n_filters"],
        first_kernel_size=sizes["first_kernel_size"],
    )
    load_keras_weights(model, layers, source=str(path))
    return model.eval(), sizes


def load_keras_weights(model: KooCNN, layers: list[KerasLayer], source: str = "") -> None:
    """Copy Keras layers into ``model``, in order: convolutions, batch norms, dense layers.

    Raises
    ------
    ValueError
        If the layer counts differ, or a weight's shape does not fit, naming the Keras layer,
        our module and both shapes.
    """
    modules = [m for m in model.modules() if isinstance(m, nn.Conv1d | BatchNorm1d | nn.Linear)]
    kinds = {nn.Conv1d: "conv", BatchNorm1d: "batchnorm", nn.Linear: "dense"}
    ours = {kind: [m for m in modules if isinstance(m, cls)] for cls, kind in kinds.items()}
    theirs = {
        "conv": [layer for layer in layers if layer.weights.get("kernel", np.zeros(0)).ndim == 3],
        "batchnorm": [layer for layer in layers if "moving_mean" in layer.weights],
        "dense": [layer for layer in layers if layer.weights.get("kernel", np.zeros(0)).ndim == 2],
    }
    where = f"{source}: " if source else ""
    for kind in ("conv", "batchnorm", "dense"):
        if len(ours[kind]) != len(theirs[kind]):
            raise ValueError(
                f"{where}{len(theirs[kind])} Keras {kind} layers "
                f"({[layer.name for layer in theirs[kind]]}) for {len(ours[kind])} in the model"
            )
    with torch.no_grad():
        for module, layer in zip(ours["conv"], theirs["conv"], strict=True):
            kernel = layer.weights["kernel"]
            _copy(module.weight, kernel.transpose(2, 1, 0), layer, "kernel", where, kernel.shape)
            _copy(module.bias, layer.weights["bias"], layer, "bias", where)
        for module, layer in zip(ours["batchnorm"], theirs["batchnorm"], strict=True):
            for ours_name, keras_name in (
                ("weight", "gamma"),
                ("bias", "beta"),
                ("running_mean", "moving_mean"),
                ("running_var", "moving_variance"),
            ):
                _copy(
                    getattr(module, ours_name), layer.weights[keras_name], layer, keras_name, where
                )
        first_dense = True
        for module, layer in zip(ours["dense"], theirs["dense"], strict=True):
            kernel = layer.weights["kernel"]
            if first_dense:
                kernel = _channel_first_rows(
                    kernel, ours["conv"][-1].out_channels, layer, module, where
                )
                first_dense = False
            _copy(module.weight, kernel.T, layer, "kernel", where, kernel.shape)
            _copy(module.bias, layer.weights["bias"], layer, "bias", where)


def _channel_first_rows(
    kernel: np.ndarray, channels: int, layer: KerasLayer, module: nn.Linear, where: str
) -> np.ndarray:
    """Rows of the first dense kernel reordered from Keras' ``l * C + c`` to ``c * L + l``."""
    if kernel.shape[0] != module.in_features or kernel.shape[0] % channels:
        raise ValueError(
            f"{where}Keras layer {layer.name} kernel {tuple(kernel.shape)} does not fit "
            f"{module} (weight {tuple(module.weight.shape)}): a different input length or "
            "architecture"
        )
    positions = kernel.shape[0] // channels
    return kernel.reshape(positions, channels, -1).transpose(1, 0, 2).reshape(kernel.shape)


def _copy(
    target: torch.Tensor,
    value: np.ndarray,
    layer: KerasLayer,
    name: str,
    where: str,
    keras_shape: tuple[int, ...] | None = None,
) -> None:
    """Copy ``value`` (already in PyTorch's layout) into ``target``, or name both shapes."""
    if tuple(target.shape) != tuple(value.shape):
        stored = tuple(keras_shape if keras_shape is not None else value.shape)
        raise ValueError(
            f"{where}Keras layer {layer.name} {name} has shape {stored} (as PyTorch lays it "
            f"out: {tuple(value.shape)}), the model's has {tuple(target.shape)}"
        )
    target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
