"""What the local stand-in portal serves, laid out on disk under its root: ENCODE
experiments and files (JSON objects and their bytes), Zenodo records, GitHub files and ENA
runs. The simulated genome and the tests write a root with these functions;
:class:`attrprior.sim.portal.MockPortal` serves it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from attrprior.io import atomic_path, write_text

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _safe(name: str, what: str) -> str:
    """Return ``name`` if it is a safe single path component, else raise ``ValueError``."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
        raise ValueError(
            f"invalid {what} {name!r}: expected letters, digits, '_', '.', '-' "
            "(not starting with '.', '_' or '-')"
        )
    return name


def experiment_json_path(root: str | Path, accession: str) -> Path:
    """Path of the JSON body of ``/experiments/<accession>/?format=json`` in a portal root."""
    return Path(root) / "experiments" / f"{_safe(accession, 'experiment accession')}.json"


def file_json_path(root: str | Path, reference: str) -> Path:
    """Path of the JSON body of ``/files/<reference>/?format=json`` (accession or alias)."""
    return Path(root) / "files" / f"{_safe(reference, 'file reference')}.json"


def blob_path(root: str | Path, reference: str, name: str) -> Path:
    """Path of the bytes of ``/files/<reference>/@@download/<name>`` in a portal root."""
    return Path(root) / "files" / _safe(reference, "file reference") / _safe(name, "file name")


def _write_json(obj: Mapping[str, Any], path: Path) -> None:
    write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n", path)


def add_file(
    root: str | Path,
    accession: str,
    name: str,
    data: bytes,
    *,
    aliases: Iterable[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    """Write one file object and its bytes into a portal root.

    Parameters
    ----------
    root : path-like
        Portal root.
    accession : str
        File accession (``ENCFF...``); the bytes go to ``files/<accession>/<name>``.
    name : str
        Download name, e.g. ``"ENCFF000AAA.bed.gz"``.
    data : bytes
        File content; ``md5sum`` and ``file_size`` are computed from it.
    aliases : iterable of str
        Other names the same JSON is served under (e.g. a genome's alias).
    **fields
        Further file-object keys (``file_format``, ``output_type``, ``assembly``,
        ``biological_replicates``, ``dataset``...); they override the defaults
        (``status="released"`` and the computed ``md5sum``, ``file_size``, ``href``).

    Returns
    -------
    dict
        The file object written.
    """
    meta: dict[str, Any] = {
        "@id": f"/files/{accession}/",
        "accession": accession,
        "status": "released",
        "md5sum": hashlib.md5(data).hexdigest(),
        "file_size": len(data),
        "href": f"/files/{accession}/@@download/{name}",
    }
    meta.update(fields)
    with atomic_path(blob_path(root, accession, name)) as tmp:
        tmp.write_bytes(data)
    for reference in (accession, *aliases):
        _write_json(meta, file_json_path(root, reference))
    return meta


def add_experiment(root: str | Path, experiment: Mapping[str, Any]) -> Path:
    """Write an experiment object (it must have an ``accession``) into a portal root."""
    if "accession" not in experiment:
        raise ValueError(f"experiment object for portal root {root} has no 'accession' key")
    path = experiment_json_path(root, experiment["accession"])
    _write_json(experiment, path)
    return path


def _record_number(record: int, root: str | Path) -> str:
    """A Zenodo record number as its digits; ``ValueError`` naming the root if it is not one."""
    if isinstance(record, bool) or not isinstance(record, int) or record < 0:
        raise ValueError(
            f"portal root {root}: invalid Zenodo record {record!r}: expected an int >= 0"
        )
    return str(record)


def zenodo_record_path(root: str | Path, record: int) -> Path:
    """Path of the JSON body of ``/api/records/<record>`` in a portal root."""
    return Path(root) / "zenodo" / "records" / f"{_record_number(record, root)}.json"


def zenodo_file_path(root: str | Path, record: int, key: str) -> Path:
    """Path of the bytes of ``/api/records/<record>/files/<key>/content`` in a portal root."""
    number = _record_number(record, root)
    return Path(root) / "zenodo" / "files" / number / _safe_in(root, key, "Zenodo file key")


def add_zenodo_file(
    root: str | Path, record: int, key: str, data: bytes, *, title: str | None = None
) -> Path:
    """Write one file of a Zenodo record into a portal root and list it in the record JSON.

    Parameters
    ----------
    root : path-like
        Portal root.
    record : int
        Record number; the record JSON is created if missing.
    key : str
        File name in the record (a safe name, see the module docstring); a key added before
        is replaced (bytes and entry).
    data : bytes
        File content; ``size`` and ``checksum`` (``"md5:<hex>"``) are computed from it.
    title : str, optional
        Record title (``metadata.title``); default: the existing title, else
        ``"record <record>"``.

    Returns
    -------
    pathlib.Path
        The record JSON (``<root>/zenodo/records/<record>.json``), whose ``files`` are sorted by
        key. The same calls give byte-identical files (sorted keys, no timestamps).
    """
    record_path = zenodo_record_path(root, record)
    with atomic_path(zenodo_file_path(root, record, key)) as tmp:
        tmp.write_bytes(data)
    meta = _read_record(record_path)
    files = {entry["key"]: entry for entry in meta.get("files", [])}
    files[key] = {
        # Zenodo's file ids are opaque; derive one from the record and key so reruns agree.
        "id": hashlib.md5(f"{record}/{key}".encode()).hexdigest(),
        "key": key,
        "size": len(data),
        "checksum": f"md5:{hashlib.md5(data).hexdigest()}",
        "links": {"self": f"/api/records/{record}/files/{key}/content"},
    }
    old_title = meta.get("metadata", {}).get("title")
    meta = {
        "id": record,
        "doi": f"10.5281/zenodo.{record}",
        "metadata": {"title": title or old_title or f"record {record}"},
        "files": [files[k] for k in sorted(files)],
    }
    _write_json(meta, record_path)
    return record_path


def add_github_file(root: str | Path, repository: str, commit: str, path: str, data: bytes) -> Path:
    """Write one file of a GitHub repository at a commit into a portal root, where the
    ``/github/...`` route serves it (``<repository>/<commit>/<path>``, safe names only).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    parts = [*repository.split("/"), commit, *path.split("/")]
    for part in parts:
        _safe(part, "repository path component")
    target = Path(root, "github", *parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def ena_run_path(root: str | Path, run: str) -> Path:
    """Path of the report row of run ``run`` (served by ``/ena/portal/api/filereport``)."""
    return Path(root) / "ena" / "runs" / f"{_safe_in(root, run, 'ENA run accession')}.json"


def ena_fastq_path(root: str | Path, run: str, name: str) -> Path:
    """Path of the bytes of ``/ena/fastq/<run>/<name>`` in a portal root."""
    run = _safe_in(root, run, "ENA run accession")
    return Path(root) / "ena" / "fastq" / run / _safe_in(root, name, "ENA file name")


def _safe_in(root: str | Path, name: str, what: str) -> str:
    """:func:`_safe` with the portal root named in the error."""
    try:
        return _safe(name, what)
    except ValueError as error:
        raise ValueError(f"portal root {root}: {error}") from None


def add_ena_run(root: str | Path, run: str, files: Mapping[str, bytes]) -> Path:
    """Write the FASTQ files of a sequencing run and its ENA report row into a portal root.

    Parameters
    ----------
    root : path-like
        Portal root.
    run : str
        Run accession, e.g. ``"SRR1565781"`` (a safe name, see the module docstring).
    files : mapping of str to bytes
        File name (e.g. ``"SRR1565781.fastq.gz"``, or ``"<run>_1.fastq.gz"`` and
        ``"<run>_2.fastq.gz"`` for a paired run) -> content. The report lists the files in
        this order, as ENA lists them; md5 and size are computed from the bytes. May be empty
        (a run without FASTQ files).

    Returns
    -------
    pathlib.Path
        The report row (``<root>/ena/runs/<run>.json``)::

            {"run_accession": "SRR1565781",
             "files": [{"path": "ena/fastq/SRR1565781/SRR1565781.fastq.gz",
                        "md5": "<32 hex>", "size": 1234}]}

        A run added before is replaced (its row, and the bytes of the files named again).
        The same calls give byte-identical files.
    """
    row_path = ena_run_path(root, run)
    entries = []
    for name, data in files.items():
        with atomic_path(ena_fastq_path(root, run, name)) as tmp:
            tmp.write_bytes(data)
        entries.append(
            {
                "path": f"ena/fastq/{run}/{name}",
                "md5": hashlib.md5(data).hexdigest(),
                "size": len(data),
            }
        )
    _write_json({"run_accession": run, "files": entries}, row_path)
    return row_path


def _read_record(path: Path) -> dict[str, Any]:
    """The record JSON at ``path``, or ``{}`` if there is none yet; errors name the file."""
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path}: not a valid Zenodo record JSON: {error}") from error
    if not isinstance(meta, dict) or not isinstance(meta.get("files", []), list):
        raise ValueError(f"{path}: not a valid Zenodo record JSON (expected a 'files' list)")
    return meta
