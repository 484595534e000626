"""Can a profile model learn counts? A synthetic profile task with a known answer, and the
check that trains a model on it.

The task (:func:`simulate_profile_task`): random sequences, a share of them carrying one
motif near the centre; each strand's profile is Poisson reads of a peak on the motif over a
flat background, and the control is flat Poisson reads. Sequences with the motif have many
more reads than those without, so a model that reads the sequence can predict the total
count (log-count Pearson near 1), whatever the control says. :func:`counts_learnability`
trains a model on it with the profile loss and reports, over training steps, the held-out
profile NLL (beside a uniform profile's) and the log-count Pearson correlation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from attrprior.losses import multinomial_nll, profile_loss

__all__ = ["ProfileTask", "counts_learnability", "simulate_profile_task"]


@dataclass(frozen=True)
class ProfileTask:
    """A simulated profile task (one task, two strands, a two-strand control).

    Attributes
    ----------
    x : numpy.ndarray, shape (N, 4, L_in), float32
        One-hot sequences, bases A, C, G, T.
    profiles : numpy.ndarray, shape (N, 1, 2, L_out), float32
        Read counts per position of the central ``L_out`` bp, strands + and -.
    control : numpy.ndarray, shape (N, 1, 2, L_out), float32
        Control read counts, flat.
    motif_start : numpy.ndarray, shape (N,), int64
        Start of the motif in ``x`` (-1 for sequences without it).
    """

    x: np.ndarray
    profiles: np.ndarray
    control: np.ndarray
    motif_start: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    @property
    def log_counts(self) -> np.ndarray:
        """Observed ``log(1 + total reads)`` per strand, shape (N, 1, 2)."""
        return np.log1p(self.profiles.sum(axis=-1, dtype=np.float64))


def simulate_profile_task(
    n_examples: int,
    *,
    input_length: int = 1346,
    output_length: int = 1000,
    motif: str = "GGAATTCC",
    motif_fraction: float = 0.7,
    max_offset: int = 150,
    peak_reads: float = 60.0,
    peak_half_width: int = 5,
    strand_shift: int = 5,
    background_reads: float = 6.0,
    control_reads: float = 10.0,
    seed: int = 0,
) -> ProfileTask:
    """Simulate a profile task whose counts are set by one motif.

    Parameters
    ----------
    n_examples : int
        N, the number of sequences.
    input_length, output_length : int
        L_in and L_out (the profiles cover the central ``L_out`` bp of each sequence).
    motif : str
        Planted sequence (ACGT).
    motif_fraction : float
        Share of sequences carrying the motif.
    max_offset : int
        The motif's centre lies uniformly within ``± max_offset`` bp of the sequence centre.
    peak_reads : float
        Expected reads per strand in the peak (uniform over ``2 * peak_half_width + 1`` bp).
    peak_half_width : int
        Half width of each strand's peak (bp).
    strand_shift : int
        The + strand's peak is centred ``strand_shift`` bp before the motif's centre, the -
        strand's as far after it (reads of a bound site pile up on either side).
    background_reads, control_reads : float
        Expected reads per strand spread uniformly over the ``L_out`` bp: background of
        every profile, and the control.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ProfileTask
    """
    if n_examples < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples}")
    if not 0 < output_length <= input_length:
        raise ValueError(
            f"output_length must be in 1..input_length ({input_length}), got {output_length}"
        )
    if set(motif) - set("ACGT") or not motif:
        raise ValueError(f"motif must be a non-empty ACGT string, got {motif!r}")
    if not 0 <= motif_fraction <= 1:
        raise ValueError(f"motif_fraction must be in [0, 1], got {motif_fraction}")
    reach = max_offset + len(motif) // 2 + peak_half_width + strand_shift
    if 2 * reach >= output_length:
        raise ValueError(
            f"max_offset {max_offset}: the peaks would leave the {output_length}-bp profile"
        )
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n_examples, input_length))
    has_motif = rng.random(n_examples) < motif_fraction
    centres = input_length // 2 + rng.integers(-max_offset, max_offset + 1, size=n_examples)
    starts = np.where(has_motif, centres - len(motif) // 2, -1)
    motif_codes = np.array(["ACGT".index(b) for b in motif])
    for row in np.flatnonzero(has_motif):
        codes[row, starts[row] : starts[row] + len(motif)] = motif_codes
    x = np.eye(4, dtype=np.float32)[codes].transpose(0, 2, 1)

    offset = (input_length - output_length) // 2  # profile position 0 in the sequence
    rate = np.full((n_examples, 1, 2, output_length), background_reads / output_length)
    width = 2 * peak_half_width + 1
    for row in np.flatnonzero(has_motif):
        for strand, sign in ((0, -1), (1, 1)):
            peak = centres[row] - offset + sign * strand_shift
            rate[row, 0, strand, peak - peak_half_width : peak + peak_half_width + 1] += (
                peak_reads / width
            )
    profiles = rng.poisson(rate).astype(np.float32)
    control = rng.poisson(
        np.full((n_examples, 1, 2, output_length), control_reads / output_length)
    ).astype(np.float32)
    return ProfileTask(x=x, profiles=profiles, control=control, motif_start=starts)


def counts_learnability(
    model: nn.Module,
    train: ProfileTask,
    test: ProfileTask,
    *,
    steps: int,
    eval_every: int,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    count_weight: float = 20.0,
    seed: int = 0,
    progress: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Train a profile model on a simulated task and follow what it learns.

    Adam on :func:`attrprior.losses.profile_loss` (Tseng et al.'s count weight 20), batches
    drawn with replacement; the model's controls are passed when it has them
    (``model.control_strands`` not None). Weights are initialised by the caller (seed torch
    first).

    Parameters
    ----------
    model : nn.Module
        A :class:`attrprior.models.TsengProfileCNN` (or anything with its forward) whose
        input and output lengths match the task's.
    train, test : ProfileTask
    steps, eval_every : int
        Training steps, and the steps between evaluations on ``test`` (also at the end).
    batch_size : int
    learning_rate : float
    count_weight : float
    seed : int
        Seeds the batch draws.
    progress : callable, optional
        Called with each evaluation's row as it is made (long runs show progress).

    Returns
    -------
    pandas.DataFrame
        One row per evaluation: ``step``; ``profile_nll`` (mean multinomial NLL per track)
        and ``uniform_nll`` (that of a uniform profile, the no-skill level);
        ``count_pearson`` (observed against predicted log counts, strands pooled);
        ``count_mse`` and ``mean_mse`` (that of predicting the test mean, the no-skill
        level).
    """
    if steps < 1 or eval_every < 1:
        raise ValueError(f"steps and eval_every must be >= 1, got {steps} and {eval_every}")
    uses_control = getattr(model, "control_strands", None) is not None
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    rows = []
    for step in range(1, steps + 1):
        model.train()
        batch = rng.integers(0, len(train), size=batch_size)
        x = torch.from_numpy(train.x[batch])
        profiles = torch.from_numpy(train.profiles[batch])
        control = torch.from_numpy(train.control[batch]) if uses_control else None
        logits, log_counts = model(x, control)
        loss = profile_loss(logits, log_counts, profiles, count_weight)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % eval_every == 0 or step == steps:
            rows.append({"step": step, **_evaluate(model, test, uses_control, batch_size)})
            if progress is not None:
                progress(rows[-1])
    return pd.DataFrame(rows)


def _evaluate(model: nn.Module, test: ProfileTask, uses_control: bool, batch_size: int) -> dict:
    """Held-out profile NLL and log-count agreement (see counts_learnability)."""
    model.eval()
    nll, predicted = [], []
    with torch.no_grad():
        for start in range(0, len(test), batch_size):
            part = slice(start, start + batch_size)
            control = torch.from_numpy(test.control[part]) if uses_control else None
            logits, log_counts = model(torch.from_numpy(test.x[part]), control)
            nll.append(multinomial_nll(logits.double(), torch.from_numpy(test.profiles[part])))
            predicted.append(log_counts.double())
    profiles = torch.from_numpy(test.profiles).double()
    uniform = multinomial_nll(torch.zeros_like(profiles), profiles)
    observed = test.log_counts.ravel()
    predicted = torch.cat(predicted).numpy().ravel()
    return {
        "profile_nll": float(torch.cat(nll).mean()),
        "uniform_nll": float(uniform.mean()),
        "count_pearson": float(np.corrcoef(observed, predicted)[0, 1]),
        "count_mse": float(np.mean((observed - predicted) ** 2)),
        "mean_mse": float(np.var(observed)),
    }
