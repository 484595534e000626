"""The simulated genome's files as bytes or on disk: peaks (narrowPeak, BED), FASTA, FASTQ,
tar archives, bigWigs, footprints, ChIP-nexus peaks, the ground truth, the manifest.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attrprior.genomics.bigwig import write_bigwig
from attrprior.genomics.tracks import sum_intervals
from attrprior.io import write_text
from attrprior.pwms import Motif
from attrprior.sim.simgenome.reads import _Context, _five_prime, _kept_reads
from attrprior.sim.simgenome.sequence import _draw_positions, _sort_bed
from attrprior.sim.simgenome.spec import (
    _BASES,
    _FOOTPRINT_SAMPLE_FRACTION,
    _FOOTPRINT_SAMPLES,
    _MAX_DRAW_ROUNDS,
    _MOTIF_COLUMNS,
    _NEXUS_HALF_WIDTH,
    _NEXUS_MOTIF_PAD,
    CHIP_ASSAY,
    SimGenomeSummary,
    TaskSpec,
)


def _peaks_around(
    chrom: np.ndarray,
    centre: np.ndarray,
    signal: np.ndarray,
    widths: tuple[int, int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """narrowPeak rows around true centres.

    Parameters
    ----------
    chrom, centre, signal : numpy.ndarray, shape (n,)
        Chromosome, true centre and signalValue of each peak.
    widths : (int, int)
        Peak widths are drawn uniformly from ``[widths[0], widths[1]]``.
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        The ten narrowPeak columns (``chrom`` ... ``summit``), unsorted. The summit is the
        centre + N(0, 5) clipped to +- 15 bp; it lies between 30 % and 70 % of the peak.
    """
    n = centre.size
    summit = centre + np.clip(np.rint(rng.normal(0.0, 5.0, n)), -15, 15).astype(np.int64)
    width = rng.integers(widths[0], widths[1] + 1, size=n)
    left = np.rint(width * rng.uniform(0.3, 0.7, n)).astype(np.int64)
    start = summit - left
    p_value = signal * 2.5 + rng.uniform(0.0, 1.0, n)
    return pd.DataFrame(
        {
            "chrom": chrom,
            "start": start,
            "end": start + width,
            "name": ".",
            "score": np.minimum(1000, np.rint(signal * 20)).astype(np.int64),
            "strand": ".",
            "signal": signal,
            "p_value": p_value,
            "q_value": np.maximum(p_value - 1.5, 0.1),
            "summit": left,
        }
    )


def _chip_peak_sets(
    context: _Context, task: TaskSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Optimal (strong sites) and relaxed (optimal + weak + background) narrowPeak tables."""
    bound = context.bindings[context.bindings["task"] == task.name]
    sites = context.sites.loc[bound["site"].to_numpy()]
    strong = (bound["strength"] == "strong").to_numpy()
    affinity = bound["affinity"].to_numpy()
    signal = np.where(strong, 15.0 + 20.0 * affinity, 3.0 + 4.0 * affinity)
    peaks = _peaks_around(
        sites["chrom"].to_numpy(), sites["centre"].to_numpy(), signal, (200, 600), rng
    )
    optimal = peaks[strong]
    background = _background_peaks(context, bound, rng)
    relaxed = pd.concat([peaks, background], ignore_index=True)
    return _sort_bed(optimal, context.chroms), _sort_bed(relaxed, context.chroms)


def _background_peaks(
    context: _Context, bound: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Low-signal random peaks away from the task's sites."""
    p = context.params
    n = round(p.background_peak_fraction * len(bound))
    sites = context.sites.loc[bound["site"].to_numpy()]
    taken = {c: g["centre"].to_numpy() for c, g in sites.groupby("chrom", sort=False)}
    drawn = _draw_positions(context.allowed, n, p.min_site_distance, taken, rng)
    chrom = np.array([c for c, _ in drawn], dtype=object)
    centre = np.array([pos for _, pos in drawn], dtype=np.int64)
    return _peaks_around(chrom, centre, rng.uniform(1.5, 3.0, n), (150, 400), rng)


def _narrowpeak_bytes(peaks: pd.DataFrame) -> bytes:
    """gzip-compressed narrowPeak text (10 columns, floats with 5 decimals)."""
    text = peaks.to_csv(sep="\t", header=False, index=False, float_format="%.5f")
    return _gzip(text.encode("ascii"))


def _bed_bytes(table: pd.DataFrame, compress: bool) -> bytes:
    """BED text (no header), gzip-compressed if ``compress``."""
    data = table.to_csv(sep="\t", header=False, index=False, float_format="%.5f").encode("ascii")
    return _gzip(data) if compress else data


def _gzip(data: bytes) -> bytes:
    """gzip with no file name and mtime 0, so equal input gives equal bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=6, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def _fasta_bytes(genome: Mapping[str, np.ndarray], width: int = 60) -> bytes:
    """FASTA text, ``width`` bases per line, upper case."""
    parts = []
    for chrom, codes in genome.items():
        letters = _BASES[codes]
        n_full = letters.size // width
        full = letters[: n_full * width].reshape(n_full, width)
        newlines = np.full((n_full, 1), ord("\n"), dtype=np.uint8)
        parts += [f">{chrom}\n".encode("ascii"), np.hstack([full, newlines]).tobytes()]
        if letters.size > n_full * width:
            parts.append(letters[n_full * width :].tobytes() + b"\n")
    return b"".join(parts)


def _footprints(context: _Context, task: TaskSpec) -> pd.DataFrame:
    """Footprints of a DNase task: motif instances of its open sites widened by the pad.

    Returns
    -------
    pandas.DataFrame
        BED6: ``chrom``, ``start``, ``end``, ``name`` (TF name), ``score`` (0), ``strand``.
    """
    open_sites = context.bindings.loc[context.bindings["task"] == task.name, "site"].to_numpy()
    sites = context.sites.loc[open_sites]
    sites = sites[sites["motif_start"] >= 0]
    pad = context.params.footprint_pad
    table = pd.DataFrame(
        {
            "chrom": sites["chrom"].to_numpy(),
            "start": sites["motif_start"].to_numpy() - pad,
            "end": sites["motif_end"].to_numpy() + pad,
            "name": [context.motifs[m].name for m in sites["matrix_id"]],
            "score": 0,
            "strand": sites["strand"].to_numpy(),
        }
    )
    return _sort_bed(table, context.chroms)


def _tar_gz_bytes(members: Mapping[str, bytes]) -> bytes:
    """A gzip-compressed tar of ``members`` (path -> bytes) that depends on them alone.

    Members are regular files in sorted order with mtime 0, mode 0o644, uid/gid 0 and empty
    owner names; the gzip header has mtime 0 and no file name.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            info.mtime, info.mode = 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(members[name]))
    return _gzip(buffer.getvalue())


def _stranded_bigwig_bytes(
    context: _Context, replicate_reads: Sequence[pd.DataFrame], tmp_dir: Path
) -> tuple[bytes, bytes]:
    """bigWigs of the 5′ read counts per strand (``+``, ``-``), replicates merged.

    Counted from the alignment tables the BAMs were written from, only the alignments that
    pass the reference's filter (``samtools view -F 780 -q 30``: the real reads, no junk), as
    a real pipeline publishes; what ``bedtools genomecov -5`` (:mod:`attrprior.genomics.tracks`)
    reports for these all-match reads after that filter: a ``+`` read at its start, a ``-``
    read at its start + read length - 1. The header lists every chromosome of the simulated
    genome, in order.
    """
    reads = _kept_reads(pd.concat(list(replicate_reads), ignore_index=True))
    tracks = []
    for reverse in (False, True):
        strand = reads[reads["reverse"].to_numpy() == reverse]
        five_prime = _five_prime(context, strand)
        by_chrom = strand.groupby("chrom", sort=False).indices
        intervals = {}
        for chrom in context.chroms:
            if chrom in by_chrom:
                counts = np.bincount(
                    five_prime[by_chrom[chrom]], minlength=context.chrom_sizes[chrom]
                )
                at = np.flatnonzero(counts)
                intervals[chrom] = sum_intervals([(at, at + 1, counts[at])])  # merges equal runs
        path = write_bigwig(tmp_dir / "counts.bw", context.chrom_sizes, intervals)
        tracks.append(path.read_bytes())
    return tracks[0], tracks[1]


def _summit_bed_bytes(narrowpeak_gz: bytes, context: _Context) -> bytes:
    """gzip BED3 of the 1-bp summits (start + column 10) of a gzip narrowPeak, sorted."""
    peaks = pd.read_csv(
        io.BytesIO(gzip.decompress(narrowpeak_gz)), sep="\t", header=None, usecols=[0, 1, 9]
    )
    summit = peaks[1].to_numpy() + peaks[9].to_numpy()
    table = pd.DataFrame({"chrom": peaks[0].astype(str), "start": summit, "end": summit + 1})
    return _bed_bytes(_sort_bed(table, context.chroms), True)


def _nexus_peaks(context: _Context, task: TaskSpec) -> pd.DataFrame:
    """ChIP-nexus-like peaks: one narrow peak per strong site of a ChIP task.

    Each peak is centred on the planted motif instance (its summit is the motif centre, the
    site centre) and spans ``2 * max(20, ceil(W / 2) + 5)`` bp for a motif of width ``W``, so
    40 bp for motifs up to 30 bp, always containing the motif with 5 bp to spare.

    Returns
    -------
    pandas.DataFrame
        The ten narrowPeak columns, sorted; signal ``20 + 30 * affinity``.
    """
    bound = context.bindings[
        (context.bindings["task"] == task.name) & (context.bindings["strength"] == "strong")
    ]
    sites = context.sites.loc[bound["site"].to_numpy()]
    width = (sites["motif_end"] - sites["motif_start"]).to_numpy()
    half = np.maximum(_NEXUS_HALF_WIDTH, (width + 1) // 2 + _NEXUS_MOTIF_PAD)
    centre = sites["centre"].to_numpy()  # motif_start + width // 2, see _plant_motifs
    signal = 20.0 + 30.0 * bound["affinity"].to_numpy()
    p_value = 2.5 * signal
    table = pd.DataFrame(
        {
            "chrom": sites["chrom"].to_numpy(),
            "start": centre - half,
            "end": centre + half,
            "name": ".",
            "score": np.minimum(1000, np.rint(signal * 20)).astype(np.int64),
            "strand": ".",
            "signal": signal,
            "p_value": p_value,
            "q_value": p_value - 1.5,
            "summit": half,
        }
    )
    return _sort_bed(table, context.chroms)


def _footprint_samples(footprints: pd.DataFrame, rng: np.random.Generator) -> list[pd.DataFrame]:
    """Per-sample footprint tables: each a seeded random 80 % of ``footprints``.

    Footprints are named ``fp<N>`` by their 1-based row in ``footprints`` (so the same footprint
    has the same name in every sample). Each sample keeps ``round(0.8 * n)`` footprints, at
    most ``n - 1`` when ``n >= 2``, and is redrawn while it equals an earlier sample, so the
    samples differ whenever there are two footprints or more.

    Returns
    -------
    list of pandas.DataFrame
        Sorted BED5: ``chrom``, ``start``, ``end``, ``name``, ``score`` (a float, like a
        footprint's -log10 p-value).
    """
    n = len(footprints)
    keep = round(_FOOTPRINT_SAMPLE_FRACTION * n)
    keep = max(1, min(n - 1, keep)) if n >= 2 else n
    named = footprints[["chrom", "start", "end"]].assign(name=[f"fp{i}" for i in range(1, n + 1)])
    samples: list[pd.DataFrame] = []
    chosen: list[tuple[int, ...]] = []
    for _ in range(_FOOTPRINT_SAMPLES):
        for _ in range(_MAX_DRAW_ROUNDS):
            rows = tuple(sorted(int(i) for i in rng.choice(n, size=keep, replace=False)))
            if rows not in chosen or n < 2:
                break
        chosen.append(rows)
        sample = named.iloc[list(rows)].reset_index(drop=True)
        samples.append(sample.assign(score=2.0 + rng.exponential(3.0, size=keep)))
    return samples


def _fastq_bytes(run: str, reads: np.ndarray) -> bytes:
    """FASTQ text of reads (ASCII rows) named ``<run>.<i>`` (1-based), qualities all ``I``."""
    quality = "I" * reads.shape[1]
    sequences = reads.tobytes().decode("ascii")
    width = reads.shape[1]
    return "".join(
        f"@{run}.{i + 1}\n{sequences[i * width : (i + 1) * width]}\n+\n{quality}\n"
        for i in range(reads.shape[0])
    ).encode("ascii")


def _motif_instance_table(
    sites: pd.DataFrame, bindings: pd.DataFrame, tasks: Sequence[TaskSpec]
) -> pd.DataFrame:
    """One row per (planted motif instance, task that could see it).

    ChIP tasks see the instances of their own motif; DNase tasks see every instance. ``bound``
    is 1 if the task binds the site (ChIP) or the site is open (DNase). ``class`` is the
    strength (``strong``, ``weak``, ``open``) of a bound row; for an unbound row ``decoy`` if no
    task binds or opens the site, else ``unbound``.
    """
    with_motif = sites[sites["motif_start"] >= 0]
    strength = {(t, s): k for t, s, k in bindings[["task", "site", "strength"]].itertuples(False)}
    ever = set(bindings["site"])
    rows = []
    for site, row in with_motif.iterrows():
        for task in tasks:
            if task.assay == CHIP_ASSAY and task.matrix_id != row["matrix_id"]:
                continue
            kind = strength.get((task.name, site))
            label = kind if kind else ("decoy" if site not in ever else "unbound")
            rows.append(
                (
                    row["chrom"], row["motif_start"], row["motif_end"], task.name,
                    row["matrix_id"], row["strand"], int(kind is not None), label, row["sequence"],
                )
            )  # fmt: skip
    return pd.DataFrame(rows, columns=list(_MOTIF_COLUMNS))


def _bound_site_table(
    sites: pd.DataFrame, bindings: pd.DataFrame, task: TaskSpec, chroms: Sequence[str]
) -> pd.DataFrame:
    """Bound (ChIP) or open (DNase) site centres of one task as 1-bp BED intervals."""
    bound = bindings[bindings["task"] == task.name]
    rows = sites.loc[bound["site"].to_numpy()]
    table = pd.DataFrame(
        {
            "chrom": rows["chrom"].to_numpy(),
            "start": rows["centre"].to_numpy(),
            "end": rows["centre"].to_numpy() + 1,
            "task": task.name,
            "strength": bound["strength"].to_numpy(),
            "affinity": bound["affinity"].to_numpy(),
        }
    )
    return _sort_bed(table, chroms)


def _write_bed_with_header(table: pd.DataFrame, path: Path) -> None:
    """Plain BED with a ``#``-prefixed header line (bedtools skips it), written atomically."""
    text = "#" + "\t".join(table.columns) + "\n"
    text += table.to_csv(sep="\t", header=False, index=False, float_format="%.5f")
    write_text(text, path)


def _write_truth(
    truth_dir: Path,
    sites: pd.DataFrame,
    bindings: pd.DataFrame,
    tasks: Sequence[TaskSpec],
    motifs: Mapping[str, Motif],
    chrom_sizes: Mapping[str, int],
) -> dict[str, Any]:
    """Write the ground-truth BEDs; return their paths relative to the output directory."""
    chroms = list(chrom_sizes)
    instances = _sort_bed(_motif_instance_table(sites, bindings, tasks), chroms)
    _write_bed_with_header(instances, truth_dir / "motif_instances.bed")
    bound = {}
    for task in tasks:
        path = truth_dir / "bound_sites" / f"{task.name}.bed"
        _write_bed_with_header(_bound_site_table(sites, bindings, task, chroms), path)
        bound[task.name] = f"truth/bound_sites/{task.name}.bed"
    return {"motif_instances": "truth/motif_instances.bed", "bound_sites": bound}


def _manifest(
    assembly: str,
    seed: int,
    reference: Mapping[str, Mapping[str, Any]],
    experiments: Sequence[Mapping[str, Any]],
    controls: Mapping[str, Mapping[str, Any]],
    truth: Mapping[str, Any],
    zenodo: Mapping[str, Any],
    ena: Mapping[str, Any],
) -> dict[str, Any]:
    """The manifest: assembly, reference files, experiments with file accessions by role,
    truth files, Zenodo records and ENA runs."""

    def ref(record: Mapping[str, Any]) -> dict[str, str]:
        name = record["href"].rsplit("/", 1)[-1]
        path = f"portal/files/{record['accession']}/{name}"
        return {"accession": record["accession"], "file": name, "path": path}

    return {
        "assembly": assembly,
        "seed": seed,
        "portal": "portal",
        "reference": {key: ref(record) for key, record in reference.items()},
        "experiments": {
            e["name"]: {
                k: v for k, v in e.items() if k not in ("name", "n_reads", "reads", "footprints")
            }
            for e in experiments
        },
        "controls": {
            c["accession"]: {"cell_type": cell_type, "alignments": list(c["alignments"])}
            for cell_type, c in controls.items()
        },
        "truth": dict(truth),
        "zenodo": dict(zenodo),
        "ena": dict(ena),
    }


def _write_yaml(data: Mapping[str, Any], path: Path) -> None:
    """Write ``data`` as block-style YAML, keys in insertion order, atomically."""
    import yaml  # imported here: only the manifest needs it

    write_text(yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False), path)


def _summary(
    out_dir: Path,
    manifest: Path,
    assembly: str,
    chrom_sizes: Mapping[str, int],
    bindings: pd.DataFrame,
    experiments: Sequence[Mapping[str, Any]],
    controls: Mapping[str, Mapping[str, Any]],
) -> SimGenomeSummary:
    """Collect the summary of a finished run."""
    n_reads: dict[str, int] = {}
    for record in [*controls.values(), *experiments]:
        n_reads.update(record["n_reads"])
    accessions = {f"control_{cell}": c["accession"] for cell, c in controls.items()}
    accessions.update({e["name"]: e["accession"] for e in experiments})
    files = sorted(
        str(p.relative_to(out_dir))
        for sub in ("portal", "truth")
        for p in (out_dir / sub).rglob("*")
        if p.is_file()
    )
    return SimGenomeSummary(
        out_dir=out_dir,
        manifest=manifest,
        assembly=assembly,
        chrom_sizes=dict(chrom_sizes),
        experiments=accessions,
        n_sites={str(k): int(v) for k, v in bindings.groupby("task", sort=False).size().items()},
        n_reads=n_reads,
        files=(*files, manifest.name),
    )
