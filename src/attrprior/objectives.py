"""What a training step minimises and how a model is scored: the correctness loss, the
attribution prior on differentiable input attributions and the L2 penalty, per batch, for
binary models (:class:`BinaryObjective`) and profile models (:class:`ProfileObjective`);
predictions and evaluation metrics.

Inputs are one-hot ``(N, 4, L)``: examples, bases A/C/G/T, positions; binary labels
``(N, T)``; profiles ``(N, T, S, L_out)``: examples, tasks, strands, positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn
from torch.nn import functional as F

from attrprior.attribution import (
    gradient_attributions,
    input_attributions,
    profile_input_attributions,
)
from attrprior.conditions import PROFILE_PRIOR_DEFAULTS, Condition
from attrprior.explained import profile_attribution_target
from attrprior.genomics.sampling import ProfileBatches
from attrprior.genomics.stored_profiles import ProfileBatch
from attrprior.losses import LOSSES, check_labels, multinomial_nll, profile_loss
from attrprior.priors import l2_penalty, prior_loss
from attrprior.profile_metrics import JSD_SMOOTH_SIGMA, JSD_SMOOTH_TRUNCATE, ProfileMetricSums

if TYPE_CHECKING:  # packing imports this module
    from attrprior.packing import SeedPack


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


def packed_binary_losses(
    pack: SeedPack,
    logits: torch.Tensor,
    attr: torch.Tensor | None,
    y: torch.Tensor,
    conditions: Sequence[Condition],
    loss: str = "bce",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`binary_losses` of the S seeds of a pack, from batched operations.

    The operations, and on a GPU the kernel launches, do not grow with S (on a small model
    these launches, not arithmetic, set the time of a step), except where the seeds'
    conditions differ in whether they have a prior or an L2 term.

    Parameters
    ----------
    pack : attrprior.packing.SeedPack
        The S models; the penalties come from its stacked parameters.
    logits : torch.Tensor, shape=(S, N, T)
    attr : torch.Tensor, shape=(S, N, 4, L), or None
        The input attributions; None when no seed has a prior term.
    y : torch.Tensor, shape=(S, N, T)
        Labels 1, 0 or -1.
    conditions : sequence of Condition
        Each seed's; the seeds with a prior term share its prior, parameters and examples
        (:func:`attrprior.packing.train_packed` checks).
    loss : str
        A key of :data:`attrprior.losses.LOSSES`.

    Returns
    -------
    correctness, prior, l2 : torch.Tensor, shape=(S,)
    """
    correctness = LOSSES[loss](logits, y)
    model = pack.models[0]
    if hasattr(model, "kernel_l2"):
        correctness = correctness + model.kernel_l2(pack.parameters)
    prior, l2 = _packed_prior_and_l2(pack, correctness, attr, (y > 0.5).any(dim=-1), conditions)
    return correctness, prior, l2


def _packed_prior_and_l2(
    pack: SeedPack,
    like: torch.Tensor,
    attr: torch.Tensor | None,
    positive: torch.Tensor,
    conditions: Sequence[Condition],
    prior_params: Callable[[Condition], dict] = lambda condition: condition.prior_params,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The prior and L2 losses of a pack's seeds, each ``(S,)`` like ``like``.

    ``attr`` ``(S, N, 4, L)`` (None when no seed has a prior term); ``positive`` ``(S, N)``,
    the examples a prior over positives averages; ``prior_params(condition)``, the prior's
    parameters. The L2 penalty comes from the pack's stacked parameters. A seed
    without a prior term (weight 0) or without L2 gets an exact 0, as trained alone: its
    examples are not selected for the prior at all.
    """
    zero = like.new_zeros(len(conditions))
    prior = l2 = zero
    uses = [uses_prior(condition) for condition in conditions]
    if attr is not None:
        first = conditions[uses.index(True)]
        selected = torch.ones_like(positive) if first.examples == "all" else positive
        if not all(uses):  # per seed, but no values sent from the host
            rows = zip(selected, uses, strict=True)
            selected = torch.stack([row if used else torch.zeros_like(row) for row, used in rows])
        prior = prior_loss(first.prior, attr, selected, **prior_params(first))
    with_l2 = [condition.l2_weight > 0 for condition in conditions]
    if any(with_l2):
        l2 = l2_penalty(pack.models[0], pack.parameters)
        if not all(with_l2):
            values = zip(l2, with_l2, strict=True)
            l2 = torch.stack([value if used else zero[0] for value, used in values])
    return prior, l2


def to_device(array: np.ndarray | torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """``array`` as a tensor on ``device``.

    A copy from the host to a GPU goes through pinned memory without blocking: copied from
    ordinary memory, PyTorch makes the host wait until the device has finished all the work
    queued before, at every batch.
    """
    tensor = torch.as_tensor(array)
    device = torch.device(device)
    if device.type != "cuda" or tensor.device.type != "cpu":
        return tensor.to(device)
    return tensor.contiguous().pin_memory().to(device, non_blocking=True)


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
    """Append the reverse complement of every sequence: ``x`` ``(..., N, 4, L)`` becomes
    ``(..., 2N, 4, L)`` and ``y`` ``(..., N, T)`` becomes ``(..., 2N, T)`` (leading axes,
    e.g. a pack's seeds, kept).

    With bases ordered A, C, G, T, flipping the base axis complements and flipping the
    position axis reverses.
    """
    return torch.cat([x, torch.flip(x, dims=(-2, -1))], dim=-3), torch.cat([y, y], dim=-2)


def _batches(n: int, batch_size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    order = rng.permutation(n) if rng is not None else np.arange(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


class BatchSource(Protocol):
    """Anything that yields one epoch of training batches (e.g.
    :class:`attrprior.genomics.sampling.BalancedWindows`)."""

    def batches(
        self, batch_size: int, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...

    def batches_per_epoch(self, batch_size: int) -> int: ...


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

    def batches_per_epoch(self, batch_size: int) -> int:
        """Batches :meth:`batches` yields per epoch: ``ceil(N / batch_size)``."""
        return -(-len(self.x) // batch_size)


def batch_source(train) -> BatchSource:
    """``train`` as a batch source: ``(x, y)`` arrays become :class:`ArrayBatches`, a
    :class:`BatchSource` (or :class:`attrprior.genomics.sampling.ProfileBatches`) stays."""
    return train if hasattr(train, "batches") else ArrayBatches(*train)


def batches_per_epoch(train, batch_size: int) -> int:
    """Training steps of one epoch of ``train`` (what :func:`batch_source` takes) at
    ``batch_size`` examples per batch, before reverse complements are appended."""
    return batch_source(train).batches_per_epoch(batch_size)


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
        for x_batch, y_batch in batch_source(train).batches(batch_size, rng):
            check_labels(y_batch)  # here, before the move, so a GPU step never waits for it
            xb, yb = to_device(x_batch, device), to_device(y_batch, device)
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
        pack: SeedPack,
        batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
        conditions: Sequence[Condition],
        reverse_complement: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`losses` of S seeds in one batched pass: correctness, prior and L2, each
        ``(S,)``.

        ``pack`` is a :class:`attrprior.packing.SeedPack` of the S models, ``batches`` and
        ``conditions`` are each seed's. The batches may be on the host: they are stacked
        there and sent to the pack's device in one copy, and with ``reverse_complement``
        their reverse complements are appended there (:func:`reverse_complement_batch`), as
        :meth:`epoch` appends them to one seed's batch. The input gradients of all seeds
        come from one backward pass of the summed logits: a seed's logits depend on its own
        inputs only. The losses of all seeds are computed together too (see
        :func:`packed_binary_losses`).
        """
        x = to_device(torch.stack([batch[0] for batch in batches]), pack.device)
        y = to_device(torch.stack([batch[1] for batch in batches]), pack.device)
        if reverse_complement:
            x, y = reverse_complement_batch(x, y)
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
            attr = gradient_attributions(
                x, gradient_logits.sum(), first.attribution, first.correct_gradients, True
            )
        return packed_binary_losses(pack, logits, attr, y, conditions, self.loss)

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
        """Move a :class:`attrprior.genomics.stored_profiles.ProfileBatch` to ``device``."""
        is_peak = np.ones(len(batch.indices), bool) if batch.is_peak is None else batch.is_peak
        return cls(
            to_device(batch.one_hot, device),
            to_device(batch.profiles, device),
            None if batch.control is None else to_device(batch.control, device),
            to_device(is_peak, device),
        )


def reverse_complement_profiles(batch: ProfileTensors) -> ProfileTensors:
    """Append the reverse complement of every example: ``2B`` examples (each field may have
    leading axes before ``B``, e.g. a pack's seeds, which are kept).

    The sequence is complemented and reversed (flip bases and positions, bases ordered
    A, C, G, T); profiles and controls are reversed and their strands swapped (flip strands
    and positions; a single strand stays). A copy of a peak is a peak.
    """

    def flip(a: torch.Tensor | None, examples: int) -> torch.Tensor | None:
        # The last two axes flipped: bases and positions, or strands and positions.
        return None if a is None else torch.cat([a, torch.flip(a, dims=(-2, -1))], dim=examples)

    return ProfileTensors(
        flip(batch.x, -3),
        flip(batch.profiles, -4),
        flip(batch.control, -4),
        torch.cat([batch.is_peak, batch.is_peak], dim=-1),
    )


@dataclass(frozen=True)
class ProfileObjective:
    """Tseng et al.'s profile models: peak + random-window batches, NLL + counts MSE.

    Training data are a :class:`attrprior.genomics.sampling.ProfileBatches` whose ``batches`` yield
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
        if uses_prior(condition):
            attr, (logits, log_counts) = profile_input_attributions(
                model,
                batch.x,
                batch.control,
                condition.attribution,
                condition.correct_gradients,
                create_graph,
            )
        else:
            attr, (logits, log_counts) = None, model(batch.x, batch.control)
        losses = self.output_losses(model, logits, log_counts, attr, batch, condition)
        return (*losses, logits, log_counts)

    def output_losses(
        self,
        model: nn.Module,
        logits: torch.Tensor,
        log_counts: torch.Tensor,
        attr: torch.Tensor | None,
        batch: ProfileTensors,
        condition: Condition,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Correctness, prior and L2 losses (scalars) of one batch's outputs.

        ``logits`` ``(N, T, S, L_out)`` and ``log_counts`` ``(N, T, S)`` are the model's
        outputs on ``batch``; ``attr`` ``(N, 4, L_in)`` its input attributions (None without
        a prior term); ``model`` gives the L2 penalty of its own parameters.
        """
        zero = logits.new_zeros(())
        prior = zero
        if attr is not None:
            selected = batch.is_peak
            if condition.examples == "all":
                selected = torch.ones_like(selected)
            prior = prior_loss(condition.prior, attr, selected, **self.prior_params(condition))
        correctness = profile_loss(logits, log_counts, batch.profiles, self.count_weight)
        l2 = l2_penalty(model) if condition.l2_weight > 0 else zero
        return correctness, prior, l2

    def pack_losses(
        self,
        pack: SeedPack,
        batches: Sequence[ProfileTensors],
        conditions: Sequence[Condition],
        reverse_complement: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`losses` of S seeds in one batched forward pass: correctness, prior and L2,
        each ``(S,)``.

        ``pack`` is a :class:`attrprior.packing.SeedPack` of the S models, ``batches`` and
        ``conditions`` are each seed's. The input gradients of all seeds come from one
        backward pass of the summed attribution targets: the profile model has no BatchNorm,
        so an example's outputs depend on its own input only. The losses are each seed's
        :meth:`output_losses`, computed for all seeds together. The batches may be on the
        host: each field is stacked there and sent to the pack's device in one copy, and
        with ``reverse_complement`` the reverse complements are appended there
        (:func:`reverse_complement_profiles`), as :meth:`epoch` appends them to one seed's
        batch.
        """

        def stacked(field: str) -> torch.Tensor | None:
            values = [getattr(batch, field) for batch in batches]
            return None if values[0] is None else to_device(torch.stack(values), pack.device)

        batch = ProfileTensors(*(stacked(field) for field in ProfileTensors._fields))
        if reverse_complement:
            batch = reverse_complement_profiles(batch)
        x, control = batch.x, batch.control
        prior = [uses_prior(condition) for condition in conditions]
        attr = None
        if any(prior):
            first = conditions[prior.index(True)]
            x = x.detach().requires_grad_(True)
            logits, log_counts = pack(x, control)
            target = profile_attribution_target(logits.flatten(end_dim=1)).sum()
            attr = gradient_attributions(
                x, target, first.attribution, first.correct_gradients, True
            )
        else:
            logits, log_counts = pack(x, control)
        correctness = profile_loss(logits, log_counts, batch.profiles, self.count_weight)
        prior, l2 = _packed_prior_and_l2(
            pack,
            correctness,
            attr,
            batch.is_peak.bool(),
            conditions,
            prior_params=self.prior_params,
        )
        return correctness, prior, l2

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
        cut at 4σ, reflected ends; :func:`attrprior.profile_metrics.smooth_profiles`).

    Returns
    -------
    dict
        ``nll``: mean multinomial NLL per track (examples, tasks, strands); ``jsd``: mean
        Jensen-Shannon divergence (nats, not its square root) between the smoothed observed
        profile and the smoothed predicted probabilities, strands averaged; ``count_mse``,
        ``count_pearson``, ``count_spearman``: observed ``log(1 + total)`` against predicted
        log counts, correlations per task (examples and strands pooled) averaged over tasks;
        ``n_examples``. See :class:`attrprior.profile_metrics.ProfileMetricSums`.
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
    check_labels(y)
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
