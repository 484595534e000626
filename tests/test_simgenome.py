"""Tests for attrprior.sim.simgenome: a simulated genome written as a fake ENCODE portal."""

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile

import numpy as np
import pandas as pd
import pyBigWig
import pysam
import pytest
import requests
import yaml

from attrprior.genomics.tracks import DEFAULT_READ_FILTER, count_filtered_reads, filter_bam
from attrprior.pwms import load_jaspar_motifs
from attrprior.sequences import one_hot_encode
from attrprior.sim.portal import MockPortal
from attrprior.sim.simgenome import (
    BPNET_FILE,
    BPNET_RECORD,
    CHIP_ASSAY,
    DNASE_ASSAY,
    DNASE_CUT_WEIGHTS,
    FOOTPRINT_FILE,
    FOOTPRINT_RECORD,
    NAKED_DNASE_RUN,
    SimulationParams,
    TaskSpec,
    main,
    simulate_genome,
)

SIZES = {"chr1": 150_000, "chr2": 120_000, "chr3": 100_000}
NARROWPEAK_ROLES = ("optimal_peaks", "relaxed_peaks", "peaks")
EXPERIMENT_RE = re.compile(r"ENCSR\d{3}[A-Z]{3}")
FILE_RE = re.compile(r"ENCFF\d{3}[A-Z]{3}")
NP_COLUMNS = ["chrom", "start", "end", "name", "score", "strand", "signal", "p", "q", "summit"]
JUNK_SHARES = {"low_mapq": 0.4, "secondary": 0.2, "qc_fail": 0.2, "unmapped": 0.2}
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


@pytest.fixture(scope="module")
def motifs():
    jaspar = load_jaspar_motifs("JASPAR2016")
    return {k: jaspar[k] for k in ("MA0080.4", "MA0036.2", "MA0139.1")}


@pytest.fixture(scope="module")
def run(tmp_path_factory, motifs):
    out = tmp_path_factory.mktemp("sim0")
    summary = simulate_genome(out, seed=0, chrom_sizes=SIZES, motifs=motifs)
    return out, summary


@pytest.fixture(scope="module")
def manifest(run):
    return yaml.safe_load((run[0] / "manifest.yaml").read_text())


# --------------------------------------------------------------------------------- helpers


def _md5s(root):
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _blob(out, accession):
    meta = json.loads((out / "portal" / "files" / f"{accession}.json").read_text())
    return out / "portal" / "files" / accession / meta["href"].rsplit("/", 1)[-1]


def _read_fasta(path):
    chroms, name, lines = {}, None, []
    for line in gzip.open(path, "rt"):
        line = line.rstrip("\n")
        if line.startswith(">"):
            if name is not None:
                chroms[name] = "".join(lines)
            name, lines = line[1:], []
        else:
            assert len(line) <= 60
            lines.append(line)
    chroms[name] = "".join(lines)
    return chroms


def _narrowpeak(path):
    return pd.read_csv(path, sep="\t", header=None, names=NP_COLUMNS, compression="gzip")


def _truth(out, name):
    return pd.read_csv(out / "truth" / name, sep="\t").rename(columns={"#chrom": "chrom"})


def _contains(peaks, chrom, pos):
    same = peaks[peaks["chrom"] == chrom]
    return bool(((same["start"] <= pos) & (pos < same["end"])).any())


def _genome(out, manifest):
    return _read_fasta(out / manifest["reference"]["genome"]["path"])


def _zenodo_path(out, entry):
    return out / "portal" / "zenodo" / "files" / str(entry["record"]) / entry["file"]


def _members(out, entry):
    """Member path -> bytes of a simulated Zenodo archive."""
    with tarfile.open(_zenodo_path(out, entry)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _bed_bytes_table(data, names):
    return pd.read_csv(io.BytesIO(gzip.decompress(data)), sep="\t", header=None, names=names)


def _passes(read):
    """Whether an alignment passes the reference's samtools view -F 780 -q 30."""
    return not read.flag & 780 and read.mapping_quality >= 30


def _kind(read):
    """Junk kind of an alignment, or "real"."""
    if read.is_unmapped:
        return "unmapped"
    if read.is_secondary:
        return "secondary"
    if read.is_qcfail:
        return "qc_fail"
    return "low_mapq" if read.mapping_quality < 30 else "real"


def _revcomp(sequence):
    return sequence.translate(COMPLEMENT)[::-1]


def _cut_weight(kmer):
    """DNASE_CUT_WEIGHTS weight of the 4 bases around a cut (on the read's strand)."""
    if len(kmer) != 4 or "N" in kmer:
        return 0.0
    return float(np.prod([DNASE_CUT_WEIGHTS[i, "ACGT".index(b)] for i, b in enumerate(kmer)]))


def _background_cut_weights(genome):
    """Cut weights of 5000 seeded random positions per chromosome (N-free ones only)."""
    rng = np.random.default_rng(0)
    weights = [
        _cut_weight(sequence[p - 2 : p + 2])
        for sequence in genome.values()
        for p in rng.integers(2, len(sequence) - 2, size=5000)
    ]
    return np.array([w for w in weights if w > 0])


def _all_bams(manifest):
    """Every BAM accession of the manifest: ChIP, DNase and control replicates."""
    accessions = [a for e in manifest["experiments"].values() for a in e["files"]["alignments"]]
    accessions += [a for c in manifest["controls"].values() for a in c["alignments"]]
    return accessions


# --------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(run, motifs, tmp_path):
    out, summary = run
    again = simulate_genome(tmp_path, seed=0, chrom_sizes=SIZES, motifs=motifs)
    assert _md5s(tmp_path) == _md5s(out)
    assert again.files == summary.files and len(summary.files) == len(_md5s(out))


def test_different_seed_gives_different_files(run, manifest, motifs, tmp_path):
    out, _ = run
    simulate_genome(tmp_path, seed=1, chrom_sizes=SIZES, motifs=motifs)
    other = yaml.safe_load((tmp_path / "manifest.yaml").read_text())
    genome = manifest["reference"]["genome"]["path"]
    assert other["reference"]["genome"]["path"] == genome  # aliases do not depend on the seed
    assert _md5s(tmp_path)[genome] != _md5s(out)[genome]
    assert other["experiments"]["SPI1_simK562"]["accession"] == "ENCSR901AAE"
    assert manifest["experiments"]["SPI1_simK562"]["accession"] == "ENCSR900AAE"


def test_refuses_to_overwrite_unless_asked(run, motifs, tmp_path):
    out, _ = run
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "stale.json").write_text("{}")
    with pytest.raises(FileExistsError):
        simulate_genome(tmp_path, chrom_sizes=SIZES, motifs=motifs)
    simulate_genome(tmp_path, chrom_sizes=SIZES, motifs=motifs, overwrite=True)
    assert _md5s(tmp_path) == _md5s(out)


# --------------------------------------------------------------------------------- genome


def test_fasta_matches_chrom_sizes(run, manifest):
    out, summary = run
    sizes_path = out / manifest["reference"]["chrom_sizes"]["path"]
    sizes = dict(line.split("\t") for line in sizes_path.read_text().splitlines())
    assert {k: int(v) for k, v in sizes.items()} == SIZES == summary.chrom_sizes
    genome = _genome(out, manifest)
    assert list(genome) == list(SIZES)
    assert {k: len(v) for k, v in genome.items()} == SIZES
    for sequence in genome.values():
        assert sequence.startswith("N" * 100) and sequence.endswith("N" * 50)
        assert set(sequence) <= set("ACGTN")
    assert re.search(r"[ACGT]N{500,}[ACGT]", genome["chr1"])  # the internal gap
    bases = "".join(genome.values()).replace("N", "")
    gc = (bases.count("G") + bases.count("C")) / len(bases)
    assert abs(gc - 0.41) < 0.01


def test_blacklist_is_sorted_bed3_off_gaps(run, manifest):
    out, _ = run
    genome = _genome(out, manifest)
    table = pd.read_csv(
        out / manifest["reference"]["blacklist"]["path"], sep="\t", header=None, compression="gzip"
    )
    assert table.shape[1] == 3 and len(table) >= len(SIZES)
    for chrom, start, end in table.itertuples(index=False):
        assert 0 < start < end <= SIZES[chrom] and "N" not in genome[chrom][start:end]
    assert table.equals(table.sort_values([0, 1, 2]).reset_index(drop=True))


# --------------------------------------------------------------------------------- portal


def test_file_objects_match_their_bytes(run):
    out, _ = run
    files = out / "portal" / "files"
    objects = sorted(files.glob("*.json"))
    assert len(objects) == len([p for p in files.iterdir() if p.is_dir()])
    for path in objects:
        meta = json.loads(path.read_text())
        key = path.stem
        assert meta["accession"] == key and meta["status"] == "released"
        assert meta["assembly"] == "simGRCh38"
        if not key.startswith("simGRCh38_"):
            assert FILE_RE.fullmatch(key)
        name = meta["href"].rsplit("/", 1)[-1]
        assert meta["href"] == f"/files/{key}/@@download/{name}" and name.startswith(key)
        data = (files / key / name).read_bytes()
        assert meta["md5sum"] == hashlib.md5(data).hexdigest()
        assert meta["file_size"] == len(data)
        assert meta["file_format"] in {"bed", "bam", "fasta", "tsv"}
        expected_type = {"bed": {"narrowPeak", "bed3+"}}.get(meta["file_format"], {None})
        assert meta["file_format_type"] in expected_type
        assert isinstance(meta["biological_replicates"], list)


def test_experiment_objects_and_manifest_agree(run, manifest):
    out, summary = run
    portal = out / "portal"
    experiments = {p.stem: json.loads(p.read_text()) for p in (portal / "experiments").glob("*")}
    assert set(summary.experiments.values()) == set(experiments)
    for accession, experiment in experiments.items():
        assert EXPERIMENT_RE.fullmatch(accession) and experiment["accession"] == accession
        for embedded in experiment["files"]:
            stored = json.loads((portal / "files" / f"{embedded['accession']}.json").read_text())
            assert embedded == stored and stored["dataset"] == f"/experiments/{accession}/"
        for control in experiment["possible_controls"]:
            assert experiments[control["accession"]]["assay_title"] == "Control ChIP-seq"
    for name, entry in manifest["experiments"].items():
        experiment = experiments[entry["accession"]]
        assert experiment["assay_title"] == entry["assay"]
        assert experiment["biosample_ontology"]["term_name"] == entry["cell_type"]
        output_types = {f["accession"]: f["output_type"] for f in experiment["files"]}
        if entry["assay"] == CHIP_ASSAY:
            assert experiment["target"]["label"] == entry["target"] == name.split("_")[0]
            assert experiment["possible_controls"][0]["accession"] == entry["control"]
            roles = entry["files"]
            assert output_types[roles["optimal_peaks"]] == "optimal IDR thresholded peaks"
            assert output_types[roles["relaxed_peaks"]] == "peaks and background as input for IDR"
            assert [output_types[a] for a in roles["alignments"]] == ["unfiltered alignments"] * 2
            assert (
                roles["control_alignments"] == manifest["controls"][entry["control"]]["alignments"]
            )
        else:
            assert output_types[entry["files"]["peaks"]] == "peaks"
            assert [output_types[a] for a in entry["files"]["alignments"]] == [
                "unfiltered alignments"
            ] * 2


# --------------------------------------------------------------------------------- ground truth


def test_planted_motifs_are_in_the_fasta_and_score_high(run, manifest, motifs):
    out, _ = run
    genome = _genome(out, manifest)
    instances = _truth(out, "motif_instances.bed")
    assert set(instances["class"]) == {"strong", "weak", "open", "decoy", "unbound"}
    background = np.log(np.array([0.295, 0.205, 0.205, 0.295]))[:, None]
    for row in instances.drop_duplicates(["chrom", "start"]).itertuples(index=False):
        sequence = genome[row.chrom][row.start : row.end]
        assert sequence == row.sequence
        x = one_hot_encode(sequence)
        x = x[::-1, ::-1] if row.strand == "-" else x
        pwm = motifs[row.matrix_id].pwm
        score = float((x * (np.log(pwm + 1e-3) - background)).sum())
        best = float((np.log(pwm.max(axis=0) + 1e-3) - background.min()).sum())
        assert score > 0.3 * best, (row, score, best)


def test_truth_tables_are_consistent(run, manifest):
    out, summary = run
    instances = _truth(out, "motif_instances.bed")
    for name, path in manifest["truth"]["bound_sites"].items():
        sites = pd.read_csv(out / path, sep="\t").rename(columns={"#chrom": "chrom"})
        assert len(sites) == summary.n_sites[name] and (sites["task"] == name).all()
        bound = instances[(instances["task"] == name) & (instances["bound"] == 1)]
        centres = set(zip(sites["chrom"], sites["start"], strict=True))
        motif_centres = set(
            zip(bound["chrom"], bound["start"] + (bound["end"] - bound["start"]) // 2, strict=True)
        )
        assert motif_centres <= centres
    # SPI1 in two cell types share about half their sites.
    a, b = (
        set(instances.query("task == @t and bound == 1")["start"])
        for t in ("SPI1_simGM12878", "SPI1_simK562")
    )
    assert 0.3 < len(a & b) / len(a) < 0.7


# --------------------------------------------------------------------------------- peaks


def test_narrowpeak_files_are_valid(run, manifest):
    out, _ = run
    for entry in manifest["experiments"].values():
        for role in NARROWPEAK_ROLES:
            if role not in entry["files"]:
                continue
            peaks = _narrowpeak(_blob(out, entry["files"][role]))
            assert peaks.shape[1] == 10 and len(peaks) > 0
            assert (peaks["start"] >= 0).all() and (peaks["end"] > peaks["start"]).all()
            assert (peaks["end"] <= peaks["chrom"].map(SIZES)).all()
            assert (
                (peaks["summit"] >= 0) & (peaks["summit"] < peaks["end"] - peaks["start"])
            ).all()
            assert peaks["score"].between(0, 1000).all() and (peaks["strand"] == ".").all()
            rank = peaks["chrom"].map({c: i for i, c in enumerate(SIZES)})
            order = np.lexsort((peaks["end"], peaks["start"], rank))
            assert (order == np.arange(len(peaks))).all()


def test_chip_peaks_follow_the_truth(run, manifest):
    out, _ = run
    for name, entry in manifest["experiments"].items():
        if entry["assay"] != CHIP_ASSAY:
            continue
        optimal = _narrowpeak(_blob(out, entry["files"]["optimal_peaks"]))
        relaxed = _narrowpeak(_blob(out, entry["files"]["relaxed_peaks"]))
        sites = pd.read_csv(out / manifest["truth"]["bound_sites"][name], sep="\t")
        for chrom, centre, strength in sites[["#chrom", "start", "strength"]].itertuples(False):
            assert _contains(relaxed, chrom, centre)
            assert _contains(optimal, chrom, centre) == (strength == "strong")
        for peak in optimal.itertuples(index=False):
            summit = peak.start + peak.summit
            near = sites[(sites["#chrom"] == peak.chrom) & (sites["start"].sub(summit).abs() <= 15)]
            assert len(near) == 1 and peak.start <= near["start"].iloc[0] < peak.end
        merged = relaxed.merge(optimal, how="inner")
        assert len(merged) == len(optimal)  # relaxed contains every optimal peak as is
        assert len(relaxed) > len(optimal) and relaxed["signal"].min() < optimal["signal"].min()


def test_dnase_peaks_cover_open_sites_and_footprints(run, manifest):
    out, _ = run
    entry = manifest["experiments"]["DNase_simK562"]
    peaks = _narrowpeak(_blob(out, entry["files"]["peaks"]))
    open_sites = pd.read_csv(out / manifest["truth"]["bound_sites"]["DNase_simK562"], sep="\t")
    assert len(peaks) == len(open_sites)
    for chrom, centre in open_sites[["#chrom", "start"]].itertuples(index=False):
        assert _contains(peaks, chrom, centre)
    for name in ("SPI1_simK562", "GATA2_simK562"):  # ChIP-bound sites of K562 are open
        bound = pd.read_csv(out / manifest["truth"]["bound_sites"][name], sep="\t")
        assert set(zip(bound["#chrom"], bound["start"], strict=True)) <= set(
            zip(open_sites["#chrom"], open_sites["start"], strict=True)
        )
    footprints = pd.read_csv(_blob(out, entry["files"]["footprints"]), sep="\t", header=None)
    assert len(footprints) > 0 and set(footprints[3]) == {"SPI1", "GATA2", "CTCF"}
    for chrom, start, end in footprints[[0, 1, 2]].itertuples(index=False):
        assert 20 <= end - start <= 30
        inside = peaks[
            (peaks["chrom"] == chrom) & (peaks["start"] <= start) & (peaks["end"] >= end)
        ]
        assert len(inside) == 1


# --------------------------------------------------------------------------------- reads


def _five_prime_offsets(bam, sites, window=300):
    """5′ end minus the nearest site centre, per strand, for reads within ``window`` that pass
    the reference's filter."""
    offsets = {"+": [], "-": []}
    for chrom, centre in sites:
        for read in bam.fetch(chrom, max(0, centre - window), centre + window):
            if not _passes(read):
                continue
            five = read.reference_end - 1 if read.is_reverse else read.reference_start
            if abs(five - centre) < window:
                offsets["-" if read.is_reverse else "+"].append(five - centre)
    return {strand: np.array(values) for strand, values in offsets.items()}


def _indexed_copy(out, accession, tmp_path):
    path = tmp_path / f"{accession}.bam"
    shutil.copy(_blob(out, accession), path)
    pysam.index(str(path))
    return path


def test_bams_are_sorted_valid_and_stranded(run, manifest, tmp_path):
    out, summary = run
    genome = _genome(out, manifest)
    entry = manifest["experiments"]["SPI1_simGM12878"]
    assert not list((out / "portal").rglob("*.bai"))
    path = _indexed_copy(out, entry["files"]["alignments"][0], tmp_path)
    with pysam.AlignmentFile(str(path)) as bam:
        assert bam.header.to_dict()["HD"]["SO"] == "coordinate"
        assert dict(zip(bam.references, bam.lengths, strict=True)) == SIZES
        reads = list(bam)
        assert len(reads) == summary.n_reads[path.stem]
        keys = [(r.reference_id if r.reference_id >= 0 else 99, r.reference_start) for r in reads]
        assert keys == sorted(keys)  # unmapped reads (no position) last
        kept = [r for r in reads if _passes(r)]
        assert 0.9 < len(kept) / len(reads) < 1
        for read in kept[::50]:
            assert read.mapping_quality == 30 and read.cigarstring == "36M"
            assert read.flag in (0, 16)
            assert (
                read.query_sequence
                == genome[read.reference_name][read.reference_start : read.reference_end]
            )
        sites = pd.read_csv(out / manifest["truth"]["bound_sites"]["SPI1_simGM12878"], sep="\t")
        strong = sites[sites["strength"] == "strong"][["#chrom", "start"]].itertuples(False)
        offsets = _five_prime_offsets(bam, list(strong))
    # The classic ChIP-seq shape: + strand 5′ ends upstream of the centre, − strand downstream.
    assert offsets["+"].mean() < -40 and offsets["-"].mean() > 40


def test_bedtools_five_prime_coverage_shows_strand_shift(run, manifest, tmp_path):
    out, _ = run
    entry = manifest["experiments"]["GATA2_simK562"]
    path = _indexed_copy(out, entry["files"]["alignments"][1], tmp_path)
    path = filter_bam(path, tmp_path / "filtered.bam")  # samtools view -F 780 -q 30
    sites = pd.read_csv(out / manifest["truth"]["bound_sites"]["GATA2_simK562"], sep="\t")
    strong = sites[sites["strength"] == "strong"]
    means = {}
    for strand in "+-":
        command = ["bedtools", "genomecov", "-ibam", str(path), "-5", "-strand", strand, "-bg"]
        text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        rows = [line.split("\t") for line in text.splitlines()]
        offsets, weights = [], []
        for chrom, start, end, value in rows:
            for pos in range(int(start), int(end)):
                near = strong[(strong["#chrom"] == chrom) & (strong["start"].sub(pos).abs() < 300)]
                if len(near):
                    offsets.append(pos - near["start"].iloc[0])
                    weights.append(float(value))
        means[strand] = np.average(offsets, weights=weights)
    assert means["+"] < -40 < 40 < means["-"]


def _site_enrichment(out, manifest, accession, sites, tmp_path):
    """Reads per bp within 300 bp of the sites over reads per bp genome-wide."""
    path = _indexed_copy(out, accession, tmp_path)
    with pysam.AlignmentFile(str(path)) as bam:
        total = bam.mapped
        near = sum(bam.count(c, s - 300, s + 300) for c, s in sites)
    return (near / (600 * len(sites))) / (total / sum(SIZES.values()))


def test_control_has_no_enrichment_at_sites(run, manifest, tmp_path):
    out, _ = run
    entry = manifest["experiments"]["SPI1_simGM12878"]
    sites = pd.read_csv(out / manifest["truth"]["bound_sites"]["SPI1_simGM12878"], sep="\t")
    strong = list(sites[sites["strength"] == "strong"][["#chrom", "start"]].itertuples(False))
    chip = _site_enrichment(out, manifest, entry["files"]["alignments"][0], strong, tmp_path)
    control = _site_enrichment(
        out, manifest, entry["files"]["control_alignments"][0], strong, tmp_path
    )
    assert chip > 5 and 0.6 < control < 1.5


def test_dnase_cuts_concentrate_in_open_sites(run, manifest, tmp_path):
    out, _ = run
    entry = manifest["experiments"]["DNase_simK562"]
    sites = pd.read_csv(out / manifest["truth"]["bound_sites"]["DNase_simK562"], sep="\t")
    open_sites = list(sites[["#chrom", "start"]].itertuples(False))
    assert (
        _site_enrichment(out, manifest, entry["files"]["alignments"][0], open_sites, tmp_path) > 5
    )


def test_bams_hold_junk_of_each_kind_in_proportion(run, manifest):
    out, summary = run
    fraction = SimulationParams().junk_fraction
    peaks = {
        name: _narrowpeak(_blob(out, entry["files"]["optimal_peaks"]))
        for name, entry in manifest["experiments"].items()
        if entry["assay"] == CHIP_ASSAY
    }
    low_mapq_in_peaks = 0
    for accession in _all_bams(manifest):
        path = _blob(out, accession)
        with pysam.AlignmentFile(str(path)) as bam:
            reads = list(bam.fetch(until_eof=True))
        kinds = {}
        for read in reads:
            kinds.setdefault(_kind(read), []).append(read)
        real = kinds.pop("real")
        n_junk = sum(map(len, kinds.values()))
        assert n_junk == round(fraction * len(real) / (1 - fraction)) and n_junk > 0
        assert len(reads) == summary.n_reads[accession]
        assert abs(n_junk / len(reads) - fraction) < 0.001
        for kind, share in JUNK_SHARES.items():
            assert abs(len(kinds[kind]) - share * n_junk) <= 1, (accession, kind)
        assert all(r.mapping_quality == 30 and r.flag in (0, 16) for r in real)
        assert {r.mapping_quality for r in kinds["low_mapq"]} <= set(range(30))
        assert len({r.mapping_quality for r in kinds["low_mapq"]}) > 10
        assert all(r.flag & ~16 == 256 and r.mapping_quality == 30 for r in kinds["secondary"])
        assert all(r.flag & ~16 == 512 and r.mapping_quality == 30 for r in kinds["qc_fail"])
        assert all(r.flag == 4 and r.reference_id == -1 for r in kinds["unmapped"])
        assert reads[-len(kinds["unmapped"]) :] == kinds["unmapped"]  # at the end
        # Secondary alignments belong to real reads; QC-failed reads copy real ones.
        real_names = {r.query_name for r in real}
        assert {r.query_name for r in kinds["secondary"]} <= real_names
        places = {(r.reference_id, r.reference_start, r.is_reverse) for r in real}
        assert all(
            (r.reference_id, r.reference_start, r.is_reverse) in places for r in kinds["qc_fail"]
        )
        junk_names = [
            r.query_name for kind in ("low_mapq", "qc_fail", "unmapped") for r in kinds[kind]
        ]
        assert len(set(junk_names)) == len(junk_names) and not set(junk_names) & real_names
        for name, table in peaks.items():
            if accession in manifest["experiments"][name]["files"]["alignments"]:
                low_mapq_in_peaks += sum(
                    _contains(table, r.reference_name, r.reference_start) for r in kinds["low_mapq"]
                )
    assert low_mapq_in_peaks > 20  # multi-mappers inside peaks: filtering changes the signal
    total, kept = count_filtered_reads(_blob(out, _all_bams(manifest)[0]))
    assert 0.9 < kept / total < 1


def test_filtering_removes_exactly_the_junk(run, manifest, motifs, tmp_path):
    out, summary = run
    clean = tmp_path / "clean"
    params = SimulationParams(junk_fraction=0.0)
    clean_summary = simulate_genome(clean, seed=0, chrom_sizes=SIZES, motifs=motifs, params=params)
    assert clean_summary.files == summary.files
    for accession in _all_bams(manifest):
        filtered = filter_bam(_blob(out, accession), tmp_path / f"{accession}.bam")
        with pysam.AlignmentFile(str(filtered)) as kept:
            kept_records = [r.to_string() for r in kept.fetch(until_eof=True)]
        with pysam.AlignmentFile(str(_blob(clean, accession))) as bam:
            clean_records = [r.to_string() for r in bam.fetch(until_eof=True)]
        assert kept_records == clean_records and clean_records, accession
        assert count_filtered_reads(_blob(out, accession), DEFAULT_READ_FILTER) == (
            summary.n_reads[accession],
            clean_summary.n_reads[accession],
        )
    # Junk changes the BAMs (and the JSONs holding their md5) only: the files drawn from reads,
    # the BPNet-like bigWigs included, are those of the junk-free run.
    bams = _all_bams(manifest)
    may_change = {f"portal/files/{a}/{a}.bam" for a in bams} | {
        f"portal/files/{a}.json" for a in bams
    }
    may_change |= {f"portal/experiments/{a}.json" for a in summary.experiments.values()}
    clean_md5s, md5s = _md5s(clean), _md5s(out)
    changed = {name for name, md5 in clean_md5s.items() if md5s[name] != md5}
    assert {f"portal/files/{a}/{a}.bam" for a in bams} <= changed <= may_change | {"manifest.yaml"}


def test_dnase_cuts_follow_the_cut_preference_and_footprints(run, manifest):
    out, _ = run
    genome = _genome(out, manifest)
    entry = manifest["experiments"]["DNase_simK562"]
    background = _background_cut_weights(genome).mean()
    weights, five = [], {chrom: [] for chrom in SIZES}
    for accession in entry["files"]["alignments"]:
        with pysam.AlignmentFile(str(_blob(out, accession))) as bam:
            for read in bam.fetch(until_eof=True):
                if not _passes(read):
                    continue
                sequence = genome[read.reference_name]
                if read.is_reverse:
                    p = read.reference_end - 1
                    weights.append(_cut_weight(_revcomp(sequence[p - 1 : p + 3])))
                else:
                    p = read.reference_start
                    weights.append(_cut_weight(sequence[p - 2 : p + 2]))
                five[read.reference_name].append(p)
    assert np.mean(weights) > 1.1 * background
    # The footprints stay protected: fewer cuts per bp inside than in their flanks.
    cuts = {c: np.bincount(v, minlength=SIZES[c]) for c, v in five.items()}
    footprints = pd.read_csv(_blob(out, entry["files"]["footprints"]), sep="\t", header=None)
    inside = flank = inside_bp = 0
    for chrom, start, end in footprints[[0, 1, 2]].itertuples(index=False):
        inside += cuts[chrom][start:end].sum()
        inside_bp += end - start
        flank += cuts[chrom][start - 25 : start].sum() + cuts[chrom][end : end + 25].sum()
    assert inside / inside_bp < 0.5 * flank / (50 * len(footprints))


# --------------------------------------------------------------------------------- ENA run


def _fastq_records(path):
    lines = gzip.decompress(path.read_bytes()).decode("ascii").splitlines()
    assert len(lines) % 4 == 0
    return [lines[i : i + 4] for i in range(0, len(lines), 4)]


def test_naked_dnase_run_is_published(run, manifest):
    out, summary = run
    entry = manifest["ena"]["naked_dnase"]
    path = out / entry["path"]
    assert entry["run"] == NAKED_DNASE_RUN == "SRR9000001"
    assert entry["file"] == "SRR9000001.fastq.gz" and entry["cell_type"] == "simK562"
    assert path == out / "portal" / "ena" / "fastq" / "SRR9000001" / "SRR9000001.fastq.gz"
    assert str(path.relative_to(out)) in summary.files
    assert entry["reads"] == round(33_000 * sum(SIZES.values()) / 1e6)
    assert entry["read_length"] == 36
    data = path.read_bytes()
    assert entry["md5"] == hashlib.md5(data).hexdigest() and entry["size"] == len(data)
    assert data[3] == 0 and data[4:8] == bytes(4)  # gzip: no file name, mtime 0
    records = _fastq_records(path)
    assert len(records) == entry["reads"]
    for i, (name, sequence, plus, quality) in enumerate(records, start=1):
        assert name == f"@SRR9000001.{i}" and plus == "+"
        assert len(sequence) == 36 and set(sequence) <= set("ACGT") and quality == "I" * 36


def test_naked_dnase_report_row_matches_the_file(run, manifest):
    out, _ = run
    entry = manifest["ena"]["naked_dnase"]
    with MockPortal(out / "portal") as portal:
        answer = requests.get(
            f"{portal.url}/ena/portal/api/filereport",
            params={"accession": entry["run"], "result": "read_run", "format": "json"},
            timeout=10,
        )
        (row,) = answer.json()
        assert row["run_accession"] == "SRR9000001"
        assert row["fastq_md5"] == entry["md5"] and int(row["fastq_bytes"]) == entry["size"]
        url = "http://" + row["fastq_ftp"]
        assert url.endswith("/ena/fastq/SRR9000001/SRR9000001.fastq.gz")
        data = requests.get(url, timeout=10).content
    assert hashlib.md5(data).hexdigest() == entry["md5"] and len(data) == entry["size"]


def test_naked_dnase_reads_map_to_the_genome_with_the_cut_preference(run, manifest):
    out, _ = run
    genome = _genome(out, manifest)
    strands = {c: (s, _revcomp(s)) for c, s in genome.items()}  # + and - strand, 5' to 3'
    records = _fastq_records(out / manifest["ena"]["naked_dnase"]["path"])
    reads = [sequence for _, sequence, _, _ in records]
    weights, hits = [], {"+": 0, "-": 0}
    for sequence in reads[:: len(reads) // 400]:
        found = [
            (strand, text, text.find(sequence))
            for forward, backward in strands.values()
            for strand, text in (("+", forward), ("-", backward))
            if sequence in text
        ]
        assert len(found) == 1, sequence  # exactly one place, on one strand
        strand, text, at = found[0]
        hits[strand] += 1
        weights.append(_cut_weight(text[at - 2 : at + 2]))  # the 4 bases around the cut
    assert min(hits.values()) > 120  # both strands
    background = _background_cut_weights(genome)
    # Kept with probability w, cuts have mean weight E[w^2] / E[w] (0.42 against 0.33).
    assert np.mean(weights) > 1.15 * background.mean()
    weights = np.array(weights)
    assert np.mean(weights >= 0.5) > 1.5 * np.mean(background >= 0.5)  # favoured 4-mers
    assert np.mean(weights < 0.2) < 0.7 * np.mean(background < 0.2)  # disfavoured ones
    # Favoured first bases (C, G) over-represented at read 5' ends, A and T under-represented.
    bases = "".join(genome.values()).replace("N", "")
    first = "".join(sequence[0] for sequence in reads)
    ratio = {b: first.count(b) / len(first) / (bases.count(b) / len(bases)) for b in "ACGT"}
    assert ratio["C"] > 1.3 and ratio["G"] > 1.05 and ratio["A"] < 0.8 and ratio["T"] < 0.95


def test_naked_dnase_run_is_deterministic(run, manifest, motifs, tmp_path):
    out, _ = run
    params = SimulationParams(naked_dnase_reads_per_mb=2_000)
    for target in (tmp_path / "a", tmp_path / "b"):
        simulate_genome(target, seed=0, chrom_sizes=SIZES, motifs=motifs, params=params)
    name = manifest["ena"]["naked_dnase"]["path"]
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    small = yaml.safe_load((tmp_path / "a" / "manifest.yaml").read_text())["ena"]["naked_dnase"]
    assert small["reads"] == 740 and len(_fastq_records(tmp_path / "a" / name)) == 740
    # Another seed, other reads.
    simulate_genome(tmp_path / "c", seed=1, chrom_sizes=SIZES, motifs=motifs, params=params)
    assert (tmp_path / "c" / name).read_bytes() != (tmp_path / "a" / name).read_bytes()


# --------------------------------------------------------------------------------- Zenodo records


def test_zenodo_records_match_their_archives(run, manifest):
    out, summary = run
    zenodo = manifest["zenodo"]
    assert list(manifest)[-2:] == ["zenodo", "ena"] and list(zenodo) == ["bpnet", "footprints"]
    assert (zenodo["bpnet"]["record"], zenodo["bpnet"]["file"]) == (BPNET_RECORD, BPNET_FILE)
    assert (zenodo["footprints"]["record"], zenodo["footprints"]["file"]) == (
        FOOTPRINT_RECORD,
        FOOTPRINT_FILE,
    )
    for entry in zenodo.values():
        data = _zenodo_path(out, entry).read_bytes()
        md5 = hashlib.md5(data).hexdigest()
        assert entry["md5"] == md5 and entry["size"] == len(data)
        assert str(_zenodo_path(out, entry).relative_to(out)) in summary.files
        record_path = out / "portal" / "zenodo" / "records" / f"{entry['record']}.json"
        record = json.loads(record_path.read_text())
        assert record["id"] == entry["record"]
        assert record["doi"] == f"10.5281/zenodo.{entry['record']}"
        assert [(f["key"], f["size"], f["checksum"]) for f in record["files"]] == [
            (entry["file"], len(data), f"md5:{md5}")
        ]
        # Reproducible archives: gzip header without name or mtime, tar members normalised.
        assert data[3] == 0 and data[4:8] == bytes(4)  # FLG (no FNAME), MTIME
        with tarfile.open(_zenodo_path(out, entry)) as tar:
            members = tar.getmembers()
        assert [m.name for m in members] == sorted(entry["members"]) == entry["members"]
        for m in members:
            assert m.isfile() and m.mtime == 0 and m.mode == 0o644
            assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "", "")


def test_zenodo_archives_download_from_the_mock_portal(run, manifest):
    out, _ = run
    with MockPortal(out / "portal") as portal:
        for entry in manifest["zenodo"].values():
            record = requests.get(f"{portal.url}/api/records/{entry['record']}", timeout=10)
            link = record.json()["files"][0]["links"]["self"]
            data = requests.get(requests.compat.urljoin(record.url, link), timeout=10).content
            assert hashlib.md5(data).hexdigest() == entry["md5"]


def test_bpnet_archive_lists_the_documented_members(run, manifest):
    out, _ = run
    entry = manifest["zenodo"]["bpnet"]
    assert entry["cell_type"] == "simK562"
    assert entry["tasks"] == {"SPI1": "SPI1_simK562", "GATA2": "GATA2_simK562"}
    expected = [
        "data/chip-seq/input-control/counts.pos.bw",
        "data/chip-seq/input-control/counts.neg.bw",
    ]
    for tf in ("SPI1", "GATA2"):
        expected += [
            f"data/chip-seq/{tf}/counts.pos.bw",
            f"data/chip-seq/{tf}/counts.neg.bw",
            f"data/chip-seq/{tf}/idr-optimal-set.narrowPeak.gz",
            f"data/chip-seq/{tf}/idr-optimal-set.summit.bed.gz",
            f"data/chip-nexus/{tf}/idr-optimal-set.narrowPeak.gz",
        ]
    assert sorted(_members(out, entry)) == sorted(expected) == entry["members"]


def _five_prime_counts(bam_paths, reverse, filtered=True):
    """Per chromosome, the number of reads of one strand with their 5′ end at each base
    (only those passing the reference's filter if ``filtered``; unmapped ones never)."""
    counts = {chrom: np.zeros(size, dtype=np.int64) for chrom, size in SIZES.items()}
    for path in bam_paths:
        with pysam.AlignmentFile(str(path), "rb") as bam:
            for read in bam.fetch(until_eof=True):
                if read.is_unmapped or filtered and not _passes(read):
                    continue
                if read.is_reverse == reverse:
                    five = read.reference_end - 1 if reverse else read.reference_start
                    counts[read.reference_name][five] += 1
    return counts


def test_bpnet_bigwigs_are_five_prime_counts_of_the_bams(run, manifest, tmp_path):
    out, _ = run
    entry = manifest["zenodo"]["bpnet"]
    members = _members(out, entry)
    experiment = manifest["experiments"]["SPI1_simK562"]
    sources = {
        "SPI1": experiment["files"]["alignments"],  # both replicates, merged
        "input-control": experiment["files"]["control_alignments"],
    }
    for directory, accessions in sources.items():
        for strand, reverse in (("pos", False), ("neg", True)):
            expected = _five_prime_counts([_blob(out, a) for a in accessions], reverse)
            path = tmp_path / f"{directory}.{strand}.bw"
            path.write_bytes(members[f"data/chip-seq/{directory}/counts.{strand}.bw"])
            bigwig = pyBigWig.open(str(path))
            try:
                assert bigwig.chroms() == SIZES
                for chrom, size in SIZES.items():
                    values = np.nan_to_num(bigwig.values(chrom, 0, size, numpy=True))
                    assert values.sum() == expected[chrom].sum() > 0, (directory, strand, chrom)
                    assert np.array_equal(values, expected[chrom])
            finally:
                bigwig.close()
            # The junk would have counted: the bigWigs are of the filtered reads.
            unfiltered = _five_prime_counts([_blob(out, a) for a in accessions], reverse, False)
            assert sum(v.sum() for v in unfiltered.values()) > sum(
                v.sum() for v in expected.values()
            )


def test_bpnet_peaks_match_the_portal_and_the_truth(run, manifest):
    out, _ = run
    members = _members(out, manifest["zenodo"]["bpnet"])
    instances = _truth(out, "motif_instances.bed")
    for tf, task in manifest["zenodo"]["bpnet"]["tasks"].items():
        optimal = _blob(out, manifest["experiments"][task]["files"]["optimal_peaks"]).read_bytes()
        assert members[f"data/chip-seq/{tf}/idr-optimal-set.narrowPeak.gz"] == optimal
        peaks = _narrowpeak(io.BytesIO(optimal))
        summits = _bed_bytes_table(
            members[f"data/chip-seq/{tf}/idr-optimal-set.summit.bed.gz"], ["chrom", "start", "end"]
        )
        assert sorted(zip(summits["chrom"], summits["start"], strict=True)) == sorted(
            zip(peaks["chrom"], peaks["start"] + peaks["summit"], strict=True)
        )
        assert (summits["end"] - summits["start"] == 1).all()

        nexus = _narrowpeak(
            io.BytesIO(members[f"data/chip-nexus/{tf}/idr-optimal-set.narrowPeak.gz"])
        )
        strong = instances[(instances["task"] == task) & (instances["class"] == "strong")]
        assert len(nexus) == len(strong) == len(peaks) > 0
        width = nexus["end"] - nexus["start"]
        assert width.between(30, 50).all() and (nexus["signal"] > 0).all()
        for peak in nexus.itertuples(index=False):
            inside = strong[
                (strong["chrom"] == peak.chrom)
                & (strong["start"] >= peak.start)
                & (strong["end"] <= peak.end)
            ]
            assert len(inside) == 1, peak
            motif = inside.iloc[0]
            assert peak.start + peak.summit == motif["start"] + (motif["end"] - motif["start"]) // 2


def test_footprint_samples_are_different_subsets(run, manifest):
    out, _ = run
    entry = manifest["zenodo"]["footprints"]
    assert entry["cell_type"] == "simK562"
    members = _members(out, entry)
    assert sorted(members) == [
        "per_sample/h.simK562-DS00001.bed.gz",
        "per_sample/h.simK562-DS00002.bed.gz",
    ]
    published = pd.read_csv(
        _blob(out, manifest["experiments"]["DNase_simK562"]["files"]["footprints"]),
        sep="\t",
        header=None,
    )
    intervals = list(zip(published[0], published[1], published[2], strict=True))
    names = {f"fp{i}": interval for i, interval in enumerate(intervals, start=1)}
    samples = []
    for data in members.values():
        sample = _bed_bytes_table(data, ["chrom", "start", "end", "name", "score"])
        assert sample["score"].dtype == float
        rows = list(zip(sample["chrom"], sample["start"], sample["end"], strict=True))
        assert rows == sorted(rows, key=lambda r: (list(SIZES).index(r[0]), r[1], r[2]))
        assert all(names[n] == r for n, r in zip(sample["name"], rows, strict=True))
        assert 0.75 < len(rows) / len(intervals) < 0.85
        samples.append(set(rows))
    assert samples[0] != samples[1] and len(samples[0] | samples[1]) > len(samples[0])
    assert samples[0] | samples[1] <= set(intervals)


# --------------------------------------------------------------------------------- API and CLI


def test_invalid_tasks_are_rejected(motifs, tmp_path):
    spi1 = TaskSpec("SPI1_a", CHIP_ASSAY, "a", "SPI1", "MA0080.4")
    bad = [
        [spi1, spi1],
        [TaskSpec("x", CHIP_ASSAY, "a")],
        [spi1, TaskSpec("d", DNASE_ASSAY, "a", target="SPI1")],
        [spi1, TaskSpec("g", CHIP_ASSAY, "a", "GATA2", "MA0036.2", shares_sites_with="SPI1_a")],
        [TaskSpec("d", DNASE_ASSAY, "a")],
        [TaskSpec("y", "ATAC-seq", "a")],
    ]
    for tasks in bad:
        with pytest.raises(ValueError):
            simulate_genome(tmp_path, chrom_sizes=SIZES, tasks=tasks, motifs=motifs)
    with pytest.raises(ValueError, match="missing matrix IDs"):
        simulate_genome(
            tmp_path, chrom_sizes=SIZES, tasks=[TaskSpec("z", CHIP_ASSAY, "a", "Z", "MA9999.1")]
        )
    with pytest.raises(ValueError, match="at least 20000"):
        simulate_genome(tmp_path, chrom_sizes={"chr1": 5_000}, motifs=motifs)
    with pytest.raises(ValueError, match="junk_fraction"):
        simulate_genome(
            tmp_path, chrom_sizes=SIZES, motifs=motifs, params=SimulationParams(junk_fraction=0.6)
        )
    assert not list(tmp_path.iterdir())


def test_custom_tasks_and_params(motifs, tmp_path):
    tasks = [TaskSpec("GATA2_c", CHIP_ASSAY, "c", "GATA2", "MA0036.2")]
    params = SimulationParams(n_chip_replicates=1, weak_fraction=0.0, open_motif_id=None)
    summary = simulate_genome(
        tmp_path, seed=3, chrom_sizes={"chrA": 60_000}, tasks=tasks, params=params, motifs=motifs
    )
    manifest = yaml.safe_load((tmp_path / "manifest.yaml").read_text())
    assert list(manifest["experiments"]) == ["GATA2_c"]
    assert len(manifest["experiments"]["GATA2_c"]["files"]["alignments"]) == 1
    assert summary.n_sites == {"GATA2_c": 4}
    optimal = _narrowpeak(
        _blob(tmp_path, manifest["experiments"]["GATA2_c"]["files"]["optimal_peaks"])
    )
    assert len(optimal) == 4
    # One ChIP task and its control make a BPNet-like record; no DNase task, no footprints.
    assert list(manifest["zenodo"]) == ["bpnet"]
    assert manifest["zenodo"]["bpnet"]["tasks"] == {"GATA2": "GATA2_c"}
    assert manifest["zenodo"]["bpnet"]["cell_type"] == "c"
    assert not (tmp_path / "portal" / "zenodo" / "records" / f"{FOOTPRINT_RECORD}.json").exists()
    assert manifest["ena"] == {} and not (tmp_path / "portal" / "ena").exists()  # no DNase task


def test_cli_writes_the_small_scale(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--seed", "2", "--scale", "SMALL"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chrom_sizes"] == {"chr1": 200_000, "chr2": 150_000, "chr3": 100_000}
    assert (tmp_path / "manifest.yaml").is_file() and report["files"] > 40
