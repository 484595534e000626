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
uses tangermeme's DeepLIFT rules with precomputed (dinucleotide-shuffled) references,
returning hypothetical contributions; the multipliers come from :mod:`attrprior.deeplift`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np
import torch

from attrprior.correction import correct_gradients
from attrprior.deeplift import RepeatedModuleCall, pair_multipliers, unsupported
from attrprior.map_names import corrected_name

ArrayLike = TypeVar("ArrayLike", np.ndarray, torch.Tensor)

__all__ = [
    "ATTRIBUTION_METHODS",
    "attribute",
    "deepshap",
    "dinucleotide_references",
    "expected_gradients",
    "integrated_gradients",
    "saliency",
    "smoothgrad",
]


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _check_ndim(array: Any, ndim: int, name: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {tuple(array.shape)}")


def _to_numpy(array: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def _as_inputs(x: np.ndarray | torch.Tensor, name: str = "x") -> torch.Tensor:
    """Return ``x`` as a float32 CPU tensor of shape (N, 4, L); batches move to the device later."""
    x = torch.as_tensor(_to_numpy(x), dtype=torch.float32)
    _check_ndim(x, 3, name)
    if x.shape[0] == 0:
        raise ValueError(f"{name} has no examples")
    return x


def _as_references(references: np.ndarray | torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Return references as a float32 CPU tensor (N, K, 4, L) matching ``x`` (N, 4, L)."""
    if references is None:
        raise ValueError("this method needs references of shape (N, K, 4, L), got None")
    refs = torch.as_tensor(_to_numpy(references), dtype=torch.float32)
    if refs.ndim != 4 or refs.shape[0] != x.shape[0] or refs.shape[2:] != x.shape[1:]:
        raise ValueError(
            f"references must have shape (N, K, 4, L) = ({x.shape[0]}, K, "
            f"{x.shape[1]}, {x.shape[2]}), got {tuple(refs.shape)}"
        )
    return refs


def _as_args(args: tuple | None, n: int) -> tuple[torch.Tensor, ...]:
    """Return the further model inputs as float32 CPU tensors, each with N = ``n`` rows."""
    if args is None:
        return ()
    tensors = tuple(torch.as_tensor(_to_numpy(a), dtype=torch.float32) for a in args)
    for i, tensor in enumerate(tensors):
        if tensor.ndim == 0 or tensor.shape[0] != n:
            raise ValueError(
                f"args[{i}] must have one row per example ({n}), got shape {tuple(tensor.shape)}"
            )
    return tensors


def _rows(args: tuple[torch.Tensor, ...], rows: slice | torch.Tensor) -> tuple[torch.Tensor, ...]:
    return tuple(a[rows] for a in args)


def _model_device_dtype(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    param = next(model.parameters(), None)
    if param is None:
        return torch.device("cpu"), torch.float32
    return param.device, param.dtype


@contextlib.contextmanager
def _evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Hold ``model`` in eval mode (BatchNorm statistics, no dropout); restore its mode after."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _target_output(
    model: torch.nn.Module, inputs: torch.Tensor, target: int, args: tuple = ()
) -> torch.Tensor:
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
    device, dtype = _model_device_dtype(model)
    grads = []
    for start in range(0, inputs.shape[0], batch_size):
        rows = slice(start, start + batch_size)
        batch = inputs[rows].to(device=device, dtype=dtype)
        batch.requires_grad_(True)
        batch_args = tuple(a.to(device=device, dtype=dtype) for a in _rows(args, rows))
        with torch.enable_grad():
            y = _target_output(model, batch, target, batch_args)
            (grad,) = torch.autograd.grad(y.sum(), batch)
        grads.append(grad.detach().to("cpu", torch.float32))
    return torch.cat(grads)


def _weighted_gradient_sum(
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
    with _evaluating(model):
        for start in range(0, x.shape[0], per_chunk):
            rows = slice(start, min(start + per_chunk, x.shape[0]))
            points = build_points(rows)
            n = points.shape[0]
            point_args = tuple(a.repeat_interleave(n_points, dim=0) for a in _rows(args, rows))
            grads = _input_gradients(
                model, points.reshape(n * n_points, *x.shape[1:]), target, batch_size, point_args
            )
            grads = grads.reshape(n, n_points, *x.shape[1:])
            w = torch.broadcast_to(weights(rows), (n, n_points))
            out.append(torch.einsum("nm,nm...->n...", w, grads))
    return torch.cat(out).numpy().astype(np.float32, copy=False)


def _trapezoid_grid(steps: int) -> tuple[torch.Tensor, torch.Tensor]:
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


# ---------------------------------------------------------------------------------------------
# Gradient methods
# ---------------------------------------------------------------------------------------------


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
    x = _as_inputs(x)
    return _weighted_gradient_sum(
        model,
        x,
        lambda rows: x[rows, None],
        lambda rows: torch.ones(1),
        1,
        target,
        batch_size,
        _as_args(args, x.shape[0]),
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
    x = _as_inputs(x)
    if baseline is None:
        baselines = torch.zeros_like(x)[:, None]
    else:
        b = torch.as_tensor(_to_numpy(baseline), dtype=torch.float32)
        baselines = _as_references(b[:, None] if b.ndim == 3 else b, x)
    n_refs = baselines.shape[1]
    alphas, w = _trapezoid_grid(steps)
    a = alphas[None, None, :, None, None]

    def build_points(rows: slice) -> torch.Tensor:
        b = baselines[rows, :, None]  # (n, K, 1, 4, L)
        points = b + a * (x[rows, None, None] - b)  # (n, K, steps + 1, 4, L)
        return points.reshape(points.shape[0], -1, *x.shape[1:])

    weights = (w / n_refs).repeat(n_refs)  # K blocks of steps + 1, matching build_points
    return _weighted_gradient_sum(
        model,
        x,
        build_points,
        lambda rows: weights,
        n_refs * (steps + 1),
        target,
        batch_size,
        _as_args(args, x.shape[0]),
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
    x = _as_inputs(x)
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
    return _weighted_gradient_sum(
        model,
        x,
        build_points,
        lambda rows: weights,
        n_samples,
        target,
        batch_size,
        _as_args(args, x.shape[0]),
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
    x = _as_inputs(x)
    refs = _as_references(references, x)
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
    return _weighted_gradient_sum(
        model,
        x,
        build_points,
        lambda rows: weights,
        n_refs,
        target,
        batch_size,
        _as_args(args, x.shape[0]),
    )


# ---------------------------------------------------------------------------------------------
# References and DeepSHAP (tangermeme)
# ---------------------------------------------------------------------------------------------


def dinucleotide_references(
    x: np.ndarray | torch.Tensor, n_shuffles: int = 10, seed: int = 0
) -> np.ndarray:
    """Dinucleotide-shuffled references for every sequence.

    Uses ``tangermeme.ersatz.dinucleotide_shuffle`` (Eulerian shuffle; the first and last base
    are kept). Sequence ``i`` is shuffled with the seed ``seed + i``, so a sequence's references
    depend on its index in ``x``: keep the references with the data for reproducible DeepSHAP.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences without all-zero (N) columns.
    n_shuffles : int
        K, references per sequence.
    seed : int
        Base seed.

    Returns
    -------
    numpy.ndarray, shape=(N, K, 4, L), float32
        References with the dinucleotide counts of their sequence.
    """
    from tangermeme.ersatz import dinucleotide_shuffle

    x = _as_inputs(x)
    refs = dinucleotide_shuffle(x, n=n_shuffles, random_state=seed)
    return _to_numpy(refs).astype(np.float32)


def _default_nonlinear_ops() -> dict:
    """``{attrprior.models.Exp: tangermeme's rescale rule}``: exp has no built-in DeepLIFT rule."""
    from tangermeme.deep_lift_shap import _nonlinear

    from attrprior.models import Exp

    return {Exp: _nonlinear}


def deepshap(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    references: np.ndarray | torch.Tensor,
    target: int = 0,
    batch_size: int = 32,
    hypothetical: bool = True,
    additional_nonlinear_ops: dict | None = None,
    return_deltas: bool = False,
    args: tuple | None = None,
    engine: str = "auto",
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """DeepLIFT/SHAP attributions with tangermeme's rules, from precomputed references.

    Computes the DeepLIFT multipliers (rescale rule, max-pool rule) of every
    example-reference pair, converts them into hypothetical contributions
    (:func:`hypothetical_scores`) and averages them over the K references.
    Hypothetical contributions times the one-hot input, summed, give
    ``f(x) - mean_k f(r_k)`` up to the convergence deltas.

    The model must be DeepLIFT-safe: each nonlinearity its own module, called once, not in
    place; max-pooling with ``kernel_size == stride``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) to (batch, n_targets) logits. Run in eval mode on its own device.
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L)
        One-hot sequences: examples, bases A/C/G/T, positions. All-zero (N) columns are not
        allowed (DeepLIFT's hypothetical projection assumes one base per position).
    references : numpy.ndarray or torch.Tensor, shape=(N, K, 4, L)
        One-hot references per example, e.g. :func:`dinucleotide_references`.
    target : int
        Output column explained (the logit).
    batch_size : int
        Example-reference pairs per forward/backward pass (tangermeme's meaning). Examples are
        passed to tangermeme ``max(1, batch_size // K)`` at a time to bound memory.
    hypothetical : bool
        Return hypothetical contributions (default; what TF-MoDISco and the correction use);
        if False, return them multiplied by ``x``.
    additional_nonlinear_ops : dict or None
        ``{module class: rule}`` passed to tangermeme. None registers
        ``attrprior.models.Exp`` with tangermeme's ``_nonlinear`` rescale rule. Pass your own
        dict (``{}`` for none) to replace that default.
    return_deltas : bool
        Also return the convergence deltas
        ``|f(x) - f(r_k) - sum (x - r_k) * m_k|`` per example-reference pair (tangermeme only
        warns about them, it does not return them, so they are recomputed here from its
        multipliers and two plain forward passes).
    args : tuple of array-like, each shape=(N, ...), optional
        Further per-example model inputs, ``model(x, *args)``, the same for an example and
        its references (tangermeme's ``args``), so they are not attributed.
    engine : {"auto", "shared", "tangermeme"}
        How the multipliers are computed. ``"shared"``:
        :func:`attrprior.deeplift.pair_multipliers`, one forward pass per example shared by
        its references (about half the work); ``"tangermeme"``:
        ``tangermeme.deep_lift_shap``, each pair as two rows of a batch. The two agree to
        float rounding (``tests/test_deeplift.py``). ``"auto"`` takes ``"shared"`` when
        :func:`attrprior.deeplift.unsupported` allows the model (every model of
        :mod:`attrprior.models`, their summed outputs and the profile model's explained
        output) and tangermeme otherwise.

    Returns
    -------
    attributions : numpy.ndarray, shape=(N, 4, L), float32
    deltas : numpy.ndarray, shape=(N, K), float32
        Only if ``return_deltas``.
    """
    from tangermeme.deep_lift_shap import deep_lift_shap

    x = _as_inputs(x)
    refs = _as_references(references, x)
    args = _as_args(args, x.shape[0])
    empty = (x.sum(dim=1) == 0).any(dim=1)
    if empty.any():
        idx = torch.nonzero(empty).flatten()[:10].tolist()
        raise ValueError(
            f"deepshap: {int(empty.sum())} sequence(s) contain all-zero (N) columns, e.g. "
            f"indices {idx}; DeepLIFT hypothetical scores need one base per position. Drop "
            "these windows or fill the N positions before attributing."
        )
    if additional_nonlinear_ops is None:
        additional_nonlinear_ops = _default_nonlinear_ops()

    device, dtype = _model_device_dtype(model)
    n_refs = refs.shape[1]
    per_chunk = max(1, batch_size // n_refs)
    attributions, deltas = [], []
    with _evaluating(model):
        shared = _shared_engine(model, engine, additional_nonlinear_ops)
        for start in range(0, x.shape[0], per_chunk):
            rows = slice(start, start + per_chunk)
            xs, rs, chunk_args = x[rows], refs[rows], _rows(args, rows)
            # The multipliers of every pair (n, K, 4, L), from which both the hypothetical
            # scores and the deltas follow.
            mult = None
            if shared is not None:
                try:
                    mult = pair_multipliers(
                        model,
                        xs.to(device=device, dtype=dtype),
                        rs.to(device=device, dtype=dtype),
                        target,
                        tuple(a.to(device=device, dtype=dtype) for a in chunk_args),
                        shared,
                    ).to("cpu", torch.float32)
                except RepeatedModuleCall:
                    if engine == "shared":
                        raise
                    shared = None  # tangermeme handles modules called more than once
            if mult is None:
                mult = deep_lift_shap(
                    model,
                    xs,
                    args=chunk_args or None,
                    target=target,
                    batch_size=batch_size,
                    references=rs,
                    raw_outputs=True,
                    additional_nonlinear_ops=additional_nonlinear_ops,
                    device=device,
                    dtype=dtype,
                ).to(torch.float32)
            attributions.append(hypothetical_scores(mult, rs).mean(dim=1))
            if return_deltas:
                n = xs.shape[0]
                xk = xs[:, None].expand_as(rs).reshape(n * n_refs, *x.shape[1:])
                rk = rs.reshape(n * n_refs, *x.shape[1:])
                mk = mult.reshape(n * n_refs, *x.shape[1:])
                argk = tuple(a.repeat_interleave(n_refs, dim=0) for a in chunk_args)
                deltas.append(
                    _convergence_deltas(model, xk, rk, mk, target, batch_size, argk).reshape(
                        n, n_refs
                    )
                )

    attr = torch.cat(attributions)
    if not hypothetical:
        attr = attr * x
    attr = attr.numpy().astype(np.float32, copy=False)
    if return_deltas:
        return attr, torch.cat(deltas).numpy().astype(np.float32, copy=False)
    return attr


DEEPSHAP_ENGINES = ("auto", "shared", "tangermeme")


def hypothetical_scores(multipliers: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
    """Hypothetical contributions of each base at each position, per pair.

    For base ``b`` at position ``l`` placed on the reference,
    ``h[b, l] = sum_c (e_b - r[:, l])_c m[c, l] = m[b, l] - sum_c r[c, l] m[c, l]``: what
    tangermeme's ``hypothetical_attributions`` computes with a loop over the bases.

    Parameters
    ----------
    multipliers, references : torch.Tensor, shape=(..., 4, L)

    Returns
    -------
    torch.Tensor, shape=(..., 4, L)
    """
    return multipliers - (references * multipliers).sum(dim=-2, keepdim=True)


def _shared_engine(model: torch.nn.Module, engine: str, additional_nonlinear_ops: dict):
    """tangermeme's rule table when ``engine`` resolves to ``"shared"``, else None."""
    from tangermeme._deep_lift_utils import _build_nonlinear_ops

    if engine not in DEEPSHAP_ENGINES:
        raise ValueError(f"deepshap: engine must be one of {DEEPSHAP_ENGINES}, got {engine!r}")
    if engine == "tangermeme":
        return None
    ops = _build_nonlinear_ops(additional_nonlinear_ops)
    reason = unsupported(model, ops)
    if reason is None:
        return ops
    if engine == "shared":
        raise ValueError(f"deepshap: engine 'shared' cannot explain this model: {reason}")
    return None


def _convergence_deltas(
    model: torch.nn.Module,
    x: torch.Tensor,
    refs: torch.Tensor,
    multipliers: torch.Tensor,
    target: int,
    batch_size: int,
    args: tuple[torch.Tensor, ...] = (),
) -> torch.Tensor:
    """``|f(x) - f(r) - sum (x - r) * m|`` per row of (R, 4, L) inputs; summation-to-delta."""
    device, dtype = _model_device_dtype(model)
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            rows = slice(start, start + batch_size)
            row_args = tuple(a.to(device=device, dtype=dtype) for a in _rows(args, rows))
            fx = _target_output(model, x[rows].to(device=device, dtype=dtype), target, row_args)
            fr = _target_output(model, refs[rows].to(device=device, dtype=dtype), target, row_args)
            diff = (fx - fr).to("cpu", torch.float32)
            contrib = ((x[rows] - refs[rows]) * multipliers[rows]).sum(dim=(1, 2))
            out.append((diff - contrib).abs())
    return torch.cat(out)


# ---------------------------------------------------------------------------------------------
# Registry for the workflow
# ---------------------------------------------------------------------------------------------

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
