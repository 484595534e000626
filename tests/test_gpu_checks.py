"""benchmarks/gpu_checks.sh, the prepared GPU run of issue 17's benchmarks, checked on the
CPU (``DEVICE=cpu QUICK=1``) so that a session lent a GPU does not find it broken."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_checks.sh"
OUTPUTS = ("packed_training", "step_dispatch", "deepshap_roofline", "prior_step", "cost_plan")


def run_checks(out: Path, device: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        # python3 in the script must be this interpreter, the one with torch and shap.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DEVICE": device,
        "QUICK": "1",
        "WHEELS": "none",
    }
    env.pop("OUT", None)
    return subprocess.run(
        ["bash", str(SCRIPT), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_gpu_checks_run_every_benchmark(tmp_path):
    result = run_checks(tmp_path, "cpu")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "all five benchmarks ran" in result.stdout
    for name in ("environment", *OUTPUTS):
        assert (tmp_path / f"{name}.txt").is_file(), name
    assert "torch" in (tmp_path / "environment.txt").read_text()

    packed = (tmp_path / "packed_training.txt").read_text().splitlines()
    header = next(line for line in packed if line.startswith("model\t")).split("\t")
    values = next(line for line in packed if line.startswith("cnn_shallow\t")).split("\t")
    row = dict(zip(header, values, strict=True))
    for column in ("models_per_hour_ratio", "max_history_diff", "batch_bound", "fixed_share"):
        assert math.isfinite(float(row[column])), column
    assert float(row["batch_bound"]) > 0 and float(row["fixed_share"]) > 0
    assert float(row["max_history_diff"]) < 1e-4  # packed and alone agree to float noise
    assert "# targets (cpu, S=10): cnn_shallow >= 1.5" in packed

    dispatch = (tmp_path / "step_dispatch.txt").read_text().splitlines()
    header = next(line for line in dispatch if line.startswith("model\t")).split("\t")
    rows = [
        dict(zip(header, line.split("\t"), strict=True))
        for line in dispatch
        if line.startswith("cnn_shallow\t")
    ]
    assert [(row["model"], row["condition"]) for row in rows] == [
        ("cnn_shallow", "none"),
        ("cnn_shallow", "fourier"),
    ]
    assert all(float(row["ops_ratio"]) > 1 and float(row["step_ratio"]) > 0 for row in rows)

    deepshap = (tmp_path / "deepshap_roofline.txt").read_text()
    for method in ("roofline", "ours", "tangermeme", "shap"):
        assert f"cnn_shallow_relu {method}".split() in [
            line.split()[:2] for line in deepshap.splitlines()
        ]
    assert "Fourier / plain step:" in (tmp_path / "prior_step.txt").read_text()
    assert "device-hours" in (tmp_path / "cost_plan.txt").read_text()


def test_the_gpu_checks_fail_loudly_when_a_benchmark_fails(tmp_path):
    result = run_checks(tmp_path, "no_such_device")
    assert result.returncode == 1
    assert f"FAILED: {' '.join(OUTPUTS)}" in result.stderr
    for name in OUTPUTS:  # each benchmark's error is kept for the reader
        assert "no_such_device" in (tmp_path / f"{name}.txt").read_text(), name
