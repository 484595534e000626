"""Ensemble-difference analysis of Majdandzic et al. (2023): the gradient correction measured
where no ground truth exists.

An ensemble of models that differ in their first-layer filter count (the reference: 12, 14,
..., 30 filters, 5 models each) explains the same sequences. The ensemble's average raw map
stands in for the truth; per model and position, the distance (L2 over the 4 bases) of the
model's raw and of its corrected map to that average says whether the correction brings a
single model closer to it, and the percent decrease, binned by the raw map's angle to the
simplex, is the paper's "ensemble difference reduction". As the reference code
(``p-koo/GradientCorrection`` ``analysis/2_evaluate_models_chipseq.py``), the average is taken
over the **raw** maps, and a position's bin is the raw map's angle. Where a ground truth
exists (the billboard data), :func:`truth_similarity` checks the proxy: whether the average is
closer to the truth than the single models are.

What the comparison measures: write a map as its on-simplex part plus ``g`` times
(1, 1, 1, 1) at each position. The on-simplex parts enter the raw and the corrected
distance alike, so a member's corrected map is closer to the average than its raw map
exactly where ``|g_avg| < |g_m - g_avg|``: where the member's off-simplex component
strays from the average's more than the average's own is from zero. The reduction
compares off-simplex components only; how close the maps are on the simplex is what
:func:`truth_similarity` adds where a truth exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrprior.correction import correct_gradients, simplex_angles
from attrprior.metrics import ground_truth_cosine
from attrprior.stats import paired_wilcoxon

#: Columns of :func:`reduction_by_angle`.
ANGLE_BIN_COLUMNS = (
    "angle_low",
    "angle_high",
    "n_positions",
    "raw_distance",
    "corrected_distance",
    "reduction_percent",
)


def ensemble_distances(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance of each model's raw and corrected map to the ensemble's average raw map.

    Parameters
    ----------
    maps : numpy.ndarray, shape (M, N, 4, L)
        Raw gradient maps of M models on the same N sequences: models, sequences, bases
        A/C/G/T, positions.

    Returns
    -------
    average : numpy.ndarray, shape (N, 4, L)
        The mean of the raw maps over the models.
    raw_distance : numpy.ndarray, shape (M, N, L)
        ``||G_m - average||_2`` over the bases, per model, sequence and position.
    corrected_distance : numpy.ndarray, shape (M, N, L)
        The same for each model's corrected map, ``G_m - mean_bases(G_m)``.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 4 or maps.shape[2] != 4:
        raise ValueError(f"maps: expected shape (M, N, 4, L), got {maps.shape}")
    if len(maps) < 2:
        raise ValueError(f"maps: an ensemble needs at least 2 models, got {len(maps)}")
    average = maps.mean(axis=0)
    raw_distance = np.linalg.norm(maps - average, axis=2)
    corrected = maps - maps.mean(axis=2, keepdims=True)
    corrected_distance = np.linalg.norm(corrected - average, axis=2)
    return average, raw_distance, corrected_distance


def reduction_by_angle(
    angles: np.ndarray,
    raw_distance: np.ndarray,
    corrected_distance: np.ndarray,
    bin_width: float = 5.0,
) -> pd.DataFrame:
    """The ensemble difference reduction per bin of the raw map's angle to the simplex.

    Positions of every model and sequence are pooled; in each bin the mean raw and corrected
    distances give ``reduction_percent = 100 (raw - corrected) / raw``. Bins are ``[low,
    high)`` of ``bin_width`` degrees from -90 to 90 (the last one closed). Positions without
    an angle (an all-zero gradient) are left out. The reference's 37 bins labelled -90 ... 90
    are in fact 180/37 degrees wide; these are exact.

    Parameters
    ----------
    angles : numpy.ndarray, shape (M, N, L)
        Signed angle of each model's raw map to the simplex, degrees
        (:func:`attrprior.correction.simplex_angles`).
    raw_distance, corrected_distance : numpy.ndarray, shape (M, N, L)
        From :func:`ensemble_distances`.
    bin_width : float
        Degrees per bin; must divide 180.

    Returns
    -------
    pandas.DataFrame
        One row per bin, columns :data:`ANGLE_BIN_COLUMNS`; distances and reduction NaN in
        an empty bin.
    """
    n_bins = angle_bin_count(bin_width)
    angles = np.asarray(angles, dtype=np.float64).ravel()
    raw = np.asarray(raw_distance, dtype=np.float64).ravel()
    corrected = np.asarray(corrected_distance, dtype=np.float64).ravel()
    if not (angles.shape == raw.shape == corrected.shape):
        raise ValueError("angles, raw_distance and corrected_distance differ in shape")
    kept = np.isfinite(angles)
    angles, raw, corrected = angles[kept], raw[kept], corrected[kept]
    index = np.clip(np.floor((angles + 90.0) / bin_width).astype(int), 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    raw_sum = np.bincount(index, weights=raw, minlength=n_bins)
    corrected_sum = np.bincount(index, weights=corrected, minlength=n_bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_mean = raw_sum / counts
        corrected_mean = corrected_sum / counts
    low = -90.0 + bin_width * np.arange(n_bins)
    return pd.DataFrame(
        {
            "angle_low": low,
            "angle_high": low + bin_width,
            "n_positions": counts,
            "raw_distance": raw_mean,
            "corrected_distance": corrected_mean,
            "reduction_percent": _reduction_percent(raw_sum, corrected_sum),
        }
    )


def angle_bin_count(bin_width: float) -> int:
    """Number of angle bins of ``bin_width`` degrees over [-90, 90].

    Raises
    ------
    ValueError
        If ``bin_width`` does not divide 180.
    """
    n_bins = 180.0 / bin_width if bin_width > 0 else 0.0
    if n_bins < 1 or abs(n_bins - round(n_bins)) > 1e-9:
        raise ValueError(f"{bin_width} does not divide 180 degrees")
    return round(n_bins)


def _reduction_percent(raw: np.ndarray | float, corrected: np.ndarray | float):
    """``100 (raw - corrected) / raw`` of summed (or mean) distances; NaN where raw is 0."""
    raw, corrected = np.asarray(raw, dtype=np.float64), np.asarray(corrected, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(raw > 0, 100.0 * (raw - corrected) / raw, np.nan)


def member_distances(
    raw_distance: np.ndarray, corrected_distance: np.ndarray, angles: np.ndarray
) -> pd.DataFrame:
    """Per model: mean raw and corrected distance to the ensemble average over all its
    positions, and the percent reduction, overall and at positions more than 30 degrees
    off the simplex.

    Parameters
    ----------
    raw_distance, corrected_distance, angles : numpy.ndarray, shape (M, N, L)

    Returns
    -------
    pandas.DataFrame
        One row per model (``member`` 0 ... M-1), columns ``raw_distance``,
        ``corrected_distance``, ``reduction_percent``, ``reduction_percent_above_30``.
    """
    raw = np.asarray(raw_distance, dtype=np.float64)
    corrected = np.asarray(corrected_distance, dtype=np.float64)
    off = _off_simplex(angles)
    axes = (1, 2)
    return pd.DataFrame(
        {
            "member": np.arange(len(raw)),
            "raw_distance": raw.mean(axis=axes),
            "corrected_distance": corrected.mean(axis=axes),
            "reduction_percent": _reduction_percent(raw.sum(axis=axes), corrected.sum(axis=axes)),
            "reduction_percent_above_30": _reduction_percent(
                (raw * off).sum(axis=axes), (corrected * off).sum(axis=axes)
            ),
        }
    )


def _off_simplex(angles: np.ndarray, threshold: float = 30.0) -> np.ndarray:
    """Positions more than ``threshold`` degrees off the simplex (NaN angles: not)."""
    return np.abs(np.asarray(angles, dtype=np.float64)) > threshold


def truth_similarity(
    maps: np.ndarray, truth: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cosine similarity to the ground truth (centred, Majdandzic et al.'s metric) of each
    model's raw and corrected map and of the ensemble's average raw map.

    Parameters
    ----------
    maps : numpy.ndarray, shape (M, N, 4, L)
        Raw gradient maps of the M models.
    truth : numpy.ndarray, shape (N, 4, L)
        The probability matrices the sequences were drawn from.

    Returns
    -------
    raw : numpy.ndarray, shape (M, N)
        Cosine of each model's raw map.
    corrected : numpy.ndarray, shape (M, N)
        Cosine of each model's corrected map.
    average : numpy.ndarray, shape (N,)
        Cosine of the ensemble's average raw map.
    """
    maps = np.asarray(maps, dtype=np.float64)
    raw = np.stack([ground_truth_cosine(member, truth) for member in maps])
    corrected = np.stack([ground_truth_cosine(correct_gradients(member), truth) for member in maps])
    return raw, corrected, ground_truth_cosine(maps.mean(axis=0), truth)


def ensemble_summary(
    maps: np.ndarray, truth: np.ndarray | None = None, bin_width: float = 5.0
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The whole analysis of one ensemble: bins, per-model distances, and the statistics.

    Parameters
    ----------
    maps : numpy.ndarray, shape (M, N, 4, L)
        Raw gradient maps of the M models on the same N sequences.
    truth : numpy.ndarray, shape (N, 4, L), optional
        Ground truth, where the data have one.
    bin_width : float
        Degrees per angle bin.

    Returns
    -------
    bins : pandas.DataFrame
        :func:`reduction_by_angle`.
    members : pandas.DataFrame
        :func:`member_distances`, with ``cosine_raw`` and ``cosine_corrected`` (each model's
        mean over the sequences) where ``truth`` is given.
    summary : dict
        ``n_models``, ``n_sequences``; ``reduction_percent`` (pooled over every position),
        ``reduction_percent_above_30``, ``fraction_positions_closer`` (corrected closer than
        raw) and ``wilcoxon_p`` (one-sided paired Wilcoxon over the models: corrected
        distance below raw). With ``truth``: ``cosine_average`` (the average map's mean
        cosine), ``cosine_models`` (the models' mean), ``fraction_models_below_average`` and
        ``average_wilcoxon_p`` (one-sided paired Wilcoxon over the sequences: the average's
        cosine above the models' mean cosine).
    """
    maps = np.asarray(maps, dtype=np.float64)
    average, raw_distance, corrected_distance = ensemble_distances(maps)
    angles = np.stack([simplex_angles(member) for member in maps])
    bins = reduction_by_angle(angles, raw_distance, corrected_distance, bin_width)
    members = member_distances(raw_distance, corrected_distance, angles)
    off = _off_simplex(angles)
    summary = {
        "n_models": len(maps),
        "n_sequences": maps.shape[1],
        "reduction_percent": float(
            _reduction_percent(raw_distance.sum(), corrected_distance.sum())
        ),
        "reduction_percent_above_30": float(
            _reduction_percent(raw_distance[off].sum(), corrected_distance[off].sum())
        ),
        "fraction_positions_closer": float((corrected_distance < raw_distance).mean()),
        "wilcoxon_p": paired_wilcoxon(
            members["corrected_distance"], members["raw_distance"], "ensemble_distance"
        )[0],
    }
    if truth is not None:
        raw_cosine, corrected_cosine, average_cosine = truth_similarity(maps, truth)
        members["cosine_raw"] = np.nanmean(raw_cosine, axis=1)
        members["cosine_corrected"] = np.nanmean(corrected_cosine, axis=1)
        summary |= {
            "cosine_average": float(np.nanmean(average_cosine)),
            "cosine_models": float(np.nanmean(raw_cosine)),
            "fraction_models_below_average": float(
                (members["cosine_raw"] < np.nanmean(average_cosine)).mean()
            ),
            "average_wilcoxon_p": paired_wilcoxon(
                average_cosine, np.nanmean(raw_cosine, axis=0), "cosine"
            )[0],
        }
    return bins, members, summary
