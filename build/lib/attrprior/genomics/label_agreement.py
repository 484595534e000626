"""How well binary window labels agree with a simulated genome's ground truth: the bound
sites each task's positive windows hold, and the positives without a site.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from attrprior.genomics.labels import _CHROM_KEY, BinaryLabels
from attrprior.genomics.peaks import (
    read_bed,
    validate_intervals,
)


def label_agreement(
    labels: BinaryLabels,
    truth_sites_per_task: Sequence[pd.DataFrame | str | os.PathLike],
    *,
    max_distance: int = 0,
) -> pd.DataFrame:
    """Recall and precision of positive labels against known bound sites (simulations).

    A site ``[start, end)`` is represented by its centre ``(start + end) // 2``.

    - **Recall**: a site's bin is the bin whose centre is closest to the site centre, index
      ``floor((2 * centre - bin_size + stride) / (2 * stride))`` (ties go to the later bin).
      A site is *scored* when that bin's window was kept (not off a chromosome end nor
      blacklisted, and the chromosome is labelled), and *recalled* when the window is
      labelled 1 for the task. Recall = recalled / scored (ambiguous counts as not recalled).
    - **Precision**: a positive window is *supported* when a site centre lies within
      ``max_distance`` bp of its central bin, i.e. in ``[bin start - max_distance, bin end +
      max_distance)``. Precision = supported / positive windows.

    Parameters
    ----------
    labels : BinaryLabels
        From :func:`load_binary_labels`.
    truth_sites_per_task : sequence of DataFrame or path-like, length T
        Per task (in ``labels.tasks`` order), the true sites: a table with ``chrom``,
        ``start``, ``end`` or a BED file.
    max_distance : int
        Slack for precision, in bp (0: the site centre must lie inside the central bin).

    Returns
    -------
    pandas.DataFrame
        One row per task: ``task``, ``n_sites``, ``n_sites_scored``, ``recall``,
        ``n_positive``, ``precision`` (NaN when its denominator is 0).
    """
    n_tasks = labels.labels.shape[1]
    if len(truth_sites_per_task) != n_tasks:
        raise ValueError(
            f"truth_sites_per_task has {len(truth_sites_per_task)} entries for {n_tasks} tasks"
        )
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0, got {max_distance}")
    bin_start = labels.start + labels.flank
    window_key = labels.chrom.astype(np.int64) * _CHROM_KEY + bin_start
    order = np.argsort(window_key, kind="stable")
    sorted_key = window_key[order]
    rows = []
    for t, sites in enumerate(truth_sites_per_task):
        if isinstance(sites, pd.DataFrame):
            source = f"truth sites of task {labels.tasks[t]!r}"
            table = validate_intervals(sites, source=source, allow_empty=True)
        else:
            table = read_bed(sites, allow_empty=True)
        site_chrom, centre = _site_centres(table, labels.chrom_names)
        nearest = (2 * centre - labels.bin_size + labels.stride) // (2 * labels.stride)
        site_key = site_chrom * _CHROM_KEY + nearest * labels.stride
        found, row = _lookup(sorted_key, order, site_key, valid=(site_chrom >= 0) & (nearest >= 0))
        recalled = np.zeros(len(found), dtype=bool)
        recalled[found] = labels.labels[row[found], t] == 1

        positive = np.flatnonzero(labels.labels[:, t] == 1)
        centre_key = np.sort(site_chrom[site_chrom >= 0] * _CHROM_KEY + centre[site_chrom >= 0])
        low = window_key[positive] - max_distance
        high = window_key[positive] + labels.bin_size + max_distance
        supported = np.searchsorted(centre_key, high) > np.searchsorted(centre_key, low)
        rows.append(
            {
                "task": str(labels.tasks[t]),
                "n_sites": len(centre),
                "n_sites_scored": int(found.sum()),
                "recall": _ratio(recalled.sum(), found.sum()),
                "n_positive": len(positive),
                "precision": _ratio(supported.sum(), len(positive)),
            }
        )
    return pd.DataFrame(rows)


def _site_centres(table: pd.DataFrame, chrom_names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chromosome index (-1 when not labelled) and centre of each site."""
    index = {str(name): i for i, name in enumerate(chrom_names)}
    chrom = table["chrom"].astype(str).map(index).fillna(-1).to_numpy(np.int64)
    centre = (table["start"].to_numpy(np.int64) + table["end"].to_numpy(np.int64)) // 2
    return chrom, centre


def _lookup(
    sorted_key: np.ndarray, order: np.ndarray, key: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose key equals ``key`` (found mask, row index where found)."""
    if len(sorted_key) == 0:
        return np.zeros(len(key), dtype=bool), np.zeros(len(key), dtype=np.int64)
    pos = np.clip(np.searchsorted(sorted_key, key), 0, len(sorted_key) - 1)
    found = valid & (sorted_key[pos] == key)
    return found, order[pos]


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")
