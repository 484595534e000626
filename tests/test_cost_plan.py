"""benchmarks/cost_plan.py: device-hours from step counts and timed steps, and its advice on
packing. Its count of jobs is checked against the workflow's plan in test_workflow.py."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from benchmark_scripts import load_benchmark

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cost_plan():
    return load_benchmark("cost_plan")


def test_plan_multiplies_steps_by_the_timed_seconds(cost_plan):
    kind = cost_plan.StepKind("cnn_shallow_relu", 200, 1, 200, None)
    seeds = cost_plan.Jobs("sim", "cnn_shallow_relu", "none", "seeds", 30, 3, 10, 4, 25, kind, True)
    tuning = cost_plan.Jobs(
        "sim", "cnn_shallow_relu", "none", "tuning", 12, 12, 1, 4, 25, kind, False
    )
    unknown = cost_plan.Jobs(
        "enc", "cnn_shallow_relu", "none", "seeds", 30, 3, 10, 4, None, kind, True
    )
    table = cost_plan.plan(
        [seeds, tuning, unknown], {(kind, 10): (0.36, 0.18), (kind, 1): (0.36, None)}
    )
    # 30 runs x 4 epochs x 25 steps = 3,000 steps: 3,000 x 0.36 s = 0.3 h alone, 0.15 h at
    # 0.18 s per packed seed; tuning runs are not packed: 12 x 100 x 0.36 s = 0.12 h either way.
    assert table["steps"].tolist()[:2] == [3000, 1200]
    assert table["device_hours"].tolist()[:2] == pytest.approx([0.3, 0.12])
    assert table["device_hours_packed"].tolist()[:2] == pytest.approx([0.15, 0.12])
    assert table["step_ms"].tolist()[0] == pytest.approx(360)
    assert table["packed_step_ms_per_seed"].tolist()[0] == pytest.approx(180)
    # A dataset without examples per epoch is listed but not costed.
    assert table["steps"].isna().tolist() == [False, False, True]
    assert math.isnan(table["device_hours"].tolist()[2])


@pytest.mark.parametrize(
    ("hours", "packed", "configured", "expected"),
    [
        (
            100.0,
            40.0,
            10,
            "packs of up to 10 seeds save 60% of the device-hours on this device: "
            "keep pack_seeds: 10",
        ),
        (
            100.0,
            40.0,
            1,
            "save 60% of the device-hours on this device: run with --config pack_seeds=10",
        ),
        (
            100.0,
            157.0,
            10,
            "packs of up to 10 seeds cost 57% more device-hours on this device: "
            "run with --config pack_seeds=1",
        ),
        (100.0, 157.0, 1, "cost 57% more device-hours on this device: keep pack_seeds: 1"),
        (
            246.4,
            251.6,
            10,
            "change the device-hours by +2% on this device, within the timings' noise (±5%)",
        ),
        (100.0, 95.0, 10, "change the device-hours by -5%"),
        (100.0, 94.0, 10, "save 6%"),
        (0.0, 0.0, 10, "packing: no training step of a counted dataset was timed"),
        (100.0, math.nan, 10, "packing: no training step of a counted dataset was timed"),
    ],
)
def test_packing_advice_follows_the_measured_totals(cost_plan, hours, packed, configured, expected):
    assert expected in cost_plan.packing_advice(hours, packed, 10, configured)


def test_packing_advice_says_what_it_does_not_cover(cost_plan):
    advice = cost_plan.packing_advice(100.0, 40.0, 10, 10, uncounted=4084)
    assert advice.endswith("(the counted datasets only: 4084 training runs are not counted)")
    assert "not counted" not in cost_plan.packing_advice(100.0, 40.0, 10, 10)
    # --pack-seeds 1 times no pack: nothing to weigh.
    assert cost_plan.packing_advice(100.0, 100.0, 1, 1) == (
        "packing not weighed: packs of 1 seed were asked for"
    )


def test_kept_steps_scale_an_epoch_by_the_share_of_peaks_kept(cost_plan):
    assert cost_plan.kept_steps(60_000, None, 128) == 469  # ceil(60,000 / 128)
    assert cost_plan.kept_steps(60_000, 0.01, 128) == 5  # ceil(600 / 128)
    # int(12,800 x 0.07) = 896 = 7 x 128, as the workflow truncates (12,800 x 0.07 is
    # 896.0000000000001 in floating point)
    assert cost_plan.kept_steps(12_800, 0.07, 128) == 7
    assert cost_plan.kept_steps(100, 0.01, 128) == 1  # never less than one step
    assert cost_plan.kept_steps(None, 0.01, 128) is None


def test_subsampled_conditions_of_the_paper_are_costed_on_their_share(cost_plan):
    config = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    jobs = cost_plan.training_jobs(config, {"spi1_encode": 60_000}, 1.0, 10)
    steps = {
        job.condition: job.steps_per_epoch
        for job in jobs
        if job.dataset == "spi1_encode" and job.kind == "seeds"
    }
    batch = config["datasets"]["spi1_encode"]["training"]["batch_size"]
    assert steps["none"] == steps["fourier"] == -(-60_000 // batch)
    assert steps["none_keep1"] == steps["fourier_keep1"] == -(-600 // batch)
    assert all(
        job.steps_per_epoch is None for job in jobs if job.dataset == "gata2_encode"
    )  # not given


def test_built_steps_count_an_epoch_of_the_built_inputs_or_name_what_is_missing(
    cost_plan, tmp_path
):
    x = np.zeros((40, 4, 30), dtype=np.float32)
    y = (np.arange(40) % 2).astype(np.float32)[:, None]
    split = np.array(["train"] * 25 + ["valid"] * 5 + ["test"] * 10)
    np.savez(tmp_path / "regions.npz", x=x, y=y, split=split)
    dataset = {"training": {"batch_size": 10}}
    inputs = {"regions": tmp_path / "regions.npz"}
    # Every training region once per epoch: ceil(25 / 10) batches.
    assert cost_plan._built_steps(inputs, dataset, None, tmp_path) == (3, "3 steps per epoch")
    missing = {"regions": tmp_path / "data" / "regions.npz", "peaks": [Path("/no/peaks.bed")]}
    assert cost_plan._built_steps(missing, dataset, None, tmp_path) == (
        None,
        "not counted, data/regions.npz and 1 more not built",
    )
    # A path outside the workflow's directory (an absolute one in the config) is shown whole.
    outside = {"regions": Path("/no/regions.npz")}
    assert cost_plan._built_steps(outside, dataset, None, tmp_path)[1] == (
        "not counted, /no/regions.npz not built"
    )
