"""One place for versions: envs/*.yaml pin exactly what constraints.txt pins, and every
workflow script can import the library without an install (the workflow/scripts link)."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_every_conda_env_pin_matches_constraints():
    pins = constraints()
    envs = sorted((ROOT / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        # An environment of command-line tools only (align.yaml) has no pip section.
        pip = next((d["pip"] for d in spec["dependencies"] if isinstance(d, dict)), [])
        for requirement in pip:
            name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", requirement).groups()
            assert pins[name.lower().replace("_", "-")] == version, f"{env.name}: {requirement}"


def test_key_packages_are_pinned():
    pins = constraints()
    for name in ("torch", "snakemake", "numpy", "tangermeme", "pyjaspar", "modisco-lite"):
        assert name in pins, name
    assert pins["torch"] == "2.13.0"


def test_every_rule_env_exists():
    for rules in (ROOT / "rules").glob("*.smk"):
        for env in re.findall(r'conda:\s*\n\s*"\.\./(envs/[^"]+)"', rules.read_text()):
            assert (ROOT / env).exists(), f"{rules.name}: {env}"


def test_scripts_import_the_checkout_without_an_install():
    # -S: no site-packages, so the editable install is invisible; Snakemake puts the
    # script directory on sys.path, where the attrprior link points at src/attrprior.
    code = (
        "import sys; sys.path.append('workflow/scripts'); import attrprior, pathlib; "
        "print(pathlib.Path(attrprior.__file__).resolve())"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(out) == ROOT / "src" / "attrprior" / "__init__.py"


def test_training_and_attribution_import_without_the_genomics_bindings():
    # A GPU image with torch but without bedtools, samtools or bigWig bindings can train
    # and explain models from stored arrays; only the genomic rules need the bindings.
    bindings = ("pybedtools", "pysam", "pyBigWig", "pyfaidx")
    code = (
        "import sys; import attrprior.train, attrprior.packing, attrprior.objectives, "
        "attrprior.attribution, attrprior.deepshap; "
        f"print(','.join(m for m in {bindings!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
