"""attrprior.genomics.koo_regions: peak-centred positives, DNase negatives, balanced and split."""

import logging

import numpy as np
import pandas as pd
from peak_tables import intervals

from attrprior.genomics.koo_regions import koo_task_regions


def _koo_inputs(n_chip=40, n_dnase=200, seed=1):
    rng = np.random.default_rng(seed)
    sizes = {"c1": 60_000, "c2": 40_000}

    def peaks(n):
        chrom = rng.choice(list(sizes), n)
        start = np.array([rng.integers(0, sizes[c] - 400) for c in chrom])
        end = start + rng.integers(50, 400, n)
        summit = np.array([rng.integers(-1, e - s) for s, e in zip(start, end, strict=True)])
        return pd.DataFrame({"chrom": chrom, "start": start, "end": end, "summit": summit})

    return sizes, peaks(n_chip), peaks(n_dnase)


def test_koo_regions_positives_negatives_and_splits():
    sizes, chip, dnase = _koo_inputs()
    blacklist = intervals("c2", [(0, 5000)])
    regions = koo_task_regions(chip, dnase, sizes, blacklist, seed=0)
    assert list(regions.columns) == ["chrom", "start", "end", "label", "split"]
    assert ((regions["end"] - regions["start"]) == 200).all()
    counts = regions.attrs["counts"]
    positives = regions[regions["label"] == 1]
    negatives = regions[regions["label"] == 0]
    # positives: the ChIP summits (-1: centre) +- 100, minus blacklisted / off-end / duplicates
    summit = chip["start"] + np.where(
        chip["summit"] == -1, (chip["end"] - chip["start"]) // 2, chip["summit"]
    )
    expected = set(zip(chip["chrom"], summit - 100, strict=True))
    expected = {(c, s) for c, s in expected if s >= 0 and s + 200 <= sizes[c]}
    expected = {(c, s) for c, s in expected if not (c == "c2" and s < 5000)}
    assert set(zip(positives["chrom"], positives["start"], strict=True)) == expected
    assert counts["positives"] == len(positives) == len(expected)
    # negatives never touch a ChIP peak, a positive region or the blacklist; balanced
    for row in negatives.itertuples():
        same = chip[chip["chrom"] == row.chrom]
        assert not ((same["start"] < row.end) & (same["end"] > row.start)).any()
        pos = positives[positives["chrom"] == row.chrom]
        assert not ((pos["start"] < row.end) & (pos["end"] > row.start)).any()
        assert not (row.chrom == "c2" and row.start < 5000)
    assert len(negatives) == len(positives) < counts["negative_candidates"]
    # sorted, splits 70 / 10 / 20 of the total
    key = list(zip(regions["chrom"].map({"c1": 0, "c2": 1}), regions["start"], strict=True))
    assert key == sorted(key)
    n = len(regions)
    sizes_by_split = regions["split"].value_counts().to_dict()
    for name, fraction in (("train", 0.7), ("valid", 0.1), ("test", 0.2)):
        assert abs(sizes_by_split[name] - fraction * n) < 1


def test_koo_regions_are_deterministic_per_seed():
    sizes, chip, dnase = _koo_inputs()
    a = koo_task_regions(chip, dnase, sizes, seed=5)
    b = koo_task_regions(chip.sample(frac=1.0, random_state=1), dnase, sizes, seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = koo_task_regions(chip, dnase, sizes, seed=6)
    assert not (a.equals(c))


def test_koo_regions_keep_all_negatives_when_too_few(caplog):
    sizes, chip, dnase = _koo_inputs(n_chip=60, n_dnase=20)
    with caplog.at_level(logging.WARNING, logger="attrprior.genomics.labels"):
        regions = koo_task_regions(chip, dnase, sizes)
    counts = regions.attrs["counts"]
    assert counts["negatives"] == counts["negative_candidates"] < counts["positives"]
    assert (regions["label"] == 0).sum() == counts["negatives"]
    assert "keeping all negatives" in caplog.text


def test_koo_regions_read_files(tmp_path):
    chip = tmp_path / "chip.narrowPeak"
    chip.write_text("c1\t1000\t1300\t.\t0\t.\t1\t1\t1\t50\n")
    dnase = tmp_path / "dnase.narrowPeak"
    dnase.write_text("c1\t1250\t1400\t.\t0\t.\t1\t1\t1\t10\nc1\t5000\t5300\t.\t0\t.\t1\t1\t1\t-1\n")
    regions = koo_task_regions(chip, dnase, {"c1": 10_000}, split_fractions={"train": 1.0})
    assert regions[["start", "end", "label"]].values.tolist() == [[950, 1150, 1], [5050, 5250, 0]]
    assert (regions["split"] == "train").all()
