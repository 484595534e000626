"""Discovered motifs matched to a database (e.g. JASPAR from
:func:`attrprior.pwms.load_jaspar_motifs`) with TOMTOM (``memelite``), q-values by
Benjamini–Hochberg over each query's targets. Motif matrices are ``(4, W)``: bases, motif
positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from attrprior.arguments import check_int
from attrprior.motifs import DiscoveredMotif, _as_ppm
from attrprior.pwms import Motif

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
