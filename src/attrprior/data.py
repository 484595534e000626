"""Simulated sequence datasets with known ground truth.

Two generators, both seeded with ``numpy.random.default_rng(seed)``:

- :func:`simulate_billboard`: the synthetic "billboard" dataset of Koo & Ploenzke (2021, task 3),
  used by Majdandzic, Rajesh & Koo (2023). Positives hold 3-7 JASPAR core motifs, negatives hold
  motifs from a background pool plus the core motifs.
- :func:`simulate_single_motif`: the synthetic SPI1 dataset of Tseng et al. (2020), one motif near
  the centre of GC-controlled background.

Every array of sequences or probabilities is ``(N, 4, L)``: examples, bases A/C/G/T, positions.
Datasets are stored as one compressed ``.npz`` file (:func:`save_dataset`, :func:`load_dataset`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from attrprior.io import atomic_path, read_npz
from attrprior.sequences import ALPHABET, reverse_complement

__all__ = [
    "Motif",
    "SimulatedDataset",
    "load_jaspar_motifs",
    "sample_from_pwm",
    "simulate_billboard",
    "simulate_single_motif",
    "save_dataset",
    "load_dataset",
    "motif_mask",
]


#: Core motifs of the billboard dataset: SP1, Gabpa, CEBPB, MAX, YY1 (JASPAR 2016 IDs).
BILLBOARD_CORE_MOTIFS = ("MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2")
#: Probability of each number of motifs per billboard sequence (the reference notebook's values).
BILLBOARD_MOTIFS_PER_SEQUENCE = MappingProxyType({3: 0.50, 4: 0.25, 5: 0.17, 6: 0.05, 7: 0.03})
#: Default train / validation / test fractions.
DEFAULT_SPLIT_FRACTIONS = MappingProxyType({"train": 0.7, "valid": 0.1, "test": 0.2})
SPLIT_NAMES = ("train", "valid", "test")

PLACEMENT_COLUMNS = ("sequence", "matrix_id", "name", "strand", "start", "end", "core")
MOTIF_POOL_COLUMNS = ("matrix_id", "name", "pool", "width")
_INT_COLUMNS = ("sequence", "start", "end", "width")
_BOOL_COLUMNS = ("core",)

_TOLERANCE = 1e-6
# Retries before giving up on fitting motifs into a sequence or rounding gaps to the free length.
_MAX_TRIES = 1000


# --------------------------------------------------------------------------------------------
# Motifs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Motif:
    """A position probability matrix.

    Parameters
    ----------
    matrix_id : str
        Database identifier, e.g. ``"MA0079.3"``.
    name : str
        Transcription factor name, e.g. ``"SP1"``.
    pwm : numpy.ndarray, shape (4, W)
        Base probabilities, rows A, C, G, T, one column per motif position; every column sums
        to 1. Stored as a read-only float64 copy.

    Notes
    -----
    Equality is identity (``eq=False``) because comparing arrays elementwise has no single truth
    value; compare ``pwm`` arrays explicitly when needed.
    """

    matrix_id: str
    name: str
    pwm: np.ndarray

    def __post_init__(self) -> None:
        pwm = _validate_pwm(self.pwm, "pwm").copy()
        pwm.setflags(write=False)
        object.__setattr__(self, "pwm", pwm)

    @property
    def width(self) -> int:
        """Number of positions W."""
        return self.pwm.shape[1]


def load_jaspar_motifs(
    release: str = "JASPAR2016", collection: str = "CORE", tax_group: str = "vertebrates"
) -> dict[str, Motif]:
    """Load a JASPAR collection from the databases shipped with ``pyjaspar`` (offline).

    Parameters
    ----------
    release : str
        JASPAR release, e.g. ``"JASPAR2016"``. Pin it: later releases change matrices.
    collection : str
        JASPAR collection, e.g. ``"CORE"``.
    tax_group : str
        Taxonomic group, e.g. ``"vertebrates"``.

    Returns
    -------
    dict of str to Motif
        ``matrix_id -> Motif``, in ascending order of matrix ID. Each probability matrix is the
        count matrix with columns normalised to sum 1 (no pseudocount), rows A, C, G, T. Only the
        latest version of each matrix in the release is included (pyjaspar's default).
    """
    from pyjaspar import jaspardb  # imported here: loading the database is only needed here

    # pyjaspar only prints a message for an unknown release, so check first.
    db = jaspardb(release=release)
    if not hasattr(db, "conn"):
        raise ValueError(f"release: unknown JASPAR release {release!r}; have {db.get_releases()}")
    records = db.fetch_motifs(collection=collection, tax_group=[tax_group])
    if not records:
        raise ValueError(
            f"no motifs for collection={collection!r}, tax_group={tax_group!r} in {release}"
        )

    motifs = {}
    for record in sorted(records, key=lambda r: r.matrix_id):
        counts = np.array([record.counts[base] for base in ALPHABET], dtype=np.float64)
        motifs[record.matrix_id] = Motif(
            matrix_id=record.matrix_id, name=record.name, pwm=counts / counts.sum(axis=0)
        )
    return motifs


def sample_from_pwm(pwm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample one sequence from a probability matrix, each column independently.

    Parameters
    ----------
    pwm : numpy.ndarray, shape (4, W)
        Base probabilities (rows A, C, G, T); each column sums to 1.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (4, W), int8
        One-hot sequence.
    """
    return _sample_one_hot(_validate_pwm(pwm, "pwm"), rng)


def _sample_one_hot(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample one-hot columns from ``(..., 4, L)`` probabilities; returns int8 of that shape."""
    # Running sums over the 4 bases, written out: np.cumsum over a middle axis is slow.
    p = probabilities.astype(np.float64, copy=False)
    cumulative = [p[..., 0, :]]
    for base in range(1, len(ALPHABET)):
        cumulative.append(cumulative[-1] + p[..., base, :])
    # Dividing by the total makes the last threshold exactly 1, so a base of probability 0 can
    # never be drawn through float round-off.
    thresholds = np.stack(cumulative[:-1], axis=-2) / cumulative[-1][..., None, :]
    draws = rng.random(probabilities.shape[:-2] + (1, probabilities.shape[-1]))
    index = (draws >= thresholds).sum(axis=-2)
    return (np.arange(len(ALPHABET))[:, None] == index[..., None, :]).astype(np.int8)


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------


@dataclass
class SimulatedDataset:
    """A simulated dataset with its ground truth.

    Attributes
    ----------
    x : numpy.ndarray, shape (N, 4, L), float32
        One-hot sequences (rows A, C, G, T).
    y : numpy.ndarray, shape (N, 1), float32
        Labels, 1 for positives and 0 for negatives.
    truth : numpy.ndarray, shape (N, 4, L), float32
        The probability matrix each sequence was sampled from: the background probabilities
        outside motifs, the planted (possibly reverse-complemented) PWM inside them.
    split : numpy.ndarray, shape (N,), str
        ``"train"``, ``"valid"`` or ``"test"``.
    placements : pandas.DataFrame
        One row per planted motif, columns ``sequence`` (row index into ``x``), ``matrix_id``,
        ``name``, ``strand`` (``"+"``/``"-"``), ``start`` (0-based), ``end`` (exclusive) and
        ``core`` (True if drawn from the core pool).
    motif_pool : pandas.DataFrame
        The motifs the generator could draw from, columns ``matrix_id``, ``name``, ``pool``
        (``"core"`` or ``"background"``) and ``width``.
    """

    x: np.ndarray
    y: np.ndarray
    truth: np.ndarray
    split: np.ndarray
    placements: pd.DataFrame
    motif_pool: pd.DataFrame

    def __post_init__(self) -> None:
        n = len(self.x)
        if self.x.ndim != 3 or self.x.shape[1] != len(ALPHABET):
            raise ValueError(f"x: expected shape (N, 4, L), got {self.x.shape}")
        if self.truth.shape != self.x.shape:
            raise ValueError(f"truth: expected shape {self.x.shape}, got {self.truth.shape}")
        if self.y.shape != (n, 1):
            raise ValueError(f"y: expected shape ({n}, 1), got {self.y.shape}")
        if self.split.shape != (n,):
            raise ValueError(f"split: expected shape ({n},), got {self.split.shape}")
        for name, table, columns in (
            ("placements", self.placements, PLACEMENT_COLUMNS),
            ("motif_pool", self.motif_pool, MOTIF_POOL_COLUMNS),
        ):
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise ValueError(f"{name}: missing columns {missing}")


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
    _check_int(n_sequences, "n_sequences", minimum=1)
    _check_int(length, "length", minimum=1)
    _check_int(n_background_motifs, "n_background_motifs", minimum=0)
    counts, count_probabilities = _check_motif_counts(motifs_per_sequence)
    _check_fraction(positive_fraction, "positive_fraction")
    check_split_fractions(split_fractions)
    core_motif_ids = list(core_motif_ids)
    if not core_motif_ids:
        raise ValueError("core_motif_ids: must not be empty")
    if len(set(core_motif_ids)) != len(core_motif_ids):
        raise ValueError(f"core_motif_ids: duplicate IDs in {core_motif_ids}")

    motifs = _get_motifs(motifs, release)
    core = [
        _lookup_motif(motifs, matrix_id, "core_motif_ids", release) for matrix_id in core_motif_ids
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

    x = _sample_one_hot(truth, rng).astype(np.float32)
    y = (np.arange(n_sequences) < n_positive).astype(np.float32)[:, None]
    split = random_split(n_sequences, split_fractions, rng)
    pool_rows = [(m.matrix_id, m.name, "core", m.width) for m in core]
    pool_rows += [(m.matrix_id, m.name, "background", m.width) for m in background]
    return SimulatedDataset(
        x=x,
        y=y,
        truth=truth,
        split=split,
        placements=_table(rows, PLACEMENT_COLUMNS),
        motif_pool=_table(pool_rows, MOTIF_POOL_COLUMNS),
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
    motifs = _get_motifs(motifs, release)
    core_set = set(core_motif_ids)
    core = [
        _lookup_motif(motifs, matrix_id, "core_motif_ids", release) for matrix_id in core_motif_ids
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
    placements = _table(rows, PLACEMENT_COLUMNS)
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
        motif_pool=_table(pool_rows, MOTIF_POOL_COLUMNS),
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


def simulate_single_motif(
    n_positives: int,
    n_negatives: int,
    length: int = 1000,
    motif_id: str = "MA0080.4",
    gc_prob: float = 0.5,
    positive_gc_excess: float = 0.0,
    central_flank: int = 100,
    split_fractions: Mapping[str, float] = DEFAULT_SPLIT_FRACTIONS,
    seed: int = 0,
    release: str = "JASPAR2016",
    motifs: dict[str, Motif] | None = None,
) -> SimulatedDataset:
    """Simulate the synthetic single-motif (SPI1) dataset of Tseng et al. (2020).

    Background positions have ``P(C) = P(G) = gc / 2`` and ``P(A) = P(T) = (1 - gc) / 2``.
    Positives hold exactly one motif sampled from its PWM, reverse-complemented with
    probability 0.5, with its start drawn uniformly so that it lies within the central
    ``W + 2 * central_flank`` bp (W the motif width). Negatives are background only.

    The GC excess applies to **training** positives only: their background uses
    ``gc_prob + positive_gc_excess``, while validation and test positives and all negatives use
    ``gc_prob``, as in the paper (validation/test at GC 0.5). The split is therefore drawn first.

    Parameters
    ----------
    n_positives, n_negatives : int
        Number of positives and negatives (at least one sequence in total).
    length : int
        Sequence length L.
    motif_id : str
        Matrix ID of the planted motif (default SPI1, MA0080.4 in JASPAR 2016).
    gc_prob : float
        Background G+C probability.
    positive_gc_excess : float
        Added to ``gc_prob`` for training positives.
    central_flank : int
        Flank around the motif defining the central window.
    split_fractions : mapping of str to float
        Fractions for ``"train"``, ``"valid"`` and ``"test"``; must sum to 1.
    seed : int
        Seed for ``numpy.random.default_rng``.
    release : str
        JASPAR release to load when ``motifs`` is None.
    motifs : dict of str to Motif, optional
        Motifs to use instead of loading ``release``.

    Returns
    -------
    SimulatedDataset
        Positives are rows ``0 .. n_positives - 1``, negatives the rest. ``truth`` holds the
        background probabilities of each row and the (possibly reverse-complemented) PWM at the
        motif.
    """
    _check_int(n_positives, "n_positives", minimum=0)
    _check_int(n_negatives, "n_negatives", minimum=0)
    if n_positives + n_negatives < 1:
        raise ValueError("n_positives, n_negatives: need at least one sequence")
    _check_int(length, "length", minimum=1)
    _check_int(central_flank, "central_flank", minimum=0)
    _check_fraction(gc_prob, "gc_prob")
    _check_fraction(gc_prob + positive_gc_excess, "positive_gc_excess (gc_prob + excess)")
    check_split_fractions(split_fractions)
    motif = _lookup_motif(_get_motifs(motifs, release), motif_id, "motif_id", release)
    window = motif.width + 2 * central_flank
    if window > length:
        raise ValueError(
            f"length: {length} bp is shorter than the central window of {window} bp "
            f"(motif width {motif.width} + 2 * central_flank)"
        )

    rng = np.random.default_rng(seed)
    n_sequences = n_positives + n_negatives
    split = random_split(n_sequences, split_fractions, rng)
    is_positive = np.arange(n_sequences) < n_positives
    gc = np.where(is_positive & (split == "train"), gc_prob + positive_gc_excess, gc_prob)
    base_probabilities = np.stack([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2], axis=1)
    truth = np.repeat(base_probabilities[:, :, None], length, axis=2).astype(np.float32)

    window_start = (length - window) // 2
    rows = []
    for i in range(n_positives):
        strand = "-" if rng.random() < 0.5 else "+"
        pwm = reverse_complement(motif.pwm) if strand == "-" else motif.pwm
        start = int(rng.integers(window_start, window_start + 2 * central_flank + 1))
        end = start + motif.width
        truth[i, :, start:end] = pwm
        rows.append((i, motif.matrix_id, motif.name, strand, start, end, True))

    x = _sample_one_hot(truth, rng).astype(np.float32)
    y = is_positive.astype(np.float32)[:, None]
    return SimulatedDataset(
        x=x,
        y=y,
        truth=truth,
        split=split,
        placements=_table(rows, PLACEMENT_COLUMNS),
        motif_pool=_table([(motif.matrix_id, motif.name, "core", motif.width)], MOTIF_POOL_COLUMNS),
    )


def single_motif_sequences(
    motif: Motif,
    n: int,
    length: int,
    gc: float,
    rng: np.random.Generator,
    central_flank: int = 0,
    with_motif: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Fresh sequences of the single-motif simulation, drawn with ``rng``.

    Tseng et al.'s reference regenerates these for every training batch and evaluates on
    fresh positives with the motif exactly centred (``central_flank=0``) at the model's
    training GC bias. Background: ``P(C) = P(G) = gc / 2``, ``P(A) = P(T) = (1 - gc) / 2``;
    with ``with_motif``, one motif sampled from its PWM, reverse-complemented with
    probability 0.5, starting uniformly so that it lies within the central
    ``W + 2 * central_flank`` bp.

    Parameters
    ----------
    motif : Motif
    n, length : int
        Sequences and their length L.
    gc : float
        Background G+C probability.
    rng : numpy.random.Generator
    central_flank : int
        Flank of the central window the motif lies in (0: centred).
    with_motif : bool
        False: background only (negatives).

    Returns
    -------
    x : numpy.ndarray, shape (n, 4, L), float32
        One-hot sequences.
    truth : numpy.ndarray, shape (n, 4, L), float32
        The probabilities they were drawn from.
    """
    _check_int(n, "n", minimum=0)
    _check_fraction(gc, "gc")
    window = motif.width + 2 * central_flank
    if with_motif and window > length:
        raise ValueError(f"length: {length} bp is shorter than the central window of {window} bp")
    background = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2], dtype=np.float32)
    truth = np.repeat(np.repeat(background[None, :, None], length, axis=2), n, axis=0)
    if with_motif:
        window_start = (length - window) // 2
        minus = rng.random(n) < 0.5
        starts = rng.integers(window_start, window_start + 2 * central_flank + 1, size=n)
        reverse = reverse_complement(motif.pwm)
        for i in range(n):
            truth[i, :, starts[i] : starts[i] + motif.width] = reverse if minus[i] else motif.pwm
    return _sample_one_hot(truth, rng).astype(np.float32), truth


@dataclass(frozen=True)
class SingleMotifBatches:
    """Training batches of the single-motif simulation drawn fresh for every batch, as
    Tseng et al.'s reference trains its synthetic SPI1 models (an endless supply of
    sequences rather than a fixed training set).

    Each batch is ``batch_size // 2`` positives at ``positive_gc`` (the training GC bias)
    and as many negatives at ``negative_gc`` (the reference: always 0.5); an epoch is
    ``n_batches`` batches. Usable as :class:`attrprior.train.BatchSource`.
    """

    motif: Motif
    length: int
    positive_gc: float
    negative_gc: float
    central_flank: int
    n_batches: int

    def batches(self, batch_size: int, rng: np.random.Generator):
        """One epoch: ``(x (B, 4, L), y (B, 1))`` float32 pairs, positives first."""
        half = max(1, batch_size // 2)
        y = np.r_[np.ones(half), np.zeros(half)].astype(np.float32)[:, None]
        for _ in range(self.n_batches):
            positives, _ = single_motif_sequences(
                self.motif, half, self.length, self.positive_gc, rng, self.central_flank
            )
            negatives, _ = single_motif_sequences(
                self.motif, half, self.length, self.negative_gc, rng, with_motif=False
            )
            yield np.concatenate([positives, negatives]), y


def pwm_scan_mask(
    x: np.ndarray,
    motif: Motif,
    gc: float = 0.5,
    threshold: float = 0.9,
    pseudocount: float = 0.001,
) -> np.ndarray:
    """Mark motif matches found by scanning with the motif's log-odds PWM.

    Tseng et al. mark the motif of their synthetic SPI1 sequences this way rather than by
    where it was planted: the PPM (plus ``pseudocount``, renormalised) against the
    background ``[(1 - gc)/2, gc/2, gc/2, (1 - gc)/2]`` in log2-odds; a window scores the
    mean log-odds of its bases, on either strand; every base of a window scoring at least
    ``threshold`` is marked.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, 4, L)
        One-hot sequences.
    motif : Motif
    gc : float
        G+C probability of the background the scores are against.
    threshold : float
        Mean log2-odds per base a window needs (the reference: 0.9).
    pseudocount : float

    Returns
    -------
    numpy.ndarray, shape (N, L), bool
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] != len(ALPHABET):
        raise ValueError(f"x: expected (N, 4, L), got {x.shape}")
    _check_fraction(gc, "gc")
    width = motif.width
    n, _, length = x.shape
    mask = np.zeros((n, length), dtype=bool)
    if length < width:
        return mask
    background = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    ppm = motif.pwm + pseudocount
    ppm = ppm / ppm.sum(axis=0, keepdims=True)
    log_odds = np.log2(ppm / background[:, None])
    windows = np.lib.stride_tricks.sliding_window_view(x, width, axis=2)  # (N, 4, L-W+1, W)
    for pwm in (log_odds, reverse_complement(log_odds)):
        scores = np.einsum("nbpw,bw->np", windows, pwm) / width
        for start in zip(*np.nonzero(scores >= threshold), strict=True):
            mask[start[0], start[1] : start[1] + width] = True
    return mask


def split_arrays(
    x: np.ndarray, y: np.ndarray, split: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Sequences and labels of each split.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, 4, L)
        One-hot sequences.
    y : numpy.ndarray, shape (N, T)
        Labels.
    split : numpy.ndarray, shape (N,), str
        Each row's split.

    Returns
    -------
    dict
        ``"train"``, ``"valid"``, ``"test"`` -> ``(x, y)`` of its rows, ``x`` float32.
    """
    split = np.asarray(split)
    return {
        name: (np.asarray(x[split == name], dtype=np.float32), y[split == name])
        for name in SPLIT_NAMES
    }


def motif_mask(dataset: SimulatedDataset, core_only: bool = True) -> np.ndarray:
    """Mark the positions covered by planted motifs.

    Parameters
    ----------
    dataset : SimulatedDataset
        Dataset with N sequences of length L.
    core_only : bool
        If True (default), only motifs from the core pool are marked.

    Returns
    -------
    numpy.ndarray, shape (N, L), bool
        True inside planted motifs.
    """
    n, _, length = dataset.x.shape
    mask = np.zeros((n, length), dtype=bool)
    placements = dataset.placements
    if core_only:
        placements = placements[placements["core"]]
    for sequence, start, end in zip(
        placements["sequence"], placements["start"], placements["end"], strict=True
    ):
        mask[sequence, start:end] = True
    return mask


# --------------------------------------------------------------------------------------------
# Saving and loading
# --------------------------------------------------------------------------------------------

_ARRAY_KEYS = ("x", "y", "truth", "split")
_TABLE_KEYS = {"placements": PLACEMENT_COLUMNS, "motif_pool": MOTIF_POOL_COLUMNS}


def save_dataset(dataset: SimulatedDataset, path: str | os.PathLike) -> None:
    """Write a dataset to one compressed ``.npz`` file, atomically.

    The arrays ``x``, ``y``, ``truth`` and ``split`` are stored as they are; the two tables are
    stored as JSON strings (column name -> list of values). The file is written to a temporary
    file in the same directory and then renamed over ``path``, so a reader never sees a
    half-written file. ``path`` is used as given (no ``.npz`` suffix is added).

    Parameters
    ----------
    dataset : SimulatedDataset
        The dataset to save.
    path : str or os.PathLike
        Destination file; its directory is created if missing.
    """
    path = Path(path)
    arrays = {key: np.asarray(getattr(dataset, key)) for key in _ARRAY_KEYS}
    arrays["split"] = arrays["split"].astype(str)  # fixed-width unicode: loads without pickle
    for key, columns in _TABLE_KEYS.items():
        table = getattr(dataset, key)
        arrays[key] = np.array(json.dumps({c: table[c].tolist() for c in columns}))

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def load_dataset(path: str | os.PathLike) -> SimulatedDataset:
    """Read a dataset written by :func:`save_dataset`.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`save_dataset`.

    Returns
    -------
    SimulatedDataset

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is not a dataset file or lacks one of its keys; the message names the path.
    """
    with read_npz(path, "dataset") as stored:
        missing = [key for key in (*_ARRAY_KEYS, *_TABLE_KEYS) if key not in stored.files]
        if missing:
            raise ValueError(f"missing keys {missing}")
        arrays = {key: stored[key] for key in _ARRAY_KEYS}
        tables = {}
        for key, columns in _TABLE_KEYS.items():
            values = json.loads(str(stored[key]))
            rows = list(zip(*(values[c] for c in columns), strict=True))
            tables[key] = _table(rows, columns)
        return SimulatedDataset(**arrays, **tables)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _validate_pwm(pwm: np.ndarray, name: str) -> np.ndarray:
    """Return ``pwm`` as float64 after checking shape (4, W) and columns summing to 1."""
    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != len(ALPHABET) or pwm.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (4, W) with W >= 1, got {pwm.shape}")
    if not np.isfinite(pwm).all() or (pwm < 0).any():
        raise ValueError(f"{name}: probabilities must be finite and non-negative")
    if not np.allclose(pwm.sum(axis=0), 1.0, rtol=0, atol=_TOLERANCE):
        raise ValueError(f"{name}: every column must sum to 1")
    return pwm


def _check_int(value: int, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")


def _check_fraction(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a value in [0, 1], got {value!r}")


def _check_motif_counts(motifs_per_sequence: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``motifs_per_sequence``; return the counts and their probabilities."""
    name = "motifs_per_sequence"
    if not motifs_per_sequence:
        raise ValueError(f"{name}: must not be empty")
    for count, probability in motifs_per_sequence.items():
        _check_int(count, f"{name} key {count!r}", minimum=1)
        if not probability >= 0:
            raise ValueError(f"{name}[{count}]: probability must be >= 0, got {probability!r}")
    counts = np.array(sorted(motifs_per_sequence), dtype=np.int64)
    probabilities = np.array([motifs_per_sequence[k] for k in counts], dtype=np.float64)
    if abs(probabilities.sum() - 1.0) > _TOLERANCE:
        raise ValueError(f"{name}: probabilities sum to {probabilities.sum()}, not 1")
    return counts, probabilities


def check_split_fractions(split_fractions: Mapping[str, float]) -> None:
    """Raise a ValueError unless ``split_fractions`` maps train/valid/test to fractions
    in (0, 1] summing to 1."""
    name = "split_fractions"
    unknown = set(split_fractions) - set(SPLIT_NAMES)
    if unknown:
        raise ValueError(f"{name}: unknown splits {sorted(unknown)}; allowed {SPLIT_NAMES}")
    for key, fraction in split_fractions.items():
        if not fraction >= 0:
            raise ValueError(f"{name}[{key!r}]: fraction must be >= 0, got {fraction!r}")
    total = sum(split_fractions.values())
    if abs(total - 1.0) > _TOLERANCE:
        raise ValueError(f"{name}: fractions sum to {total}, not 1")


def _get_motifs(motifs: dict[str, Motif] | None, release: str) -> dict[str, Motif]:
    return load_jaspar_motifs(release=release) if motifs is None else motifs


def _lookup_motif(motifs: dict[str, Motif], matrix_id: str, argument: str, release: str) -> Motif:
    if matrix_id not in motifs:
        raise ValueError(f"{argument}: motif {matrix_id!r} not found (release {release})")
    return motifs[matrix_id]


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


def random_split(
    n: int, split_fractions: Mapping[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Assign ``n`` items to splits by a random permutation.

    Sizes are ``floor(fraction * n)`` plus one for the splits with the largest remainders, so
    they sum to ``n``.
    """
    names = [s for s in SPLIT_NAMES if s in split_fractions]
    exact = np.array([split_fractions[s] * n for s in names])
    sizes = np.floor(exact).astype(np.int64)
    # Largest remainders first; ties keep the train/valid/test order.
    for j in np.argsort(-(exact - sizes), kind="stable")[: n - sizes.sum()]:
        sizes[j] += 1
    labels = np.repeat(np.array(names), sizes)
    return labels[rng.permutation(n)]


def _table(rows: list[tuple], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame with fixed column order and dtypes (int64, bool, str), also when empty."""
    table = pd.DataFrame.from_records(rows, columns=list(columns))
    dtypes = {
        c: ("int64" if c in _INT_COLUMNS else "bool" if c in _BOOL_COLUMNS else str)
        for c in columns
    }
    return table.astype(dtypes)
