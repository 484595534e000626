"""Training examples from genome-wide binary labels (Tseng et al. 2020).

The labels (:func:`attrprior.genomics.labels.write_binary_labels`) tile the genome into ~10^7-10^8
1000-bp windows, nearly all negative. As in the reference, an epoch is one pass over the
positive windows, each batch half positives and half negatives, and the negatives are drawn
afresh every epoch from all negative windows of the split's chromosomes. Sequences are read
from the memory-mapped genome (:class:`attrprior.genomics.genome.GenomeArray`) batch by batch, so
memory stays bounded whatever the genome size.

- positive window: label 1 for at least one task (other tasks may be 0 or -1; the loss
  ignores -1);
- negative window: label 0 for every task;
- windows that are ambiguous (-1) for some task and positive for none are never used.

:func:`region_examples` reads the fixed regions of Majdandzic et al.'s 200-bp tasks instead.

:class:`ProfileBatches` makes the batches of Tseng et al.'s profile models from a
profile-examples directory (:class:`attrprior.genomics.stored_profiles.ProfileExamples`): every
training peak once per epoch, jittered, with random genomic windows from the directory's pool
filling the rest of each batch; validation and test use the peaks alone, unjittered.
:func:`profile_attribution_examples` picks the test peaks profile models are explained on.

Training on a fraction of the data (Tseng et al.'s "1% data" runs, condition key
``keep_positives``): each task's peaks are ranked by signal value (narrowPeak column 7,
rank 1 the strongest, :func:`signal_ranks`) and those of rank ``<= int(n_peaks * fraction)``
kept (:func:`kept_rank`). Binary models keep the training positives whose central bin those
peaks cover (:func:`retained_positives`); profile models keep the training peaks of those
ranks (:func:`retained_profile_peaks`). Negatives, random windows, validation and test data
stay complete.

Arrays are ``(N, 4, L)`` one-hot (examples, bases A/C/G/T, positions) and ``(N, T)`` labels;
profile batches are :class:`attrprior.genomics.stored_profiles.ProfileBatch` objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from attrprior.genomics.genome import GenomeArray
from attrprior.genomics.labels import BinaryLabels, central_bin_coverage
from attrprior.genomics.stored_profiles import (
    ProfileBatch,
    ProfileExamples,
    concatenate_profile_batches,
    take_windows,
)
from attrprior.sequences import N_CODE

__all__ = [
    "BalancedWindows",
    "ProfileBatches",
    "genomic_splits",
    "kept_rank",
    "positive_and_negative_windows",
    "profile_attribution_examples",
    "profile_splits",
    "region_examples",
    "retained_positives",
    "retained_profile_peaks",
    "signal_ranks",
]


def positive_and_negative_windows(
    labels: BinaryLabels, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the positive and the negative windows among those selected by ``mask``.

    Parameters
    ----------
    labels : BinaryLabels
    mask : numpy.ndarray of bool, shape (W,)
        Windows of one split (e.g. ``labels.split_mask(["chr1"])``).

    Returns
    -------
    positives, negatives : numpy.ndarray of int64
        Window indices, ascending.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (len(labels.start),):
        raise ValueError(f"mask: expected shape ({len(labels.start)},), got {mask.shape}")
    positive = (labels.labels == 1).any(axis=1) & mask
    negative = (labels.labels == 0).all(axis=1) & mask
    return np.flatnonzero(positive), np.flatnonzero(negative)


class BalancedWindows:
    """Balanced batches of one split: every positive once per epoch, fresh negatives.

    Parameters
    ----------
    genome : GenomeArray
    labels : BinaryLabels
    mask : numpy.ndarray of bool, shape (W,)
        The split's windows.
    name : str
        Split name, for error messages.
    keep : numpy.ndarray of bool, shape (W,), optional
        Positive windows to keep (the others are left out of the split; negatives are not
        affected): training on a fraction of the peaks (:func:`retained_positives`).

    Attributes
    ----------
    positives, negatives : numpy.ndarray of int64
        The split's positive windows (those kept) and negative windows.
    n_all_positives : int
        The split's positive windows before ``keep`` was applied.

    Raises
    ------
    ValueError
        If the split has no positive or no negative window.
    """

    def __init__(
        self,
        genome: GenomeArray,
        labels: BinaryLabels,
        mask: np.ndarray,
        name: str = "train",
        keep: np.ndarray | None = None,
    ) -> None:
        self.genome = genome
        self.labels = labels
        self.positives, self.negatives = positive_and_negative_windows(labels, mask)
        self.n_all_positives = len(self.positives)
        if keep is not None:
            keep = np.asarray(keep, dtype=bool)
            if keep.shape != (len(labels.start),):
                raise ValueError(f"keep: expected shape ({len(labels.start)},), got {keep.shape}")
            self.positives = self.positives[keep[self.positives]]
        if len(self.positives) == 0 or len(self.negatives) == 0:
            raise ValueError(
                f"split {name!r}: {len(self.positives)} positive and {len(self.negatives)} "
                "negative windows; both are needed (check the split chromosomes and peaks)"
            )

    def __len__(self) -> int:
        """Examples per epoch: each positive and as many negatives."""
        return 2 * len(self.positives)

    def batches_per_epoch(self, batch_size: int) -> int:
        """Batches :meth:`batches` yields per epoch: ``ceil(positives / (batch_size // 2))``."""
        if batch_size < 2:
            raise ValueError(f"batch_size: at least 2 for balanced batches, got {batch_size}")
        return -(-len(self.positives) // (batch_size // 2))

    def examples(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-hot sequences ``(N, 4, L)`` float32 and labels ``(N, T)`` float32 of windows."""
        chroms = self.labels.chrom_names[self.labels.chrom[windows]]
        x = self.genome.one_hot(list(chroms), self.labels.start[windows], self.labels.window_length)
        return x, self.labels.labels[windows].astype(np.float32)

    def batches(
        self, batch_size: int, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of batches, each ``batch_size // 2`` positives + as many negatives.

        Positives are shuffled; negatives are drawn without replacement from all negative
        windows (with replacement only if there are fewer negatives than positives).
        """
        if batch_size < 2:
            raise ValueError(f"batch_size: at least 2 for balanced batches, got {batch_size}")
        half = batch_size // 2
        positives = rng.permutation(self.positives)
        replace = len(self.negatives) < len(positives)
        negatives = rng.choice(self.negatives, size=len(positives), replace=replace)
        for begin in range(0, len(positives), half):
            windows = np.concatenate(
                [positives[begin : begin + half], negatives[begin : begin + half]]
            )
            yield self.examples(windows)

    def fixed_sample(
        self, rng: np.random.Generator, negatives_per_positive: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """All positives and a seeded sample of negatives, as arrays (validation, test).

        Returns
        -------
        x : numpy.ndarray, shape (N, 4, L), float32
        y : numpy.ndarray, shape (N, T), float32
        """
        n_negatives = min(len(self.negatives), round(negatives_per_positive * len(self.positives)))
        negatives = rng.choice(self.negatives, size=n_negatives, replace=False)
        # Shuffled: evaluation runs batch by batch, and a class-balanced loss over a batch of
        # positives only (or negatives only) is not the loss of the whole set.
        return self.examples(rng.permutation(np.concatenate([self.positives, negatives])))


def genomic_splits(
    genome: GenomeArray,
    labels: BinaryLabels,
    split_chroms: dict[str, list[str]],
    seed: int = 0,
    negatives_per_positive: float = 1.0,
    train_keep: np.ndarray | None = None,
) -> tuple[BalancedWindows, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Chromosome-held-out train / validation / test data from genome-wide labels.

    Parameters
    ----------
    genome : GenomeArray
    labels : BinaryLabels
    split_chroms : dict
        ``{"valid": [...], "test": [...]}`` chromosome names, or regions
        ``chrom:start-end`` (a window belongs to the region its centre lies in); every
        other labelled window is for training (Tseng et al.: test chr1).
    seed : int
        Seeds the negatives of the fixed validation and test samples, so every model of a
        dataset is evaluated on the same windows whatever its own seed.
    negatives_per_positive : float
        Negatives per positive in the validation and test samples.
    train_keep : numpy.ndarray of bool, shape (W,), optional
        Training positives to keep (:func:`retained_positives`); validation and test stay
        complete, so models trained on a fraction of the data are evaluated on the same
        windows as the others.

    Returns
    -------
    train : BalancedWindows
        Balanced batches with negatives resampled each epoch.
    valid, test : tuple of numpy.ndarray
        ``(x, y)``: x ``(N, 4, L)`` float32, y ``(N, T)`` float32 in {1, 0, -1}.
    """
    held_out = {name: labels.split_mask(split_chroms.get(name, [])) for name in ("valid", "test")}
    if (held_out["valid"] & held_out["test"]).any():
        raise ValueError("splits: valid and test share windows")
    train_mask = ~(held_out["valid"] | held_out["test"])
    rng = np.random.default_rng(seed)
    samples = {
        name: BalancedWindows(genome, labels, mask, name).fixed_sample(rng, negatives_per_positive)
        for name, mask in held_out.items()
    }
    train = BalancedWindows(genome, labels, train_mask, keep=train_keep)
    return train, samples["valid"], samples["test"]


def signal_ranks(signal) -> np.ndarray:
    """Rank of each peak by signal value within its set: 1 for the strongest.

    Parameters
    ----------
    signal : array-like of float, shape (P,)
        Signal values of one task's peaks (narrowPeak column 7, ``signal`` of
        :func:`attrprior.genomics.peaks.read_narrowpeak`), in file order.

    Returns
    -------
    numpy.ndarray of int64, shape (P,)
        Ranks 1 .. P, a permutation. Ties keep file order (a stable sort: the earlier peak
        gets the better rank), so the same file always gives the same ranks.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"signal: expected a 1-D array, got shape {signal.shape}")
    order = np.argsort(-signal, kind="stable")
    ranks = np.empty(len(signal), dtype=np.int64)
    ranks[order] = np.arange(1, len(signal) + 1)
    return ranks


def kept_rank(n_peaks: int, fraction: float) -> int:
    """Worst signal rank kept when training on ``fraction`` of a task's peaks.

    ``int(n_peaks * fraction)``, as Tseng et al.'s reference (so 3 peaks and 0.34 keep
    1; a fraction below ``1 / n_peaks`` keeps none of that task's peaks).

    Parameters
    ----------
    n_peaks : int
        Peaks of the task (rows of its peak file).
    fraction : float
        In (0, 1] (condition key ``keep_positives``).

    Returns
    -------
    int
        Peaks of rank ``<=`` this are kept.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"keep_positives: expected a fraction in (0, 1], got {fraction!r}")
    return int(n_peaks * fraction)


def retained_positives(
    labels: BinaryLabels,
    task_peaks: Sequence[pd.DataFrame],
    fraction: float,
    min_overlap: float,
) -> np.ndarray:
    """Positive windows of the strongest ``fraction`` of each task's peaks.

    Per task, the peaks of signal rank ``<= int(n_peaks * fraction)`` (:func:`signal_ranks`,
    :func:`kept_rank`) are kept. A window is kept when, for at least one task that is
    positive (label 1) in it, the union of that task's kept peaks covers at least
    ``min_overlap * bin_size`` bp of its central bin ``[start + flank, start + flank +
    bin_size)`` (the labelling rule of :mod:`attrprior.genomics.labels`, applied to the kept peaks).

    Parameters
    ----------
    labels : BinaryLabels
        Windows and labels, ``(W, T)``.
    task_peaks : sequence of pandas.DataFrame, length T
        Per task, in ``labels.tasks`` order, all its optimal peaks (``chrom``, ``start``,
        ``end``, ``signal``; :func:`attrprior.genomics.peaks.read_narrowpeak`). Ranks are taken
        over every row, including peaks on chromosomes that are not labelled.
    fraction : float
        In (0, 1].
    min_overlap : float
        Labels setting ``min_overlap``: share of the central bin the peaks must cover.

    Returns
    -------
    numpy.ndarray of bool, shape (W,)
        True for the kept positive windows; False for every other window (negatives and
        ambiguous ones included: callers restrict positives only).
    """
    if len(task_peaks) != len(labels.tasks):
        raise ValueError(
            f"task_peaks: {len(task_peaks)} peak sets for the {len(labels.tasks)} tasks "
            f"{list(labels.tasks)}"
        )
    threshold = min_overlap * labels.bin_size
    keep = np.zeros(len(labels.start), dtype=bool)
    for t, peaks in enumerate(task_peaks):
        windows = np.flatnonzero(labels.labels[:, t] == 1)
        top = peaks[signal_ranks(peaks["signal"]) <= kept_rank(len(peaks), fraction)]
        covered = central_bin_coverage(labels, windows, top)
        keep[windows[covered >= threshold]] = True
    return keep


def region_examples(
    genome: GenomeArray, regions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequences and labels of equal-width regions (Majdandzic et al.'s 200-bp tasks).

    Parameters
    ----------
    genome : GenomeArray
    regions : pandas.DataFrame
        Columns ``chrom``, ``start``, ``end`` (all the same width), ``label`` (1/0) and
        ``split``, as :func:`attrprior.genomics.koo_regions.koo_task_regions` returns them.

    Returns
    -------
    x : numpy.ndarray, shape (N, 4, W), int8
        One-hot sequences (N bases all-zero).
    y : numpy.ndarray, shape (N, 1), float32
    split : numpy.ndarray, shape (N,), str
    """
    widths = (regions["end"] - regions["start"]).unique()
    if len(widths) != 1:
        raise ValueError(f"regions: expected one width, got {sorted(widths)}")
    x = genome.one_hot(list(regions["chrom"]), regions["start"].to_numpy(), int(widths[0]), np.int8)
    y = regions["label"].to_numpy(dtype=np.float32)[:, None]
    return x, y, regions["split"].to_numpy(dtype=str)


class ProfileBatches:
    """Batches of summit-centred peak examples, optionally with random genomic windows.

    Tseng et al.'s profile training batch is 32 peak examples jittered by up to ±128 bp plus
    32 random windows of the training chromosomes (``batch_size=64``, ``random_fraction=0.5``,
    ``jitter=128``); an epoch is one pass over the training peaks. Here the random windows are
    drawn, with replacement, from the pool stored with the examples
    (``build_profile_examples(random_windows=...)``) rather than from the genome on the fly.

    Parameters
    ----------
    examples : ProfileExamples
    peaks : array-like of int, shape (P,)
        Rows of the peak examples.
    randoms : array-like of int, shape (R,), optional
        Rows of the random windows to draw from (needed when ``random_fraction > 0``).
    jitter : int
        Largest shift of a peak example in training batches (0 .. ``examples.max_jitter``);
        random windows are not shifted.
    random_fraction : float
        Share of each training batch taken by random windows, in [0, 1).

    Notes
    -----
    Batches are :class:`attrprior.genomics.stored_profiles.ProfileBatch` objects, peaks first, with
    ``is_peak`` marking them. Nothing is reverse-complemented here: the training objective
    appends the reverse complements (so each batch doubles).
    """

    def __init__(
        self,
        examples: ProfileExamples,
        peaks,
        randoms=(),
        jitter: int = 0,
        random_fraction: float = 0.0,
    ) -> None:
        self.examples = examples
        self.peaks = np.asarray(peaks, dtype=np.int64)
        self.randoms = np.asarray(randoms, dtype=np.int64)
        if not 0 <= random_fraction < 1:
            raise ValueError(f"random_fraction: expected a value in [0, 1), got {random_fraction}")
        if random_fraction > 0 and len(self.randoms) == 0:
            raise ValueError(
                f"random_fraction={random_fraction} but no random windows to draw from: build "
                "the examples with random_windows > 0"
            )
        if not isinstance(jitter, int | np.integer) or not 0 <= jitter <= examples.max_jitter:
            raise ValueError(f"jitter: expected an int in 0..{examples.max_jitter}, got {jitter!r}")
        for name, rows, peak in (("peaks", self.peaks, True), ("randoms", self.randoms, False)):
            if len(rows) and (
                rows.min() < 0
                or rows.max() >= len(examples)
                or (examples.is_peak[rows] != peak).any()
            ):
                raise ValueError(f"{name}: rows must be {name[:-1]} rows of {examples}")
        self.jitter = int(jitter)
        self.random_fraction = float(random_fraction)

    @classmethod
    def for_split(
        cls,
        examples: ProfileExamples,
        split: str,
        *,
        jitter: int = 0,
        random_fraction: float = 0.0,
    ) -> ProfileBatches:
        """The peaks of one split, plus the whole random-window pool when
        ``random_fraction > 0`` (training)."""
        randoms = examples.random_indices() if random_fraction > 0 else ()
        return cls(examples, examples.split_indices(split), randoms, jitter, random_fraction)

    def __len__(self) -> int:
        """Peak examples (one epoch)."""
        return len(self.peaks)

    def batches_per_epoch(self, batch_size: int) -> int:
        """Batches :meth:`batches` yields per epoch: ``ceil(peaks / peaks per batch)``."""
        return -(-len(self.peaks) // self.split_batch_size(batch_size)[0])

    def split_batch_size(self, batch_size: int) -> tuple[int, int]:
        """Peaks and random windows per training batch of ``batch_size`` examples."""
        n_random = round(batch_size * self.random_fraction)
        if batch_size - n_random < 1:
            raise ValueError(f"batch_size={batch_size} leaves no room for a peak example")
        return batch_size - n_random, n_random

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[ProfileBatch]:
        """One training epoch: shuffled, jittered peaks plus freshly drawn random windows.

        Every peak appears once; each batch holds ``batch_size - n_random`` peaks (fewer in
        the last one) and ``n_random = round(batch_size * random_fraction)`` random windows.
        Uses ``rng`` for the order, the jitter and the random windows, so a seeded generator
        gives the same epoch.
        """
        n_peaks, n_random = self.split_batch_size(batch_size)
        order = rng.permutation(self.peaks)
        for begin in range(0, len(order), n_peaks):
            parts = [self.examples.sample(order[begin : begin + n_peaks], self.jitter, rng)]
            if n_random:
                parts.append(self.examples.sample(rng.choice(self.randoms, size=n_random)))
            yield concatenate_profile_batches(parts)

    def ordered_batches(self, batch_size: int) -> Iterator[ProfileBatch]:
        """The peaks in order, unjittered, without random windows (validation and test)."""
        if batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
        for begin in range(0, len(self.peaks), batch_size):
            yield self.examples.sample(self.peaks[begin : begin + batch_size])


#: Tseng et al.'s profile training batches: half summit-centred peaks, half random windows.
PROFILE_RANDOM_FRACTION = 0.5


def profile_splits(
    examples: ProfileExamples,
    random_fraction: float = PROFILE_RANDOM_FRACTION,
    keep_positives: float | None = None,
) -> dict[str, ProfileBatches]:
    """Training, validation and test batches of a profile-examples directory.

    Training: the training peaks jittered by up to ``examples.max_jitter``, with
    ``random_fraction`` of each batch drawn from the random-window pool (none when the pool
    is empty). Validation and test: their peaks, centred, without random windows.

    Parameters
    ----------
    examples : ProfileExamples
    random_fraction : float
        Share of each training batch taken by random windows (Tseng et al.: 0.5).
    keep_positives : float, optional
        Train on the strongest fraction of each task's peaks only
        (:func:`retained_profile_peaks`); random windows, validation and test stay complete.

    Returns
    -------
    dict of str to ProfileBatches
        Keys ``train``, ``valid``, ``test``.

    Raises
    ------
    ValueError
        A split without peak examples, naming the directory.
    """
    random_fraction = random_fraction if examples.n_random else 0.0
    train = ProfileBatches.for_split(
        examples, "train", jitter=examples.max_jitter, random_fraction=random_fraction
    )
    if keep_positives is not None:
        # A subset of the validated training peak rows, so still valid.
        train.peaks = retained_profile_peaks(examples, train.peaks, keep_positives)
    splits = {
        "train": train,
        "valid": ProfileBatches.for_split(examples, "valid"),
        "test": ProfileBatches.for_split(examples, "test"),
    }
    for name, batches in splits.items():
        if not len(batches):
            raise ValueError(
                f"{examples.directory}: no {name} peak examples; a profile model needs peaks "
                "in every split (check the split chromosomes)"
            )
    return splits


def retained_profile_peaks(examples: ProfileExamples, rows, fraction: float) -> np.ndarray:
    """The peak examples among ``rows`` whose peak is among its task's strongest ``fraction``.

    A peak example is kept when its peak's signal rank within its task's peak file
    (``examples.peak_rank``, 1 the strongest; :func:`signal_ranks`) is at most
    ``int(n_peaks * fraction)`` (:func:`kept_rank`), ``n_peaks`` the rows of that file
    (``examples.task_peak_counts``).

    Parameters
    ----------
    examples : ProfileExamples
    rows : array-like of int, shape (n,)
        Peak example rows (e.g. ``examples.split_indices("train")``).
    fraction : float
        In (0, 1].

    Returns
    -------
    numpy.ndarray of int64, shape (k,)
        The kept rows, in the given order.

    Raises
    ------
    ValueError
        If the examples record no peak ranks (built without them), naming the directory.
    """
    if examples.peak_rank is None:
        raise ValueError(
            f"{examples.directory}: no peak signal ranks, which training on a fraction of "
            "the peaks (keep_positives) needs; rebuild it (rule profile_examples)"
        )
    rows = np.asarray(rows, dtype=np.int64)
    limits = np.array([kept_rank(int(n), fraction) for n in examples.task_peak_counts])
    task = examples.task[rows]
    if (task < 0).any():
        raise ValueError("rows: random windows have no peak rank; pass peak example rows")
    return rows[examples.peak_rank[rows] <= limits[task]]


def profile_attribution_examples(
    examples: ProfileExamples, n: int, seed: int, split: str = "test", jitter: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random peak examples of one split to explain a profile model on (Tseng et al.).

    Peaks of several tasks at the same summit count once (the first row is kept). Each is
    shifted by a seeded uniform integer in ``[-jitter, jitter]``: Tseng et al.'s evaluation
    notebooks jitter the explained peaks by up to ±128 bp "to avoid center-bias" (unseeded
    there; seeded here). Examples whose shifted input window holds an N are left out
    (DeepSHAP's hypothetical scores need one base per position).

    Parameters
    ----------
    examples : ProfileExamples
    n : int
        Examples wanted; all usable ones if fewer.
    seed : int
        Seed of the shifts and of the draw.
    split : str
        Split whose peaks are drawn from.
    jitter : int
        Largest shift in bp, 0 .. ``examples.max_jitter``; 0 explains the peaks centred on
        their summits (and draws the same examples as before jitter existed).

    Returns
    -------
    rows : numpy.ndarray, shape (min(n, usable),), int64
        Example rows, sorted.
    shifts : numpy.ndarray, shape (min(n, usable),), int64
        The shift of each (window start = summit + shift - input_length // 2).

    Raises
    ------
    ValueError
        If ``jitter`` is out of range, or the split has no usable peak example, naming the
        directory.
    """
    if not isinstance(jitter, int | np.integer) or not 0 <= jitter <= examples.max_jitter:
        raise ValueError(
            f"jitter: expected an int in 0..{examples.max_jitter} (the examples' max_jitter), "
            f"got {jitter!r}"
        )
    rows = examples.split_indices(split)
    sites = pd.DataFrame({"chrom": examples.chrom[rows], "center": examples.center[rows]})
    rows = rows[~sites.duplicated().to_numpy()]
    rng = np.random.default_rng(seed)
    shifts = (
        rng.integers(-jitter, jitter, size=len(rows), endpoint=True)
        if jitter
        else np.zeros(len(rows), dtype=np.int64)
    ).astype(np.int64)
    codes = take_windows(
        examples.sequence_codes[rows], examples.max_jitter + shifts, examples.input_length
    )
    usable = (codes != N_CODE).all(axis=1)
    rows, shifts = rows[usable], shifts[usable]
    if not len(rows):
        raise ValueError(
            f"{examples.directory}: no {split} peak example without N bases to explain"
        )
    chosen = np.sort(rng.choice(len(rows), size=min(n, len(rows)), replace=False))
    return rows[chosen].astype(np.int64), shifts[chosen]
