"""A local HTTP server that behaves like the ENCODE portal, Zenodo and ENA, with switchable faults.

:class:`MockPortal` serves a *portal root*, a directory laid out as::

    <root>/experiments/<ENCSR>.json                      # /experiments/<ENCSR>/?format=json
    <root>/files/<accession-or-alias>.json               # /files/<acc>/?format=json
    <root>/files/<accession-or-alias>/<download name>    # /files/<acc>/@@download/<name>
    <root>/zenodo/records/<record>.json                  # /api/records/<record>
    <root>/zenodo/files/<record>/<key>                   # /api/records/<record>/files/<key>/content
    <root>/ena/runs/<run>.json                           # filereport?accession=<run> (below)
    <root>/ena/fastq/<run>/<name>                        # /ena/fastq/<run>/<name>
    <root>/github/<owner>/<repo>/<commit>/<path>         # /github/<owner>/<repo>/<commit>/<path>

Routes (GET only):

- ``/experiments/<ENCSR>/?format=json`` and ``/files/<ref>/?format=json``: the JSON file as is.
  Without ``format=json`` these answer 404 (the real portal would serve HTML).
- ``/files/<ref>/@@download/<name>``: ``307 Temporary Redirect`` to ``/_blobs/<ref>/<name>``,
  as the real portal redirects to its storage.
- ``/_blobs/<ref>/<name>``: the bytes, with a correct ``Content-Length``.
- ``/api/records/<record>`` (Zenodo's REST API; ``<record>`` digits only, a trailing slash
  allowed, query strings ignored): the record JSON as is.
- ``/api/records/<record>/files/<key>/content``: the bytes of file ``<key>`` of the record, with
  a correct ``Content-Length``.
- ``/ena/portal/api/filereport?accession=<run>&result=read_run&fields=<f1,f2...>&format=json``
  (ENA's portal API): a JSON list holding one object for a known run, ``[]`` for an unknown
  one (as ENA answers). The object's keys are ``run_accession`` and the requested ``fields``
  (default ``run_accession,fastq_ftp,fastq_md5,fastq_bytes``); ``fastq_ftp``, ``fastq_md5``
  and ``fastq_bytes`` are ``;``-joined strings in the order the files were added, the paths
  as ``<host:port>/ena/fastq/<run>/<name>`` *without a scheme* (the address taken from the
  request's ``Host`` header), as ENA gives ``ftp.sra.ebi.ac.uk/vol1/fastq/...``; other
  fields are ``""``. A missing ``accession``, or ``result`` other than ``read_run`` or
  ``format`` other than ``json``: 400 with a JSON error.
- ``/ena/fastq/<run>/<name>``: the bytes of a FASTQ file of the run, with a correct
  ``Content-Length`` (ENA's host serves the same paths over FTP and HTTPS).
- ``/github/<owner>/<repo>/<commit>/<path>``: the bytes of a repository file, as
  raw.githubusercontent.com serves them (config key ``github.raw_url``: ``<portal>/github``).
- Anything else, or a missing file: 404 with a JSON body like the portal's errors.

Path components must match ``[A-Za-z0-9][A-Za-z0-9_.-]*``; others answer 404, so nothing outside
the root can be read.

The ENCODE part of a root is written by :func:`add_file` and :func:`add_experiment`, the ENA
part by :func:`add_ena_run` (a report row per run, whose shape is private to this module), the
Zenodo part by :func:`add_zenodo_file`, which keeps each record JSON shaped like the real API's
(InvenioRDM)::

    {"id": 900001, "doi": "10.5281/zenodo.900001", "metadata": {"title": "..."},
     "files": [{"id": "<32 hex>", "key": "data.tar.gz", "size": 1234, "checksum": "md5:<32 hex>",
                "links": {"self": "/api/records/900001/files/data.tar.gz/content"}}]}

The real API gives an absolute ``links.self``; a client resolves the link with ``urljoin``
against the record's URL, so the root-relative link here works whatever port the mock listens
on (unknown when the files are written).

Faults
------
Two queues of fault names, one consumed per blob request (``/_blobs/...``, Zenodo's
``.../content`` and ENA's ``/ena/fastq/...``) and one per JSON request (``?format=json``
routes, Zenodo's ``/api/records/<record>`` and ENA's ``filereport``); the redirect route never
faults, nor does a filereport query answered 400. A fault is taken from the front of its
queue when a request arrives, before the file is looked up:

- ``"500"``: answer ``500 Internal Server Error`` (JSON body, connection kept).
- ``"drop"``: close the connection without sending anything.
- ``"truncate"``: send the full ``Content-Length`` header but only the first half of the body,
  then close the connection.
- ``"bad_md5"`` (blob queue only): serve the full length with the middle byte altered (an empty
  file is served unchanged).

With ``repeat=True`` a consumed fault is put back at the end of its queue, so the queue cycles
forever: ``portal.set_faults(blob=["bad_md5"], repeat=True)`` makes every download corrupt, for
"fails after all retries" tests. ``portal.set_faults()`` clears both queues.

Example
-------
>>> with MockPortal(root, faults=["500", "truncate"]) as portal:  # doctest: +SKIP
...     requests.get(f"{portal.url}/files/ENCFF000AAA/?format=json").json()
...     portal.requests          # paths requested so far, in arrival order

Command line: ``python -m attrprior.sim.portal --root DIR [--port N] [--port-file PATH]`` serves
until
it receives SIGTERM or SIGINT; once listening it prints the URL and writes it to ``--port-file``
(atomically), and removes that file when it stops.

The root's layout, and the functions that write it, are :mod:`attrprior.sim.portal_files`.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import signal
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

from attrprior.io import write_text
from attrprior.sim.portal_files import _SAFE_NAME

#: Fault names accepted in the blob queue.
BLOB_FAULTS = frozenset({"500", "drop", "truncate", "bad_md5"})


#: Fault names accepted in the JSON queue.
JSON_FAULTS = frozenset({"500", "drop", "truncate"})


_EXPERIMENT_ROUTE = re.compile(r"/experiments/(?P<ref>[^/]+)/?")


_FILE_ROUTE = re.compile(r"/files/(?P<ref>[^/]+)/?")


_DOWNLOAD_ROUTE = re.compile(r"/files/(?P<ref>[^/]+)/@@download/(?P<name>[^/]+)")


_BLOB_ROUTE = re.compile(r"/_blobs/(?P<ref>[^/]+)/(?P<name>[^/]+)")


_ZENODO_RECORD_ROUTE = re.compile(r"/api/records/(?P<record>[0-9]+)/?")


_ZENODO_CONTENT_ROUTE = re.compile(r"/api/records/(?P<record>[0-9]+)/files/(?P<key>[^/]+)/content")


_ENA_REPORT_ROUTE = "/ena/portal/api/filereport"


_ENA_FASTQ_ROUTE = re.compile(r"/ena/fastq/(?P<run>[^/]+)/(?P<name>[^/]+)")


_GITHUB_ROUTE = re.compile(r"/github/(?P<path>[^?]+)")


#: Fields of an ENA filereport answered when the query names none.
_ENA_DEFAULT_FIELDS = ("run_accession", "fastq_ftp", "fastq_md5", "fastq_bytes")


_CHUNK = 1 << 16


_ERROR_TITLES = {
    400: ("Bad Request", "HTTPBadRequest"),
    404: ("Not Found", "HTTPNotFound"),
    500: ("Internal Server Error", "HTTPInternalServerError"),
}


_POLL_INTERVAL = 0.05  # seconds; bounds how long stop() waits for the serving loop


_log = logging.getLogger(__name__)


class _PortalState:
    """What the request handlers share: the root, the request log and the fault queues."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._requests: list[str] = []
        self._blob: deque[str] = deque()
        self._json: deque[str] = deque()
        self._repeat = False

    def record(self, path: str) -> None:
        with self._lock:
            self._requests.append(path)

    def requests(self) -> list[str]:
        with self._lock:
            return list(self._requests)

    def set_faults(self, blob: Sequence[str], json_: Sequence[str], repeat: bool) -> None:
        _check_faults(blob, BLOB_FAULTS, "blob")
        _check_faults(json_, JSON_FAULTS, "JSON")
        with self._lock:
            self._blob = deque(blob)
            self._json = deque(json_)
            self._repeat = repeat

    def next_fault(self, kind: str) -> str | None:
        with self._lock:
            queue = self._blob if kind == "blob" else self._json
            if not queue:
                return None
            fault = queue.popleft()
            if self._repeat:
                queue.append(fault)
            return fault


def _check_faults(faults: Sequence[str], allowed: frozenset[str], kind: str) -> None:
    if isinstance(faults, str):
        raise TypeError(f"{kind} faults must be a list of fault names, not the string {faults!r}")
    unknown = [fault for fault in faults if fault not in allowed]
    if unknown:
        raise ValueError(f"unknown {kind} fault(s) {unknown}; expected some of {sorted(allowed)}")


class _PortalServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the portal state and logs errors quietly."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _PortalState) -> None:
        self.state = state
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log.debug("mock portal: error while serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """Routes of the mock portal (see the module docstring)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms stalls
    server: _PortalServer

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("mock portal: " + format, *args)

    def do_GET(self) -> None:
        state = self.server.state
        state.record(self.path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        wants_json = query.get("format") == ["json"]
        if match := _BLOB_ROUTE.fullmatch(parts.path):
            self._blob(state, match["ref"], match["name"])
        elif match := _DOWNLOAD_ROUTE.fullmatch(parts.path):
            self._redirect(state, match["ref"], match["name"])
        elif match := _EXPERIMENT_ROUTE.fullmatch(parts.path):
            self._json(state, "experiments", match["ref"], wants_json)
        elif match := _FILE_ROUTE.fullmatch(parts.path):
            self._json(state, "files", match["ref"], wants_json)
        elif match := _ZENODO_CONTENT_ROUTE.fullmatch(parts.path):
            self._zenodo_content(state, match["record"], match["key"])
        elif match := _ZENODO_RECORD_ROUTE.fullmatch(parts.path):
            self._zenodo_record(state, match["record"])
        elif parts.path.rstrip("/") == _ENA_REPORT_ROUTE:
            self._ena_report(state, query)
        elif match := _ENA_FASTQ_ROUTE.fullmatch(parts.path):
            self._ena_fastq(state, match["run"], match["name"])
        elif match := _GITHUB_ROUTE.fullmatch(parts.path):
            path = tuple(match["path"].split("/"))
            self._serve(state, "blob", ("github", *path), f"no repository file {match['path']!r}")
        else:
            self._error(404, f"no route for {parts.path}")

    # -- routes

    def _json(self, state: _PortalState, collection: str, ref: str, wants_json: bool) -> None:
        if not wants_json:
            self._error(404, f"this mock portal serves JSON only: add ?format=json to {self.path}")
            return
        self._serve(
            state, "json", (collection, f"{ref}.json"), f"{collection[:-1]} {ref!r} not found"
        )

    def _redirect(self, state: _PortalState, ref: str, name: str) -> None:
        if _lookup(state.root, "files", ref, name) is None:
            self._error(404, f"no download {name!r} for file {ref!r}")
            return
        self.send_response(307)
        self.send_header("Location", f"/_blobs/{ref}/{name}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _blob(self, state: _PortalState, ref: str, name: str) -> None:
        self._serve(state, "blob", ("files", ref, name), f"no blob {name!r} for file {ref!r}")

    def _zenodo_record(self, state: _PortalState, record: str) -> None:
        parts = ("zenodo", "records", f"{record}.json")
        self._serve(state, "json", parts, f"Zenodo record {record} not found")

    def _zenodo_content(self, state: _PortalState, record: str, key: str) -> None:
        parts = ("zenodo", "files", record, key)
        self._serve(state, "blob", parts, f"no file {key!r} in Zenodo record {record}")

    def _ena_report(self, state: _PortalState, query: Mapping[str, list[str]]) -> None:
        problem = _ena_query_problem(query)
        if problem:
            self._error(400, f"{problem} in {self.path}")
            return
        fault = state.next_fault("json")
        if self._answered_by_fault(fault):
            return
        run = query["accession"][0]
        row_path = _lookup(state.root, "ena", "runs", f"{run}.json")
        rows = []
        if row_path is not None:
            fields = _ena_fields(query)
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            rows.append(_ena_report_row(json.loads(row_path.read_text()), fields, host))
        self._send_bytes(json.dumps(rows).encode(), "application/json", fault)

    def _ena_fastq(self, state: _PortalState, run: str, name: str) -> None:
        parts = ("ena", "fastq", run, name)
        self._serve(state, "blob", parts, f"no FASTQ file {name!r} for ENA run {run!r}")

    def _serve(self, state: _PortalState, queue: str, parts: tuple[str, ...], missing: str) -> None:
        """A file of the root (JSON for the "json" fault queue, bytes for "blob"), after the
        queue's next fault; 404 with ``missing`` if it is not there."""
        fault = state.next_fault(queue)
        if self._answered_by_fault(fault):
            return
        path = _lookup(state.root, *parts)
        if path is None:
            self._error(404, missing)
            return
        content_type = "application/json" if queue == "json" else "application/octet-stream"
        self._send_file(path, content_type, fault)

    # -- responses

    def _answered_by_fault(self, fault: str | None) -> bool:
        """Answer with a dropped connection or a 500 if that is the fault; say whether."""
        if fault == "drop":
            self._drop()
        elif fault == "500":
            self._error(500, f"injected fault 500 for {self.path}")
        return fault in ("drop", "500")

    def _drop(self) -> None:
        self.close_connection = True

    def _error(self, code: int, description: str) -> None:
        title, kind = _ERROR_TITLES[code]
        body = json.dumps(
            {
                "@type": [kind, "Error"],
                "status": "error",
                "code": code,
                "title": title,
                "description": description,
            }
        ).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_file(self, path: Path, content_type: str, fault: str | None) -> None:
        with path.open("rb") as handle:
            self._send_stream(handle, path.stat().st_size, content_type, fault)

    def _send_bytes(self, data: bytes, content_type: str, fault: str | None) -> None:
        self._send_stream(io.BytesIO(data), len(data), content_type, fault)

    def _send_stream(
        self, handle: BinaryIO, size: int, content_type: str, fault: str | None
    ) -> None:
        """Send ``size`` bytes from ``handle`` as a 200 answer, spoilt as ``fault`` says."""
        limit = size // 2 if fault == "truncate" else size
        flip_at = size // 2 if fault == "bad_md5" and size else None
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        try:
            _copy_bytes(handle, self.wfile, limit, flip_at)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if fault == "truncate":
            self.wfile.flush()
            self.close_connection = True


def _lookup(root: Path, *parts: str) -> Path | None:
    """The file ``root/parts...`` if every part is a safe name and the file exists."""
    if not all(_SAFE_NAME.fullmatch(part) for part in parts):
        return None
    path = root.joinpath(*parts)
    return path if path.is_file() else None


def _copy_bytes(handle: BinaryIO, out: Any, limit: int, flip_at: int | None) -> None:
    """Write the first ``limit`` bytes of ``handle`` to ``out``, inverting byte ``flip_at``."""
    sent = 0
    while sent < limit:
        chunk = bytearray(handle.read(min(_CHUNK, limit - sent)))
        if not chunk:
            break
        if flip_at is not None and sent <= flip_at < sent + len(chunk):
            chunk[flip_at - sent] ^= 0xFF
        out.write(chunk)
        sent += len(chunk)


def _ena_query_problem(query: Mapping[str, list[str]]) -> str:
    """What is wrong with a filereport query (``""`` if nothing), as ENA answers 400."""
    if not query.get("accession", [""])[0]:
        return "missing parameter 'accession'"
    if query.get("result") != ["read_run"]:
        return f"this mock serves result=read_run only, not {query.get('result')}"
    if query.get("format") != ["json"]:
        return f"this mock serves format=json only, not {query.get('format')}"
    return ""


def _ena_fields(query: Mapping[str, list[str]]) -> list[str]:
    """The fields a filereport query asks for, ``run_accession`` first (ENA always gives it)."""
    asked = [
        field.strip()
        for value in query.get("fields", [])
        for field in value.split(",")
        if field.strip()
    ]
    fields = ["run_accession", *(field for field in asked or _ENA_DEFAULT_FIELDS)]
    return list(dict.fromkeys(fields))


def _ena_report_row(row: Mapping[str, Any], fields: Sequence[str], host: str) -> dict[str, str]:
    """The filereport object of a stored report row: ``fastq_*`` as ``;``-joined strings, the
    FTP paths as ``host/path`` without a scheme (as ENA gives them), other fields empty."""
    files = row.get("files", [])
    values = {
        "run_accession": str(row["run_accession"]),
        "fastq_ftp": ";".join(f"{host}/{entry['path']}" for entry in files),
        "fastq_md5": ";".join(str(entry["md5"]) for entry in files),
        "fastq_bytes": ";".join(str(entry["size"]) for entry in files),
    }
    return {field: values.get(field, "") for field in fields}


class MockPortal:
    """A local ENCODE-, Zenodo- and ENA-like portal serving a portal root, started at
    construction.

    Parameters
    ----------
    root : path-like
        Portal root (layout in the module docstring). It must exist.
    faults : sequence of str, optional
        Initial blob fault queue (see the module docstring).
    json_faults : sequence of str, optional
        Initial JSON fault queue.
    repeat : bool
        Cycle the fault queues forever instead of consuming them.
    host : str
        Address to bind, default ``127.0.0.1``.
    port : int
        Port to bind; 0 (default) picks a free one.

    Attributes
    ----------
    url : str
        Base URL, e.g. ``"http://127.0.0.1:PORT"``.
    requests : list of str
        Copy of the request paths (with query strings) received so far, in arrival order.
    """

    def __init__(
        self,
        root: str | Path,
        faults: Sequence[str] | None = None,
        *,
        json_faults: Sequence[str] | None = None,
        repeat: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"mock portal root {root} is not a directory")
        self._state = _PortalState(root)
        self._state.set_faults(faults or (), json_faults or (), repeat)
        self._server = _PortalServer((host, port), self._state)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"mock-portal-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL of the portal, without a trailing slash."""
        return f"http://{self._server.server_address[0]}:{self.port}"

    @property
    def requests(self) -> list[str]:
        """Copy of the request paths received so far, in arrival order."""
        return self._state.requests()

    def blob_requests(self) -> list[str]:
        """The downloads themselves so far: requests for ``/_blobs/...``, for Zenodo file
        contents (``/api/records/<record>/files/<key>/content``) and for ENA FASTQ files
        (``/ena/fastq/<run>/<name>``)."""
        return [
            path
            for path in self.requests
            if path.startswith(("/_blobs/", "/ena/fastq/"))
            or (path.startswith("/api/records/") and urlsplit(path).path.endswith("/content"))
        ]

    def set_faults(
        self,
        blob: Sequence[str] | None = None,
        json: Sequence[str] | None = None,
        *,
        repeat: bool = False,
    ) -> None:
        """Replace both fault queues (``None`` means empty); see the module docstring."""
        self._state.set_faults(blob or (), json or (), repeat)

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MockPortal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m attrprior.sim.portal",
        description="Serve a portal root like the ENCODE portal until SIGTERM or SIGINT.",
    )
    parser.add_argument("--root", required=True, type=Path, help="portal root directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--port-file", type=Path, help="write the URL here once listening")
    parser.add_argument(
        "--blob-fault", action="append", default=[], help="blob fault to queue (repeatable)"
    )
    parser.add_argument(
        "--json-fault", action="append", default=[], help="JSON fault to queue (repeatable)"
    )
    parser.add_argument("--repeat", action="store_true", help="cycle the fault queues forever")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parse_args(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with MockPortal(
        args.root,
        args.blob_fault,
        json_faults=args.json_fault,
        repeat=args.repeat,
        host=args.host,
        port=args.port,
    ) as portal:
        if args.port_file is not None:
            write_text(portal.url + "\n", args.port_file)
        print(portal.url, flush=True)
        try:
            while not stop.wait(timeout=0.5):
                pass
        finally:
            if args.port_file is not None:
                args.port_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
