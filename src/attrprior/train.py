"""Training with an optional attribution prior or L2 penalty.

A *condition* (:class:`Condition`) says what is added to the correctness loss:
nothing, ``weight × prior`` on input-gradient × input attributions (computed with
double backpropagation, averaged over positive examples only), and/or an L2
penalty on all parameters. Priors are looked up by name in
:data:`attrprior.priors.PRIORS`, so a new condition is a new config entry, not
new code.

Conditions and settings are in :mod:`attrprior.conditions`, the objectives in
:mod:`attrprior.objectives`. One loop (:func:`train_model`) trains both kinds of model; an
*objective* turns a batch into its correctness, prior and L2 losses and computes the
validation metrics:

- :class:`BinaryObjective` (the default): classifiers mapping ``(N, 4, L)`` one-hot to
  ``(N, T)`` logits, batches of arrays ``(x, y)``, validation auROC;
- :class:`ProfileObjective`: Tseng et al.'s profile models mapping ``(x, control)`` to
  profile logits ``(N, T, S, L_out)`` and log counts ``(N, T, S)``, batches from
  :class:`attrprior.genomics.sampling.ProfileBatches`, the multinomial-NLL + counts-MSE loss, the
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
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from attrprior.conditions import MONITORS, Condition, TrainSettings
from attrprior.genomics.sampling import ProfileBatches
from attrprior.io import atomic_path
from attrprior.objectives import BatchSource, BinaryObjective, Objective

log = logging.getLogger(__name__)


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
        with negatives resampled each epoch, :class:`attrprior.genomics.sampling.BalancedWindows`).
        Profile: a :class:`attrprior.genomics.sampling.ProfileBatches` of training peaks and random
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
        # Summed on the device in float64, so that a GPU step does not wait for its losses.
        sums, n_batches = torch.zeros(3, dtype=torch.float64, device=run.device), 0
        for batch in run.batches(train):
            sums += run.train_step(batch)
            n_batches += 1
        sums = sums.cpu().numpy()
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
        self.optimiser.load_state_dict(_host_step_counts(saved["optimiser"]))
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

    def batches(
        self,
        train,
        device: torch.device | None = None,
        reverse_complement: bool | None = None,
    ) -> Iterator:
        """The next epoch's training batches (see :meth:`Objective.epoch`), on ``device``
        (default: the training device), with their reverse complements appended if
        ``reverse_complement`` (default: the settings')."""
        if reverse_complement is None:
            reverse_complement = self.settings.reverse_complement
        return self.objective.epoch(
            train,
            self.settings.batch_size,
            self.rng,
            self.device if device is None else device,
            reverse_complement,
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

    def train_step(self, batch) -> torch.Tensor:
        """One training step on ``batch``; its correctness, prior and L2 losses, detached,
        ``(3,)`` float64, on the device."""
        losses = self.objective.losses(self.model, batch, self.condition)
        self.step(losses)
        return torch.stack(losses).detach().double()

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


def _host_step_counts(optimiser_state: dict) -> dict:
    """``optimiser_state`` with Adam's step counts on the host, where a new optimiser keeps
    them: the state is loaded onto the training device, and ``load_state_dict`` leaves a
    step count where it is (unless the optimiser is capturable or fused, when it moves it to
    the device itself); on a GPU each step would then read every count back from the
    device."""
    state = {
        index: {
            key: value.cpu() if key == "step" and hasattr(value, "cpu") else value
            for key, value in values.items()
        }
        for index, values in optimiser_state["state"].items()
    }
    return {**optimiser_state, "state": state}


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
