"""attrprior.genomics.downloads: download records, the lock file, local files with a pinned md5."""

import hashlib
import json
import re

import pytest
from encode_objects import MD5, UNFILTERED

from attrprior.genomics.downloads import (
    DownloadRecord,
    import_local_file,
    read_lock,
    read_records,
    write_record,
    write_records,
)


def test_read_lock_rejects_malformed_files(tmp_path):
    path = tmp_path / "bad.lock.tsv"
    path.write_text("accession\turl\n")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        read_lock(path)
    path.write_text("accession\turl\tmd5\tsize\tpath\nA\tu\tm\t1\tp\n")  # an old lock
    with pytest.raises(ValueError, match="header must be .* experiment output_type"):
        read_lock(path)
    header = "accession\turl\tmd5\tsize\tpath\texperiment\toutput_type\n"
    path.write_text(header + "A\tu\tm\tnot-a-size\tp\t\t\n")
    with pytest.raises(ValueError, match="line 2"):
        read_lock(path)


def test_records_of_one_or_many_files(tmp_path):
    one = DownloadRecord("ENCFF000AAA", "u", MD5, 1, "a")
    many = [one, DownloadRecord("ENCFF000BBB", "v", MD5, 2, "d/b", "ENCSR000AAA", UNFILTERED)]
    write_record(one, tmp_path / "one.json")
    write_records(many, tmp_path / "many.json")
    assert read_records(tmp_path / "one.json") == [one]
    assert read_records(tmp_path / "many.json") == many
    # A record written before the experiment and output_type fields existed.
    old = {"accession": "ENCFF000AAA", "url": "u", "md5": MD5, "size": 1, "path": "a"}
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert read_records(tmp_path / "old.json") == [one]


def test_import_local_file_links_checks_and_records(tmp_path):
    source = tmp_path / "mine" / "peaks.bed"
    source.parent.mkdir()
    source.write_text("chr1\t10\t20\n")
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    dest = tmp_path / "resources" / "external" / "my_peaks"
    record = import_local_file(source, dest, md5=md5.upper(), label="my_peaks")
    assert dest.is_symlink() and dest.resolve() == source.resolve()
    assert record == DownloadRecord(
        accession="my_peaks", url=source.resolve().as_uri(), md5=md5, size=11, path=str(dest)
    )
    # Again, now with a chromosome to rename: a renamed copy replaces the link.
    record = import_local_file(source, dest, label="my_peaks", chrom_aliases={"chr1": "1"})
    assert not dest.is_symlink() and dest.read_text() == "1\t10\t20\n"
    assert record.md5 == md5  # the md5 of the user's file, as the lock shows it
    assert sorted(p.name for p in dest.parent.iterdir()) == ["my_peaks"]


def test_import_local_file_refuses_a_wrong_md5_naming_file_and_key(tmp_path):
    source = tmp_path / "genome.fa"
    source.write_text(">chr1\nACGT\n")
    dest = tmp_path / "out" / "genome"
    with pytest.raises(ValueError) as error:
        import_local_file(source, dest, md5="0" * 32, label="genome")
    assert str(source) in str(error.value)
    assert "config key external.genome.md5 says 00000000" in str(error.value)
    assert not dest.exists()
