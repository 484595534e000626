"""ENCODE portal client: metadata look-ups and verified, retried, atomic downloads.

The portal (https://www.encodeproject.org, or a :class:`attrprior.sim.portal.MockPortal`) answers

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

The checks of the portals' metadata are in :mod:`attrprior.genomics.encode_metadata`;
download records, the lock file and pinned local files in :mod:`attrprior.genomics.downloads`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from attrprior.genomics.downloads import (
    DownloadRecord,
    _check_pinned_md5,
    _file_matches,
    _pinned_md5,
    _present_with_pinned_md5,
    read_lock,
)
from attrprior.genomics.encode_metadata import (
    _ENA_FIELDS,
    _MD5,
    DEFAULT_STATUSES,
    MetadataError,
    _pick_fastq,
    check_file_metadata,
    ena_run_files,
    replicate_files,
    resolve_file,
    validate_accession,
    validate_file_reference,
    zenodo_file,
)
from attrprior.io import atomic_path

ENCODE_URL = "https://www.encodeproject.org"


ZENODO_URL = "https://zenodo.org"


#: ENA's portal API (``filereport`` and ``search``).
ENA_URL = "https://www.ebi.ac.uk/ena/portal/api"


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
