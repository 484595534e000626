"""Correctness losses on logits: binary (multi-task) classifiers and profile models.

Both losses take logits ``(N, T)`` (examples, tasks) and labels of the same shape with values
1 (positive), 0 (negative) or -1 (ambiguous); with leading axes, ``(..., N, T)`` (e.g. the S
seeds of a pack, :mod:`attrprior.packing`), they return one loss per leading index. Entries
labelled -1 are ignored, as in the reference ``BinaryPredictor.correctness_loss`` of
``amtseng/fourier_attribution_priors`` (which ignores every label other than 0 and 1; here any
other value is an error).

- :func:`binary_cross_entropy`: the mean BCE over the labelled entries.
- :func:`class_balanced_bce`: the mean BCE over positive entries and the mean BCE over negative
  entries, averaged (Tseng et al. 2020, ``avg_class_loss=True``).

The reference applies ``torch.nn.BCELoss`` to ``sigmoid(logits)``; here the BCE is computed on
the logits (``binary_cross_entropy_with_logits``), which is the same function but stays exact
where float32 sigmoids round to 0 or 1 (|logit| above about 17, where ``BCELoss`` clamps each
log term at -100).

Neither loss branches on the data in Python, so neither forces a device synchronisation: the
labels are checked (:func:`check_labels`) on the host, where they are CPU tensors here, and
by :class:`attrprior.objectives.BinaryObjective` before it moves a batch to an accelerator.

Profile models (Tseng et al.'s BPNet-like model) predict, per example, task and strand, a
profile as logits over positions and a total count as a log count:

- :func:`multinomial_nll`: the multinomial negative log-likelihood of the observed counts,
  one value per track, with the ``lgamma`` (multinomial coefficient) terms;
- :func:`profile_loss`: the mean of that NLL plus ``count_weight`` x the MSE between
  ``log(1 + observed total)`` and the predicted log counts (``ProfilePredictor
  .correctness_loss`` of the reference, ``count_loss_weight`` 20).

These take different arguments from the binary losses, so they are not in :data:`LOSSES`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

__all__ = [
    "LOSSES",
    "binary_cross_entropy",
    "check_labels",
    "class_balanced_bce",
    "multinomial_nll",
    "profile_loss",
]


def check_labels(labels: np.ndarray) -> None:
    """Raise a ValueError unless every label is 1, 0 or -1 (ambiguous).

    A NumPy check, so that checking the labels of a batch on its way to a GPU does not wait
    for the device.
    """
    labels = np.asarray(labels)
    bad = ~((labels == 1) | (labels == 0) | (labels == -1))
    if bad.any():
        values = np.unique(labels[bad])[:5].tolist()
        raise ValueError(f"labels must be 1, 0 or -1 (ambiguous), got values such as {values}")


def _entry_losses(
    logits: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-entry BCE and the positive/negative masks, flattened over examples and tasks.

    Parameters
    ----------
    logits : torch.Tensor, shape=(..., N, T)
    labels : torch.Tensor, shape=(..., N, T)
        1, 0 or -1 (ignored); any dtype that holds these values. Checked here when on the
        CPU; labels on another device must have been checked (:func:`check_labels`) before
        they were moved there.

    Returns
    -------
    losses : torch.Tensor, shape=(..., N * T)
        BCE of every entry; entries labelled -1 hold 0 (their target is set to 0 before the BCE
        so the value is finite, then masked out with ``where`` so no gradient reaches them).
    positive, negative : torch.Tensor, shape=(..., N * T), bool
    """
    if logits.shape != labels.shape or logits.ndim < 2:
        raise ValueError(
            "logits and labels must have the same shape (..., N, T), got "
            f"{tuple(logits.shape)} and {tuple(labels.shape)}"
        )
    if labels.device.type == "cpu":
        check_labels(labels.detach().double().numpy())  # exact for every label dtype
    logits = logits.flatten(-2)
    labels = labels.flatten(-2)
    positive = labels == 1
    negative = labels == 0
    target = positive.to(logits.dtype)
    losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    losses = torch.where(positive | negative, losses, torch.zeros_like(losses))
    return losses, positive, negative


def _masked_mean(losses: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``losses`` over ``mask`` along the last axis; 0 (still in the graph) where the
    mask is empty."""
    total = torch.where(mask, losses, torch.zeros_like(losses)).sum(-1)
    return total / mask.sum(-1).clamp(min=1)


def binary_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy on logits over all labelled entries.

    ``mean over entries with label in {0, 1} of
    -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))]``. With labels all 0/1 this is
    ``torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)``.

    Parameters
    ----------
    logits : torch.Tensor, shape=(..., N, T)
        Model outputs before the sigmoid: (leading axes,) examples, tasks.
    labels : torch.Tensor, shape=(..., N, T)
        1 (positive), 0 (negative) or -1 (ambiguous, ignored).

    Returns
    -------
    loss : torch.Tensor, shape=(...)
        0, still attached to ``logits``' graph, when no entry is labelled.
    """
    losses, positive, negative = _entry_losses(logits, labels)
    return _masked_mean(losses, positive | negative)


def class_balanced_bce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Class-balanced binary cross-entropy: the mean of the positive and negative mean BCEs.

    Labels are flattened over examples and tasks (so a class is a set of *entries*, not of
    examples); entries labelled -1 are ignored. With ``P`` and ``Q`` the positive and negative
    entries,

    ``loss = (mean_{P} BCE + mean_{Q} BCE) / 2``.

    If one class has no entry in the batch the other's mean is returned alone; if neither has,
    the loss is 0 (attached to the graph). This is Tseng et al.'s ``avg_class_loss``; the
    reference returns NaN for a batch with no labelled entry.

    It equals :func:`binary_cross_entropy` exactly when ``|P| == |Q|``. With several tasks a
    batch of half positive and half negative *examples* is usually not balanced in entries.

    Parameters
    ----------
    logits : torch.Tensor, shape=(..., N, T)
        Model outputs before the sigmoid: (leading axes,) examples, tasks.
    labels : torch.Tensor, shape=(..., N, T)
        1 (positive), 0 (negative) or -1 (ambiguous, ignored).

    Returns
    -------
    loss : torch.Tensor, shape=(...)
    """
    losses, positive, negative = _entry_losses(logits, labels)
    # Count the classes present without leaving the device: an absent class contributes a
    # mean of 0 and is not counted, so the other class is used alone.
    n_classes = positive.any(-1).to(losses.dtype) + negative.any(-1).to(losses.dtype)
    total = _masked_mean(losses, positive) + _masked_mean(losses, negative)
    return total / n_classes.clamp(min=1)


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "bce": binary_cross_entropy,
    "balanced_bce": class_balanced_bce,
}
"""Correctness losses by name; each maps logits and labels ``(..., N, T)`` to ``(...)``."""


def multinomial_nll(logits: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Multinomial negative log-likelihood of observed counts, one value per track.

    With ``p = softmax(logits)`` over the last axis (positions) and ``n = sum_l x_l``,

    ``NLL = -log n! + sum_l log x_l! - sum_l x_l log p_l``

    (``log k! = lgamma(k + 1)``), i.e. ``-scipy.stats.multinomial.logpmf(x, n, p)``. Counts
    need not be integers (``lgamma`` interpolates), as with smoothed or scaled tracks. A
    track of all-zero counts has NLL 0.

    Parameters
    ----------
    logits : torch.Tensor, shape=(..., L)
        Unnormalised log-probabilities over the L positions, e.g. ``(N, T, S, L)`` (examples,
        tasks, strands, positions).
    counts : torch.Tensor, shape=(..., L)
        Observed counts, non-negative, same shape.

    Returns
    -------
    nll : torch.Tensor, shape=(...)
        E.g. ``(N, T, S)``; in ``logits``' dtype.
    """
    if logits.shape != counts.shape:
        raise ValueError(
            f"logits and counts must have the same shape, got {tuple(logits.shape)} and "
            f"{tuple(counts.shape)}"
        )
    counts = counts.to(logits.dtype)
    log_probs = F.log_softmax(logits, dim=-1)
    total = counts.sum(dim=-1)
    log_coefficient = torch.lgamma(total + 1) - torch.lgamma(counts + 1).sum(dim=-1)
    return -(log_coefficient + (counts * log_probs).sum(dim=-1))


def profile_loss(
    logits: torch.Tensor,
    log_counts: torch.Tensor,
    profiles: torch.Tensor,
    count_weight: float = 20.0,
) -> torch.Tensor:
    """Profile-model correctness loss: mean multinomial NLL + weight x MSE of log counts.

    ``loss = mean_{n,t,s} NLL_{n,t,s} + count_weight * mean_{n,t,s} (log(1 + c_{n,t,s}) -
    log_counts_{n,t,s})^2`` with ``c`` the observed total count of each track (the sum of
    ``profiles`` over positions) and NLL from :func:`multinomial_nll`. Both means run over
    examples, tasks and strands alike (the reference averages over tasks and strands, then
    over the batch, which is the same mean).

    Parameters
    ----------
    logits : torch.Tensor, shape=(..., N, T, S, L)
        Predicted profile logits (leading axes such as a pack's seeds, examples, tasks,
        strands, positions).
    log_counts : torch.Tensor, shape=(..., N, T, S)
        Predicted natural-log total counts.
    profiles : torch.Tensor, shape=(..., N, T, S, L)
        Observed counts.
    count_weight : float
        Weight of the counts term (20 in Tseng et al.).

    Returns
    -------
    loss : torch.Tensor, shape=(...)
        One loss per leading index.
    """
    if log_counts.shape != logits.shape[:-1]:
        raise ValueError(
            f"log_counts must have shape {tuple(logits.shape[:-1])} (the logits' without "
            f"positions), got {tuple(log_counts.shape)}"
        )
    if logits.ndim < 4:
        raise ValueError(f"logits must have shape (..., N, T, S, L), got {tuple(logits.shape)}")
    nll = multinomial_nll(logits, profiles)
    log_true = torch.log1p(profiles.to(log_counts.dtype).sum(dim=-1))
    mse = (log_true - log_counts).pow(2).flatten(-3).mean(-1)
    return nll.flatten(-3).mean(-1) + count_weight * mse
