"""benchmarks/host_allocator.py: each workload runs in a fresh process per allocator, and
the table reports time, peak memory and page faults against glibc's malloc."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "host_allocator.py"


def host_allocator():
    spec = importlib.util.spec_from_file_location("host_allocator", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_workload_runs_and_is_reported_against_glibc():
    command = [sys.executable, str(SCRIPT), "--workloads", *host_allocator().WORKLOADS]
    command += ["--allocators", "glibc", "--repeats", "1", "--seeds", "2", "--scale", "0.05"]
    done = subprocess.run([*command, "--threads", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("workload\t")))
    rows = [line.split("\t") for line in lines[header + 1 :]]
    assert [row[:2] for row in rows] == [[w, "glibc"] for w in host_allocator().WORKLOADS]
    for _, _, ms, rss, faults, ms_ratio, rss_ratio in rows:
        assert float(ms) > 0 and float(rss) > 50  # torch alone takes more than 50 MiB
        assert float(faults) >= 0 and math.isfinite(float(faults))
        assert float(ms_ratio) == 1.0 and float(rss_ratio) == 1.0


def test_a_missing_allocator_is_skipped_and_a_bad_library_refused(monkeypatch, capsys):
    module = host_allocator()
    monkeypatch.setattr(module.ctypes.util, "find_library", lambda name: None)
    assert module.find_library("jemalloc", {}) is None
    assert module.find_library("jemalloc", {"jemalloc": "/opt/libjemalloc.so"}) == (
        "/opt/libjemalloc.so"
    )
    assert module.find_library("glibc", {}) == ""
    module.main(["--workloads", "tseng_binary_step", "--allocators", "jemalloc"])
    assert "# jemalloc: not found" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="expected tcmalloc=PATH or jemalloc=PATH"):
        module.main(["--library", "glibc=/lib/libc.so.6"])


# Weights after two training steps and DeepSHAP maps, hashed, and whether tcmalloc is loaded.
_RESULTS = """
import hashlib
import numpy as np, torch
from attrprior.conditions import Condition, TrainSettings
from attrprior.deepshap import deepshap, dinucleotide_references
from attrprior.models import build_model
from attrprior.objectives import BinaryObjective
from attrprior.train import SeedRun
torch.set_num_threads(1)
torch.manual_seed(0)
rng = np.random.default_rng(0)
x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (16, 1000))].transpose(0, 2, 1).copy()
y = torch.as_tensor(rng.random((16, 1)) < 0.5).float()
model = build_model(architecture="tseng_binary", length=1000, n_tasks=1)
run = SeedRun(model, Condition(), TrainSettings(), 0, "cpu", BinaryObjective())
run.model.train()
for _ in range(2):
    run.train_step((torch.as_tensor(x), y))
model.eval()
maps = deepshap(model, x[:2], dinucleotide_references(x[:2], n_shuffles=4, seed=0))
digest = hashlib.sha256()
for tensor in model.state_dict().values():
    digest.update(tensor.numpy().tobytes())
digest.update(np.asarray(maps).tobytes())
print("tcmalloc" in open("/proc/self/maps").read(), digest.hexdigest())
"""


@pytest.mark.skipif(
    not host_allocator().find_library("tcmalloc", {}), reason="tcmalloc is not installed"
)
def test_results_do_not_depend_on_the_allocator():
    """docs/running.md recommends tcmalloc on CPUs: weights and maps stay bit for bit."""
    outputs = {}
    for allocator in ("glibc", "tcmalloc"):
        library = host_allocator().find_library(allocator, {})
        env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
        if library:
            env["LD_PRELOAD"] = library
        done = subprocess.run(
            [sys.executable, "-c", _RESULTS], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        outputs[allocator] = done.stdout.split()
    assert outputs["glibc"][0] == "False" and outputs["tcmalloc"][0] == "True"
    assert outputs["glibc"][1] == outputs["tcmalloc"][1]
