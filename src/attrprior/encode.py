"""ENCODE portal client: metadata look-ups and verified, retried, atomic downloads.

The portal (https://www.encodeproject.org, or a :class:`attrprior.portal.MockPortal`) answers

- ``GET {base}/experiments/<ENCSR>/?format=json``: an experiment with its embedded ``files``
  and ``possible_controls``;
- ``GET {base}/files/<ENCFF or alias>/?format=json``: a file object (``md5sum``,
  ``file_size``, ``href``, ``status``, ``assembly``...);
- ``GET {base}{href}``: a redirect to the bytes.

Files are named by accession, or by an experiment and an output type: :func:`resolve_file`
takes the one file of that output type, :func:`replicate_files` one per biological replicate
(e.g. the "unfiltered alignments" BAMs), and :func:`download_experiment_files` downloads
either, taking the accessions pinned by the lock file of an earlier run when it has them.

Files outside ENCODE come by URL and a known MD5 (:meth:`PortalClient.download_url`), or from
a Zenodo record (:meth:`PortalClient.download_zenodo_file`): ``GET {zenodo}/api/records/<id>``
lists the record's files with their size, ``md5:``-prefixed checksum and download link
(:func:`zenodo_file`), and the file is then fetched and verified like any other. The FASTQ
of a sequencing run (``SRR``/``ERR``/``DRR``) comes from the European Nucleotide Archive
(:meth:`PortalClient.download_ena_fastq`): ``GET {ena}/filereport?accession=<run>&result=
read_run&fields=...&format=json`` gives the run's FASTQ paths (without a scheme), MD5s and
sizes as ``;``-separated lists (:func:`ena_run_files`), and the chosen file is fetched over
HTTPS and verified.

:class:`PortalClient` holds one ``requests`` session, a :class:`RateLimiter` (at most one request
per ``min_interval`` seconds, 0.1 s by default: 10 requests/s) and the retry policy; reuse one
client for many calls so that the rate limit spans them. :func:`client_from_config` builds
one from the workflow's ``encode`` config key.

Downloads are streamed into a temporary file beside the destination while their MD5 and size are
computed; the file is renamed into place only when both match. Connection errors, HTTP 5xx (and
408, 429), truncated bodies and MD5 mismatches are retried with exponential backoff
(``backoff * 2**k`` seconds before retry ``k + 1``); after the last try a :class:`DownloadError`
names the accession, the URL and the last problem. :func:`write_lock` records what was
downloaded in a TSV lock file (``accession, url, md5, size, path, experiment, output_type``;
the last two name what a file was resolved from, empty when it was named by accession).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, astuple, dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from attrprior.io import atomic_path, file_md5

__all__ = [
    "ENCODE_URL",
    "ZENODO_URL",
    "ENA_URL",
    "EXPERIMENT_PATTERN",
    "FILE_PATTERN",
    "RUN_PATTERN",
    "ALIAS_PATTERN",
    "DEFAULT_STATUSES",
    "LOCK_COLUMNS",
    "PortalError",
    "DownloadError",
    "MetadataError",
    "DownloadRecord",
    "RateLimiter",
    "PortalClient",
    "validate_accession",
    "validate_file_reference",
    "check_file_metadata",
    "select_files",
    "resolve_file",
    "replicate_files",
    "control_experiments",
    "first_control",
    "zenodo_file",
    "ena_run_files",
    "client_from_config",
    "download_experiment_files",
    "write_record",
    "write_records",
    "read_records",
    "write_lock",
    "read_lock",
]

ENCODE_URL = "https://www.encodeproject.org"
ZENODO_URL = "https://zenodo.org"
#: ENA's portal API (``filereport`` and ``search``).
ENA_URL = "https://www.ebi.ac.uk/ena/portal/api"
EXPERIMENT_PATTERN = re.compile(r"ENCSR\d{3}[A-Z]{3}")
FILE_PATTERN = re.compile(r"ENCFF\d{3}[A-Z]{3}")
#: Sequencing runs of the INSDC archives: SRA (``SRR``), ENA (``ERR``) and DDBJ (``DRR``).
RUN_PATTERN = re.compile(r"[SED]RR\d{6,}")
#: Aliases of reference files, e.g. ``GRCh38_no_alt_analysis_set_GCA_000001405.15``.
ALIAS_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: File statuses accepted by default; ``replaced``, ``revoked``, ``deleted``... are refused.
DEFAULT_STATUSES = ("released", "archived")
LOCK_COLUMNS = ("accession", "url", "md5", "size", "path", "experiment", "output_type")

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
_TRANSIENT_HTTP = frozenset({408, 429})
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
)
_USER_AGENT = "attrprior (reproduction workflow; python-requests)"

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_J = TypeVar("_J", dict, list)


class PortalError(RuntimeError):
    """A request to the portal (or another server) failed."""


class DownloadError(PortalError):
    """A download failed or could not be verified after every try."""


class MetadataError(ValueError):
    """Portal metadata is missing something or does not match what was asked for."""


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


# --------------------------------------------------------------------------- accessions


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


# --------------------------------------------------------------------------- metadata checks


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


# --------------------------------------------------------------------------- client


class RateLimiter:
    """Space calls at least ``min_interval`` seconds apart (thread-safe).

    Parameters
    ----------
    min_interval : float
        Minimum seconds between the starts of two calls (0.1: 10 per second).
    clock, sleep : callable
        Monotonic clock and sleep function (injectable for tests).
    """

    def __init__(
        self,
        min_interval: float = 0.1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if min_interval < 0:
            raise ValueError(f"min_interval must be >= 0, got {min_interval}")
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call is allowed, then reserve the slot after it."""
        with self._lock:
            now = self._clock()
            if self._next is not None and now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.min_interval


class _Transient(Exception):
    """A problem worth retrying (5xx, bad checksum, short body)."""


class _Fatal(Exception):
    """A problem not worth retrying (4xx, invalid JSON)."""


class PortalClient:
    """A polite client of the ENCODE portal: one session, one rate limiter, one retry policy.

    Parameters
    ----------
    base_url : str
        Portal URL without trailing slash, default :data:`ENCODE_URL`.
    retries : int
        Retries after a failed first try (``retries + 1`` tries in all).
    backoff : float
        Seconds before the first retry, doubled for each next one.
    timeout : float
        Connect and read timeout of each request, in seconds.
    chunk_size : int
        Bytes per read while streaming a download.
    min_interval : float
        Minimum seconds between two requests (0.1: at most 10 per second). Redirects followed
        inside one request are not counted.
    sleep : callable
        Sleep used between retries (inject a no-op in tests).
    session : requests.Session, optional
        Session to use (not closed by :meth:`close`); a new one by default.
    limiter : RateLimiter, optional
        Limiter to use instead of a new one built from ``min_interval`` (share one between
        clients, e.g. one per thread, to keep the whole process under the limit).

    Notes
    -----
    ``requests`` sessions are not guaranteed thread-safe: use one client per thread and give
    them one shared ``limiter`` (otherwise each client keeps its own limit).
    """

    def __init__(
        self,
        base_url: str = ENCODE_URL,
        *,
        retries: int = 5,
        backoff: float = 1.0,
        timeout: float = 60.0,
        chunk_size: int = 1 << 20,
        min_interval: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"portal URL {base_url!r} must start with http:// or https://")
        if retries < 0 or backoff < 0 or timeout <= 0 or chunk_size <= 0:
            raise ValueError(
                f"need retries >= 0, backoff >= 0, timeout > 0, chunk_size > 0; got {retries}, "
                f"{backoff}, {timeout}, {chunk_size}"
            )
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.chunk_size = chunk_size
        self._sleep = sleep
        self._limiter = limiter if limiter is not None else RateLimiter(min_interval)
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        if self._owns_session:
            self._session.headers["User-Agent"] = _USER_AGENT

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- metadata

    def fetch_json(self, url: str) -> dict[str, Any]:
        """GET ``url`` and return its JSON object, retrying transient failures.

        Raises
        ------
        PortalError
            Naming the URL: after the last try, on HTTP 4xx, or if the body is not a JSON object.
        """
        return self._fetch_json_as(url, dict)

    def fetch_json_list(self, url: str) -> list[Any]:
        """GET ``url`` and return its JSON list (e.g. an ENA filereport), as :meth:`fetch_json`.

        Raises
        ------
        PortalError
            Naming the URL: after the last try, on HTTP 4xx, or if the body is not a JSON list.
        """
        return self._fetch_json_as(url, list)

    def _fetch_json_as(self, url: str, expected: type[_J]) -> _J:
        """GET ``url`` and return its JSON value, which must be an ``expected``, with retries."""
        what = {dict: "a JSON object", list: "a JSON list"}[expected]

        def attempt() -> _J:
            with self._get(url, stream=False) as response:
                try:
                    value = response.json()
                except ValueError as err:
                    raise _Fatal(f"invalid JSON: {err}") from err
            if not isinstance(value, expected):
                raise _Fatal(f"expected {what}, got {type(value).__name__}")
            return value

        return self._retry(f"GET {url}", attempt, PortalError)

    def experiment(self, accession: str) -> dict[str, Any]:
        """The experiment object of ``accession`` (``ENCSR...``)."""
        validate_accession(accession, "experiment")
        url = f"{self.base_url}/experiments/{accession}/?format=json"
        value = self.fetch_json(url)
        if value.get("accession") != accession:
            raise PortalError(f"{accession}: {url} returned {value.get('accession')!r} instead")
        return value

    def file(self, reference: str) -> dict[str, Any]:
        """The file object of an ``ENCFF...`` accession or a reference-file alias."""
        validate_file_reference(reference)
        return self.fetch_json(f"{self.base_url}/files/{reference}/?format=json")

    # -- downloads

    def download_file(
        self,
        reference: str,
        dest: str | os.PathLike,
        *,
        assembly: str | None = None,
        allowed_status: Sequence[str] = DEFAULT_STATUSES,
        expected_md5: str | None = None,
        expected_by: str = "the caller",
    ) -> DownloadRecord:
        """Download an ENCODE file to ``dest``, verified against its md5sum and file_size.

        Parameters
        ----------
        reference : str
            ``ENCFF...`` accession or reference-file alias.
        dest : path-like
            Destination. If it exists with the right size and MD5 nothing is downloaded.
        assembly : str, optional
            Required assembly.
        allowed_status : sequence of str
            Accepted file statuses.
        expected_md5 : str, optional
            The md5sum the portal's metadata must still have (e.g. pinned in a lock file).
        expected_by : str
            Who expects it, for the error message (e.g. ``"lock file x.tsv"``).

        Returns
        -------
        DownloadRecord

        Raises
        ------
        ValueError
            If ``reference`` or ``expected_md5`` is malformed (nothing is requested).
        MetadataError
            If the metadata is refused, or its md5sum is not ``expected_md5`` (naming the
            reference, ``expected_by`` and both md5s); nothing is downloaded.
        PortalError
            If the metadata cannot be fetched.
        DownloadError
            If the bytes cannot be fetched and verified after every try; ``dest`` is untouched.
        """
        expected_md5 = _pinned_md5(expected_md5, reference)
        meta = self.file(reference)
        check_file_metadata(
            meta, accession=reference, assembly=assembly, allowed_status=allowed_status
        )
        _check_pinned_md5(
            meta["md5sum"].lower(),
            expected_md5,
            reference,
            "md5sum on the portal",
            "the file",
            pinned_by=f"{expected_by} has",
        )
        label = str(meta.get("accession") or reference)
        url = urljoin(self.base_url + "/", meta["href"])
        return self._fetch_verified(
            url, Path(dest), md5=meta["md5sum"].lower(), size=meta["file_size"], label=label
        )

    def download_url(
        self,
        url: str,
        dest: str | os.PathLike,
        *,
        md5: str,
        size: int | None = None,
        accession: str | None = None,
    ) -> DownloadRecord:
        """Download any URL (GEO, Zenodo...) to ``dest``, verified against a known MD5.

        Parameters
        ----------
        url : str
            http(s) URL; redirects are followed.
        dest : path-like
            Destination. If it exists with the right MD5 (and size) nothing is downloaded.
        md5 : str
            Expected MD5 (32 hex digits), e.g. from the configuration.
        size : int, optional
            Expected size in bytes.
        accession : str, optional
            Label for messages and the lock file; default: the URL's last path component.

        Returns
        -------
        DownloadRecord

        Raises
        ------
        ValueError
            If the URL or the MD5 is malformed.
        DownloadError
            If the bytes cannot be fetched and verified after every try; ``dest`` is untouched.
        """
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"download URL {url!r} must start with http:// or https://")
        if not isinstance(md5, str) or not _MD5.fullmatch(md5.lower()):
            raise ValueError(f"expected md5 for {url} is {md5!r}, not 32 hex digits")
        label = accession or urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or url
        return self._fetch_verified(url, Path(dest), md5=md5.lower(), size=size, label=label)

    def download_zenodo_file(
        self,
        record: int,
        key: str,
        dest: str | os.PathLike,
        *,
        base_url: str = ZENODO_URL,
        expected_md5: str | None = None,
        label: str | None = None,
    ) -> DownloadRecord:
        """Download file ``key`` of Zenodo record ``record``, verified by the record's MD5.

        Parameters
        ----------
        record : int
            Zenodo record number, e.g. 3371216.
        key : str
            The file's name in the record, e.g. ``data.tar.gz``.
        dest : path-like
            Destination. If it exists with the record's MD5 and size nothing is downloaded
            (with ``expected_md5``, a file with that MD5 is taken without asking Zenodo).
        base_url : str
            Zenodo, or a stand-in serving the same API.
        expected_md5 : str, optional
            MD5 pinned in the configuration: the record's checksum must equal it.
        label : str, optional
            Name for messages and the lock file; default ``zenodo:<record>/<key>``.

        Returns
        -------
        DownloadRecord

        Raises
        ------
        MetadataError
            If the record has no file ``key``, its entry lacks size, checksum or link, or its
            MD5 differs from ``expected_md5``.
        PortalError
            If the record cannot be read (after every try).
        DownloadError
            If the bytes cannot be fetched and verified after every try; ``dest`` is untouched.
        """
        label = label or f"zenodo:{record}/{key}"
        dest = Path(dest)
        record_url = f"{base_url.rstrip('/')}/api/records/{int(record)}"
        expected_md5 = _pinned_md5(expected_md5, label)
        present = _present_with_pinned_md5(dest, expected_md5, label, record_url)
        if present is not None:
            return present
        url, md5, size = zenodo_file(self.fetch_json(record_url), key, record_url=record_url)
        _check_pinned_md5(md5, expected_md5, label, f"md5 on Zenodo ({record_url})", "the record")
        return self._fetch_verified(url, dest, md5=md5, size=size, label=label)

    def download_ena_fastq(
        self,
        run: str,
        dest: str | os.PathLike,
        *,
        read: int | None = None,
        base_url: str = ENA_URL,
        file_scheme: str = "https",
        expected_md5: str | None = None,
        label: str | None = None,
    ) -> DownloadRecord:
        """Download a FASTQ file of a sequencing run from ENA, verified by ENA's MD5 and size.

        Parameters
        ----------
        run : str
            Run accession of SRA, ENA or DDBJ, e.g. ``"SRR1565781"`` (ENA mirrors all three).
        dest : path-like
            Destination. If it exists with ENA's MD5 and size nothing is downloaded (with
            ``expected_md5``, a file with that MD5 is taken without asking ENA).
        read : int, optional
            For a paired run, which mate: the file whose name ends ``_<read>.fastq.gz``.
            Omitted, the run must have exactly one FASTQ file (single-end).
        base_url : str
            ENA's portal API, or a stand-in serving its ``filereport``.
        file_scheme : str
            ``"https"`` or ``"http"``: the scheme put before ENA's FASTQ paths, which come
            without one (``ftp.sra.ebi.ac.uk/vol1/fastq/...``, served over FTP and HTTPS).
        expected_md5 : str, optional
            MD5 pinned in the configuration: ENA's MD5 of the file must equal it.
        label : str, optional
            Name for messages and the lock file; default ``ena:<run>``, or
            ``ena:<run>/<run>_<read>.fastq.gz`` with ``read`` (ENA's name of that mate).

        Returns
        -------
        DownloadRecord

        Raises
        ------
        ValueError
            If ``run``, ``read``, ``file_scheme`` or ``expected_md5`` is malformed (nothing is
            requested).
        MetadataError
            As :func:`ena_run_files`; if the run has several FASTQ files and ``read`` is
            omitted, or none for ``read`` (naming the run's files); or if ENA's MD5 differs
            from ``expected_md5`` (naming both; nothing is downloaded).
        PortalError
            If the report cannot be read (after every try).
        DownloadError
            If the bytes cannot be fetched and verified after every try; ``dest`` is untouched.
        """
        validate_accession(run, "run")
        if read is not None and (isinstance(read, bool) or not isinstance(read, int) or read < 1):
            raise ValueError(f"{run}: read must be a mate number (1 or 2), not {read!r}")
        if file_scheme not in ("http", "https"):
            raise ValueError(f"{run}: file_scheme must be 'http' or 'https', not {file_scheme!r}")
        if label is None:
            label = f"ena:{run}" if read is None else f"ena:{run}/{run}_{read}.fastq.gz"
        dest = Path(dest)
        report_url = (
            f"{base_url.rstrip('/')}/filereport?accession={run}&result=read_run"
            f"&fields={','.join(_ENA_FIELDS)}&format=json"
        )
        expected_md5 = _pinned_md5(expected_md5, label)
        present = _present_with_pinned_md5(dest, expected_md5, label, report_url)
        if present is not None:
            return present
        files = ena_run_files(self.fetch_json_list(report_url), run, report_url=report_url)
        path, md5, size = _pick_fastq(files, run, read, report_url)
        _check_pinned_md5(
            md5, expected_md5, label, f"md5 of {path} on ENA ({report_url})", "the run"
        )
        url = path if "://" in path else f"{file_scheme}://{path}"
        return self._fetch_verified(url, dest, md5=md5, size=size, label=label)

    # -- shared machinery

    def _fetch_verified(
        self, url: str, dest: Path, *, md5: str, size: int | None, label: str
    ) -> DownloadRecord:
        """Stream ``url`` into ``dest`` atomically, checking MD5 and size, with retries."""
        if _file_matches(dest, md5, size):
            _log.info("%s: %s already present and verified", label, dest)
            return DownloadRecord(label, url, md5, dest.stat().st_size, str(dest))

        def attempt() -> DownloadRecord:
            with atomic_path(dest) as tmp:
                got_md5, got_size = self._stream_to(url, tmp)
                if size is not None and got_size != size:
                    raise _Transient(f"size mismatch: expected {size} bytes, got {got_size}")
                if got_md5 != md5:
                    raise _Transient(f"md5 mismatch: expected {md5}, got {got_md5}")
            return DownloadRecord(label, url, got_md5, got_size, str(dest))

        return self._retry(f"{label}: download of {url}", attempt, DownloadError)

    def _stream_to(self, url: str, tmp: Path) -> tuple[str, int]:
        """Write the body of ``url`` to ``tmp`` undecoded; return its MD5 and size."""
        digest = hashlib.md5()
        size = 0
        headers = {"Accept-Encoding": "identity"}
        with self._get(url, stream=True, headers=headers) as response, tmp.open("wb") as out:
            for chunk in response.raw.stream(self.chunk_size, decode_content=False):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def _get(
        self, url: str, *, stream: bool, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        """One rate-limited GET; HTTP errors become :class:`_Transient` or :class:`_Fatal`."""
        self._limiter.wait()
        response = self._session.get(
            url, stream=stream, timeout=self.timeout, headers=dict(headers or {})
        )
        code = response.status_code
        if code >= 400:
            problem = f"HTTP {code} {response.reason} from {response.url}"
            response.close()
            if code >= 500 or code in _TRANSIENT_HTTP:
                raise _Transient(problem)
            raise _Fatal(problem)
        return response

    def _retry(self, what: str, attempt: Callable[[], _T], error: type[PortalError]) -> _T:
        """Call ``attempt`` up to ``retries + 1`` times; raise ``error`` naming ``what``."""
        tries = self.retries + 1
        last = ""
        for index in range(tries):
            if index:
                delay = self.backoff * 2 ** (index - 1)
                _log.warning(
                    "%s: try %d/%d failed (%s); retrying in %.3g s", what, index, tries, last, delay
                )
                self._sleep(delay)
            try:
                return attempt()
            except _Fatal as err:
                raise error(f"{what} failed: {err}") from None
            except _Transient as err:
                last = str(err)
            except _TRANSIENT_ERRORS as err:
                last = f"{type(err).__name__}: {err}"
            except requests.RequestException as err:
                raise error(f"{what} failed: {type(err).__name__}: {err}") from err
        raise error(f"{what} failed after {tries} tries; last problem: {last}")


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
        (:func:`attrprior.chroms.rename_chroms`). Replaced atomically.
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
    from attrprior.chroms import rename_chroms, sequence_names  # only local files need them

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


# --------------------------------------------------------------------------- one-call wrappers


def client_from_config(settings: Mapping[str, Any] | None = None) -> PortalClient:
    """A :class:`PortalClient` set up from the workflow's config key ``encode``.

    Parameters
    ----------
    settings : mapping, optional
        ``base_url`` (default :data:`ENCODE_URL`), ``retries`` (5), ``backoff`` (2.0 s) and
        ``timeout`` (120 s), as documented in config/README.md.
    """
    settings = settings or {}
    return PortalClient(
        settings.get("base_url", ENCODE_URL),
        retries=settings.get("retries", 5),
        backoff=settings.get("backoff", 2.0),
        timeout=settings.get("timeout", 120.0),
    )


# --------------------------------------------------------------------------- lock file


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


# --------------------------------------------------------------------------- by output type


def download_experiment_files(
    client: PortalClient,
    experiment: str,
    output_type: str,
    assembly: str,
    file_format: str,
    destination: Callable[[str], str | os.PathLike],
    *,
    per_replicate: bool,
    lock: str | os.PathLike | None = None,
) -> list[DownloadRecord]:
    """Download the files of an experiment named by output type, verified.

    Without ``lock`` (or when the lock records no file of ``experiment`` and
    ``output_type``: a warning is logged) the experiment's JSON is read and the files chosen
    by :func:`replicate_files` or :func:`resolve_file`. With a lock that records such files,
    those accessions are taken as they are, and the portal's md5sum of each must still be
    the one the lock records.

    Parameters
    ----------
    client : PortalClient
    experiment : str
        ``ENCSR...`` accession.
    output_type, assembly, file_format : str
        As in :func:`select_files` (e.g. ``"unfiltered alignments"``, ``"GRCh38"``,
        ``"bam"``).
    destination : callable
        File accession -> where to write that file.
    per_replicate : bool
        One file per biological replicate (:func:`replicate_files`), or the one file of the
        output type (:func:`resolve_file`).
    lock : path-like, optional
        A lock file of an earlier run (:func:`write_lock`).

    Returns
    -------
    list of DownloadRecord
        One per file, by replicate (in the lock's order when pinned by it), with
        ``experiment`` and ``output_type`` filled in.

    Raises
    ------
    MetadataError
        As :func:`replicate_files` or :func:`resolve_file`; if the lock pins several files
        where one is wanted; or if a pinned file's md5sum changed on the portal (naming the
        accession, the lock file and both md5s).
    ValueError, PortalError, DownloadError
        As :meth:`PortalClient.download_file`, or if the lock file is malformed.
    """
    validate_accession(experiment, "experiment")
    what = f"{experiment} {output_type!r} ({assembly})"
    pins = {} if lock is None else _lock_pins(lock, experiment, output_type)
    if pins:
        if not per_replicate and len(pins) > 1:
            raise MetadataError(
                f"lock file {lock}: {len(pins)} files pinned for {what} "
                f"({', '.join(pins)}), expected one"
            )
        accessions = list(pins)
        _log.info("%s: %s, pinned by lock file %s", what, ", ".join(accessions), lock)
    else:
        if lock is not None:
            _log.warning("%s: not in lock file %s; resolved from the experiment's JSON", what, lock)
        meta = client.experiment(experiment)
        if per_replicate:
            files = replicate_files(meta, output_type, assembly, file_format)
            accessions = [validate_accession(str(f.get("accession")), "file") for f in files]
        else:
            accessions = [resolve_file(meta, output_type, assembly, file_format)]
        _log.info("%s resolved to %s", what, ", ".join(accessions))
    records = []
    for accession in accessions:
        record = client.download_file(
            accession,
            destination(accession),
            assembly=assembly,
            expected_md5=pins.get(accession),
            expected_by=f"lock file {lock}",
        )
        records.append(replace(record, experiment=experiment, output_type=output_type))
    return records


def _lock_pins(lock: str | os.PathLike, experiment: str, output_type: str) -> dict[str, str]:
    """Accession -> md5 of the files a lock file records as resolved from ``experiment`` and
    ``output_type``; an error naming the lock if one accession has two md5s."""
    pins: dict[str, str] = {}
    for record in read_lock(lock):
        if (record.experiment, record.output_type) != (experiment, output_type):
            continue
        if pins.setdefault(record.accession, record.md5) != record.md5:
            raise MetadataError(
                f"lock file {lock}: {record.accession} has two md5s, "
                f"{pins[record.accession]} and {record.md5}"
            )
    return pins
