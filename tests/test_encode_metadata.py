"""attrprior.genomics.encode_metadata: accessions, file objects, replicates, controls, Zenodo
records and ENA run reports, checked."""

import hashlib
import re

import pytest
from encode_objects import ACC, EXPERIMENT, MATES, MD5, PAIRED, RUN, UNFILTERED, file_object

from attrprior.genomics.encode_metadata import (
    MetadataError,
    check_file_metadata,
    control_experiments,
    ena_run_files,
    first_control,
    replicate_files,
    resolve_file,
    select_files,
    validate_accession,
    validate_file_reference,
    zenodo_file,
)


@pytest.mark.parametrize(
    ("accession", "kind"),
    [
        ("ENCSR000BGQ", "experiment"),
        ("ENCFF071ZMW", "file"),
        ("GRCh38_no_alt.15-x", "alias"),
        ("SRR1565781", "run"),
        ("ERR000001", "run"),
        ("DRR12345678", "run"),
    ],
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
        ("SRR12345", "run"),
        ("srr1565781", "run"),
        ("SRX1565781", "run"),
        ("SRR1565781/x", "run"),
    ],
)
def test_malformed_accessions_raise_naming_them(accession, kind):
    with pytest.raises(ValueError, match=re.escape(repr(accession))):
        validate_accession(accession, kind)


def test_malformed_accession_messages_name_who_issues_them():
    with pytest.raises(ValueError, match="invalid SRA/ENA/DDBJ run accession 'SRR1'.*SRR1565781"):
        validate_accession("SRR1", "run")
    with pytest.raises(ValueError, match="invalid ENCODE file accession"):
        validate_accession("SRR1565781", "file")


def test_file_reference_takes_accessions_and_aliases_only():
    assert validate_file_reference("ENCFF071ZMW") == "ENCFF071ZMW"
    assert validate_file_reference("GRCh38_no_alt_analysis_set_GCA_000001405.15")
    for bad in ("ENCFF12", "encff071zmw", "ENCSR000BGQ", "a/b", ""):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            validate_file_reference(bad)


def test_select_files_and_controls():
    chosen = select_files(EXPERIMENT, "unfiltered alignments", "GRCh38")
    assert [f["accession"] for f in chosen] == ["ENCFF000UB1", "ENCFF000UB2"]
    assert [f["biological_replicates"] for f in chosen] == [[1], [2]]
    assert select_files(EXPERIMENT, "optimal IDR thresholded peaks", "GRCh38", "bam") == []
    assert control_experiments(EXPERIMENT) == ["ENCSR000CTL", "ENCSR000BGH"]
    with pytest.raises(MetadataError, match="ENCSR000AAA"):
        select_files({**EXPERIMENT, "files": ["/files/ENCFF000UB1/"]}, "alignments", "GRCh38")


def test_resolve_file_takes_the_one_match_the_released_one_or_the_preferred_default():
    dnase = {
        "accession": "ENCSR000EMT",
        "files": [
            file_object("ENCFF111AAA", "peaks", file_format="bed"),
            file_object("ENCFF222BBB", "peaks", file_format="bed"),
            file_object("ENCFF333CCC", "peaks", assembly="hg19", file_format="bed"),
            file_object("ENCFF444DDD", "alignments"),
        ],
    }
    assert resolve_file(dnase, "alignments", "GRCh38") == "ENCFF444DDD"
    with pytest.raises(MetadataError, match="ENCFF111AAA, ENCFF222BBB.*preferred_default"):
        resolve_file(dnase, "peaks", "GRCh38", "bed")
    dnase["files"][1]["preferred_default"] = True
    assert resolve_file(dnase, "peaks", "GRCh38", "bed") == "ENCFF222BBB"
    assert resolve_file(dnase, "peaks", "hg19") == "ENCFF333CCC"
    # A released file wins over an archived one, before preferred_default is asked.
    dnase["files"][1]["status"] = "archived"
    assert resolve_file(dnase, "peaks", "GRCh38", "bed") == "ENCFF111AAA"
    with pytest.raises(
        MetadataError, match=r"ENCSR000EMT.*'replicated peaks'.*\['alignments', 'peaks'\]"
    ):
        resolve_file(dnase, "replicated peaks", "GRCh38")


REPLICATED = {
    "accession": "ENCSR000REP",
    "possible_controls": [],
    "files": [
        file_object("ENCFF200REL", UNFILTERED, rep=2),
        file_object("ENCFF100ARC", UNFILTERED, rep=1, status="archived"),  # older duplicate
        file_object("ENCFF100REL", UNFILTERED, rep=1),
        file_object("ENCFF200REV", UNFILTERED, rep=2, status="revoked"),
        file_object("ENCFF100HGX", UNFILTERED, rep=1, assembly="hg19"),
        file_object("ENCFF100ALN", "alignments", rep=1),
        file_object("ENCFF100BED", UNFILTERED, rep=1, file_format="bed"),
    ],
}


def test_replicate_files_take_one_file_per_replicate():
    chosen = replicate_files(REPLICATED, UNFILTERED, "GRCh38", "bam")
    # Released over archived; revoked, other assemblies, formats and output types dropped.
    assert [f["accession"] for f in chosen] == ["ENCFF100REL", "ENCFF200REL"]
    assert [f["accession"] for f in replicate_files(REPLICATED, UNFILTERED, "hg19")] == [
        "ENCFF100HGX"
    ]
    # Archived files count where nothing is released; a file pooled from [2, 1] is a
    # replicate group of its own, after [1] and [2].
    archived = {
        "accession": "ENCSR000ARC",
        "files": [
            file_object("ENCFF312POO", UNFILTERED, rep=[2, 1], status="archived"),
            file_object("ENCFF100ARC", UNFILTERED, rep=1, status="archived"),
        ],
    }
    assert [f["accession"] for f in replicate_files(archived, UNFILTERED, "GRCh38")] == [
        "ENCFF100ARC",
        "ENCFF312POO",
    ]


def test_replicate_files_prefer_the_preferred_default_else_stop():
    twice = {
        "accession": "ENCSR000TWO",
        "files": [
            file_object("ENCFF100AAA", UNFILTERED, rep=1),
            file_object("ENCFF200AAA", UNFILTERED, rep=2),
            file_object("ENCFF200BBB", UNFILTERED, rep=2),
            file_object(
                "ENCFF200ARC", UNFILTERED, rep=2, status="archived", preferred_default=True
            ),
        ],
    }
    with pytest.raises(
        MetadataError,
        match=r"ENCSR000TWO: biological replicate 2 has 2 'unfiltered alignments' files "
        r"\(ENCFF200AAA, ENCFF200BBB\).*list the accessions in the configuration",
    ):
        replicate_files(twice, UNFILTERED, "GRCh38")
    twice["files"][2]["preferred_default"] = True
    chosen = replicate_files(twice, UNFILTERED, "GRCh38")
    assert [f["accession"] for f in chosen] == ["ENCFF100AAA", "ENCFF200BBB"]


def test_replicate_files_without_candidates_or_replicates_stop():
    with pytest.raises(
        MetadataError,
        match=r"ENCSR000REP: no released or archived GRCh38 file with output type "
        r"'filtered alignments'"
        r".*\['alignments', 'unfiltered alignments'\]",
    ):
        replicate_files(REPLICATED, "filtered alignments", "GRCh38")
    bare = {"accession": "ENCSR000BAR", "files": [file_object("ENCFF100AAA", UNFILTERED)]}
    del bare["files"][0]["biological_replicates"]
    with pytest.raises(MetadataError, match="ENCFF100AAA.*biological_replicates"):
        replicate_files(bare, UNFILTERED, "GRCh38")


def test_first_control_is_the_first_possible_control():
    assert first_control(EXPERIMENT) == "ENCSR000CTL"
    with pytest.raises(MetadataError, match="ENCSR000REP.*no possible_controls"):
        first_control(REPLICATED)


def test_check_file_metadata_names_the_accession():
    meta = {"accession": ACC, "href": "/x", "md5sum": MD5, "file_size": 1, "status": "released"}
    check_file_metadata(meta, accession=ACC)
    with pytest.raises(MetadataError, match=f"{ACC}.*md5sum"):
        check_file_metadata({k: v for k, v in meta.items() if k != "md5sum"}, accession=ACC)
    with pytest.raises(MetadataError, match=f"{ACC}.*'replaced'"):
        check_file_metadata({**meta, "status": "replaced"}, accession=ACC)


def test_zenodo_file_reads_both_api_generations():
    url = "https://zenodo.org/api/records/5"
    current = {
        "files": [{"key": "a.gz", "size": 3, "checksum": f"md5:{MD5}", "links": {"self": "/x/a"}}]
    }
    assert zenodo_file(current, "a.gz", record_url=url) == ("https://zenodo.org/x/a", MD5, 3)
    legacy = {
        "files": [
            {
                "filename": "a.gz",
                "filesize": 3,
                "checksum": MD5,
                "links": {"download": "https://zenodo.org/record/5/files/a.gz"},
            }
        ]
    }
    assert (
        zenodo_file(legacy, "a.gz", record_url=url)[0] == "https://zenodo.org/record/5/files/a.gz"
    )
    no_md5 = {"files": [{**current["files"][0], "checksum": "sha256:" + "0" * 64}]}
    with pytest.raises(MetadataError, match="no md5 checksum"):
        zenodo_file(no_md5, "a.gz", record_url=url)
    with pytest.raises(MetadataError, match="no files list"):
        zenodo_file({}, "a.gz", record_url=url)


# --------------------------------------------------------------------------- small parts


REPORT_URL = "https://www.ebi.ac.uk/ena/portal/api/filereport?accession=SRR1565781"


FTP = "ftp.sra.ebi.ac.uk/vol1/fastq"


# As ENA answers (md5s and sizes made up): single-end, then paired with an unpaired file.
SINGLE_ROW = {
    "run_accession": RUN,
    "fastq_ftp": f"{FTP}/SRR156/001/{RUN}/{RUN}.fastq.gz",
    "fastq_md5": "9E107D9D372BB6826BD81D3542A419D6",
    "fastq_bytes": "1481239407",
}


PAIRED_ROW = {
    "run_accession": PAIRED,
    "fastq_ftp": ";".join(f"{FTP}/ERR123/007/{PAIRED}/{name}" for name in MATES),
    "fastq_md5": ";".join(hashlib.md5(data).hexdigest() for data in MATES.values()),
    "fastq_bytes": ";".join(str(len(data)) for data in MATES.values()),
}


def test_ena_run_files_single_end_and_paired():
    assert ena_run_files([PAIRED_ROW, SINGLE_ROW], RUN, report_url=REPORT_URL) == [
        (f"{FTP}/SRR156/001/{RUN}/{RUN}.fastq.gz", "9e107d9d372bb6826bd81d3542a419d6", 1481239407)
    ]
    files = ena_run_files([PAIRED_ROW], PAIRED, report_url=REPORT_URL)
    assert [path.rsplit("/", 1)[1] for path, _, _ in files] == list(MATES)
    assert [(md5, size) for _, md5, size in files] == [
        (hashlib.md5(data).hexdigest(), len(data)) for data in MATES.values()
    ]


@pytest.mark.parametrize(
    ("report", "problem"),
    [
        ([], r"the run is not in the filereport \(runs listed: \[\]\)"),
        ([PAIRED_ROW], rf"not in the filereport \(runs listed: \['{PAIRED}'\]\)"),
        ([SINGLE_ROW, SINGLE_ROW], "lists the run 2 times"),
        ({"run_accession": RUN}, "not a JSON list of objects"),
        ([{**SINGLE_ROW, "fastq_ftp": "", "fastq_md5": "", "fastq_bytes": ""}], "no FASTQ"),
        ([{**SINGLE_ROW, "fastq_md5": f"{MD5};{MD5}"}], r"1, 2 and 1 entries"),
        ([{**SINGLE_ROW, "fastq_bytes": ""}], r"1, 1 and 0 entries"),
        ([{**SINGLE_ROW, "fastq_md5": "abc"}], "md5 'abc' of .*fastq.gz is not 32 hex"),
        ([{**SINGLE_ROW, "fastq_bytes": "1.5e9"}], "size '1.5e9' of .* is not an integer"),
        ([{**SINGLE_ROW, "fastq_bytes": "-1"}], "size '-1' .* not an integer"),
    ],
)
def test_ena_run_files_errors_name_the_run_and_report(report, problem):
    with pytest.raises(MetadataError, match=rf"ENA run {RUN} \({re.escape(REPORT_URL)}\).*"):
        ena_run_files(report, RUN, report_url=REPORT_URL)
    with pytest.raises(MetadataError, match=problem):
        ena_run_files(report, RUN, report_url=REPORT_URL)
