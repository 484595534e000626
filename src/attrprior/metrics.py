"""Evaluation metrics for attribution maps and classifiers (NumPy).

Attribution arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
Ground-truth probability matrices have the same layout; masks are ``(N, L)``
booleans. Inputs may be any array-like of floats; they are converted with
``np.asarray(..., dtype=float)``. Per-example metrics return an ``(N,)``
array with NaN where the metric is undefined for that example.

Tseng et al. (2020): ``fourier_highfreq``, ``attribution_entropy``,
``continuous_jaccard``, ``seed_stability``, ``cross_set_similarity``, ``fraction_in_mask``,
``mask_auprc``, ``gc_reliance``, ``summit_distance_correlation``. Majdandzic et al. (2023):
``information_content``, ``ground_truth_cosine``, ``interpretability_auc``,
``large_angle_fractions``, ``angle_histogram``. Both:
``classification_metrics``.

The workflow's score tables are in :mod:`attrprior.score_tables`; profile models' metrics in
:mod:`attrprior.profile_metrics`.
"""

from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import (
    accuracy_score,
    auc,
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
)


def _as_attr(x, name: str) -> np.ndarray:
    """`x` as a float array of shape (N, 4, L), or a ValueError naming it."""

    x = np.asarray(x, dtype=float)
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4, L), got {x.shape}.")
    return x


def _as_mask(mask, attr: np.ndarray, name: str = "mask") -> np.ndarray:
    """`mask` as a bool array of shape (N, L) matching `attr` (N, 4, L)."""

    mask = np.asarray(mask, dtype=bool)
    expected = (attr.shape[0], attr.shape[2])
    if mask.shape != expected:
        raise ValueError(f"{name} must have shape {expected} to match attr, got {mask.shape}.")
    return mask


def _check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ValueError naming both arguments unless their shapes agree."""

    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}."
        )


def _track(attr: np.ndarray) -> np.ndarray:
    """The per-position importance g_i = sum_b |a_{b,i}|, shape (N, L)."""

    return np.abs(attr).sum(axis=1)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0, without warnings."""

    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def fourier_highfreq(attr, freq_limit: int) -> np.ndarray:
    """Share of the attribution track's Fourier magnitude above a frequency.

    Tseng et al. Figure 2A / Table S2, as their evaluation code computes it:
    ``g_i = sum_b |a_{b,i}|`` (no smoothing); magnitudes ``|np.fft.fft(g)|``
    keeping bins ``k = 0 .. L//2 - 1`` (so the Nyquist bin of an even L is
    left out); DC dropped; magnitudes normalised to sum to 1 over
    ``k = 1 .. L//2 - 1`` (DC not in the sum, unlike the training prior);
    score = sum of the normalised magnitudes at ``k >= freq_limit + 1``.

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attributions (the paper uses DeepSHAP actual scores).
    freq_limit: int
        T. The score sums bins ``k > T``.

    Returns
    -------
    score: np.ndarray, shape=(N,)
        In [0, 1]; NaN where every kept non-DC magnitude is 0 (e.g. an
        all-zero or constant track).
    """

    attr = _as_attr(attr, "attr")
    if freq_limit < 0:
        raise ValueError(f"freq_limit must be >= 0, got {freq_limit}.")

    track = _track(attr)
    length = track.shape[-1]
    mags = np.abs(np.fft.fft(track, axis=-1))[:, 1 : length // 2]

    # Index j of `mags` is frequency k = j + 1, so k > T starts at j = T.
    return _safe_divide(mags[:, freq_limit:].sum(axis=-1), mags.sum(axis=-1))


def attribution_entropy(attr, pseudocount: float = 0.001) -> np.ndarray:
    """Shannon entropy (bits) of the attribution track as a distribution.

    Tseng et al. Figure 2B: ``p_i = (g_i + c) / sum_j (g_j + c)`` with
    ``g_i = sum_b |a_{b,i}|`` and pseudocount c; ``H = -sum_i p_i log2 p_i``
    (with 0 log 0 = 0).

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attributions.
    pseudocount: float, optional
        Added to every position before normalising. Default 0.001.

    Returns
    -------
    entropy: np.ndarray, shape=(N,)
        Between 0 and log2(L); NaN for an all-zero track with pseudocount 0.
    """

    attr = _as_attr(attr, "attr")
    if pseudocount < 0:
        raise ValueError(f"pseudocount must be >= 0, got {pseudocount}.")

    mass = _track(attr) + pseudocount
    p = _safe_divide(mass, mass.sum(axis=-1, keepdims=True))
    plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=-1)
    return np.where(np.isnan(p).any(axis=-1), np.nan, entropy)


def continuous_jaccard(a, b) -> np.ndarray:
    """Continuous Jaccard similarity of two attribution maps, per example.

    Tseng et al. Table 2 (per-position form): each position's 4-vector is
    L1-normalised in both maps, then per position

    ``J_i = sum_b min(|a_b|, |b_b|) sign(a_b) sign(b_b) / sum_b max(|a_b|, |b_b|)``

    (0 where the denominator is 0), and ``J = sum_i J_i``. A map compared
    with itself scores the number of its nonzero positions; scaling either
    map, or any of its positions, by a positive factor leaves J unchanged.

    Parameters
    ----------
    a: array-like, shape=(N, 4, L)
        First attribution maps (the paper uses hypothetical scores).
    b: array-like, shape=(N, 4, L)
        Second attribution maps.

    Returns
    -------
    similarity: np.ndarray, shape=(N,)
        Between -L and L.
    """

    a = _as_attr(a, "a")
    b = _as_attr(b, "b")
    _check_same_shape(a, b, "a", "b")

    # Zero positions stay zero (their ratio is set to 0 below).
    a = np.nan_to_num(_safe_divide(a, np.abs(a).sum(axis=1, keepdims=True)))
    b = np.nan_to_num(_safe_divide(b, np.abs(b).sum(axis=1, keepdims=True)))

    abs_a, abs_b = np.abs(a), np.abs(b)
    num = (np.minimum(abs_a, abs_b) * np.sign(a) * np.sign(b)).sum(axis=1)
    den = np.maximum(abs_a, abs_b).sum(axis=1)
    return np.nan_to_num(_safe_divide(num, den)).sum(axis=-1)


def _map_sets(**sets) -> list[list[np.ndarray]]:
    """Each keyword's attribution maps as ``(N, 4, L)`` arrays, all of the shape of the first
    set's first map (which callers make sure exists), or a ValueError naming the map
    (``name[i]``)."""

    converted = [
        [_as_attr(m, f"{name}[{i}]") for i, m in enumerate(maps)] for name, maps in sets.items()
    ]
    first, first_name = converted[0][0], f"{next(iter(sets))}[0]"
    for name, maps in zip(sets, converted, strict=True):
        for i, m in enumerate(maps):
            _check_same_shape(first, m, first_name, f"{name}[{i}]")
    return converted


def _mean_jaccard(pairs) -> np.ndarray:
    """Mean :func:`continuous_jaccard` of pairs ``(a, b)`` of map sets, per example."""

    return np.mean([continuous_jaccard(a, b) for a, b in pairs], axis=0)


def seed_stability(maps) -> np.ndarray:
    """Stability of attributions across models: mean pairwise continuous Jaccard, per example.

    Tseng et al. Table 2 ("similarity across random initializations"): the maps of the
    same examples from K models (e.g. K seeds) are compared pair by pair with
    :func:`continuous_jaccard`, and the K(K-1)/2 similarities of each example averaged.

    Parameters
    ----------
    maps: sequence of array-like, each shape=(N, 4, L)
        One attribution map set per model, the same N examples in the same order.

    Returns
    -------
    stability: np.ndarray, shape=(N,)
        Between -L and L; higher is more stable.
    """

    maps = list(maps)
    if len(maps) < 2:
        raise ValueError(f"seed_stability needs at least 2 maps, got {len(maps)}.")
    (maps,) = _map_sets(maps=maps)
    return _mean_jaccard([(a, b) for i, a in enumerate(maps) for b in maps[i + 1 :]])


def cross_set_similarity(
    maps, other_maps, *, skip_same_index: bool = False, ids=None, other_ids=None
) -> np.ndarray:
    """Similarity of attributions between two sets of models, per example.

    Tseng et al. Table 2 ("similarity between training on all vs 1% data"): every map of
    one set (e.g. the K seeds trained on all data) is compared with every map of the other
    (the M seeds trained on 1% of the data) with :func:`continuous_jaccard`, and the K x M
    similarities of each example averaged. Pairs within a set are not compared (that is
    :func:`seed_stability`).

    Parameters
    ----------
    maps: sequence of array-like, each shape=(N, 4, L)
        One attribution map set per model of the first set (K >= 1), the same N examples
        in the same order.
    other_maps: sequence of array-like, each shape=(N, 4, L)
        One map set per model of the second set (M >= 1), the same examples.
    skip_same_index: bool
        Leave out the pairs of the same id (default ids: the positions 0 … K-1): when both
        sets are seeds of one model, a seed's two models start from the same weights, which
        the reference's unseeded runs never do, and would look more alike than independent
        runs.
    ids, other_ids: sequence of int, optional
        The seed of each map set (e.g. the top 5 seeds of each condition), for
        ``skip_same_index``.

    Returns
    -------
    similarity: np.ndarray, shape=(N,)
        Between -L and L; higher means the two sets agree more.
    """

    maps, other_maps = list(maps), list(other_maps)
    if not maps or not other_maps:
        raise ValueError(
            f"cross_set_similarity needs at least 1 map per set, got {len(maps)} and "
            f"{len(other_maps)}."
        )
    ids = list(range(len(maps))) if ids is None else list(ids)
    other_ids = list(range(len(other_maps))) if other_ids is None else list(other_ids)
    if len(ids) != len(maps) or len(other_ids) != len(other_maps):
        raise ValueError("cross_set_similarity: one id per map set is needed")
    maps, other_maps = _map_sets(maps=maps, other_maps=other_maps)
    pairs = [
        (a, b)
        for i, a in zip(ids, maps, strict=True)
        for j, b in zip(other_ids, other_maps, strict=True)
        if not (skip_same_index and i == j)
    ]
    if not pairs:
        raise ValueError("cross_set_similarity: no pair left once pairs (i, i) are skipped")
    return _mean_jaccard(pairs)


def information_content(truth) -> np.ndarray:
    """Information content (bits) of each column of probability matrices.

    ``I_i = 2 + sum_b p_{b,i} log2 p_{b,i}`` with 0 log 0 = 0: 0 for a
    uniform (background) column, 2 for a deterministic one.

    Parameters
    ----------
    truth: array-like, shape=(N, 4, L)
        Probability matrices, each column summing to 1.

    Returns
    -------
    info: np.ndarray, shape=(N, L)
        Information per position.
    """

    truth = _as_attr(truth, "truth")
    plogp = np.where(truth > 0, truth * np.log2(np.where(truth > 0, truth, 1.0)), 0.0)
    return 2.0 + plogp.sum(axis=1)


def ground_truth_cosine(attr, truth) -> np.ndarray:
    """Cosine similarity between attribution maps and centred ground truth.

    Majdandzic et al.: the flattened ``(4, L)`` attribution map against the
    flattened ground-truth probability matrix minus 0.25, per sequence.

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attribution maps (e.g. saliency, corrected or not).
    truth: array-like, shape=(N, 4, L)
        Ground-truth probability matrices (0.25 in the background).

    Returns
    -------
    cosine: np.ndarray, shape=(N,)
        In [-1, 1]; NaN where either vector is all zero.
    """

    attr = _as_attr(attr, "attr")
    truth = _as_attr(truth, "truth")
    _check_same_shape(attr, truth, "attr", "truth")

    x = attr.reshape(len(attr), -1)
    y = (truth - 0.25).reshape(len(truth), -1)
    norms = np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1)
    return _safe_divide((x * y).sum(axis=-1), norms)


def interpretability_auc(
    attr,
    onehot,
    truth,
    threshold: float = 0.1,
    weak_as_negative: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sequence AUROC and AUPR of attributions against motif positions.

    Majdandzic et al.: the score of position i is ``sum_b attr_{b,i} x_{b,i}``
    (grad-times-input); positives are positions whose ground-truth
    information exceeds `threshold`; negatives are pure background positions
    (the sequence's least informative ones: information 0 for uniform 0.25
    columns, a little more for a GC-biased background). Motif positions with
    ``0 < info <= threshold`` are left out, as the paper states and as the
    reference code does (``helper.interpretability_performance`` of
    ``p-koo/GradientCorrection`` evaluates only positions with ``info >
    threshold`` or ``info == min(info)``). AUROC is ``roc_curve`` + ``auc``;
    AUPR is ``auc(recall, precision)`` on ``precision_recall_curve``
    (trapezoids, not average precision).

    ``weak_as_negative=True`` labels every position with ``info <= threshold``
    negative instead, as the older ``p-koo/exponential_activations`` helper
    did (it kept weak motif positions, with a threshold of 0.01).

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attribution maps.
    onehot: array-like, shape=(N, 4, L)
        One-hot input sequences.
    truth: array-like, shape=(N, 4, L)
        Ground-truth probability matrices.
    threshold: float, optional
        Information (bits) above which a position is a positive. Default 0.1.
    weak_as_negative: bool, optional
        Count weak motif positions as negatives (the older exponential_activations
        helper) instead of leaving them out (paper and GradientCorrection code).
        Default False.

    Returns
    -------
    auroc: np.ndarray, shape=(N,)
        NaN where a sequence has no positive or no negative position.
    aupr: np.ndarray, shape=(N,)
        NaN where a sequence has no positive or no negative position.
    """

    attr = _as_attr(attr, "attr")
    onehot = _as_attr(onehot, "onehot")
    truth = _as_attr(truth, "truth")
    _check_same_shape(attr, onehot, "attr", "onehot")
    _check_same_shape(attr, truth, "attr", "truth")

    scores = (attr * onehot).sum(axis=1)
    if not np.isfinite(scores).all():
        raise ValueError("attr holds non-finite values (NaN or inf)")
    info = information_content(truth)
    positive = info > threshold
    if weak_as_negative:
        negative = ~positive
    else:
        # Background positions: the sequence's least informative ones (information 0 at
        # uniform 0.25; a little above 0 for a GC-biased background), as the reference
        # keeps ``info == min(info)``.
        negative = np.isclose(info, info.min(axis=1, keepdims=True), atol=1e-6) & ~positive

    auroc = np.full(len(attr), np.nan)
    aupr = np.full(len(attr), np.nan)
    for n in range(len(attr)):
        if not positive[n].any() or not negative[n].any():
            continue
        keep = positive[n] | negative[n]
        auroc[n], aupr[n] = _auroc_aupr(positive[n][keep], scores[n][keep])
    return auroc, aupr


def _auroc_aupr(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Trapezoid areas under the ROC and the precision-recall curve of one ranking.

    scikit-learn's ``auc(*roc_curve(labels, scores)[:2])`` and ``auc(recall, precision)`` on
    ``precision_recall_curve(labels, scores)``, computed from the same curve points by the
    same arithmetic (``numpy.trapezoid`` where scikit-learn calls SciPy's ``trapezoid``, the
    same formula), so equal to the last bit (``tests/test_metrics.py``), without
    scikit-learn's input checks: the three scikit-learn calls took about 2 ms per sequence
    and map, about 20 times this function. Equal bits keep the tables of earlier runs: the
    rank tests of :mod:`attrprior.stats` round away round-off, but not perfectly.

    Parameters
    ----------
    labels : numpy.ndarray of bool, shape (M,)
        Positives; at least one positive and one negative.
    scores : numpy.ndarray of float, shape (M,)
        Higher means more likely positive.

    Returns
    -------
    auroc, aupr : float
    """
    order = np.argsort(scores, kind="mergesort")[::-1]
    scores, labels = scores[order], labels[order]
    # The last position of each run of equal scores: one threshold per distinct score.
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(labels, dtype=float)[last]
    fps = last + 1 - tps
    # roc_curve keeps the curve's corners only (drop_intermediate) and starts at (0, 0).
    corner = np.ones(fps.size, dtype=bool)
    if fps.size > 2:
        corner[1:-1] = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
    roc_fps, roc_tps = np.r_[0.0, fps[corner]], np.r_[0.0, tps[corner]]
    auroc = np.trapezoid(roc_tps / roc_tps[-1], roc_fps / roc_fps[-1])
    # precision_recall_curve: recall decreasing, ending at (recall 0, precision 1).
    precision, recall = tps / (tps + fps), tps / tps[-1]
    aupr = -np.trapezoid(np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0])
    return float(auroc), float(aupr)


def fraction_in_mask(attr, mask) -> np.ndarray:
    """Share of each example's absolute attribution that lies in a mask.

    Tseng et al. (synthetic SPI1): ``sum_{i in mask} g_i / sum_i g_i`` with
    ``g_i = sum_b |a_{b,i}|``.

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attributions (actual scores).
    mask: array-like, shape=(N, L), dtype=bool
        Positions inside motifs (or peaks, footprints).

    Returns
    -------
    fraction: np.ndarray, shape=(N,)
        In [0, 1]; NaN for an all-zero map, and NaN for an example whose mask is empty
        (a window with no footprint or ChIP-nexus peak): Tseng et al.'s notebooks set those
        to NaN and drop them from the mean and the Wilcoxon test (Table 4), rather than
        count them as 0.
    """

    attr = _as_attr(attr, "attr")
    mask = _as_mask(mask, attr)
    track = _track(attr)
    fraction = _safe_divide((track * mask).sum(axis=-1), track.sum(axis=-1))
    fraction[~mask.any(axis=-1)] = np.nan
    return fraction


def mask_auprc(attr, mask) -> float:
    """auPRC of positions ranked by absolute attribution against a mask.

    Tseng et al. (peak / motif / footprint overlap): all positions of all
    examples are pooled, scored by ``g_i = sum_b |a_{b,i}|`` and labelled by
    the mask; ``precision_recall_curve`` then ``auc(recall, precision)``.

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attributions (actual scores).
    mask: array-like, shape=(N, L), dtype=bool
        Positive positions.

    Returns
    -------
    auprc: float
        NaN when the mask holds no position.
    """

    attr = _as_attr(attr, "attr")
    mask = _as_mask(mask, attr)
    if not mask.any():
        return float("nan")
    precision, recall, _ = precision_recall_curve(mask.ravel(), _track(attr).ravel())
    return float(auc(recall, precision))


def gc_reliance(attr, mask) -> np.ndarray:
    """How much a model scores G/C against A/T in the background (Figure 5).

    Tseng et al. Section 9 ("average product of G/C importance and A/T
    importance in the background"), as their notebook
    ``importance_compare_to_gc_content_simulations.ipynb`` computes it on
    DeepSHAP *hypothetical* scores h, per example:

    - ``m = max_{b,i} h_{b,i}``, the (signed) maximum of the whole map;
    - at each position i outside the mask: ``gc_i = (h_C + h_G) / m`` and
      ``at_i = (h_A + h_T) / m``;
    - score = mean over those positions of ``gc_i * at_i``.

    A model that uses GC content scores G/C up and A/T down at the same
    position, so the score is negative, the more so the heavier the
    reliance. Actual scores (hypothetical times one-hot) have one nonzero
    base per position and would always give 0, so pass hypothetical scores.

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Hypothetical attribution scores, bases in A, C, G, T order.
    mask: array-like, shape=(N, L), dtype=bool
        Motif positions, which are excluded.

    Returns
    -------
    reliance: np.ndarray, shape=(N,)
        NaN where the map's maximum is 0 or no position lies outside the mask.
    """

    attr = _as_attr(attr, "attr")
    mask = _as_mask(mask, attr)

    scale = attr.max(axis=(1, 2))
    gc = attr[:, 1] + attr[:, 2]
    at = attr[:, 0] + attr[:, 3]
    background = ~mask
    product_sum = (gc * at * background).sum(axis=-1)
    mean_product = _safe_divide(product_sum, background.sum(axis=-1))
    return _safe_divide(mean_product, scale**2)


def summit_distance_correlation(attr, distance) -> np.ndarray:
    """Spearman correlation of each position's importance with its distance to a summit.

    Tseng et al. (Table 3): per example, the rank correlation between
    ``g_i = sum_b |a_{b,i}|`` and the distance of position i to the nearest peak
    summit. More negative = importance placed closer to the summit.

    Parameters
    ----------
    attr: array-like, shape=(N, 4, L)
        Attributions (actual scores).
    distance: array-like, shape=(N, L)
        Distance in bp of every position to the nearest summit inside the window
        (:func:`attrprior.genomics.peaks.window_summit_distance`); all NaN for a window holding no
        summit.

    Returns
    -------
    rho: np.ndarray, shape=(N,)
        Average ranks for ties; NaN where either track is constant or some (not all)
        distances are NaN; **0** for a window with no summit (all distances NaN), as Tseng
        et al.'s notebook keeps such windows with a correlation of 0.
    """

    attr = _as_attr(attr, "attr")
    distance = np.asarray(distance, dtype=float)
    expected = (attr.shape[0], attr.shape[2])
    if distance.shape != expected:
        raise ValueError(
            f"distance must have shape {expected} to match attr, got {distance.shape}."
        )
    # Pearson correlation of the ranks, row by row.
    ranks_g = rankdata(_track(attr), axis=1)
    ranks_d = rankdata(np.nan_to_num(distance), axis=1)
    ranks_g -= ranks_g.mean(axis=1, keepdims=True)
    ranks_d -= ranks_d.mean(axis=1, keepdims=True)
    numerator = (ranks_g * ranks_d).sum(axis=1)
    denominator = np.sqrt((ranks_g**2).sum(axis=1) * (ranks_d**2).sum(axis=1))
    rho = _safe_divide(numerator, denominator)
    missing = np.isnan(distance)
    rho[missing.any(axis=1)] = np.nan
    rho[missing.all(axis=1)] = 0.0
    return rho


def large_angle_fractions(angles, thresholds: Sequence[float] = (30, 45, 60)) -> dict[float, float]:
    """Share of positions whose gradient angle exceeds each threshold.

    Majdandzic et al.: the angle between the gradient and the simplex plane
    at each position; "large" means ``|angle| > t``. NaN angles (zero
    gradients) are skipped.

    Parameters
    ----------
    angles: array-like, any shape
        Angles in degrees.
    thresholds: sequence of float, optional
        Thresholds in degrees. Default (30, 45, 60).

    Returns
    -------
    fractions: dict
        Threshold -> fraction in [0, 1] (not percent). NaN for every
        threshold when no angle is finite.
    """

    angles = np.asarray(angles, dtype=float).ravel()
    angles = np.abs(angles[~np.isnan(angles)])
    if angles.size == 0:
        return {t: float("nan") for t in thresholds}
    return {t: float(np.mean(angles > t)) for t in thresholds}


def angle_histogram(angles, bins: int | Sequence[float] = 36) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of gradient angles over [-90, 90] degrees, NaN skipped.

    Parameters
    ----------
    angles: array-like, any shape
        Angles in degrees.
    bins: int or sequence of float, optional
        Number of equal bins over [-90, 90] (36 gives 5-degree bins, edges
        ``np.linspace(-90, 90, 37)``), or explicit bin edges. Default 36.

    Returns
    -------
    counts: np.ndarray, shape=(n_bins,)
        Number of angles per bin.
    edges: np.ndarray, shape=(n_bins + 1,)
        Bin edges in degrees.
    """

    angles = np.asarray(angles, dtype=float).ravel()
    angles = angles[~np.isnan(angles)]
    return np.histogram(angles, bins=bins, range=(-90.0, 90.0))


def classification_metrics(y_true, y_score) -> dict[str, float]:
    """auROC, auPR and accuracy of binary predictions.

    Parameters
    ----------
    y_true: array-like, shape=(N,) or (N, 1)
        Binary labels (0/1 or bool).
    y_score: array-like, shape=(N,) or (N, 1)
        Predicted probabilities of the positive class.

    Returns
    -------
    metrics: dict
        "auroc" (``roc_auc_score``), "aupr" (``average_precision_score``)
        and "accuracy" (predicted positive when ``y_score > 0.5``, like
        rounding the probability).
    """

    y_true = np.asarray(y_true).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    if y_true.shape != y_score.shape:
        raise ValueError(
            f"y_true and y_score must have the same number of values, "
            f"got {y_true.size} and {y_score.size}."
        )
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("y_true must hold binary labels (0/1).")
    y_true = y_true.astype(int)

    return {
        "auroc": float(roc_auc_score(y_true, y_score)),
        "aupr": float(average_precision_score(y_true, y_score)),
        "accuracy": float(accuracy_score(y_true, (y_score > 0.5).astype(int))),
    }


def multitask_classification_metrics(y_true, y_score) -> dict[str, float]:
    """:func:`classification_metrics` per task, ambiguous labels (−1) left out, then averaged.

    Parameters
    ----------
    y_true: array-like, shape=(N, T)
        Labels 1, 0 or −1 (ambiguous, ignored).
    y_score: array-like, shape=(N, T)
        Predicted probabilities.

    Returns
    -------
    metrics: dict
        "auroc", "aupr", "accuracy": means over the tasks that have both classes (NaN if
        none has).
    """

    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=float)
    if y_true.ndim != 2 or y_true.shape != y_score.shape:
        raise ValueError(
            f"y_true and y_score must both be (N, T), got {y_true.shape} and {y_score.shape}."
        )
    per_task = [
        classification_metrics(y_true[known, task], y_score[known, task])
        for task in range(y_true.shape[1])
        for known in [y_true[:, task] >= 0]
        if len(np.unique(y_true[known, task])) == 2
    ]
    keys = ("auroc", "aupr", "accuracy")
    if not per_task:
        return dict.fromkeys(keys, float("nan"))
    return {key: float(np.mean([m[key] for m in per_task])) for key in keys}
