"""attrprior.genomics.keras_weights: the authors' published Keras weights (tests/data/koo, trial 0
of
each billboard model) loaded into our CNNs, against a NumPy forward pass of the Keras model
written here from the file's raw arrays, channel-last as Keras computes."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from attrprior.genomics.keras_weights import (
    koo_cnn_from_keras,
    load_keras_weights,
    read_keras_weights,
)
from attrprior.models import KooCNN

KOO = Path(__file__).parent / "data" / "koo"
# Pool sizes after each convolution (Koo & Ploenzke 2021), not stored in the weight files.
POOLS = {"cnn_shallow": [50, 2], "cnn_deep": [None, 4, 4, 3]}
EPS = 1e-3  # Keras BatchNormalization's epsilon


def raw(path):
    """layer name -> {weight name -> array}, straight from the HDF5 file."""
    layers = {}
    with h5py.File(path, "r") as handle:
        for name in handle.attrs["layer_names"]:
            name = name.decode()
            for weight in handle[name].attrs.get("weight_names", []):
                weight = weight.decode()
                short = weight.split("/")[-1].split(":")[0]
                layers.setdefault(name, {})[short] = handle[name][weight][()]
    return layers


def keras_forward(weights, x, architecture, activation):
    """The Keras model in NumPy, inference mode: x (N, L, 4) channel-last -> logits (N, T)."""
    h = x.astype(np.float64)
    convs = sorted((k for k in weights if k.startswith("conv1d")), key=_index)
    norms = sorted((k for k in weights if k.startswith("batch_normalization")), key=_index)
    for i, (conv, pool) in enumerate(zip(convs, POOLS[architecture], strict=True)):
        kernel, bias = weights[conv]["kernel"], weights[conv]["bias"]  # (k, in, out)
        width = kernel.shape[0]
        padded = np.pad(h, ((0, 0), (width // 2, width // 2), (0, 0)))  # 'same', odd k
        windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)  # N, L, in, k
        h = np.einsum("nlik,kio->nlo", windows, kernel) + bias
        h = _batch_norm(h, weights[norms[i]])
        h = np.exp(h) if (i == 0 and activation == "exponential") else np.maximum(h, 0)
        if pool:
            n, length, c = h.shape
            h = h[:, : length // pool * pool].reshape(n, length // pool, pool, c).max(axis=2)
    h = h.reshape(len(h), -1)  # Keras Flatten: channel-last
    h = np.maximum(
        _batch_norm(h @ weights["dense"]["kernel"] + weights["dense"]["bias"], weights[norms[-1]]),
        0,
    )
    return h @ weights["dense_1"]["kernel"] + weights["dense_1"]["bias"]


def _index(name):
    """Keras' layer order: conv1d, conv1d_1, conv1d_2, ..."""
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _batch_norm(h, w):
    return (h - w["moving_mean"]) / np.sqrt(w["moving_variance"] + EPS) * w["gamma"] + w["beta"]


@pytest.mark.parametrize("architecture", ["cnn_shallow", "cnn_deep"])
@pytest.mark.parametrize("activation", ["relu", "exponential"])
def test_published_weights_give_the_keras_logits(architecture, activation):
    path = KOO / f"{architecture}_{activation}_0.h5"
    model, sizes = koo_cnn_from_keras(path, activation)
    assert sizes["architecture"] == architecture and sizes["n_tasks"] == 1
    # The published CNN-deep files have first-layer filters of width 11 (paper: 19).
    assert sizes["first_kernel_size"] == (11 if architecture == "cnn_deep" else 19)
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(16, 200))]  # N, L, 4
    expected = keras_forward(raw(path), x, architecture, activation)
    with torch.no_grad():
        logits = model(torch.from_numpy(x.transpose(0, 2, 1).copy())).numpy()
    assert np.std(expected) > 0.1  # the inputs tell the model something
    np.testing.assert_allclose(logits, expected, atol=1e-4, rtol=1e-4)


def test_a_wrong_architecture_is_refused_naming_the_layer_and_shapes():
    layers = read_keras_weights(KOO / "cnn_deep_relu_0.h5")
    deep_as_if_19 = KooCNN("cnn_deep", first_kernel_size=19)
    with pytest.raises(ValueError) as error:
        load_keras_weights(deep_as_if_19, layers)
    assert "Keras layer conv1d kernel has shape (11, 4, 24)" in str(error.value)
    assert "the model's has (24, 4, 19)" in str(error.value)
    with pytest.raises(ValueError, match=r"4 Keras conv layers .* for 2 in the model"):
        load_keras_weights(KooCNN("cnn_shallow"), layers)
    with pytest.raises(ValueError, match=r"Keras layer dense kernel \(96, 96\) does not fit"):
        koo_cnn_from_keras(KOO / "cnn_shallow_relu_0.h5", "relu", length=400)


def test_not_a_weights_file_is_named(tmp_path):
    path = tmp_path / "x.h5"
    path.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="x.h5: cannot read as HDF5"):
        read_keras_weights(path)
