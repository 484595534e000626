"""A positive control of motif discovery: TF-MoDISco and TOMTOM on planted motifs.

Three JASPAR 2016 motifs (SPI1, GATA2, CTCF) are planted in 300 random 200-bp sequences
whose hypothetical contributions are the planted PPM minus 0.25 inside the motifs plus small
Gaussian noise everywhere (:func:`planted_contributions`): on such clean input motif
discovery must return every planted motif as the best TOMTOM match of some pattern.

The workflow runs the control once (rule ``motif_control``) before its per-model TF-MoDISco
jobs. Besides checking the toolchain, the run fills numba's on-disk cache with the kernels
that modisco-lite and memelite cache (the same argument types as the real jobs), which every
job in a fresh environment would otherwise compile for itself: about a minute of one core,
most of it memelite's TOMTOM. Kernels that these libraries do not cache still compile in
each job, and on a cluster a node with another CPU misses the cache.

Arrays are ``(N, 4, L)``: examples, bases A/C/G/T, positions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from attrprior.motif_matches import MATCH_COLUMNS, match_to_database
from attrprior.motifs import filter_motifs, find_motifs
from attrprior.pwms import Motif
from attrprior.sim.billboard import simulate_billboard

#: The planted motifs: JASPAR 2016 matrix ID -> name.
PLANTED_MOTIFS = {"MA0080.4": "SPI1", "MA0036.2": "GATA2", "MA0139.1": "CTCF"}

#: The JASPAR release that holds them (pyjaspar, offline).
JASPAR_RELEASE = "JASPAR2016"

#: Columns of :func:`recovered_motifs`' table.
CONTROL_COLUMNS = ("matrix_id", "target_name", "found", "motif", "q_value")


def planted_contributions(
    motifs: Mapping[str, Motif],
    n_sequences: int = 300,
    length: int = 200,
    noise: float = 0.02,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Sequences with :data:`PLANTED_MOTIFS` and hypothetical contributions that show them.

    Each sequence holds 1, 2 or 3 planted motifs (probabilities 0.3, 0.4, 0.3; no background
    motifs), simulated with :func:`attrprior.sim.billboard.simulate_billboard`.

    Parameters
    ----------
    motifs : mapping of str to attrprior.pwms.Motif
        A database holding the planted IDs (e.g. ``load_jaspar_motifs("JASPAR2016")``).
    n_sequences, length : int
        Number and length of the sequences.
    noise : float
        Standard deviation of the Gaussian noise added to every contribution.
    seed : int
        Seeds the simulation (``seed``) and the noise (``seed + 1``).

    Returns
    -------
    one_hot : numpy.ndarray, shape (N, 4, L)
    hypothetical : numpy.ndarray, shape (N, 4, L)
        ``truth - 0.25 + noise``: the strand-aware planted PPM minus 0.25 inside motifs,
        noise alone elsewhere.
    placements : pandas.DataFrame
        One row per planted instance: ``example``, ``start``, ``end`` (exclusive),
        ``matrix_id`` and the simulator's other placement columns.
    """
    dataset = simulate_billboard(
        n_sequences=n_sequences,
        length=length,
        core_motif_ids=tuple(PLANTED_MOTIFS),
        n_background_motifs=0,
        motifs_per_sequence={1: 0.3, 2: 0.4, 3: 0.3},
        positive_fraction=1.0,
        seed=seed,
        motifs={matrix_id: motifs[matrix_id] for matrix_id in PLANTED_MOTIFS},
    )
    rng = np.random.default_rng(seed + 1)
    hypothetical = (dataset.truth - 0.25) + rng.normal(0.0, noise, dataset.truth.shape)
    placements = dataset.placements.rename(columns={"sequence": "example"})
    return dataset.x, hypothetical, placements


def recovered_motifs(matches: pd.DataFrame, q_threshold: float = 0.05) -> pd.DataFrame:
    """Which planted motifs are the best TOMTOM match of a discovered motif.

    Parameters
    ----------
    matches : pandas.DataFrame
        :func:`attrprior.motif_matches.match_to_database`'s table (columns
        ``MATCH_COLUMNS``) of the discovered motifs.
    q_threshold : float
        A planted motif is found when it is the rank-1 match of some motif with a q-value
        below this.

    Returns
    -------
    pandas.DataFrame
        One row per planted motif, columns :data:`CONTROL_COLUMNS`: its ID and name,
        ``found``, and the discovered motif that matches it best with that match's q-value
        (empty and NaN when no motif has it as best match).
    """
    missing = set(MATCH_COLUMNS) - set(matches.columns)
    if missing:
        raise ValueError(f"matches: missing columns {sorted(missing)}")
    best = matches[matches["rank"] == 1].sort_values("q_value")
    rows = []
    for matrix_id, name in PLANTED_MOTIFS.items():
        hits = best[best["matrix_id"] == matrix_id]
        q_value = float(hits["q_value"].iloc[0]) if len(hits) else float("nan")
        rows.append(
            {
                "matrix_id": matrix_id,
                "target_name": name,
                "found": bool(q_value < q_threshold),
                "motif": hits["motif"].iloc[0] if len(hits) else "",
                "q_value": q_value,
            }
        )
    return pd.DataFrame(rows, columns=list(CONTROL_COLUMNS))


def run_motif_control(
    motifs: Mapping[str, Motif], n_leiden_runs: int = 2, seed: int = 0
) -> pd.DataFrame:
    """TF-MoDISco (the paper's settings), the motif filters and TOMTOM on
    :func:`planted_contributions`; :func:`recovered_motifs` of the result.

    Parameters
    ----------
    motifs : mapping of str to attrprior.pwms.Motif
        The database that plants and matches (e.g. ``load_jaspar_motifs("JASPAR2016")``).
    n_leiden_runs : int
        Leiden runs per clustering; 2 suffice on this clean input.
    seed : int
        Seed of :func:`planted_contributions`.

    Returns
    -------
    pandas.DataFrame
        One row per planted motif (see :func:`recovered_motifs`).
    """
    one_hot, hypothetical, _ = planted_contributions(motifs, seed=seed)
    kept = filter_motifs(find_motifs(hypothetical, one_hot, n_leiden_runs=n_leiden_runs))
    if kept:
        matches = match_to_database(kept, motifs)
    else:
        matches = pd.DataFrame(columns=list(MATCH_COLUMNS))
    return recovered_motifs(matches)
