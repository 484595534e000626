"""ENCODE client: accession checks, metadata selection, verified and retried downloads."""

import hashlib
import random
import re

import pytest

from attrprior.encode import (
    DownloadError,
    DownloadRecord,
    MetadataError,
    PortalClient,
    PortalError,
    RateLimiter,
    check_file_metadata,
    client_from_config,
    control_experiments,
    read_lock,
    read_record,
    resolve_file,
    select_files,
    validate_accession,
    validate_file_reference,
    write_lock,
    write_record,
)
from attrprior.portal import MockPortal, add_experiment, add_file

ACC = "ENCFF000AAA"
NAME = f"{ACC}.bed.gz"
DATA = random.Random(0).randbytes(5000)
MD5 = hashlib.md5(DATA).hexdigest()
BLOB = f"/_blobs/{ACC}/{NAME}"


def _file(accession, output_type, assembly="GRCh38", file_format="bam", status="released", rep=1):
    return {
        "accession": accession,
        "output_type": output_type,
        "assembly": assembly,
        "file_format": file_format,
        "status": status,
        "biological_replicates": [rep],
    }


EXPERIMENT = {
    "accession": "ENCSR000AAA",
    "assay_title": "TF ChIP-seq",
    "target": {"label": "SPI1"},
    "biosample_ontology": {"term_name": "GM12878"},
    "status": "released",
    "possible_controls": [
        {"accession": "ENCSR000CTL", "@id": "/experiments/ENCSR000CTL/"},
        "/experiments/ENCSR000BGH/",
    ],
    "files": [
        _file("ENCFF000UB2", "unfiltered alignments", rep=2),
        _file("ENCFF000UB1", "unfiltered alignments", rep=1),
        _file("ENCFF000HG1", "unfiltered alignments", assembly="hg19"),
        _file("ENCFF000REV", "unfiltered alignments", status="revoked"),
        _file("ENCFF000ALN", "alignments"),
        _file("ENCFF000IDR", "optimal IDR thresholded peaks", file_format="bed"),
    ],
}


@pytest.fixture
def portal(tmp_path):
    root = tmp_path / "portal"
    add_file(root, ACC, NAME, DATA, assembly="GRCh38", file_format="bed")
    add_file(root, "ENCFF000REV", "ENCFF000REV.bam", b"gone", assembly="GRCh38", status="revoked")
    add_file(root, "ENCFF000REF", "ENCFF000REF.fa.gz", b">chr1\nACGT\n", aliases=["GRCh38_test"])
    add_experiment(root, EXPERIMENT)
    with MockPortal(root) as server:
        yield server


@pytest.fixture
def client(portal):
    with PortalClient(portal.url, retries=2, backoff=0, min_interval=0, chunk_size=512) as c:
        yield c


@pytest.fixture
def out(tmp_path):
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


# --------------------------------------------------------------------------- accessions


@pytest.mark.parametrize(
    ("accession", "kind"),
    [("ENCSR000BGQ", "experiment"), ("ENCFF071ZMW", "file"), ("GRCh38_no_alt.15-x", "alias")],
)
def test_well_formed_accessions_pass(accession, kind):
    assert validate_accession(accession, kind) == accession


@pytest.mark.parametrize(
    ("accession", "kind"),
    [
        ("ENCFF12", "file"),
        ("encff071zmw", "file"),
        ("ENCSR000BGQ", "file"),
        ("ENCFF071ZMW", "experiment"),
        ("../etc", "alias"),
        ("ENCFF071ZMW", "alias"),
    ],
)
def test_malformed_accessions_raise_naming_them(accession, kind):
    with pytest.raises(ValueError, match=re.escape(repr(accession))):
        validate_accession(accession, kind)


def test_file_reference_takes_accessions_and_aliases_only():
    assert validate_file_reference("ENCFF071ZMW") == "ENCFF071ZMW"
    assert validate_file_reference("GRCh38_no_alt_analysis_set_GCA_000001405.15")
    for bad in ("ENCFF12", "encff071zmw", "ENCSR000BGQ", "a/b", ""):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            validate_file_reference(bad)


def test_malformed_accession_makes_no_request(portal, client, out):
    with pytest.raises(ValueError, match="ENCSR000BGQ"):
        client.download_file("ENCSR000BGQ", out / "x")
    assert portal.requests == []


# --------------------------------------------------------------------------- metadata


def test_select_files_and_controls():
    chosen = select_files(EXPERIMENT, "unfiltered alignments", "GRCh38")
    assert [f["accession"] for f in chosen] == ["ENCFF000UB1", "ENCFF000UB2"]
    assert [f["biological_replicates"] for f in chosen] == [[1], [2]]
    assert select_files(EXPERIMENT, "optimal IDR thresholded peaks", "GRCh38", "bam") == []
    assert control_experiments(EXPERIMENT) == ["ENCSR000CTL", "ENCSR000BGH"]
    with pytest.raises(MetadataError, match="ENCSR000AAA"):
        select_files({**EXPERIMENT, "files": ["/files/ENCFF000UB1/"]}, "alignments", "GRCh38")


def test_resolve_file_takes_the_one_match_or_the_preferred_default():
    dnase = {
        "accession": "ENCSR000EMT",
        "files": [
            _file("ENCFF111AAA", "peaks", file_format="bed"),
            _file("ENCFF222BBB", "peaks", file_format="bed"),
            _file("ENCFF333CCC", "peaks", assembly="hg19", file_format="bed"),
            _file("ENCFF444DDD", "alignments"),
        ],
    }
    assert resolve_file(dnase, "alignments", "GRCh38") == "ENCFF444DDD"
    with pytest.raises(MetadataError, match="ENCFF111AAA, ENCFF222BBB.*preferred_default"):
        resolve_file(dnase, "peaks", "GRCh38", "bed")
    dnase["files"][1]["preferred_default"] = True
    assert resolve_file(dnase, "peaks", "GRCh38", "bed") == "ENCFF222BBB"
    assert resolve_file(dnase, "peaks", "hg19") == "ENCFF333CCC"
    with pytest.raises(
        MetadataError, match=r"ENCSR000EMT.*'replicated peaks'.*\['alignments', 'peaks'\]"
    ):
        resolve_file(dnase, "replicated peaks", "GRCh38")


def test_check_file_metadata_names_the_accession():
    meta = {"accession": ACC, "href": "/x", "md5sum": MD5, "file_size": 1, "status": "released"}
    check_file_metadata(meta, accession=ACC)
    with pytest.raises(MetadataError, match=f"{ACC}.*md5sum"):
        check_file_metadata({k: v for k, v in meta.items() if k != "md5sum"}, accession=ACC)
    with pytest.raises(MetadataError, match=f"{ACC}.*'replaced'"):
        check_file_metadata({**meta, "status": "replaced"}, accession=ACC)


@pytest.mark.parametrize("fault", ["500", "drop", "truncate"])
def test_experiment_json_retried_after_a_fault(portal, fault):
    portal.set_faults(json=[fault])
    with PortalClient(portal.url, backoff=0) as client:
        meta = client.experiment("ENCSR000AAA")
    assert meta["target"]["label"] == "SPI1"
    assert portal.requests == ["/experiments/ENCSR000AAA/?format=json"] * 2


def test_json_errors_name_the_url(portal):
    url = f"{portal.url}/experiments/ENCSR999ZZZ/?format=json"
    with pytest.raises(PortalError, match=re.escape(url) + ".*404"), PortalClient(backoff=0) as c:
        c.fetch_json(url)
    assert len(portal.requests) == 1  # a 404 is not retried
    portal.set_faults(json=["drop"], repeat=True)
    with pytest.raises(PortalError, match=re.escape(url) + ".*after 2 tries"):
        with PortalClient(retries=1, backoff=0) as c:
            c.fetch_json(url)


# --------------------------------------------------------------------------- downloads


def test_download_verified_redirect_followed_and_locked(portal, out):
    dest = out / "peaks" / NAME
    with PortalClient(portal.url, backoff=0, chunk_size=999) as client:
        record = client.download_file(ACC, dest, assembly="GRCh38")
    assert dest.read_bytes() == DATA
    url = f"{portal.url}/files/{ACC}/@@download/{NAME}"
    assert record == DownloadRecord(ACC, url, MD5, len(DATA), str(dest))
    assert portal.requests == [
        f"/files/{ACC}/?format=json",
        f"/files/{ACC}/@@download/{NAME}",
        BLOB,
    ]
    write_lock([record], out / "encode.lock.tsv")
    lines = (out / "encode.lock.tsv").read_text().splitlines()
    assert lines == ["accession\turl\tmd5\tsize\tpath", f"{ACC}\t{url}\t{MD5}\t5000\t{dest}"]
    assert read_lock(out / "encode.lock.tsv") == [record]
    write_record(record, out / "record.json")
    assert read_record(out / "record.json") == record


@pytest.mark.parametrize("fault", ["500", "drop", "truncate", "bad_md5"])
def test_single_fault_is_retried(portal, client, out, fault):
    portal.set_faults(blob=[fault])
    record = client.download_file(ACC, out / NAME)
    assert (out / NAME).read_bytes() == DATA and record.md5 == MD5
    assert portal.blob_requests() == [BLOB, BLOB]
    assert [p.name for p in out.iterdir()] == [NAME]


@pytest.mark.parametrize(
    ("fault", "problem"), [("bad_md5", f"md5 mismatch: expected {MD5}, got "), ("500", "HTTP 500")]
)
def test_persistent_fault_raises_and_leaves_nothing(portal, client, out, fault, problem):
    portal.set_faults(blob=[fault], repeat=True)
    url = f"{portal.url}/files/{ACC}/@@download/{NAME}"
    with pytest.raises(DownloadError, match=f"{ACC}.*{re.escape(url)}.*{re.escape(problem)}"):
        client.download_file(ACC, out / NAME)
    assert len(portal.blob_requests()) == 3  # retries=2
    assert list(out.iterdir()) == []


def test_backoff_doubles(portal, out):
    delays = []
    portal.set_faults(blob=["500", "500", "500"])
    with PortalClient(portal.url, retries=3, backoff=0.5, min_interval=0, sleep=delays.append) as c:
        c.download_file(ACC, out / NAME)
    assert delays == [0.5, 1.0, 2.0]


def test_verified_file_is_not_fetched_again(portal, client, out):
    client.download_file(ACC, out / NAME)
    record = client.download_file(ACC, out / NAME)
    assert len(portal.blob_requests()) == 1 and record.md5 == MD5 and record.size == len(DATA)


def test_file_with_wrong_md5_is_downloaded_again(portal, client, out):
    (out / NAME).write_bytes(bytes(len(DATA)))  # right size, wrong content
    client.download_file(ACC, out / NAME)
    assert (out / NAME).read_bytes() == DATA
    assert len(portal.blob_requests()) == 1


def test_assembly_mismatch_and_revoked_status_refused(portal, client, out):
    with pytest.raises(MetadataError, match=f"{ACC}: assembly is 'GRCh38', expected 'hg19'"):
        client.download_file(ACC, out / NAME, assembly="hg19")
    with pytest.raises(MetadataError, match="ENCFF000REV: status is 'revoked'"):
        client.download_file("ENCFF000REV", out / "rev.bam")
    assert portal.blob_requests() == [] and list(out.iterdir()) == []


def test_reference_file_by_alias(portal, client, out):
    record = client.download_file("GRCh38_test", out / "genome.fa.gz")
    assert record.accession == "ENCFF000REF"
    assert (out / "genome.fa.gz").read_bytes() == b">chr1\nACGT\n"


def test_download_url_checks_the_configured_md5(portal, out):
    url = f"{portal.url}{BLOB}"
    portal.set_faults(blob=["truncate"])
    with PortalClient(backoff=0) as client:
        record = client.download_url(url, out / "x.gz", md5=MD5.upper(), size=len(DATA))
        assert record.accession == NAME and (out / "x.gz").read_bytes() == DATA
        assert len(portal.blob_requests()) == 2
        client.download_url(url, out / "x.gz", md5=MD5)  # already there: no request
        assert len(portal.blob_requests()) == 2
    with pytest.raises(DownloadError, match=f"GSE1.*{re.escape(url)}.*md5 mismatch"):
        with PortalClient(retries=1, backoff=0) as client:
            client.download_url(url, out / "y.gz", md5="0" * 32, accession="GSE1")
    with pytest.raises(ValueError, match="not 32 hex"), PortalClient() as client:
        client.download_url(url, out / "y.gz", md5="abc")
    assert sorted(p.name for p in out.iterdir()) == ["x.gz"]


# --------------------------------------------------------------------------- small parts


def test_rate_limiter_spaces_calls():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(0.1, clock=lambda: now[0], sleep=sleep)
    limiter.wait()
    limiter.wait()
    now[0] += 0.25
    limiter.wait()
    assert slept == [pytest.approx(0.1)]


def test_read_lock_rejects_malformed_files(tmp_path):
    path = tmp_path / "bad.lock.tsv"
    path.write_text("accession\turl\n")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        read_lock(path)
    path.write_text("accession\turl\tmd5\tsize\tpath\nA\tu\tm\tnot-a-size\tp\n")
    with pytest.raises(ValueError, match="line 2"):
        read_lock(path)


def test_client_requests_go_through_the_limiter(portal, out):
    slept = []
    limiter = RateLimiter(1.0, clock=lambda: 0.0, sleep=slept.append)  # time stands still
    with PortalClient(portal.url, backoff=0, limiter=limiter) as client:
        client.download_file(ACC, out / NAME)  # file JSON, then the download
    assert slept == [1.0]


def test_client_from_config_reads_the_encode_key():
    with client_from_config({"base_url": "http://mirror", "retries": 1, "timeout": 5}) as c:
        assert (c.base_url, c.retries, c.backoff, c.timeout) == ("http://mirror", 1, 2.0, 5)
    with client_from_config() as c:
        assert (c.base_url, c.retries, c.timeout) == ("https://www.encodeproject.org", 5, 120.0)
