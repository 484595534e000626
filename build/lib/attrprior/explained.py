"""What attributions explain: each model seen as one output per example.

A multi-task binary model is explained through the sum of its task logits or one task's
logit (:class:`SummedOutputs`), a profile model through the log-softmax-weighted, centred
profile logits (:class:`ProfileAttributionModel`), as Tseng et al.'s code and its prior do;
:func:`explained_model` picks the wrapper from the config key ``attribution.explain``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from attrprior.models import TsengProfileCNN


def explained_tasks(explain: str, task_names: Sequence[str]) -> list[int] | None:
    """Output columns that ``explain`` selects: ``None`` for all (``"sum"``) or one task.

    Parameters
    ----------
    explain : str
        ``"sum"`` (the sum of the task logits, as Tseng et al.'s ``compute_shap.py`` explains
        a multi-task model with task index None, and as the prior itself explains it) or the
        name of one task.
    task_names : sequence of str
        The model's tasks in output order (may be empty for a single unnamed task).

    Returns
    -------
    list of int or None
        ``None`` for ``"sum"``, else ``[index of the task]``.
    """
    if explain == "sum":
        return None
    if explain not in task_names:
        raise ValueError(
            f"explained output {explain!r} is neither 'sum' nor a task of the model "
            f"(tasks: {list(task_names)})"
        )
    return [list(task_names).index(explain)]


class SummedOutputs(torch.nn.Module):
    """A multi-output model seen as a one-output model: the sum of some of its logits.

    ``forward(x, *args)`` returns ``model(x, *args)[:, tasks].sum(1)`` as an ``(N, 1)``
    column (every column when ``tasks`` is None), so every attribution method here explains
    it with ``target=0``. The sum is linear, so gradient methods and DeepLIFT give the sum of
    the per-task maps; it adds no nonlinearity for DeepLIFT to handle.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (batch, 4, L) (and further inputs) to (batch, n_tasks) logits.
    tasks : sequence of int or None
        Output columns summed; None for all.
    """

    #: The sum is linear in each row (:func:`attrprior.deeplift.unsupported`).
    deeplift_rowwise_linear = True

    def __init__(self, model: torch.nn.Module, tasks: Sequence[int] | None = None) -> None:
        super().__init__()
        self.model = model
        self.tasks = None if tasks is None else list(tasks)

    def forward(self, x: torch.Tensor, *args: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` one-hot (and further inputs) -> ``(N, 1)`` summed logits."""
        y = self.model(x, *args)
        if y.ndim != 2:
            raise ValueError(
                f"the model must return (batch, n_tasks) outputs, got {tuple(y.shape)}"
            )
        if self.tasks is not None:
            y = y[:, self.tasks]
        return y.sum(dim=1, keepdim=True)


def profile_attribution_target(
    profile_logits: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """The scalar per example that profile-model attributions explain (Tseng et al.).

    ``sum_{t, s, l} (z_{tsl} - mean_l z_{tsl}) * w_{tsl}`` with ``z`` the profile logits and
    ``w = log_softmax(z)`` over positions, **detached** (a constant weight, not
    differentiated). The reference's comment says the weights are softmax probabilities,
    but the function it calls (``profile_logits_to_log_probs``) returns *log*-probabilities;
    this follows the code and uses log-probabilities. Centring the logits does not change the
    softmax; it removes the per-track offset the profile head cannot identify. The counts
    head is not explained.

    Parameters
    ----------
    profile_logits : torch.Tensor, shape=(N, T, S, L)
        Examples, tasks, strands, positions.
    weights : torch.Tensor, optional, shape=(N, T, S, L)
        Other constant weights instead of ``log_softmax(profile_logits).detach()`` (for
        checks; whatever is passed is used as it is, not detached).

    Returns
    -------
    torch.Tensor, shape=(N,)
        Its gradient w.r.t. the logits is ``w - mean_l w`` per track.
    """
    if profile_logits.ndim != 4:
        raise ValueError(
            f"profile_logits: expected (N, T, S, L), got {tuple(profile_logits.shape)}"
        )
    if weights is None:
        weights = F.log_softmax(profile_logits, dim=-1).detach()
    elif weights.shape != profile_logits.shape:
        raise ValueError(
            f"weights: expected shape {tuple(profile_logits.shape)}, got {tuple(weights.shape)}"
        )
    centred = profile_logits - profile_logits.mean(dim=-1, keepdim=True)
    return (centred * weights).flatten(start_dim=1).sum(dim=1)


class ProfileAttributionModel(nn.Module):
    """A profile model seen as a one-output model for the attribution methods.

    ``forward(x, control)`` returns :func:`profile_attribution_target` of the profile logits
    as an ``(N, 1)`` column, so :func:`attrprior.attribution.attribute` (``target=0``)
    explains what the prior shapes during training, and DeepSHAP explains it as the
    reference implementation does. The control profiles are further inputs
    (``args=(control,)``), the same for an example and its references, so they get no
    attribution. The log-softmax weights are computed from each evaluated input's own
    logits and held constant (detached); DeepSHAP's summation-to-delta therefore holds
    only up to the change of those weights between an input and its reference.

    Parameters
    ----------
    model : nn.Module
        Maps ``(x, control)`` to ``(profile logits (N, T, S, L_out), log counts (N, T, S))``
        (:class:`attrprior.models.TsengProfileCNN`).
    tasks : sequence of int or None
        Tasks whose profile logits are explained (summed); None for all, as the prior does.
    """

    #: Linear in each row but for its detached weights (:func:`attrprior.deeplift.unsupported`).
    deeplift_rowwise_linear = True

    def __init__(self, model: nn.Module, tasks: Sequence[int] | None = None) -> None:
        super().__init__()
        self.model = model
        self.tasks = None if tasks is None else list(tasks)
        self.weights = ProfileWeights()

    def forward(self, x: torch.Tensor, control: torch.Tensor | None = None) -> torch.Tensor:
        """``(N, 4, L_in)`` one-hot (and ``(N, T or 1, S_c, L_out)`` control) -> ``(N, 1)``."""
        logits, _ = self.model(x, control)
        if self.tasks is not None:
            logits = logits[:, self.tasks]
        return profile_attribution_target(logits, self.weights(logits))[:, None]


class ProfileWeights(nn.Module):
    """``log_softmax`` over positions, detached: the weights of
    :func:`profile_attribution_target`, as a module so that DeepLIFT's shared-example engine
    gives an example's references the example's weights (``deeplift_example_constant``)."""

    deeplift_example_constant = True

    def forward(self, profile_logits: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(profile_logits, dim=-1).detach()


def explained_model(model: nn.Module, explain: str, task_names: Sequence[str]) -> nn.Module:
    """``model`` as the one-output model that attributions explain (``target=0``).

    Binary models become :class:`SummedOutputs` (the sum of the task
    logits for ``explain="sum"``, else the logit of the named task); profile models
    (:class:`attrprior.models.TsengProfileCNN`) become :class:`ProfileAttributionModel` over
    all tasks or the named one.

    Parameters
    ----------
    model : nn.Module
        A trained model, in output order of ``task_names``.
    explain : str
        ``"sum"`` or a task name (config key ``attribution.explain``).
    task_names : sequence of str
        The model's tasks in output order; empty for a model of one unnamed task.
    """
    tasks = explained_tasks(explain, task_names)
    if isinstance(model, TsengProfileCNN):
        return ProfileAttributionModel(model, tasks)
    return SummedOutputs(model, tasks)
