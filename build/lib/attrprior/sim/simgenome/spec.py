"""What the simulated genome is made of: the tasks, the parameters, the summary, ENCODE's
vocabulary and the accessions the simulation writes; their validation.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from attrprior.pwms import Motif

ASSEMBLY = "simGRCh38"


CHIP_ASSAY = "TF ChIP-seq"


DNASE_ASSAY = "DNase-seq"


CONTROL_ASSAY = "Control ChIP-seq"


#: Default chromosomes: a few Mb in all, so the default run stays fast.
DEFAULT_CHROM_SIZES = MappingProxyType({"chr1": 2_000_000, "chr2": 1_500_000, "chr3": 1_000_000})


#: Small chromosomes for quick checks.
SMALL_CHROM_SIZES = MappingProxyType({"chr1": 200_000, "chr2": 150_000, "chr3": 100_000})


#: ``--scale`` choices of the command line.
SCALES = MappingProxyType({"small": SMALL_CHROM_SIZES, "default": DEFAULT_CHROM_SIZES})


# Output types (ENCODE vocabulary).
OPTIMAL_PEAKS = "optimal IDR thresholded peaks"


RELAXED_PEAKS = "peaks and background as input for IDR"


CHIP_ALIGNMENTS = "unfiltered alignments"


DNASE_ALIGNMENTS = "unfiltered alignments"  # like the ChIP BAMs: junk included


DNASE_PEAKS = "peaks"


FOOTPRINTS = "footprints"


_BASES = np.frombuffer(b"ACGTN", dtype=np.uint8)


_N = 4  # genome code of N


_COMPLEMENT = np.array([3, 2, 1, 0, _N], dtype=np.uint8)  # genome code of each code's complement


_STRANDS = np.array(["+", "-"])


_MOTIF_COLUMNS = (
    "chrom", "start", "end", "task", "matrix_id", "strand", "bound", "class", "sequence"
)  # fmt: skip


_SITE_COLUMNS = ("chrom", "start", "end", "task", "strength", "affinity")


_MAX_DRAW_ROUNDS = 50


#: Zenodo record of the BPNet-like archive (stands in for record 3371216, ``data.tar.gz``).
BPNET_RECORD = 900001


#: File key of the BPNet-like archive in :data:`BPNET_RECORD`.
BPNET_FILE = "bpnet_data.tar.gz"


#: Zenodo record of the footprint archive (stands in for Vierstra et al. 2020, record 3603549).
FOOTPRINT_RECORD = 900002


#: File key of the footprint archive in :data:`FOOTPRINT_RECORD`.
FOOTPRINT_FILE = "footprints_per_sample.0q01.tar.gz"


_FOOTPRINT_SAMPLES = 2  # "DNase samples" in the footprint archive


_FOOTPRINT_SAMPLE_FRACTION = 0.8  # footprints each sample keeps


_NEXUS_HALF_WIDTH = 20  # ChIP-nexus peaks: 40 bp around the motif centre (wider for long motifs)


_NEXUS_MOTIF_PAD = 5  # ... and at least this many bp beyond both motif ends


_TAR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # targets usable as directory names


#: ENA/SRA run of the naked-DNA DNase-seq stand-in (for SRR1565781; fixed, not seeded).
NAKED_DNASE_RUN = "SRR9000001"


#: DNase I's cut preference: weight of each base (columns A, C, G, T) at the 4 positions around
#: a cut (rows: -2, -1 upstream of the cut, +1, +2 downstream: +1 is the first base of the read
#: starting at the cut), on the read's strand. A cut's weight is the product over the 4
#: positions (0 if one is N or off the chromosome); at most 1 (``CA|CG``), at least 0.088
#: (``TG|AT``). Read-only.
DNASE_CUT_WEIGHTS = np.array(
    [
        [0.70, 1.00, 0.85, 0.60],  # -2
        [1.00, 0.55, 0.45, 0.90],  # -1
        [0.50, 1.00, 0.80, 0.60],  # +1
        [0.90, 0.75, 1.00, 0.65],  # +2
    ]
)


_CUT_SNAP = 2  # a DNase cut moves to one of the positions within this many bp (see above)


_REAL_MAPQ = 30  # MAPQ of every real alignment: just passes the reference's -q 30


#: Kinds of junk alignments and their shares of a BAM's junk.
_JUNK_MIX = MappingProxyType({"low_mapq": 0.4, "secondary": 0.2, "qc_fail": 0.2, "unmapped": 0.2})


_JUNK_NEAR_READS = 0.5  # low-MAPQ and secondary alignments placed near a real read ...


_JUNK_SHIFT = 50  # ... within this many bp of its start (the rest uniform over the genome)


@dataclass(frozen=True)
class TaskSpec:
    """One simulated experiment.

    Parameters
    ----------
    name : str
        Task name, used in the manifest and truth files, e.g. ``"SPI1_simK562"``.
    assay : str
        :data:`CHIP_ASSAY` (``"TF ChIP-seq"``) or :data:`DNASE_ASSAY` (``"DNase-seq"``).
    cell_type : str
        Biosample term name. ChIP tasks of one cell type share an input control; a DNase task's
        open regions include the sites bound by the ChIP tasks of its cell type.
    target : str, optional
        TF label (ChIP only).
    matrix_id : str, optional
        JASPAR matrix ID of the TF's motif (ChIP only).
    shares_sites_with : str, optional
        Name of an earlier ChIP task with the same ``matrix_id``; ``shared_fraction`` of this
        task's sites are drawn from that task's sites (same motif instances).
    shared_fraction : float
        Fraction of shared sites, in [0, 1].
    """

    name: str
    assay: str
    cell_type: str
    target: str | None = None
    matrix_id: str | None = None
    shares_sites_with: str | None = None
    shared_fraction: float = 0.5


#: Three TF ChIP-seq experiments (SPI1 in two cell types sharing half their sites, GATA2 in one)
#: and one DNase-seq experiment.
DEFAULT_TASKS = (
    TaskSpec("SPI1_simGM12878", CHIP_ASSAY, "simGM12878", "SPI1", "MA0080.4"),
    TaskSpec("SPI1_simK562", CHIP_ASSAY, "simK562", "SPI1", "MA0080.4", "SPI1_simGM12878"),
    TaskSpec("GATA2_simK562", CHIP_ASSAY, "simK562", "GATA2", "MA0036.2"),
    TaskSpec("DNase_simK562", DNASE_ASSAY, "simK562"),
)


@dataclass(frozen=True)
class SimulationParams:
    """Numbers that shape the simulation; read counts scale with the genome's length.

    Parameters
    ----------
    gc_content : float
        Probability of G or C in the background sequence.
    site_spacing : int
        Genome length (bp) per binding site of each ChIP task.
    min_site_distance : int
        Minimum distance between any two site centres (sites, decoys, open sites).
    site_margin : int
        Minimum distance of a site centre from chromosome ends, ``N`` runs and blacklist regions.
    weak_fraction : float
        Probability that a bound site is weak (relaxed peaks only, lower enrichment).
    decoy_fraction : float
        Unbound instances planted per motif, as a fraction of its largest task's site count.
    extra_open_fraction : float
        Extra open (non-TF) sites per DNase task, as a fraction of its TF-bound sites.
    open_motif_id : str or None
        JASPAR motif planted at half the extra open sites (``None``: none).
    background_peak_fraction : float
        Random background peaks in each relaxed peak set, as a fraction of the task's sites.
    n_chip_replicates, n_dnase_replicates, n_control_replicates : int
        Biological replicates (one BAM each).
    read_length : int
        Read length in bp.
    fragment_mean, fragment_sd : float
        Fragment length distribution (normal, clipped to [read_length, 2 * fragment_mean]).
    centre_sd : float
        Spread (bp) of fragment centres around a ChIP site centre.
    strong_reads, weak_reads : float
        Mean ChIP reads per strong / weak site and replicate.
    chip_background_per_mb, control_reads_per_mb, dnase_background_per_mb : float
        Uniform background reads per Mb of genome and BAM.
    dnase_cuts_per_site : float
        Mean DNase cuts per open site and replicate.
    dnase_cut_sd : float
        Spread (bp) of DNase cuts around an open-site centre.
    footprint_pad : int
        Footprints are motif instances widened by this many bp on each side.
    footprint_protection : float
        Probability that a DNase cut inside a footprint is removed.
    artefact_reads : int
        Reads piled into each blacklist region in every BAM.
    junk_fraction : float
        Share of junk among the alignments of every BAM (ChIP, control, DNase), in [0, 0.5]:
        alignments that the reference's filter (``samtools view -F 780 -q 30``) drops
        (module docstring). 0 gives BAMs of real reads only.
    dnase_cut_preference : bool
        Move each DNase-seq cut (site cuts and background) to a nearby position favoured by
        :data:`DNASE_CUT_WEIGHTS` (module docstring).
    naked_dnase_reads_per_mb : float
        Reads per Mb of genome in the naked-DNA DNase-seq run (:data:`NAKED_DNASE_RUN`).
    """

    gc_content: float = 0.41
    site_spacing: int = 15_000
    min_site_distance: int = 1_200
    site_margin: int = 1_000
    weak_fraction: float = 0.3
    decoy_fraction: float = 0.25
    extra_open_fraction: float = 0.5
    open_motif_id: str | None = "MA0139.1"
    background_peak_fraction: float = 1.0
    n_chip_replicates: int = 2
    n_dnase_replicates: int = 2
    n_control_replicates: int = 1
    read_length: int = 36
    fragment_mean: float = 180.0
    fragment_sd: float = 25.0
    centre_sd: float = 15.0
    strong_reads: float = 40.0
    weak_reads: float = 10.0
    chip_background_per_mb: float = 5_000.0
    control_reads_per_mb: float = 6_000.0
    dnase_background_per_mb: float = 3_000.0
    dnase_cuts_per_site: float = 50.0
    dnase_cut_sd: float = 60.0
    footprint_pad: int = 5
    footprint_protection: float = 0.8
    artefact_reads: int = 100
    junk_fraction: float = 0.05
    dnase_cut_preference: bool = True
    naked_dnase_reads_per_mb: float = 33_000.0


@dataclass(frozen=True)
class SimGenomeSummary:
    """What :func:`simulate_genome` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
        The output directory.
    manifest : pathlib.Path
        ``out_dir / "manifest.yaml"``.
    assembly : str
        Assembly name.
    chrom_sizes : dict of str to int
        Chromosome lengths, in file order.
    experiments : dict of str to str
        Task or control name -> experiment accession.
    n_sites : dict of str to int
        Task -> bound sites (ChIP: strong + weak) or open sites (DNase).
    n_reads : dict of str to int
        BAM file accession -> alignments written (junk included).
    files : tuple of str
        Every file written, relative to ``out_dir``, sorted.
    """

    out_dir: Path
    manifest: Path
    assembly: str
    chrom_sizes: dict[str, int]
    experiments: dict[str, str]
    n_sites: dict[str, int]
    n_reads: dict[str, int]
    files: tuple[str, ...] = field(default_factory=tuple)


def _validate_chrom_sizes(chrom_sizes: Mapping[str, int]) -> dict[str, int]:
    """Check names and lengths (>= 20 kb, room for gaps and margins); return a plain dict."""
    sizes = {str(name): int(length) for name, length in chrom_sizes.items()}
    if not sizes:
        raise ValueError("chrom_sizes: expected at least one chromosome")
    for name, length in sizes.items():
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"chrom_sizes: invalid chromosome name {name!r}")
        if length < 20_000:
            raise ValueError(f"chrom_sizes: {name} has {length} bp; expected at least 20000")
    return sizes


def _validate_params(params: SimulationParams) -> SimulationParams:
    """Check the parameters added with the junk alignments and the naked-DNA run."""
    if not 0.0 <= params.junk_fraction <= 0.5:
        raise ValueError(f"params: junk_fraction must be in [0, 0.5], got {params.junk_fraction}")
    if not params.naked_dnase_reads_per_mb >= 0:
        raise ValueError(
            f"params: naked_dnase_reads_per_mb must be >= 0, got {params.naked_dnase_reads_per_mb}"
        )
    return params


def _validate_tasks(tasks: Sequence[TaskSpec]) -> tuple[TaskSpec, ...]:
    """Check task names, assays and site sharing; return the tasks as a tuple."""
    tasks = tuple(tasks)
    seen: dict[str, TaskSpec] = {}
    for task in tasks:
        if not task.name or task.name in seen or not task.name.replace("_", "").isalnum():
            raise ValueError(f"tasks: names must be unique and alphanumeric/_; got {task.name!r}")
        if task.assay == CHIP_ASSAY:
            if not task.matrix_id or not task.target:
                raise ValueError(f"tasks: ChIP task {task.name!r} needs a target and matrix_id")
        elif task.assay == DNASE_ASSAY:
            if task.matrix_id or task.target or task.shares_sites_with:
                raise ValueError(f"tasks: DNase task {task.name!r} takes no target or motif")
        else:
            raise ValueError(f"tasks: unknown assay {task.assay!r} of {task.name!r}")
        if task.shares_sites_with is not None:
            other = seen.get(task.shares_sites_with)
            if other is None or other.assay != CHIP_ASSAY or other.matrix_id != task.matrix_id:
                raise ValueError(
                    f"tasks: {task.name!r} can only share sites with an earlier ChIP task of the "
                    f"same motif; got {task.shares_sites_with!r}"
                )
            if not 0.0 <= task.shared_fraction <= 1.0:
                raise ValueError(f"tasks: shared_fraction of {task.name!r} must be in [0, 1]")
        seen[task.name] = task
    if not any(task.assay == CHIP_ASSAY for task in tasks):
        raise ValueError("tasks: expected at least one TF ChIP-seq task")
    return tasks


def _check_motifs(
    tasks: Sequence[TaskSpec], params: SimulationParams, motifs: Mapping[str, Motif]
) -> None:
    """Raise ``ValueError`` if a motif needed by the tasks is missing."""
    needed = {task.matrix_id for task in tasks if task.matrix_id}
    if params.open_motif_id and any(task.assay == DNASE_ASSAY for task in tasks):
        needed.add(params.open_motif_id)
    missing = sorted(needed - set(motifs))
    if missing:
        raise ValueError(f"motifs: missing matrix IDs {missing}")


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Refuse (or with ``overwrite`` clear) earlier ``portal/`` and ``truth/`` subdirectories."""
    for sub in (out_dir / "portal", out_dir / "truth"):
        if sub.is_dir() and any(sub.iterdir()):
            if not overwrite:
                raise FileExistsError(f"{sub} exists and is not empty (use overwrite=True)")
            shutil.rmtree(sub)
    out_dir.mkdir(parents=True, exist_ok=True)


def _rng_streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators per simulation stage, spawned from ``seed``."""
    # SeedSequence children are numbered, so appending a stream leaves the earlier streams,
    # and every file drawn from them, unchanged: new streams go at the end.
    names = (
        "genome", "blacklist", "sites", "motifs", "controls", "tasks", "zenodo",
        "junk", "cut_preference", "ena",
    )  # fmt: skip
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


class _AccessionCounter:
    """Made-up ENCODE accessions: ``<prefix><900 + seed % 100><AAA, AAB, ...>``, one count per
    prefix."""

    def __init__(self, seed: int) -> None:
        self._digits = f"{900 + seed % 100:03d}"
        self._next: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        """Next accession with ``prefix`` (``"ENCSR"`` or ``"ENCFF"``)."""
        n = self._next.get(prefix, 0)
        self._next[prefix] = n + 1
        if n >= 26**3:
            raise RuntimeError("ran out of made-up accessions")
        letters = "".join(chr(ord("A") + (n // 26**k) % 26) for k in (2, 1, 0))
        return f"{prefix}{self._digits}{letters}"
