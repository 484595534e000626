"""A training condition (the prior, its weight and how it is applied; what data it trains
on) and the training settings, read from the config's ``conditions`` and ``training``
sections; the automatic prior weight (``weight: auto``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from attrprior.losses import LOSSES
from attrprior.priors import PRIORS
from attrprior.workflow.checks import PROFILE_FOURIER_FREQ_LIMIT, tuned_key

ATTRIBUTION_KINDS = ("grad_x_input", "gradient")


PRIOR_EXAMPLES = ("positives", "all")


# How the prior's input gradients are taken in training mode (Condition.prior_gradient).
PRIOR_GRADIENTS = ("batch_sum", "per_example")


# Keys of a ``conditions:`` entry that set the loss (read by Condition.from_config) and
# those that choose the training examples instead (``keep_positives``: the strongest share
# of each task's peaks, applied by attrprior.genomics.sampling in rule train_model).
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


#: Default prior parameters of profile models (Tseng et al.: T = 200 for the profile models).
PROFILE_PRIOR_DEFAULTS: dict[str, dict[str, object]] = {
    "fourier": {"freq_limit": PROFILE_FOURIER_FREQ_LIMIT}
}
