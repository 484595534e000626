"""The cluster profile (profiles/slurm/config.yaml): what it asks SLURM for at paper scale (a
dry run), and a real run of a tiny configuration through it on a one-node SLURM cluster
started by tests/slurm/start_slurm.sh; skipped, saying why, where SLURM cannot run here
(with ATTRPRIOR_REQUIRE_SLURM=1, as CI sets it, that is a failure instead)."""

import importlib.metadata
import importlib.util
import os
import re
import signal
import subprocess
import time

import pytest
import yaml
from snakemake_runner import ROOT, SNAKEMAKE, workdir_with

PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"
START_SLURM = ROOT / "tests" / "slurm" / "start_slurm.sh"
GPU_RULES = {
    "train_model",
    "train_model_pack",
    "train_ensemble_pack",
    "train_tuning_run",
    "train_ensemble_member",
    "attribute",
    "attribute_ensemble_member",
    "gpu_smoke_test",
}
# Rules that run on the submitting host, never as SLURM jobs.
LOCAL_RULES = {
    "all",
    "unpack_packed_seed",
    "unpack_ensemble_member",
    "download_reference",
    "download_encode_file",
    "download_experiment_file",
    "download_experiment_alignments",
    "download_external",
    "download_published_weights",
    "link_local_file",
    "extract_external_member",
    "download_lock",
    "paper_table1",
    "paper_table2",
    "paper_fig4",
    "paper_fig5",
    "plot_metric_distributions",
    "plot_raw_vs_corrected",
    "plot_angle_histograms",
    "plot_logos",
}


def load_profile():
    return yaml.safe_load(PROFILE.read_text())


def profile_copy(directory, changes=None):
    """The profile as it is, minus conda (no conda channels here), plus ``changes``."""
    profile = load_profile()
    assert profile.pop("software-deployment-method") == "conda"
    profile.update(changes or {})
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return directory


def printed_jobs(output):
    """(rule, Snakemake job id, wildcards, resources) of every job a run or dry run prints."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", output):
        header = re.match(r"(?:local)?rule (\w+):\n", block)
        if not header:
            continue
        fields = dict(re.findall(r"^\s+(\w+): (.*)$", block, flags=re.M))
        resources = dict(item.split("=", 1) for item in fields.get("resources", "").split(", "))
        jobs.append(
            {
                "rule": header.group(1),
                "local": block.startswith("localrule"),
                "jobid": int(fields["jobid"]),
                "wildcards": fields.get("wildcards", ""),
                "resources": resources,
            }
        )
    return jobs


def expected(expression, attempt=1):
    """A profile resource value as Snakemake evaluates it (Python, with ``attempt``)."""
    return eval(str(expression), {"attempt": attempt})


# --- the plan at paper scale -------------------------------------------------------------

PARTITIONS = {
    "ATTRPRIOR_SLURM_ACCOUNT": "",
    "ATTRPRIOR_CPU_PARTITION": "cpu_q",
    "ATTRPRIOR_GPU_PARTITION": "gpu_q",
}


@pytest.fixture(scope="module")
def paper_plan(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paper_plan")
    config = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    workdir_with(workdir, config)
    profile = profile_copy(workdir / "profile")
    env = {**os.environ, **PARTITIONS}
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), "-n", "--profile", str(profile)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return printed_jobs(result.stdout + result.stderr)


def test_profile_plans_gpus_partitions_and_resources(paper_plan):
    profile = load_profile()
    per_rule = profile["set-resources"]
    rules = {job["rule"] for job in paper_plan}
    # config/paper.yaml packs every model's seeds, 10 per job: no one-seed training job.
    assert {"train_model_pack", "attribute", "score_attributions"} <= rules
    assert "train_model" not in rules
    assert "binary_labels" in rules
    assert {"train_ensemble_pack", "attribute_ensemble_member"} <= rules
    for job in paper_plan:
        rule, resources = job["rule"], job["resources"]
        if rule in GPU_RULES:
            assert resources.get("gpu") == "1", job
            assert resources["slurm_partition"] == "gpu_q", job
        else:
            assert "gpu" not in resources, job
            assert resources["slurm_partition"] == "cpu_q", job
        # An empty account variable gives an empty account (the plugin then guesses).
        assert resources["slurm_account"] == "", job
        for key in ("mem_mb", "runtime"):
            assert int(resources[key]) > 0, job
            if key in per_rule.get(rule, {}):
                assert int(resources[key]) == expected(per_rule[rule][key]), job
    # Jobs the profile does not name keep their rule's values, as Snakemake documents.
    lock = next(job for job in paper_plan if job["rule"] == "download_lock")
    assert "download_lock" not in per_rule and lock["resources"]["mem_mb"] == "1000"


def test_profile_resources_grow_with_the_attempt():
    for rule, resources in load_profile()["set-resources"].items():
        for key in ("mem_mb", "runtime"):
            first, second = expected(resources[key], 1), expected(resources[key], 2)
            assert second >= 2 * first, (rule, key)
    training = load_profile()["set-resources"]["train_model"]
    assert expected(training["mem_mb"]) >= 8000 and expected(training["runtime"]) >= 600


def test_profile_submits_no_arrays_and_throttles_submission(paper_plan):
    # Job arrays hang the run when more jobs of a rule are ready than `jobs` hands out
    # (plugin 2.8.0, snakemake-executor-plugin-slurm#473; the real run below shows it).
    profile = load_profile()
    assert "slurm-array-jobs" not in profile
    assert profile["jobs"] <= 200
    number, timespan = profile["max-jobs-per-timespan"].split("/")
    assert float(number) <= 20 and timespan == "1s"
    attributions = [job for job in paper_plan if job["rule"] == "attribute"]
    assert len(attributions) > profile["jobs"]  # the situation the arrays could not handle


def test_slurm_plugin_is_pinned_and_installed():
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    version = pins["snakemake-executor-plugin-slurm"]
    assert tuple(int(part) for part in version.split(".")[:2]) >= (2, 6)
    assert importlib.metadata.version("snakemake-executor-plugin-slurm") == version


def test_benchmark_summary_per_rule_and_dataset(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "job_resources", ROOT / "benchmarks" / "job_resources.py"
    )
    job_resources = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job_resources)
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for seed, (seconds, rss) in enumerate([(10.0, 500.0), (30.0, 700.0), (20.0, 600.0)]):
        path = tmp_path / "train_model" / "spi1" / "tseng_binary" / "none" / f"seed{seed}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + f"{seconds}\t0:00:10\t{rss}\t1\t1\t1\t0\t0\t50\t1\n")
    (tmp_path / "encode_genome").mkdir()
    (tmp_path / "encode_genome" / "GRCh38.tsv").write_text(
        header + "5.0\t0:00:05\t-\t-\t-\t-\t-\t-\t-\t-\n"
    )
    table = job_resources.summarise(job_resources.collect(tmp_path))
    row = table.loc[("train_model", "spi1")]
    assert (row["jobs"], row["s_max"], row["s_median"]) == (3, 30.0, 20.0)
    assert (row["max_rss_max"], row["max_rss_median"]) == (700.0, 600.0)
    assert table.loc[("encode_genome", "GRCh38"), "jobs"] == 1


def test_unset_partition_variable_is_left_as_is(tmp_path):
    # Documented in the profile: an unset variable is not expanded, so sbatch rejects the
    # partition by the variable's name instead of the job running somewhere unintended.
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    workdir = workdir_with(tmp_path, config)
    profile = profile_copy(tmp_path / "profile")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRPRIOR_")}
    env["ATTRPRIOR_CPU_PARTITION"] = "cpu_q"
    target = "results/billboard/models/cnn_shallow_exp/none/seed0/model.pt"
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), "-n", "--profile", str(profile), target],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = {job["rule"]: job["resources"] for job in printed_jobs(result.stdout + result.stderr)}
    assert jobs["train_model"]["slurm_partition"] == "$ATTRPRIOR_GPU_PARTITION"
    assert jobs["train_model"]["slurm_account"] == "$ATTRPRIOR_SLURM_ACCOUNT"
    assert jobs["simulate_dataset"]["slurm_partition"] == "cpu_q"


# --- a real run on a one-node SLURM cluster ----------------------------------------------


def skip_or_fail(reason):
    if os.environ.get("ATTRPRIOR_REQUIRE_SLURM") == "1":
        pytest.fail(f"SLURM required (ATTRPRIOR_REQUIRE_SLURM=1) but: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def slurm_cluster():
    """Name of the partition of a running one-node SLURM cluster (started if need be)."""
    if not os.path.exists("/etc/debian_version"):
        skip_or_fail("not Debian: tests/slurm/start_slurm.sh installs SLURM with apt-get")
    started = subprocess.run(["bash", str(START_SLURM)], capture_output=True, text=True)
    if started.returncode == 3:
        skip_or_fail(started.stderr.strip())
    assert started.returncode == 0, f"start_slurm.sh failed:\n{started.stdout}\n{started.stderr}"
    return os.environ.get("ATTRPRIOR_TEST_PARTITION", "attrprior")


def node_limits(partition):
    """(CPUs, memory in MB) of the partition's node, as SLURM schedules them."""
    line = subprocess.run(
        ["sinfo", "-h", "-p", partition, "-o", "%c %m"], capture_output=True, text=True
    ).stdout.split()
    return int(line[0]), int(line[1].rstrip("+"))


def tiny_config():
    """config/test.yaml's billboard dataset only, its reference condition x 2 seeds: 2
    trainings that become ready together, more than the one job slot."""
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    config.pop("paper", None)
    billboard = config["datasets"]["billboard"]
    # Ensemble members are submitted as trainings are (GPU resources checked above).
    billboard.pop("ensemble", None)
    config["datasets"] = {"billboard": billboard}
    config["models"] = {name: config["models"][name] for name in billboard["models"]}
    billboard.update(seeds=2)
    reference = billboard["evaluation"]["reference_condition"]
    billboard["conditions"] = {reference: billboard["conditions"][reference]}
    billboard["attribution"]["methods"] = {
        name: billboard["attribution"]["methods"][name] for name in ("saliency", "deepshap")
    }
    return config


def slurm_job_states(run_id):
    """SLURM job ID -> state, from the accounting database (sacct), of the jobs named after
    the Snakemake run (the plugin names every job by the run's ID)."""
    table = subprocess.run(
        ["sacct", "-n", "-P", "-X", "-S", "now-1days", "--name", run_id, "-o", "JobID,State"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("|")[:2] for line in table.splitlines() if line)


# A hang (never finishing) is what the limit catches; ATTRPRIOR_SLURM_RUN_LIMIT_S changes it.
SLURM_RUN_LIMIT_S = int(os.environ.get("ATTRPRIOR_SLURM_RUN_LIMIT_S", "900"))


def run_with_limit(command, seconds, **kwargs):
    """Run ``command``; (exit status, output), or fail the test if it runs over ``seconds``
    (the process group is killed and the run's SLURM jobs cancelled: a hung Snakemake
    ignores SIGTERM)."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **kwargs,
    )
    try:
        output, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        run_id = re.search(r"SLURM run ID: (\S+)", output)
        if run_id:
            subprocess.run(["scancel", "--name", run_id.group(1)], check=False)
        pytest.fail(f"no end after {seconds} s (hung); its last output:\n{output[-3000:]}")
    return process.returncode, output


@pytest.mark.slow
def test_tiny_workflow_runs_as_slurm_jobs(slurm_cluster, tmp_path, capsys):
    cpus, memory = node_limits(slurm_cluster)
    workdir = workdir_with(tmp_path / "work", tiny_config())
    profile = load_profile()
    # The test cluster: no GPUs, memory capped so two jobs fit on the node, status by sacct
    # (the default where accounting runs, as on real clusters), every SLURM log kept to be
    # read below. One job slot: the 2 trainings are ready together, so a rule has more ready
    # jobs than free slots, as at paper scale (2,500 trainings, 100 slots).
    cap = memory // max(cpus, 1)
    per_rule = {
        rule: {
            key: (f"min({value}, {cap})" if key == "mem_mb" else value)
            for key, value in resources.items()
            if key != "gpu"
        }
        for rule, resources in profile["set-resources"].items()
    }
    defaults = {**profile["default-resources"]}
    defaults["mem_mb"] = f"min({defaults['mem_mb']}, {cap})"
    test_profile = profile_copy(
        tmp_path / "profile",
        {
            "set-resources": per_rule,
            "default-resources": defaults,
            "retries": 0,
            "jobs": 1,
            "slurm-init-seconds-before-status-checks": 5,
            "slurm-keep-successful-logs": True,
        },
    )
    env = {
        **os.environ,
        "ATTRPRIOR_SLURM_ACCOUNT": "",
        "ATTRPRIOR_CPU_PARTITION": slurm_cluster,
        "ATTRPRIOR_GPU_PARTITION": slurm_cluster,
    }
    start = time.perf_counter()
    returncode, output = run_with_limit(
        [*SNAKEMAKE, "--directory", str(workdir), "--profile", str(test_profile)],
        SLURM_RUN_LIMIT_S,
        env=env,
        cwd=workdir,
    )
    seconds = time.perf_counter() - start
    assert returncode == 0, output

    # The outputs.
    results = workdir / "results" / "billboard"
    assert (results / "tables" / "interpretability.md").read_text().startswith("|")
    for figure in ("metric_distributions", "raw_vs_corrected", "angle_histograms", "logos"):
        png = results / "figures" / "cnn_shallow_exp" / f"{figure}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Which Snakemake job became which SLURM job.
    jobs = {job["jobid"]: job for job in printed_jobs(output)}
    slurm_ids = {}
    for jobid, slurm_id in re.findall(
        r"Job (\d+) has been submitted with SLURM jobid (\d+)", output
    ):
        slurm_ids[int(jobid)] = slurm_id
    remote = {jobid for jobid, job in jobs.items() if not job["local"]}
    local = {job["rule"] for job in jobs.values() if job["local"]}
    assert set(slurm_ids) == remote, "every non-local job, and only those, went to SLURM"
    assert local <= LOCAL_RULES and {"all", "plot_logos"} <= local
    trainings = [jobid for jobid, job in jobs.items() if job["rule"] == "train_model"]
    assert len(trainings) == 2 and len(set(slurm_ids[j] for j in trainings)) == 2

    # SLURM's accounting recorded each of them as completed, and the plugin's logs are there.
    run_id = re.search(r"SLURM run ID: (\S+)", output).group(1)
    states = slurm_job_states(run_id)
    assert set(slurm_ids.values()) <= set(states), (slurm_ids, states)
    assert all(states[slurm_id] == "COMPLETED" for slurm_id in slurm_ids.values())
    slurm_logs = list((workdir / "logs" / "slurm").rglob("*.log"))
    assert {log.stem for log in slurm_logs} >= set(slurm_ids.values())

    with capsys.disabled():
        print(f"\nSLURM run {run_id}: {len(slurm_ids)} jobs in {seconds:.0f} s")
        for jobid in sorted(slurm_ids, key=lambda j: int(slurm_ids[j])):
            job = jobs[jobid]
            print(f"  SLURM job {slurm_ids[jobid]:>8}  {job['rule']}  {job['wildcards']}")
        print(f"  local: {', '.join(sorted(local))}")
