"""Position weight matrices: JASPAR motifs, sampling sequences from a PWM, scanning for it.

Every PWM is ``(4, W)``: bases A/C/G/T, positions; every one-hot array ``(N, 4, L)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attrprior.arguments import check_fraction
from attrprior.sequences import ALPHABET, reverse_complement

PWM_TOLERANCE = 1e-6


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
        pwm = validate_pwm(self.pwm, "pwm").copy()
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
    return sample_one_hot(validate_pwm(pwm, "pwm"), rng)


def sample_one_hot(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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
    check_fraction(gc, "gc")
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


def validate_pwm(pwm: np.ndarray, name: str) -> np.ndarray:
    """Return ``pwm`` as float64 after checking shape (4, W) and columns summing to 1."""
    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != len(ALPHABET) or pwm.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (4, W) with W >= 1, got {pwm.shape}")
    if not np.isfinite(pwm).all() or (pwm < 0).any():
        raise ValueError(f"{name}: probabilities must be finite and non-negative")
    if not np.allclose(pwm.sum(axis=0), 1.0, rtol=0, atol=PWM_TOLERANCE):
        raise ValueError(f"{name}: every column must sum to 1")
    return pwm


def get_motifs(motifs: dict[str, Motif] | None, release: str) -> dict[str, Motif]:
    return load_jaspar_motifs(release=release) if motifs is None else motifs


def lookup_motif(motifs: dict[str, Motif], matrix_id: str, argument: str, release: str) -> Motif:
    if matrix_id not in motifs:
        raise ValueError(f"{argument}: motif {matrix_id!r} not found (release {release})")
    return motifs[matrix_id]
