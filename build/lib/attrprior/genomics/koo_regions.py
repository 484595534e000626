"""Majdandzic et al.'s ChIP-seq tasks as peak-centred regions (:func:`koo_task_regions`):
200-bp windows at ChIP-seq summits (positives) and at DNase-seq peaks away from any ChIP-seq
peak (negatives, as many as the positives), inside the genome and off the blacklist, split
at random.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from attrprior.genomics.labels import ChromSizesInput, PeakInput, _as_chrom_sizes, _as_peaks
from attrprior.genomics.peaks import (
    overlaps_any,
    summit_positions,
)
from attrprior.sim.datasets import DEFAULT_SPLIT_FRACTIONS, check_split_fractions, random_split

log = logging.getLogger(__name__)


def koo_task_regions(
    chip_peaks: PeakInput,
    dnase_peaks: PeakInput,
    chrom_sizes: ChromSizesInput,
    blacklist: PeakInput | None = None,
    *,
    width: int = 200,
    split_fractions: Mapping[str, float] = DEFAULT_SPLIT_FRACTIONS,
    seed: int = 0,
) -> pd.DataFrame:
    """Balanced positive / negative regions of one ChIP-seq task (Majdandzic et al. 2023).

    - Positives: each ChIP-seq peak's summit (:func:`attrprior.genomics.peaks.summit_positions`),
      centred in ``width`` bp: ``[summit - width // 2, summit - width // 2 + width)``.
    - Negatives: DNase-seq peaks re-centred the same way, kept only when neither the original
      DNase peak nor its re-centred region overlaps (by >= 1 bp) an original ChIP-seq peak
      interval or a positive region.
    - Regions running past a chromosome end or overlapping the blacklist are dropped; exact
      duplicates (several summits of one peak at the same place) are kept once.
    - Negatives are down-sampled without replacement to the number of positives. When there
      are fewer negatives than positives all are kept, a warning is logged, and the shortfall
      shows in the counts below.
    - Splits: a random permutation of the sorted regions into ``split_fractions`` (sizes
      rounded as :func:`attrprior.sim.billboard.simulate_billboard` does).

    One ``numpy.random.default_rng(seed)`` draws first the negatives, then the split, from
    inputs sorted by position, so the result depends only on the peak sets and the seed.

    Parameters
    ----------
    chip_peaks, dnase_peaks : DataFrame or path-like
        narrowPeak tables (with ``summit``) or files.
    chrom_sizes : mapping of str to int, or path-like
        Chromosome lengths or a chrom sizes file.
    blacklist : DataFrame or path-like, optional
        Regions to exclude.
    width : int
        Region length in bp.
    split_fractions : mapping of str to float
        Fractions of ``"train"``, ``"valid"`` and ``"test"``; they must sum to 1.
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        ``chrom`` (str), ``start``, ``end`` (int64), ``label`` (int8; 1 ChIP, 0 DNase),
        ``split`` (str), sorted by chromosome (``chrom_sizes`` order), start and end. Its
        ``attrs["counts"]`` dict holds ``positives``, ``negative_candidates``, ``negatives``
        and, per kind, ``<kind>_dropped_off_end`` / ``<kind>_dropped_blacklist``.
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    check_split_fractions(split_fractions)
    sizes = _as_chrom_sizes(chrom_sizes)
    chip = _as_peaks(chip_peaks, sizes, "ChIP-seq peaks", narrowpeak=True)
    dnase = _as_peaks(dnase_peaks, sizes, "DNase-seq peaks", narrowpeak=True)
    for table, source in ((chip, "ChIP-seq peaks"), (dnase, "DNase-seq peaks")):
        if "summit" not in table.columns:
            raise ValueError(f"{source}: a 'summit' column (offset from start, or -1) is needed")
    black = (
        None
        if blacklist is None
        else _as_peaks(blacklist, sizes, "blacklist", narrowpeak=False, allow_empty=True)
    )
    counts: dict[str, int] = {}

    positives = _centred_regions(chip, width)
    positives = _drop_outside(positives, sizes, black, counts, "positive")
    candidates = _centred_regions(dnase, width)
    near_chip = overlaps_any(dnase, chip) | overlaps_any(
        candidates, pd.concat([chip[["chrom", "start", "end"]], positives], ignore_index=True)
    )
    candidates = candidates.loc[~near_chip].reset_index(drop=True)
    candidates = _drop_outside(candidates, sizes, black, counts, "negative")
    positives = _sort_regions(positives, sizes)
    candidates = _sort_regions(candidates, sizes)
    if len(positives) == 0:
        raise ValueError("koo_task_regions: no positive regions left (no usable ChIP-seq peaks)")

    rng = np.random.default_rng(seed)
    n_pos = len(positives)
    if len(candidates) > n_pos:
        keep = np.sort(rng.choice(len(candidates), size=n_pos, replace=False))
        negatives = candidates.iloc[keep]
    else:
        negatives = candidates
        if len(candidates) < n_pos:
            log.warning(
                "koo_task_regions: only %d negatives for %d positives; keeping all negatives",
                len(candidates),
                n_pos,
            )
    counts.update(positives=n_pos, negative_candidates=len(candidates), negatives=len(negatives))
    regions = pd.concat(
        [positives.assign(label=np.int8(1)), negatives.assign(label=np.int8(0))],
        ignore_index=True,
    )
    regions = _sort_regions(regions, sizes)
    regions["label"] = regions["label"].astype(np.int8)
    regions["split"] = random_split(len(regions), split_fractions, rng)
    regions.attrs["counts"] = counts
    return regions


def _centred_regions(peaks: pd.DataFrame, width: int) -> pd.DataFrame:
    """``width``-bp regions centred on each peak's summit."""
    start = summit_positions(peaks) - width // 2
    return pd.DataFrame(
        {"chrom": peaks["chrom"].astype(str).to_numpy(), "start": start, "end": start + width}
    )


def _drop_outside(
    regions: pd.DataFrame,
    sizes: Mapping[str, int],
    blacklist: pd.DataFrame | None,
    counts: dict[str, int],
    kind: str,
) -> pd.DataFrame:
    """Drop duplicates, regions past a chromosome end and blacklisted regions (counted)."""
    regions = regions.drop_duplicates(["chrom", "start", "end"]).reset_index(drop=True)
    length = regions["chrom"].map(dict(sizes)).to_numpy(np.int64)
    inside = (regions["start"].to_numpy() >= 0) & (regions["end"].to_numpy() <= length)
    counts[f"{kind}_dropped_off_end"] = int((~inside).sum())
    regions = regions.loc[inside].reset_index(drop=True)
    black = np.zeros(len(regions), dtype=bool)
    if blacklist is not None:
        black = overlaps_any(regions, blacklist)
    counts[f"{kind}_dropped_blacklist"] = int(black.sum())
    return regions.loc[~black].reset_index(drop=True)


def _sort_regions(regions: pd.DataFrame, sizes: Mapping[str, int]) -> pd.DataFrame:
    """Sort by chromosome (in ``sizes`` order), start, end."""
    rank = regions["chrom"].map({c: i for i, c in enumerate(sizes)})
    return (
        regions.assign(_rank=rank)
        .sort_values(["_rank", "start", "end"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
