"""The simulated genome's sequence: random bases, gaps, the blacklist, the planned binding
sites and the motifs planted at them. Genome arrays are ``{chrom: uint8 codes}``
(A, C, G, T, N = 0 … 4).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from attrprior.pwms import Motif, sample_from_pwm
from attrprior.sequences import reverse_complement
from attrprior.sim.simgenome.spec import (
    _BASES,
    _MAX_DRAW_ROUNDS,
    _N,
    _STRANDS,
    CHIP_ASSAY,
    DNASE_ASSAY,
    SimulationParams,
    TaskSpec,
)


def _random_genome(
    chrom_sizes: Mapping[str, int], gc_content: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """I.i.d. bases per chromosome.

    Returns
    -------
    dict of str to numpy.ndarray, shape (length,), uint8
        Codes 0-3 for A, C, G, T (4 is N, none yet).
    """
    at, gc = (1.0 - gc_content) / 2.0, gc_content / 2.0
    thresholds = np.cumsum([at, gc, gc])
    return {
        chrom: np.searchsorted(thresholds, rng.random(length), side="right").astype(np.uint8)
        for chrom, length in chrom_sizes.items()
    }


def _gap_intervals(chrom_sizes: Mapping[str, int]) -> pd.DataFrame:
    """N runs: both ends of every chromosome and one internal gap on the first.

    Returns
    -------
    pandas.DataFrame
        BED3 columns ``chrom``, ``start``, ``end``.
    """
    rows = []
    for i, (chrom, length) in enumerate(chrom_sizes.items()):
        telomere = int(np.clip(length // 100, 100, 10_000))
        rows.append((chrom, 0, telomere))
        if i == 0:
            gap = int(np.clip(length // 40, 500, 50_000))
            start = int(0.4 * length)
            rows.append((chrom, start, start + gap))
        rows.append((chrom, length - telomere // 2, length))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def _mask(genome: dict[str, np.ndarray], intervals: pd.DataFrame) -> None:
    """Set the bases of ``intervals`` to N, in place."""
    for chrom, start, end in intervals[["chrom", "start", "end"]].itertuples(index=False):
        genome[chrom][start:end] = _N


def _interval_mask(
    chrom_sizes: Mapping[str, int], intervals: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Boolean masks, shape (length,) per chromosome, true inside ``intervals``."""
    masks = {chrom: np.zeros(length, dtype=bool) for chrom, length in chrom_sizes.items()}
    for chrom, start, end in intervals[["chrom", "start", "end"]].itertuples(index=False):
        masks[chrom][start:end] = True
    return masks


def _clear_within(mask: np.ndarray, radius: int) -> np.ndarray:
    """Positions whose whole window ``[i - radius, i + radius]`` is false in ``mask``.

    Parameters
    ----------
    mask : numpy.ndarray, shape (L,), bool
    radius : int

    Returns
    -------
    numpy.ndarray, shape (L,), bool
        False within ``radius`` of the ends too.
    """
    counts = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    positions = np.arange(mask.size)
    lo = np.clip(positions - radius, 0, mask.size)
    hi = np.clip(positions + radius + 1, 0, mask.size)
    clear = counts[hi] - counts[lo] == 0
    clear[:radius] = False
    clear[mask.size - radius :] = False
    return clear


def _allowed_centres(
    chrom_sizes: Mapping[str, int], excluded: pd.DataFrame, margin: int
) -> dict[str, np.ndarray]:
    """Positions at least ``margin`` bp from chromosome ends and ``excluded`` intervals.

    Returns
    -------
    dict of str to numpy.ndarray, shape (n_allowed,), int64
        Sorted allowed positions per chromosome.
    """
    masks = _interval_mask(chrom_sizes, excluded)
    return {chrom: np.flatnonzero(_clear_within(m, margin)) for chrom, m in masks.items()}


def _draw_positions(
    allowed: Mapping[str, np.ndarray],
    n: int,
    min_distance: int,
    taken: Mapping[str, np.ndarray],
    rng: np.random.Generator,
) -> list[tuple[str, int]]:
    """Draw ``n`` positions uniformly from ``allowed``, each ``min_distance`` from all others.

    Parameters
    ----------
    allowed : mapping of str to numpy.ndarray, shape (n_allowed,)
        Candidate positions per chromosome.
    n : int
        Positions wanted.
    min_distance : int
        Minimum distance to ``taken`` positions and to each other.
    taken : mapping of str to numpy.ndarray, shape (n_taken,)
        Positions already in use per chromosome.
    rng : numpy.random.Generator

    Returns
    -------
    list of (str, int)
        ``(chrom, position)`` in draw order.
    """
    chroms = list(allowed)
    counts = np.array([allowed[c].size for c in chroms], dtype=np.int64)
    if n == 0:
        return []
    if counts.sum() == 0:
        raise ValueError("no allowed positions left for sites; use larger chromosomes")
    offsets = np.concatenate([[0], np.cumsum(counts)])
    used = {c: sorted(int(p) for p in taken.get(c, ())) for c in chroms}
    chosen: list[tuple[str, int]] = []
    for _ in range(_MAX_DRAW_ROUNDS):
        for u in rng.integers(0, offsets[-1], size=2 * (n - len(chosen)) + 8):
            k = int(np.searchsorted(offsets, u, side="right")) - 1
            chrom, pos = chroms[k], int(allowed[chroms[k]][u - offsets[k]])
            if _far_enough(used[chrom], pos, min_distance):
                bisect.insort(used[chrom], pos)
                chosen.append((chrom, pos))
                if len(chosen) == n:
                    return chosen
    raise ValueError(f"could not place {n} sites {min_distance} bp apart; use larger chromosomes")


def _far_enough(sorted_positions: list[int], pos: int, min_distance: int) -> bool:
    """Whether ``pos`` is at least ``min_distance`` from every position of a sorted list."""
    i = bisect.bisect_left(sorted_positions, pos)
    left_ok = i == 0 or pos - sorted_positions[i - 1] >= min_distance
    right_ok = i == len(sorted_positions) or sorted_positions[i] - pos >= min_distance
    return left_ok and right_ok


def _blacklist_intervals(
    chrom_sizes: Mapping[str, int], gaps: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """A few blacklist regions (about one per 700 kb), clear of N runs, sorted.

    Returns
    -------
    pandas.DataFrame
        BED3 columns ``chrom``, ``start``, ``end``.
    """
    rows = []
    for chrom, length in chrom_sizes.items():
        width = int(np.clip(length // 100, 400, 5_000))
        sub_sizes = {chrom: length}
        allowed = _allowed_centres(sub_sizes, gaps[gaps["chrom"] == chrom], width + 100)
        n = max(1, round(length / 700_000))
        for _, centre in _draw_positions(allowed, n, 10 * width, {}, rng):
            half = int(rng.integers(width // 4, width // 2 + 1))
            rows.append((chrom, centre - half, centre + half))
    return _sort_bed(pd.DataFrame(rows, columns=["chrom", "start", "end"]), list(chrom_sizes))


def _plan_sites(
    chrom_sizes: Mapping[str, int],
    allowed: Mapping[str, np.ndarray],
    tasks: Sequence[TaskSpec],
    params: SimulationParams,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place binding sites, decoys and open sites, and decide which task binds which site.

    Returns
    -------
    sites : pandas.DataFrame
        One row per site (index ``site``): ``chrom``, ``centre``, ``matrix_id`` (``""`` for an
        open site without motif), ``origin`` (``"site"``, ``"decoy"``, ``"open"``).
    bindings : pandas.DataFrame
        One row per (task, bound or open site): ``task``, ``site``, ``strength`` (``"strong"``,
        ``"weak"``, ``"open"``), ``affinity`` (relative enrichment, > 0).
    """
    total = sum(chrom_sizes.values())
    sites: list[tuple[str, int, str, str]] = []
    bindings: list[tuple[str, int, str, float]] = []

    def place(n: int, matrix_id: str, origin: str) -> list[int]:
        taken = _positions_by_chrom(sites)
        new = _draw_positions(allowed, n, params.min_site_distance, taken, rng)
        first = len(sites)
        sites.extend((chrom, pos, matrix_id, origin) for chrom, pos in new)
        return list(range(first, len(sites)))

    for task in (t for t in tasks if t.assay == CHIP_ASSAY):
        n = max(1, round(total / params.site_spacing))
        ids: list[int] = []
        if task.shares_sites_with is not None:
            pool = [b[1] for b in bindings if b[0] == task.shares_sites_with]
            k = min(len(pool), round(n * task.shared_fraction))
            ids = sorted(int(i) for i in rng.choice(pool, size=k, replace=False))
        ids += place(n - len(ids), task.matrix_id, "site")
        weak = rng.random(len(ids)) < params.weak_fraction
        affinity = rng.lognormal(0.0, 0.3, size=len(ids))
        for site, is_weak, a in zip(ids, weak, affinity, strict=True):
            bindings.append((task.name, site, "weak" if is_weak else "strong", float(a)))

    for matrix_id in dict.fromkeys(t.matrix_id for t in tasks if t.assay == CHIP_ASSAY):
        n_max = max(
            sum(b[0] == t.name for b in bindings) for t in tasks if t.matrix_id == matrix_id
        )
        place(round(params.decoy_fraction * n_max), matrix_id, "decoy")

    for task in (t for t in tasks if t.assay == DNASE_ASSAY):
        cell_tasks = {t.name for t in tasks if t.cell_type == task.cell_type and t.matrix_id}
        ids = sorted({b[1] for b in bindings if b[0] in cell_tasks})
        n_extra = max(1, round(params.extra_open_fraction * len(ids)))
        n_motif = int(rng.binomial(n_extra, 0.5)) if params.open_motif_id else 0
        ids += place(n_motif, params.open_motif_id or "", "open")
        ids += place(n_extra - n_motif, "", "open")
        openness = rng.lognormal(0.0, 0.3, size=len(ids))
        bindings.extend(
            (task.name, site, "open", float(a)) for site, a in zip(ids, openness, strict=True)
        )

    site_table = pd.DataFrame(sites, columns=["chrom", "centre", "matrix_id", "origin"])
    site_table.index.name = "site"
    binding_table = pd.DataFrame(bindings, columns=["task", "site", "strength", "affinity"])
    return site_table, binding_table


def _positions_by_chrom(sites: Sequence[tuple[str, int, str, str]]) -> dict[str, np.ndarray]:
    """Site centres per chromosome, shape (n,) each."""
    by_chrom: dict[str, list[int]] = {}
    for chrom, pos, _, _ in sites:
        by_chrom.setdefault(chrom, []).append(pos)
    return {chrom: np.array(positions) for chrom, positions in by_chrom.items()}


def _plant_motifs(
    genome: dict[str, np.ndarray],
    sites: pd.DataFrame,
    motifs: Mapping[str, Motif],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Write a PWM sample (random strand) centred on every site that has a motif, in place.

    Returns
    -------
    pandas.DataFrame
        ``sites`` with columns ``strand``, ``motif_start``, ``motif_end`` (0-based, half-open;
        ``start = centre - W // 2``) and ``sequence`` (forward-strand bases as planted); empty
        strings and -1 for sites without motif.
    """
    strands, starts, ends, sequences = [], [], [], []
    for chrom, centre, matrix_id in sites[["chrom", "centre", "matrix_id"]].itertuples(False):
        if not matrix_id:
            strands.append("")
            starts.append(-1)
            ends.append(-1)
            sequences.append("")
            continue
        one_hot = sample_from_pwm(motifs[matrix_id].pwm, rng)
        strand = str(_STRANDS[int(rng.integers(2))])
        if strand == "-":
            one_hot = reverse_complement(one_hot)
        codes = one_hot.argmax(axis=0).astype(np.uint8)
        start = int(centre) - codes.size // 2
        genome[chrom][start : start + codes.size] = codes
        strands.append(strand)
        starts.append(start)
        ends.append(start + codes.size)
        sequences.append(_BASES[codes].tobytes().decode("ascii"))
    return sites.assign(strand=strands, motif_start=starts, motif_end=ends, sequence=sequences)


def _sort_bed(table: pd.DataFrame, chroms: Sequence[str]) -> pd.DataFrame:
    """Sort a BED-like table by chromosome (in ``chroms`` order), start, end."""
    rank = table["chrom"].map({c: i for i, c in enumerate(chroms)}).to_numpy()
    order = np.lexsort((table["end"].to_numpy(), table["start"].to_numpy(), rank))
    return table.iloc[order].reset_index(drop=True)
