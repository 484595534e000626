"""Simulated reads: ChIP-seq reads at bound sites, DNase-seq cuts with the enzyme's
sequence preference, background and artefact reads, junk alignments a real pipeline
filters out, and their BAM files; the naked-DNA DNase reads of the ENA run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attrprior.genomics.tracks import DEFAULT_READ_FILTER
from attrprior.pwms import Motif
from attrprior.sim.simgenome.spec import (
    _BASES,
    _COMPLEMENT,
    _CUT_SNAP,
    _JUNK_MIX,
    _JUNK_NEAR_READS,
    _JUNK_SHIFT,
    _MAX_DRAW_ROUNDS,
    _N,
    _REAL_MAPQ,
    DNASE_CUT_WEIGHTS,
    SimulationParams,
)


@dataclass(frozen=True)
class _Context:
    """Everything the per-experiment writers share (read-only but for the generators, which
    are drawn from in BAM writing order)."""

    portal: Path
    genome: dict[str, np.ndarray]
    chrom_sizes: dict[str, int]
    blacklist: pd.DataFrame
    allowed: dict[str, np.ndarray]
    sites: pd.DataFrame
    bindings: pd.DataFrame
    params: SimulationParams
    motifs: Mapping[str, Motif]
    assembly: str
    cut_weights: Mapping[str, tuple[np.ndarray, np.ndarray]]  # see _cut_weights
    junk_rng: np.random.Generator  # stream "junk", drawn BAM by BAM in writing order
    cut_rng: np.random.Generator  # stream "cut_preference", DNase BAMs in writing order

    @property
    def chroms(self) -> list[str]:
        """Chromosome names in file order."""
        return list(self.chrom_sizes)


def _reads_frame(chrom: Sequence[str], start: np.ndarray, reverse: np.ndarray) -> pd.DataFrame:
    """Alignments as a table: ``chrom``, ``start`` (0-based leftmost), ``reverse`` (bool)."""
    return pd.DataFrame(
        {
            "chrom": np.asarray(chrom, dtype=object),
            "start": np.asarray(start, dtype=np.int64),
            "reverse": np.asarray(reverse, dtype=bool),
        }
    )


def _uniform_reads(context: _Context, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` reads, uniform start over the genome, random strand (reads on N are dropped
    later by :func:`_valid_reads`)."""
    chroms = context.chroms
    lengths = np.array([context.chrom_sizes[c] for c in chroms], dtype=np.float64)
    which = rng.choice(len(chroms), size=n, p=lengths / lengths.sum())
    starts = rng.random(n) * (lengths[which] - context.params.read_length)
    return _reads_frame([chroms[k] for k in which], starts.astype(np.int64), rng.random(n) < 0.5)


def _artefact_reads(context: _Context, rng: np.random.Generator) -> pd.DataFrame:
    """``artefact_reads`` reads in every blacklist region, random strand."""
    frames = []
    n = context.params.artefact_reads
    for chrom, start, end in context.blacklist[["chrom", "start", "end"]].itertuples(False):
        starts = rng.integers(start, max(start + 1, end - context.params.read_length), size=n)
        frames.append(_reads_frame([chrom] * n, starts, rng.random(n) < 0.5))
    return pd.concat(frames, ignore_index=True)


def _chip_site_reads(
    context: _Context, bindings: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Fragments around bound sites; one read per fragment from a random end.

    A fragment of length ``f`` centred near the site centre ``c`` starts at ``s ~ c - f / 2``;
    its ``+`` read aligns at ``[s, s + L)`` (5′ end ``s``), its ``-`` read at
    ``[s + f - L, s + f)`` (5′ end ``s + f - 1``).
    """
    p = context.params
    means = np.where(bindings["strength"] == "strong", p.strong_reads, p.weak_reads)
    replicate_noise = rng.lognormal(0.0, 0.25, size=len(bindings))
    counts = rng.poisson(means * bindings["affinity"].to_numpy() * replicate_noise)
    site_index = np.repeat(bindings["site"].to_numpy(), counts)
    centres = context.sites["centre"].to_numpy()[site_index]
    n = site_index.size
    fragment = np.clip(
        rng.normal(p.fragment_mean, p.fragment_sd, n), p.read_length, 2 * p.fragment_mean
    )
    fragment = np.rint(fragment).astype(np.int64)
    frag_start = np.rint(centres + rng.normal(0.0, p.centre_sd, n) - fragment / 2).astype(np.int64)
    reverse = rng.random(n) < 0.5
    starts = np.where(reverse, frag_start + fragment - p.read_length, frag_start)
    return _reads_frame(context.sites["chrom"].to_numpy()[site_index], starts, reverse)


def _dnase_cut_reads(
    context: _Context, bindings: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Cuts around open-site centres, thinned inside footprints; a read starts at each cut.

    A ``+`` read's 5′ end is the cut (alignment start), a ``-`` read's 5′ end is the cut too
    (alignment end - 1), so the 5′ ends of both strands mark the cuts.
    """
    p = context.params
    noise = rng.lognormal(0.0, 0.25, size=len(bindings))
    counts = rng.poisson(p.dnase_cuts_per_site * bindings["affinity"].to_numpy() * noise)
    site_index = np.repeat(bindings["site"].to_numpy(), counts)
    sites = context.sites
    cuts = np.rint(
        sites["centre"].to_numpy()[site_index] + rng.normal(0.0, p.dnase_cut_sd, site_index.size)
    ).astype(np.int64)
    fp_start = sites["motif_start"].to_numpy()[site_index] - p.footprint_pad
    fp_end = sites["motif_end"].to_numpy()[site_index] + p.footprint_pad
    has_motif = sites["motif_start"].to_numpy()[site_index] >= 0
    protected = has_motif & (cuts >= fp_start) & (cuts < fp_end)
    keep = ~(protected & (rng.random(cuts.size) < p.footprint_protection))
    cuts, site_index = cuts[keep], site_index[keep]
    reverse = rng.random(cuts.size) < 0.5
    starts = np.where(reverse, cuts - p.read_length + 1, cuts)
    return _reads_frame(sites["chrom"].to_numpy()[site_index], starts, reverse)


def _valid_mask(context: _Context, reads: pd.DataFrame) -> np.ndarray:
    """Whether each read stays inside its chromosome and touches no N (bool, shape (n,))."""
    length = context.params.read_length
    keep = np.zeros(len(reads), dtype=bool)
    for chrom, index in reads.groupby("chrom", sort=False).indices.items():
        codes = context.genome[chrom]
        starts = reads["start"].to_numpy()[index]
        inside = (starts >= 0) & (starts + length <= codes.size)
        n_count = np.concatenate([[0], np.cumsum(codes == _N, dtype=np.int64)])
        clipped = np.clip(starts, 0, codes.size - length)
        no_n = n_count[clipped + length] - n_count[clipped] == 0
        keep[index] = inside & no_n
    return keep


def _valid_reads(context: _Context, reads: pd.DataFrame) -> pd.DataFrame:
    """Drop reads that leave their chromosome or touch an N."""
    return reads[_valid_mask(context, reads)].reset_index(drop=True)


def _sort_reads(context: _Context, reads: pd.DataFrame) -> pd.DataFrame:
    """Coordinate order: chromosome (file order), start, forward before reverse."""
    rank = reads["chrom"].map({c: i for i, c in enumerate(context.chroms)}).to_numpy()
    order = np.lexsort((reads["reverse"].to_numpy(), reads["start"].to_numpy(), rank))
    return reads.iloc[order].reset_index(drop=True)


def _bam_bytes(context: _Context, reads: pd.DataFrame, name_prefix: str) -> bytes:
    """A coordinate-sorted BAM (no ``@PG`` line) of ``reads``.

    Parameters
    ----------
    reads : pandas.DataFrame
        ``chrom``, ``start``, ``reverse``, ``flag``, ``mapq``, ``name``, ``sequence`` in BAM
        order (see :func:`_with_junk`). Mapped reads get an all-match CIGAR and, unless
        ``sequence`` gives them (``"*"``: none, for secondary alignments), the genome's bases;
        unmapped ones (``chrom`` None) no position.
    name_prefix : str
        Read names are ``<name_prefix>:<name>``.
    """
    import pysam  # imported here: only BAM writing needs it

    length = context.params.read_length
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": chrom, "LN": size} for chrom, size in context.chrom_sizes.items()],
    }
    quality = "I" * length
    cigar = f"{length}M"
    mapped = reads["chrom"].notna().to_numpy()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reads.bam"
        with pysam.AlignmentFile(str(path), "wb", header=header) as bam:
            for chrom, index in reads[mapped].groupby("chrom", sort=False).indices.items():
                rows = reads[mapped].iloc[index]
                starts = rows["start"].to_numpy()
                window = starts[:, None] + np.arange(length)
                letters = _BASES[context.genome[chrom][window]].tobytes().decode("ascii")
                columns = (rows["flag"], rows["mapq"], rows["name"], rows["sequence"])
                for k, (start, flag, mapq, name, given) in enumerate(
                    zip(starts, *columns, strict=True)
                ):
                    sequence = given or letters[k * length : (k + 1) * length]
                    line = (
                        f"{name_prefix}:{name}\t{flag}\t{chrom}\t{start + 1}\t{mapq}\t{cigar}\t"
                        f"*\t0\t0\t{sequence}\t{'*' if sequence == '*' else quality}"
                    )
                    bam.write(pysam.AlignedSegment.fromstring(line, bam.header))
            for flag, name, sequence in reads.loc[~mapped, ["flag", "name", "sequence"]].itertuples(
                index=False
            ):
                line = f"{name_prefix}:{name}\t{flag}\t*\t0\t0\t*\t*\t0\t0\t{sequence}\t{quality}"
                bam.write(pysam.AlignedSegment.fromstring(line, bam.header))
        return path.read_bytes()


def _finish_reads(context: _Context, parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, drop invalid reads, sort."""
    reads = pd.concat(parts, ignore_index=True)
    return _sort_reads(context, _valid_reads(context, reads))


def _cut_weights(genome: Mapping[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per chromosome, the :data:`DNASE_CUT_WEIGHTS` weight of a read 5′ end at each base.

    Returns
    -------
    dict of str to (numpy.ndarray, numpy.ndarray), shape (length,) each, float32
        ``plus[p]``: weight of a ``+`` read starting at ``p`` (bases ``p-2, p-1 | p, p+1``);
        ``minus[p]``: of a ``-`` read whose 5′ end is ``p`` (its strand's bases
        ``p+2, p+1 | p, p-1``, complemented). 0 where a base is N or off the chromosome.
    """
    table = np.zeros((4, 5), dtype=np.float32)  # code 4 (N) weighs 0
    table[:, :4] = DNASE_CUT_WEIGHTS
    weights = {}
    for chrom, codes in genome.items():
        positions = np.arange(codes.size)
        plus = np.ones(codes.size, dtype=np.float32)
        minus = np.ones(codes.size, dtype=np.float32)
        for row, (plus_offset, minus_offset) in enumerate(((-2, 2), (-1, 1), (0, 0), (1, -1))):
            for weight, offset, strand_codes in (
                (plus, plus_offset, codes),
                (minus, minus_offset, _COMPLEMENT[codes]),
            ):
                at = positions + offset
                inside = (at >= 0) & (at < codes.size)
                weight *= np.where(
                    inside, table[row, strand_codes[np.clip(at, 0, codes.size - 1)]], 0
                )
        weights[chrom] = (plus, minus)
    return weights


def _five_prime(context: _Context, reads: pd.DataFrame) -> np.ndarray:
    """5′ end of each read: its start (``+``) or start + read length - 1 (``-``)."""
    shift = np.where(reads["reverse"].to_numpy(), context.params.read_length - 1, 0)
    return reads["start"].to_numpy() + shift


def _strand_weights(
    context: _Context, chrom: str, reverse: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """Cut weight (:func:`_cut_weights`) of a 5′ end at positions ``at`` of ``chrom`` (inside
    it), on the ``-`` strand where ``reverse`` (broadcast against ``at``), else on ``+``."""
    plus, minus = context.cut_weights[chrom]
    return np.where(reverse, minus[at], plus[at])


def _prefer_cuts(context: _Context, reads: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Move each read's 5′ end (a DNase cut) to one of the positions within ``_CUT_SNAP`` bp,
    chosen with probability proportional to the cut weight there on the read's strand.

    The number of cuts and their spread stay as drawn; at base resolution the cuts follow the
    weights, as the naked-DNA reads do. A cut whose positions all weigh 0 stays put (such a
    read touches an N or leaves the chromosome, and is dropped later).
    """
    five = _five_prime(context, reads)
    shift = np.zeros_like(five)
    offsets = np.arange(-_CUT_SNAP, _CUT_SNAP + 1)
    reverse = reads["reverse"].to_numpy()
    for chrom, index in reads.groupby("chrom", sort=False).indices.items():
        size = context.chrom_sizes[chrom]
        at = five[index][:, None] + offsets
        inside = (at >= 0) & (at < size)
        at = np.clip(at, 0, size - 1)
        weight = _strand_weights(context, chrom, reverse[index][:, None], at) * inside
        cumulative = np.cumsum(weight, axis=1, dtype=np.float64)
        draw = rng.random(index.size) * cumulative[:, -1]
        choice = (cumulative <= draw[:, None]).sum(axis=1)
        choice = np.where(cumulative[:, -1] > 0, np.minimum(choice, offsets.size - 1), _CUT_SNAP)
        shift[index] = offsets[choice]
    return reads.assign(start=reads["start"].to_numpy() + shift)


def _split_count(n: int, shares: Sequence[float]) -> list[int]:
    """``n`` split by ``shares`` (summing to 1): floors, then the largest remainders get one."""
    exact = np.asarray(shares, dtype=np.float64) * n
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - int(counts.sum())]] += 1
    return [int(c) for c in counts]


def _junk_placements(
    context: _Context, reads: pd.DataFrame, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    """``n`` valid alignment places (chrom, start, reverse): each with probability
    ``_JUNK_NEAR_READS`` within ``_JUNK_SHIFT`` bp of a random real read (same strand; so
    inside peaks as often as the reads are), else uniform over the genome."""
    chosen: list[pd.DataFrame] = []
    need = n
    for _ in range(_MAX_DRAW_ROUNDS):
        if need == 0:
            break
        m = 2 * need + 16
        near = rng.random(m) < _JUNK_NEAR_READS
        uniform = _uniform_reads(context, m, rng)
        source = reads.iloc[rng.integers(0, len(reads), size=m)]
        shift = rng.integers(-_JUNK_SHIFT, _JUNK_SHIFT + 1, size=m)
        candidates = _valid_reads(
            context,
            _reads_frame(
                np.where(near, source["chrom"].to_numpy(), uniform["chrom"].to_numpy()),
                np.where(near, source["start"].to_numpy() + shift, uniform["start"].to_numpy()),
                np.where(near, source["reverse"].to_numpy(), uniform["reverse"].to_numpy()),
            ),
        )
        chosen.append(candidates.iloc[:need])
        need -= len(chosen[-1])
    if need:
        raise ValueError("could not place junk alignments; use larger chromosomes")
    return pd.concat(chosen, ignore_index=True) if chosen else _reads_frame([], [], [])


def _with_junk(context: _Context, reads: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The alignments of one BAM: the real reads and junk, in BAM order.

    The real reads (valid, sorted) get MAPQ ``_REAL_MAPQ`` and flag 0 or 16 and are named by
    their rank (1-based). Junk makes ``junk_fraction`` of the alignments, split by
    ``_JUNK_MIX`` into low-MAPQ multi-mappers, secondary alignments, QC-failed copies of real
    reads and unmapped reads (module docstring), named on from the real reads (a secondary
    alignment takes the name of the real read it belongs to).

    Returns
    -------
    pandas.DataFrame
        ``chrom`` (None when unmapped), ``start`` (-1 when unmapped), ``reverse``, ``flag``,
        ``mapq``, ``name`` (int), ``sequence`` (None: the genome's bases; ``"*"``: none; else
        the bases), sorted: mapped by chromosome, start, strand (real before junk), unmapped
        last.
    """
    length = context.params.read_length
    n_real = len(reads)
    fraction = context.params.junk_fraction
    n_junk = round(fraction * n_real / (1.0 - fraction)) if n_real else 0
    low_mapq, secondary, qc_fail, unmapped = _split_count(n_junk, list(_JUNK_MIX.values()))
    real = reads.assign(
        flag=_strand_flags(reads), mapq=_REAL_MAPQ, name=np.arange(1, n_real + 1), sequence=None
    )
    parts = [real]
    if n_junk:
        places = _junk_placements(context, reads, low_mapq, rng)
        mapq = rng.integers(0, _REAL_MAPQ, size=low_mapq)
        parts.append(places.assign(flag=_strand_flags(places), mapq=mapq, sequence=None))
        places = _junk_placements(context, reads, secondary, rng)
        primary = rng.integers(0, n_real, size=secondary)
        parts.append(
            places.assign(
                flag=256 | _strand_flags(places), mapq=_REAL_MAPQ, name=primary + 1, sequence="*"
            )
        )
        copies = reads.iloc[rng.integers(0, n_real, size=qc_fail)].reset_index(drop=True)
        parts.append(
            copies.assign(flag=512 | _strand_flags(copies), mapq=_REAL_MAPQ, sequence=None)
        )
        letters = _BASES[rng.integers(0, 4, size=(unmapped, length))]
        nowhere = _reads_frame([None] * unmapped, np.full(unmapped, -1), np.zeros(unmapped, bool))
        parts.append(
            nowhere.assign(
                flag=4, mapq=0, sequence=[row.tobytes().decode("ascii") for row in letters]
            )
        )
    table = pd.concat(parts, ignore_index=True)
    # Junk other than secondary alignments: fresh names after the real reads', in draw order.
    fresh = table["name"].isna().to_numpy()
    names = np.zeros(len(table), dtype=np.int64)
    names[~fresh] = table["name"].to_numpy()[~fresh]
    names[fresh] = np.arange(n_real + 1, n_real + 1 + int(fresh.sum()))
    table["name"] = names
    rank = table["chrom"].map({c: i for i, c in enumerate(context.chroms)})
    rank = rank.fillna(len(context.chroms)).to_numpy(dtype=np.int64)
    is_junk = np.arange(len(table)) >= n_real
    order = np.lexsort(
        (
            table["name"].to_numpy(),
            is_junk,
            table["reverse"].to_numpy(),
            table["start"].to_numpy(),
            rank,
        )
    )
    return table.iloc[order].reset_index(drop=True)


def _strand_flags(reads: pd.DataFrame) -> np.ndarray:
    """SAM flag 16 for reverse-strand reads, 0 for the others."""
    return np.where(reads["reverse"].to_numpy(), 16, 0)


def _kept_reads(table: pd.DataFrame) -> pd.DataFrame:
    """The alignments of a BAM table that pass the reference's filter (-F 780 -q 30)."""
    keep = DEFAULT_READ_FILTER.keeps(table["flag"].to_numpy(), table["mapq"].to_numpy())
    return table[keep].reset_index(drop=True)


def _naked_dnase_reads(context: _Context, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` reads of DNase I cuts on naked DNA, in draw order.

    Candidate cuts: a uniform chromosome position (chromosomes by length) and strand; the read
    is the ``read_length`` bases from the cut on that strand. Kept with probability the cut's
    :data:`DNASE_CUT_WEIGHTS` weight (at most 1), if the read stays on the chromosome and has
    no N; drawn in batches until ``n`` are kept.

    Returns
    -------
    numpy.ndarray, shape (n, read_length), uint8
        ASCII bases of each read, 5′ to 3′ on its strand.
    """
    length = context.params.read_length
    chroms = context.chroms
    sizes = np.array([context.chrom_sizes[c] for c in chroms], dtype=np.int64)
    kept: list[np.ndarray] = []
    need = n
    for _ in range(_MAX_DRAW_ROUNDS):
        if need == 0:
            break
        m = 3 * need + 1_000  # about a third of the candidates are kept
        which = rng.choice(len(chroms), size=m, p=sizes / sizes.sum())
        cut = (rng.random(m) * sizes[which]).astype(np.int64)
        reverse = rng.random(m) < 0.5
        accept = rng.random(m)
        candidates = _reads_frame(
            [chroms[k] for k in which], np.where(reverse, cut - length + 1, cut), reverse
        )
        weight = np.zeros(m)
        for k, chrom in enumerate(chroms):
            here = which == k
            weight[here] = _strand_weights(context, chrom, reverse[here], cut[here])
        good = np.flatnonzero(_valid_mask(context, candidates) & (accept < weight))[:need]
        letters = np.empty((good.size, length), dtype=np.uint8)
        window = np.arange(length)
        for k, chrom in enumerate(chroms):
            rows = good[which[good] == k]
            codes = context.genome[chrom][candidates["start"].to_numpy()[rows, None] + window]
            forward = _BASES[codes]
            backward = _BASES[_COMPLEMENT[codes[:, ::-1]]]
            letters[which[good] == k] = np.where(reverse[rows, None], backward, forward)
        kept.append(letters)
        need -= good.size
    if need:
        raise ValueError("could not draw the naked-DNA reads; use larger chromosomes")
    return np.concatenate(kept) if kept else np.empty((0, length), dtype=np.uint8)
