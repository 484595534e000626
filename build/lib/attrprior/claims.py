"""The claims of the two papers that a run can test, and the rule that judges each.

A *claim* (:class:`Claim`) is a statement of one of the papers that a run can test: a
direction ("the Fourier prior lowers the entropy of attributions, Wilcoxon p < 1e-6") or a
range ("20–40 % of positions lie more than 30° off the simplex"). It is tested on the
datasets of one paper target (config key ``paper.<target>``), on every *unit* (dataset ×
model × method) those datasets hold, with the same statistical test the paper used
(:mod:`attrprior.scorecard` measures them).

The verdict rule (:func:`direction_verdict`, :func:`range_verdict`,
:func:`claim_verdict`) is explicit:

- a direction claim is **reproduced** when the effect has the paper's sign and the one-sided
  p-value is below the paper's level (``alpha``; 0.05 where the paper states no test);
- it is **underpowered** when fewer than ``min_seeds`` seeds ran per side, or when the test
  cannot reach ``alpha`` at the sample size run, whatever the data (the smallest attainable
  exact p-value, :func:`smallest_p_value`, is not below ``alpha``);
- otherwise it is **not reproduced** (wrong sign, or right sign and p not below ``alpha``);
- a range claim is **reproduced** when the value lies in the range, else **not reproduced**;
- a claim with no unit measured is **not run**.

Over its units, a claim is reproduced when every unit is; not reproduced when any unit is;
otherwise (some units underpowered, none failed) underpowered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from attrprior.stats import (
    HIGHER_IS_BETTER,
)

VERDICTS = ("reproduced", "not reproduced", "underpowered", "not run")


DEFAULT_ALPHA = 0.05


MIN_SEEDS = 3


def smallest_p_value(test: str, n: int, n_other: int | None = None) -> float:
    """The smallest one-sided p-value SciPy's test can give at a sample size, whatever the
    data: what decides whether a claim's level can be reached at all.

    Parameters
    ----------
    test : str
        ``wilcoxon`` (signed-rank, ``n`` pairs) or ``mannwhitney`` (``n`` and ``n_other``
        values).
    n, n_other : int
        Sample sizes.

    Returns
    -------
    float
        The p-value of the most extreme data (all differences of one sign; complete
        separation) under the method ``scipy.stats`` uses by default at these sizes without
        ties: Wilcoxon exact ``2^-n`` up to 50 pairs, else the normal approximation;
        Mann–Whitney exact ``1 / C(n + m, n)`` when a sample has fewer than 8 values, else
        the normal approximation with continuity correction. 1.0 when a sample is empty.
    """
    from scipy.stats import norm

    if test == "wilcoxon":
        if n < 1:
            return 1.0
        if n <= 50:
            return 0.5**n
        mean, var = n * (n + 1) / 4, n * (n + 1) * (2 * n + 1) / 24
        return float(norm.sf((n * (n + 1) / 2 - mean) / math.sqrt(var)))
    if test == "mannwhitney":
        if n_other is None:
            raise ValueError("mannwhitney: n_other is needed")
        if n < 1 or n_other < 1:
            return 1.0
        if min(n, n_other) < 8:
            return 1.0 / math.comb(n + n_other, n)
        mean, var = n * n_other / 2, n * n_other * (n + n_other + 1) / 12
        return float(norm.sf((n * n_other - mean - 0.5) / math.sqrt(var)))
    raise ValueError(f"unknown test {test!r}; known: wilcoxon, mannwhitney")


def direction_verdict(
    effect: float,
    expected_sign: int,
    p: float,
    alpha: float,
    smallest_p: float,
    n_seeds: int,
    min_seeds: int = MIN_SEEDS,
) -> str:
    """Verdict of one unit of a direction claim (rule in the module docstring).

    Parameters
    ----------
    effect : float
        Our effect (better side minus worse side, in the metric's units); NaN if not measured.
    expected_sign : int
        +1 or -1: the sign the paper reports.
    p : float
        Our one-sided p-value in the paper's direction.
    alpha : float
        The paper's level.
    smallest_p : float
        :func:`smallest_p_value` of the test at our sample size.
    n_seeds : int
        Seeds per side (the smaller side).
    min_seeds : int
        Fewer seeds than this: underpowered.
    """
    if expected_sign not in (1, -1):
        raise ValueError(f"expected_sign must be +1 or -1, got {expected_sign!r}")
    if not np.isfinite(effect):
        return "not run"
    if n_seeds < min_seeds or smallest_p >= alpha:
        return "underpowered"
    if np.sign(effect) == expected_sign and np.isfinite(p) and p < alpha:
        return "reproduced"
    return "not reproduced"


def range_verdict(value: float, low: float, high: float) -> str:
    """``reproduced`` when ``low <= value <= high``; ``not run`` for NaN."""
    if not np.isfinite(value):
        return "not run"
    return "reproduced" if low <= value <= high else "not reproduced"


def claim_verdict(unit_verdicts: Sequence[str]) -> str:
    """A claim's verdict over its units (rule in the module docstring)."""
    unknown = set(unit_verdicts) - set(VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts {sorted(unknown)}; known: {VERDICTS}")
    measured = [v for v in unit_verdicts if v != "not run"]
    if not measured:
        return "not run"
    if "not reproduced" in measured:
        return "not reproduced"
    if all(v == "reproduced" for v in measured):
        return "reproduced"
    return "underpowered"


@dataclass(frozen=True)
class Claim:
    """One testable statement of a paper.

    Attributes
    ----------
    id : str
        Short stable name, e.g. ``tseng_stability``.
    paper : str
        ``tseng2020`` or ``majdandzic2023`` (as in :func:`paper_values`).
    source : str
        Where the paper says it.
    statement : str
        The claim in words.
    target : str
        The paper target whose datasets (config ``paper.<target>``) test it.
    metric : str
        The metric compared (a column of the score tables; :data:`HIGHER_IS_BETTER` gives
        its direction).
    compare : str
        What is compared: ``condition`` (training condition ``better`` vs ``worse``, raw
        maps), ``correction`` (corrected vs raw maps of the reference condition),
        ``activation`` (exponential vs ReLU first layer, raw maps of the reference
        condition), ``range`` (the value of raw saliency maps of the reference
        condition lies in ``[low, high]``), or ``ensemble`` (each ensemble member's
        corrected vs raw map, by its distance to the ensemble's average map).
    test : str
        ``wilcoxon`` (paired over sequences; ``ensemble``: over the ensemble's models),
        ``mannwhitney`` (over seeds) or ``range``.
    better, worse : str
        For ``condition``: the two conditions (``better`` is expected to be better on the
        metric). For ``comparison`` of stability (Table 2): ``better`` and ``worse`` are
        conditions and ``scope`` the comparison ("across seeds", "all vs 1% data").
    alpha : float
        The paper's level (:data:`DEFAULT_ALPHA` where it states no test).
    low, high : float
        The range of a range claim.
    scope : str
        Table 2 only: which similarity (``across seeds`` or ``all vs``).
    min_excess : float
        Figure 5 only: units are the datasets with at least this GC excess.
    models : tuple of str, optional
        The papers' model names (:func:`paper_model_name`) the claim is about; None: all.
    methods : tuple of str, optional
        Correction claims: the attribution methods the claim is about; None: all.
    paper_filter : mapping
        Columns of :func:`paper_values` that select the paper's numbers shown beside ours.
    """

    id: str
    paper: str
    source: str
    statement: str
    target: str
    metric: str
    compare: str
    test: str
    better: str = ""
    worse: str = ""
    alpha: float = DEFAULT_ALPHA
    low: float = float("nan")
    high: float = float("nan")
    scope: str = ""
    min_excess: float = 0.0
    models: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    paper_filter: Mapping[str, str] | None = None

    @property
    def expected_sign(self) -> int:
        """+1 if the better side should have the larger value of the metric, else -1."""
        return 1 if HIGHER_IS_BETTER[self.metric] else -1


def _tseng(id, source, statement, target, metric, test, better="fourier", worse="none", **kw):
    return Claim(
        id=id,
        paper="tseng2020",
        source=source,
        statement=statement,
        target=target,
        metric=metric,
        compare=kw.pop("compare", "condition"),
        test=test,
        better=better,
        worse=worse,
        **kw,
    )


def _koo(id, statement, metric, compare, test, **kw):
    return Claim(
        id=id,
        paper="majdandzic2023",
        source=kw.pop("source", "Results, Figure 1"),
        statement=statement,
        target=kw.pop("target", "fig1_koo"),
        metric=metric,
        compare=compare,
        test=test,
        **kw,
    )


def _p(level):
    return {"alpha": level}


CLAIMS: tuple[Claim, ...] = (
    _tseng(
        "tseng_table1_auroc",
        "Table 1",
        "The Fourier prior improves binary models' test auROC (paper: best of 30 seeds)",
        "table1",
        "test_auroc",
        "mannwhitney",
        paper_filter={"target": "table1", "metric": "test_auroc"},
    ),
    _tseng(
        "tseng_table1_aupr",
        "Table 1",
        "The Fourier prior improves binary models' test auPRC (paper: best of 30 seeds)",
        "table1",
        "test_aupr",
        "mannwhitney",
        paper_filter={"target": "table1", "metric": "test_aupr"},
    ),
    _tseng(
        "tseng_stability",
        "Table 2, Section 6",
        "The Fourier prior raises the stability of attributions across seeds (continuous "
        "Jaccard), Wilcoxon p < 1e-6",
        "table2",
        "stability",
        "wilcoxon",
        scope="across seeds",
        paper_filter={"target": "table2", "metric": "stability", "condition_in": "none,fourier"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_stability_subsampled",
        "Table 2, Section 6",
        "With the Fourier prior, models trained on 1% of the data are more similar to models "
        "trained on all of it, Wilcoxon p < 1e-6",
        "table2",
        "stability",
        "wilcoxon",
        scope="all vs",
        paper_filter={
            "target": "table2",
            "metric": "stability",
            "condition_in": "none_vs_keep1,fourier_vs_keep1",
        },
        **_p(1e-6),
    ),
    _tseng(
        "tseng_summit_distance",
        "Table 3, Section 7",
        "The Fourier prior places importance closer to peak summits (more negative Spearman "
        "correlation of importance with summit distance), Wilcoxon p < 1e-6",
        "table3",
        "summit_spearman",
        "wilcoxon",
        paper_filter={"target": "table3", "metric": "summit_spearman"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_peaks_auprc",
        "Table 3, Section 7",
        "Profile models: the Fourier prior raises the auPRC of importance-ranked bases against "
        "called peaks (the paper: always on profile models; not on binary Nanog/Oct4/Sox2)",
        "table3",
        "peaks_auprc",
        "mannwhitney",
        models=("profile",),
        paper_filter={"target": "table3", "metric": "peaks_auprc", "model": "profile"},
    ),
    _tseng(
        "tseng_footprints_auprc",
        "Table 4, Section 7",
        "Profile models: the Fourier prior raises the auPRC of importance-ranked bases against "
        "footprints / ChIP-nexus peaks (the paper: not on binary K562)",
        "table4",
        "footprints_auprc",
        "mannwhitney",
        models=("profile",),
        paper_filter={"target": "table4", "metric": "footprints_auprc", "model": "profile"},
    ),
    _tseng(
        "tseng_footprint_fraction",
        "Table 4, Section 7",
        "The Fourier prior raises the fraction of importance on footprints / ChIP-nexus "
        "peaks, Wilcoxon p < 1e-6",
        "table4",
        "fraction_in_footprints",
        "wilcoxon",
        paper_filter={"target": "table4", "metric": "fraction_in_footprints"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_highfreq",
        "Section 5, Figure 2A",
        "The Fourier prior lowers the high-frequency Fourier content of attributions, "
        "Wilcoxon p < 1e-6",
        "fig2",
        "highfreq",
        "wilcoxon",
        paper_filter={"target": "fig2", "metric": "highfreq"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_entropy",
        "Section 5, Figure 2B",
        "The Fourier prior lowers the Shannon entropy of attributions, Wilcoxon p < 1e-6",
        "fig2",
        "entropy",
        "wilcoxon",
        paper_filter={"target": "fig2", "metric": "entropy"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_simulation_fraction",
        "Section 7 (synthetic SPI1)",
        "The Fourier prior places a larger fraction of importance in the planted motif, "
        "Wilcoxon p < 1e-6",
        "table_simulation",
        "fraction_in_motif",
        "wilcoxon",
        paper_filter={"target": "table_simulation", "metric": "fraction_in_motif"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_simulation_auprc",
        "Section 7 (synthetic SPI1)",
        "The Fourier prior raises the auPRC of importance-ranked bases against motif "
        "instances (paper: 0.607 vs 0.422)",
        "table_simulation",
        "motif_auprc",
        "mannwhitney",
        paper_filter={"target": "table_simulation", "metric": "motif_auprc"},
    ),
    _tseng(
        "tseng_vs_l2_highfreq",
        "Section 8.1",
        "Fourier prior vs L2 regularisation: lower high-frequency content, Wilcoxon p < 1e-6",
        "table_baselines",
        "highfreq",
        "wilcoxon",
        worse="l2",
        paper_filter={"target": "table_baselines", "metric": "highfreq"},
        **_p(1e-6),
    ),
    _tseng(
        "tseng_vs_l2_entropy",
        "Section 8.1",
        "Fourier prior vs L2 regularisation: lower entropy, Wilcoxon p < 1e-6",
        "table_baselines",
        "entropy",
        "wilcoxon",
        worse="l2",
        paper_filter={"target": "table_baselines", "metric": "entropy"},
        **_p(1e-6),
    ),
    *(
        _tseng(
            f"tseng_vs_{prior}_valid_loss",
            "Section 8.2",
            f"Fourier prior vs the {prior} prior: lower validation loss, Mann-Whitney p < 5e-4",
            "table_baselines",
            "valid_loss",
            "mannwhitney",
            worse=prior,
            paper_filter={
                "target": "table_baselines",
                "condition_in": f"fourier,{prior},{prior}_tuned",
                "metric": "valid_loss",
            },
            **_p(5e-4),
        )
        for prior in ("smoothness", "sparsity")
    ),
    *(
        _tseng(
            f"tseng_vs_{prior}_tuned_{metric}",
            "Section 8.2",
            statement.format(prior=prior, value=value),
            "table_baselines",
            metric,
            "mannwhitney",
            worse=f"{prior}_tuned",
            paper_filter={
                "target": "table_baselines",
                "condition_in": f"fourier,{prior}_tuned",
                "metric": metric,
            },
        )
        for metric, statement, values in (
            (
                "valid_loss",
                "Fourier prior (weight not tuned) vs the {prior} prior with its weight tuned "
                "on validation loss: the Fourier prior's validation loss is still lower "
                "(paper: 0.262 vs {value})",
                {"smoothness": "0.268", "sparsity": "0.269"},
            ),
            (
                "peaks_auprc",
                "Tuned for validation loss, the {prior} prior loses its interpretability "
                "edge: peak-overlap auPRC below the Fourier prior's (paper: {value} vs 0.616)",
                {"smoothness": "0.601", "sparsity": "0.597"},
            ),
        )
        for prior, value in values.items()
    ),
    _tseng(
        "tseng_gc_reliance",
        "Section 9, Figure 5",
        "With GC-biased training positives, models with the Fourier prior rely less on GC "
        "content (higher GC reliance score) than models without",
        "fig5",
        "gc_reliance",
        "wilcoxon",
        min_excess=0.01,
        paper_filter={"target": "fig5", "metric": "gc_reliance"},
    ),
    *(
        _koo(
            f"koo_correction_{metric}",
            f"The gradient correction improves every gradient method's {label} (saliency, "
            "integrated gradients, SmoothGrad, expected gradients: corrected better than raw)",
            metric,
            "correction",
            "wilcoxon",
            methods=("saliency", "integrated_gradients", "smoothgrad", "expected_gradients"),
            paper_filter={"target": "fig1_koo", "metric_prefix": f"{prefix}_"},
        )
        for metric, label, prefix in (
            ("cosine", "cosine similarity to the ground truth", "cosine"),
            ("auroc", "interpretability AUROC", "auroc"),
            ("aupr", "interpretability AUPR", "aupr"),
        )
    ),
    *(
        _koo(
            f"koo_angles_above_{threshold}",
            f"{100 * low:g}–{100 * high:g} % of positions of raw saliency maps lie more than "
            f"{threshold}° off the simplex (billboard data)",
            f"above_{threshold}",
            "range",
            "range",
            low=low,
            high=high,
            paper_filter={"target": "fig1_koo", "metric": f"above_{threshold}"},
        )
        for threshold, low, high in ((30, 0.20, 0.40), (45, 0.10, 0.20), (60, 0.05, 0.15))
    ),
    _koo(
        "koo_ensemble_difference",
        "Correcting a single model's saliency map brings it closer to the average map of an "
        "ensemble of models with 12-30 first-layer filters, the paper's proxy for the truth "
        "(ensemble difference reduction; ChIP-seq): distance lower after correction, paired "
        "over the ensemble's models",
        "ensemble_distance",
        "ensemble",
        "wilcoxon",
        source="Methods (ensemble difference reduction), Supplementary Fig. 3",
        target="fig_koo_ensemble",
        better="corrected",
        worse="raw",
    ),
    _koo(
        "koo_exponential_activation",
        "Exponential first-layer activations give more interpretable saliency maps than "
        "ReLU (cosine similarity to the ground truth; Koo & Ploenzke 2021, used by the paper)",
        "cosine",
        "activation",
        "wilcoxon",
        source="Background (Koo & Ploenzke 2021)",
        better="exponential",
        worse="relu",
    ),
)
