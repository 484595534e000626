"""The synthetic "billboard" dataset of Koo & Ploenzke (2021, task 3), used by Majdandzic,
Rajesh & Koo (2023): positives hold 3-7 JASPAR core motifs, negatives hold motifs from a
background pool plus the core motifs. Seeded with ``numpy.random.default_rng(seed)``.

Every array of sequences is ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from attrprior.arguments import check_fraction, check_int
from attrprior.pwms import Motif, get_motifs, lookup_motif, sample_one_hot
from attrprior.sequences import ALPHABET, reverse_complement
from attrprior.sim.datasets import (
    DEFAULT_SPLIT_FRACTIONS,
    FRACTION_TOLERANCE,
    MOTIF_POOL_COLUMNS,
    PLACEMENT_COLUMNS,
    SimulatedDataset,
    check_split_fractions,
    random_split,
    typed_table,
)

#: Core motifs of the billboard dataset: SP1, Gabpa, CEBPB, MAX, YY1 (JASPAR 2016 IDs).
BILLBOARD_CORE_MOTIFS = ("MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2")


#: Probability of each number of motifs per billboard sequence (the reference notebook's values).
BILLBOARD_MOTIFS_PER_SEQUENCE = MappingProxyType({3: 0.50, 4: 0.25, 5: 0.17, 6: 0.05, 7: 0.03})


# Retries before giving up on fitting motifs into a sequence or rounding gaps to the free length.
_MAX_TRIES = 1000


def simulate_billboard(
    n_sequences: int = 20000,
    length: int = 200,
    core_motif_ids: Sequence[str] = BILLBOARD_CORE_MOTIFS,
    n_background_motifs: int = 50,
    motifs_per_sequence: Mapping[int, float] = BILLBOARD_MOTIFS_PER_SEQUENCE,
    positive_fraction: float = 0.5,
    split_fractions: Mapping[str, float] = DEFAULT_SPLIT_FRACTIONS,
    seed: int = 0,
    release: str = "JASPAR2016",
    motifs: dict[str, Motif] | None = None,
) -> SimulatedDataset:
    """Simulate the "billboard" dataset of Koo & Ploenzke (2021, task 3).

    Positives plant motifs drawn with replacement from the core pool: each core motif forward
    and reverse-complemented (10 PWMs by default). Negatives draw from the background pool:
    ``n_background_motifs`` other motifs of the release, forward and reverse-complemented,
    plus the same core PWMs. Each sequence gets k motifs with probability
    ``motifs_per_sequence[k]``. Motifs never overlap: the k + 1 gaps (before, between and after
    the motifs) are uniform random numbers scaled to the free length (``length`` minus the total
    motif width) and rounded, redrawn until they sum exactly to it (gaps of 0 are allowed), as in
    the reference notebook. If the drawn motifs are wider than ``length``, the number and the
    motifs are redrawn (never with the defaults: 7 of the widest JASPAR 2016 motifs fit in
    200 bp); a ``ValueError`` is raised if no draw fits after many tries. Background positions
    have probability 0.25 per base; every position is sampled independently from its column.

    Parameters
    ----------
    n_sequences : int
        Number of sequences N.
    length : int
        Sequence length L.
    core_motif_ids : sequence of str
        Matrix IDs of the core motifs (default SP1, Gabpa, CEBPB, MAX, YY1).
    n_background_motifs : int
        Number of non-core motifs in the background pool, chosen at random (seeded) among the
        non-core motifs of the release in matrix-ID order.
    motifs_per_sequence : mapping of int to float
        Probability of each number of motifs per sequence; must sum to 1.
    positive_fraction : float
        Fraction of positives; ``round(N * positive_fraction)`` positives.
    split_fractions : mapping of str to float
        Fractions for ``"train"``, ``"valid"`` and ``"test"``; must sum to 1.
    seed : int
        Seed for ``numpy.random.default_rng``.
    release : str
        JASPAR release to load when ``motifs`` is None.
    motifs : dict of str to Motif, optional
        Motifs to use instead of loading ``release`` (e.g. a small dict in tests).

    Returns
    -------
    SimulatedDataset
        Positives are rows ``0 .. n_pos - 1``, negatives the rest; ``split`` is a random
        permutation with sizes ``round(fraction * N)`` (adjusted to sum to N).
    """
    check_int(n_sequences, "n_sequences", minimum=1)
    check_int(length, "length", minimum=1)
    check_int(n_background_motifs, "n_background_motifs", minimum=0)
    counts, count_probabilities = _check_motif_counts(motifs_per_sequence)
    check_fraction(positive_fraction, "positive_fraction")
    check_split_fractions(split_fractions)
    core_motif_ids = list(core_motif_ids)
    if not core_motif_ids:
        raise ValueError("core_motif_ids: must not be empty")
    if len(set(core_motif_ids)) != len(core_motif_ids):
        raise ValueError(f"core_motif_ids: duplicate IDs in {core_motif_ids}")

    motifs = get_motifs(motifs, release)
    core = [
        lookup_motif(motifs, matrix_id, "core_motif_ids", release) for matrix_id in core_motif_ids
    ]
    core_set = set(core_motif_ids)
    non_core = [matrix_id for matrix_id in sorted(motifs) if matrix_id not in core_set]
    if n_background_motifs > len(non_core):
        raise ValueError(
            f"n_background_motifs: {n_background_motifs} requested but only {len(non_core)} "
            "non-core motifs are available"
        )

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(non_core), size=n_background_motifs, replace=False))
    background = [motifs[non_core[i]] for i in chosen]

    core_pool = _stranded_pool(core, is_core=True)
    negative_pool = _stranded_pool(background, is_core=False) + core_pool
    min_count = min(k for k, p in zip(counts, count_probabilities, strict=True) if p > 0)
    min_width = min(entry[2].shape[1] for entry in negative_pool + core_pool)
    if min_count * min_width > length:
        raise ValueError(
            f"length: {length} bp cannot hold {min_count} motifs of at least {min_width} bp"
        )

    n_positive = int(round(n_sequences * positive_fraction))
    truth = np.full((n_sequences, len(ALPHABET), length), 0.25, dtype=np.float32)
    rows = []
    count_cdf = np.cumsum(count_probabilities)
    for i in range(n_sequences):
        pool = core_pool if i < n_positive else negative_pool
        drawn = _draw_fitting_motifs(pool, counts, count_cdf, length, rng)
        starts = _motif_starts([pwm.shape[1] for _, _, pwm, _ in drawn], length, rng)
        for (motif, strand, pwm, is_core), start in zip(drawn, starts, strict=True):
            end = start + pwm.shape[1]
            truth[i, :, start:end] = pwm
            rows.append((i, motif.matrix_id, motif.name, strand, start, end, is_core))

    x = sample_one_hot(truth, rng).astype(np.float32)
    y = (np.arange(n_sequences) < n_positive).astype(np.float32)[:, None]
    split = random_split(n_sequences, split_fractions, rng)
    pool_rows = [(m.matrix_id, m.name, "core", m.width) for m in core]
    pool_rows += [(m.matrix_id, m.name, "background", m.width) for m in background]
    return SimulatedDataset(
        x=x,
        y=y,
        truth=truth,
        split=split,
        placements=typed_table(rows, PLACEMENT_COLUMNS),
        motif_pool=typed_table(pool_rows, MOTIF_POOL_COLUMNS),
    )


def billboard_from_truth(
    x: np.ndarray,
    y: np.ndarray,
    truth: np.ndarray,
    split: np.ndarray,
    core_motif_ids: Sequence[str],
    release: str = "JASPAR2016",
    motifs: dict[str, Motif] | None = None,
    atol: float = 1e-3,
) -> tuple[SimulatedDataset, int]:
    """A billboard dataset drawn elsewhere (e.g. Majdandzic et al.'s published
    ``synthetic_code_dataset.h5``), its planted motifs read back from its ground truth.

    The ground truth holds 0.25 outside motifs and a motif's probability matrix (forward or
    reverse-complemented) inside it, motifs never overlapping. Each sequence is read left to
    right: at a position whose column is not uniform, the release's matrix (either strand)
    equal to the truth from there on (within ``atol``) is the planted motif; core matrices
    first, then the longest. A run of non-uniform columns that no matrix explains is kept as
    one placement named ``"unknown"`` (not core), and counted.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, 4, L)
        One-hot sequences (rows A, C, G, T).
    y : numpy.ndarray, shape (N, 1)
        Labels.
    truth : numpy.ndarray, shape (N, 4, L)
        The probability matrix each sequence was drawn from.
    split : numpy.ndarray, shape (N,), str
        ``"train"``, ``"valid"`` or ``"test"``.
    core_motif_ids : sequence of str
        Matrix IDs of the core motifs (the positives' pool).
    release : str
        JASPAR release the motifs came from, loaded when ``motifs`` is None.
    motifs : dict of str to Motif, optional
        Motifs to match instead of loading ``release``.
    atol : float
        Largest difference between a truth column and a matrix column that still matches
        (the published truth is stored as float32).

    Returns
    -------
    dataset : SimulatedDataset
        ``placements`` as read back; ``motif_pool`` the core motifs, then every other matrix
        found, in matrix-ID order, pool ``"background"``.
    n_unknown : int
        Placements no matrix of the release explains.
    """
    motifs = get_motifs(motifs, release)
    core_set = set(core_motif_ids)
    core = [
        lookup_motif(motifs, matrix_id, "core_motif_ids", release) for matrix_id in core_motif_ids
    ]
    others = [motif for matrix_id, motif in motifs.items() if matrix_id not in core_set]
    pool = _stranded_pool(core, is_core=True) + _stranded_pool(others, is_core=False)
    first_columns = np.stack([pwm[:, 0] for _, _, pwm, _ in pool])  # (P, 4)
    widths = np.array([pwm.shape[1] for _, _, pwm, _ in pool])
    # Core matrices first, then the longest: the order in which candidates are preferred.
    order = np.lexsort((-widths, [not is_core for *_, is_core in pool]))
    truth = np.asarray(truth, dtype=np.float64)
    n, _, length = truth.shape
    in_motif = (np.abs(truth - 0.25) > atol).any(axis=1)  # (N, L)
    rows, n_unknown = [], 0
    for i in range(n):
        position = 0
        while position < length:
            if not in_motif[i, position]:
                position += 1
                continue
            found = _matrix_at(truth[i], position, pool, order, first_columns, widths, atol)
            if found is None:
                # Up to the next background column or the next matrix that matches (motifs
                # may abut: the generator allows gaps of 0).
                end = position + 1
                while end < length and in_motif[i, end]:
                    if (
                        _matrix_at(truth[i], end, pool, order, first_columns, widths, atol)
                        is not None
                    ):
                        break
                    end += 1
                rows.append((i, "unknown", "unknown", "+", position, end, False))
                n_unknown += 1
            else:
                motif, strand, _, is_core = pool[found]
                end = position + widths[found]
                rows.append((i, motif.matrix_id, motif.name, strand, position, end, is_core))
            position = end
    placements = typed_table(rows, PLACEMENT_COLUMNS)
    found_ids = set(placements["matrix_id"])
    pool_rows = [(m.matrix_id, m.name, "core", m.width) for m in core]
    pool_rows += [
        (m.matrix_id, m.name, "background", m.width) for m in others if m.matrix_id in found_ids
    ]
    dataset = SimulatedDataset(
        x=np.asarray(x, dtype=np.float32),
        y=np.asarray(y, dtype=np.float32).reshape(len(x), -1),
        truth=truth.astype(np.float32),
        split=np.asarray(split).astype(str),
        placements=placements,
        motif_pool=typed_table(pool_rows, MOTIF_POOL_COLUMNS),
    )
    return dataset, n_unknown


def _matrix_at(
    truth: np.ndarray,
    position: int,
    pool: list,
    order: np.ndarray,
    first_columns: np.ndarray,
    widths: np.ndarray,
    atol: float,
) -> int | None:
    """Index into ``pool`` of the first matrix (in ``order``) equal to ``truth`` (4, L) from
    ``position`` on, within ``atol``; None if none is."""
    near = np.abs(first_columns - truth[:, position]).max(axis=1) <= atol
    for j in order[near[order]]:
        end = position + widths[j]
        if end <= truth.shape[1] and np.abs(truth[:, position:end] - pool[j][2]).max() <= atol:
            return int(j)
    return None


def _check_motif_counts(motifs_per_sequence: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``motifs_per_sequence``; return the counts and their probabilities."""
    name = "motifs_per_sequence"
    if not motifs_per_sequence:
        raise ValueError(f"{name}: must not be empty")
    for count, probability in motifs_per_sequence.items():
        check_int(count, f"{name} key {count!r}", minimum=1)
        if not probability >= 0:
            raise ValueError(f"{name}[{count}]: probability must be >= 0, got {probability!r}")
    counts = np.array(sorted(motifs_per_sequence), dtype=np.int64)
    probabilities = np.array([motifs_per_sequence[k] for k in counts], dtype=np.float64)
    if abs(probabilities.sum() - 1.0) > FRACTION_TOLERANCE:
        raise ValueError(f"{name}: probabilities sum to {probabilities.sum()}, not 1")
    return counts, probabilities


def _stranded_pool(motifs: list[Motif], is_core: bool) -> list[tuple[Motif, str, np.ndarray, bool]]:
    """Each motif forward (``"+"``) and reverse-complemented (``"-"``)."""
    pool = []
    for motif in motifs:
        pool.append((motif, "+", motif.pwm, is_core))
        pool.append((motif, "-", reverse_complement(motif.pwm), is_core))
    return pool


def _draw_fitting_motifs(
    pool: list, counts: np.ndarray, count_cdf: np.ndarray, length: int, rng: np.random.Generator
) -> list:
    """Draw a number of motifs and the motifs (with replacement), redrawn until they fit."""
    for _ in range(_MAX_TRIES):
        # Inverse-CDF draw of the count; the clip guards against a CDF ending just below 1.
        k = counts[min(np.searchsorted(count_cdf, rng.random(), side="right"), len(counts) - 1)]
        drawn = [pool[j] for j in rng.integers(len(pool), size=k)]
        if sum(entry[2].shape[1] for entry in drawn) <= length:
            return drawn
    raise ValueError(f"length: could not fit the drawn motifs into {length} bp")


def _motif_starts(widths: list[int], length: int, rng: np.random.Generator) -> list[int]:
    """Start positions of consecutive motifs separated by random gaps that fill ``length``."""
    free = length - sum(widths)
    for _ in range(_MAX_TRIES):
        # k + 1 uniform gaps scaled to the free length and rounded; redrawn until the rounded
        # gaps add up exactly (the reference notebook's procedure). 1 - random() is in (0, 1].
        uniform = 1.0 - rng.random(len(widths) + 1)
        gaps = np.round(uniform / uniform.sum() * free).astype(np.int64)
        if gaps.sum() == free:
            break
    else:
        raise RuntimeError("could not round the gaps to the free length")
    # start_i = gap_0 + sum over earlier motifs j of (width_j + gap_{j+1})
    steps = np.asarray(widths[:-1], dtype=np.int64) + gaps[1:-1]
    starts = gaps[0] + np.concatenate([[0], np.cumsum(steps)])
    return [int(s) for s in starts]
