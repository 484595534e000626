"""What a download leaves behind: its record (source, md5, size), the lock file of a
dataset's records, and local files checked against a pinned md5.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, astuple, dataclass
from pathlib import Path

from attrprior.genomics.encode_metadata import _MD5, MetadataError
from attrprior.io import atomic_path, file_md5

_log = logging.getLogger(__name__)


LOCK_COLUMNS = ("accession", "url", "md5", "size", "path", "experiment", "output_type")


@dataclass(frozen=True)
class DownloadRecord:
    """One verified download: a row of the lock file.

    Attributes
    ----------
    accession : str
        ENCODE file accession (the file object's own, also when fetched by alias), or the
        label of a file from elsewhere (:meth:`PortalClient.download_url`,
        :meth:`~PortalClient.download_zenodo_file`, :meth:`~PortalClient.download_ena_fastq`).
    url : str
        URL requested (before redirects).
    md5 : str
        MD5 of the bytes at ``path``.
    size : int
        Size in bytes.
    path : str
        Where the file is.
    experiment : str
        The experiment (``ENCSR...``) whose JSON the file was resolved from, ``""`` when it
        was named by accession.
    output_type : str
        The output type it was resolved by, ``""`` when it was named by accession.
    """

    accession: str
    url: str
    md5: str
    size: int
    path: str
    experiment: str = ""
    output_type: str = ""


def _pinned_md5(expected_md5: str | None, label: str) -> str | None:
    """A pinned md5 (configuration, lock file), lower-cased, or a ValueError naming ``label``."""
    if expected_md5 is None:
        return None
    expected_md5 = expected_md5.lower()
    if not _MD5.fullmatch(expected_md5):
        raise ValueError(f"{label}: expected md5 {expected_md5!r} is not 32 hex digits")
    return expected_md5


def _present_with_pinned_md5(
    dest: Path, expected_md5: str | None, label: str, url: str
) -> DownloadRecord | None:
    """The record of ``dest`` if it already has the pinned md5 (then nothing is requested)."""
    if expected_md5 is None or not _file_matches(dest, expected_md5, None):
        return None
    _log.info("%s: %s already present and verified", label, dest)
    return DownloadRecord(label, url, expected_md5, dest.stat().st_size, str(dest))


def _check_pinned_md5(
    md5: str,
    expected_md5: str | None,
    label: str,
    what: str,
    source: str,
    *,
    pinned_by: str = "the configuration pins",
) -> None:
    """A MetadataError naming both md5s if the source's (``what``, e.g. "md5sum on the
    portal") differs from the pinned one; ``pinned_by`` says who pins it, with the verb
    (e.g. "lock file x.tsv has")."""
    if expected_md5 is not None and md5 != expected_md5:
        raise MetadataError(
            f"{label}: {what} is {md5}, but {pinned_by} {expected_md5}; "
            f"{source} changed, or the pinned md5 is wrong"
        )


def _file_matches(path: Path, md5: str, size: int | None) -> bool:
    """Whether ``path`` is a file with the given size (if known) and MD5."""
    if not path.is_file() or (size is not None and path.stat().st_size != size):
        return False
    return file_md5(path) == md5


def import_local_file(
    source: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    md5: str | None = None,
    label: str,
    chrom_aliases: Mapping[str, str] | None = None,
) -> DownloadRecord:
    """Bring a file of this machine into the workflow, as a download would be.

    Parameters
    ----------
    source : path-like
        The file (absolute path).
    dest : path-like
        Where the workflow expects it: a symbolic link to ``source``, or, when
        ``chrom_aliases`` renames any of its chromosomes, a renamed copy
        (:func:`attrprior.genomics.chroms.rename_chroms`). Replaced atomically.
    md5 : str, optional
        Expected MD5 of ``source``; checked when given.
    label : str
        The file's name in the config (``external.<label>``), for messages and the lock.
    chrom_aliases : mapping of str to str, optional
        Chromosome names to change (``{"22": "chr22"}``).

    Returns
    -------
    DownloadRecord
        ``accession`` the label, ``url`` ``file://`` and the source's path, ``md5`` and
        ``size`` of the source's bytes, ``path`` ``dest``.

    Raises
    ------
    FileNotFoundError
        If ``source`` is not a file.
    ValueError
        If the MD5 differs, naming the file, both MD5s and the config key.
    """
    from attrprior.genomics.chroms import (  # only local files need them
        rename_chroms,
        sequence_names,
    )

    # abspath, not resolve(): a link of the user's (latest.bam -> v2.bam) stays a link.
    source, dest = Path(os.path.abspath(source)), Path(dest)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: local file external.{label} not found")
    actual = file_md5(source)
    if md5 is not None and actual != md5.lower():
        raise ValueError(
            f"{source}: md5 {actual}, but config key external.{label}.md5 says {md5}: "
            "the file changed, or the md5 is wrong"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    aliases = chrom_aliases or {}
    if aliases and any(name in aliases for name in sequence_names(source)):
        with atomic_path(dest) as tmp:
            renamed = rename_chroms(source, tmp, aliases)
        _log.info("%s: %s, %d chromosome names mapped", label, source, renamed)
    else:
        link = dest.with_name(f".{dest.name}.link")
        link.unlink(missing_ok=True)
        link.symlink_to(source)
        os.replace(link, dest)
        _log.info("%s: %s, linked", label, source)
    return DownloadRecord(
        accession=label,
        url=source.as_uri(),
        md5=actual,
        size=source.stat().st_size,
        path=str(dest),
    )


def write_record(record: DownloadRecord, path: str | os.PathLike) -> None:
    """Write one download record as JSON, atomically (the per-file record of a download job)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(asdict(record), indent=1) + "\n")


def write_records(records: Iterable[DownloadRecord], path: str | os.PathLike) -> None:
    """Write the records of a multi-file download as a JSON list, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps([asdict(r) for r in records], indent=1) + "\n")


def read_records(path: str | os.PathLike) -> list[DownloadRecord]:
    """Read a record of :func:`write_record` (one file) or :func:`write_records` (a list).

    Records written before the ``experiment`` and ``output_type`` fields existed read with
    both empty.
    """
    value = json.loads(Path(path).read_text())
    return [DownloadRecord(**item) for item in (value if isinstance(value, list) else [value])]


def write_lock(records: Iterable[DownloadRecord], path: str | os.PathLike) -> None:
    """Write download records as a TSV lock file (:data:`LOCK_COLUMNS`), atomically.

    Raises
    ------
    ValueError
        If a field holds a tab or a newline (naming the record and the lock file).
    """
    lines = ["\t".join(LOCK_COLUMNS)]
    for record in records:
        fields = [str(value) for value in astuple(record)]
        if any(("\t" in field or "\n" in field) for field in fields):
            raise ValueError(f"lock file {path}: record {record} has a tab or newline in a field")
        lines.append("\t".join(fields))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def read_lock(path: str | os.PathLike) -> list[DownloadRecord]:
    """Read a lock file written by :func:`write_lock`.

    Raises
    ------
    ValueError
        Naming the file and line if the header or a row is malformed.
    """
    lines = Path(path).read_text().splitlines()
    if not lines or tuple(lines[0].split("\t")) != LOCK_COLUMNS:
        raise ValueError(
            f"lock file {path}: header must be {' '.join(LOCK_COLUMNS)} (tab-separated)"
        )
    records = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(LOCK_COLUMNS) or not fields[3].isdigit():
            raise ValueError(f"lock file {path}, line {number}: malformed row {line!r}")
        accession, url, md5, size, where, experiment, output_type = fields
        records.append(
            DownloadRecord(accession, url, md5, int(size), where, experiment, output_type)
        )
    return records
