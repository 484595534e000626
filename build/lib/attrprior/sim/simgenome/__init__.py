r"""A simulated genome with ChIP-seq and DNase-seq data, laid out like the ENCODE portal.

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

Layout of ``out_dir`` (the portal part is served by :class:`attrprior.sim.portal.MockPortal`)::

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

Accessions follow the real patterns (``ENCSR\d{3}[A-Z]{3}``, ``ENCFF\d{3}[A-Z]{3}``): digits
``900 + seed % 100``, letters counting up from ``AAA`` in creation order (separately for
experiments and files). Reference files are addressed by alias: ``<assembly>_genome``
(``.fasta.gz``, plain gzip, 60 bases a line) and ``<assembly>_chrom_sizes`` (``.tsv``,
``chrom<TAB>size``); the blacklist (BED3, gzip) has an ``ENCFF`` accession. For alias-addressed
files the JSON ``accession`` holds the alias. File objects carry ``file_format_type``
``"narrowPeak"`` or ``"bed3+"`` for BED files and ``null`` otherwise; the file objects and
experiment objects are written by :func:`attrprior.sim.portal_files.add_file` and
:func:`attrprior.sim.portal_files.add_experiment`. One input control experiment ("Control
ChIP-seq") per
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
(:data:`attrprior.genomics.tracks.DEFAULT_READ_FILTER`) keeps exactly the real reads: with the same
seed
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
Written with :func:`attrprior.sim.portal_files.add_zenodo_file`; record numbers are fixed (not
seeded).
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
  ``samtools view -F 780 -q 30`` (no junk): what :mod:`attrprior.genomics.tracks` reports with its
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
Written with :func:`attrprior.sim.portal_files.add_ena_run` (served as ENA's filereport and FASTQ
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

Command line: ``python -m attrprior.sim.simgenome --out DIR [--seed N] [--scale small|default]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from attrprior.pwms import Motif, load_jaspar_motifs
from attrprior.sim.simgenome.files import _manifest, _summary, _write_truth, _write_yaml
from attrprior.sim.simgenome.publish import (
    _publish_controls,
    _publish_ena,
    _publish_reference,
    _publish_task,
    _publish_zenodo,
)
from attrprior.sim.simgenome.reads import _Context, _cut_weights
from attrprior.sim.simgenome.sequence import (
    _allowed_centres,
    _blacklist_intervals,
    _gap_intervals,
    _mask,
    _plan_sites,
    _plant_motifs,
    _random_genome,
)
from attrprior.sim.simgenome.spec import (
    ASSEMBLY,
    BPNET_FILE,
    BPNET_RECORD,
    CHIP_ASSAY,
    CONTROL_ASSAY,
    DEFAULT_CHROM_SIZES,
    DEFAULT_TASKS,
    DNASE_ASSAY,
    DNASE_CUT_WEIGHTS,
    FOOTPRINT_FILE,
    FOOTPRINT_RECORD,
    NAKED_DNASE_RUN,
    SCALES,
    SMALL_CHROM_SIZES,
    SimGenomeSummary,
    SimulationParams,
    TaskSpec,
    _AccessionCounter,
    _check_motifs,
    _prepare_out_dir,
    _rng_streams,
    _validate_chrom_sizes,
    _validate_params,
    _validate_tasks,
)

DNASE_CUT_WEIGHTS.flags.writeable = False


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


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m attrprior.sim.simgenome --out DIR [--seed N] [--scale S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m attrprior.sim.simgenome",
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
