"""Motifs from attribution maps (Tseng et al. 2020, Figure 3).

The steps, in order:

1. :func:`find_motifs` runs TF-MoDISco (``modisco-lite``) on hypothetical contributions and
   returns one :class:`DiscoveredMotif` per pattern, with its seqlets.
2. :func:`filter_motifs` applies the paper's motif filters (:func:`passes_filter`) and trims
   the flanks of the motifs that pass (:func:`trim_bounds`, :func:`trim_motif`).
3. :func:`match_to_database` matches motifs to a database (e.g. JASPAR from
   :func:`attrprior.pwms.load_jaspar_motifs`) with TOMTOM (``memelite``).
4. :func:`call_instances` scans contribution maps with the motifs' CWMs;
   :func:`rank_instances` ranks instances (calls or seqlets) by their total attribution and
   :func:`cumulative_recall` follows how many of the top-k calls overlap gold-standard regions.
5. :func:`write_motifs` / :func:`read_motifs` store motifs (``.npz`` plus a TSV summary).

Every attribution or sequence array is ``(N, 4, L)``: examples, bases A/C/G/T, positions.
Motif matrices are ``(4, W)``: bases, motif positions. Instance and region tables hold one row
per interval with integer columns ``example`` (row index into the arrays), ``start`` (0-based)
and ``end`` (exclusive), and, for instances, ``strand`` (``"+"`` or ``"-"``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.arguments import check_fraction, check_int
from attrprior.io import atomic_path, read_npz
from attrprior.pwms import Motif
from attrprior.sequences import ALPHABET
from attrprior.sequences import reverse_complement as _reverse_complement

__all__ = [
    "DiscoveredMotif",
    "find_motifs",
    "information_content",
    "trim_bounds",
    "trim_motif",
    "passes_filter",
    "filter_motifs",
    "match_to_database",
    "call_instances",
    "rank_instances",
    "cumulative_recall",
    "mask_regions",
    "write_motifs",
    "read_motifs",
]

#: TF-MoDISco settings of Tseng et al. (2020); everything else is modisco-lite's default.
PAPER_MODISCO_SETTINGS = {
    "sliding_window_size": 21,
    "flank_size": 10,
    "target_seqlet_fdr": 0.01,
    "trim_to_window_size": 30,
    "initial_flank_to_add": 10,
    "final_min_cluster_size": 60,
}

SEQLET_COLUMNS = ("example", "start", "end", "strand")
MATCH_COLUMNS = (
    "motif",
    "rank",
    "matrix_id",
    "target_name",
    "p_value",
    "q_value",
    "score",
    "offset",
    "overlap",
    "strand",
)
INSTANCE_COLUMNS = ("example", "start", "end", "strand", "motif", "similarity", "pwm_score")
RECALL_COLUMNS = ("rank", "hit", "cumulative_hits", "precision", "recall", "enrichment")
SUMMARY_COLUMNS = (
    "name",
    "sign",
    "n_seqlets",
    "width",
    "consensus",
    "total_contribution",
    "max_ic",
)

_FORMAT = "attrprior.motifs/1"
_TOLERANCE = 1e-6


# --------------------------------------------------------------------------------------------
# Motif records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DiscoveredMotif:
    """A motif found by TF-MoDISco, with the seqlets that support it.

    Parameters
    ----------
    name : str
        Pattern name, e.g. ``"pos_pattern_0"`` (metacluster sign and index in modisco's order).
    sign : int
        +1 for the positive metacluster (net positive contributions), -1 for the negative one.
    ppm : numpy.ndarray, shape (4, W)
        Position probability matrix: the base frequencies of the aligned seqlets, rows A, C,
        G, T; every column sums to 1.
    cwm : numpy.ndarray, shape (4, W)
        Contribution weight matrix: the mean actual contributions (hypothetical × one-hot) of
        the aligned seqlets.
    hypothetical_cwm : numpy.ndarray, shape (4, W)
        The mean hypothetical contributions of the aligned seqlets.
    seqlets : pandas.DataFrame
        One row per seqlet, columns ``example``, ``start``, ``end`` (0-based, exclusive) and
        ``strand``. Motif column ``j`` lies at sequence position ``start + j`` for ``"+"``
        seqlets and at ``end - 1 - j`` (complemented) for ``"-"`` seqlets; ``end - start == W``.

    Notes
    -----
    Arrays are stored as read-only float64 copies; ``ppm`` columns must already sum to 1
    (within 1e-6) and are not renormalised. Equality is identity (``eq=False``).
    """

    name: str
    sign: int
    ppm: np.ndarray
    cwm: np.ndarray
    hypothetical_cwm: np.ndarray
    seqlets: pd.DataFrame

    def __post_init__(self) -> None:
        if self.sign not in (1, -1):
            raise ValueError(f"sign: expected +1 or -1, got {self.sign!r}")
        ppm = _as_ppm(self.ppm, "ppm", normalize=False)
        width = ppm.shape[1]
        arrays = {"ppm": ppm}
        for field in ("cwm", "hypothetical_cwm"):
            array = np.array(getattr(self, field), dtype=np.float64)
            if array.shape != (len(ALPHABET), width):
                raise ValueError(
                    f"{field}: expected shape {(len(ALPHABET), width)}, got {array.shape}"
                )
            if not np.isfinite(array).all():
                raise ValueError(f"{field}: values must be finite")
            arrays[field] = array
        for field, array in arrays.items():
            array.setflags(write=False)
            object.__setattr__(self, field, array)
        seqlets = _as_intervals(self.seqlets, "seqlets", stranded=True)
        if len(seqlets) and not (seqlets["end"] - seqlets["start"] == width).all():
            raise ValueError(f"seqlets: every seqlet must be {width} bp long (the motif width)")
        object.__setattr__(self, "seqlets", seqlets)

    @property
    def width(self) -> int:
        """Number of motif positions W."""
        return self.ppm.shape[1]

    @property
    def n_seqlets(self) -> int:
        """Number of supporting seqlets."""
        return len(self.seqlets)

    @property
    def consensus(self) -> str:
        """The most frequent base at each position."""
        return "".join(np.array(list(ALPHABET))[self.ppm.argmax(axis=0)])


# --------------------------------------------------------------------------------------------
# TF-MoDISco
# --------------------------------------------------------------------------------------------


def find_motifs(
    hypothetical: np.ndarray,
    one_hot: np.ndarray,
    *,
    sliding_window_size: int = 21,
    flank_size: int = 10,
    target_seqlet_fdr: float = 0.01,
    min_passing_windows_frac: float = 0.03,
    trim_to_window_size: int = 30,
    initial_flank_to_add: int = 10,
    final_min_cluster_size: int = 60,
    min_metacluster_size: int = 100,
    n_leiden_runs: int = 50,
    verbose: bool = False,
    **modisco_options,
) -> list[DiscoveredMotif]:
    """Run TF-MoDISco on hypothetical contributions and return its patterns.

    The defaults are the settings of Tseng et al. (2020): sliding window 21, flank 10, target
    seqlet FDR 0.01, trim-to-window 30, initial flank 10, final minimum cluster size 60. The
    other settings are modisco-lite's defaults (including its own IC filter: some 6-bp window
    with summed IC >= 0.6 bits against the seqlets' base frequencies); apply the paper's motif
    filters afterwards with :func:`filter_motifs`.

    Parameters
    ----------
    hypothetical : numpy.ndarray, shape (N, 4, L)
        Hypothetical contributions (e.g. DeepSHAP with ``hypothetical=True``). TF-MoDISco
        derives the actual contributions as ``hypothetical * one_hot``.
    one_hot : numpy.ndarray, shape (N, 4, L)
        One-hot sequences (rows A, C, G, T); all-zero columns (``N`` bases) are allowed.
    sliding_window_size, flank_size : int
        Seqlet core window and flank (bp) for seqlet extraction.
    target_seqlet_fdr : float
        Target false discovery rate of seqlet calls.
    min_passing_windows_frac : float
        Floor on the share of windows that pass the seqlet threshold (modisco-lite's 0.03):
        when the FDR threshold passes fewer, the threshold is lowered to pass this share.
        At most ``max_passing_windows_frac`` (modisco-lite's 0.2, a ``modisco_options``
        key). On short sequences dense with motifs the floor decides the seqlet count.
    trim_to_window_size, initial_flank_to_add : int
        Pattern trimming window and the flank added back around it (bp).
    final_min_cluster_size : int
        Minimum number of seqlets of a final pattern.
    min_metacluster_size : int
        A metacluster (sign) is clustered only with more seqlets than this.
    n_leiden_runs : int
        Leiden clustering runs per clustering step: the main cost; 2 are enough for tests.
    verbose : bool
        Let TF-MoDISco print progress.
    **modisco_options
        Any other keyword argument of ``modiscolite.tfmodisco.TFMoDISco``, which receives all
        of the above.

    Returns
    -------
    list of DiscoveredMotif
        Positive-metacluster patterns first, then negative ones, each in modisco's order
        (most seqlets first). Empty if TF-MoDISco finds no pattern.

    Raises
    ------
    ValueError
        If the arrays are not ``(N, 4, L)`` of the same shape, ``hypothetical`` holds
        non-finite values, ``one_hot`` is not one-hot, the sequences are shorter than one
        seqlet (``sliding_window_size + 2 * flank_size``), or there are too few sequences to
        yield the ``min_metacluster_size + 1`` seqlets a metacluster needs, even at the densest
        spacing TF-MoDISco allows.
    """
    hypothetical = _as_tracks(hypothetical, "hypothetical")
    one_hot = _as_one_hot(one_hot, "one_hot")
    if hypothetical.shape != one_hot.shape:
        raise ValueError(
            f"hypothetical and one_hot: shapes differ, {hypothetical.shape} and {one_hot.shape}"
        )
    for name, value in (
        ("sliding_window_size", sliding_window_size),
        ("flank_size", flank_size),
        ("min_metacluster_size", min_metacluster_size),
        ("n_leiden_runs", n_leiden_runs),
    ):
        check_int(value, name, minimum=0 if name in ("flank_size", "min_metacluster_size") else 1)
    check_fraction(target_seqlet_fdr, "target_seqlet_fdr")
    check_fraction(min_passing_windows_frac, "min_passing_windows_frac")
    max_passing = modisco_options.get("max_passing_windows_frac", 0.2)
    if min_passing_windows_frac > max_passing:
        raise ValueError(
            f"min_passing_windows_frac {min_passing_windows_frac} exceeds "
            f"max_passing_windows_frac {max_passing}"
        )
    n_sequences, _, length = one_hot.shape
    capacity = _max_seqlets_per_sequence(length, sliding_window_size, flank_size)
    if capacity == 0:
        raise ValueError(
            f"sequences of {length} bp are shorter than one seqlet "
            f"(sliding_window_size + 2 * flank_size = {sliding_window_size + 2 * flank_size})"
        )
    if n_sequences * capacity <= min_metacluster_size:
        raise ValueError(
            f"too few sequences: {n_sequences} sequences of {length} bp give at most "
            f"{n_sequences * capacity} seqlets, but a metacluster needs more than "
            f"min_metacluster_size = {min_metacluster_size}"
        )

    from modiscolite.tfmodisco import TFMoDISco  # heavy import (numba, igraph), only needed here

    pos_patterns, neg_patterns = TFMoDISco(
        one_hot=_to_modisco(one_hot),
        hypothetical_contribs=_to_modisco(hypothetical),
        sliding_window_size=sliding_window_size,
        flank_size=flank_size,
        target_seqlet_fdr=target_seqlet_fdr,
        min_passing_windows_frac=min_passing_windows_frac,
        trim_to_window_size=trim_to_window_size,
        initial_flank_to_add=initial_flank_to_add,
        final_min_cluster_size=final_min_cluster_size,
        min_metacluster_size=min_metacluster_size,
        n_leiden_runs=n_leiden_runs,
        verbose=verbose,
        **modisco_options,
    )
    motifs = []
    for sign, prefix, patterns in ((1, "pos", pos_patterns), (-1, "neg", neg_patterns)):
        for index, pattern in enumerate(patterns or []):
            motifs.append(_from_pattern(pattern, f"{prefix}_pattern_{index}", sign))
    return motifs


def _max_seqlets_per_sequence(length: int, window: int, flank: int) -> int:
    """Upper bound on the seqlets TF-MoDISco can extract from one sequence.

    Window sums cover ``d = L - window + 1`` positions, seqlet centres must lie in
    ``[flank, d - flank)``, and after each chosen centre the ``suppress`` positions on either
    side are excluded (``suppress = window // 2 + flank``), so centres are at least
    ``suppress + 1`` apart.
    """
    usable = length - window + 1 - 2 * flank
    if usable <= 0:
        return 0
    suppress = int(0.5 * window) + flank
    return math.ceil(usable / (suppress + 1))


def _to_modisco(x: np.ndarray) -> np.ndarray:
    """(N, 4, L) -> C-contiguous float32 (N, L, 4), the layout modisco-lite's kernels use."""
    return np.ascontiguousarray(x.transpose(0, 2, 1), dtype=np.float32)


def _from_pattern(pattern, name: str, sign: int) -> DiscoveredMotif:
    """A DiscoveredMotif from a modisco-lite SeqletSet (arrays (W, 4))."""
    counts = np.asarray(pattern.sequence, dtype=np.float64).T
    totals = counts.sum(axis=0, keepdims=True)
    # Columns of N bases (all-zero one-hot) lower the sums; renormalise, uniform if empty.
    ppm = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 1.0 / len(ALPHABET))
    rows = [
        (int(s.example_idx), int(s.start), int(s.end), "-" if s.is_revcomp else "+")
        for s in pattern.seqlets
    ]
    return DiscoveredMotif(
        name=name,
        sign=sign,
        ppm=ppm,
        cwm=np.asarray(pattern.contrib_scores, dtype=np.float64).T,
        hypothetical_cwm=np.asarray(pattern.hypothetical_contribs, dtype=np.float64).T,
        seqlets=_interval_table(rows),
    )


# --------------------------------------------------------------------------------------------
# Information content, trimming and filters
# --------------------------------------------------------------------------------------------


def information_content(
    ppm: np.ndarray, background: float | Sequence[float] = 0.25, pseudocount: float = 0.001
) -> np.ndarray:
    """Information content (bits) of each motif position relative to a background.

    ``IC_j = sum_b q_bj log2(q_bj / bg_b)`` with ``q_bj = (p_bj + c) / (1 + 4c)``, the
    Kullback-Leibler divergence of the (pseudocounted) column from the background; with a
    uniform background and ``c = 0`` this is ``2 + sum_b p log2 p`` (0 log 0 = 0).

    Parameters
    ----------
    ppm : numpy.ndarray, shape (4, W)
        Base probabilities (rows A, C, G, T); columns are normalised to sum 1, so counts are
        accepted too.
    background : float or sequence of 4 floats
        Background base probabilities; a scalar applies to every base (so it must be 0.25).
    pseudocount : float
        Added to every probability before renormalising (``c`` above), as in TF-MoDISco and
        Tseng et al.'s analysis (0.001).

    Returns
    -------
    numpy.ndarray, shape (W,)
        Bits per position.
    """
    ppm = _as_ppm(ppm, "ppm")
    background = _as_background(background)
    if not pseudocount >= 0:
        raise ValueError(f"pseudocount: expected a value >= 0, got {pseudocount!r}")
    q = (ppm + pseudocount) / (1.0 + len(ALPHABET) * pseudocount)
    terms = np.where(q > 0, q * np.log2(np.where(q > 0, q, 1.0) / background[:, None]), 0.0)
    return terms.sum(axis=0)


def trim_bounds(
    ppm: np.ndarray,
    fraction: float = 0.2,
    background: float | Sequence[float] = 0.25,
    pseudocount: float = 0.001,
) -> tuple[int, int]:
    """Bounds that cut off the low-information flanks of a motif.

    Keeps everything from the first to the last position whose IC is at least ``fraction``
    times the motif's highest per-position IC; positions inside that span are kept whatever
    their IC.

    Parameters
    ----------
    ppm : numpy.ndarray, shape (4, W)
        Base probabilities.
    fraction : float
        Threshold as a fraction of the maximum per-position IC (paper: 0.2).
    background, pseudocount
        As in :func:`information_content`.

    Returns
    -------
    (int, int)
        ``start, end`` such that ``ppm[:, start:end]`` is the trimmed motif.
    """
    check_fraction(fraction, "fraction")
    ic = information_content(ppm, background, pseudocount)
    keep = np.flatnonzero(ic >= fraction * ic.max())
    return int(keep[0]), int(keep[-1]) + 1


def trim_motif(
    motif: DiscoveredMotif,
    fraction: float = 0.2,
    background: float | Sequence[float] = 0.25,
    pseudocount: float = 0.001,
) -> DiscoveredMotif:
    """Trim a motif's flanks (see :func:`trim_bounds`), its matrices and seqlets alike.

    Parameters
    ----------
    motif : DiscoveredMotif
        Motif to trim.
    fraction, background, pseudocount
        As in :func:`trim_bounds`.

    Returns
    -------
    DiscoveredMotif
        A new record: the matrices restricted to ``[start, end)`` and every seqlet shrunk to
        the same motif columns (on its own strand).
    """
    start, end = trim_bounds(motif.ppm, fraction, background, pseudocount)
    seqlets = motif.seqlets.copy()
    forward = (seqlets["strand"] == "+").to_numpy()
    old_start, old_end = seqlets["start"].to_numpy(), seqlets["end"].to_numpy()
    seqlets["start"] = np.where(forward, old_start + start, old_end - end)
    seqlets["end"] = np.where(forward, old_start + end, old_end - start)
    return replace(
        motif,
        ppm=motif.ppm[:, start:end],
        cwm=motif.cwm[:, start:end],
        hypothetical_cwm=motif.hypothetical_cwm[:, start:end],
        seqlets=seqlets,
    )


def passes_filter(
    ppm: np.ndarray,
    *,
    min_ic: float = 0.6,
    ic_window: int = 6,
    trim_fraction: float = 0.2,
    max_length: int = 20,
    background: float | Sequence[float] = 0.25,
    pseudocount: float = 0.001,
) -> bool:
    """Whether a motif passes the information-content filters of Tseng et al. (2020).

    Two conditions, both on per-position IC (:func:`information_content`):

    1. Some window of ``ic_window`` consecutive positions has a **mean** IC of at least
       ``min_ic`` bits (equivalently, a summed IC of at least ``min_ic * ic_window`` bits;
       with the defaults 0.6 bits per position, 3.6 bits over 6 bp). A motif narrower than
       ``ic_window`` fails.
    2. After trimming the flanks below ``trim_fraction`` of the maximum IC
       (:func:`trim_bounds`), the motif is at most ``max_length`` positions long; a longer
       motif spreads its information too thinly (typically a low-complexity repeat).

    Parameters
    ----------
    ppm : numpy.ndarray, shape (4, W)
        Base probabilities.
    min_ic : float
        Minimum mean IC (bits per position) of the best window.
    ic_window : int
        Window length in positions.
    trim_fraction : float
        Flank-trimming threshold as a fraction of the maximum IC.
    max_length : int
        Maximum width after trimming.
    background, pseudocount
        As in :func:`information_content`.

    Returns
    -------
    bool
    """
    check_int(ic_window, "ic_window", minimum=1)
    check_int(max_length, "max_length", minimum=1)
    ic = information_content(ppm, background, pseudocount)
    if len(ic) < ic_window:
        return False
    window_means = np.convolve(ic, np.ones(ic_window), mode="valid") / ic_window
    if window_means.max() < min_ic - _TOLERANCE:
        return False
    start, end = trim_bounds(ppm, trim_fraction, background, pseudocount)
    return end - start <= max_length


def filter_motifs(
    motifs: Sequence[DiscoveredMotif],
    *,
    min_ic: float = 0.6,
    ic_window: int = 6,
    trim_fraction: float = 0.2,
    max_length: int = 20,
    positive_only: bool = True,
    background: float | Sequence[float] = 0.25,
    pseudocount: float = 0.001,
) -> list[DiscoveredMotif]:
    """Apply the paper's motif filters and trim the motifs that pass.

    Each motif must pass :func:`passes_filter` on its PPM; it is then trimmed with
    :func:`trim_motif`. With ``positive_only`` (as in Tseng et al.'s analysis), motifs of the
    negative metacluster and motifs whose summed CWM is negative, before or after trimming,
    are dropped too.

    Parameters
    ----------
    motifs : sequence of DiscoveredMotif
        Motifs from :func:`find_motifs`.
    min_ic, ic_window, trim_fraction, max_length, background, pseudocount
        As in :func:`passes_filter`.
    positive_only : bool
        Keep only motifs with net positive contributions.

    Returns
    -------
    list of DiscoveredMotif
        The trimmed motifs that pass, in input order.
    """
    kept = []
    for motif in motifs:
        if positive_only and (motif.sign < 0 or motif.cwm.sum() < 0):
            continue
        if not passes_filter(
            motif.ppm,
            min_ic=min_ic,
            ic_window=ic_window,
            trim_fraction=trim_fraction,
            max_length=max_length,
            background=background,
            pseudocount=pseudocount,
        ):
            continue
        trimmed = trim_motif(motif, trim_fraction, background, pseudocount)
        if positive_only and trimmed.cwm.sum() < 0:
            continue
        kept.append(trimmed)
    return kept


# --------------------------------------------------------------------------------------------
# Database matches (TOMTOM)
# --------------------------------------------------------------------------------------------


def match_to_database(
    motifs: Sequence[DiscoveredMotif] | Mapping[str, np.ndarray],
    database: Mapping[str, Motif] | Mapping[str, np.ndarray],
    *,
    n_matches: int = 3,
    reverse_complement: bool = True,
) -> pd.DataFrame:
    """Match motifs to a motif database with TOMTOM (``memelite.tomtom``).

    Each query PPM is compared with every database PPM (and its reverse complement when
    ``reverse_complement``). TOMTOM builds its null distribution from the database columns,
    so use a database of at least ~25-50 motifs (memelite warns below 25).

    Parameters
    ----------
    motifs : sequence of DiscoveredMotif, or mapping of str to numpy.ndarray (4, W)
        Queries; a DiscoveredMotif contributes its ``ppm`` (trim it first with
        :func:`filter_motifs` / :func:`trim_motif` for the paper's setting).
    database : mapping of str to attrprior.pwms.Motif, or of str to numpy.ndarray (4, W)
        Targets keyed by matrix ID (e.g. :func:`attrprior.pwms.load_jaspar_motifs`). A Motif's
        ``name`` fills ``target_name``; for plain arrays it is the key.
    n_matches : int
        Number of best matches reported per query.
    reverse_complement : bool
        Also compare with the reverse-complemented targets.

    Returns
    -------
    pandas.DataFrame
        Columns ``motif``, ``rank`` (1 = best), ``matrix_id``, ``target_name``, ``p_value``,
        ``q_value``, ``score``, ``offset``, ``overlap`` (TOMTOM's best alignment) and
        ``strand`` (``"-"`` when the reverse-complemented target aligned best). Rows are
        ordered by query, then by p-value. q-values are Benjamini-Hochberg over all targets of
        the same query.
    """
    check_int(n_matches, "n_matches", minimum=1)
    names, queries = _named_matrices(motifs, "motifs")
    ids, targets = _named_matrices(database, "database")
    if not ids:
        raise ValueError("database: must not be empty")
    target_names = {
        key: (value.name if isinstance(value, Motif) else key) for key, value in database.items()
    }
    if not names:
        return pd.DataFrame({c: [] for c in MATCH_COLUMNS})

    from memelite import tomtom  # imported here: numba kernels, only needed here

    p_values, scores, offsets, overlaps, strands = tomtom(
        [np.ascontiguousarray(q) for q in queries],
        [np.ascontiguousarray(t) for t in targets],
        reverse_complement=reverse_complement,
    )
    rows = []
    for i, name in enumerate(names):
        q_values = _benjamini_hochberg(p_values[i])
        order = np.argsort(p_values[i], kind="stable")[:n_matches]
        for rank, j in enumerate(order, start=1):
            rows.append(
                (
                    name,
                    rank,
                    ids[j],
                    target_names[ids[j]],
                    float(p_values[i, j]),
                    float(q_values[j]),
                    float(scores[i, j]),
                    int(offsets[i, j]),
                    int(overlaps[i, j]),
                    "-" if strands[i, j] else "+",
                )
            )
    return pd.DataFrame.from_records(rows, columns=list(MATCH_COLUMNS))


def _benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values, capped at 1), in input order."""
    p_values = np.asarray(p_values, dtype=np.float64)
    n = len(p_values)
    order = np.argsort(p_values, kind="stable")
    scaled = p_values[order] * n / np.arange(1, n + 1)
    # q_(i) = min over j >= i of p_(j) n / j
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q_values = np.empty(n)
    q_values[order] = np.minimum(adjusted, 1.0)
    return q_values


def _named_matrices(
    items: Sequence[DiscoveredMotif] | Mapping, argument: str
) -> tuple[list[str], list[np.ndarray]]:
    """Names and float64 (4, W) PPMs of motif records, Motifs or arrays."""
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = [(motif.name, motif) for motif in items]
    names, matrices = [], []
    for name, item in pairs:
        if isinstance(item, DiscoveredMotif):
            matrix = item.ppm
        elif isinstance(item, Motif):
            matrix = item.pwm
        else:
            matrix = _as_ppm(item, f"{argument}[{name!r}]")
        names.append(str(name))
        matrices.append(np.asarray(matrix, dtype=np.float64))
    if len(set(names)) != len(names):
        raise ValueError(f"{argument}: names must be unique")
    return names, matrices


# --------------------------------------------------------------------------------------------
# Motif instances
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------


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


def write_motifs(
    motifs: Sequence[DiscoveredMotif],
    path: str | os.PathLike,
    summary_path: str | os.PathLike | None = None,
) -> None:
    """Write motifs to a compressed ``.npz`` file and a TSV summary, each atomically.

    Parameters
    ----------
    motifs : sequence of DiscoveredMotif
        Motifs to store (may be empty).
    path : str or os.PathLike
        The ``.npz`` file, used as given. It holds, for motif ``i``, the arrays ``ppm_i``,
        ``cwm_i``, ``hypothetical_cwm_i`` (4, W) and ``seqlets_i`` (n, 4) int64 with columns
        example, start, end, is_reverse; plus a JSON ``metadata`` string (format, names, signs).
    summary_path : str or os.PathLike, optional
        The TSV summary, one row per motif with columns ``name``, ``sign``, ``n_seqlets``,
        ``width``, ``consensus``, ``total_contribution`` (sum of the CWM) and ``max_ic``
        (bits, uniform background); default: ``path`` with the suffix ``.tsv``.
    """
    path = Path(path)
    summary_path = path.with_suffix(".tsv") if summary_path is None else Path(summary_path)
    if summary_path == path:
        raise ValueError("summary_path: must differ from path")
    names = [motif.name for motif in motifs]
    if len(set(names)) != len(names):
        raise ValueError("motifs: names must be unique")

    arrays = {}
    for i, motif in enumerate(motifs):
        arrays[f"ppm_{i}"] = motif.ppm
        arrays[f"cwm_{i}"] = motif.cwm
        arrays[f"hypothetical_cwm_{i}"] = motif.hypothetical_cwm
        seqlets = motif.seqlets
        arrays[f"seqlets_{i}"] = np.column_stack(
            [
                seqlets["example"].to_numpy(),
                seqlets["start"].to_numpy(),
                seqlets["end"].to_numpy(),
                (seqlets["strand"] == "-").to_numpy(),
            ]
        ).astype(np.int64)
    metadata = {
        "format": _FORMAT,
        "motifs": [{"name": m.name, "sign": int(m.sign)} for m in motifs],
    }
    arrays["metadata"] = np.array(json.dumps(metadata))

    summary = pd.DataFrame(
        [
            (
                m.name,
                m.sign,
                m.n_seqlets,
                m.width,
                m.consensus,
                float(m.cwm.sum()),
                float(information_content(m.ppm).max()),
            )
            for m in motifs
        ],
        columns=list(SUMMARY_COLUMNS),
    )
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    with atomic_path(summary_path) as tmp:
        summary.to_csv(tmp, sep="\t", index=False)


def read_motifs(path: str | os.PathLike) -> list[DiscoveredMotif]:
    """Read motifs written by :func:`write_motifs`.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.

    Returns
    -------
    list of DiscoveredMotif
        In the order they were written.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is not a motif file; the message names the path.
    """
    with read_npz(path, "motif") as stored:
        if "metadata" not in stored.files:
            raise ValueError("missing key 'metadata'")
        metadata = json.loads(str(stored["metadata"]))
        if metadata.get("format") != _FORMAT:
            raise ValueError(f"unknown format {metadata.get('format')!r}")
        motifs = []
        for i, entry in enumerate(metadata["motifs"]):
            seqlets = stored[f"seqlets_{i}"].reshape(-1, 4)
            rows = [(e, s, t, "-" if r else "+") for e, s, t, r in seqlets.tolist()]
            motifs.append(
                DiscoveredMotif(
                    name=entry["name"],
                    sign=int(entry["sign"]),
                    ppm=stored[f"ppm_{i}"],
                    cwm=stored[f"cwm_{i}"],
                    hypothetical_cwm=stored[f"hypothetical_cwm_{i}"],
                    seqlets=_interval_table(rows),
                )
            )
        return motifs


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _as_tracks(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` as a finite float array of shape (N, 4, L) with N, L >= 1."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] != len(ALPHABET) or x.shape[0] == 0 or x.shape[2] == 0:
        raise ValueError(f"{name}: expected shape (N, 4, L) with N, L >= 1, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: values must be finite")
    return x


def _as_one_hot(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` as (N, 4, L) float; every column one-hot or all zero."""
    x = _as_tracks(x, name)
    if not (np.isin(x, (0.0, 1.0)).all() and np.isin(x.sum(axis=1), (0.0, 1.0)).all()):
        raise ValueError(f"{name}: not one-hot (every column must be one-hot or all zero)")
    return x


def _as_ppm(ppm: np.ndarray, name: str, normalize: bool = True) -> np.ndarray:
    """A (4, W) non-negative matrix as float64 with columns summing to 1.

    With ``normalize`` the columns are divided by their sums (counts are accepted);
    otherwise they must already sum to 1 and the values are kept as they are.
    """
    ppm = np.array(ppm, dtype=np.float64)
    if ppm.ndim != 2 or ppm.shape[0] != len(ALPHABET) or ppm.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (4, W) with W >= 1, got {ppm.shape}")
    if not np.isfinite(ppm).all() or (ppm < 0).any():
        raise ValueError(f"{name}: values must be finite and non-negative")
    totals = ppm.sum(axis=0)
    if normalize:
        if (totals <= 0).any():
            raise ValueError(f"{name}: every column needs a positive sum")
        return ppm / totals
    if not np.allclose(totals, 1.0, rtol=0, atol=_TOLERANCE):
        raise ValueError(f"{name}: every column must sum to 1")
    return ppm


def _as_background(background: float | Sequence[float]) -> np.ndarray:
    """Background probabilities as a (4,) array summing to 1."""
    background = np.broadcast_to(np.asarray(background, dtype=np.float64), (len(ALPHABET),))
    if not (np.isfinite(background).all() and (background > 0).all()):
        raise ValueError(f"background: probabilities must be positive, got {background}")
    if abs(background.sum() - 1.0) > _TOLERANCE:
        raise ValueError(f"background: probabilities must sum to 1, got {background}")
    return background.copy()


def _interval_table(rows: list[tuple]) -> pd.DataFrame:
    """A seqlet table with fixed columns and dtypes, also when empty."""
    table = pd.DataFrame.from_records(rows, columns=list(SEQLET_COLUMNS))
    return table.astype({"example": "int64", "start": "int64", "end": "int64", "strand": str})


def _empty_instances() -> pd.DataFrame:
    table = pd.DataFrame({c: [] for c in INSTANCE_COLUMNS})
    return table.astype({"example": "int64", "start": "int64", "end": "int64", "similarity": float})


def _as_intervals(
    table: pd.DataFrame, name: str, stranded: bool, copy: bool = True
) -> pd.DataFrame:
    """Check an interval table (example, start, end[, strand]); int64 coordinates."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(table).__name__}")
    columns = SEQLET_COLUMNS if stranded else SEQLET_COLUMNS[:3]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    table = table.copy() if copy else table
    for column in ("example", "start", "end"):
        values = table[column].to_numpy()
        if len(values) and not np.issubdtype(values.dtype, np.integer):
            as_float = np.asarray(values, dtype=np.float64)
            if not np.array_equal(as_float, np.round(as_float)):
                raise ValueError(f"{name}: column {column!r} must hold integers")
        table[column] = table[column].astype("int64")
    if ((table["example"] < 0) | (table["start"] < 0) | (table["end"] <= table["start"])).any():
        raise ValueError(f"{name}: need example >= 0 and 0 <= start < end in every row")
    if stranded and not table["strand"].isin(("+", "-")).all():
        raise ValueError(f"{name}: strand must be '+' or '-'")
    return table.reset_index(drop=True)


def _check_bounds(table: pd.DataFrame, n: int, length: int, name: str) -> None:
    if len(table) and (table["example"].max() >= n or table["end"].max() > length):
        raise ValueError(f"{name}: intervals outside the {n} examples of {length} bp")
