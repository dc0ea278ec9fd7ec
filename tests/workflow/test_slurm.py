"""The cluster path on a real SLURM: `snakemake --profile profiles/slurm` on a tiny config, against the
single-node SLURM of cluster/slurm/start.sh (Debian's slurm-wlm with slurmdbd accounting in MariaDB).

The module starts that SLURM unless it runs already (and then leaves it running), runs the same
config once through SLURM (profiles/slurm, with profiles/slurm-test's local partition, account and
short status waits on top) and once locally (`--cores 2`), and checks that every job went through
SLURM (sacct lists one completed job per rule instance, under the run's id, with the rule in its
comment; every job has its log) and that both runs computed the same numbers.

Skipped when SLURM cannot be started here (not root and the packages missing, ...), unless
DISENTANGLE_REQUIRE_SLURM is set (as .ci/run does): then that is a failure. The dry-run checks of
the rules' resources at the end need no SLURM.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from smk_helpers import REPO, dataset_entry, libraries, output_of, run_snakemake, small_pbmc, tail, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata, pytest.mark.slurm]

CLUSTER = REPO / "cluster" / "slurm"
PROFILES = ("--profile", str(REPO / "profiles" / "slurm"), "--profile", str(REPO / "profiles" / "slurm-test"))
REQUIRE_ENV = "DISENTANGLE_REQUIRE_SLURM"
DATASET = "tiny"
MODELS = {"beta1": {"objective": "beta", "beta": 1.0}, "tcvae": {"objective": "tcvae", "beta": 4.0}}
LIBRARIES = ["panglaodb", "cell_cycle"]
CONFIG = {
    "datasets": {DATASET: dataset_entry("pbmc300.h5ad", labels=["cell_type"])},
    "preprocess": {"min_genes": 100, "n_top_genes": 200},
    "models": MODELS,
    "training": {"epochs": 2, "n_latent": 3, "n_hidden": 16},
    "gene_set_libraries": libraries(),
    "enrichment": {"permutations": 20, "min_size": 5},
    "umap": {"enabled": False},
}
# Tables both runs write, compared cell by cell.
TABLES = ["losses.tsv", "rankings.tsv", "disentanglement.tsv", "dimensions.tsv", "terms.tsv", "labels.tsv",
          "factor_metrics.tsv", "factors.tsv"] + [f"enrichment/{lib}.tsv" for lib in LIBRARIES]


def require_slurm(reason: str, environ: dict | None = None) -> None:
    """Skip the calling test because SLURM is unusable here (``reason``), or fail it when `REQUIRE_ENV` is set."""
    environ = os.environ if environ is None else environ
    if environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{reason}, and {REQUIRE_ENV} is set: the SLURM test must run", pytrace=False)
    pytest.skip(f"{reason}; set {REQUIRE_ENV}=1 to make this a failure")


def _script(name: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CLUSTER / name)], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def slurm():
    """A running single-node SLURM: started here (and stopped afterwards) unless one runs already."""
    if _script("status.sh", 60).returncode == 0:
        yield "already running"
        return
    started = _script("start.sh")  # on failure, it stops what it started
    if started.returncode != 0:
        require_slurm(f"cluster/slurm/start.sh could not start SLURM (exit {started.returncode}):\n"
                      + "\n".join((started.stdout + started.stderr).strip().splitlines()[-15:]))
    try:
        yield "started"
    finally:
        stopped = _script("stop.sh", 300)
        assert stopped.returncode == 0, stopped.stderr


def _workdir(root: Path, pbmc_path: Path) -> Path:
    root.mkdir()
    small_pbmc(pbmc_path, 300, seed=0).write_h5ad(root / "pbmc300.h5ad", compression="gzip")
    write_config(root, CONFIG)
    return root


def _run(workdir: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = run_snakemake(workdir, *args, timeout=2400)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} exited {proc.returncode} after {seconds:.0f} s:\n{tail(proc, 60)}",
                    pytrace=False)
    return proc, seconds


@pytest.fixture(scope="module")
def runs(slurm, pbmc_path, tmp_path_factory):
    """The same config run through SLURM and locally: (slurm dir, its output, local dir)."""
    root = tmp_path_factory.mktemp("slurm_h")
    on_slurm, local = _workdir(root / "slurm", pbmc_path), _workdir(root / "local", pbmc_path)
    proc, seconds = _run(on_slurm, *PROFILES)
    print(f"snakemake --profile profiles/slurm: {seconds:.0f} s")
    _, local_seconds = _run(local, "--cores", "2")
    print(f"snakemake --cores 2: {local_seconds:.0f} s")
    return on_slurm, output_of(proc), local


def _job_stats(text: str) -> Counter:
    """Jobs per rule from the "Job stats" table Snakemake prints before running, without `all` (a local rule)."""
    table = re.search(r"Job stats:\njob\s+count\n-+\s+-+\n(.*?)\ntotal\s+(\d+)", text, flags=re.S)
    assert table, f"no job stats table in the output:\n{text[:2000]}"
    counts = Counter({rule: int(n) for rule, n in re.findall(r"^(\S+)\s+(\d+)$", table.group(1), flags=re.M)})
    assert sum(counts.values()) == int(table.group(2))
    counts.pop("all", None)
    return counts


def _sacct(run_id: str) -> pd.DataFrame:
    proc = subprocess.run(
        ["sacct", "-X", "--parsable2", "--noheader", "--starttime", "now-1days", "--name", run_id,
         "--format=JobIDRaw,JobName%100,Comment%200,State,ExitCode"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("|") for line in proc.stdout.splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["job", "name", "comment", "state", "exit_code"])


def test_every_job_went_through_slurm(runs):
    on_slurm, text, _ = runs
    run_id = re.search(r"SLURM run ID: (\S+)", text).group(1)
    expected = _job_stats(text)
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", text)
    assert len(submitted) == sum(expected.values()), text[-3000:]
    # sacct (the accounting database) knows each job under the run's id, the rule in its comment, completed
    jobs = _sacct(run_id)
    assert sorted(jobs["job"]) == sorted(job for job, _ in submitted)
    assert (jobs["state"] == "COMPLETED").all(), jobs[jobs["state"] != "COMPLETED"]
    assert (jobs["exit_code"] == "0:0").all(), jobs
    rules = Counter(re.match(r"rule_(\w+?)(?:_wildcards_.*)?$", comment).group(1) for comment in jobs["comment"])
    assert rules == expected
    assert rules["train_vae"] == len(MODELS)  # each model is its own job
    # each job's log under .snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log, kept by the test profile
    for job, log in submitted:
        path = Path(log)
        assert path.is_file(), log
        assert path.parent.parent.parent == on_slurm / ".snakemake" / "slurm_logs"
        assert path.name == f"{job}.log"
        content = path.read_text()
        rule = path.parent.parent.name.removeprefix("rule_")
        assert f"rule {rule}:" in content and "1 of 1 steps (100%) done" in content, f"{log}:\n{content[-2000:]}"


def test_a_second_run_has_nothing_to_do(runs):
    on_slurm, _, _ = runs
    proc = run_snakemake(on_slurm, *PROFILES, "--dry-run")
    assert proc.returncode == 0, tail(proc)
    assert "Nothing to be done" in output_of(proc), tail(proc)


@pytest.mark.parametrize("model", MODELS)
def test_results_equal_a_local_run(runs, model):
    on_slurm, _, local = runs
    a, b = on_slurm / "results" / DATASET / model, local / "results" / DATASET / model
    import torch

    weights_a = torch.load(a / "model.pt", weights_only=True)
    weights_b = torch.load(b / "model.pt", weights_only=True)
    assert weights_a["genes"] == weights_b["genes"]
    assert weights_a["state_dict"].keys() == weights_b["state_dict"].keys()
    for name, tensor in weights_a["state_dict"].items():
        assert torch.equal(tensor, weights_b["state_dict"][name]), name
    latent_a, latent_b = ad.read_h5ad(a / "latent.h5ad"), ad.read_h5ad(b / "latent.h5ad")
    assert list(latent_a.obs_names) == list(latent_b.obs_names)
    np.testing.assert_array_equal(latent_a.obsm["X_latent"], latent_b.obsm["X_latent"])
    np.testing.assert_array_equal(latent_a.varm["latent_traversal"], latent_b.varm["latent_traversal"])
    for table in TABLES:
        pd.testing.assert_frame_equal(pd.read_csv(a / table, sep="\t"), pd.read_csv(b / table, sep="\t"),
                                      check_exact=True, obj=table)
    specs_a, specs_b = json.loads((a / "specs.json").read_text()), json.loads((b / "specs.json").read_text())
    assert specs_a == specs_b


def test_summary_equals_a_local_run(runs):
    on_slurm, _, local = runs
    a, b = on_slurm / "results" / DATASET, local / "results" / DATASET
    pd.testing.assert_frame_equal(pd.read_csv(a / "summary.tsv", sep="\t"), pd.read_csv(b / "summary.tsv", sep="\t"),
                                  check_exact=True)
    assert (a / "comparison" / "index.html").is_file()


# --- the rules' resources, in a dry run (no SLURM needed) ---------------------------------------------

def _dry_run_resources(tmp_path: Path, pbmc_path: Path, models: dict) -> dict[str, list[dict]]:
    """rule -> the resources of each of its jobs, as a dry run prints them."""
    workdir = tmp_path / "dry"
    _workdir(workdir, pbmc_path)
    write_config(workdir, {**CONFIG, "models": models})
    proc = run_snakemake(workdir, "--dry-run", "--cores", "1")
    assert proc.returncode == 0, tail(proc)
    jobs: dict[str, list[dict]] = {}
    for rule, resources in re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", output_of(proc), flags=re.M):
        jobs.setdefault(rule, []).append(dict(item.split("=", 1) for item in resources.split(", ")))
    return jobs


def test_every_rule_declares_memory_and_runtime(tmp_path, pbmc_path):
    jobs = _dry_run_resources(tmp_path, pbmc_path, {"cpu": {"objective": "beta", "beta": 1.0},
                                                    "gpu": {"objective": "beta", "beta": 1.0, "device": "cuda"}})
    jobs.pop("all", None)
    assert {"train_vae", "enrich", "report", "load_dataset", "preprocess"} <= set(jobs)
    for rule, resources in jobs.items():
        for job in resources:
            assert "mem_mb" in job and "runtime" in job, (rule, job)
    runtimes = {rule: int(resources[0]["runtime"]) for rule, resources in jobs.items()}
    assert runtimes["train_vae"] == max(runtimes.values()) > runtimes["check_labels"]
    # training asks for a GPU (the slurm plugin's `gpu`, i.e. sbatch --gpus) only for a model with device: cuda
    assert sorted(job["gpu"] for job in jobs["train_vae"]) == ["0", "1"]
