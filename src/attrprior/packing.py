"""Several seeds of one model trained together as one batched model ("packed seeds").

The seeds of a condition differ only in their random state, and the papers' models are
small, so one model leaves a GPU mostly idle. :func:`train_packed` trains S seeds of one
architecture in lockstep. For an epoch the S models' parameters and buffers are held
stacked (:class:`SeedPack`). Each step runs them as one model over a ``(S, N, 4, L)`` batch
(:func:`torch.func.vmap` over :func:`torch.func.functional_call`, which turns the
convolutions into grouped ones), computes the S seeds' losses together (``pack_losses``),
and takes the seeds' Adam steps on the stacked parameters (:class:`PackedAdam`). At the end
of the epoch the models and their optimisers get their own tensors back.

On a GPU a small model's step costs its kernel launches rather than its arithmetic, so the
operations of a step should not grow with S, and the host should not wait for the device:
a packed step of 10 CNN-shallow seeds dispatches 1.2 times the operations of one seed's
step, sends the seeds' batches in one copy per field, and reads a device value back only
to select the positives of a prior (``benchmarks/step_dispatch.py``).

Each seed keeps everything it has when trained alone by
:func:`attrprior.train.train_model`: its initialisation, batch order (its own NumPy stream),
dropout masks (its own torch stream, see :class:`attrprior.models.Dropout`), optimiser,
learning-rate schedule, early stopping and history. A seed that stops early
leaves the pack; the others go on.

On CPU a packed seed's dropout masks are bit-for-bit those of the seed trained alone (its
stream starts from the global torch state after the model was built); its weights agree
to float tolerance, not bitwise, because a grouped convolution sums in another order than
S separate ones. On a GPU the masks come from a CUDA generator seeded with the seed, so a
packed seed and the same seed trained alone are two different (equally seeded) draws.

The binary and the profile objectives pack their losses (``pack_losses``); an objective
without them has its seeds trained one after another by :func:`attrprior.train.train_model`.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, vmap

from attrprior.conditions import Condition, TrainSettings
from attrprior.models import BatchNorm1d, Dropout, build_model, fixed_batch_statistics
from attrprior.objectives import BinaryObjective, Objective, uses_prior
from attrprior.train import SeedRun, epoch_means, train_model

log = logging.getLogger(__name__)


def seed_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """The torch stream of a packed seed's dropout masks.

    Call it right after building the seed's model under ``torch.manual_seed(seed)``: on CPU
    the stream continues the global state, as the masks of the seed trained alone do; on a
    GPU it is a CUDA generator seeded with ``seed``.
    """
    device = torch.device(device)
    generator = torch.Generator(device=device)
    if device.type == "cpu":
        generator.set_state(torch.get_rng_state())
    else:
        generator.manual_seed(seed)
    return generator


def build_seeds(
    architecture: dict, seeds: Sequence[int], device: torch.device | str = "cpu"
) -> tuple[list[nn.Module], list[torch.Generator]]:
    """The models of ``seeds``, each built under ``torch.manual_seed(seed)`` (as one seed's
    training job builds it) and moved to ``device``, and their dropout streams
    (:func:`seed_generator`, drawn right after each build).

    ``architecture`` holds :func:`attrprior.models.build_model`'s keyword arguments.
    """
    models, generators = [], []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(build_model(**architecture).to(device))
        generators.append(seed_generator(seed, device))
    return models, generators


class SeedPack:
    """S models of one architecture evaluated as one batched model.

    The pack holds the models' parameters and buffers stacked, each ``(S, ...)``
    (:attr:`parameters`, :attr:`buffers`): a training step computes with and updates these,
    and :meth:`store` copies them back into the models. So a step stacks nothing, and its
    gradients and optimiser step work on a few stacked tensors instead of S models' each.

    Parameters
    ----------
    models : sequence of nn.Module
        Same architecture (same parameter and buffer names and shapes), on one device. The
        pack copies their parameters and buffers when it is made; :meth:`store` overwrites
        whatever the models hold then.
    generators : sequence of torch.Generator
        Each model's dropout stream (:func:`seed_generator`).

    Attributes
    ----------
    models : list of nn.Module
    parameters : dict of str to torch.Tensor
        The models' parameters stacked by name, each ``(S, ...)``, leaves that collect the
        gradients of every seed.
    buffers : dict of str to torch.Tensor
        The models' buffers stacked by name, each ``(S, ...)`` (BatchNorm's running
        statistics, updated by the calls in training mode).
    device : torch.device
        The models' device.

    Notes
    -----
    Calling the pack on ``x`` ``(S, N, ...)`` (and further inputs, each ``(S, N, ...)`` or
    None) returns the stacked outputs ``(S, N, ...)`` (a tuple of them for a model with
    several outputs), computed with :attr:`parameters`; each seed's BatchNorm running
    statistics in :attr:`buffers` are updated as its own forward pass would update them.
    The models themselves change only at :meth:`store`. In training mode (the models' mode
    when the pack is called) each :class:`attrprior.models.Dropout` layer gets, per model, a
    mask drawn from that model's generator in the order in which the model calls its
    dropout layers.
    """

    def __init__(self, models: Sequence[nn.Module], generators: Sequence[torch.Generator]):
        if len(models) != len(generators):
            raise ValueError(f"{len(models)} models but {len(generators)} generators")
        self.models = list(models)
        self.generators = list(generators)
        self._own_parameters = [dict(m.named_parameters()) for m in self.models]
        self._own_buffers = [dict(m.named_buffers()) for m in self.models]
        shapes = [
            {name: tuple(t.shape) for name, t in [*params.items(), *buffers.items()]}
            for params, buffers in zip(self._own_parameters, self._own_buffers, strict=True)
        ]
        if any(other != shapes[0] for other in shapes[1:]):
            raise ValueError("packed models must have the same architecture")
        with torch.no_grad():
            self.parameters = {
                name: torch.stack([own[name] for own in self._own_parameters]).requires_grad_(
                    parameter.requires_grad
                )
                for name, parameter in self._own_parameters[0].items()
            }
            self.buffers = {
                name: torch.stack([own[name] for own in self._own_buffers])
                for name in self._own_buffers[0]
            }
        self.device = next(iter(self.parameters.values())).device
        self._base = copy.deepcopy(self.models[0]).to("meta")
        self._dropouts = [m for m in self._base.modules() if isinstance(m, Dropout)]
        self._batchnorms = {
            m: name for name, m in self._base.named_modules() if isinstance(m, BatchNorm1d)
        }
        cumulative = [
            name or type(m).__name__
            for name, m in self._base.named_modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)
            and m.momentum is None
            and m.track_running_stats
        ]
        if cumulative:
            # Their update reads the batch count on the host, which vmap cannot do.
            raise ValueError(
                "packed seeds need BatchNorm layers with a momentum; momentum=None (a "
                f"cumulative average) in {cumulative}"
            )
        self._statistics_layers: list[BatchNorm1d] = []
        self._dropout_shapes: dict[tuple[int, ...], list[tuple[Dropout, tuple[int, ...]]]] = {}
        self._last_masks: list[torch.Tensor] | None = None
        self._last_call: tuple[tuple[int, ...], bool] | None = None

    def store(self) -> None:
        """Copy :attr:`parameters` and :attr:`buffers` into the models (one multi-tensor copy
        per dtype)."""
        by_dtype: dict[torch.dtype, tuple[list, list]] = {}
        for stacked, own in (
            (self.parameters, self._own_parameters),
            (self.buffers, self._own_buffers),
        ):
            for name, values in stacked.items():
                targets, sources = by_dtype.setdefault(values.dtype, ([], []))
                targets += [model[name] for model in own]
                sources += values.detach().unbind()
        with torch.no_grad():
            for targets, sources in by_dtype.values():
                torch._foreach_copy_(targets, sources)

    def _dropout_calls(self, example_shape: tuple[int, ...]) -> list[tuple[Dropout, tuple]]:
        """The dropout layers in the order a forward pass calls them, with the shape of one
        example's input to each (found once per input shape on the meta device)."""
        if not self._dropouts:  # e.g. the profile model, whose forward also needs its control
            return []
        if example_shape not in self._dropout_shapes:
            calls = []

            def record(module, inputs):
                calls.append((module, tuple(inputs[0].shape[1:])))

            hooks = [m.register_forward_pre_hook(record) for m in self._dropouts]
            try:
                with torch.no_grad():
                    self._base.train()
                    self._base(torch.zeros((2, *example_shape), device="meta"))
            finally:
                for hook in hooks:
                    hook.remove()
            self._dropout_shapes[example_shape] = calls
        return self._dropout_shapes[example_shape]

    def _masks(self, x: torch.Tensor, training: bool) -> list[torch.Tensor]:
        """Per dropout call, the stacked masks ``(S, N, *shape)`` (empty when not training)."""
        if not training:
            return []
        stacked = []
        for module, shape in self._dropout_calls(tuple(x.shape[2:])):
            masks = torch.ones((len(self.generators), x.shape[1], *shape), device=x.device)
            stacked.append(masks)
            if module.p == 0:
                continue
            for mask, generator in zip(masks, self.generators, strict=True):
                mask.bernoulli_(1 - module.p, generator=generator)
        return stacked

    def _one(self, params, buffers, x, masks, *args):
        """One seed's forward pass (run under ``vmap``): its outputs, and the batch means and
        unbiased variances of its BatchNorm layers, in call order."""
        calls = self._dropout_calls(tuple(x.shape[1:])) if masks else []
        for (module, _), mask in zip(calls, masks, strict=True):
            module.mask = mask
        sink: list = []
        for layer in self._batchnorms:
            layer.statistics_sink = sink
        try:
            out = functional_call(self._base, (params, buffers), (x, *args))
        finally:
            for module, _ in calls:
                module.mask = None
            for layer in self._batchnorms:
                layer.statistics_sink = None
        self._statistics_layers = [layer for layer, _, _ in sink]
        return out, [mean for _, mean, _ in sink], [variance for _, _, variance in sink]

    def _update_running_statistics(
        self, means: list[torch.Tensor], variances: list[torch.Tensor]
    ) -> None:
        """Update :attr:`buffers` from the seeds' batch statistics (each ``(S, C)``, in the
        order of :attr:`_statistics_layers`) as each seed's own layers would: one
        multi-tensor update per momentum for all layers and seeds (a layer called twice in a
        pass has its second update applied after its first)."""
        calls: Counter = Counter()
        updates: dict[tuple[int, float], tuple[list, list, list]] = {}
        for layer, mean, variance in zip(self._statistics_layers, means, variances, strict=True):
            name = self._batchnorms[layer]
            prefix = f"{name}." if name else ""  # "" when the model is the layer itself
            key = (calls[layer], layer.momentum)
            calls[layer] += 1
            targets, values, counters = updates.setdefault(key, ([], [], []))
            targets += [self.buffers[f"{prefix}running_mean"], self.buffers[f"{prefix}running_var"]]
            values += [mean, variance]
            counters.append(self.buffers[f"{prefix}num_batches_tracked"])
        with torch.no_grad():
            for key in sorted(updates, key=lambda key: key[0]):
                targets, values, counters = updates[key]
                torch._foreach_lerp_(targets, values, key[1])
                torch._foreach_add_(counters, 1)

    def __call__(
        self, x: torch.Tensor, *args: torch.Tensor | None, fixed_statistics: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """The stacked outputs ``(S, N, ...)`` of ``x`` ``(S, N, ...)`` and the further
        inputs ``args`` (each ``(S, N, ...)``, or None where the model takes None).

        With ``fixed_statistics`` (training mode), the models' BatchNorm layers hold their
        batch statistics fixed (:func:`attrprior.models.fixed_batch_statistics`) and the
        dropout masks of the previous call are used again: the outputs of that call, with
        each example's depending on its own input only.
        """
        if x.shape[0] != len(self.models):
            raise ValueError(f"x has {x.shape[0]} seeds, the pack {len(self.models)} models")
        training = self.models[0].training
        self._base.train(training)
        if not fixed_statistics:
            self._last_masks = self._masks(x, training)
            self._last_call = (tuple(x.shape), training)
        elif self._last_call != (tuple(x.shape), training):
            raise ValueError(
                "fixed_statistics reuses the dropout masks of the previous call, which must "
                f"have the same input shape and mode: got {(tuple(x.shape), training)}, "
                f"previous {self._last_call}"
            )
        with ExitStack() as stack:
            if fixed_statistics:
                stack.enter_context(fixed_batch_statistics(self._base))
            in_dims = (0, 0, 0, 0, *(None if a is None else 0 for a in args))
            out, means, variances = vmap(self._one, in_dims=in_dims, randomness="error")(
                self.parameters, self.buffers, x, self._last_masks, *args
            )
        self._update_running_statistics(means, variances)
        return out


def train_packed(
    models: Sequence[nn.Module],
    train: Sequence,
    valid,
    conditions: Sequence[Condition],
    settings: TrainSettings,
    seeds: Sequence[int],
    generators: Sequence[torch.Generator],
    device: torch.device | str = "cpu",
    objective: Objective | None = None,
    resumes: Sequence[str | os.PathLike | None] | None = None,
    resume_keys: Sequence[str] | None = None,
) -> list[tuple[dict[str, torch.Tensor], pd.DataFrame]]:
    """Train S seeds of one model and condition together; what :func:`train_model` returns,
    per seed.

    Parameters
    ----------
    models : sequence of nn.Module
        S models of one architecture, each built under ``torch.manual_seed(seed)``.
    train : sequence
        Each seed's training data, as :func:`attrprior.train.train_model`'s ``train``
        (usually the same object S times). Every seed's epoch must have the same batch
        sizes.
    valid
        The validation data (shared).
    conditions : sequence of Condition
        Each seed's condition; they may differ in their weights only (``weight: auto``).
    settings : TrainSettings
    seeds : sequence of int
        Each seed's batch-order seed, as ``train_model``'s ``seed``.
    generators : sequence of torch.Generator
        Each seed's dropout stream, :func:`seed_generator` called right after building the
        seed's model.
    device : torch.device or str
    objective : Objective, optional
        Default ``BinaryObjective(settings.loss)``. Without a ``pack_losses`` method the
        seeds are trained one after another.
    resumes, resume_keys : sequences, optional
        Each seed's training-state file and key, as ``train_model``'s ``resume`` and
        ``resume_key``.

    Returns
    -------
    list of (best_state, history)
    """
    n = len(models)
    resumes = [None] * n if resumes is None else list(resumes)
    resume_keys = [""] * n if resume_keys is None else list(resume_keys)
    per_seed = (train, conditions, seeds, generators, resumes, resume_keys)
    if {len(values) for values in per_seed} != {n}:
        raise ValueError("train_packed needs one model, data, condition, seed and generator each")
    objective = BinaryObjective(settings.loss) if objective is None else objective
    if not hasattr(objective, "pack_losses"):
        log.info("%s has no packed losses: training the %d seeds one by one", objective, n)
        results = []
        for model, data, condition, seed, generator, resume, key in zip(
            models, train, conditions, seeds, generators, resumes, resume_keys, strict=True
        ):
            if generator.device.type == "cpu":  # the dropout stream of the seed alone
                torch.set_rng_state(generator.get_state())
            results.append(
                train_model(
                    model, data, valid, condition, settings, seed, device, objective, resume, key
                )
            )
        return results
    _check_conditions(conditions)
    runs = [
        SeedRun(model, condition, settings, seed, device, objective, resume, key, generator)
        for model, condition, seed, resume, key, generator in zip(
            models, conditions, seeds, resumes, resume_keys, generators, strict=True
        )
    ]
    for epoch in range(min(run.next_epoch for run in runs), settings.max_epochs + 1):
        # A seed stopped early, or already past this epoch in a resumed pack, waits.
        active = [i for i, run in enumerate(runs) if not run.finished and run.next_epoch == epoch]
        if not active:
            if all(run.finished for run in runs):
                break
            continue
        start = time.perf_counter()
        # Seeds of equal learning rates next to one another: one Adam group for each rate.
        active.sort(key=lambda i: -runs[i].optimiser.param_groups[0]["lr"])
        pack = SeedPack([runs[i].model for i in active], [runs[i].generator for i in active])
        for i in active:
            runs[i].model.train()
        conditions_now = [runs[i].condition for i in active]
        adam = PackedAdam(pack, [runs[i].optimiser for i in active])
        weights = SeedWeights.of(conditions_now, device)
        # Summed on the device, in float64 as train_model sums: no wait for it at each step.
        sums, n_batches = torch.zeros((len(active), 3), dtype=torch.float64, device=device), 0
        # Batches stay on the host until pack_losses stacks them (one copy per step and
        # field) and appends their reverse complements on the device (half the bytes).
        host = torch.device("cpu")
        epochs = [runs[i].batches(train[i], host, reverse_complement=False) for i in active]
        for batches in zip(*epochs, strict=True):
            sums += train_pack_step(
                objective,
                pack,
                batches,
                conditions_now,
                adam,
                weights,
                settings.reverse_complement,
            )
            n_batches += 1
        pack.store()
        adam.store()
        del pack, adam  # the stacked copies, before validation
        sums = sums.cpu().numpy()
        seconds = (time.perf_counter() - start) / len(active)
        for row, i in enumerate(active):
            runs[i].end_epoch(epoch, valid, epoch_means(sums[row], n_batches), seconds)
    return [run.result() for run in runs]


def train_pack_step(
    objective: Objective,
    pack: SeedPack,
    batches: Sequence,
    conditions: Sequence[Condition],
    adam: PackedAdam,
    weights: SeedWeights | None = None,
    reverse_complement: bool = False,
) -> torch.Tensor:
    """One training step of each seed of ``pack`` on its batch: what
    :meth:`attrprior.train.SeedRun.train_step` does for one seed. The step updates the
    pack's stacked parameters and ``adam``'s state; the models and their optimisers get them
    at ``pack.store()`` and ``adam.store()``.

    Parameters
    ----------
    objective : Objective
        With a ``pack_losses`` method.
    pack : SeedPack
        The S models.
    batches : sequence
        Each seed's batch, on the host or on the pack's device.
    conditions : sequence of Condition
        Each seed's.
    adam : PackedAdam
        The seeds' optimisers, on ``pack``'s parameters.
    weights : SeedWeights, optional
        The conditions' weights (made once per epoch by :func:`train_packed`); made here when
        not given.
    reverse_complement : bool
        Append the batches' reverse complements (after their copy to the device).

    Returns
    -------
    torch.Tensor, shape=(S, 3), float64
        Each seed's correctness, prior and L2 losses, detached, on the device.
    """
    losses = objective.pack_losses(pack, batches, conditions, reverse_complement)
    weights = SeedWeights.of(conditions, pack.device) if weights is None else weights
    adam.zero_grad()
    weights.total_loss(losses).sum().backward()
    adam.step()
    return torch.stack(losses, dim=1).detach().double()


@dataclass(frozen=True)
class SeedWeights:
    """The prior and L2 weights of a pack's seeds: one float when the seeds share it, else
    ``(S,)`` float64 on the device, made once (a tensor made from Python values at each step
    would make the host wait for the device at each step).

    Attributes
    ----------
    prior, l2 : float or torch.Tensor, shape=(S,)
    """

    prior: float | torch.Tensor
    l2: float | torch.Tensor

    @classmethod
    def of(cls, conditions: Sequence[Condition], device: torch.device | str) -> SeedWeights:
        """The weights of ``conditions`` (one per seed)."""

        def weight(values: list[float]) -> float | torch.Tensor:
            if len(set(values)) == 1:
                return values[0]
            return torch.tensor(values, dtype=torch.float64, device=device)

        return cls(
            weight([c.prior_weight for c in conditions]), weight([c.l2_weight for c in conditions])
        )

    def total_loss(self, losses: Sequence[torch.Tensor]) -> torch.Tensor:
        """Each seed's optimised loss, ``(S,)``, from its correctness, prior and L2 losses
        (each ``(S,)``): :meth:`attrprior.train.SeedRun.total_loss` of every seed at once."""
        correctness, prior, l2 = losses

        def cast(weight: float | torch.Tensor) -> float | torch.Tensor:
            # Rounded as a Python float would be: to the losses' dtype, on the device.
            return weight.to(correctness.dtype) if isinstance(weight, torch.Tensor) else weight

        return correctness + cast(self.prior) * prior + cast(self.l2) * l2


class PackedAdam:
    """The Adam steps of a pack's seeds, taken on the pack's stacked parameters.

    Each seed keeps its own :class:`torch.optim.Adam`: its state, learning rate and schedule,
    what a resumed run loads and saves. While the pack trains, one Adam steps the pack's
    stacked parameters (:attr:`SeedPack.parameters`) with the seeds' state stacked the same
    way; :meth:`store` gives each seed's optimiser its state back. A run of consecutive
    seeds with equal hyperparameters and step counts (all seeds, until a schedule cuts one
    seed's rate) is one parameter group, so a step works on a few stacked tensors per run
    rather than on each seed's tensors; :func:`train_packed` orders the seeds so that equal
    ones are consecutive. Adam updates each number from its own gradient and state (and the
    step count), so this is bit for bit each seed's own step (``tests/test_packing.py``).

    Parameters
    ----------
    pack : SeedPack
    optimisers : sequence of torch.optim.Adam
        Each seed's, in the pack's order, each with one parameter group holding exactly its
        model's parameters.
    """

    def __init__(self, pack: SeedPack, optimisers: Sequence[torch.optim.Adam]) -> None:
        if len(optimisers) != len(pack.models):
            raise ValueError(f"{len(optimisers)} optimisers for a pack of {len(pack.models)}")
        for seed, optimiser in enumerate(optimisers):
            if len(optimiser.param_groups) != 1:
                raise ValueError(
                    f"optimiser {seed} has {len(optimiser.param_groups)} parameter groups; "
                    "PackedAdam needs one"
                )
            (group,) = optimiser.param_groups
            own = pack._own_parameters[seed].values()
            if {id(p) for p in group["params"]} != {id(p) for p in own}:
                raise ValueError(f"optimiser {seed} does not hold exactly its model's parameters")
        self.pack = pack
        self.optimisers = list(optimisers)
        # (first seed, last seed + 1, parameter name, view of the stacked parameter)
        self._views: list[tuple[int, int, str, torch.Tensor]] = []
        groups = []
        for start, stop, settings in self._runs():
            views = []
            for name, stacked in pack.parameters.items():
                view = stacked.detach()[start:stop]  # a leaf sharing the pack's storage
                views.append(view)
                self._views.append((start, stop, name, view))
            groups.append({"params": views, **settings})
        self.adam = torch.optim.Adam(groups)
        for start, stop, name, view in self._views:
            states = [self._state(seed, name) for seed in range(start, stop)]
            if states[0]:  # the runs are made so that all or none of a run's seeds have one
                self.adam.state[view] = {
                    key: value.clone() if key == "step" else torch.stack([s[key] for s in states])
                    for key, value in states[0].items()
                }

    def _state(self, seed: int, name: str) -> dict[str, torch.Tensor]:
        optimiser = self.optimisers[seed]
        return optimiser.state.get(self.pack._own_parameters[seed][name], {})

    def _runs(self) -> list[tuple[int, int, dict]]:
        """Maximal runs of consecutive seeds with equal hyperparameters and step counts:
        ``(start, stop, hyperparameters)``."""
        keys = []
        for seed, optimiser in enumerate(self.optimisers):
            (group,) = optimiser.param_groups
            settings = tuple(sorted((k, v) for k, v in group.items() if k != "params"))
            # Read on the host: the step counts of a non-capturable Adam live there.
            steps = tuple(
                float(state["step"]) if state else None
                for state in (self._state(seed, name) for name in self.pack.parameters)
            )
            keys.append((settings, steps))
        runs = []
        for seed, key in enumerate(keys):
            if runs and keys[runs[-1][0]] == key:
                runs[-1][1] = seed + 1
            else:
                runs.append([seed, seed + 1])
        return [(start, stop, dict(keys[start][0])) for start, stop in runs]

    def zero_grad(self) -> None:
        """Drop the gradients of the pack's parameters."""
        for stacked in self.pack.parameters.values():
            stacked.grad = None
        for *_, view in self._views:
            view.grad = None

    def step(self) -> None:
        """One Adam step of every seed, from the gradients of the pack's parameters."""
        parameters = self.pack.parameters
        for start, stop, name, view in self._views:
            grad = parameters[name].grad
            view.grad = None if grad is None else grad[start:stop]
        self.adam.step()

    def store(self) -> None:
        """Give each seed's optimiser its state (copies, not views of the stacked state)."""
        for start, stop, name, view in self._views:
            state = self.adam.state.get(view)
            if not state:
                continue
            for seed in range(start, stop):
                own = self.pack._own_parameters[seed][name]
                self.optimisers[seed].state[own] = {
                    key: value.clone() if key == "step" else value[seed - start].clone()
                    for key, value in state.items()
                }


def _check_conditions(conditions: Sequence[Condition]) -> None:
    """Packed seeds share one input-gradient pass and one prior computation: their
    attribution settings, and the prior of those with a prior term, must agree."""
    kinds = {(c.attribution, c.correct_gradients, c.prior_gradient) for c in conditions}
    if len(kinds) > 1:
        raise ValueError(
            "packed seeds must share the attribution, correct_gradients and prior_gradient "
            f"of their condition, got {sorted(kinds)}"
        )
    priors = {
        (c.prior, repr(sorted(c.prior_params.items())), c.examples)
        for c in conditions
        if uses_prior(c)
    }
    if len(priors) > 1:
        raise ValueError(
            "packed seeds with a prior term must share its prior, params and examples, got "
            f"{sorted(priors)}"
        )
