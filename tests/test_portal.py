"""The mock ENCODE portal: routes, redirects, faults and its command line."""

import hashlib
import http.client
import json
import subprocess
import sys
import time

import pytest
import requests

from attrprior.portal import (
    MockPortal,
    add_experiment,
    add_file,
    add_zenodo_file,
    blob_path,
    file_json_path,
    zenodo_file_path,
    zenodo_record_path,
)

DATA = bytes(range(256)) * 8
BLOB = "/_blobs/ENCFF000AAA/ENCFF000AAA.bam"
ZDATA = bytes(range(255, -1, -1)) * 5
RECORD = "/api/records/3371216"
CONTENT = "/api/records/3371216/files/data.tar.gz/content"


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "portal"
    add_file(root, "ENCFF000AAA", "ENCFF000AAA.bam", DATA, assembly="GRCh38")
    add_experiment(root, {"accession": "ENCSR000AAA", "files": []})
    add_zenodo_file(root, 3371216, "data.tar.gz", ZDATA, title="BPNet data")
    return root


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


def test_layout_written_by_add_file(root):
    meta = json.loads(file_json_path(root, "ENCFF000AAA").read_text())
    assert meta["file_size"] == len(DATA) and meta["status"] == "released"
    assert meta["href"] == "/files/ENCFF000AAA/@@download/ENCFF000AAA.bam"
    assert blob_path(root, "ENCFF000AAA", "ENCFF000AAA.bam").read_bytes() == DATA
    with pytest.raises(ValueError, match=r"'\.\.'"):
        blob_path(root, "..", "x")


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
        [sys.executable, "-m", "attrprior.portal", "--root", str(root), "--port-file", port_file],
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


def test_add_zenodo_file_replaces_a_key_and_sorts_files(root, tmp_path):
    path = add_zenodo_file(root, 3371216, "a.txt", b"first")
    assert path == zenodo_record_path(root, 3371216)
    add_zenodo_file(root, 3371216, "a.txt", b"second")
    record = json.loads(path.read_text())
    assert [f["key"] for f in record["files"]] == ["a.txt", "data.tar.gz"]
    assert record["files"][0]["size"] == len(b"second")
    assert record["metadata"]["title"] == "BPNet data"  # kept when no title is given
    assert zenodo_file_path(root, 3371216, "a.txt").read_bytes() == b"second"
    # The same calls in another root give the same bytes (sorted keys, no timestamps).
    other = tmp_path / "other"
    for key, data in (("data.tar.gz", ZDATA), ("a.txt", b"first"), ("a.txt", b"second")):
        add_zenodo_file(other, 3371216, key, data, title="BPNet data" if key != "a.txt" else None)
    assert zenodo_record_path(other, 3371216).read_bytes() == path.read_bytes()
    assert add_zenodo_file(other, 5, "x", b"").read_text().count('"record 5"') == 1


def test_add_zenodo_file_rejects_unsafe_names(root):
    for record, key in (
        (1, "../x"),
        (1, ".hidden"),
        (1, "a/b"),
        (-1, "x"),
        ("1", "x"),
        (True, "x"),
    ):
        with pytest.raises(ValueError, match=str(root)):
            add_zenodo_file(root, record, key, b"data")  # type: ignore[arg-type]
    assert not (root / "x").exists() and not (root / "zenodo" / "files" / "1").exists()


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


def test_zenodo_json_faults(portal):
    portal.set_faults(json=["500", "truncate", "drop"])
    assert _raw_get(portal, RECORD)[0] == 500
    status, headers, body = _raw_get(portal, RECORD)
    assert status == 200 and len(body) == int(headers["Content-Length"]) // 2
    with pytest.raises(requests.ConnectionError):
        requests.get(portal.url + RECORD)
    assert requests.get(portal.url + RECORD).json()["id"] == 3371216
    assert _raw_get(portal, CONTENT)[2] == ZDATA  # the content route takes blob faults only


def test_zenodo_content_faults(portal):
    portal.set_faults(blob=["500", "truncate", "bad_md5", "drop"])
    assert _raw_get(portal, RECORD)[0] == 200  # the record route takes JSON faults only
    assert _raw_get(portal, CONTENT)[0] == 500
    status, headers, body = _raw_get(portal, CONTENT)
    assert headers["Content-Length"] == str(len(ZDATA)) and body == ZDATA[: len(ZDATA) // 2]
    body = _raw_get(portal, CONTENT)[2]
    assert len(body) == len(ZDATA) and sum(a != b for a, b in zip(body, ZDATA, strict=True)) == 1
    with pytest.raises(requests.ConnectionError):
        requests.get(portal.url + CONTENT)
    assert _raw_get(portal, CONTENT)[2] == ZDATA
    portal.set_faults(blob=["bad_md5"], repeat=True)
    assert all(_raw_get(portal, CONTENT)[2] != ZDATA for _ in range(3))
