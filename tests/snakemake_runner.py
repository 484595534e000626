"""Run the workflow in a separate Snakemake process, for the workflow tests."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]


def snakemake(workdir, *args, check=True):
    """``snakemake --directory workdir *args``; with ``check``, an AssertionError carrying
    Snakemake's output when it fails."""
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), *args], capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def workdir_with(directory, config):
    """``directory`` with ``config`` written as its config/config.yaml (the default config)."""
    (directory / "config").mkdir(parents=True, exist_ok=True)
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return directory


def planned_jobs(output):
    """Rule -> count from the job-stats table of a dry run."""
    counts = {}
    for line in output.splitlines():
        match = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts
