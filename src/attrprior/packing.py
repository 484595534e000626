"""Several seeds of one model trained together as one batched model ("packed seeds").

The seeds of a condition differ only in their random state, and the papers' models are
small, so one model leaves a GPU mostly idle. :func:`train_packed` trains S seeds of one
architecture in lockstep: each step stacks the S models' parameters and runs them as one
model over a ``(S, N, 4, L)`` batch (:func:`torch.func.vmap` over
:func:`torch.func.functional_call`, which turns the convolutions into grouped ones), computes
the S seeds' losses together (``pack_losses``), and takes each seed's Adam step
(:class:`PackedAdam`). On a GPU a small model's step costs its kernel launches rather than
its arithmetic, so the operations of a step should not grow with S, and the host should not
wait for the device: a packed step of 10 CNN-shallow seeds dispatches 1.8 times the
operations of one seed's step, sends the seeds' batches in one copy per field, and reads a
device value back only to select the positives of a prior (``benchmarks/step_dispatch.py``).

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
import warnings
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, vmap

from attrprior.conditions import Condition, TrainSettings
from attrprior.models import Dropout, build_model, fixed_batch_statistics
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

    Parameters
    ----------
    models : sequence of nn.Module
        Same architecture (same parameter and buffer names and shapes), on one device; not
        moved after the pack is made (it keeps their tensors).
    generators : sequence of torch.Generator
        Each model's dropout stream (:func:`seed_generator`).

    Attributes
    ----------
    models : list of nn.Module
    device : torch.device
        The models' device.

    Notes
    -----
    Calling the pack on ``x`` ``(S, N, ...)`` (and further inputs, each ``(S, N, ...)`` or
    None) returns the stacked outputs ``(S, N, ...)`` (a tuple of them for a model with
    several outputs);
    gradients reach each model's own parameters, and each model's BatchNorm running
    statistics are updated as its own forward pass would update them. In training mode each
    :class:`attrprior.models.Dropout` layer gets, per model, a mask drawn from that model's
    generator in the order in which the model calls its dropout layers.
    """

    def __init__(self, models: Sequence[nn.Module], generators: Sequence[torch.Generator]):
        if len(models) != len(generators):
            raise ValueError(f"{len(models)} models but {len(generators)} generators")
        self.models = list(models)
        self.generators = list(generators)
        # Looked up once: walking the modules at every step costs more host time than a
        # small model's step on a GPU. Training updates these tensors in place.
        self._parameters = [dict(m.named_parameters()) for m in self.models]
        self._buffers = [dict(m.named_buffers()) for m in self.models]
        self.device = next(iter(self._parameters[0].values())).device
        shapes = [
            {name: tuple(t.shape) for name, t in [*params.items(), *buffers.items()]}
            for params, buffers in zip(self._parameters, self._buffers, strict=True)
        ]
        if any(other != shapes[0] for other in shapes[1:]):
            raise ValueError("packed models must have the same architecture")
        self._base = copy.deepcopy(self.models[0]).to("meta")
        self._dropouts = [m for m in self._base.modules() if isinstance(m, Dropout)]
        self._dropout_shapes: dict[tuple[int, ...], list[tuple[Dropout, tuple[int, ...]]]] = {}
        self._last_masks: list[torch.Tensor] | None = None
        self._last_call: tuple[tuple[int, ...], bool] | None = None

    def stacked_parameters(self) -> dict[str, torch.Tensor]:
        """The models' parameters stacked by name, each ``(S, ...)``; gradients reach each
        model's own parameters."""
        own = self._parameters
        return {name: torch.stack([p[name] for p in own]) for name in own[0]}

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
        n = x.shape[1]
        per_seed = [[] for _ in self.generators]
        calls = self._dropout_calls(tuple(x.shape[2:]))
        for seed_masks, generator in zip(per_seed, self.generators, strict=True):
            for module, shape in calls:
                if module.p == 0:
                    seed_masks.append(torch.ones((n, *shape), device=x.device))
                else:
                    mask = torch.empty((n, *shape), device=x.device)
                    seed_masks.append(mask.bernoulli_(1 - module.p, generator=generator))
        return [torch.stack(masks) for masks in zip(*per_seed, strict=True)]

    def _one(self, params, buffers, x, masks, *args):
        calls = self._dropout_calls(tuple(x.shape[1:])) if masks else []
        for (module, _), mask in zip(calls, masks, strict=True):
            module.mask = mask
        try:
            return functional_call(self._base, (params, buffers), (x, *args))
        finally:
            for module, _ in calls:
                module.mask = None

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
        own_buffers = self._buffers
        params = self.stacked_parameters()
        buffers = {name: torch.stack([b[name] for b in own_buffers]) for name in own_buffers[0]}
        if not fixed_statistics:
            self._last_masks = self._masks(x, training)
            self._last_call = (tuple(x.shape), training)
        elif self._last_call != (tuple(x.shape), training):
            raise ValueError(
                "fixed_statistics reuses the dropout masks of the previous call, which must "
                f"have the same input shape and mode: got {(tuple(x.shape), training)}, "
                f"previous {self._last_call}"
            )
        with warnings.catch_warnings(), ExitStack() as stack:
            # BatchNorm's running-statistics update (lerp_) has no batching rule yet and
            # falls back to a loop over the seeds: correct, a little slower.
            warnings.filterwarnings("ignore", message=".*batching rule.*")
            if fixed_statistics:
                stack.enter_context(fixed_batch_statistics(self._base))
            in_dims = (0, 0, 0, 0, *(None if a is None else 0 for a in args))
            out = vmap(self._one, in_dims=in_dims, randomness="error")(
                params, buffers, x, self._last_masks, *args
            )
        if fixed_statistics or not buffers:  # nothing to copy back
            return out
        with torch.no_grad():  # one multi-tensor copy per dtype for all the models' buffers
            by_dtype: dict[torch.dtype, tuple[list, list]] = {}
            for name, stacked in buffers.items():
                targets, values = by_dtype.setdefault(stacked.dtype, ([], []))
                targets += [own[name] for own in own_buffers]
                values += stacked.unbind()
            for targets, values in by_dtype.values():
                torch._foreach_copy_(targets, values)
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
    adam = PackedAdam()
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
        pack = SeedPack([runs[i].model for i in active], [runs[i].generator for i in active])
        for i in active:
            runs[i].model.train()
        conditions_now = [runs[i].condition for i in active]
        optimisers = [runs[i].optimiser for i in active]
        weights = SeedWeights.of(conditions_now, device)
        # Summed on the device, in float64 as train_model sums: no wait for it at each step.
        sums, n_batches = torch.zeros((len(active), 3), dtype=torch.float64, device=device), 0
        # Batches stay on the host until pack_losses stacks them: one copy per step.
        host = torch.device("cpu")
        epochs = [runs[i].batches(train[i], host) for i in active]
        for batches in zip(*epochs, strict=True):
            sums += train_pack_step(
                objective, pack, batches, conditions_now, optimisers, adam, weights
            )
            n_batches += 1
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
    optimisers: Sequence[torch.optim.Adam],
    adam: PackedAdam,
    weights: SeedWeights | None = None,
) -> torch.Tensor:
    """One training step of each seed of ``pack`` on its batch: what
    :meth:`attrprior.train.SeedRun.train_step` does for one seed.

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
    optimisers : sequence of torch.optim.Adam
        Each seed's, stepped together by ``adam``.
    adam : PackedAdam
    weights : SeedWeights, optional
        The conditions' weights (made once per epoch by :func:`train_packed`); made here when
        not given.

    Returns
    -------
    torch.Tensor, shape=(S, 3), float64
        Each seed's correctness, prior and L2 losses, detached, on the device.
    """
    losses = objective.pack_losses(pack, batches, conditions)
    weights = SeedWeights.of(conditions, pack.device) if weights is None else weights
    for optimiser in optimisers:
        optimiser.zero_grad()
    weights.total_loss(losses).sum().backward()
    adam.step(optimisers)
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
    """The Adam steps of a pack's seeds, taken together.

    Each seed keeps its own :class:`torch.optim.Adam`: its state, learning rate and schedule,
    what a resumed run loads and saves. :meth:`step` updates the seeds whose hyperparameters
    are equal (all of them, until a schedule cuts one seed's rate) with one Adam over all
    their parameters that works on the seeds' own state. Adam updates each parameter from
    its own gradient and state only (the step count included), so this is each seed's own
    step; on a GPU its multi-tensor operations launch a few kernels for all seeds' tensors
    together instead of a few per seed. One combined Adam is kept per set of seeds and
    hyperparameters met (a cut learning rate or a seed stopping early makes a new one).
    """

    def __init__(self) -> None:
        self._combined: dict[tuple, tuple[list[torch.optim.Adam], torch.optim.Adam]] = {}

    def step(self, optimisers: Sequence[torch.optim.Adam]) -> None:
        """One step of each optimiser (each with one parameter group)."""
        groups: dict[tuple, list[torch.optim.Adam]] = {}
        for optimiser in optimisers:
            (group,) = optimiser.param_groups
            settings = tuple(sorted((k, v) for k, v in group.items() if k != "params"))
            groups.setdefault(settings, []).append(optimiser)
        for settings, members in groups.items():
            key = (settings, tuple(id(member) for member in members))
            if key not in self._combined:
                parameters = [p for member in members for p in member.param_groups[0]["params"]]
                adam = torch.optim.Adam([{"params": parameters, **dict(settings)}])
                # The members are kept with it: while they live, no other object has their id.
                self._combined[key] = (list(members), adam)
            combined = self._combined[key][1]
            for member in members:  # linked each step: loading a state replaces these dicts
                for parameter in member.param_groups[0]["params"]:
                    combined.state[parameter] = member.state[parameter]
            combined.step()


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
