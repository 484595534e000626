"""The mock ENCODE portal: routes, redirects, faults and its command line."""

import hashlib
import http.client
import json
import subprocess
import sys
import time

import pytest
import requests
from portal_roots import DATA, FASTQ, RUN, ZDATA, write_root

from attrprior.sim.portal import MockPortal
from attrprior.sim.portal_files import (
    zenodo_file_path,
    zenodo_record_path,
)

BLOB = "/_blobs/ENCFF000AAA/ENCFF000AAA.bam"
RECORD = "/api/records/3371216"
CONTENT = "/api/records/3371216/files/data.tar.gz/content"
FIELDS = "run_accession,fastq_ftp,fastq_md5,fastq_bytes"
REPORT = f"/ena/portal/api/filereport?accession={RUN}&result=read_run&fields={FIELDS}&format=json"
FASTQ_2 = f"/ena/fastq/{RUN}/{RUN}_2.fastq.gz"


@pytest.fixture
def root(tmp_path):
    return write_root(tmp_path / "portal")


@pytest.fixture
def portal(root):
    with MockPortal(root) as server:
        yield server


def _raw_get(portal, path):
    """GET with the standard library: status, headers and body, even a truncated one."""
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        try:
            body = response.read()
        except http.client.IncompleteRead as err:
            body = err.partial
        return response.status, dict(response.getheaders()), body
    finally:
        conn.close()


def test_json_routes_and_404s(root, portal):
    url = portal.url
    assert requests.get(f"{url}/experiments/ENCSR000AAA/?format=json").json()["files"] == []
    assert requests.get(f"{url}/files/ENCFF000AAA/?format=json").json()["assembly"] == "GRCh38"
    for path in (
        "/files/ENCFF000AAA/",  # JSON only with ?format=json
        "/experiments/ENCSR999ZZZ/?format=json",
        "/files/ENCFF000AAA/@@download/other.bam",
        "/nowhere",
    ):
        response = requests.get(url + path)
        assert response.status_code == 404 and response.json()["status"] == "error", path
    (root / "secret").write_text("not for clients")
    assert _raw_get(portal, "/_blobs/../secret")[0] == 404  # no way out of files/
    assert len(portal.requests) == 7


def test_download_redirects_to_the_blob(portal):
    response = requests.get(
        f"{portal.url}/files/ENCFF000AAA/@@download/ENCFF000AAA.bam", allow_redirects=False
    )
    assert response.status_code == 307 and response.headers["Location"] == BLOB
    status, headers, body = _raw_get(portal, BLOB)
    assert status == 200 and headers["Content-Length"] == str(len(DATA)) and body == DATA


def test_blob_faults_are_consumed_in_order(portal):
    portal.set_faults(blob=["500", "truncate", "bad_md5"])
    assert _raw_get(portal, BLOB)[0] == 500
    status, headers, body = _raw_get(portal, BLOB)
    assert headers["Content-Length"] == str(len(DATA)) and body == DATA[: len(DATA) // 2]
    status, _, body = _raw_get(portal, BLOB)
    assert len(body) == len(DATA) and sum(a != b for a, b in zip(body, DATA, strict=True)) == 1
    assert _raw_get(portal, BLOB)[2] == DATA


def test_drop_and_json_faults(portal):
    portal.set_faults(blob=["drop"], json=["500"])
    with pytest.raises(requests.ConnectionError):
        requests.get(portal.url + BLOB)
    json_url = f"{portal.url}/files/ENCFF000AAA/?format=json"
    assert requests.get(json_url).status_code == 500
    assert requests.get(json_url).status_code == 200


def test_repeat_mode_cycles_until_cleared(portal):
    portal.set_faults(blob=["500"], repeat=True)
    assert [_raw_get(portal, BLOB)[0] for _ in range(3)] == [500, 500, 500]
    portal.set_faults()
    assert _raw_get(portal, BLOB)[0] == 200
    assert portal.blob_requests() == [BLOB] * 4


def test_fault_names_are_checked(root):
    with pytest.raises(ValueError, match="'slow'"):
        MockPortal(root, faults=["slow"])
    with MockPortal(root) as portal:
        with pytest.raises(ValueError, match="bad_md5"):
            portal.set_faults(json=["bad_md5"])
        with pytest.raises(TypeError, match="'500'"):
            portal.set_faults(blob="500")


def test_stop_is_idempotent_and_missing_root_is_named(root, tmp_path):
    portal = MockPortal(root)
    url = portal.url
    portal.stop()
    portal.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + BLOB, timeout=2)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        MockPortal(tmp_path / "nowhere")


def test_command_line_serves_until_terminated(root, tmp_path):
    port_file = tmp_path / "run" / "portal.url"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "attrprior.sim.portal",
            "--root",
            str(root),
            "--port-file",
            port_file,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "portal did not write its port file"
            time.sleep(0.05)
        url = port_file.read_text().strip()
        assert url.startswith("http://127.0.0.1:")
        meta = requests.get(f"{url}/files/ENCFF000AAA/?format=json", timeout=5).json()
        assert meta["accession"] == "ENCFF000AAA"
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert stdout.decode().strip() == url
    assert not port_file.exists()


# --------------------------------------------------------------------------- Zenodo routes


def test_zenodo_record_json_is_shaped_like_the_api(root):
    record = json.loads(zenodo_record_path(root, 3371216).read_text())
    assert record == {
        "id": 3371216,
        "doi": "10.5281/zenodo.3371216",
        "metadata": {"title": "BPNet data"},
        "files": [
            {
                "id": hashlib.md5(b"3371216/data.tar.gz").hexdigest(),
                "key": "data.tar.gz",
                "size": len(ZDATA),
                "checksum": f"md5:{hashlib.md5(ZDATA).hexdigest()}",
                "links": {"self": CONTENT},
            }
        ],
    }
    assert zenodo_file_path(root, 3371216, "data.tar.gz").read_bytes() == ZDATA


def test_zenodo_record_and_content_routes(root, portal):
    for path in (RECORD, RECORD + "/", RECORD + "?all_versions=false"):
        response = requests.get(portal.url + path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == json.loads(zenodo_record_path(root, 3371216).read_text())
    entry = requests.get(portal.url + RECORD).json()["files"][0]
    status, headers, body = _raw_get(portal, entry["links"]["self"])
    assert status == 200 and headers["Content-Length"] == str(len(ZDATA)) and body == ZDATA
    assert entry["checksum"] == f"md5:{hashlib.md5(body).hexdigest()}"


def test_zenodo_404s_and_no_way_out_of_the_root(root, portal):
    (root / "zenodo" / "secret").write_text("not for clients")
    for path in (
        "/api/records/999",
        "/api/records/abc",
        "/api/records/3371216/files/other.tar.gz/content",
        "/api/records/999/files/data.tar.gz/content",
        "/api/records/3371216/files/data.tar.gz",  # the bytes only under .../content
        "/api/records/3371216/files/../content",
        "/api/records/3371216/files/%2e%2e/content",
        "/api/records/../secret",
    ):
        status, _, body = _raw_get(portal, path)
        assert status == 404 and json.loads(body)["status"] == "error", path


def check_json_faults(portal, json_route, blob_route):
    """The three JSON faults, in order, on ``json_route``; the blob route beside it takes
    none of them. Returns the JSON served after the faults."""
    portal.set_faults(json=["500", "truncate", "drop"])
    assert _raw_get(portal, blob_route)[0] == 200
    assert _raw_get(portal, json_route)[0] == 500
    status, headers, body = _raw_get(portal, json_route)
    assert status == 200 and len(body) == int(headers["Content-Length"]) // 2
    with pytest.raises(requests.ConnectionError):
        requests.get(portal.url + json_route)
    return requests.get(portal.url + json_route).json()


def test_zenodo_json_faults(portal):
    assert check_json_faults(portal, RECORD, CONTENT)["id"] == 3371216
    assert _raw_get(portal, CONTENT)[2] == ZDATA  # the content route takes blob faults only


def check_blob_faults(portal, json_route, blob_route, data):
    """The four blob faults, in order, on ``blob_route`` (serving ``data``); the JSON route
    beside it takes none of them."""
    portal.set_faults(blob=["500", "truncate", "bad_md5", "drop"])
    assert _raw_get(portal, json_route)[0] == 200
    assert _raw_get(portal, blob_route)[0] == 500
    status, headers, body = _raw_get(portal, blob_route)
    assert headers["Content-Length"] == str(len(data)) and body == data[: len(data) // 2]
    body = _raw_get(portal, blob_route)[2]
    assert len(body) == len(data) and sum(a != b for a, b in zip(body, data, strict=True)) == 1
    with pytest.raises(requests.ConnectionError):
        requests.get(portal.url + blob_route)
    assert _raw_get(portal, blob_route)[2] == data


def test_zenodo_content_faults(portal):
    check_blob_faults(portal, RECORD, CONTENT, ZDATA)
    portal.set_faults(blob=["bad_md5"], repeat=True)
    assert all(_raw_get(portal, CONTENT)[2] != ZDATA for _ in range(3))


# --------------------------------------------------------------------------- ENA routes


def _md5(data):
    return hashlib.md5(data).hexdigest()


def test_ena_filereport_is_shaped_like_the_api(root, portal):
    response = requests.get(portal.url + REPORT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    host = f"127.0.0.1:{portal.port}"
    assert response.json() == [
        {
            "run_accession": RUN,
            "fastq_ftp": ";".join(f"{host}/ena/fastq/{RUN}/{name}" for name in FASTQ),
            "fastq_md5": ";".join(_md5(data) for data in FASTQ.values()),
            "fastq_bytes": ";".join(str(len(data)) for data in FASTQ.values()),
        }
    ]
    # Only the requested fields (run_accession always), unknown ones empty; the address comes
    # from the Host header, without a scheme.
    response = requests.get(
        f"{portal.url}/ena/portal/api/filereport",
        params={
            "accession": RUN,
            "result": "read_run",
            "fields": "fastq_ftp,sra_md5",
            "format": "json",
        },
        headers={"Host": "ftp.sra.example.org"},
    )
    assert response.json() == [
        {
            "run_accession": RUN,
            "fastq_ftp": ";".join(f"ftp.sra.example.org/ena/fastq/{RUN}/{name}" for name in FASTQ),
            "sra_md5": "",
        }
    ]


def test_ena_filereport_of_an_unknown_run_is_empty_and_bad_queries_are_refused(portal):
    for accession in ("SRR0000001", "..", "SRR1565781%2F..%2Fx"):
        response = requests.get(portal.url + REPORT.replace(RUN, accession))
        assert (response.status_code, response.json()) == (200, []), accession
    for query in (
        f"result=read_run&fields={FIELDS}&format=json",  # no accession
        f"accession={RUN}&result=read_experiment&format=json",
        f"accession={RUN}&fields={FIELDS}&format=json",  # no result
        f"accession={RUN}&result=read_run&format=tsv",
    ):
        status, _, body = _raw_get(portal, f"/ena/portal/api/filereport?{query}")
        assert status == 400 and json.loads(body)["code"] == 400, query
    assert portal.blob_requests() == []


def test_ena_fastq_route_serves_the_bytes(root, portal):
    status, headers, body = _raw_get(portal, FASTQ_2)
    assert status == 200 and headers["Content-Length"] == str(len(body))
    assert body == FASTQ[f"{RUN}_2.fastq.gz"]
    (root / "ena" / "secret").write_text("not for clients")
    for path in (f"/ena/fastq/{RUN}/other.fastq.gz", "/ena/fastq/SRR0000001/x", "/ena/secret"):
        assert _raw_get(portal, path)[0] == 404, path
    assert _raw_get(portal, f"/ena/fastq/{RUN}/../../secret")[0] == 404
    assert portal.blob_requests()[0] == FASTQ_2 and len(portal.blob_requests()) == 4


def test_ena_report_json_faults(portal):
    assert check_json_faults(portal, REPORT, FASTQ_2)[0]["run_accession"] == RUN


def test_ena_fastq_faults(portal):
    check_blob_faults(portal, REPORT, FASTQ_2, FASTQ[f"{RUN}_2.fastq.gz"])
    assert portal.blob_requests() == [FASTQ_2] * 5
