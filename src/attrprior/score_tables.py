"""The workflow's score tables of attribution maps: every metric of :mod:`attrprior.metrics`
per sequence, per map (raw and corrected, each method), for simulated datasets with a
ground truth and for genomic peaks; angle statistics; scores pooled over runs.

Maps are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from attrprior.map_names import split_map_name
from attrprior.metrics import (
    _as_attr,
    angle_histogram,
    attribution_entropy,
    fourier_highfreq,
    fraction_in_mask,
    gc_reliance,
    ground_truth_cosine,
    interpretability_auc,
    large_angle_fractions,
    mask_auprc,
    summit_distance_correlation,
)

MAP_METRICS = (
    "cosine",
    "auroc",
    "aupr",
    "fraction_in_motif",
    "highfreq",
    "entropy",
    "gc_reliance",
)


def _map_label(name: str) -> dict[str, object]:
    """``method`` and ``corrected`` columns of a map named ``<method>`` or
    ``<method>_corrected``."""

    method, corrected = split_map_name(name)
    return {"method": method, "corrected": corrected}


def score_maps(
    maps: dict[str, np.ndarray],
    onehot,
    truth,
    motif_mask,
    *,
    threshold: float,
    freq_limit: int,
    pseudocount: float,
) -> pd.DataFrame:
    """Per-sequence metrics of every attribution map against the ground truth.

    Parameters
    ----------
    maps: dict of str to array-like, each shape=(N, 4, L)
        Name -> map; a name ending in ``_corrected`` is the gradient-corrected version of
        the method named by the rest.
    onehot: array-like, shape=(N, 4, L)
        The explained sequences.
    truth: array-like, shape=(N, 4, L)
        Ground-truth probability matrices (0.25 in the background).
    motif_mask: array-like, shape=(N, L)
        Positions inside planted motifs.
    threshold, freq_limit, pseudocount:
        Passed to :func:`interpretability_auc`, :func:`fourier_highfreq` and
        :func:`attribution_entropy` (config keys ``evaluation.interpretability_threshold``,
        ``highfreq_limit``, ``entropy_pseudocount``; no defaults here, so there is one).

    Returns
    -------
    scores: pandas.DataFrame
        One row per map and example: ``method, corrected, example`` (0-based row of the
        inputs) and the metrics of :data:`MAP_METRICS`. ``cosine`` compares the map itself
        with ``truth - 0.25``; the interpretability auROC/auPR score positions by
        ``sum_b map * x``; ``gc_reliance`` uses the map itself (hypothetical scores, outside
        the motifs); the other metrics use the importance ``map * x``.
    """

    onehot = _as_attr(onehot, "onehot")
    tables = []
    for name, attr in maps.items():
        attr = _as_attr(attr, name)
        importance = attr * onehot
        auroc, aupr = interpretability_auc(attr, onehot, truth, threshold)
        tables.append(
            pd.DataFrame(
                {
                    **_map_label(name),
                    "example": np.arange(len(attr)),
                    "cosine": ground_truth_cosine(attr, truth),
                    "auroc": auroc,
                    "aupr": aupr,
                    "fraction_in_motif": fraction_in_mask(importance, motif_mask),
                    "highfreq": fourier_highfreq(importance, freq_limit),
                    "entropy": attribution_entropy(importance, pseudocount),
                    "gc_reliance": gc_reliance(attr, motif_mask),
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def angle_statistics(
    angles: dict[str, np.ndarray], thresholds: Sequence[float] = (30, 45, 60), bins: int = 36
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Large-angle fractions and angle histograms of several maps.

    Parameters
    ----------
    angles: dict of str to array-like
        Method -> angles in degrees (e.g. ``(N, L)`` from
        :func:`attrprior.correction.simplex_angles`); NaN skipped.
    thresholds: sequence of float
        Degrees; see :func:`large_angle_fractions`.
    bins: int
        Equal bins over [-90, 90]; see :func:`angle_histogram`.

    Returns
    -------
    fractions: pandas.DataFrame
        ``method, n_positions, above_<t>...`` (fractions in [0, 1]).
    histogram: pandas.DataFrame
        ``method, bin_left, bin_right, count``.
    """

    fraction_rows, histogram_rows = [], []
    for method, values in angles.items():
        values = np.asarray(values, dtype=float)
        fractions = large_angle_fractions(values, thresholds)
        fraction_rows.append(
            {
                "method": method,
                "n_positions": int(np.sum(~np.isnan(values))),
                **{f"above_{t:g}": f for t, f in fractions.items()},
            }
        )
        counts, edges = angle_histogram(values, bins)
        histogram_rows.append(
            pd.DataFrame(
                {"method": method, "bin_left": edges[:-1], "bin_right": edges[1:], "count": counts}
            )
        )
    return pd.DataFrame(fraction_rows), pd.concat(histogram_rows, ignore_index=True)


def score_genomic_maps(
    maps: dict[str, np.ndarray],
    onehot,
    summit_distance,
    masks: dict[str, np.ndarray],
    *,
    freq_limit: int,
    pseudocount: float,
) -> pd.DataFrame:
    """Per-sequence metrics of attribution maps on genomic sequences (no ground truth).

    Parameters
    ----------
    maps: dict of str to array-like, each shape=(N, 4, L)
        As in :func:`score_maps` (hypothetical scores or gradients; ``*_corrected`` names).
    onehot: array-like, shape=(N, 4, L)
        The explained sequences.
    summit_distance: array-like, shape=(N, L)
        Distance of every position to the nearest peak summit.
    masks: dict of str to array-like, each shape=(N, L)
        Named region sets, e.g. ``{"peaks": ..., "footprints": ...}``.
    freq_limit, pseudocount:
        Passed to :func:`fourier_highfreq` and :func:`attribution_entropy`.

    Returns
    -------
    scores: pandas.DataFrame
        One row per map and example: ``method, corrected, example``, ``highfreq``,
        ``entropy``, ``summit_spearman`` (:func:`summit_distance_correlation`) and
        ``fraction_in_<name>`` per mask (:func:`fraction_in_mask`), all on the importance
        ``map * x``.
    """

    onehot = _as_attr(onehot, "onehot")
    tables = []
    for name, attr in maps.items():
        importance = _as_attr(attr, name) * onehot
        columns = {
            **_map_label(name),
            "example": np.arange(len(importance)),
            "highfreq": fourier_highfreq(importance, freq_limit),
            "entropy": attribution_entropy(importance, pseudocount),
            "summit_spearman": summit_distance_correlation(importance, summit_distance),
        }
        for mask_name, mask in masks.items():
            columns[f"fraction_in_{mask_name}"] = fraction_in_mask(importance, mask)
        tables.append(pd.DataFrame(columns))
    return pd.concat(tables, ignore_index=True)


def pooled_scores(
    maps: dict[str, np.ndarray], onehot, masks: dict[str, np.ndarray]
) -> pd.DataFrame:
    """auPRC of each region set over all bases of all sequences, one row per map.

    Parameters
    ----------
    maps: dict of str to array-like, each shape=(N, 4, L)
    onehot: array-like, shape=(N, 4, L)
    masks: dict of str to array-like, each shape=(N, L)

    Returns
    -------
    scores: pandas.DataFrame
        ``method, corrected`` and ``<name>_auprc`` per mask (:func:`mask_auprc` of
        ``|map * x|``; Tseng et al.'s motif-, peak- and footprint-overlap auPRC, e.g.
        ``{"motif": motif_mask}`` gives ``motif_auprc``).
    """

    onehot = _as_attr(onehot, "onehot")
    rows = []
    for name, attr in maps.items():
        importance = _as_attr(attr, name) * onehot
        row = _map_label(name)
        for mask_name, mask in masks.items():
            row[f"{mask_name}_auprc"] = mask_auprc(importance, mask)
        rows.append(row)
    return pd.DataFrame(rows)
