"""The simulated genome published on the local stand-in portal: ENCODE experiments and
files, Zenodo records (BPNet data, footprints), the ENA run.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attrprior.sim.portal_files import (
    add_ena_run,
    add_experiment,
    add_file,
    add_zenodo_file,
    blob_path,
)
from attrprior.sim.simgenome.files import (
    _bed_bytes,
    _chip_peak_sets,
    _fasta_bytes,
    _fastq_bytes,
    _footprint_samples,
    _footprints,
    _gzip,
    _narrowpeak_bytes,
    _nexus_peaks,
    _peaks_around,
    _stranded_bigwig_bytes,
    _summit_bed_bytes,
    _tar_gz_bytes,
)
from attrprior.sim.simgenome.reads import (
    _artefact_reads,
    _bam_bytes,
    _chip_site_reads,
    _Context,
    _dnase_cut_reads,
    _finish_reads,
    _naked_dnase_reads,
    _prefer_cuts,
    _uniform_reads,
    _with_junk,
)
from attrprior.sim.simgenome.sequence import _sort_bed
from attrprior.sim.simgenome.spec import (
    _TAR_NAME,
    BPNET_FILE,
    BPNET_RECORD,
    CHIP_ALIGNMENTS,
    CHIP_ASSAY,
    CONTROL_ASSAY,
    DNASE_ALIGNMENTS,
    DNASE_ASSAY,
    DNASE_PEAKS,
    FOOTPRINT_FILE,
    FOOTPRINT_RECORD,
    FOOTPRINTS,
    NAKED_DNASE_RUN,
    OPTIMAL_PEAKS,
    RELAXED_PEAKS,
    TaskSpec,
    _AccessionCounter,
)


def _file_fields(
    assembly: str,
    file_format: str,
    output_type: str,
    dataset: str,
    replicates: Sequence[int],
    file_format_type: str | None = None,
) -> dict[str, Any]:
    """The ENCODE file-object keys other than those :func:`attrprior.sim.portal_files.add_file`
    fills."""
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
