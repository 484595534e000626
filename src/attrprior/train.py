"""Training with an optional attribution prior or L2 penalty.

A *condition* (:class:`Condition`) says what is added to the correctness loss:
nothing, ``weight × prior`` on input-gradient × input attributions (computed with
double backpropagation, averaged over positive examples only), and/or an L2
penalty on all parameters. Priors are looked up by name in
:data:`attrprior.priors.PRIORS`, so a new condition is a new config entry, not
new code.
"""

from __future__ import annotations

import copy
import logging
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from attrprior.losses import LOSSES
from attrprior.models import TsengBinaryCNN
from attrprior.priors import PRIORS, l2_penalty, prior_loss

log = logging.getLogger(__name__)


ATTRIBUTION_KINDS = ("grad_x_input", "gradient")
PRIOR_EXAMPLES = ("positives", "all")


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
        Which examples the prior is averaged over (Tseng et al.: positives only).
    """

    prior: str | None = None
    prior_weight: float = 0.0
    prior_params: Mapping[str, object] = field(default_factory=dict)
    l2_weight: float = 0.0
    attribution: str = "grad_x_input"
    correct_gradients: bool = False
    examples: str = "positives"

    def __post_init__(self) -> None:
        if self.prior is not None and self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {sorted(PRIORS)} or None, got {self.prior!r}")
        if self.prior_weight < 0 or self.l2_weight < 0:
            raise ValueError("prior_weight and l2_weight must be non-negative")
        if self.attribution not in ATTRIBUTION_KINDS:
            raise ValueError(f"attribution must be one of {ATTRIBUTION_KINDS}")
        if self.examples not in PRIOR_EXAMPLES:
            raise ValueError(f"examples must be one of {PRIOR_EXAMPLES}")

    @classmethod
    def from_config(cls, entry: Mapping[str, object] | None) -> Condition:
        """Build from a ``conditions:`` entry of the workflow config."""
        entry = dict(entry or {})
        if entry.get("weight") == "auto":
            raise ValueError(
                "weight 'auto' must be resolved first (automatic_prior_weight), "
                "then passed as a number"
            )
        return cls(
            prior=entry.get("prior"),
            prior_weight=float(entry.get("weight", 0.0)),
            prior_params=dict(entry.get("params", {})),
            l2_weight=float(entry.get("l2_weight", 0.0)),
            attribution=entry.get("attribution", "grad_x_input"),
            correct_gradients=bool(entry.get("correct_gradients", False)),
            examples=entry.get("examples", "positives"),
        )


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (defaults: the Koo-lab Keras training).

    ``loss`` names the correctness loss in :data:`attrprior.losses.LOSSES` (``"bce"``, or
    ``"balanced_bce"`` of Tseng et al.); ``reverse_complement`` doubles every training batch
    with reverse-complemented copies (Tseng et al.; the copies of positives are positives
    for the prior too).
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

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")


def input_attributions(
    model: nn.Module,
    x: torch.Tensor,
    kind: str = "grad_x_input",
    correct_gradients: bool = False,
    create_graph: bool = True,
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

    Returns
    -------
    attr : torch.Tensor
        ``(N, 4, L)`` attributions that keep the graph, so a loss on them trains the model.
    logits : torch.Tensor
        ``(N, T)``, from the same forward pass.
    """
    x = x.detach().requires_grad_(True)
    logits = model(x)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=create_graph)
    if correct_gradients:
        grad = grad - grad.mean(dim=1, keepdim=True)
    return (grad * x if kind == "grad_x_input" else grad), logits


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
    zero = x.new_zeros(())
    if condition.prior is not None and condition.prior_weight > 0:
        attr, logits = input_attributions(
            model, x, condition.attribution, condition.correct_gradients, create_graph
        )
        selected = (y > 0.5).any(dim=1)
        if condition.examples == "all":
            selected = torch.ones_like(selected)
        prior = prior_loss(condition.prior, attr, selected, **condition.prior_params)
    else:
        logits = model(x)
        prior = zero
    correctness = LOSSES[loss](logits, y)
    if hasattr(model, "kernel_l2"):
        correctness = correctness + model.kernel_l2()
    l2 = l2_penalty(model) if condition.l2_weight > 0 else zero
    return correctness, prior, l2, logits


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
    train: tuple[np.ndarray, np.ndarray] | BatchSource,
    valid: tuple[np.ndarray, np.ndarray],
    condition: Condition,
    settings: TrainSettings,
    seed: int,
    device: torch.device | str = "cpu",
) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
    """Train ``model`` in place; return the best weights and the per-epoch history.

    Parameters
    ----------
    model : nn.Module
        Maps ``(N, 4, L)`` one-hot to ``(N, T)`` logits; initialised by the caller (seed
        torch before building it).
    train : tuple of np.ndarray, or BatchSource
        ``(x, y)`` with x ``(N, 4, L)`` float32 and y ``(N, T)`` float32 (1, 0, or -1 for
        ambiguous labels that the loss ignores), shuffled each epoch; or an object whose
        ``batches(batch_size, rng)`` yields an epoch of such pairs (genomic windows with
        negatives resampled each epoch, :class:`attrprior.sampling.BalancedWindows`).
    valid : tuple of np.ndarray
        ``(x, y)`` as for ``train``.
    condition : Condition
        What is added to the correctness loss.
    settings : TrainSettings
        Optimiser, batch size, early stopping and learning-rate schedule.
    seed : int
        Seeds the batch order (weights are seeded by the caller).
    device : torch.device or str

    Returns
    -------
    best_state : dict
        A deep copy of the state dict at the epoch with the lowest validation correctness
        loss; the model is left holding these weights.
    history : pandas.DataFrame
        One row per epoch: train/valid correctness, prior and L2 losses, valid auROC,
        learning rate, seconds, and whether the epoch is the best so far.
    """
    device = torch.device(device)
    model.to(device)
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(
        model.parameters(), lr=settings.learning_rate, eps=settings.adam_eps
    )
    # lr_factor 1 means a constant learning rate (Tseng et al.).
    scheduler = (
        torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimiser, factor=settings.lr_factor, patience=settings.lr_patience
        )
        if settings.lr_factor < 1
        else None
    )
    source = train if hasattr(train, "batches") else ArrayBatches(*train)
    best_loss, best_state, since_best = np.inf, None, 0
    rows = []
    for epoch in range(1, settings.max_epochs + 1):
        start = time.perf_counter()
        model.train()
        sums, n_batches = np.zeros(3), 0
        for x_batch, y_batch in source.batches(settings.batch_size, rng):
            xb = torch.as_tensor(x_batch, device=device)
            yb = torch.as_tensor(y_batch, device=device)
            if settings.reverse_complement:
                xb, yb = reverse_complement_batch(xb, yb)
            correctness, prior, l2 = condition_losses(model, xb, yb, condition, settings.loss)
            loss = correctness + condition.prior_weight * prior + condition.l2_weight * l2
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            sums += [float(correctness.detach()), float(prior.detach()), float(l2.detach())]
            n_batches += 1
        valid_metrics = evaluate(
            model, *valid, condition, settings.batch_size, device, settings.loss
        )
        if scheduler is not None:
            scheduler.step(valid_metrics["correctness"])
        improved = valid_metrics["correctness"] < best_loss - settings.min_delta
        if improved:
            best_loss, since_best = valid_metrics["correctness"], 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
        row = {
            "epoch": epoch,
            "train_correctness": sums[0] / n_batches,
            "train_prior": sums[1] / n_batches,
            "train_l2": sums[2] / n_batches,
            "valid_correctness": valid_metrics["correctness"],
            "valid_prior": valid_metrics["prior"],
            "valid_auroc": valid_metrics["auroc"],
            "learning_rate": optimiser.param_groups[0]["lr"],
            "seconds": time.perf_counter() - start,
            "best": improved,
        }
        rows.append(row)
        log.info(
            "epoch %3d  train loss %.4f prior %.4f  valid loss %.4f prior %.4f auROC %.4f"
            "  lr %.1e  %.1fs%s",
            epoch,
            row["train_correctness"],
            row["train_prior"],
            row["valid_correctness"],
            row["valid_prior"],
            row["valid_auroc"],
            row["learning_rate"],
            row["seconds"],
            "  *best*" if improved else "",
        )
        if since_best >= settings.patience:
            log.info("early stop: no improvement for %d epochs", settings.patience)
            break
    model.load_state_dict(best_state)
    return best_state, pd.DataFrame(rows)


def automatic_prior_weight(
    reference: nn.Module,
    valid: tuple[np.ndarray, np.ndarray],
    condition: Condition,
    loss: str = "bce",
    fraction: float = 0.5,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
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
    valid : tuple of np.ndarray
        ``(x, y)``, x ``(N, 4, L)``, y ``(N, T)``.
    condition : Condition
        The condition whose weight is wanted; its ``prior_weight`` is ignored.

    Returns
    -------
    float
        The weight λ.
    """
    unit = Condition(**{**condition.__dict__, "prior_weight": 1.0})
    metrics = evaluate(reference, *valid, unit, batch_size, torch.device(device), loss)
    if not metrics["prior"] > 0:
        raise ValueError("the reference model's prior loss is 0: cannot scale the weight to it")
    return fraction * metrics["correctness"] / metrics["prior"]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; otherwise ``torch.device(name)``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def configure_torch(threads: int) -> None:
    """Deterministic kernels and a bounded thread count for one workflow job.

    CPU kernels are deterministic already. On CUDA, deterministic algorithms are requested
    with ``warn_only=True`` because DeepLIFT's max-unpooling has no deterministic CUDA kernel
    (its warning is silenced), and cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` before it starts.
    """
    torch.set_num_threads(threads)
    if torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        warnings.filterwarnings("ignore", message="max_unpool")


def gpu_smoke_test(device: str = "cuda", batch_size: int = 16, length: int = 1000) -> str:
    """List the GPUs this process sees and run one Fourier-prior training step on one.

    For checking a cluster setup (rule ``gpu_smoke_test``): a Tseng binary model, a random
    one-hot batch ``(batch_size, 4, length)`` half labelled positive, one Adam step with the
    Fourier prior (double backpropagation), on ``device``.

    Returns
    -------
    str
        A report: torch and CUDA versions, ``CUDA_VISIBLE_DEVICES``, each visible GPU (name,
        memory), the losses and the step time.

    Raises
    ------
    RuntimeError
        If ``device`` is a CUDA device and no GPU is visible, or the step gives a non-finite
        loss.
    """
    lines = [
        f"torch {torch.__version__}, CUDA build {torch.version.cuda}",
        f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '(unset)')}",
    ]
    target = torch.device(device)
    if target.type == "cuda":
        if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
            raise RuntimeError(
                "no CUDA device visible to this job: " + "; ".join(lines) + " (check the "
                "job's GPU request, e.g. resources gpu=1 / slurm_extra, and the driver)"
            )
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            lines.append(f"GPU {index}: {props.name}, {props.total_memory / 2**30:.1f} GiB")
    generator = torch.Generator().manual_seed(0)
    bases = torch.randint(0, 4, (batch_size, length), generator=generator)
    x = torch.nn.functional.one_hot(bases, 4).permute(0, 2, 1).float().to(target)
    y = (torch.arange(batch_size) < batch_size // 2).float()[:, None].to(target)
    torch.manual_seed(0)
    model = TsengBinaryCNN(length=length, n_tasks=1).to(target).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    condition = Condition(prior="fourier", prior_weight=1.0, prior_params={"freq_limit": 150})
    start = time.perf_counter()
    correctness, prior, _ = condition_losses(model, x, y, condition, "balanced_bce")
    loss = correctness + prior
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    if target.type == "cuda":
        torch.cuda.synchronize(target)
    seconds = time.perf_counter() - start
    if not torch.isfinite(loss):
        raise RuntimeError(f"smoke-test step on {target} gave a non-finite loss {loss.item()}")
    lines.append(
        f"one Fourier-prior step on {target}: correctness {correctness.item():.4f}, "
        f"prior {prior.item():.4f}, {seconds:.3f} s (first step, includes start-up)"
    )
    return "\n".join(lines) + "\n"
