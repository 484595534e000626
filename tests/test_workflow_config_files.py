"""attrprior.workflow.config_files: config files read once, duplicate keys refused, relative
paths resolved against the file that names them, local files and chromosome names."""

import os

import pytest

from attrprior.workflow.config_files import ConfigFiles, check_local_chrom_names


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_a_key_given_twice_names_the_file_and_both_lines(tmp_path):
    path = write(tmp_path / "c.yaml", "results: a\nseeds: 1\nresults: b\n")
    message = r"c.yaml, line 3: config key 'results' is given twice in one mapping \(first on"
    with pytest.raises(ValueError, match=message):
        ConfigFiles([path])
    # A key beside a merge overrides the merged mapping, by design.
    merged = write(tmp_path / "m.yaml", "base: &b {x: 1}\nuse:\n  <<: *b\n  x: 2\n")
    assert ConfigFiles([merged]).contents[merged]["use"] == {"x": 2}


def test_relative_paths_are_relative_to_the_last_file_naming_them(tmp_path, monkeypatch):
    first = write(tmp_path / "one" / "a.yaml", "external: {x: {path: data/x.bed}}\n")
    second = write(tmp_path / "two" / "b.yaml", "external: {x: {path: data/x.bed}}\n")
    third = write(tmp_path / "three" / "c.yaml", "results: r\n")
    files = ConfigFiles([first, second, third])
    assert files.relative(["external", "x", "path"], "data/x.bed") == tmp_path / "two/data/x.bed"
    assert ConfigFiles([first]).naming(["external", "x", "path"], "data/x.bed") == (
        tmp_path / "one" / "a.yaml"
    )
    # A value no file names (given with --config) is relative to the working directory.
    monkeypatch.chdir(tmp_path)
    assert files.relative(["external", "x", "path"], "other.bed") == tmp_path / "other.bed"
    assert str(files.relative(["any"], "/abs/file")) == "/abs/file"


def test_a_link_of_the_users_is_kept(tmp_path):
    target = write(tmp_path / "real" / "x.bed", "")
    (tmp_path / "cfg" / "data").mkdir(parents=True)
    os.symlink(target, tmp_path / "cfg" / "data" / "x.bed")
    path = write(tmp_path / "cfg" / "c.yaml", "external: {x: {path: data/x.bed}}\n")
    files = ConfigFiles([path])
    config = files.contents[path]
    assert files.local_files(config) == {"x": tmp_path / "cfg" / "data" / "x.bed"}


def test_local_files_and_aliases_name_the_key_when_missing(tmp_path):
    path = write(tmp_path / "c.yaml", "external: {x: {path: x.bed}}\nchrom_aliases: al.tsv\n")
    files = ConfigFiles([path])
    config = files.contents[path]
    with pytest.raises(ValueError, match=r"config key external.x.path: 'x.bed' is not a file"):
        files.local_files(config)
    with pytest.raises(ValueError, match=r"config key chrom_aliases: 'al.tsv' is not a file"):
        files.chrom_aliases(config)
    write(tmp_path / "al.tsv", "# name in files\tname to use\n22\tchr22\n")
    assert files.chrom_aliases(config) == {"22": "chr22"}
    assert files.chrom_aliases({"chrom_aliases": {22: "chr22"}}) == {"22": "chr22"}
    assert files.chrom_aliases({}) == {}


def genomic_config(peaks):
    source = {
        "assembly": "hg",
        "experiments": {"T": {"optimal_peaks": {"external": peaks}}},
    }
    return {
        "datasets": {"d": {"encode_binary": source}},
        "references": {"hg": {"fasta": {"external": "genome"}, "chroms": ["chr22"]}},
    }


def test_local_files_share_chromosome_names_with_the_genome(tmp_path):
    genome = tmp_path / "genome.fa"
    genome.write_text(">chr22\nACGT\n")
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("22\t0\t2\n")
    local = {"genome": genome, "peaks": peaks}
    with pytest.raises(ValueError, match="chrom_aliases"):
        check_local_chrom_names(genomic_config("peaks"), local, {})
    check_local_chrom_names(genomic_config("peaks"), local, {"22": "chr22"})
    config = genomic_config("peaks")
    config["references"]["hg"]["chroms"] = ["chr21"]
    with pytest.raises(ValueError, match=r"references.hg.chroms: \['chr21'\] are not in"):
        check_local_chrom_names(config, local, {"22": "chr22"})
