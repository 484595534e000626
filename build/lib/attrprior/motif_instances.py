"""Motif instances in attribution maps (Tseng et al. 2020, Figure 3, instance recall):
:func:`call_instances` scans contribution maps with discovered motifs' CWMs,
:func:`rank_instances` ranks instances (calls or seqlets) by their total attribution and
:func:`cumulative_recall` follows how many of the top-k overlap gold-standard regions
(:func:`mask_regions` turns a mask into such regions).

Arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions. Instance and region tables
hold one row per interval with integer columns ``example`` (row index into the arrays),
``start`` (0-based) and ``end`` (exclusive), and, for instances, ``strand`` (``"+"`` or
``"-"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from attrprior.arguments import check_fraction, check_int
from attrprior.motifs import (
    DiscoveredMotif,
    _as_background,
    _as_intervals,
    _as_one_hot,
    _as_tracks,
    _check_bounds,
)
from attrprior.sequences import ALPHABET
from attrprior.sequences import reverse_complement as _reverse_complement

INSTANCE_COLUMNS = ("example", "start", "end", "strand", "motif", "similarity", "pwm_score")


RECALL_COLUMNS = ("rank", "hit", "cumulative_hits", "precision", "recall", "enrichment")


def call_instances(
    motifs: Sequence[DiscoveredMotif],
    contributions: np.ndarray,
    one_hot: np.ndarray,
    *,
    top_fraction: float = 0.1,
    background: float | Sequence[float] = 0.25,
    pseudocount: float = 0.001,
    batch_size: int = 64,
) -> pd.DataFrame:
    """Call motif instances by scanning contribution maps with each motif's CWM.

    Every window of each example is compared with the CWM and its reverse complement by
    continuous Jaccard similarity: both the window and the CWM are L1-normalised as a whole;
    at each position, ``sum_b min(|a_b|, |c_b|) sign(a_b) sign(c_b) / sum_b max(|a_b|, |c_b|)``
    (0 where the denominator is 0), summed over positions. The better strand is kept (``"+"``
    on ties). Windows whose PWM log-odds score on that strand,
    ``sum_j log2(q_{x_j, j} / bg_{x_j})`` with ``q`` the pseudocounted PPM, is not positive
    are dropped; of the rest, each motif keeps the windows whose similarity reaches the value
    at position ``floor(top_fraction * n)`` of its descending order. Overlapping calls are not
    merged. Rank the result with :func:`rank_instances`.

    Parameters
    ----------
    motifs : sequence of DiscoveredMotif
        Motifs (trimmed, e.g. from :func:`filter_motifs`); their ``cwm`` and ``ppm`` are used.
    contributions : numpy.ndarray, shape (N, 4, L)
        Actual contributions (hypothetical × one-hot).
    one_hot : numpy.ndarray, shape (N, 4, L)
        One-hot sequences.
    top_fraction : float
        Fraction of each motif's PWM-passing windows kept, by similarity (paper: 0.1).
    background, pseudocount
        As in :func:`information_content`, for the PWM score.
    batch_size : int
        Examples scanned at once (memory: about ``batch_size * L * 4 * W`` floats).

    Returns
    -------
    pandas.DataFrame
        Columns ``example``, ``start``, ``end``, ``strand``, ``motif`` (name),
        ``similarity`` and ``pwm_score``; ordered by motif, example, start.
    """
    contributions = _as_tracks(contributions, "contributions")
    one_hot = _as_one_hot(one_hot, "one_hot")
    if contributions.shape != one_hot.shape:
        raise ValueError(
            f"contributions and one_hot: shapes differ, {contributions.shape} and {one_hot.shape}"
        )
    check_fraction(top_fraction, "top_fraction")
    check_int(batch_size, "batch_size", minimum=1)
    background = _as_background(background)
    length = one_hot.shape[2]

    tables = []
    for motif in motifs:
        width = motif.width
        if width > length:
            raise ValueError(f"motif {motif.name!r}: width {width} exceeds the length {length}")
        q = (motif.ppm + pseudocount) / (1.0 + len(ALPHABET) * pseudocount)
        log_odds = np.log2(np.where(q > 0, q, np.finfo(float).tiny) / background[:, None])
        kernels = {"+": (motif.cwm, log_odds)}
        kernels["-"] = (_reverse_complement(motif.cwm), _reverse_complement(log_odds))
        parts = []
        for first in range(0, len(one_hot), batch_size):
            batch = slice(first, first + batch_size)
            similarity, pwm_score = {}, {}
            for strand, (cwm, pwm) in kernels.items():
                similarity[strand] = _window_jaccard(contributions[batch], cwm)
                pwm_score[strand] = _window_dot(one_hot[batch], pwm)
            reverse = similarity["-"] > similarity["+"]
            best_similarity = np.where(reverse, similarity["-"], similarity["+"])
            best_pwm = np.where(reverse, pwm_score["-"], pwm_score["+"])
            example, start = np.nonzero(best_pwm > 0)
            parts.append(
                pd.DataFrame(
                    {
                        "example": example + first,
                        "start": start,
                        "end": start + width,
                        "strand": np.where(reverse[example, start], "-", "+"),
                        "motif": motif.name,
                        "similarity": best_similarity[example, start],
                        "pwm_score": best_pwm[example, start],
                    }
                )
            )
        table = pd.concat(parts, ignore_index=True)
        if len(table):
            ordered = np.sort(table["similarity"].to_numpy())[::-1]
            limit = ordered[min(int(len(ordered) * top_fraction), len(ordered) - 1)]
            table = table[table["similarity"] >= limit]
        tables.append(table)
    if not tables:
        return _empty_instances()
    result = pd.concat(tables, ignore_index=True)
    return result.astype({"example": "int64", "start": "int64", "end": "int64"})[
        list(INSTANCE_COLUMNS)
    ]


def _windows(x: np.ndarray, width: int) -> np.ndarray:
    """(n, 4, L) -> (n, P, 4, W) views of every window, P = L - W + 1."""
    return np.lib.stride_tricks.sliding_window_view(x, width, axis=2).transpose(0, 2, 1, 3)


def _window_dot(one_hot: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Sum of ``matrix`` (4, W) entries picked by each one-hot window; shape (n, P)."""
    return np.einsum("npbw,bw->np", _windows(one_hot, matrix.shape[1]), matrix)


def _window_jaccard(contributions: np.ndarray, cwm: np.ndarray) -> np.ndarray:
    """Continuous Jaccard similarity of every window with ``cwm`` (see call_instances)."""
    windows = _windows(contributions, cwm.shape[1])
    totals = np.abs(windows).sum(axis=(2, 3), keepdims=True)
    a = windows / np.where(totals > 0, totals, 1.0)
    c = cwm / max(np.abs(cwm).sum(), np.finfo(float).tiny)
    intersection = (np.minimum(np.abs(a), np.abs(c)) * np.sign(a) * np.sign(c)).sum(axis=2)
    union = np.maximum(np.abs(a), np.abs(c)).sum(axis=2)
    ratio = np.where(union > 0, intersection / np.where(union > 0, union, 1.0), 0.0)
    return ratio.sum(axis=2)


def rank_instances(
    instances: pd.DataFrame, contributions: np.ndarray, *, absolute: bool = True
) -> pd.DataFrame:
    """Rank motif instances (or seqlets) by their total attribution, highest first.

    Parameters
    ----------
    instances : pandas.DataFrame
        One row per instance with integer columns ``example``, ``start`` and ``end``; other
        columns are carried along.
    contributions : numpy.ndarray, shape (N, 4, L)
        Actual contributions (hypothetical × one-hot).
    absolute : bool
        Total attribution = sum of ``|contributions|`` over the 4 bases and the instance's
        positions (default, as in Tseng et al.); otherwise the signed sum.

    Returns
    -------
    pandas.DataFrame
        A copy of ``instances`` with columns ``attribution`` and ``rank`` (1 = highest),
        sorted by decreasing attribution; ties keep their input order. The index is reset.
    """
    contributions = _as_tracks(contributions, "contributions")
    table = _as_intervals(instances, "instances", stranded=False, copy=True)
    n, _, length = contributions.shape
    _check_bounds(table, n, length, "instances")
    track = (np.abs(contributions) if absolute else contributions).sum(axis=1)
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(track, axis=1)], axis=1)
    example = table["example"].to_numpy()
    table["attribution"] = (
        cumulative[example, table["end"].to_numpy()]
        - cumulative[example, table["start"].to_numpy()]
    )
    order = np.argsort(-table["attribution"].to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1, dtype=np.int64)
    return table


def cumulative_recall(
    ranked_instances: pd.DataFrame, gold_regions: pd.DataFrame, *, min_overlap: int = 1
) -> pd.DataFrame:
    """Overlap of the top-k ranked instances with gold-standard regions, for every k.

    An instance hits if it shares at least ``min_overlap`` bp with a gold region of the same
    example (intervals are half-open, so touching intervals do not overlap).

    Parameters
    ----------
    ranked_instances : pandas.DataFrame
        Instances in rank order (e.g. from :func:`rank_instances`), columns ``example``,
        ``start``, ``end``.
    gold_regions : pandas.DataFrame
        Gold-standard regions (e.g. ChIP-nexus instances or planted motifs), columns
        ``example``, ``start``, ``end``.
    min_overlap : int
        Minimum overlap in bp.

    Returns
    -------
    pandas.DataFrame
        One row per k = 1..M: ``rank`` (k), ``hit`` (whether instance k hits),
        ``cumulative_hits`` (hits among the top k; the paper's curve), ``precision``
        (``cumulative_hits / k``), ``recall`` (fraction of gold regions hit by at least one
        of the top k; NaN without gold regions) and ``enrichment`` (``cumulative_hits``
        divided by its expectation ``k * total_hits / M`` if hits were spread evenly; NaN
        without hits).
    """
    check_int(min_overlap, "min_overlap", minimum=1)
    calls = _as_intervals(ranked_instances, "ranked_instances", stranded=False)
    gold = _as_intervals(gold_regions, "gold_regions", stranded=False)
    n_calls, n_gold = len(calls), len(gold)
    calls = calls[["example", "start", "end"]].assign(call=np.arange(n_calls))
    gold = gold[["example", "start", "end"]].assign(region=np.arange(n_gold))
    pairs = calls.merge(gold, on="example", suffixes=("_call", "_gold"))
    overlap = np.minimum(pairs["end_call"], pairs["end_gold"]) - np.maximum(
        pairs["start_call"], pairs["start_gold"]
    )
    pairs = pairs[overlap >= min_overlap]

    hit = np.zeros(n_calls, dtype=bool)
    hit[pairs["call"].to_numpy()] = True
    # Each gold region counts from the best-ranked call that hits it.
    first_hit = pairs.groupby("region")["call"].min().to_numpy().astype(np.int64)
    newly_recalled = np.bincount(first_hit, minlength=n_calls)[:n_calls]
    k = np.arange(1, n_calls + 1)
    cumulative_hits = np.cumsum(hit)
    total_hits = cumulative_hits[-1] if n_calls else 0
    return pd.DataFrame(
        {
            "rank": k.astype(np.int64),
            "hit": hit,
            "cumulative_hits": cumulative_hits.astype(np.int64),
            "precision": cumulative_hits / k,
            "recall": np.cumsum(newly_recalled) / n_gold if n_gold else np.full(n_calls, np.nan),
            "enrichment": (
                cumulative_hits / (k * total_hits / n_calls)
                if total_hits
                else np.full(n_calls, np.nan)
            ),
        },
        columns=list(RECALL_COLUMNS),
    )


def mask_regions(mask: np.ndarray) -> pd.DataFrame:
    """Runs of True in per-position masks, as a region table (gold standards for
    :func:`cumulative_recall`).

    Parameters
    ----------
    mask : numpy.ndarray of bool, shape (N, L)
        E.g. planted-motif, footprint or ChIP-nexus-peak positions of each example.

    Returns
    -------
    pandas.DataFrame
        ``example``, ``start``, ``end`` (half-open), one row per maximal run, ordered by
        example then start.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"mask: expected shape (N, L), got {mask.shape}")
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    starts = np.argwhere(steps == 1)
    ends = np.argwhere(steps == -1)
    # Rows of argwhere are ordered by example, then position: starts and ends pair up.
    return pd.DataFrame(
        {
            "example": starts[:, 0].astype(np.int64),
            "start": starts[:, 1].astype(np.int64),
            "end": ends[:, 1].astype(np.int64),
        }
    )


def _empty_instances() -> pd.DataFrame:
    table = pd.DataFrame({c: [] for c in INSTANCE_COLUMNS})
    return table.astype({"example": "int64", "start": "int64", "end": "int64", "similarity": float})
