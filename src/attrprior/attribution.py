"""Gradient-based and DeepSHAP attributions.

Every attribution array here is ``(N, 4, L)``: examples, bases A/C/G/T, positions. Models take
one-hot ``(N, 4, L)`` inputs and return ``(N, n_targets)`` logits; the explained scalar is the
logit ``model(x)[:, target]`` (not its sigmoid). A model with further inputs (a profile model's
control tracks) gets them through ``args``: a tuple of per-example arrays, each (N, ...), passed
as ``model(x, *args)``; every point evaluated for an example (noisy copies, interpolations,
references) gets that example's ``args``, which are held fixed and not attributed.

The gradient methods follow ``gradient_correction/explain.py`` of ``p-koo/GradientCorrection``
(Majdandzic, Rajesh & Koo 2023):

- saliency: the input gradient of the target logit;
- smoothgrad: the mean gradient over noisy copies ``x + N(0, sigma^2)`` of the one-hot input;
- integrated gradients: the *path-averaged* gradient along the straight line from a baseline to
  ``x``, not multiplied by ``x - baseline``, with the reference's trapezoidal Riemann rule over
  ``steps + 1`` equally spaced points ``alpha = 0, 1/steps, ..., 1``;
- expected gradients: the same integrated gradients averaged over K references per example, on
  the same fixed alpha grid (the reference's ``expected_integrated_grad``).

The methods return raw maps; the ``x`` multiplication ("gradient x input") and the correction are
separate steps (:func:`attrprior.correction.correct_gradients`, :func:`attribute`). DeepSHAP
is in :mod:`attrprior.deepshap`; :func:`attribute` runs any of them by name.

What the priors train on are differentiable input attributions of the summed logits
(:func:`input_attributions`, :func:`profile_input_attributions`: double backprop).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from attrprior.correction import correct_gradients
from attrprior.deepshap import deepshap
from attrprior.explained import profile_attribution_target
from attrprior.gradients import (
    as_args,
    as_inputs,
    as_references,
    to_numpy,
    trapezoid_grid,
    weighted_gradient_sum,
)
from attrprior.map_names import corrected_name
from attrprior.models import fixed_batch_statistics

ArrayLike = TypeVar("ArrayLike", np.ndarray, torch.Tensor)


def saliency(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    target: int = 0,
    batch_size: int = 128,
    args: tuple | None = None,
) -> np.ndarray:
    """Input gradient of the target logit (saliency map, signed, uncorrected).

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) to (batch, n_targets) logits. Run in eval mode on its own device.
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences: examples, bases A/C/G/T, positions.
    target : int
        Output column explained: ``model(x)[:, target]``.
    batch_size : int
        Examples per forward/backward pass.
    args : tuple of array-like, each shape=(N, ...), optional
        Further per-example model inputs, ``model(x, *args)`` (not attributed).

    Returns
    -------
    numpy.ndarray, shape=(N, 4, L), float32
        ``d model(x)[n, target] / d x[n, a, l]``.
    """
    x = as_inputs(x)
    return weighted_gradient_sum(
        model,
        x,
        lambda rows: x[rows, None],
        lambda rows: torch.ones(1),
        1,
        target,
        batch_size,
        as_args(args, x.shape[0]),
    )


def integrated_gradients(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    baseline: np.ndarray | torch.Tensor | None = None,
    steps: int = 25,
    target: int = 0,
    batch_size: int = 512,
    args: tuple | None = None,
) -> np.ndarray:
    """Path-averaged gradient along the straight line from a baseline to ``x``.

    ``IG[n] = sum_s w_s grad f(b + alpha_s (x[n] - b))`` with ``alpha_s = s / steps``,
    ``s = 0 ... steps`` and trapezoidal weights ``w = [1/2, 1, ..., 1, 1/2] / steps`` (the rule of
    ``integrated_grad`` in ``p-koo/GradientCorrection``). As there, the result is **not**
    multiplied by ``x - b``; ``sum (x - b) * IG`` approximates ``f(x) - f(b)`` (completeness).

    Captum's ``IntegratedGradients(multiply_by_inputs=False)`` with
    ``method="riemann_trapezoid", n_steps=steps + 1`` uses the same points but weights that sum to
    ``steps / (steps + 1)``; its result times ``(steps + 1) / steps`` equals this one.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) to (batch, n_targets) logits. Run in eval mode on its own device.
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences: examples, bases A/C/G/T, positions.
    baseline : None, array (N, 4, L) or array (N, K, 4, L)
        None means all zeros (the reference's ``baseline_type='zeros'``). With K baselines per
        example the path-averaged gradients are averaged over them (expected gradients on a
        fixed grid, see :func:`expected_gradients`).
    steps : int
        Number of intervals; the model is evaluated at ``steps + 1`` points per baseline.
    target : int
        Output column explained.
    batch_size : int
        Interpolated points per forward/backward pass.
    args : tuple of array-like, each shape=(N, ...), optional
        Further per-example model inputs, ``model(x, *args)`` (not attributed).

    Returns
    -------
    numpy.ndarray, shape=(N, 4, L), float32
    """
    x = as_inputs(x)
    if baseline is None:
        baselines = torch.zeros_like(x)[:, None]
    else:
        b = torch.as_tensor(to_numpy(baseline), dtype=torch.float32)
        baselines = as_references(b[:, None] if b.ndim == 3 else b, x)
    n_refs = baselines.shape[1]
    alphas, w = trapezoid_grid(steps)
    a = alphas[None, None, :, None, None]

    def build_points(rows: slice) -> torch.Tensor:
        b = baselines[rows, :, None]  # (n, K, 1, 4, L)
        points = b + a * (x[rows, None, None] - b)  # (n, K, steps + 1, 4, L)
        return points.reshape(points.shape[0], -1, *x.shape[1:])

    weights = (w / n_refs).repeat(n_refs)  # K blocks of steps + 1, matching build_points
    return weighted_gradient_sum(
        model,
        x,
        build_points,
        lambda rows: weights,
        n_refs * (steps + 1),
        target,
        batch_size,
        as_args(args, x.shape[0]),
    )


def smoothgrad(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    n_samples: int = 50,
    sigma: float = 0.1,
    target: int = 0,
    seed: int = 0,
    batch_size: int = 512,
    args: tuple | None = None,
) -> np.ndarray:
    """Mean input gradient over Gaussian-noised copies of the one-hot input.

    ``SG[n] = (1 / S) sum_s grad f(x[n] + eps_s)``, ``eps_s ~ N(0, sigma^2)`` independently for
    every base and position (the reference adds noise to the one-hot encoding itself, with the
    defaults ``S = 50, sigma = 0.1``).

    The noise is drawn on the CPU from ``numpy.random.default_rng(seed)``, example after example,
    so it does not depend on ``batch_size`` or on the model's device.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) to (batch, n_targets) logits. Run in eval mode on its own device.
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences: examples, bases A/C/G/T, positions.
    n_samples : int
        Noisy copies per example.
    sigma : float
        Standard deviation of the noise (absolute, on the 0/1 scale of the one-hot input).
    target : int
        Output column explained.
    seed : int
        Seed of the noise.
    batch_size : int
        Noisy copies per forward/backward pass.
    args : tuple of array-like, each shape=(N, ...), optional
        Further per-example model inputs, ``model(x, *args)`` (not attributed).

    Returns
    -------
    numpy.ndarray, shape=(N, 4, L), float32
    """
    x = as_inputs(x)
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    rng = np.random.default_rng(seed)

    # Chunks are visited in order, so consecutive draws give every example the same noise
    # whatever the chunk size.
    def build_points(rows: slice) -> torch.Tensor:
        xs = x[rows, None]
        noise = rng.standard_normal((xs.shape[0], n_samples, *x.shape[1:]), dtype=np.float32)
        return xs + sigma * torch.from_numpy(noise)

    weights = torch.full((n_samples,), 1.0 / n_samples)
    return weighted_gradient_sum(
        model,
        x,
        build_points,
        lambda rows: weights,
        n_samples,
        target,
        batch_size,
        as_args(args, x.shape[0]),
    )


def expected_gradients(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    references: np.ndarray | torch.Tensor,
    steps: int = 20,
    target: int = 0,
    seed: int = 0,
    batch_size: int = 512,
    random_alphas: bool = False,
    args: tuple | None = None,
) -> np.ndarray:
    """Path-averaged gradient averaged over K references per example (expected gradients).

    By default this is the reference's ``expected_integrated_grad``: integrated gradients
    (:func:`integrated_gradients`, same trapezoidal grid of ``steps + 1`` points, not multiplied
    by ``x - r``) from each of the K references, averaged over the references. The Koo lab ran it
    with 20 references and 20 steps. It is deterministic; ``seed`` is then unused.

    With ``random_alphas=True`` it is instead the Monte-Carlo estimator of Erion et al. (2019): one
    ``alpha ~ U(0, 1)`` per reference (seeded), ``(1 / K) sum_k grad f(r_k + alpha_k (x - r_k))``,
    again not multiplied by ``x - r``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) to (batch, n_targets) logits. Run in eval mode on its own device.
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences: examples, bases A/C/G/T, positions.
    references : numpy.ndarray or torch.Tensor, shape=(N, K, 4, L)
        References per example, e.g. from :func:`dinucleotide_references`.
    steps : int
        Intervals of the fixed alpha grid (ignored with ``random_alphas``).
    target : int
        Output column explained.
    seed : int
        Seed of the alphas when ``random_alphas`` is True.
    batch_size : int
        Interpolated points per forward/backward pass.
    random_alphas : bool
        Sample one alpha per reference instead of using the fixed grid.
    args : tuple of array-like, each shape=(N, ...), optional
        Further per-example model inputs, ``model(x, *args)`` (not attributed).

    Returns
    -------
    numpy.ndarray, shape=(N, 4, L), float32
    """
    x = as_inputs(x)
    refs = as_references(references, x)
    if not random_alphas:
        return integrated_gradients(
            model, x, refs, steps=steps, target=target, batch_size=batch_size, args=args
        )

    n_refs = refs.shape[1]
    alphas = torch.from_numpy(
        np.random.default_rng(seed).random((x.shape[0], n_refs), dtype=np.float32)
    )

    def build_points(rows: slice) -> torch.Tensor:
        a = alphas[rows, :, None, None]
        return refs[rows] + a * (x[rows, None] - refs[rows])

    weights = torch.full((n_refs,), 1.0 / n_refs)
    return weighted_gradient_sum(
        model,
        x,
        build_points,
        lambda rows: weights,
        n_refs,
        target,
        batch_size,
        as_args(args, x.shape[0]),
    )


AttributionFn = Callable[
    [
        torch.nn.Module,
        np.ndarray | torch.Tensor,
        np.ndarray | None,
        Mapping[str, Any],
        int,
        tuple | None,
    ],
    np.ndarray,
]


def _params(params: Mapping[str, Any] | None, allowed: set[str], method: str) -> dict[str, Any]:
    """Copy ``params``, rejecting keys the method does not take (typos in the config)."""
    params = dict(params or {})
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(
            f"{method}: unknown parameter(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return params


def _run_saliency(model, x, references, params, seed, args):
    return saliency(model, x, args=args, **_params(params, {"target", "batch_size"}, "saliency"))


def _run_integrated_gradients(model, x, references, params, seed, args):
    p = _params(params, {"target", "batch_size", "steps", "baseline"}, "integrated_gradients")
    kind = p.pop("baseline", "zeros")
    if kind == "zeros":
        baseline = None
    elif kind == "references":
        baseline = references
    else:
        raise ValueError(
            f"integrated_gradients: baseline must be 'zeros' or 'references', got {kind!r}"
        )
    return integrated_gradients(model, x, baseline, args=args, **p)


def _run_smoothgrad(model, x, references, params, seed, args):
    p = _params(params, {"target", "batch_size", "n_samples", "sigma"}, "smoothgrad")
    return smoothgrad(model, x, seed=seed, args=args, **p)


def _run_expected_gradients(model, x, references, params, seed, args):
    p = _params(params, {"target", "batch_size", "steps", "random_alphas"}, "expected_gradients")
    return expected_gradients(model, x, references, seed=seed, args=args, **p)


def _run_deepshap(model, x, references, params, seed, args):
    # Always hypothetical: the registry returns raw maps, the x product is taken downstream.
    p = _params(params, {"target", "batch_size", "additional_nonlinear_ops", "engine"}, "deepshap")
    return deepshap(model, x, references, hypothetical=True, args=args, **p)


ATTRIBUTION_METHODS: dict[str, AttributionFn] = {
    "saliency": _run_saliency,
    "integrated_gradients": _run_integrated_gradients,
    "smoothgrad": _run_smoothgrad,
    "expected_gradients": _run_expected_gradients,
    "deepshap": _run_deepshap,
}


"""Method name -> ``fn(model, x, references, params, seed, args)`` returning the raw (N, 4, L)
map.

``references`` is (N, K, 4, L) or None (only ``expected_gradients``, ``deepshap`` and
``integrated_gradients`` with ``baseline: references`` need it); ``params`` are the method's
keyword arguments from the config (``target``, ``batch_size``, ``steps``, ``n_samples``,
``sigma``, ...; unknown keys raise); ``seed`` feeds the methods that draw random numbers;
``args`` (None or a tuple of (N, ...) arrays) are further model inputs.
Raw maps are gradient-like (hypothetical for DeepSHAP); gradient x input is ``saliency * x``.
"""


def attribute(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    references: np.ndarray | torch.Tensor | None,
    methods: Mapping[str, Mapping[str, Any] | None],
    seed: int = 0,
    args: tuple | None = None,
) -> dict[str, np.ndarray]:
    """Run every configured attribution method and its gradient correction.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) to (batch, n_targets) logits.
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences.
    references : numpy.ndarray or torch.Tensor, shape=(N, K, 4, L), or None
        References for the methods that need them.
    methods : mapping
        ``{method name: params}`` with names from :data:`ATTRIBUTION_METHODS`.
    seed : int
        Passed to every method (used by those that draw random numbers).
    args : tuple of array-like, each shape=(N, ...), optional
        Further per-example model inputs, ``model(x, *args)`` (not attributed).

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{name: raw map, name + "_corrected": correct_gradients(raw map)}``, each (N, 4, L)
        float32. DeepSHAP's hypothetical scores are corrected too: the correction is a
        projection of each position's 4-vector onto the simplex plane, defined for any map,
        and it keeps the differences between bases (what hypothetical scores compare).
    """
    unknown = [name for name in methods if name not in ATTRIBUTION_METHODS]
    if unknown:
        hint = (
            " ('grad_x_input' is saliency * x: configure 'saliency')"
            if ("grad_x_input" in unknown)
            else ""
        )
        raise ValueError(
            f"unknown attribution method(s) {unknown}; known: {sorted(ATTRIBUTION_METHODS)}{hint}"
        )
    results: dict[str, np.ndarray] = {}
    for name, params in methods.items():
        raw = ATTRIBUTION_METHODS[name](model, x, references, params or {}, seed, args)
        results[name] = raw
        results[corrected_name(name)] = correct_gradients(raw)
    return results


def input_attributions(
    model: nn.Module,
    x: torch.Tensor,
    kind: str = "grad_x_input",
    correct_gradients: bool = False,
    create_graph: bool = True,
    per_example: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input-gradient attributions of the summed logits, differentiable (double backprop).

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, 4, L)`` to logits ``(N, T)``.
    x : torch.Tensor
        One-hot input ``(N, 4, L)``.
    kind : {"grad_x_input", "gradient"}
        Gradient × input, or the gradient itself.
    correct_gradients : bool
        Subtract each position's mean over the 4 bases from the gradient first.
    create_graph : bool
        Keep the graph of the gradient (needed to train through the prior; not to evaluate it).
    per_example : bool
        In training mode, take each example's gradient with BatchNorm's batch statistics
        held fixed (``prior_gradient: per_example``, see :class:`Condition`): ``logits``
        come from an ordinary forward pass, the gradients from a second one that draws the
        same dropout masks. Without BatchNorm, or in evaluation mode, the gradients are
        those of the one pass.

    Returns
    -------
    attr : torch.Tensor
        ``(N, 4, L)`` attributions that keep the graph, so a loss on them trains the model.
    logits : torch.Tensor
        ``(N, T)``, from the (first) forward pass, with the batch statistics in the graph.
    """
    if not (per_example and model.training):
        x = x.detach().requires_grad_(True)
        logits = model(x)
        attr = gradient_attributions(x, logits.sum(), kind, correct_gradients, create_graph)
        return attr, logits
    # The first pass runs inside fork_rng, which puts the random state back afterwards: the
    # second pass then draws the same dropout masks and leaves the state where one pass would.
    cuda_devices = [x.device.index or 0] if x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        logits = model(x)
    x = x.detach().requires_grad_(True)
    with fixed_batch_statistics(model):
        fixed_logits = model(x)
    attr = gradient_attributions(x, fixed_logits.sum(), kind, correct_gradients, create_graph)
    return attr, logits


def gradient_attributions(
    x: torch.Tensor, output: torch.Tensor, kind: str, corrected: bool, create_graph: bool
) -> torch.Tensor:
    """Gradient of the scalar ``output`` w.r.t. the leaf ``x`` ``(..., 4, L)``, optionally
    mean-corrected over bases, times ``x`` for ``kind="grad_x_input"``."""
    (grad,) = torch.autograd.grad(output, x, create_graph=create_graph)
    if corrected:
        grad = correct_gradients(grad)
    return grad * x if kind == "grad_x_input" else grad


def profile_input_attributions(
    model: nn.Module,
    x: torch.Tensor,
    control: torch.Tensor | None = None,
    kind: str = "grad_x_input",
    correct_gradients: bool = False,
    create_graph: bool = True,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Input-gradient attributions of :func:`profile_attribution_target` (double backprop).

    Parameters
    ----------
    model : nn.Module
        Maps ``(x, control)`` to profile logits ``(N, T, S, L_out)`` and log counts
        ``(N, T, S)`` (:class:`attrprior.models.TsengProfileCNN`).
    x : torch.Tensor
        One-hot input ``(N, 4, L_in)``.
    control : torch.Tensor or None
        Control profiles ``(N, T or 1, S_c, L_out)``; not differentiated.
    kind, correct_gradients, create_graph
        As for :func:`input_attributions`. Examples do not interact (no BatchNorm in the
        profile model), so the gradient of the batch sum is each example's own gradient.

    Returns
    -------
    attr : torch.Tensor
        ``(N, 4, L_in)`` attributions, keeping the graph when ``create_graph``.
    outputs : tuple of torch.Tensor
        ``(profile_logits, log_counts)`` from the same forward pass.
    """
    x = x.detach().requires_grad_(True)
    logits, log_counts = model(x, control)
    target = profile_attribution_target(logits).sum()
    attr = gradient_attributions(x, target, kind, correct_gradients, create_graph)
    return attr, (logits, log_counts)
