"""The synthetic SPI1 dataset of Tseng et al. (2020): one motif near the centre of
GC-controlled background, as a stored dataset or regenerated for every batch. Seeded with
``numpy.random.default_rng(seed)``.

Every array of sequences is ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from attrprior.arguments import check_fraction, check_int
from attrprior.pwms import Motif, get_motifs, lookup_motif, sample_one_hot
from attrprior.sequences import reverse_complement
from attrprior.sim.datasets import (
    DEFAULT_SPLIT_FRACTIONS,
    MOTIF_POOL_COLUMNS,
    PLACEMENT_COLUMNS,
    SimulatedDataset,
    check_split_fractions,
    random_split,
    typed_table,
)


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
    check_int(n_positives, "n_positives", minimum=0)
    check_int(n_negatives, "n_negatives", minimum=0)
    if n_positives + n_negatives < 1:
        raise ValueError("n_positives, n_negatives: need at least one sequence")
    check_int(length, "length", minimum=1)
    check_int(central_flank, "central_flank", minimum=0)
    check_fraction(gc_prob, "gc_prob")
    check_fraction(gc_prob + positive_gc_excess, "positive_gc_excess (gc_prob + excess)")
    check_split_fractions(split_fractions)
    motif = lookup_motif(get_motifs(motifs, release), motif_id, "motif_id", release)
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

    x = sample_one_hot(truth, rng).astype(np.float32)
    y = is_positive.astype(np.float32)[:, None]
    return SimulatedDataset(
        x=x,
        y=y,
        truth=truth,
        split=split,
        placements=typed_table(rows, PLACEMENT_COLUMNS),
        motif_pool=typed_table(
            [(motif.matrix_id, motif.name, "core", motif.width)], MOTIF_POOL_COLUMNS
        ),
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
    check_int(n, "n", minimum=0)
    check_fraction(gc, "gc")
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
    return sample_one_hot(truth, rng).astype(np.float32), truth


@dataclass(frozen=True)
class SingleMotifBatches:
    """Training batches of the single-motif simulation drawn fresh for every batch, as
    Tseng et al.'s reference trains its synthetic SPI1 models (an endless supply of
    sequences rather than a fixed training set).

    Each batch is ``batch_size // 2`` positives at ``positive_gc`` (the training GC bias)
    and as many negatives at ``negative_gc`` (the reference: always 0.5); an epoch is
    ``n_batches`` batches. Usable as :class:`attrprior.objectives.BatchSource`.
    """

    motif: Motif
    length: int
    positive_gc: float
    negative_gc: float
    central_flank: int
    n_batches: int

    def batches_per_epoch(self, batch_size: int) -> int:
        """Batches :meth:`batches` yields per epoch, whatever ``batch_size``."""
        return self.n_batches

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
