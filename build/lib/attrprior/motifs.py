"""Motifs from attribution maps (Tseng et al. 2020, Figure 3).

The steps, in order:

1. :func:`find_motifs` runs TF-MoDISco (``modisco-lite``) on hypothetical contributions and
   returns one :class:`DiscoveredMotif` per pattern, with its seqlets.
2. :func:`filter_motifs` applies the paper's motif filters (:func:`passes_filter`) and trims
   the flanks of the motifs that pass (:func:`trim_bounds`, :func:`trim_motif`).
3. :func:`attrprior.motif_matches.match_to_database` matches motifs to a database (e.g.
   JASPAR from :func:`attrprior.pwms.load_jaspar_motifs`) with TOMTOM (``memelite``).
4. :mod:`attrprior.motif_instances` scans contribution maps with the motifs' CWMs, ranks
   instances by their total attribution and follows how many of the top-k calls overlap
   gold-standard regions.
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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.arguments import check_fraction, check_int
from attrprior.io import atomic_path, read_npz
from attrprior.sequences import ALPHABET

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
