"""Input gradients of a model's explained output, for the attribution methods: inputs and
references checked and moved to the model's device, evaluation mode, the gradient of one
output column in batches, and weighted sums of gradients over points between a reference
and the input.

Arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions; a model maps them (and its
further per-example ``args``) to ``(N, n_targets)`` logits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch


def _check_ndim(array: Any, ndim: int, name: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {tuple(array.shape)}")


def to_numpy(array: np.ndarray | torch.Tensor) -> np.ndarray:
    """Return ``array`` as a NumPy array (a tensor detached and copied to the CPU)."""
    if isinstance(array, torch.Tensor):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def as_inputs(x: np.ndarray | torch.Tensor, name: str = "x") -> torch.Tensor:
    """Return ``x`` as a float32 CPU tensor of shape (N, 4, L); batches move to the device later."""
    x = torch.as_tensor(to_numpy(x), dtype=torch.float32)
    _check_ndim(x, 3, name)
    if x.shape[0] == 0:
        raise ValueError(f"{name} has no examples")
    return x


def as_references(references: np.ndarray | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Return references as a float32 CPU tensor (N, K, 4, L) matching ``x`` (N, 4, L)."""
    if references is None:
        raise ValueError("this method needs references of shape (N, K, 4, L), got None")
    refs = torch.as_tensor(to_numpy(references), dtype=torch.float32)
    if refs.ndim != 4 or refs.shape[0] != x.shape[0] or refs.shape[2:] != x.shape[1:]:
        raise ValueError(
            f"references must have shape (N, K, 4, L) = ({x.shape[0]}, K, "
            f"{x.shape[1]}, {x.shape[2]}), got {tuple(refs.shape)}"
        )
    return refs


def as_args(args: tuple | None, n: int) -> tuple[torch.Tensor, ...]:
    """Return the further model inputs as float32 CPU tensors, each with N = ``n`` rows."""
    if args is None:
        return ()
    tensors = tuple(torch.as_tensor(to_numpy(a), dtype=torch.float32) for a in args)
    for i, tensor in enumerate(tensors):
        if tensor.ndim == 0 or tensor.shape[0] != n:
            raise ValueError(
                f"args[{i}] must have one row per example ({n}), got shape {tuple(tensor.shape)}"
            )
    return tensors


def select_rows(
    args: tuple[torch.Tensor, ...], rows: slice | torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """The same ``rows`` (examples, axis 0) of each further model input."""
    return tuple(a[rows] for a in args)


def model_device_dtype(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and dtype of the model's parameters (the CPU and float32 if it has none)."""
    param = next(model.parameters(), None)
    if param is None:
        return torch.device("cpu"), torch.float32
    return param.device, param.dtype


@contextlib.contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Hold ``model`` in eval mode (BatchNorm statistics, no dropout); restore its mode after."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def target_output(
    model: torch.nn.Module, inputs: torch.Tensor, target: int, args: tuple = ()
) -> torch.Tensor:
    """Output column ``target`` of ``model(inputs, *args)``, shape (B,); the model must
    return (B, n_targets)."""
    y = model(inputs, *args)
    if y.ndim != 2:
        raise ValueError(f"the model must return (batch, n_targets) outputs, got {tuple(y.shape)}")
    return y[:, target]


def _input_gradients(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    target: int,
    batch_size: int,
    args: tuple[torch.Tensor, ...] = (),
) -> torch.Tensor:
    """Gradient of ``model(inputs, *args)[:, target]`` with respect to ``inputs`` (R, 4, L),
    on CPU; ``args`` have R rows too.

    The model must already be in eval mode. ``batch_size`` rows go through the model at a time.
    Only the inputs are differentiated, so parameter ``.grad`` fields are left untouched.
    """
    device, dtype = model_device_dtype(model)
    grads = []
    for start in range(0, inputs.shape[0], batch_size):
        rows = slice(start, start + batch_size)
        batch = inputs[rows].to(device=device, dtype=dtype)
        batch.requires_grad_(True)
        batch_args = tuple(a.to(device=device, dtype=dtype) for a in select_rows(args, rows))
        with torch.enable_grad():
            y = target_output(model, batch, target, batch_args)
            (grad,) = torch.autograd.grad(y.sum(), batch)
        grads.append(grad.detach().to("cpu", torch.float32))
    return torch.cat(grads)


def weighted_gradient_sum(
    model: torch.nn.Module,
    x: torch.Tensor,
    build_points: Callable[[slice], torch.Tensor],
    weights: Callable[[slice], torch.Tensor],
    n_points: int,
    target: int,
    batch_size: int,
    args: tuple[torch.Tensor, ...] = (),
) -> np.ndarray:
    """``sum_m w[n, m] * grad f(points[n, m])`` for every example n, chunked over examples.

    Parameters
    ----------
    x : torch.Tensor, shape=(N, 4, L)
        Inputs; only their count and shape are used here.
    build_points : callable
        ``build_points(slice)`` gives the evaluation points of those examples, (n, M, 4, L).
    weights : callable
        ``weights(slice)`` gives their weights, broadcastable to (n, M).
    n_points : int
        M, the number of points per example.
    batch_size : int
        Model rows (points) per forward/backward pass. Examples are taken
        ``max(1, batch_size // M)`` at a time, so at most ``max(batch_size, M)`` points are held.
    args : tuple of torch.Tensor, each shape=(N, ...)
        Further model inputs; every point of example n gets row n.

    Returns
    -------
    numpy.ndarray, shape=(N, 4, L), float32
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    per_chunk = max(1, batch_size // n_points)
    out = []
    with evaluating(model):
        for start in range(0, x.shape[0], per_chunk):
            rows = slice(start, min(start + per_chunk, x.shape[0]))
            points = build_points(rows)
            n = points.shape[0]
            point_args = tuple(
                a.repeat_interleave(n_points, dim=0) for a in select_rows(args, rows)
            )
            grads = _input_gradients(
                model, points.reshape(n * n_points, *x.shape[1:]), target, batch_size, point_args
            )
            grads = grads.reshape(n, n_points, *x.shape[1:])
            w = torch.broadcast_to(weights(rows), (n, n_points))
            out.append(torch.einsum("nm,nm...->n...", w, grads))
    return torch.cat(out).numpy().astype(np.float32, copy=False)


def trapezoid_grid(steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Alphas ``0, 1/steps, ..., 1`` and trapezoidal weights ``[1/2, 1, ..., 1, 1/2] / steps``.

    This is the reference's rule: gradients at ``steps + 1`` points, neighbouring pairs averaged,
    then the mean over the ``steps`` intervals taken. The weights sum to 1.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    alphas = torch.linspace(0.0, 1.0, steps + 1)
    weights = torch.full((steps + 1,), 1.0 / steps)
    weights[0] = weights[-1] = 0.5 / steps
    return alphas, weights
