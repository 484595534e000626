"""A simulated genome with ChIP-seq and DNase-seq data, laid out like the ENCODE portal.

:func:`simulate_genome` writes everything the real-data workflow downloads, plus the ground truth
it cannot see, so the whole workflow (download, labelling, bigWig tracks, training) runs offline
and its labels can be scored against the truth:

- A genome: i.i.d. bases of GC content ~0.41, runs of ``N`` at every chromosome's ends
  (telomere-like) and one internal gap on the first chromosome; a chromosome sizes TSV and a
  blacklist BED.
- Tasks (:class:`TaskSpec`): TF ChIP-seq experiments with a JASPAR motif each, and DNase-seq
  experiments. A TF's binding sites get a motif instance sampled from its PWM (random strand) at
  their centre; a fraction of sites is *weak* (lower enrichment: only in the relaxed peaks). A
  task may share a fraction of its sites with an earlier task of the same motif (one TF in two
  cell types). Unbound *decoy* instances of each motif are planted too. A DNase task's open
  regions are the sites bound by the TF tasks of its cell type plus extra open sites, half of
  which hold an instance of a further motif (CTCF by default).
- Reads (single-end, MAPQ 30, all-match CIGAR, the genome's bases as sequence), coordinate-sorted
  BAMs without index: two replicates per ChIP experiment, where each site's fragments put the
  ``+`` strand 5′ ends about half a fragment upstream of the centre and the ``-`` strand 5′ ends
  (alignment ends) downstream; uniform background reads; a pile of artefact reads in every
  blacklist region. One input control experiment per cell type (uniform reads and artefacts
  only). DNase-seq: unstranded cuts around open-region centres, depleted inside footprints,
  each cut nudged to a position DNase I prefers (below). Every BAM, ChIP, control and DNase,
  has ENCODE's output type "unfiltered alignments" and, like those, holds junk that the
  reference's ``samtools view -F 780 -q 30`` removes (below).
- Peaks, narrowPeak (BED6+4), gzip: per ChIP experiment "optimal IDR thresholded peaks" (strong
  sites, 200-600 bp, summit within a few bp of the true centre) and "peaks and background as
  input for IDR" (the optimal peaks, the weak sites and random low-signal background peaks);
  DNase "peaks" on every open region and "footprints" (motif instance +- 5 bp in open regions).
- Two Zenodo records (below) standing in for the BPNet mouse ESC data and the Vierstra et al.
  2020 per-sample DNase footprints, published after the ENCODE-like files.
- An ENA/SRA run (below) standing in for the naked-DNA DNase-seq run SRR1565781 that Tseng et
  al. use as the control of their K562 DNase profile model.

Layout of ``out_dir`` (the portal part is served by :class:`attrprior.portal.MockPortal`)::

    manifest.yaml                                  # what a workflow config lists (below)
    portal/experiments/<ENCSR>.json
    portal/files/<accession-or-alias>.json
    portal/files/<accession-or-alias>/<download name>
    portal/zenodo/records/<record>.json            # Zenodo API: /api/records/<record>
    portal/zenodo/files/<record>/<key>             # .../files/<key>/content
    portal/ena/runs/<run>.json                     # ENA filereport row of the run
    portal/ena/fastq/<run>/<run>.fastq.gz          # /ena/fastq/<run>/<name>
    truth/motif_instances.bed                      # every planted motif, one row per task
    truth/bound_sites/<task>.bed                   # bound (or open) site centres of a task

Accessions follow the real patterns (``ENCSR\\d{3}[A-Z]{3}``, ``ENCFF\\d{3}[A-Z]{3}``): digits
``900 + seed % 100``, letters counting up from ``AAA`` in creation order (separately for
experiments and files). Reference files are addressed by alias: ``<assembly>_genome``
(``.fasta.gz``, plain gzip, 60 bases a line) and ``<assembly>_chrom_sizes`` (``.tsv``,
``chrom<TAB>size``); the blacklist (BED3, gzip) has an ``ENCFF`` accession. For alias-addressed
files the JSON ``accession`` holds the alias. File objects carry ``file_format_type``
``"narrowPeak"`` or ``"bed3+"`` for BED files and ``null`` otherwise; the file objects and
experiment objects are written by :func:`attrprior.portal.add_file` and
:func:`attrprior.portal.add_experiment`. One input control experiment ("Control ChIP-seq") per
cell type serves as ``possible_controls`` of that cell type's ChIP experiments.

Junk alignments
---------------
Every BAM (ChIP, control, DNase replicates) holds ``junk_fraction`` (default 5 %) junk among its
alignments, ``round(f * R / (1 - f))`` for ``R`` real reads, split 40/20/20/20 % (largest
remainders get the rounding) into:

- low-MAPQ multi-mappers: MAPQ uniform in 0-29, flag 0/16, the genome's bases;
- secondary alignments (flag 256 [+16]): the name of a random real read, MAPQ 30, SEQ and QUAL
  ``*``;
- QC-failed reads (flag 512 [+16]): copies of random real reads (place, strand, bases; a new
  name), MAPQ 30;
- unmapped reads (flag 4, no position: at the end of the sorted BAM), MAPQ 0, random bases.

Low-MAPQ and secondary alignments lie, half of them, within 50 bp of a random real read (same
strand, so inside peaks as often as the reads are), the rest uniform over the genome; all junk
stays off N. Real reads have MAPQ 30 and flag 0 or 16 and keep the names they have without
junk (``<accession>:<rank>``); junk is named on from there. ``samtools view -F 780 -q 30``
(:data:`attrprior.tracks.DEFAULT_READ_FILTER`) keeps exactly the real reads: with the same seed
and ``junk_fraction=0`` the BAMs hold those reads alone. What the simulation derives from reads
(the BPNet-like count bigWigs) counts only the reads that pass that filter, as a real pipeline
publishes them.

DNase I cut preference
----------------------
:data:`DNASE_CUT_WEIGHTS` weighs a cut by the 4 bases around it on the strand of the read
starting there (two before the cut, the read's first two)::

    position   A     C     G     T
       -2     0.70  1.00  0.85  0.60
       -1     1.00  0.55  0.45  0.90
       +1     0.50  1.00  0.80  0.60      (+1: the read's first base)
       +2     0.90  0.75  1.00  0.65

A cut's weight is the product over the 4 positions (best ``CA|CG`` 1, worst ``TG|AT`` 0.088; 0
next to N). With ``dnase_cut_preference`` (default) each simulated DNase-seq cut, at open sites
and in the background, moves to one of the 5 positions within 2 bp of where it was drawn, with
probability proportional to the weight there: cut counts, their spread and the footprint
depletion stay, while at base resolution the cuts follow the weights, as the naked-DNA reads do,
so that control explains part of the DNase signal.

Zenodo records
--------------
Written with :func:`attrprior.portal.add_zenodo_file`; record numbers are fixed (not seeded).
Both files are gzip-compressed tars that depend on their content alone: regular-file members
only, in sorted order, with mtime 0, mode 0o644, uid/gid 0 and empty owner names, and a gzip
header with mtime 0 and no file name.

- :data:`BPNET_RECORD` (900001), key :data:`BPNET_FILE` (``bpnet_data.tar.gz``), like the BPNet
  data of Avsec et al. 2021 (Zenodo 3371216, ``data.tar.gz``; layout of
  kundajelab/bpnet-manuscript), for the TF ChIP tasks of one cell type and its input control
  (the cell type with the most ChIP tasks, the first in task order on a tie; per target its
  first task; targets must be names of letters, digits, ``_.-`` other than
  ``input-control``). With the default tasks: SPI1_simK562 and GATA2_simK562, control of
  simK562. Members, ``<TF>`` the task's target::

      data/chip-seq/<TF>/counts.pos.bw                  # 5' read counts, + strand reads
      data/chip-seq/<TF>/counts.neg.bw                  # 5' read counts, - strand reads
      data/chip-seq/<TF>/idr-optimal-set.narrowPeak.gz  # the optimal IDR peaks (portal bytes)
      data/chip-seq/<TF>/idr-optimal-set.summit.bed.gz  # BED3, 1-bp summits (start + col. 10)
      data/chip-seq/input-control/counts.pos.bw
      data/chip-seq/input-control/counts.neg.bw
      data/chip-nexus/<TF>/idr-optimal-set.narrowPeak.gz

  The bigWigs (pyBigWig, header = the simulated chromosome sizes, in order) hold, per base, the
  number of reads of that strand with their 5' end there, summed over the BAMs published for
  the experiment (both replicates) or the control, counting only the alignments that pass
  ``samtools view -F 780 -q 30`` (no junk): what :mod:`attrprior.tracks` reports with its
  default filter, counts positive on both strands. The ChIP-nexus narrowPeak has one
  peak per strong site of the task, centred on its planted motif: 40 bp (wider for motifs
  longer than 30 bp, always 5 bp beyond both motif ends), summit at the motif centre, signal
  ``20 + 30 * affinity``; no randomness.
- :data:`FOOTPRINT_RECORD` (900002), key :data:`FOOTPRINT_FILE`
  (``footprints_per_sample.0q01.tar.gz``), like Vierstra et al. 2020 (Zenodo 3603549), from
  the first DNase task that has footprints, ``<cell>`` its cell type::

      per_sample/h.<cell>-DS00001.bed.gz
      per_sample/h.<cell>-DS00002.bed.gz

  Two "DNase samples", each a seeded random 80 % of the task's published footprints (so their
  union covers more than either; they differ whenever there are two footprints or more):
  sorted, gzip BED5 ``chrom, start, end, name, score`` with ``name`` ``fp<N>`` (the footprint's
  1-based row in the published footprint file) and ``score`` a float (-log10 p-value-like).

A record the tasks cannot make is skipped, left out of the manifest: the BPNet-like one when no
ChIP task has a usable target (every ChIP cell type has a control), the footprint one when no
DNase task has footprints (e.g. no DNase task, or no motif at its open sites).

ENA run
-------
Written with :func:`attrprior.portal.add_ena_run` (served as ENA's filereport and FASTQ
download by the mock portal); the accession :data:`NAKED_DNASE_RUN` (``SRR9000001``) is fixed,
not seeded. A naked-DNA DNase-seq run (DNase I on deproteinised DNA: its sequence preference
alone), for the cell type of the first DNase task (simK562 by default); none without a DNase
task. One single-end file ``SRR9000001.fastq.gz`` (gzip without name, mtime 0) of
``round(naked_dnase_reads_per_mb * genome Mb)`` reads (148500 for the default 4.5 Mb):
candidate cuts at uniform positions (chromosomes by length) and strands, each kept with
probability its :data:`DNASE_CUT_WEIGHTS` weight; the read is the ``read_length`` (36) bases
from the cut on its strand (reverse complement for ``-``), off N and inside the chromosome.
Records ``@SRR9000001.<i>`` (1-based, in draw order, no position), qualities all ``I``.

Manifest (YAML, keys in this order)::

    assembly: simGRCh38
    seed: 0
    portal: portal                    # portal root, relative to out_dir
    reference:                        # genome, chrom_sizes, blacklist
      genome: {accession: simGRCh38_genome, file: simGRCh38_genome.fasta.gz,
               path: portal/files/simGRCh38_genome/simGRCh38_genome.fasta.gz}
    experiments:                      # per task, in task order
      SPI1_simK562:
        accession: ENCSR900AAE
        assay: TF ChIP-seq            # or DNase-seq
        target: SPI1                  # null for DNase
        motif: MA0080.4               # null for DNase
        cell_type: simK562
        control: ENCSR900AAC          # null for DNase
        files:                        # ChIP: optimal_peaks, relaxed_peaks, alignments (list),
          optimal_peaks: ENCFF900AAJ  #   control_alignments (list);
          ...                         # DNase: peaks, footprints, alignments (list)
    controls:                         # control experiment -> cell_type, alignments (list)
    truth:                            # motif_instances: path; bound_sites: task -> path
    zenodo:                           # the records made (see above), each left out if skipped
      bpnet:
        record: 900001
        file: bpnet_data.tar.gz
        md5: <hex>                    # of the archive, as in the record JSON's checksum
        size: <bytes>
        cell_type: simK562
        tasks: {SPI1: SPI1_simK562, GATA2: GATA2_simK562}   # TF directory -> task
        members: [data/chip-nexus/GATA2/idr-optimal-set.narrowPeak.gz, ...]   # sorted
      footprints:
        record: 900002
        file: footprints_per_sample.0q01.tar.gz
        md5: <hex>
        size: <bytes>
        cell_type: simK562
        members: [per_sample/h.simK562-DS00001.bed.gz, per_sample/h.simK562-DS00002.bed.gz]
    ena:                              # ENA runs (see above); naked_dnase left out if skipped
      naked_dnase:
        run: SRR9000001
        file: SRR9000001.fastq.gz
        path: portal/ena/fastq/SRR9000001/SRR9000001.fastq.gz
        md5: <hex>                    # of the file, as in the filereport's fastq_md5
        size: <bytes>                 # fastq_bytes
        cell_type: simK562
        reads: 148500
        read_length: 36

Truth files are plain BED with a ``#``-prefixed header line. ``motif_instances.bed``: ``chrom,
start, end, task, matrix_id, strand, bound, class, sequence``, one row per planted instance and
task that could bind it (ChIP tasks of the same motif; every DNase task), ``bound`` 1/0,
``class`` one of ``strong``, ``weak``, ``open`` (bound rows), ``unbound`` (bound or open in
another task only), ``decoy`` (never bound nor open), ``sequence`` the forward-strand bases.
``bound_sites/<task>.bed``: ``chrom, start, end`` (the 1-bp site centre), ``task``,
``strength`` (``strong``, ``weak``, ``open``), ``affinity`` (relative enrichment).

Everything is drawn from ``numpy.random.default_rng`` streams spawned from ``seed`` (one per
stage; later additions, the junk, the DNase cut preference and the ENA run, have streams of
their own appended, so the files drawn before them did not change); the same seed and arguments
give byte-identical files (gzip members carry no name and mtime 0; BAMs have
no ``@PG`` line). Coordinates are 0-based, half-open. BED outputs are sorted by chromosome (in
chromosome-sizes order), start, end.

Command line: ``python -m attrprior.simgenome --out DIR [--seed N] [--scale small|default]``.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from attrprior.data import Motif, load_jaspar_motifs, sample_from_pwm
from attrprior.io import write_text
from attrprior.portal import add_ena_run, add_experiment, add_file, add_zenodo_file, blob_path
from attrprior.sequences import reverse_complement
from attrprior.tracks import DEFAULT_READ_FILTER, sum_intervals, write_bigwig

__all__ = [
    "ASSEMBLY",
    "CHIP_ASSAY",
    "CONTROL_ASSAY",
    "DNASE_ASSAY",
    "DEFAULT_CHROM_SIZES",
    "SMALL_CHROM_SIZES",
    "SCALES",
    "DEFAULT_TASKS",
    "BPNET_RECORD",
    "BPNET_FILE",
    "FOOTPRINT_RECORD",
    "FOOTPRINT_FILE",
    "NAKED_DNASE_RUN",
    "DNASE_CUT_WEIGHTS",
    "TaskSpec",
    "SimulationParams",
    "SimGenomeSummary",
    "simulate_genome",
    "main",
]

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
DNASE_CUT_WEIGHTS.flags.writeable = False
_CUT_SNAP = 2  # a DNase cut moves to one of the positions within this many bp (see above)

_REAL_MAPQ = 30  # MAPQ of every real alignment: just passes the reference's -q 30
#: Kinds of junk alignments and their shares of a BAM's junk.
_JUNK_MIX = MappingProxyType({"low_mapq": 0.4, "secondary": 0.2, "qc_fail": 0.2, "unmapped": 0.2})
_JUNK_NEAR_READS = 0.5  # low-MAPQ and secondary alignments placed near a real read ...
_JUNK_SHIFT = 50  # ... within this many bp of its start (the rest uniform over the genome)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def simulate_genome(
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    chrom_sizes: Mapping[str, int] | None = None,
    tasks: Sequence[TaskSpec] | None = None,
    params: SimulationParams | None = None,
    motifs: Mapping[str, Motif] | None = None,
    assembly: str = ASSEMBLY,
    overwrite: bool = False,
) -> SimGenomeSummary:
    """Simulate a genome with ChIP-seq / DNase-seq data and write it as a fake ENCODE portal.

    Parameters
    ----------
    out_dir : path-like
        Output directory (see the module docstring for its layout).
    seed : int
        Seed of every random draw; the same seed gives byte-identical files.
    chrom_sizes : mapping of str to int, optional
        Chromosome name -> length, in output order; default :data:`DEFAULT_CHROM_SIZES`.
    tasks : sequence of TaskSpec, optional
        Experiments to simulate; default :data:`DEFAULT_TASKS`.
    params : SimulationParams, optional
        Simulation numbers; default ``SimulationParams()``.
    motifs : mapping of str to Motif, optional
        JASPAR matrix ID -> motif; default: JASPAR2016 CORE vertebrates (offline, pyjaspar).
    assembly : str
        Assembly name written into every file object.
    overwrite : bool
        If ``out_dir/portal`` or ``out_dir/truth`` exist and are not empty, remove them first
        (otherwise raise ``FileExistsError``).

    Returns
    -------
    SimGenomeSummary
        Accessions, counts and the list of files written.
    """
    chrom_sizes = _validate_chrom_sizes(DEFAULT_CHROM_SIZES if chrom_sizes is None else chrom_sizes)
    tasks = _validate_tasks(DEFAULT_TASKS if tasks is None else tasks)
    params = _validate_params(SimulationParams() if params is None else params)
    motifs = load_jaspar_motifs("JASPAR2016") if motifs is None else motifs
    _check_motifs(tasks, params, motifs)
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir, overwrite)
    streams = _rng_streams(seed)

    genome = _random_genome(chrom_sizes, params.gc_content, streams["genome"])
    gaps = _gap_intervals(chrom_sizes)
    _mask(genome, gaps)
    blacklist = _blacklist_intervals(chrom_sizes, gaps, streams["blacklist"])
    allowed = _allowed_centres(chrom_sizes, pd.concat([gaps, blacklist]), params.site_margin)
    sites, bindings = _plan_sites(chrom_sizes, allowed, tasks, params, streams["sites"])
    sites = _plant_motifs(genome, sites, motifs, streams["motifs"])

    ids = _AccessionCounter(seed)
    portal = out_dir / "portal"
    reference = _publish_reference(portal, genome, chrom_sizes, blacklist, assembly, ids)
    has_dnase = any(task.assay == DNASE_ASSAY for task in tasks)
    context = _Context(
        portal, genome, chrom_sizes, blacklist, allowed, sites, bindings, params, motifs,
        assembly, _cut_weights(genome) if has_dnase else {}, streams["junk"],
        streams["cut_preference"],
    )  # fmt: skip
    controls = _publish_controls(context, tasks, ids, streams["controls"])
    experiments = [_publish_task(context, task, controls, ids, streams["tasks"]) for task in tasks]
    truth = _write_truth(out_dir / "truth", sites, bindings, tasks, motifs, chrom_sizes)
    zenodo = _publish_zenodo(context, tasks, experiments, controls, streams["zenodo"])
    ena = _publish_ena(context, tasks, streams["ena"])
    manifest = _manifest(assembly, seed, reference, experiments, controls, truth, zenodo, ena)
    manifest_path = out_dir / "manifest.yaml"
    _write_yaml(manifest, manifest_path)
    return _summary(out_dir, manifest_path, assembly, chrom_sizes, bindings, experiments, controls)


# --------------------------------------------------------------------------------------------
# Validation and setup
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Genome
# --------------------------------------------------------------------------------------------


def _random_genome(
    chrom_sizes: Mapping[str, int], gc_content: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """I.i.d. bases per chromosome.

    Returns
    -------
    dict of str to numpy.ndarray, shape (length,), uint8
        Codes 0-3 for A, C, G, T (4 is N, none yet).
    """
    at, gc = (1.0 - gc_content) / 2.0, gc_content / 2.0
    thresholds = np.cumsum([at, gc, gc])
    return {
        chrom: np.searchsorted(thresholds, rng.random(length), side="right").astype(np.uint8)
        for chrom, length in chrom_sizes.items()
    }


def _gap_intervals(chrom_sizes: Mapping[str, int]) -> pd.DataFrame:
    """N runs: both ends of every chromosome and one internal gap on the first.

    Returns
    -------
    pandas.DataFrame
        BED3 columns ``chrom``, ``start``, ``end``.
    """
    rows = []
    for i, (chrom, length) in enumerate(chrom_sizes.items()):
        telomere = int(np.clip(length // 100, 100, 10_000))
        rows.append((chrom, 0, telomere))
        if i == 0:
            gap = int(np.clip(length // 40, 500, 50_000))
            start = int(0.4 * length)
            rows.append((chrom, start, start + gap))
        rows.append((chrom, length - telomere // 2, length))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def _mask(genome: dict[str, np.ndarray], intervals: pd.DataFrame) -> None:
    """Set the bases of ``intervals`` to N, in place."""
    for chrom, start, end in intervals[["chrom", "start", "end"]].itertuples(index=False):
        genome[chrom][start:end] = _N


def _interval_mask(
    chrom_sizes: Mapping[str, int], intervals: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Boolean masks, shape (length,) per chromosome, true inside ``intervals``."""
    masks = {chrom: np.zeros(length, dtype=bool) for chrom, length in chrom_sizes.items()}
    for chrom, start, end in intervals[["chrom", "start", "end"]].itertuples(index=False):
        masks[chrom][start:end] = True
    return masks


def _clear_within(mask: np.ndarray, radius: int) -> np.ndarray:
    """Positions whose whole window ``[i - radius, i + radius]`` is false in ``mask``.

    Parameters
    ----------
    mask : numpy.ndarray, shape (L,), bool
    radius : int

    Returns
    -------
    numpy.ndarray, shape (L,), bool
        False within ``radius`` of the ends too.
    """
    counts = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    positions = np.arange(mask.size)
    lo = np.clip(positions - radius, 0, mask.size)
    hi = np.clip(positions + radius + 1, 0, mask.size)
    clear = counts[hi] - counts[lo] == 0
    clear[:radius] = False
    clear[mask.size - radius :] = False
    return clear


def _allowed_centres(
    chrom_sizes: Mapping[str, int], excluded: pd.DataFrame, margin: int
) -> dict[str, np.ndarray]:
    """Positions at least ``margin`` bp from chromosome ends and ``excluded`` intervals.

    Returns
    -------
    dict of str to numpy.ndarray, shape (n_allowed,), int64
        Sorted allowed positions per chromosome.
    """
    masks = _interval_mask(chrom_sizes, excluded)
    return {chrom: np.flatnonzero(_clear_within(m, margin)) for chrom, m in masks.items()}


def _draw_positions(
    allowed: Mapping[str, np.ndarray],
    n: int,
    min_distance: int,
    taken: Mapping[str, np.ndarray],
    rng: np.random.Generator,
) -> list[tuple[str, int]]:
    """Draw ``n`` positions uniformly from ``allowed``, each ``min_distance`` from all others.

    Parameters
    ----------
    allowed : mapping of str to numpy.ndarray, shape (n_allowed,)
        Candidate positions per chromosome.
    n : int
        Positions wanted.
    min_distance : int
        Minimum distance to ``taken`` positions and to each other.
    taken : mapping of str to numpy.ndarray, shape (n_taken,)
        Positions already in use per chromosome.
    rng : numpy.random.Generator

    Returns
    -------
    list of (str, int)
        ``(chrom, position)`` in draw order.
    """
    chroms = list(allowed)
    counts = np.array([allowed[c].size for c in chroms], dtype=np.int64)
    if n == 0:
        return []
    if counts.sum() == 0:
        raise ValueError("no allowed positions left for sites; use larger chromosomes")
    offsets = np.concatenate([[0], np.cumsum(counts)])
    used = {c: sorted(int(p) for p in taken.get(c, ())) for c in chroms}
    chosen: list[tuple[str, int]] = []
    for _ in range(_MAX_DRAW_ROUNDS):
        for u in rng.integers(0, offsets[-1], size=2 * (n - len(chosen)) + 8):
            k = int(np.searchsorted(offsets, u, side="right")) - 1
            chrom, pos = chroms[k], int(allowed[chroms[k]][u - offsets[k]])
            if _far_enough(used[chrom], pos, min_distance):
                bisect.insort(used[chrom], pos)
                chosen.append((chrom, pos))
                if len(chosen) == n:
                    return chosen
    raise ValueError(f"could not place {n} sites {min_distance} bp apart; use larger chromosomes")


def _far_enough(sorted_positions: list[int], pos: int, min_distance: int) -> bool:
    """Whether ``pos`` is at least ``min_distance`` from every position of a sorted list."""
    i = bisect.bisect_left(sorted_positions, pos)
    left_ok = i == 0 or pos - sorted_positions[i - 1] >= min_distance
    right_ok = i == len(sorted_positions) or sorted_positions[i] - pos >= min_distance
    return left_ok and right_ok


def _blacklist_intervals(
    chrom_sizes: Mapping[str, int], gaps: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """A few blacklist regions (about one per 700 kb), clear of N runs, sorted.

    Returns
    -------
    pandas.DataFrame
        BED3 columns ``chrom``, ``start``, ``end``.
    """
    rows = []
    for chrom, length in chrom_sizes.items():
        width = int(np.clip(length // 100, 400, 5_000))
        sub_sizes = {chrom: length}
        allowed = _allowed_centres(sub_sizes, gaps[gaps["chrom"] == chrom], width + 100)
        n = max(1, round(length / 700_000))
        for _, centre in _draw_positions(allowed, n, 10 * width, {}, rng):
            half = int(rng.integers(width // 4, width // 2 + 1))
            rows.append((chrom, centre - half, centre + half))
    return _sort_bed(pd.DataFrame(rows, columns=["chrom", "start", "end"]), list(chrom_sizes))


# --------------------------------------------------------------------------------------------
# Sites and motifs
# --------------------------------------------------------------------------------------------


def _plan_sites(
    chrom_sizes: Mapping[str, int],
    allowed: Mapping[str, np.ndarray],
    tasks: Sequence[TaskSpec],
    params: SimulationParams,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place binding sites, decoys and open sites, and decide which task binds which site.

    Returns
    -------
    sites : pandas.DataFrame
        One row per site (index ``site``): ``chrom``, ``centre``, ``matrix_id`` (``""`` for an
        open site without motif), ``origin`` (``"site"``, ``"decoy"``, ``"open"``).
    bindings : pandas.DataFrame
        One row per (task, bound or open site): ``task``, ``site``, ``strength`` (``"strong"``,
        ``"weak"``, ``"open"``), ``affinity`` (relative enrichment, > 0).
    """
    total = sum(chrom_sizes.values())
    sites: list[tuple[str, int, str, str]] = []
    bindings: list[tuple[str, int, str, float]] = []

    def place(n: int, matrix_id: str, origin: str) -> list[int]:
        taken = _positions_by_chrom(sites)
        new = _draw_positions(allowed, n, params.min_site_distance, taken, rng)
        first = len(sites)
        sites.extend((chrom, pos, matrix_id, origin) for chrom, pos in new)
        return list(range(first, len(sites)))

    for task in (t for t in tasks if t.assay == CHIP_ASSAY):
        n = max(1, round(total / params.site_spacing))
        ids: list[int] = []
        if task.shares_sites_with is not None:
            pool = [b[1] for b in bindings if b[0] == task.shares_sites_with]
            k = min(len(pool), round(n * task.shared_fraction))
            ids = sorted(int(i) for i in rng.choice(pool, size=k, replace=False))
        ids += place(n - len(ids), task.matrix_id, "site")
        weak = rng.random(len(ids)) < params.weak_fraction
        affinity = rng.lognormal(0.0, 0.3, size=len(ids))
        for site, is_weak, a in zip(ids, weak, affinity, strict=True):
            bindings.append((task.name, site, "weak" if is_weak else "strong", float(a)))

    for matrix_id in dict.fromkeys(t.matrix_id for t in tasks if t.assay == CHIP_ASSAY):
        n_max = max(
            sum(b[0] == t.name for b in bindings) for t in tasks if t.matrix_id == matrix_id
        )
        place(round(params.decoy_fraction * n_max), matrix_id, "decoy")

    for task in (t for t in tasks if t.assay == DNASE_ASSAY):
        cell_tasks = {t.name for t in tasks if t.cell_type == task.cell_type and t.matrix_id}
        ids = sorted({b[1] for b in bindings if b[0] in cell_tasks})
        n_extra = max(1, round(params.extra_open_fraction * len(ids)))
        n_motif = int(rng.binomial(n_extra, 0.5)) if params.open_motif_id else 0
        ids += place(n_motif, params.open_motif_id or "", "open")
        ids += place(n_extra - n_motif, "", "open")
        openness = rng.lognormal(0.0, 0.3, size=len(ids))
        bindings.extend(
            (task.name, site, "open", float(a)) for site, a in zip(ids, openness, strict=True)
        )

    site_table = pd.DataFrame(sites, columns=["chrom", "centre", "matrix_id", "origin"])
    site_table.index.name = "site"
    binding_table = pd.DataFrame(bindings, columns=["task", "site", "strength", "affinity"])
    return site_table, binding_table


def _positions_by_chrom(sites: Sequence[tuple[str, int, str, str]]) -> dict[str, np.ndarray]:
    """Site centres per chromosome, shape (n,) each."""
    by_chrom: dict[str, list[int]] = {}
    for chrom, pos, _, _ in sites:
        by_chrom.setdefault(chrom, []).append(pos)
    return {chrom: np.array(positions) for chrom, positions in by_chrom.items()}


def _plant_motifs(
    genome: dict[str, np.ndarray],
    sites: pd.DataFrame,
    motifs: Mapping[str, Motif],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Write a PWM sample (random strand) centred on every site that has a motif, in place.

    Returns
    -------
    pandas.DataFrame
        ``sites`` with columns ``strand``, ``motif_start``, ``motif_end`` (0-based, half-open;
        ``start = centre - W // 2``) and ``sequence`` (forward-strand bases as planted); empty
        strings and -1 for sites without motif.
    """
    strands, starts, ends, sequences = [], [], [], []
    for chrom, centre, matrix_id in sites[["chrom", "centre", "matrix_id"]].itertuples(False):
        if not matrix_id:
            strands.append("")
            starts.append(-1)
            ends.append(-1)
            sequences.append("")
            continue
        one_hot = sample_from_pwm(motifs[matrix_id].pwm, rng)
        strand = str(_STRANDS[int(rng.integers(2))])
        if strand == "-":
            one_hot = reverse_complement(one_hot)
        codes = one_hot.argmax(axis=0).astype(np.uint8)
        start = int(centre) - codes.size // 2
        genome[chrom][start : start + codes.size] = codes
        strands.append(strand)
        starts.append(start)
        ends.append(start + codes.size)
        sequences.append(_BASES[codes].tobytes().decode("ascii"))
    return sites.assign(strand=strands, motif_start=starts, motif_end=ends, sequence=sequences)


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# DNase I cut preference
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Junk alignments
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Peaks and BED files
# --------------------------------------------------------------------------------------------


def _sort_bed(table: pd.DataFrame, chroms: Sequence[str]) -> pd.DataFrame:
    """Sort a BED-like table by chromosome (in ``chroms`` order), start, end."""
    rank = table["chrom"].map({c: i for i, c in enumerate(chroms)}).to_numpy()
    order = np.lexsort((table["end"].to_numpy(), table["start"].to_numpy(), rank))
    return table.iloc[order].reset_index(drop=True)


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


# --------------------------------------------------------------------------------------------
# Portal
# --------------------------------------------------------------------------------------------


def _file_fields(
    assembly: str,
    file_format: str,
    output_type: str,
    dataset: str,
    replicates: Sequence[int],
    file_format_type: str | None = None,
) -> dict[str, Any]:
    """The ENCODE file-object keys other than those :func:`attrprior.portal.add_file` fills."""
    return {
        "file_format": file_format,
        "file_format_type": file_format_type,
        "output_type": output_type,
        "assembly": assembly,
        "biological_replicates": list(replicates),
        "technical_replicates": [f"{r}_1" for r in replicates],
        "dataset": dataset,
    }


def _publish(
    portal: Path, reference: str, name: str, data: bytes, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Write one file's bytes and JSON (``title`` = reference); return the file object."""
    return add_file(portal, reference, name, data, title=reference, **fields)


def _publish_reference(
    portal: Path,
    genome: Mapping[str, np.ndarray],
    chrom_sizes: Mapping[str, int],
    blacklist: pd.DataFrame,
    assembly: str,
    ids: _AccessionCounter,
) -> dict[str, dict[str, Any]]:
    """Genome FASTA and chromosome sizes (by alias) and the blacklist (by accession).

    Returns
    -------
    dict of str to dict
        ``"genome"``, ``"chrom_sizes"``, ``"blacklist"`` -> file object.
    """
    dataset = f"/references/{ids('ENCSR')}/"
    sizes = "".join(f"{chrom}\t{size}\n" for chrom, size in chrom_sizes.items()).encode()
    genome_alias, sizes_alias, blacklist_id = (
        f"{assembly}_genome",
        f"{assembly}_chrom_sizes",
        ids("ENCFF"),
    )
    return {
        "genome": _publish(
            portal, genome_alias, f"{genome_alias}.fasta.gz", _gzip(_fasta_bytes(genome)),
            _file_fields(assembly, "fasta", "genome reference", dataset, []),
        ),
        "chrom_sizes": _publish(
            portal, sizes_alias, f"{sizes_alias}.tsv", sizes,
            _file_fields(assembly, "tsv", "chromosome sizes", dataset, []),
        ),
        "blacklist": _publish(
            portal, blacklist_id, f"{blacklist_id}.bed.gz", _bed_bytes(blacklist, True),
            _file_fields(assembly, "bed", "blacklist", dataset, [], "bed3+"),
        ),
    }  # fmt: skip


def _experiment_object(
    accession: str,
    assay: str,
    cell_type: str,
    files: Sequence[Mapping[str, Any]],
    target: str | None = None,
    control: str | None = None,
) -> dict[str, Any]:
    """An ENCODE-like experiment object with embedded file objects."""
    experiment: dict[str, Any] = {
        "@id": f"/experiments/{accession}/",
        "accession": accession,
        "assay_title": assay,
        "biosample_ontology": {"term_name": cell_type, "classification": "cell line"},
        "possible_controls": (
            [{"accession": control, "@id": f"/experiments/{control}/"}] if control else []
        ),
        "status": "released",
        "files": [dict(f) for f in files],
    }
    if target is not None:
        experiment["target"] = {"label": target, "name": f"{target}-simhuman"}
    return experiment


def _publish_bams(
    context: _Context,
    dataset_accession: str,
    output_type: str,
    replicate_reads: Sequence[pd.DataFrame],
    ids: _AccessionCounter,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One BAM file object per replicate (replicates numbered from 1), junk added.

    Returns
    -------
    records : list of dict
        The file objects.
    alignments : dict
        ``n_reads``: BAM accession -> number of alignments written (junk included);
        ``reads``: every alignment of each BAM (:func:`_with_junk`), one table per replicate.
    """
    records, tables = [], []
    for replicate, reads in enumerate(replicate_reads, start=1):
        accession = ids("ENCFF")
        table = _with_junk(context, reads, context.junk_rng)
        tables.append(table)
        data = _bam_bytes(context, table, accession)
        fields = _file_fields(
            context.assembly, "bam", output_type, f"/experiments/{dataset_accession}/", [replicate]
        )
        fields["mapped_read_length"] = context.params.read_length
        fields["mapped_run_type"] = "single-ended"
        records.append(_publish(context.portal, accession, f"{accession}.bam", data, fields))
    n_reads = {f["accession"]: len(t) for f, t in zip(records, tables, strict=True)}
    return records, {"n_reads": n_reads, "reads": tables}


def _replicate_reads(
    context: _Context, kind: str, bound: pd.DataFrame, rng: np.random.Generator
) -> list[pd.DataFrame]:
    """Valid, sorted reads of every replicate of one experiment.

    Parameters
    ----------
    kind : str
        ``"control"`` (uniform), ``"chip"`` (site fragments) or ``"dnase"`` (cuts at open
        sites); each adds uniform background and blacklist artefacts. DNase cuts (sites and
        background) follow DNase I's preference if ``dnase_cut_preference``
        (:func:`_prefer_cuts`, drawn from ``context.cut_rng``).
    bound : pandas.DataFrame
        The experiment's rows of the bindings table (ignored for controls).
    """
    p = context.params
    total_mb = sum(context.chrom_sizes.values()) / 1e6
    per_mb, n_replicates = {
        "control": (p.control_reads_per_mb, p.n_control_replicates),
        "chip": (p.chip_background_per_mb, p.n_chip_replicates),
        "dnase": (p.dnase_background_per_mb, p.n_dnase_replicates),
    }[kind]
    replicates = []
    for _ in range(n_replicates):
        parts = [_uniform_reads(context, round(per_mb * total_mb), rng)]
        if kind == "chip":
            parts.append(_chip_site_reads(context, bound, rng))
        elif kind == "dnase":
            parts.append(_dnase_cut_reads(context, bound, rng))
        parts.append(_artefact_reads(context, rng))
        if kind == "dnase" and p.dnase_cut_preference:
            parts[:2] = [_prefer_cuts(context, part, context.cut_rng) for part in parts[:2]]
        replicates.append(_finish_reads(context, parts))
    return replicates


def _publish_controls(
    context: _Context, tasks: Sequence[TaskSpec], ids: _AccessionCounter, rng: np.random.Generator
) -> dict[str, dict[str, Any]]:
    """One input control experiment per cell type of the ChIP tasks.

    Returns
    -------
    dict of str to dict
        Cell type -> ``{"accession", "alignments": [file accessions], "n_reads": {...},
        "reads": [per-replicate alignment tables, junk included]}``.
    """
    controls = {}
    for cell_type in dict.fromkeys(t.cell_type for t in tasks if t.assay == CHIP_ASSAY):
        accession = ids("ENCSR")
        reads = _replicate_reads(context, "control", context.bindings.iloc[:0], rng)
        files, alignments = _publish_bams(context, accession, CHIP_ALIGNMENTS, reads, ids)
        add_experiment(
            context.portal, _experiment_object(accession, CONTROL_ASSAY, cell_type, files)
        )
        controls[cell_type] = {
            "accession": accession,
            "alignments": [f["accession"] for f in files],
            **alignments,  # reads: for the BPNet-like archive's control bigWigs
        }
    return controls


def _publish_task(
    context: _Context,
    task: TaskSpec,
    controls: Mapping[str, Mapping[str, Any]],
    ids: _AccessionCounter,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Write one experiment (its files and JSON).

    Returns
    -------
    dict
        Manifest entry: ``name``, ``accession``, ``assay``, ``target``, ``motif``,
        ``cell_type``, ``control``, ``files`` (accessions by role), and, left out of the
        manifest, ``n_reads``, ``reads`` (the per-replicate alignment tables, junk included)
        and, for DNase tasks, ``footprints`` (the footprint table published).
    """
    accession = ids("ENCSR")
    control = controls[task.cell_type]["accession"] if task.assay == CHIP_ASSAY else None
    if task.assay == CHIP_ASSAY:
        files, roles, internal = _publish_chip_files(context, task, accession, ids, rng)
        roles["control_alignments"] = list(controls[task.cell_type]["alignments"])
    else:
        files, roles, internal = _publish_dnase_files(context, task, accession, ids, rng)
    experiment = _experiment_object(
        accession, task.assay, task.cell_type, files, task.target, control
    )
    add_experiment(context.portal, experiment)
    return {
        "name": task.name,
        "accession": accession,
        "assay": task.assay,
        "target": task.target,
        "motif": task.matrix_id,
        "cell_type": task.cell_type,
        "control": control,
        "files": roles,
        **internal,
    }


def _publish_chip_files(
    context: _Context,
    task: TaskSpec,
    accession: str,
    ids: _AccessionCounter,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """BAMs and the two peak sets of a ChIP experiment.

    Returns
    -------
    files : list of dict
        File objects written (the BAMs first).
    roles : dict
        ``optimal_peaks``, ``relaxed_peaks`` (accessions), ``alignments`` (list).
    internal : dict
        ``n_reads`` and ``reads`` of the BAMs (:func:`_publish_bams`).
    """
    bound = context.bindings[context.bindings["task"] == task.name]
    reads = _replicate_reads(context, "chip", bound, rng)
    bams, alignments = _publish_bams(context, accession, CHIP_ALIGNMENTS, reads, ids)
    optimal, relaxed = _chip_peak_sets(context, task, rng)
    replicates = list(range(1, len(bams) + 1))
    dataset = f"/experiments/{accession}/"
    peak_files = [
        _publish_peaks(context, ids, table, output_type, dataset, replicates)
        for table, output_type in ((optimal, OPTIMAL_PEAKS), (relaxed, RELAXED_PEAKS))
    ]
    roles = {
        "optimal_peaks": peak_files[0]["accession"],
        "relaxed_peaks": peak_files[1]["accession"],
        "alignments": [f["accession"] for f in bams],
    }
    return [*bams, *peak_files], roles, alignments


def _publish_dnase_files(
    context: _Context,
    task: TaskSpec,
    accession: str,
    ids: _AccessionCounter,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """BAMs, peaks and footprints of a DNase experiment.

    Returns
    -------
    files : list of dict
        File objects written (the BAMs first).
    roles : dict
        ``peaks``, ``footprints`` (accessions), ``alignments`` (list).
    internal : dict
        ``n_reads`` and ``reads`` of the BAMs (:func:`_publish_bams`) and ``footprints``
        (the table of the footprint file, :func:`_footprints`).
    """
    bound = context.bindings[context.bindings["task"] == task.name]
    reads = _replicate_reads(context, "dnase", bound, rng)
    bams, alignments = _publish_bams(context, accession, DNASE_ALIGNMENTS, reads, ids)
    sites = context.sites.loc[bound["site"].to_numpy()]
    signal = 5.0 + 10.0 * bound["affinity"].to_numpy()
    peaks = _peaks_around(
        sites["chrom"].to_numpy(), sites["centre"].to_numpy(), signal, (200, 400), rng
    )
    replicates = list(range(1, len(bams) + 1))
    dataset = f"/experiments/{accession}/"
    peak_file = _publish_peaks(
        context, ids, _sort_bed(peaks, context.chroms), DNASE_PEAKS, dataset, replicates
    )
    footprints = _footprints(context, task)
    footprint_id = ids("ENCFF")
    footprint_file = _publish(
        context.portal,
        footprint_id,
        f"{footprint_id}.bed.gz",
        _bed_bytes(footprints, True),
        _file_fields(context.assembly, "bed", FOOTPRINTS, dataset, replicates, "bed3+"),
    )
    roles = {
        "peaks": peak_file["accession"],
        "footprints": footprint_id,
        "alignments": [f["accession"] for f in bams],
    }
    return [*bams, peak_file, footprint_file], roles, {**alignments, "footprints": footprints}


def _publish_peaks(
    context: _Context,
    ids: _AccessionCounter,
    peaks: pd.DataFrame,
    output_type: str,
    dataset: str,
    replicates: Sequence[int],
) -> dict[str, Any]:
    """Write a narrowPeak file object; return it."""
    accession = ids("ENCFF")
    fields = _file_fields(context.assembly, "bed", output_type, dataset, replicates, "narrowPeak")
    return _publish(
        context.portal, accession, f"{accession}.bed.gz", _narrowpeak_bytes(peaks), fields
    )


# --------------------------------------------------------------------------------------------
# Zenodo records
# --------------------------------------------------------------------------------------------


def _publish_zenodo(
    context: _Context,
    tasks: Sequence[TaskSpec],
    experiments: Sequence[Mapping[str, Any]],
    controls: Mapping[str, Mapping[str, Any]],
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Publish the BPNet-like and the footprint archives as Zenodo records, where possible.

    Returns
    -------
    dict
        The manifest's ``zenodo`` section: ``bpnet`` and ``footprints`` entries, each left out
        when the tasks cannot make that record (see the module docstring).
    """
    records: dict[str, Any] = {}
    entries = {e["name"]: e for e in experiments}
    chosen = _bpnet_tasks(tasks, controls)
    if chosen is not None:
        cell_type, chip_tasks = chosen
        records["bpnet"] = _publish_bpnet(
            context, cell_type, chip_tasks, entries, controls[cell_type]["reads"]
        )
    for task in (t for t in tasks if t.assay == DNASE_ASSAY):
        footprints = entries[task.name]["footprints"]
        if len(footprints):  # the first DNase task with footprints
            records["footprints"] = _publish_footprint_samples(context, task, footprints, rng)
            break
    return records


def _bpnet_tasks(
    tasks: Sequence[TaskSpec], controls: Mapping[str, Mapping[str, Any]]
) -> tuple[str, list[TaskSpec]] | None:
    """The cell type of the BPNet-like archive and its ChIP tasks, or None if there is none.

    The cell type with the most TF ChIP tasks (the first in task order on a tie) among those
    with an input control; its tasks in task order, the first per target, and only targets
    usable as a directory name.
    """
    by_cell: dict[str, dict[str, TaskSpec]] = {}
    for task in tasks:
        if task.assay != CHIP_ASSAY or task.cell_type not in controls:
            continue
        if task.target and _TAR_NAME.fullmatch(task.target):
            by_cell.setdefault(task.cell_type, {}).setdefault(task.target, task)
    if not by_cell:
        return None
    cell_type = max(by_cell, key=lambda cell: len(by_cell[cell]))
    return cell_type, list(by_cell[cell_type].values())


def _publish_bpnet(
    context: _Context,
    cell_type: str,
    chip_tasks: Sequence[TaskSpec],
    entries: Mapping[str, Mapping[str, Any]],
    control_reads: Sequence[pd.DataFrame],
) -> dict[str, Any]:
    """Build the BPNet-like archive of ``chip_tasks``, add it to the portal; return its entry."""
    members: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in chip_tasks:
            chip = f"data/chip-seq/{task.target}"
            entry = entries[task.name]
            pos, neg = _stranded_bigwig_bytes(context, entry["reads"], Path(tmp))
            members[f"{chip}/counts.pos.bw"], members[f"{chip}/counts.neg.bw"] = pos, neg
            accession = entry["files"]["optimal_peaks"]
            # The very bytes published to the portal, so both sources give the same peaks.
            optimal = blob_path(context.portal, accession, f"{accession}.bed.gz").read_bytes()
            members[f"{chip}/idr-optimal-set.narrowPeak.gz"] = optimal
            members[f"{chip}/idr-optimal-set.summit.bed.gz"] = _summit_bed_bytes(optimal, context)
            nexus = _narrowpeak_bytes(_nexus_peaks(context, task))
            members[f"data/chip-nexus/{task.target}/idr-optimal-set.narrowPeak.gz"] = nexus
        pos, neg = _stranded_bigwig_bytes(context, control_reads, Path(tmp))
        members["data/chip-seq/input-control/counts.pos.bw"] = pos
        members["data/chip-seq/input-control/counts.neg.bw"] = neg
    title = f"BPNet-like ChIP-seq and ChIP-nexus data of {cell_type} (simulated)"
    entry = _publish_archive(context.portal, BPNET_RECORD, BPNET_FILE, members, title)
    entry["cell_type"] = cell_type
    entry["tasks"] = {task.target: task.name for task in chip_tasks}
    entry["members"] = sorted(members)
    return entry


def _publish_footprint_samples(
    context: _Context, task: TaskSpec, footprints: pd.DataFrame, rng: np.random.Generator
) -> dict[str, Any]:
    """Build the footprint archive of a DNase task, add it to the portal; return its entry."""
    members = {
        f"per_sample/h.{task.cell_type}-DS{i:05d}.bed.gz": _bed_bytes(sample, True)
        for i, sample in enumerate(_footprint_samples(footprints, rng), start=1)
    }
    title = f"Vierstra et al. 2020-like DNase footprints per sample of {task.cell_type} (simulated)"
    entry = _publish_archive(context.portal, FOOTPRINT_RECORD, FOOTPRINT_FILE, members, title)
    entry["cell_type"] = task.cell_type
    entry["members"] = sorted(members)
    return entry


def _publish_archive(
    portal: Path, record: int, key: str, members: Mapping[str, bytes], title: str
) -> dict[str, Any]:
    """Write ``members`` as a reproducible ``.tar.gz`` Zenodo file; return record, file, md5,
    size."""
    data = _tar_gz_bytes(members)
    add_zenodo_file(portal, record, key, data, title=title)
    return {
        "record": record,
        "file": key,
        "md5": hashlib.md5(data).hexdigest(),
        "size": len(data),
    }


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
    a real pipeline publishes; what ``bedtools genomecov -5`` (:mod:`attrprior.tracks`)
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


# --------------------------------------------------------------------------------------------
# ENA run: naked-DNA DNase-seq
# --------------------------------------------------------------------------------------------


def _publish_ena(
    context: _Context, tasks: Sequence[TaskSpec], rng: np.random.Generator
) -> dict[str, Any]:
    """Publish the naked-DNA DNase-seq run for the first DNase task's cell type, if any.

    Returns
    -------
    dict
        The manifest's ``ena`` section: ``{"naked_dnase": {...}}``, or empty without a DNase
        task (see the module docstring).
    """
    dnase = [task for task in tasks if task.assay == DNASE_ASSAY]
    if not dnase:
        return {}
    p = context.params
    n = round(p.naked_dnase_reads_per_mb * sum(context.chrom_sizes.values()) / 1e6)
    name = f"{NAKED_DNASE_RUN}.fastq.gz"
    data = _gzip(_fastq_bytes(NAKED_DNASE_RUN, _naked_dnase_reads(context, n, rng)))
    add_ena_run(context.portal, NAKED_DNASE_RUN, {name: data})
    return {
        "naked_dnase": {
            "run": NAKED_DNASE_RUN,
            "file": name,
            "path": f"portal/ena/fastq/{NAKED_DNASE_RUN}/{name}",
            "md5": hashlib.md5(data).hexdigest(),
            "size": len(data),
            "cell_type": dnase[0].cell_type,
            "reads": n,
            "read_length": p.read_length,
        }
    }


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


def _fastq_bytes(run: str, reads: np.ndarray) -> bytes:
    """FASTQ text of reads (ASCII rows) named ``<run>.<i>`` (1-based), qualities all ``I``."""
    quality = "I" * reads.shape[1]
    sequences = reads.tobytes().decode("ascii")
    width = reads.shape[1]
    return "".join(
        f"@{run}.{i + 1}\n{sequences[i * width : (i + 1) * width]}\n+\n{quality}\n"
        for i in range(reads.shape[0])
    ).encode("ascii")


# --------------------------------------------------------------------------------------------
# Truth, manifest, summary
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m attrprior.simgenome --out DIR [--seed N] [--scale S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m attrprior.simgenome",
        description="Simulate a genome with ChIP-seq/DNase-seq data as a fake ENCODE portal.",
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--scale",
        type=str.lower,
        choices=sorted(SCALES),
        default="default",
        help="chromosome sizes: small (450 kb) or default (4.5 Mb)",
    )
    parser.add_argument(
        "--site-spacing",
        type=int,
        default=SimulationParams.site_spacing,
        help="bp of genome per binding site of each task (default %(default)s)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an earlier run's portal/ and truth/"
    )
    args = parser.parse_args(argv)
    summary = simulate_genome(
        args.out,
        seed=args.seed,
        chrom_sizes=SCALES[args.scale],
        params=SimulationParams(site_spacing=args.site_spacing),
        overwrite=args.overwrite,
    )
    report = asdict(summary)
    report["out_dir"], report["manifest"] = str(summary.out_dir), str(summary.manifest)
    report["files"] = len(summary.files)
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
