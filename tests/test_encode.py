"""ENCODE client: accession checks, metadata selection, verified and retried downloads."""

import hashlib
import json
import logging
import random
import re

import pytest
from encode_objects import ACC, DATA, EXPERIMENT, MATES, MD5, PAIRED, RUN, UNFILTERED

from attrprior.genomics.downloads import (
    DownloadRecord,
    read_lock,
    read_records,
    write_lock,
    write_record,
)
from attrprior.genomics.encode import (
    DownloadError,
    PortalClient,
    PortalError,
    RateLimiter,
    client_from_config,
    download_experiment_files,
)
from attrprior.genomics.encode_metadata import (
    MetadataError,
    replicate_files,
)
from attrprior.sim.portal import MockPortal
from attrprior.sim.portal_files import add_ena_run, add_experiment, add_file, add_zenodo_file

NAME = f"{ACC}.bed.gz"
BLOB = f"/_blobs/{ACC}/{NAME}"


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


def test_malformed_accession_makes_no_request(portal, client, out):
    with pytest.raises(ValueError, match="ENCSR000BGQ"):
        client.download_file("ENCSR000BGQ", out / "x")
    assert portal.requests == []


# --------------------------------------------------------------------------- metadata


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
    assert lines == [
        "accession\turl\tmd5\tsize\tpath\texperiment\toutput_type",
        f"{ACC}\t{url}\t{MD5}\t5000\t{dest}\t\t",  # named by accession: no experiment
    ]
    assert read_lock(out / "encode.lock.tsv") == [record]
    write_record(record, out / "record.json")
    assert read_records(out / "record.json") == [record]


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


# --------------------------------------------------------------------------- Zenodo

RECORD = 1234567
ZKEY = "data.tar.gz"
ZCONTENT = f"/api/records/{RECORD}/files/{ZKEY}/content"


@pytest.fixture
def zenodo(tmp_path):
    root = tmp_path / "zenodo_portal"
    add_zenodo_file(root, RECORD, ZKEY, DATA, title="test record")
    add_zenodo_file(root, RECORD, "README.txt", b"read me\n")
    with MockPortal(root) as server:
        yield server


def _zenodo_download(server, dest, **kwargs):
    with PortalClient(retries=2, backoff=0, min_interval=0) as client:
        return client.download_zenodo_file(RECORD, ZKEY, dest, base_url=server.url, **kwargs)


def test_zenodo_file_is_read_from_the_record_and_verified(zenodo, out):
    record = _zenodo_download(zenodo, out / "bpnet.tar.gz", label="bpnet_data")
    assert (out / "bpnet.tar.gz").read_bytes() == DATA
    assert record == DownloadRecord(
        "bpnet_data", f"{zenodo.url}{ZCONTENT}", MD5, len(DATA), str(out / "bpnet.tar.gz")
    )
    assert zenodo.requests == [f"/api/records/{RECORD}", ZCONTENT]


@pytest.mark.parametrize("fault", ["500", "drop", "truncate", "bad_md5"])
def test_zenodo_download_retries_each_fault(zenodo, out, fault):
    zenodo.set_faults(blob=[fault], json=["500"] if fault == "500" else [])
    _zenodo_download(zenodo, out / "x")
    assert (out / "x").read_bytes() == DATA
    assert [path for path in zenodo.requests if path == ZCONTENT] == [ZCONTENT, ZCONTENT]


def test_zenodo_persistent_corruption_fails_naming_the_file_and_leaves_nothing(zenodo, out):
    zenodo.set_faults(blob=["bad_md5"], repeat=True)
    with pytest.raises(DownloadError, match=f"zenodo:{RECORD}/{ZKEY}.*{ZCONTENT}.*md5 mismatch"):
        _zenodo_download(zenodo, out / "x")
    assert list(out.iterdir()) == []


def test_zenodo_pinned_md5_must_match_and_skips_the_network_when_present(zenodo, out):
    with pytest.raises(MetadataError, match=f"md5 on Zenodo .* is {MD5}, but the configuration"):
        _zenodo_download(zenodo, out / "x", expected_md5="0" * 32)
    assert ZCONTENT not in zenodo.requests and list(out.iterdir()) == []
    _zenodo_download(zenodo, out / "x", expected_md5=MD5.upper())
    n_requests = len(zenodo.requests)
    record = _zenodo_download(zenodo, out / "x", expected_md5=MD5)
    assert len(zenodo.requests) == n_requests and record.md5 == MD5  # verified locally


def test_zenodo_record_without_the_file_lists_its_files(zenodo, out):
    with PortalClient(retries=0, min_interval=0) as client:
        with pytest.raises(MetadataError, match=r"no file 'other.tar.gz'.*README.txt"):
            client.download_zenodo_file(RECORD, "other.tar.gz", out / "x", base_url=zenodo.url)
        with pytest.raises(PortalError, match="HTTP 404"):
            client.download_zenodo_file(7, ZKEY, out / "x", base_url=zenodo.url)


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


# --------------------------------------------------------------------------- by output type


def _bam(rep, seed):
    return random.Random(seed).randbytes(300 + rep)


@pytest.fixture
def replicate_portal(tmp_path):
    """An experiment with one BAM per replicate (and an archived duplicate of replicate 1)."""
    root = tmp_path / "replicates"
    fields = {"assembly": "GRCh38", "file_format": "bam", "output_type": UNFILTERED}
    files = [
        add_file(root, acc, f"{acc}.bam", _bam(rep, acc), biological_replicates=[rep], **fields)
        for acc, rep in (("ENCFF100REL", 1), ("ENCFF200REL", 2))
    ]
    files.append(
        add_file(
            root,
            "ENCFF100ARC",
            "ENCFF100ARC.bam",
            _bam(1, "old"),
            biological_replicates=[1],
            status="archived",
            **fields,
        )
    )
    add_experiment(root, {"accession": "ENCSR000REP", "files": files})
    with MockPortal(root) as server:
        yield server, root


def _download(server, directory, lock=None, per_replicate=True):
    with PortalClient(server.url, retries=0, min_interval=0) as client:
        return download_experiment_files(
            client,
            "ENCSR000REP",
            UNFILTERED,
            "GRCh38",
            "bam",
            lambda accession: directory / f"{accession}.bam",
            per_replicate=per_replicate,
            lock=lock,
        )


def test_experiment_files_resolved_downloaded_and_recorded(replicate_portal, tmp_path):
    server, _ = replicate_portal
    records = _download(server, tmp_path / "bams")
    assert [r.accession for r in records] == ["ENCFF100REL", "ENCFF200REL"]
    for record in records:
        assert (record.experiment, record.output_type) == ("ENCSR000REP", UNFILTERED)
        data = (tmp_path / "bams" / f"{record.accession}.bam").read_bytes()
        assert hashlib.md5(data).hexdigest() == record.md5 and len(data) == record.size
    write_lock(records, tmp_path / "lock.tsv")
    assert read_lock(tmp_path / "lock.tsv") == records
    with pytest.raises(MetadataError, match=r"lock.tsv: 2 files pinned for ENCSR000REP"):
        _download(server, tmp_path / "one", tmp_path / "lock.tsv", per_replicate=False)


def test_lock_pins_the_accessions_of_an_earlier_run(replicate_portal, tmp_path, caplog):
    server, root = replicate_portal
    write_lock(_download(server, tmp_path / "first"), tmp_path / "lock.tsv")
    # The portal now prefers another file for replicate 2; the lock keeps the old one, and
    # the experiment's JSON is not read.
    experiment = json.loads((root / "experiments" / "ENCSR000REP.json").read_text())
    experiment["files"].append({**experiment["files"][1], "accession": "ENCFF200NEW"})
    experiment["files"][1]["status"] = "archived"
    add_experiment(root, experiment)
    assert [f["accession"] for f in replicate_files(experiment, UNFILTERED, "GRCh38")] == [
        "ENCFF100REL",
        "ENCFF200NEW",
    ]
    before = len(server.requests)
    with caplog.at_level(logging.INFO, logger="attrprior.genomics.encode"):
        records = _download(server, tmp_path / "second", tmp_path / "lock.tsv")
    assert [r.accession for r in records] == ["ENCFF100REL", "ENCFF200REL"]
    assert not [r for r in server.requests[before:] if r.startswith("/experiments/")]
    assert "pinned by lock file" in caplog.text


def test_lock_with_another_md5_stops_naming_both(replicate_portal, tmp_path):
    server, _ = replicate_portal
    records = _download(server, tmp_path / "first")
    changed = [records[0], DownloadRecord(**{**records[1].__dict__, "md5": "0" * 32})]
    write_lock(changed, tmp_path / "lock.tsv")
    message = (
        f"ENCFF200REL: md5sum on the portal is {records[1].md5}, but lock file "
        f"{tmp_path / 'lock.tsv'} has {'0' * 32}"
    )
    with pytest.raises(MetadataError, match=re.escape(message)):
        _download(server, tmp_path / "second", tmp_path / "lock.tsv")
    assert not (tmp_path / "second" / "ENCFF200REL.bam").exists()


def test_experiment_missing_from_the_lock_is_resolved_with_a_warning(
    replicate_portal, tmp_path, caplog
):
    server, _ = replicate_portal
    other = DownloadRecord("ENCFF999AAA", "u", MD5, 1, "p", "ENCSR000OTH", UNFILTERED)
    write_lock([other], tmp_path / "lock.tsv")
    with caplog.at_level(logging.WARNING, logger="attrprior.genomics.encode"):
        records = _download(server, tmp_path / "bams", tmp_path / "lock.tsv")
    assert [r.accession for r in records] == ["ENCFF100REL", "ENCFF200REL"]
    (warning,) = caplog.records
    assert "ENCSR000REP 'unfiltered alignments' (GRCh38): not in lock file" in warning.message


# --------------------------------------------------------------------------- ENA

FQ = random.Random(1).randbytes(3000)
FQ_MD5 = hashlib.md5(FQ).hexdigest()
ENA_FIELDS = "run_accession,fastq_ftp,fastq_md5,fastq_bytes"
ENA_REPORT = f"/ena/portal/api/filereport?accession={RUN}&result=read_run&fields={ENA_FIELDS}"
ENA_REPORT += "&format=json"
ENA_FASTQ = f"/ena/fastq/{RUN}/{RUN}.fastq.gz"


@pytest.fixture
def ena(tmp_path):
    root = tmp_path / "ena_portal"
    add_ena_run(root, RUN, {f"{RUN}.fastq.gz": FQ})
    add_ena_run(root, PAIRED, MATES)
    with MockPortal(root) as server:
        yield server


def _ena_download(server, run, dest, retries=2, **kwargs):
    base_url = f"{server.url}/ena/portal/api"
    kwargs.setdefault("file_scheme", "http")
    with PortalClient(retries=retries, backoff=0, min_interval=0) as client:
        return client.download_ena_fastq(run, dest, base_url=base_url, **kwargs)


def test_ena_fastq_is_read_from_the_report_and_verified(ena, out):
    record = _ena_download(ena, RUN, out / "naked.fastq.gz")
    assert (out / "naked.fastq.gz").read_bytes() == FQ
    url = f"http://127.0.0.1:{ena.port}{ENA_FASTQ}"
    assert record == DownloadRecord(f"ena:{RUN}", url, FQ_MD5, len(FQ), str(out / "naked.fastq.gz"))
    assert ena.requests == [ENA_REPORT, ENA_FASTQ]
    write_lock([record], out / "lock.tsv")
    assert read_lock(out / "lock.tsv") == [record]
    assert _ena_download(ena, RUN, out / "x", label="naked_dna").accession == "naked_dna"


@pytest.mark.parametrize(
    ("blob", "json_"),
    [
        (["500"], []),
        (["drop"], []),
        (["truncate"], []),
        (["bad_md5"], []),
        ([], ["500"]),
        ([], ["drop"]),
        ([], ["truncate"]),
    ],
)
def test_ena_download_retries_each_fault(ena, out, blob, json_):
    ena.set_faults(blob=blob, json=json_)
    _ena_download(ena, RUN, out / "x")
    assert (out / "x").read_bytes() == FQ and [p.name for p in out.iterdir()] == ["x"]
    assert ena.blob_requests() == [ENA_FASTQ] * (1 + len(blob))
    assert [p for p in ena.requests if p.startswith("/ena/portal/")] == [ENA_REPORT] * (
        1 + len(json_)
    )


def test_ena_persistent_corruption_fails_naming_the_run_and_leaves_nothing(ena, out):
    ena.set_faults(blob=["bad_md5"], repeat=True)
    with pytest.raises(DownloadError, match=f"ena:{RUN}.*{ENA_FASTQ}.*after 3 tries.*md5 mismatch"):
        _ena_download(ena, RUN, out / "x")
    assert len(ena.blob_requests()) == 3 and list(out.iterdir()) == []
    ena.set_faults(json=["500"], repeat=True)
    with pytest.raises(PortalError, match=re.escape(ENA_REPORT) + ".*HTTP 500"):
        _ena_download(ena, RUN, out / "x")
    assert len(ena.blob_requests()) == 3 and list(out.iterdir()) == []


def test_ena_verified_file_is_not_fetched_again(ena, out):
    _ena_download(ena, RUN, out / "x")
    record = _ena_download(ena, RUN, out / "x")
    assert ena.blob_requests() == [ENA_FASTQ] and (record.md5, record.size) == (FQ_MD5, len(FQ))
    assert ena.requests.count(ENA_REPORT) == 2  # the report is read to know the md5


def test_ena_pinned_md5_must_match_and_skips_the_network_when_present(ena, out):
    message = f"ena:{RUN}: md5 of .*{RUN}.fastq.gz on ENA .* is {FQ_MD5}, but the configuration "
    with pytest.raises(MetadataError, match=message + f"pins {'0' * 32}"):
        _ena_download(ena, RUN, out / "x", expected_md5="0" * 32)
    assert ena.blob_requests() == [] and list(out.iterdir()) == []
    _ena_download(ena, RUN, out / "x", expected_md5=FQ_MD5.upper())
    n_requests = len(ena.requests)
    record = _ena_download(ena, RUN, out / "x", expected_md5=FQ_MD5)
    assert len(ena.requests) == n_requests and record.md5 == FQ_MD5  # verified locally
    with pytest.raises(ValueError, match="not 32 hex"):
        _ena_download(ena, RUN, out / "y", expected_md5="abc")


def test_ena_paired_run_needs_a_read(ena, out):
    names = ", ".join(MATES)
    with pytest.raises(
        MetadataError, match=rf"{PAIRED} .* 3 FASTQ files \({names}\).*read to 1 or 2"
    ):
        _ena_download(ena, PAIRED, out / "x")
    with pytest.raises(MetadataError, match=rf"0 FASTQ files for read 3 .*the run has {names}"):
        _ena_download(ena, PAIRED, out / "x", read=3)
    assert ena.blob_requests() == []
    record = _ena_download(ena, PAIRED, out / "r2.fastq.gz", read=2)
    assert (out / "r2.fastq.gz").read_bytes() == MATES[f"{PAIRED}_2.fastq.gz"]
    assert record.accession == f"ena:{PAIRED}/{PAIRED}_2.fastq.gz"
    assert ena.blob_requests() == [f"/ena/fastq/{PAIRED}/{PAIRED}_2.fastq.gz"]
    # A single-end run has no mate 1.
    with pytest.raises(MetadataError, match=f"read 1 .*the run has {RUN}.fastq.gz"):
        _ena_download(ena, RUN, out / "y", read=1)


def test_ena_bad_arguments_are_refused_before_any_request(ena, out):
    for run in ("SRR12", "ENCFF000AAA", "SRR1565781&result=x"):
        with pytest.raises(
            ValueError, match=f"invalid SRA/ENA/DDBJ run accession '{re.escape(run)}'"
        ):
            _ena_download(ena, run, out / "x")
    for bad in ({"read": 0}, {"read": True}, {"read": "2"}, {"file_scheme": "ftp"}):
        with pytest.raises(ValueError, match=RUN):
            _ena_download(ena, RUN, out / "x", **bad)
    assert ena.requests == []


def test_ena_unknown_run_is_named_with_the_report_url(ena, out):
    with pytest.raises(
        MetadataError, match=r"ENA run SRR9999999 \(http://127.*SRR9999999.*\): the run is not in"
    ):
        _ena_download(ena, "SRR9999999", out / "x", retries=0)
    assert ena.blob_requests() == []
