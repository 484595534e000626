"""Training with an optional attribution prior or L2 penalty.

A *condition* (:class:`Condition`) says what is added to the correctness loss:
nothing, ``weight × prior`` on input-gradient × input attributions (computed with
double backpropagation, averaged over positive examples only), and/or an L2
penalty on all parameters. Priors are looked up by name in
:data:`attrprior.priors.PRIORS`, so a new condition is a new config entry, not
new code.

One loop (:func:`train_model`) trains both kinds of model; an *objective* turns a batch
into its correctness, prior and L2 losses and computes the validation metrics:

- :class:`BinaryObjective` (the default): classifiers mapping ``(N, 4, L)`` one-hot to
  ``(N, T)`` logits, batches of arrays ``(x, y)``, validation auROC;
- :class:`ProfileObjective`: Tseng et al.'s profile models mapping ``(x, control)`` to
  profile logits ``(N, T, S, L_out)`` and log counts ``(N, T, S)``, batches from
  :class:`attrprior.sampling.ProfileBatches`, the multinomial-NLL + counts-MSE loss, the
  prior on the input gradients of :func:`profile_attribution_target` averaged over peak
  examples only, validation NLL / counts MSE / JSD. :func:`evaluate_profile_model` gives
  the test metrics.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch import nn
from torch.nn import functional as F

from attrprior.correction import correct_gradients
from attrprior.explained import profile_attribution_target
from attrprior.io import atomic_path
from attrprior.losses import LOSSES, multinomial_nll, profile_loss
from attrprior.metrics import JSD_SMOOTH_SIGMA, JSD_SMOOTH_TRUNCATE, ProfileMetricSums
from attrprior.models import fixed_batch_statistics
from attrprior.priors import PRIORS, l2_penalty, prior_loss
from attrprior.profile_examples import ProfileBatch
from attrprior.sampling import ProfileBatches
from attrprior.workflow_config import PROFILE_FOURIER_FREQ_LIMIT, tuned_key

log = logging.getLogger(__name__)


ATTRIBUTION_KINDS = ("grad_x_input", "gradient")
PRIOR_EXAMPLES = ("positives", "all")
# How the prior's input gradients are taken in training mode (Condition.prior_gradient).
PRIOR_GRADIENTS = ("batch_sum", "per_example")
# Keys of a ``conditions:`` entry that set the loss (read by Condition.from_config) and
# those that choose the training examples instead (``keep_positives``: the strongest share
# of each task's peaks, applied by attrprior.sampling in rule train_model).
LOSS_CONDITION_KEYS = (
    "prior",
    "weight",
    "params",
    "l2_weight",
    "attribution",
    "correct_gradients",
    "examples",
    "prior_gradient",
)
DATA_CONDITION_KEYS = ("keep_positives",)


def with_weight(entry: Mapping[str, object], weight: float) -> dict:
    """A tuned ``conditions:`` entry with its grid replaced by one ``weight``."""
    key = tuned_key(entry)
    if key is None:
        raise ValueError("condition: no weight is tuned")
    return {**entry, key: float(weight)}


@dataclass(frozen=True)
class Condition:
    """What is added to the correctness loss.

    Parameters
    ----------
    prior : str or None
        Name of a prior in :data:`attrprior.priors.PRIORS`, or None.
    prior_weight : float
        λ, the weight of the prior loss.
    prior_params : dict
        Keyword arguments of the prior (e.g. ``freq_limit`` for ``fourier``).
    l2_weight : float
        Weight of Σ param² over all parameters (the paper's L2 baseline).
    attribution : {"grad_x_input", "gradient"}
        What the prior sees: input gradient × input (Tseng et al.) or the raw input gradient
        (the angle regulariser of Majdandzic et al.).
    correct_gradients : bool
        Subtract the per-position mean over bases from the gradient first (the
        ``fourier_corrected`` condition).
    examples : {"positives", "all"}
        Which examples the prior is averaged over (Tseng et al.: positives only; for profile
        models the positives are the peak examples, not the random genomic windows).
    prior_gradient : {"batch_sum", "per_example"}
        How the input gradients the prior sees are taken in training mode:

        - ``"batch_sum"`` (the reference code of both papers): the gradient of the logits
          summed over the batch, BatchNorm's batch statistics part of the graph, so an
          example's gradient also carries its effect on the others' normalisation. For the
          Tseng binary model, whose last hidden layer ends in BatchNorm, it is zero in exact
          arithmetic (docs/methods.md, "A caveat of the Tseng binary model").
        - ``"per_example"``: each example's gradient of its own logits, the batch statistics
          held fixed (:func:`attrprior.models.fixed_batch_statistics`): a second forward
          pass, with the same dropout masks, whose outputs equal the first's.
    """

    prior: str | None = None
    prior_weight: float = 0.0
    prior_params: Mapping[str, object] = field(default_factory=dict)
    l2_weight: float = 0.0
    attribution: str = "grad_x_input"
    correct_gradients: bool = False
    examples: str = "positives"
    prior_gradient: str = "batch_sum"

    def __post_init__(self) -> None:
        if self.prior is not None and self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {sorted(PRIORS)} or None, got {self.prior!r}")
        if self.prior_weight < 0 or self.l2_weight < 0:
            raise ValueError("prior_weight and l2_weight must be non-negative")
        if self.attribution not in ATTRIBUTION_KINDS:
            raise ValueError(f"attribution must be one of {ATTRIBUTION_KINDS}")
        if self.examples not in PRIOR_EXAMPLES:
            raise ValueError(f"examples must be one of {PRIOR_EXAMPLES}")
        if self.prior_gradient not in PRIOR_GRADIENTS:
            raise ValueError(
                f"prior_gradient must be one of {PRIOR_GRADIENTS}, got {self.prior_gradient!r}"
            )

    @classmethod
    def from_config(cls, entry: Mapping[str, object] | None) -> Condition:
        """Build from a ``conditions:`` entry of the workflow config.

        The loss keys (:data:`LOSS_CONDITION_KEYS`) are read; the data keys
        (:data:`DATA_CONDITION_KEYS`) choose training examples and are ignored here; any
        other key is an error.
        """
        entry = dict(entry or {})
        unknown = sorted(set(entry) - set(LOSS_CONDITION_KEYS) - set(DATA_CONDITION_KEYS))
        if unknown:
            raise ValueError(
                f"condition: unknown keys {unknown}; known: "
                f"{sorted(LOSS_CONDITION_KEYS + DATA_CONDITION_KEYS)}"
            )
        if entry.get("weight") == "auto":
            raise ValueError(
                "weight 'auto' must be resolved first (automatic_prior_weight), "
                "then passed as a number"
            )
        if tuned_key(entry) is not None:
            raise ValueError(
                f"{tuned_key(entry)}: a grid to tune must be resolved first (the weight "
                "chosen by rule choose_weight, with_weight), then passed as a number"
            )
        return cls(
            prior=entry.get("prior"),
            prior_weight=float(entry.get("weight", 0.0)),
            prior_params=dict(entry.get("params", {})),
            l2_weight=float(entry.get("l2_weight", 0.0)),
            attribution=entry.get("attribution", "grad_x_input"),
            correct_gradients=bool(entry.get("correct_gradients", False)),
            examples=entry.get("examples", "positives"),
            prior_gradient=entry.get("prior_gradient", "batch_sum"),
        )


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (defaults: the Koo-lab Keras training).

    ``loss`` names the correctness loss in :data:`attrprior.losses.LOSSES` (``"bce"``, or
    ``"balanced_bce"`` of Tseng et al.); ``reverse_complement`` doubles every training batch
    with reverse-complemented copies (Tseng et al.; the copies of positives are positives
    for the prior too).

    ``monitor`` is what early stopping, the best epoch and the learning-rate plateau follow:

    - ``"correctness"``: the validation correctness loss, lower is better (Tseng et al.'s
      analyses pick each run's epoch by it); the plateau is PyTorch's (relative threshold
      1e-4, no floor);
    - ``"auroc"``: the validation auROC, higher is better (Majdandzic et al.'s Keras
      callbacks, ``monitor='val_auroc'``: "the epoch which yielded the highest AUC on the
      validation set"); the plateau is Keras's (absolute ``min_delta`` 1e-4, ``min_lr``
      1e-7). Binary models only.
    """

    max_epochs: int = 100
    batch_size: int = 100
    learning_rate: float = 1e-3
    adam_eps: float = 1e-7
    patience: int = 10
    min_delta: float = 0.0
    lr_factor: float = 0.2
    lr_patience: int = 3
    loss: str = "bce"
    reverse_complement: bool = False
    monitor: str = "correctness"

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {sorted(MONITORS)}, got {self.monitor!r}")


#: What early stopping can follow -> whether higher is better.
MONITORS = {"correctness": False, "auroc": True}


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
        attr = _gradient_attributions(x, logits.sum(), kind, correct_gradients, create_graph)
        return attr, logits
    # The first pass runs inside fork_rng, which puts the random state back afterwards: the
    # second pass then draws the same dropout masks and leaves the state where one pass would.
    cuda_devices = [x.device.index or 0] if x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_devices):
        logits = model(x)
    x = x.detach().requires_grad_(True)
    with fixed_batch_statistics(model):
        fixed_logits = model(x)
    attr = _gradient_attributions(x, fixed_logits.sum(), kind, correct_gradients, create_graph)
    return attr, logits


def _gradient_attributions(
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
    attr = _gradient_attributions(x, target, kind, correct_gradients, create_graph)
    return attr, (logits, log_counts)


def condition_losses(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    condition: Condition,
    loss: str = "bce",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Correctness, prior and L2 losses of one batch (scalars).

    ``y`` is ``(N, T)`` with labels 1 (positive), 0 (negative) and, for losses that allow
    it, −1 (ambiguous). An example is positive for the prior when any task is 1. The
    correctness loss is ``LOSSES[loss]`` on the logits plus the model's own kernel penalty
    (``model.kernel_l2()``, Keras ``l2``) where it has one.
    """
    return _losses_and_logits(model, x, y, condition, loss)[:3]


def _losses_and_logits(model, x, y, condition, loss, create_graph=True):
    if uses_prior(condition):
        attr, logits = input_attributions(
            model,
            x,
            condition.attribution,
            condition.correct_gradients,
            create_graph,
            per_example=condition.prior_gradient == "per_example",
        )
    else:
        attr, logits = None, model(x)
    return (*binary_losses(model, logits, attr, y, condition, loss), logits)


def uses_prior(condition: Condition) -> bool:
    """Whether the condition's loss has a prior term (a prior with a positive weight)."""
    return condition.prior is not None and condition.prior_weight > 0


def binary_losses(
    model: nn.Module,
    logits: torch.Tensor,
    attr: torch.Tensor | None,
    y: torch.Tensor,
    condition: Condition,
    loss: str = "bce",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Correctness, prior and L2 losses (scalars) of one batch's ``(N, T)`` logits.

    ``attr`` ``(N, 4, L)`` are the batch's input attributions (None without a prior term);
    ``model`` gives the kernel and L2 penalties of its own parameters.
    """
    zero = logits.new_zeros(())
    prior = zero
    if attr is not None:
        selected = (y > 0.5).any(dim=1)
        if condition.examples == "all":
            selected = torch.ones_like(selected)
        prior = prior_loss(condition.prior, attr, selected, **condition.prior_params)
    correctness = LOSSES[loss](logits, y)
    if hasattr(model, "kernel_l2"):
        correctness = correctness + model.kernel_l2()
    l2 = l2_penalty(model) if condition.l2_weight > 0 else zero
    return correctness, prior, l2


def mean_auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Mean over tasks of the auROC, ambiguous labels (−1) left out; NaN if undefined.

    ``y`` and ``score`` are ``(N, T)``.
    """
    values = []
    for task in range(y.shape[1]):
        known = y[:, task] >= 0
        if len(set(y[known, task])) == 2:
            values.append(roc_auc_score(y[known, task], score[known, task]))
    return float(np.mean(values)) if values else np.nan


def reverse_complement_batch(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Append the reverse complement of every sequence: ``(2N, 4, L)`` and ``(2N, T)``.

    With bases ordered A, C, G, T, flipping the base axis complements and flipping the
    position axis reverses.
    """
    return torch.cat([x, torch.flip(x, dims=(1, 2))]), torch.cat([y, y])


def _batches(n: int, batch_size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    order = rng.permutation(n) if rng is not None else np.arange(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


class BatchSource(Protocol):
    """Anything that yields one epoch of training batches (e.g.
    :class:`attrprior.sampling.BalancedWindows`)."""

    def batches(
        self, batch_size: int, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...


@dataclass(frozen=True)
class ArrayBatches:
    """In-memory examples ``x`` ``(N, 4, L)`` and ``y`` ``(N, T)``, shuffled each epoch."""

    x: np.ndarray
    y: np.ndarray

    def batches(
        self, batch_size: int, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for index in _batches(len(self.x), batch_size, rng):
            yield self.x[index], self.y[index]


class Objective(Protocol):
    """What :func:`train_model` needs to know about a kind of model and its data.

    Attributes
    ----------
    metric_names : tuple of str
        Keys of :meth:`validate`'s result, besides the losses, that go into the history as
        ``valid_<name>`` columns.
    """

    metric_names: tuple[str, ...]

    def epoch(
        self,
        train,
        batch_size: int,
        rng: np.random.Generator,
        device: torch.device,
        reverse_complement: bool,
    ) -> Iterator:
        """One epoch of training batches, on ``device``, reverse-complement copies
        appended when asked."""
        ...

    def losses(
        self, model: nn.Module, batch, condition: Condition, create_graph: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Correctness, prior (weight 1) and L2 losses of one batch (scalars)."""
        ...

    def validate(
        self, model: nn.Module, valid, condition: Condition, batch_size: int, device
    ) -> dict[str, float]:
        """Validation ``correctness``, ``prior`` and ``l2`` (example-weighted means) and the
        :attr:`metric_names`, in eval mode."""
        ...


@dataclass(frozen=True)
class BinaryObjective:
    """Binary (multi-task) classifiers: ``(x, y)`` batches, ``LOSSES[loss]``, auROC.

    Training data are ``(x, y)`` arrays or a :class:`BatchSource`; validation data are
    ``(x, y)`` arrays (see :func:`train_model`). The losses are :func:`condition_losses`'.
    """

    loss: str = "bce"
    metric_names: tuple[str, ...] = ("auroc",)

    def epoch(
        self,
        train,
        batch_size: int,
        rng: np.random.Generator,
        device: torch.device,
        reverse_complement: bool,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        source = train if hasattr(train, "batches") else ArrayBatches(*train)
        for x_batch, y_batch in source.batches(batch_size, rng):
            xb = torch.as_tensor(x_batch, device=device)
            yb = torch.as_tensor(y_batch, device=device)
            if reverse_complement:
                xb, yb = reverse_complement_batch(xb, yb)
            yield xb, yb

    def losses(
        self,
        model: nn.Module,
        batch: tuple[torch.Tensor, torch.Tensor],
        condition: Condition,
        create_graph: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = batch
        return _losses_and_logits(model, x, y, condition, self.loss, create_graph)[:3]

    def pack_losses(
        self,
        pack,
        batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
        conditions: Sequence[Condition],
    ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """:meth:`losses` of S seeds in one batched forward pass.

        ``pack`` is a :class:`attrprior.packing.SeedPack` of the S models, ``batches`` and
        ``conditions`` are each seed's. The input gradients of all seeds come from one
        backward pass of the summed logits: a seed's logits depend on its own inputs only.
        """
        x = torch.stack([batch[0] for batch in batches])
        prior = [uses_prior(condition) for condition in conditions]
        attr = None
        if not any(prior):
            logits = pack(x)
        else:
            first = conditions[prior.index(True)]
            per_example = first.prior_gradient == "per_example"
            if per_example:  # the batch statistics held fixed in a second pass, same masks
                logits = pack(x)
                x = x.detach().requires_grad_(True)
                gradient_logits = pack(x, fixed_statistics=True)
            else:
                x = x.detach().requires_grad_(True)
                logits = gradient_logits = pack(x)
            attr = _gradient_attributions(
                x, gradient_logits.sum(), first.attribution, first.correct_gradients, True
            )
        return [
            binary_losses(
                model, logits[s], attr[s] if prior[s] else None, batch[1], condition, self.loss
            )
            for s, (model, batch, condition) in enumerate(
                zip(pack.models, batches, conditions, strict=True)
            )
        ]

    def validate(
        self,
        model: nn.Module,
        valid: tuple[np.ndarray, np.ndarray],
        condition: Condition,
        batch_size: int,
        device,
    ) -> dict[str, float]:
        return evaluate(model, *valid, condition, batch_size, torch.device(device), self.loss)


class ProfileTensors(NamedTuple):
    """One profile batch on the device.

    Attributes
    ----------
    x : torch.Tensor, shape=(B, 4, L_in)
    profiles : torch.Tensor, shape=(B, T, S, L_out)
    control : torch.Tensor or None, shape=(B, T, S_c, L_out)
    is_peak : torch.Tensor, shape=(B,), bool
    """

    x: torch.Tensor
    profiles: torch.Tensor
    control: torch.Tensor | None
    is_peak: torch.Tensor

    @classmethod
    def from_batch(cls, batch: ProfileBatch, device: torch.device | str) -> ProfileTensors:
        """Move a :class:`attrprior.profile_examples.ProfileBatch` to ``device``."""
        is_peak = np.ones(len(batch.indices), bool) if batch.is_peak is None else batch.is_peak
        return cls(
            torch.as_tensor(batch.one_hot, device=device),
            torch.as_tensor(batch.profiles, device=device),
            None if batch.control is None else torch.as_tensor(batch.control, device=device),
            torch.as_tensor(is_peak, device=device),
        )


def reverse_complement_profiles(batch: ProfileTensors) -> ProfileTensors:
    """Append the reverse complement of every example: ``2B`` examples.

    The sequence is complemented and reversed (flip bases and positions, bases ordered
    A, C, G, T); profiles and controls are reversed and their strands swapped (flip strands
    and positions; a single strand stays). A copy of a peak is a peak.
    """

    def flip(a: torch.Tensor | None, dims: tuple[int, ...]) -> torch.Tensor | None:
        return None if a is None else torch.cat([a, torch.flip(a, dims=dims)])

    return ProfileTensors(
        flip(batch.x, (1, 2)),
        flip(batch.profiles, (2, 3)),
        flip(batch.control, (2, 3)),
        torch.cat([batch.is_peak, batch.is_peak]),
    )


#: Default prior parameters of profile models (Tseng et al.: T = 200 for the profile models).
PROFILE_PRIOR_DEFAULTS: dict[str, dict[str, object]] = {
    "fourier": {"freq_limit": PROFILE_FOURIER_FREQ_LIMIT}
}


@dataclass(frozen=True)
class ProfileObjective:
    """Tseng et al.'s profile models: peak + random-window batches, NLL + counts MSE.

    Training data are a :class:`attrprior.sampling.ProfileBatches` whose ``batches`` yield
    jittered peaks and random windows; validation data a ``ProfileBatches`` of validation
    peaks (read in order, unjittered, without random windows).

    Parameters
    ----------
    count_weight : float
        Weight of the counts MSE in :func:`attrprior.losses.profile_loss` (20).
    smooth_sigma, smooth_truncate : float
        Smoothing before the validation JSD (:mod:`attrprior.metrics`).

    Notes
    -----
    The prior sees the input gradients of :func:`profile_attribution_target` (times the
    input for ``attribution="grad_x_input"``) over the whole input, and is averaged over
    peak examples only (their reverse complements included), not over random windows, when
    ``condition.examples == "positives"``. Prior parameters missing from
    ``condition.prior_params`` come from :data:`PROFILE_PRIOR_DEFAULTS` (``freq_limit=200``
    for the Fourier prior).
    """

    count_weight: float = 20.0
    smooth_sigma: float = JSD_SMOOTH_SIGMA
    smooth_truncate: float = JSD_SMOOTH_TRUNCATE
    metric_names: tuple[str, ...] = ("nll", "count_mse", "jsd")

    def epoch(
        self,
        train: ProfileBatches,
        batch_size: int,
        rng: np.random.Generator,
        device: torch.device,
        reverse_complement: bool,
    ) -> Iterator[ProfileTensors]:
        for batch in train.batches(batch_size, rng):
            tensors = ProfileTensors.from_batch(batch, device)
            yield reverse_complement_profiles(tensors) if reverse_complement else tensors

    def prior_params(self, condition: Condition) -> dict[str, object]:
        """The condition's prior parameters over the profile-model defaults."""
        return {**PROFILE_PRIOR_DEFAULTS.get(condition.prior, {}), **condition.prior_params}

    def losses_and_outputs(
        self,
        model: nn.Module,
        batch: ProfileTensors,
        condition: Condition,
        create_graph: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Correctness, prior and L2 losses, profile logits and log counts of one batch."""
        zero = batch.x.new_zeros(())
        if condition.prior is not None and condition.prior_weight > 0:
            attr, (logits, log_counts) = profile_input_attributions(
                model,
                batch.x,
                batch.control,
                condition.attribution,
                condition.correct_gradients,
                create_graph,
            )
            selected = batch.is_peak
            if condition.examples == "all":
                selected = torch.ones_like(selected)
            prior = prior_loss(condition.prior, attr, selected, **self.prior_params(condition))
        else:
            logits, log_counts = model(batch.x, batch.control)
            prior = zero
        correctness = profile_loss(logits, log_counts, batch.profiles, self.count_weight)
        l2 = l2_penalty(model) if condition.l2_weight > 0 else zero
        return correctness, prior, l2, logits, log_counts

    def losses(
        self,
        model: nn.Module,
        batch: ProfileTensors,
        condition: Condition,
        create_graph: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.losses_and_outputs(model, batch, condition, create_graph)[:3]

    def validate(
        self,
        model: nn.Module,
        valid: ProfileBatches,
        condition: Condition,
        batch_size: int,
        device,
    ) -> dict[str, float]:
        model.eval()
        sums = {"correctness": 0.0, "prior": 0.0, "l2": 0.0}
        metrics = ProfileMetricSums(self.smooth_sigma, self.smooth_truncate)
        for batch in valid.ordered_batches(batch_size):
            tensors = ProfileTensors.from_batch(batch, device)
            with torch.enable_grad():  # the prior needs input gradients
                *losses, logits, log_counts = self.losses_and_outputs(
                    model, tensors, condition, create_graph=False
                )
            for key, value in zip(sums, losses, strict=True):
                sums[key] += float(value.detach()) * len(batch.indices)
            _add_profile_metrics(metrics, tensors.profiles, logits.detach(), log_counts.detach())
        n = max(len(valid), 1)
        summary = metrics.result()
        return {
            **{key: value / n for key, value in sums.items()},
            **{name: summary[name] for name in self.metric_names},
        }


def _add_profile_metrics(
    metrics: ProfileMetricSums,
    profiles: torch.Tensor,
    logits: torch.Tensor,
    log_counts: torch.Tensor,
) -> None:
    """Add one batch to ``metrics``; the NLL in float64 (totals reach thousands)."""
    logits = logits.double()
    profiles = profiles.double()
    metrics.add(
        profiles.cpu().numpy(),
        F.log_softmax(logits, dim=-1).cpu().numpy(),
        log_counts.double().cpu().numpy(),
        multinomial_nll(logits, profiles).cpu().numpy(),
    )


def evaluate_profile_model(
    model: nn.Module,
    data: ProfileBatches,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    smooth_sigma: float = JSD_SMOOTH_SIGMA,
    smooth_truncate: float = JSD_SMOOTH_TRUNCATE,
) -> dict[str, float]:
    """Test metrics of a profile model on peak examples (Tseng et al., Table 1 profile rows).

    The peaks of ``data`` are read in order, centred (no jitter) and not
    reverse-complemented; random windows are never used.

    Parameters
    ----------
    model : nn.Module
        Maps ``(x, control)`` to profile logits ``(N, T, S, L_out)`` and log counts
        ``(N, T, S)``; run in eval mode without gradients.
    data : ProfileBatches
        E.g. ``ProfileBatches.for_split(examples, "test")``.
    batch_size : int
    device : torch.device or str
    smooth_sigma, smooth_truncate : float
        Gaussian smoothing of observed and predicted profiles before the JSD (σ = 3, kernel
        cut at 4σ, reflected ends; :func:`attrprior.metrics.smooth_profiles`).

    Returns
    -------
    dict
        ``nll``: mean multinomial NLL per track (examples, tasks, strands); ``jsd``: mean
        Jensen-Shannon divergence (nats, not its square root) between the smoothed observed
        profile and the smoothed predicted probabilities, strands averaged; ``count_mse``,
        ``count_pearson``, ``count_spearman``: observed ``log(1 + total)`` against predicted
        log counts, correlations per task (examples and strands pooled) averaged over tasks;
        ``n_examples``. See :class:`attrprior.metrics.ProfileMetricSums`.
    """
    device = torch.device(device)
    model.to(device).eval()
    metrics = ProfileMetricSums(smooth_sigma, smooth_truncate)
    with torch.no_grad():
        for batch in data.ordered_batches(batch_size):
            tensors = ProfileTensors.from_batch(batch, device)
            logits, log_counts = model(tensors.x, tensors.control)
            _add_profile_metrics(metrics, tensors.profiles, logits, log_counts)
    return metrics.result()


def predict(
    model: nn.Module, x: np.ndarray, batch_size: int, device: torch.device | str = "cpu"
) -> np.ndarray:
    """Probabilities ``(N, T)`` (sigmoid of the logits) of ``x`` ``(N, 4, L)``, in eval mode,
    batch by batch."""
    model.eval()
    outputs = []
    with torch.no_grad():
        for index in _batches(len(x), batch_size, None):
            logits = model(torch.as_tensor(x[index], device=device))
            outputs.append(torch.sigmoid(logits).cpu().numpy())
    return np.concatenate(outputs)


def evaluate(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    condition: Condition,
    batch_size: int,
    device: torch.device,
    loss: str = "bce",
) -> dict[str, float]:
    """Validation losses and auROC in eval mode (no parameter update)."""
    model.eval()
    sums = {"correctness": 0.0, "prior": 0.0, "l2": 0.0}
    scores = []
    for index in _batches(len(x), batch_size, None):
        xb = torch.as_tensor(x[index], device=device)
        yb = torch.as_tensor(y[index], device=device)
        with torch.enable_grad():  # the prior needs input gradients
            *losses, logits = _losses_and_logits(model, xb, yb, condition, loss, create_graph=False)
        for key, value in zip(sums, losses, strict=True):
            sums[key] += float(value.detach()) * len(index)
        scores.append(logits.detach().cpu().numpy())
    result = {key: value / len(x) for key, value in sums.items()}
    result["auroc"] = mean_auroc(y, np.concatenate(scores))
    return result


def train_model(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray] | BatchSource | ProfileBatches,
    valid: tuple[np.ndarray, np.ndarray] | ProfileBatches,
    condition: Condition,
    settings: TrainSettings,
    seed: int,
    device: torch.device | str = "cpu",
    objective: Objective | None = None,
    resume: str | os.PathLike | None = None,
    resume_key: str = "",
) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
    """Train ``model`` in place; return the best weights and the per-epoch history.

    With ``resume``, every epoch ends by writing the whole training state there (weights,
    optimiser, learning-rate schedule, early-stopping state, history, the NumPy and torch
    random states), atomically; a call that finds that file with the same ``resume_key``
    continues after its epoch and ends with the weights and history of an uninterrupted run
    (CPU; the ``seconds`` column aside). The caller removes the file once its outputs are
    written.

    Parameters
    ----------
    model : nn.Module
        Binary: maps ``(N, 4, L)`` one-hot to ``(N, T)`` logits. Profile (with a
        :class:`ProfileObjective`): maps ``(x, control)`` to profile logits and log counts.
        Initialised by the caller (seed torch before building it).
    train : tuple of np.ndarray, BatchSource or ProfileBatches
        Binary: ``(x, y)`` with x ``(N, 4, L)`` float32 and y ``(N, T)`` float32 (1, 0, or
        -1 for ambiguous labels that the loss ignores), shuffled each epoch; or an object
        whose ``batches(batch_size, rng)`` yields an epoch of such pairs (genomic windows
        with negatives resampled each epoch, :class:`attrprior.sampling.BalancedWindows`).
        Profile: a :class:`attrprior.sampling.ProfileBatches` of training peaks and random
        windows.
    valid : tuple of np.ndarray or ProfileBatches
        Binary: ``(x, y)`` as for ``train``. Profile: validation peaks.
    condition : Condition
        What is added to the correctness loss.
    settings : TrainSettings
        Optimiser, batch size, early stopping, learning-rate schedule and reverse-complement
        augmentation (``settings.loss`` is the binary loss; profile models use
        :func:`attrprior.losses.profile_loss`).
    seed : int
        Seeds the batch order, jitter and random windows (weights are seeded by the caller).
    device : torch.device or str
    objective : Objective, optional
        Default ``BinaryObjective(settings.loss)``; pass a :class:`ProfileObjective` for
        profile models.
    resume : path-like, optional
        Where the state of the last finished epoch is kept (see above).
    resume_key : str
        What identifies the run (settings, condition, seed, data); a state written under
        another key is ignored and training starts afresh.

    Returns
    -------
    best_state : dict
        A deep copy of the state dict at the best epoch by ``settings.monitor`` (lowest
        validation correctness loss, or highest validation auROC); the model is left holding
        these weights.
    history : pandas.DataFrame
        One row per epoch: train/valid correctness, prior and L2 losses, the objective's
        validation metrics (binary: ``valid_auroc``; profile: ``valid_nll``,
        ``valid_count_mse``, ``valid_jsd``), learning rate, seconds, and whether the epoch
        is the best so far.
    """
    run = SeedRun(model, condition, settings, seed, device, objective, resume, resume_key)
    for epoch in range(run.next_epoch, settings.max_epochs + 1):
        if run.finished:
            break
        start = time.perf_counter()
        model.train()
        sums, n_batches = np.zeros(3), 0
        for batch in run.batches(train):
            losses = run.objective.losses(model, batch, run.condition)
            run.step(losses)
            sums += [float(loss.detach()) for loss in losses]
            n_batches += 1
        run.end_epoch(epoch, valid, epoch_means(sums, n_batches), time.perf_counter() - start)
    return run.result()


def epoch_means(sums: np.ndarray, n_batches: int) -> np.ndarray:
    """An epoch's mean training losses from their sums (NaN for an epoch without batches)."""
    return sums / n_batches if n_batches else np.full(len(sums), np.nan)


class SeedRun:
    """One seed's training state between epochs: the optimiser, learning-rate schedule,
    early stopping, history and random streams of :func:`train_model`.

    :func:`train_model` drives one; :func:`attrprior.packing.train_packed` drives several in
    lockstep. Construction loads the state saved at ``resume`` (if written under
    ``resume_key``). ``generator`` is the torch stream of the seed's dropout masks when they
    are drawn explicitly (packed seeds); without it the global torch state is saved and
    restored.
    """

    def __init__(
        self,
        model: nn.Module,
        condition: Condition,
        settings: TrainSettings,
        seed: int,
        device: torch.device | str = "cpu",
        objective: Objective | None = None,
        resume: str | os.PathLike | None = None,
        resume_key: str = "",
        generator: torch.Generator | None = None,
    ) -> None:
        self.objective = BinaryObjective(settings.loss) if objective is None else objective
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.condition, self.settings, self.seed = condition, settings, seed
        self.generator = generator
        self.resume, self.resume_key = resume, resume_key
        self.rng = np.random.default_rng(seed)
        self.optimiser = torch.optim.Adam(
            model.parameters(), lr=settings.learning_rate, eps=settings.adam_eps
        )
        self.higher_is_better = MONITORS[settings.monitor]
        if self.higher_is_better and settings.monitor not in self.objective.metric_names:
            raise ValueError(
                f"monitor {settings.monitor!r} is not a validation metric of this model "
                f"({', '.join(self.objective.metric_names)}); use 'correctness'"
            )
        self.scheduler = self._scheduler()
        # The monitored value, signed so that lower is better.
        self.sign = -1.0 if self.higher_is_better else 1.0
        self.best_value, self.best_state, self.since_best = np.inf, None, 0
        self.rows: list[dict] = []
        self.next_epoch, self.finished = 1, False
        self._load(_read_training_state(resume, resume_key, self.device))

    def _scheduler(self):
        # lr_factor 1 means a constant learning rate (Tseng et al.).
        if self.settings.lr_factor >= 1:
            return None
        plateau = {"patience": self.settings.lr_patience}
        if self.higher_is_better:
            # Keras's ReduceLROnPlateau: absolute min_delta 1e-4, min_lr 1e-7, and a cut
            # after `patience` epochs without improvement (PyTorch cuts after patience + 1).
            plateau = {
                "mode": "max",
                "threshold": 1e-4,
                "threshold_mode": "abs",
                "min_lr": 1e-7,
                "patience": max(self.settings.lr_patience - 1, 0),
            }
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimiser, factor=self.settings.lr_factor, **plateau
        )

    def _load(self, saved: dict | None) -> None:
        if saved is None:
            return
        self.model.load_state_dict(saved["model"])
        self.optimiser.load_state_dict(saved["optimiser"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(saved["scheduler"])
        self.best_value, self.best_state = saved["best_value"], saved["best_state"]
        self.since_best, self.rows = saved["since_best"], saved["rows"]
        self.finished = saved["finished"]
        self.rng.bit_generator.state = saved["numpy_rng"]
        # The state was loaded onto the training device; random states must be CPU tensors.
        if self.generator is not None:
            self.generator.set_state(saved["torch_rng"].cpu())
        else:
            torch.set_rng_state(saved["torch_rng"].cpu())
            if saved["cuda_rng"] is not None and torch.cuda.is_available():
                torch.cuda.set_rng_state_all([state.cpu() for state in saved["cuda_rng"]])
        self.next_epoch = saved["epoch"] + 1
        log.info("resumed from epoch %d (%s)", saved["epoch"], self.resume)

    def batches(self, train) -> Iterator:
        """The next epoch's training batches (see :meth:`Objective.epoch`)."""
        return self.objective.epoch(
            train,
            self.settings.batch_size,
            self.rng,
            self.device,
            self.settings.reverse_complement,
        )

    def total_loss(self, losses: Sequence[torch.Tensor]) -> torch.Tensor:
        """The optimised loss: correctness + weighted prior + weighted L2."""
        correctness, prior, l2 = losses
        return correctness + self.condition.prior_weight * prior + self.condition.l2_weight * l2

    def step(self, losses: Sequence[torch.Tensor]) -> None:
        """One optimiser step on this seed's correctness, prior and L2 losses."""
        self.optimiser.zero_grad()
        self.total_loss(losses).backward()
        self.optimiser.step()

    def end_epoch(self, epoch: int, valid, train_losses: np.ndarray, seconds: float) -> None:
        """Validate, step the schedule, record the history row and save the state.

        ``train_losses`` are the epoch's mean correctness, prior and L2 losses, ``seconds``
        the time its training took; the row's ``seconds`` adds the validation.
        """
        start = time.perf_counter()
        valid_metrics = self.objective.validate(
            self.model, valid, self.condition, self.settings.batch_size, self.device
        )
        seconds += time.perf_counter() - start
        monitored = float(valid_metrics[self.settings.monitor])
        if self.scheduler is not None:
            self.scheduler.step(monitored)
        # NaN (e.g. an auROC of a one-class validation set) never improves.
        improved = self.sign * monitored < self.best_value - self.settings.min_delta
        if improved:
            self.best_value, self.since_best = self.sign * monitored, 0
            self.best_state = copy.deepcopy(self.model.state_dict())
        else:
            self.since_best += 1
        names = self.objective.metric_names
        row = {
            "epoch": epoch,
            "train_correctness": train_losses[0],
            "train_prior": train_losses[1],
            "train_l2": train_losses[2],
            "valid_correctness": valid_metrics["correctness"],
            "valid_prior": valid_metrics["prior"],
            **{f"valid_{name}": valid_metrics[name] for name in names},
            "learning_rate": self.optimiser.param_groups[0]["lr"],
            "seconds": seconds,
            "best": improved,
        }
        self.rows.append(row)
        log.info(
            "%sepoch %3d  train loss %.4f prior %.4f  valid loss %.4f prior %.4f %s  lr %.1e"
            "  %.1fs%s",
            "" if self.generator is None else f"seed {self.seed} ",
            epoch,
            row["train_correctness"],
            row["train_prior"],
            row["valid_correctness"],
            row["valid_prior"],
            " ".join(f"{name} {valid_metrics[name]:.4f}" for name in names),
            row["learning_rate"],
            row["seconds"],
            "  *best*" if improved else "",
        )
        self.finished = self.since_best >= self.settings.patience
        if self.finished:
            log.info("early stop: no improvement for %d epochs", self.settings.patience)
        self.next_epoch = epoch + 1
        if self.resume is not None:
            self._save(epoch)

    def _save(self, epoch: int) -> None:
        if self.generator is not None:
            torch_rng, cuda_rng = self.generator.get_state(), None
        else:
            torch_rng = torch.get_rng_state()
            cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        _write_training_state(
            self.resume,
            {
                "key": self.resume_key,
                "epoch": epoch,
                "model": self.model.state_dict(),
                "optimiser": self.optimiser.state_dict(),
                "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
                "best_value": self.best_value,
                "best_state": self.best_state,
                "since_best": self.since_best,
                "rows": self.rows,
                "finished": self.finished,
                "numpy_rng": self.rng.bit_generator.state,
                "torch_rng": torch_rng,
                "cuda_rng": cuda_rng,
            },
        )

    def result(self) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
        """The best weights (loaded into the model) and the history, as :func:`train_model`."""
        if self.best_state is None:  # the monitored value was never finite
            self.best_state = copy.deepcopy(self.model.state_dict())
        self.model.load_state_dict(self.best_state)
        return self.best_state, pd.DataFrame(self.rows)


def _write_training_state(path: str | os.PathLike, state: dict) -> None:
    """Write a training state atomically (a kill leaves the previous epoch's)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _read_training_state(
    path: str | os.PathLike | None, key: str, device: torch.device
) -> dict | None:
    """The training state at ``path`` if it was written under ``key``, else None."""
    if path is None or not os.path.exists(path):
        return None
    try:
        # Written by _write_training_state: Python numbers, dicts and tensors only.
        state = torch.load(path, map_location=device, weights_only=False)
    except Exception as error:  # a state that cannot be read is no state: start afresh
        log.warning("ignoring the unreadable training state %s (%s)", path, error)
        return None
    if state.get("key") != key:
        log.warning("ignoring the training state %s: written for another run", path)
        return None
    return state


def automatic_prior_weight(
    reference: nn.Module,
    valid: tuple[np.ndarray, np.ndarray] | ProfileBatches,
    condition: Condition,
    loss: str = "bce",
    fraction: float = 0.5,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
    objective: Objective | None = None,
) -> float:
    """λ that makes the prior ``fraction`` × the correctness loss of a no-prior model.

    Tseng et al. set the profile models' prior weight "so that the prior loss is about half
    the correctness loss" of a model trained without the prior. Here both are measured on the
    validation set with the trained no-prior ``reference`` model:
    ``λ = fraction × correctness / prior`` (the prior with weight 1).

    Parameters
    ----------
    reference : nn.Module
        The trained model of the no-prior condition (same dataset, architecture and seed).
    valid : tuple of np.ndarray or ProfileBatches
        ``(x, y)``, x ``(N, 4, L)``, y ``(N, T)``; or validation peaks for a profile model.
    condition : Condition
        The condition whose weight is wanted; its ``prior_weight`` is ignored.
    loss : str
        The binary correctness loss (used by the default objective only).
    objective : Objective, optional
        Default ``BinaryObjective(loss)``; a :class:`ProfileObjective` for profile models
        (correctness = NLL + weighted counts MSE, prior over validation peaks).

    Returns
    -------
    float
        The weight λ.
    """
    objective = BinaryObjective(loss) if objective is None else objective
    unit = Condition(**{**condition.__dict__, "prior_weight": 1.0})
    metrics = objective.validate(reference, valid, unit, batch_size, torch.device(device))
    if not metrics["prior"] > 0:
        raise ValueError("the reference model's prior loss is 0: cannot scale the weight to it")
    return fraction * metrics["correctness"] / metrics["prior"]
