"""attrprior.sim.portal_files: the portal root's layout, written file by file."""

import hashlib
import json

import pytest
from portal_roots import DATA, FASTQ, RUN, ZDATA, write_root

from attrprior.sim.portal_files import (
    add_ena_run,
    add_zenodo_file,
    blob_path,
    ena_fastq_path,
    ena_run_path,
    file_json_path,
    zenodo_file_path,
    zenodo_record_path,
)


@pytest.fixture
def root(tmp_path):
    return write_root(tmp_path / "portal")


def test_layout_written_by_add_file(root):
    meta = json.loads(file_json_path(root, "ENCFF000AAA").read_text())
    assert meta["file_size"] == len(DATA) and meta["status"] == "released"
    assert meta["href"] == "/files/ENCFF000AAA/@@download/ENCFF000AAA.bam"
    assert blob_path(root, "ENCFF000AAA", "ENCFF000AAA.bam").read_bytes() == DATA
    with pytest.raises(ValueError, match=r"'\.\.'"):
        blob_path(root, "..", "x")


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


def _md5(data):
    return hashlib.md5(data).hexdigest()


def test_add_ena_run_writes_the_files_and_a_report_row_in_order(root, tmp_path):
    row = json.loads(ena_run_path(root, RUN).read_text())
    assert row == {
        "run_accession": RUN,
        "files": [
            {"path": f"ena/fastq/{RUN}/{name}", "md5": _md5(data), "size": len(data)}
            for name, data in FASTQ.items()
        ],
    }
    for name, data in FASTQ.items():
        assert ena_fastq_path(root, RUN, name).read_bytes() == data
        assert (root / f"ena/fastq/{RUN}/{name}").read_bytes() == data
    # The order of the mapping is ENA's order, not sorted; the same calls give the same bytes.
    reverse = dict(reversed(FASTQ.items()))
    path = add_ena_run(tmp_path / "other", RUN, reverse)
    assert [f["path"][-10:] for f in json.loads(path.read_text())["files"]] == [
        "2.fastq.gz",
        "1.fastq.gz",
    ]
    assert add_ena_run(tmp_path / "again", RUN, reverse).read_bytes() == path.read_bytes()
    for run, name in ((RUN, "../x"), (RUN, ".hidden"), ("a/b", "x.fastq.gz"), ("", "x")):
        with pytest.raises(ValueError, match=str(root)):
            add_ena_run(root, run, {name: b"data"})
    assert not (root / "x").exists() and not (root / "ena" / "fastq" / "a").exists()
