"""DeepSHAP: DeepLIFT attributions (tangermeme's rescale and max-pool rules) averaged over
precomputed references (dinucleotide shuffles of each example), as hypothetical
contributions; the multipliers come from :mod:`attrprior.deeplift` (one forward pass per
example shared by its references) or from tangermeme itself.

Every attribution array is ``(N, 4, L)``: examples, bases A/C/G/T, positions; references
are ``(N, K, 4, L)``.
"""

from __future__ import annotations

import numpy as np
import torch

from attrprior.deeplift import RepeatedModuleCall, pair_multipliers, unsupported
from attrprior.gradients import (
    as_args,
    as_inputs,
    as_references,
    evaluating,
    model_device_dtype,
    select_rows,
    target_output,
    to_numpy,
)


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

    x = as_inputs(x)
    refs = dinucleotide_shuffle(x, n=n_shuffles, random_state=seed)
    return to_numpy(refs).astype(np.float32)


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
    batch_size: int = 256,
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
        passed ``max(1, batch_size // K)`` at a time to bound memory. The default, 256, keeps
        the per-batch overhead of the small CNNs low (``benchmarks/deepshap_roofline.py``);
        the Tseng profile model (1346 bp) peaks at about 2.1 GB with it on a CPU.
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

    x = as_inputs(x)
    refs = as_references(references, x)
    args = as_args(args, x.shape[0])
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

    device, dtype = model_device_dtype(model)
    n_refs = refs.shape[1]
    per_chunk = max(1, batch_size // n_refs)
    attributions, deltas = [], []
    with evaluating(model):
        shared = _shared_engine(model, engine, additional_nonlinear_ops)
        for start in range(0, x.shape[0], per_chunk):
            rows = slice(start, start + per_chunk)
            xs, rs, chunk_args = x[rows], refs[rows], select_rows(args, rows)
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
    device, dtype = model_device_dtype(model)
    out = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            rows = slice(start, start + batch_size)
            row_args = tuple(a.to(device=device, dtype=dtype) for a in select_rows(args, rows))
            fx = target_output(model, x[rows].to(device=device, dtype=dtype), target, row_args)
            fr = target_output(model, refs[rows].to(device=device, dtype=dtype), target, row_args)
            diff = (fx - fr).to("cpu", torch.float32)
            contrib = ((x[rows] - refs[rows]) * multipliers[rows]).sum(dim=(1, 2))
            out.append((diff - contrib).abs())
    return torch.cat(out)
