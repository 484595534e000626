"""Running on your own data: config/own_data_example.yaml on real CTCF ChIP-seq reads, peaks
and a piece of hg19 (tests/data/ctcf_chr22), all local files; checked against the data
themselves. And what stops such a run: chromosome names that differ, a wrong md5."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pysam
import pytest
import yaml
from snakemake_runner import ROOT, planned_jobs, snakemake, workdir_with

from attrprior.genomics.genome import GenomeArray
from attrprior.genomics.labels import load_binary_labels

CONFIG = ROOT / "config" / "own_data_example.yaml"
CTCF = ROOT / "tests" / "data" / "ctcf_chr22"


def absolute_config():
    """The example config with absolute paths, to be written anywhere."""
    config = yaml.safe_load(CONFIG.read_text())
    for entry in config["external"].values():
        entry["path"] = str((CONFIG.parent / entry["path"]).resolve())
    return config


def test_names_that_differ_stop_the_run_naming_both_files(tmp_path):
    config = absolute_config()
    del config["chrom_aliases"]
    result = snakemake(workdir_with(tmp_path, config), "-n", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "chromosome names differ" in output
    assert (
        f"{CTCF / 'hg19_chr22_part.fa.gz'} names ['22'] (1) but "
        f"{CTCF / 'CTCF_peaks.narrowPeak'} names ['chr22'] (1); none is shared; map them with "
        "the config key chrom_aliases"
    ) in output
    assert not (tmp_path / "resources").exists()  # before any job


def test_relative_paths_and_an_aliases_file_plan_the_whole_run(tmp_path):
    # As a user runs it, from another directory: the files' paths relative to the config
    # file, the aliases a two-column file beside it.
    config = yaml.safe_load(CONFIG.read_text())
    directory = tmp_path / "configs" / "mine"
    directory.mkdir(parents=True)
    for entry in config["external"].values():
        entry["path"] = os.path.relpath(CTCF / Path(entry["path"]).name, directory)
    (directory / "aliases.tsv").write_text("22\tchr22\n")
    config["chrom_aliases"] = "aliases.tsv"
    (directory / "own.yaml").write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    work.mkdir()
    result = snakemake(work, "-n", "--quiet", "rules", "--configfile", str(directory / "own.yaml"))
    jobs = planned_jobs(result.stdout)
    assert jobs["link_local_file"] == 4 and jobs["fasta_chrom_sizes"] == 1, jobs
    assert jobs["empty_blacklist"] == 1 and jobs["index_external_bam"] == 2, jobs
    assert "download_reference" not in jobs and "download_external" not in jobs, jobs


def test_a_wrong_md5_stops_the_run_naming_the_file(tmp_path):
    config = absolute_config()
    config["external"]["ctcf_peaks"]["md5"] = "0" * 32
    work = workdir_with(tmp_path, config)
    result = snakemake(work, "--cores", "1", "resources/external/ctcf_peaks", check=False)
    assert result.returncode != 0
    log = (work / "logs" / "download" / "external" / "ctcf_peaks.log").read_text()
    assert f"{CTCF / 'CTCF_peaks.narrowPeak'}: md5 cb0f1c85a4ca2840b5c93d594158505e" in log
    assert "config key external.ctcf_peaks.md5 says 00000000" in log
    assert not (work / "resources" / "external" / "ctcf_peaks").exists()


# --- the whole example, as a user runs it ---------------------------------------------------


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("own_data")
    snakemake(work, "--cores", "2", "--configfile", str(CONFIG))
    return work


@pytest.mark.slow
def test_the_lock_lists_the_local_files_with_md5(own_run):
    lock = pd.read_csv(
        own_run / "results" / "own_ctcf_profile" / "data" / "downloads.tsv", sep="\t"
    )
    config = yaml.safe_load(CONFIG.read_text())["external"]
    rows = lock.set_index("accession")
    for name in ("hg19_chr22_part", "ctcf_peaks", "ctcf_chip_bam", "ctcf_control_bam"):
        assert rows.loc[name, "md5"] == config[name]["md5"]
        assert rows.loc[name, "url"].startswith("file:///")
        assert rows.loc[name, "url"].endswith(config[name]["path"].split("/")[-1])


@pytest.mark.slow
def test_every_summit_is_in_a_positive_or_ambiguous_window(own_run):
    labels = load_binary_labels(own_run / "results" / "own_ctcf" / "data" / "labels.npz")
    peaks = pd.read_csv(CTCF / "CTCF_peaks.narrowPeak", sep="\t", header=None)
    summits = (peaks[1] + peaks[9]).to_numpy()
    assert len(summits) == 93
    bin_start = labels.start + labels.flank
    for summit in summits:
        central = (bin_start <= summit) & (summit < bin_start + labels.bin_size)
        assert central.any(), summit
        assert (labels.labels[central, 0] != 0).any(), summit


def filtered_reads(bam):
    """Reads that pass samtools view -F 780 -q 30 (the default read filter), counted here."""
    with pysam.AlignmentFile(str(bam)) as reads:
        return sum(
            1
            for read in reads.fetch(until_eof=True)
            if not read.flag & 780 and read.mapping_quality >= 30
        )


@pytest.mark.slow
def test_track_totals_equal_the_filtered_reads(own_run):
    tracks = own_run / "results" / "own_ctcf_profile" / "data" / "tracks"
    for track, bam in (("signal", "CTCF_ChIP.bam"), ("control", "CTCF_control.bam")):
        total = 0.0
        for strand in ("pos", "neg"):
            with pyBigWig.open(str(tracks / f"CTCF.{track}.{strand}.bigWig")) as bigwig:
                # An interval is a run of equal per-base counts: length x value.
                intervals = bigwig.intervals("chr22") or ()
                total += sum((end - start) * value for start, end, value in intervals)
        expected = filtered_reads(CTCF / bam)
        assert expected > 6000  # MAPQ 255 (unavailable) passes -q 30, as in samtools
        assert total == expected, (track, total, expected)


def ctcf_log_odds():
    """log2 odds against a uniform background of JASPAR 2016 MA0139.1 (CTCF), (4, 19)."""
    from pyjaspar import jaspardb

    counts = jaspardb(release="JASPAR2016").fetch_motif_by_id("MA0139.1").counts
    matrix = np.array([counts[base] for base in "ACGT"], dtype=float) + 0.25
    return np.log2(matrix / matrix.sum(axis=0) / 0.25)


def has_ctcf_site(one_hot, log_odds, threshold=10.0):
    """Whether each sequence (N, 4, L) holds a CTCF site (log-odds >= threshold), either
    strand."""
    width = log_odds.shape[1]
    reverse = log_odds[::-1, ::-1]
    windows = np.lib.stride_tricks.sliding_window_view(one_hot, width, axis=2)  # N, 4, P, w
    forward = np.einsum("nbpw,bw->np", windows, log_odds)
    backward = np.einsum("nbpw,bw->np", windows, reverse)
    return np.maximum(forward, backward).max(axis=1) >= threshold


@pytest.mark.slow
def test_the_ctcf_motif_is_enriched_in_positive_windows(own_run):
    labels = load_binary_labels(own_run / "results" / "own_ctcf" / "data" / "labels.npz")
    genome = GenomeArray(own_run / "resources" / "hg19_chr22_part" / "genome.npy")
    log_odds = ctcf_log_odds()
    positive = np.flatnonzero(labels.labels[:, 0] == 1)
    negative = np.random.default_rng(0).choice(
        np.flatnonzero(labels.labels[:, 0] == 0), size=2000, replace=False
    )
    fractions = []
    for index in (positive, negative):
        chroms = list(labels.chrom_names[labels.chrom[index]])
        x = genome.one_hot(chroms, labels.start[index], labels.window_length)
        fractions.append(has_ctcf_site(x.astype(np.float32), log_odds).mean())
    assert fractions[0] >= 4 * fractions[1], fractions


@pytest.mark.slow
def test_models_trained_explained_and_tabled(own_run):
    for dataset, model in (("own_ctcf", "tseng_binary"), ("own_ctcf_profile", "tseng_profile")):
        results = own_run / "results" / dataset
        assert (results / "tables" / "predictive.md").read_text().startswith("|")
        for condition in ("none", "fourier"):
            maps = np.load(results / "attributions" / model / condition / "seed0.npz")
            assert np.isfinite(maps["deepshap"]).all() and np.abs(maps["deepshap"]).sum() > 0
    # Rerunning finds everything up to date.
    result = snakemake(own_run, "-n", "--quiet", "rules", "--configfile", str(CONFIG))
    assert "Nothing to be done" in result.stdout + result.stderr
