"""Gradient correction and simplex angles (Majdandzic, Rajesh & Koo 2023).

One-hot inputs live on the probability simplex, so the component of an input gradient
orthogonal to it (along ``(1, 1, 1, 1) / 2`` at each position) is off-simplex noise: the
correction removes it, and the angle between a position's gradient and the simplex plane
measures how much there was.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from attrprior.map_names import split_map_name

if TYPE_CHECKING:
    import torch

ArrayLike = TypeVar("ArrayLike", np.ndarray, "torch.Tensor")


def _is_tensor(x: object) -> bool:
    """Whether ``x`` is a torch tensor, without importing torch.

    A tensor exists only once torch is imported; jobs that score NumPy maps (the workflow's
    ``score_attributions``) thereby skip torch's import, about 1.5 s per job.
    """
    torch_module = sys.modules.get("torch")
    return torch_module is not None and isinstance(x, torch_module.Tensor)


def correct_gradients(grad: ArrayLike) -> ArrayLike:
    """Remove the component of a gradient map orthogonal to the probability simplex.

    ``G_corr[..., a, l] = G[..., a, l] - mean_a' G[..., a', l]``: the per-position mean over
    the bases is subtracted, which projects each position's 4-vector onto the plane
    ``sum_a G_a = 0`` parallel to the simplex (normal ``(1, 1, 1, 1) / 2``). A projection, so
    applying it twice changes nothing. Differentiable for tensors (the corrected prior).

    Parameters
    ----------
    grad : numpy.ndarray or torch.Tensor, shape=(..., 4, L)
        Attribution or gradient maps: (seeds, examples, ...), bases A/C/G/T, positions.

    Returns
    -------
    corrected : same type, dtype and shape as ``grad``
        Maps with zero mean over the bases (axis -2) at every position.
    """
    if grad.ndim < 2:
        raise ValueError(f"grad must have a bases and a positions axis, got {tuple(grad.shape)}")
    if _is_tensor(grad):
        return grad - grad.mean(dim=-2, keepdim=True)
    grad = np.asarray(grad)
    return grad - grad.mean(axis=-2, keepdims=True)


def simplex_angles(grad: np.ndarray | torch.Tensor) -> np.ndarray:
    """Angle between each position's gradient vector and the simplex plane, in degrees.

    ``sin(theta) = (sum_a G_a) / (2 ||G||_2)`` per position, i.e. the cosine between ``G`` and
    the plane's unit normal ``(1, 1, 1, 1) / 2``; ``theta`` is signed, in ``[-90, 90]``. For an
    alphabet of A letters the normal is ``(1, ..., 1) / sqrt(A)`` (``2`` for DNA).

    Parameters
    ----------
    grad : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        Gradient maps: examples, bases A/C/G/T, positions.

    Returns
    -------
    angles : numpy.ndarray, shape=(N, L), float32
        Signed angles in degrees; NaN where the gradient column is all zero (no direction).
    """
    if grad.ndim != 3:
        raise ValueError(f"grad must have 3 axes (N, 4, L), got shape {tuple(grad.shape)}")
    g = np.asarray(grad.detach().cpu() if _is_tensor(grad) else grad)
    g = g.astype(np.float64)
    norm = np.sqrt(np.sum(g**2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        sine = g.sum(axis=1) / (np.sqrt(g.shape[1]) * norm)
    # Rounding can push |sine| a hair above 1 for columns parallel to the normal.
    sine = np.clip(sine, -1.0, 1.0)
    angles = np.degrees(np.arcsin(sine))
    angles[norm == 0] = np.nan
    return angles.astype(np.float32)


def raw_map_angles(maps: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Simplex angles of the raw gradient-like maps among named attribution maps.

    Angles describe a gradient's direction, so maps named ``*_corrected`` (whose angles are
    all 0 by construction) and ``grad_x_input`` (a product with the one-hot input) are left
    out.

    Parameters
    ----------
    maps : mapping of str to numpy.ndarray, each shape=(N, 4, L)
        Method name -> map, as written by the workflow's ``attribute`` rule.

    Returns
    -------
    dict of str to numpy.ndarray, each shape=(N, L)
        Method name -> :func:`simplex_angles` of its map.
    """
    return {
        name: simplex_angles(array)
        for name, array in maps.items()
        if not split_map_name(name)[1] and name != "grad_x_input"
    }
