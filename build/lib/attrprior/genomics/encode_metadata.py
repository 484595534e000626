"""What the portals' metadata says, checked: accessions, ENCODE file objects (status,
assembly, output type, replicates, controls), Zenodo records and ENA run reports; which
file of an experiment a config names. Plain dicts in, names and errors out, no requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

EXPERIMENT_PATTERN = re.compile(r"ENCSR\d{3}[A-Z]{3}")


FILE_PATTERN = re.compile(r"ENCFF\d{3}[A-Z]{3}")


#: Sequencing runs of the INSDC archives: SRA (``SRR``), ENA (``ERR``) and DDBJ (``DRR``).
RUN_PATTERN = re.compile(r"[SED]RR\d{6,}")


#: Aliases of reference files, e.g. ``GRCh38_no_alt_analysis_set_GCA_000001405.15``.
ALIAS_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


#: File statuses accepted by default; ``replaced``, ``revoked``, ``deleted``... are refused.
DEFAULT_STATUSES = ("released", "archived")


_PATTERN_TEXT = {
    "experiment": (EXPERIMENT_PATTERN, "ENCSR + 3 digits + 3 capital letters, e.g. ENCSR000BGQ"),
    "file": (FILE_PATTERN, "ENCFF + 3 digits + 3 capital letters, e.g. ENCFF071ZMW"),
    "run": (RUN_PATTERN, "SRR, ERR or DRR + at least 6 digits, e.g. SRR1565781"),
    "alias": (
        ALIAS_PATTERN,
        "letters, digits, '_', '.', '-' starting with a letter or digit, "
        "and not an ENCSR/ENCFF prefix",
    ),
}


#: Who issues the identifiers of each kind, for messages (ENCODE unless named here).
_KIND_ISSUER = {"run": "SRA/ENA/DDBJ"}


_ACCESSION_PREFIX = re.compile(r"ENC(SR|FF)", re.IGNORECASE)


_MD5 = re.compile(r"[0-9a-f]{32}")


_DIGITS = re.compile(r"[0-9]+")


#: Fields of an ENA filereport that :func:`ena_run_files` reads.
_ENA_FIELDS = ("run_accession", "fastq_ftp", "fastq_md5", "fastq_bytes")


class MetadataError(ValueError):
    """Portal metadata is missing something or does not match what was asked for."""


def validate_accession(accession: str, kind: str) -> str:
    """Return ``accession`` if it is a well-formed identifier of ``kind``.

    Parameters
    ----------
    accession : str
        Identifier to check.
    kind : {"experiment", "file", "alias", "run"}
        ENCODE's ``experiment``: ``ENCSR\\d{3}[A-Z]{3}``; ``file``: ``ENCFF\\d{3}[A-Z]{3}``;
        ``alias``: letters, digits, ``_``, ``.``, ``-`` (not looking like an accession);
        a sequencing ``run`` of SRA, ENA or DDBJ: ``[SED]RR\\d{6,}``.

    Raises
    ------
    ValueError
        Naming the identifier and the expected pattern.
    """
    if kind not in _PATTERN_TEXT:
        raise ValueError(
            f"unknown accession kind {kind!r}; expected one of {sorted(_PATTERN_TEXT)}"
        )
    pattern, text = _PATTERN_TEXT[kind]
    ok = isinstance(accession, str) and pattern.fullmatch(accession) is not None
    if ok and kind == "alias":
        ok = _ACCESSION_PREFIX.match(accession) is None
    if not ok:
        issuer = _KIND_ISSUER.get(kind, "ENCODE")
        raise ValueError(f"invalid {issuer} {kind} accession {accession!r}: expected {text}")
    return accession


def validate_file_reference(name: str) -> str:
    """Return ``name`` if it is an ENCODE file accession or a reference-file alias.

    Anything starting with ``ENCFF``/``ENCSR`` (in any case) must be a well-formed file
    accession, so ``"ENCFF12"``, ``"encff071zmw"`` and ``"ENCSR000BGQ"`` are refused.

    Raises
    ------
    ValueError
        Naming ``name`` and both accepted patterns.
    """
    if isinstance(name, str) and _ACCESSION_PREFIX.match(name):
        return validate_accession(name, "file")
    try:
        return validate_accession(name, "alias")
    except ValueError:
        raise ValueError(
            f"invalid ENCODE file reference {name!r}: expected a file accession "
            f"({_PATTERN_TEXT['file'][1]}) or an alias ({_PATTERN_TEXT['alias'][1]})"
        ) from None


def check_file_metadata(
    meta: Mapping[str, Any],
    *,
    accession: str,
    assembly: str | None = None,
    allowed_status: Sequence[str] = DEFAULT_STATUSES,
) -> None:
    """Check a file object before downloading it.

    Parameters
    ----------
    meta : mapping
        File object from ``/files/<accession>/?format=json``.
    accession : str
        Accession or alias it was requested by (named in errors). For an accession, the
        object's own ``accession`` must equal it.
    assembly : str, optional
        Required ``assembly`` (e.g. ``"GRCh38"``).
    allowed_status : sequence of str
        Accepted ``status`` values.

    Raises
    ------
    MetadataError
        Naming the accession and what is wrong: a missing key, another accession, a refused
        status (e.g. revoked, replaced), another assembly, a malformed md5sum or file_size.
    """
    missing = [key for key in ("href", "md5sum", "file_size", "status") if key not in meta]
    if missing:
        raise MetadataError(f"{accession}: file metadata lacks {', '.join(missing)}")
    if FILE_PATTERN.fullmatch(accession) and meta.get("accession") != accession:
        raise MetadataError(f"{accession}: portal returned file {meta.get('accession')!r} instead")
    if meta["status"] not in allowed_status:
        raise MetadataError(
            f"{accession}: status is {meta['status']!r}, expected one of "
            f"{', '.join(allowed_status)}"
        )
    if assembly is not None and meta.get("assembly") != assembly:
        raise MetadataError(
            f"{accession}: assembly is {meta.get('assembly')!r}, expected {assembly!r}"
        )
    if not isinstance(meta["md5sum"], str) or not _MD5.fullmatch(meta["md5sum"].lower()):
        raise MetadataError(f"{accession}: md5sum {meta['md5sum']!r} is not 32 hex digits")
    size = meta["file_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise MetadataError(f"{accession}: file_size {size!r} is not a non-negative integer")


def select_files(
    experiment: Mapping[str, Any],
    output_type: str,
    assembly: str,
    file_format: str | None = None,
    *,
    allowed_status: Sequence[str] = DEFAULT_STATUSES,
) -> list[dict[str, Any]]:
    """File objects of an experiment with a given output type and assembly.

    Parameters
    ----------
    experiment : mapping
        Experiment object with embedded ``files`` (as ``?format=json`` returns them).
    output_type : str
        E.g. ``"unfiltered alignments"`` or ``"optimal IDR thresholded peaks"``.
    assembly : str
        E.g. ``"GRCh38"``.
    file_format : str, optional
        E.g. ``"bam"``; any format if omitted.
    allowed_status : sequence of str
        Statuses kept (revoked and replaced files are dropped by default).

    Returns
    -------
    list of dict
        The matching file objects sorted by accession (possibly empty).

    Raises
    ------
    MetadataError
        If ``files`` is missing or not a list of embedded objects.
    """
    name = experiment.get("accession", "<experiment without accession>")
    files = experiment.get("files")
    if not isinstance(files, list):
        raise MetadataError(f"{name}: experiment object has no 'files' list")
    if not all(isinstance(item, Mapping) for item in files):
        raise MetadataError(f"{name}: 'files' are not embedded objects (request ?format=json)")
    chosen = [
        dict(item)
        for item in files
        if item.get("output_type") == output_type
        and item.get("assembly") == assembly
        and (file_format is None or item.get("file_format") == file_format)
        and item.get("status") in allowed_status
    ]
    return sorted(chosen, key=lambda item: str(item.get("accession", "")))


def resolve_file(
    experiment: Mapping[str, Any],
    output_type: str,
    assembly: str,
    file_format: str | None = None,
) -> str:
    """The one file accession of an experiment with a given output type and assembly.

    Used where the configuration names an experiment and an output type instead of a file
    (e.g. the DNase-seq peaks of an experiment whose file accession is not recorded). With
    several candidates, a ``released`` file is taken over ``archived`` ones, and among
    several of the same status the one marked ``preferred_default``.

    Parameters
    ----------
    experiment : mapping
        Experiment object with embedded ``files``.
    output_type, assembly, file_format : str
        As in :func:`select_files`.

    Returns
    -------
    str
        The file accession.

    Raises
    ------
    MetadataError
        If no file matches (the message lists the output types the experiment has for the
        assembly), or several of the best status match and not exactly one is
        ``preferred_default`` (the message lists them; name the file accession in the
        configuration instead).
    """
    name, candidates = _candidates(experiment, output_type, assembly, file_format)
    chosen = _one_file(
        candidates,
        f"{name} ({assembly})",
        output_type,
        "name the file accession in the configuration instead",
    )
    return validate_accession(str(chosen.get("accession")), "file")


def replicate_files(
    experiment: Mapping[str, Any],
    output_type: str,
    assembly: str,
    file_format: str | None = None,
) -> list[dict[str, Any]]:
    """One file per biological replicate of an experiment, of an output type and assembly.

    Used where the configuration names the replicate files of an experiment by output type
    (e.g. the "unfiltered alignments" BAMs of every replicate). The released and archived
    candidates (:func:`select_files`) are grouped by their sorted ``biological_replicates``;
    within a group a ``released`` file is taken over ``archived`` ones, then the one marked
    ``preferred_default``.

    Parameters
    ----------
    experiment : mapping
        Experiment object with embedded ``files``.
    output_type, assembly, file_format : str
        As in :func:`select_files`.

    Returns
    -------
    list of dict, length R (replicate groups)
        The chosen file objects, sorted by their sorted ``biological_replicates``
        (replicate 1 before 2; a file pooled from [1, 2] after [1]).

    Raises
    ------
    MetadataError
        If no file matches (listing the output types the experiment has for the assembly), a
        candidate has no ``biological_replicates`` list, or a replicate still has several
        candidates (naming the experiment, the replicate and the accessions; list the
        accessions in the configuration instead).
    """
    name, candidates = _candidates(experiment, output_type, assembly, file_format)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for item in candidates:
        replicates = item.get("biological_replicates")
        if not isinstance(replicates, list):
            raise MetadataError(
                f"{name}: file {item.get('accession')!r} has no biological_replicates list"
            )
        groups.setdefault(tuple(sorted(replicates)), []).append(item)
    return [
        _one_file(
            items,
            f"{name}: biological replicate {', '.join(map(str, replicates)) or '(none)'}",
            output_type,
            "list the accessions in the configuration instead",
        )
        for replicates, items in sorted(groups.items())
    ]


def _one_file(
    items: list[dict[str, Any]], owner: str, output_type: str, advice: str
) -> dict[str, Any]:
    """The one file among candidates: released before archived, then preferred_default;
    an error naming ``owner``, the accessions and ``advice`` if that leaves several."""
    released = [item for item in items if item.get("status") == "released"]
    chosen = released or items
    preferred = [item for item in chosen if item.get("preferred_default") is True]
    chosen = preferred or chosen
    if len(chosen) > 1:
        accessions = ", ".join(str(item.get("accession")) for item in chosen)
        raise MetadataError(
            f"{owner} has {len(chosen)} {output_type!r} files ({accessions}) of the same "
            f"status and not one preferred_default; {advice}"
        )
    return chosen[0]


def _candidates(
    experiment: Mapping[str, Any], output_type: str, assembly: str, file_format: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """The experiment's name and its files of an output type (:func:`select_files`), or an
    error listing the output types it has when there are none."""
    name = experiment.get("accession", "<experiment without accession>")
    candidates = select_files(experiment, output_type, assembly, file_format)
    if not candidates:
        available = sorted(
            {
                str(item.get("output_type"))
                for item in experiment.get("files", [])
                if isinstance(item, Mapping) and item.get("assembly") == assembly
            }
        )
        raise MetadataError(
            f"{name}: no released or archived {assembly} file with output type {output_type!r}"
            + (f" and format {file_format!r}" if file_format else "")
            + f"; output types for {assembly}: {available}"
        )
    return name, candidates


def control_experiments(experiment: Mapping[str, Any]) -> list[str]:
    """Accessions of an experiment's ``possible_controls``, in the portal's order.

    Entries may be objects with an ``accession`` or ``@id`` strings like
    ``"/experiments/ENCSR000BGH/"``.

    Raises
    ------
    MetadataError
        If an entry holds no well-formed experiment accession.
    """
    name = experiment.get("accession", "<experiment without accession>")
    accessions = []
    for entry in experiment.get("possible_controls", []):
        if isinstance(entry, Mapping):
            value = entry.get("accession") or entry.get("@id", "")
        else:
            value = entry
        text = str(value).strip("/").rsplit("/", 1)[-1]
        if not EXPERIMENT_PATTERN.fullmatch(text):
            raise MetadataError(f"{name}: possible control {entry!r} has no experiment accession")
        accessions.append(text)
    return accessions


def first_control(experiment: Mapping[str, Any]) -> str:
    """The first of an experiment's ``possible_controls`` (the reference implementation's
    choice of control).

    Raises
    ------
    MetadataError
        If the experiment lists no possible control (name the control experiment in the
        configuration instead), or as :func:`control_experiments`.
    """
    controls = control_experiments(experiment)
    if not controls:
        name = experiment.get("accession", "<experiment without accession>")
        raise MetadataError(
            f"{name}: the experiment lists no possible_controls; name the control "
            "experiment in the configuration instead"
        )
    return controls[0]


def zenodo_file(record: Mapping[str, Any], key: str, *, record_url: str) -> tuple[str, str, int]:
    """Download URL, MD5 and size of file ``key`` in a Zenodo record's JSON.

    Reads the record API's ``files`` list: each entry's ``key`` (older API: ``filename``),
    ``size`` (``filesize``), ``checksum`` (``"md5:<hex>"``, or bare hex) and ``links.self``
    (``links.download``, ``links.content``), resolved against ``record_url``.

    Raises
    ------
    MetadataError
        Naming the record URL: no file ``key`` (listing the record's files), or its entry
        lacks a size, an MD5 checksum or a link.
    """
    entries = record.get("files")
    if not isinstance(entries, list):
        raise MetadataError(f"{record_url}: the record JSON has no files list")
    names = [str(entry.get("key", entry.get("filename"))) for entry in entries]
    if key not in names:
        raise MetadataError(f"{record_url}: no file {key!r}; the record has {sorted(names)}")
    entry = entries[names.index(key)]
    checksum = str(entry.get("checksum", "")).lower()
    algorithm, _, digest = checksum.rpartition(":")
    size = entry.get("size", entry.get("filesize"))
    links = entry.get("links") or {}
    link = links.get("self") or links.get("download") or links.get("content")
    if algorithm not in ("", "md5") or not _MD5.fullmatch(digest):
        raise MetadataError(f"{record_url}: file {key!r} has no md5 checksum ({checksum!r})")
    if not isinstance(size, int) or size < 0:
        raise MetadataError(f"{record_url}: file {key!r} has no size ({size!r})")
    if not link:
        raise MetadataError(f"{record_url}: file {key!r} has no download link")
    return urljoin(record_url, link), digest, size


def ena_run_files(
    report: list[dict[str, Any]], run: str, *, report_url: str
) -> list[tuple[str, str, int]]:
    """The FASTQ files of one run in an ENA filereport (``result=read_run``, JSON).

    Reads the row whose ``run_accession`` is ``run``: its ``fastq_ftp``, ``fastq_md5`` and
    ``fastq_bytes`` are ``;``-separated lists in the same order, e.g. for a paired run
    ``"ftp.sra.ebi.ac.uk/vol1/fastq/SRR156/001/SRR1565781/SRR1565781_1.fastq.gz;..._2.fastq.gz"``
    (sometimes after an unpaired ``<run>.fastq.gz``).

    Parameters
    ----------
    report : list of dict
        The filereport as parsed JSON.
    run : str
        Run accession.
    report_url : str
        Where the report came from, for messages.

    Returns
    -------
    list of (str, str, int)
        Per file, in ENA's order: its path as ENA gives it (host and path, normally without
        a scheme), its MD5 (lowercase) and its size in bytes.

    Raises
    ------
    MetadataError
        Naming the run and the report URL: the run is not in the report (or is there more
        than once), it has no FASTQ file, the three lists differ in length, an MD5 is not 32
        hex digits or a size not an integer.
    """
    where = f"ENA run {run} ({report_url})"
    if not isinstance(report, list) or not all(isinstance(row, Mapping) for row in report):
        raise MetadataError(f"{where}: the filereport is not a JSON list of objects")
    rows = [row for row in report if row.get("run_accession") == run]
    if not rows:
        listed = sorted({str(row.get("run_accession")) for row in report})
        raise MetadataError(
            f"{where}: the run is not in the filereport (runs listed: {listed}); is the "
            "accession right and the run public?"
        )
    if len(rows) > 1:
        raise MetadataError(f"{where}: the filereport lists the run {len(rows)} times")
    paths, md5s, sizes = (_ena_list(rows[0], field) for field in _ENA_FIELDS[1:])
    if not paths:
        raise MetadataError(f"{where}: the run has no FASTQ files (fastq_ftp is empty)")
    if not len(paths) == len(md5s) == len(sizes) or not all(paths):
        raise MetadataError(
            f"{where}: fastq_ftp, fastq_md5 and fastq_bytes do not list the same files "
            f"({len(paths)}, {len(md5s)} and {len(sizes)} entries)"
        )
    files = []
    for path, md5, size in zip(paths, md5s, sizes, strict=True):
        if not _MD5.fullmatch(md5.lower()):
            raise MetadataError(f"{where}: md5 {md5!r} of {path} is not 32 hex digits")
        if not _DIGITS.fullmatch(size):
            raise MetadataError(f"{where}: size {size!r} of {path} is not an integer")
        files.append((path, md5.lower(), int(size)))
    return files


def _ena_list(row: Mapping[str, Any], field: str) -> list[str]:
    """A ``;``-separated field of an ENA report row as a list (``[]`` if missing or empty)."""
    value = row.get(field)
    text = "" if value is None else str(value).strip()
    return [item.strip() for item in text.split(";")] if text else []


def _pick_fastq(
    files: list[tuple[str, str, int]], run: str, read: int | None, report_url: str
) -> tuple[str, str, int]:
    """The file of ``files`` that ``read`` names (the only one when ``read`` is None), or an
    error naming the run, the report URL and the run's file names."""
    names = [path.rsplit("/", 1)[-1] for path, _, _ in files]
    if read is None:
        if len(files) == 1:
            return files[0]
        raise MetadataError(
            f"ENA run {run} ({report_url}) has {len(files)} FASTQ files ({', '.join(names)}): "
            "set read to 1 or 2 to choose the mate of a paired run"
        )
    chosen = [
        entry
        for entry, name in zip(files, names, strict=True)
        if name.endswith(f"_{read}.fastq.gz")
    ]
    if len(chosen) != 1:
        raise MetadataError(
            f"ENA run {run} ({report_url}): {len(chosen)} FASTQ files for read {read} "
            f"(named *_{read}.fastq.gz), expected one; the run has {', '.join(names)}"
        )
    return chosen[0]
