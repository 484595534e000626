"""Small seeded CNNs and one-hot inputs shared by the attribution tests."""

import numpy as np
import torch
from torch import nn

L = 24
N = 6


class ExpLike(nn.Module):
    """An exp module of our own, for the ``additional_nonlinear_ops`` argument."""

    def forward(self, x):
        return torch.exp(x)


def toy_model(activation=None, seed=0, n_targets=2, length=L):
    """Conv1d -> ReLU -> [activation] -> MaxPool(4, 4) -> Flatten -> Linear; DeepLIFT-safe."""
    torch.manual_seed(seed)
    layers = [nn.Conv1d(4, 6, 5, padding=2), nn.ReLU()]
    if activation is not None:
        layers.append(activation)
    layers += [nn.MaxPool1d(4, stride=4), nn.Flatten(), nn.Linear(6 * (length // 4), n_targets)]
    return nn.Sequential(*layers)


def exp_model(seed=0):
    """:func:`toy_model` with our exponential activation after the ReLU."""
    from attrprior.models import Exp

    return toy_model(Exp(), seed=seed)


def linear_model(seed=0):
    """Conv1d -> Flatten -> Linear: attributions are exact for every method."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv1d(4, 3, 5, padding=2), nn.Flatten(), nn.Linear(3 * L, 2))


def one_hot(n=N, length=L, seed=0):
    """Random one-hot sequences, (n, 4, length) float32."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4, length), dtype=np.float32)
    x[np.arange(n)[:, None], rng.integers(0, 4, (n, length)), np.arange(length)] = 1
    return x


def f(model, x, target=0):
    """The model's output column ``target`` in evaluation mode, (N,)."""
    with torch.no_grad():
        return model.eval()(torch.as_tensor(x, dtype=torch.float32))[:, target].numpy()
