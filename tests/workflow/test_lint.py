"""`snakemake --lint` is clean, and a dry run of the default config.yaml plans the expected jobs.

Both run the repository's Snakefile in a temporary copy of the repository layout (config.yaml
copied, resources/ linked), so nothing is written into the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from smk_helpers import REPO, SNAKEMAKE, output_of, run_snakemake, tail

pytestmark = pytest.mark.workflow

CLEAN = "Congratulations, your workflow is in a good condition!"


@pytest.fixture(scope="module")
def default_layout(tmp_path_factory) -> Path:
    """A working directory like the repository's: config.yaml copied, resources/ linked."""
    workdir = tmp_path_factory.mktemp("default")
    shutil.copy(REPO / "config.yaml", workdir / "config.yaml")
    (workdir / "resources").symlink_to(REPO / "resources", target_is_directory=True)
    return workdir


def _lints(text: str) -> list[str]:
    """The lint findings Snakemake printed ("* <finding>" lines under "Lints for ...")."""
    return re.findall(r"^\s+\* (.+)$", text, flags=re.M)


def test_lint_is_clean(default_layout):
    proc = run_snakemake(default_layout, "--lint")
    text = output_of(proc)
    assert proc.returncode == 0, f"snakemake --lint exited {proc.returncode}:\n{tail(proc, 80)}"
    assert "Lints for" not in text, text
    assert not _lints(text), _lints(text)
    assert CLEAN in text


def test_lint_reports_a_bad_rule(tmp_path):
    """The check above means something: the same call flags a rule without log or environment."""
    (tmp_path / "Snakefile").write_text(
        'rule bad:\n    input: "/abs/in.txt"\n    output: "out.txt"\n    shell: "cp {input} {output}"\n'
    )
    proc = subprocess.run([str(SNAKEMAKE), "--lint", "-d", str(tmp_path), "-s", str(tmp_path / "Snakefile")],
                          capture_output=True, text=True, timeout=120)
    text = output_of(proc)
    assert proc.returncode != 0
    assert CLEAN not in text
    assert "Lints for rule bad" in text
    findings = _lints(text)
    assert any("Absolute path" in f for f in findings), findings
    assert any("No log directive" in f for f in findings), findings


def _job_stats(text: str) -> dict[str, int]:
    """The "Job stats" table of a dry run as {rule: count}."""
    block = text.split("Job stats:", 1)[1]
    counts = {}
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.realdata
def test_dry_run_of_the_default_config(default_layout):
    """PBMC 3k with its five models (one per objective family) and human libraries; the simulated
    dataset with the sweep's models (every objective family), enriched against its own true
    programs; one sweep summary."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    models = list(config["models"])
    sim_own = config["datasets"]["simulated"]["models"]
    human = [n for n, lib in config["gene_set_libraries"].items() if lib["species"] == "human"]
    sweep = config["sweep"]
    settings = ([f"beta{b:g}" for b in sweep["betas"]] + [f"capacity{c:g}" for c in sweep["capacities"]]
                + [f"tcvae{b:g}" for b in sweep["tcvae_betas"]] + [f"factorvae{g:g}" for g in sweep["factorvae_gammas"]])
    sweep_models = [f"{s}_seed{seed}" for seed in sweep["seeds"] for s in settings] + sim_own
    proc = run_snakemake(default_layout, "-n")
    text = output_of(proc)
    assert proc.returncode == 0, tail(proc, 80)
    assert "This was a dry-run" in text

    n_pbmc, n_sim = len(models), len(sweep_models)
    per_model = n_pbmc + n_sim
    expected = {
        "load_dataset": 2,
        "simulate_dataset": 1,
        "check_gene_sets": len(human) + 1,
        "check_labels": 2,
        "preprocess": 2,
        "train_vae": per_model,
        "plot_training": per_model,
        "export_latent": per_model,
        "rank_genes": per_model,
        "enrich": n_pbmc * len(human) + n_sim,
        "score_disentanglement": per_model,
        "score_factors": per_model,
        "report": per_model,
        "summarize": 2,
        "sweep_summary": 1,
        "compare": 2,  # one comparison page per dataset
        "all": 1,
    }
    expected["total"] = sum(expected.values())
    assert _job_stats(text) == expected  # no download job: every input is present
    # the default config: pbmc3k (5 models, 3 libraries) and a simulated dataset swept over 9 settings x 3 seeds
    assert (list(config["datasets"]), n_pbmc, len(human), n_sim) == (["pbmc3k", "simulated"], 5, 3, 27)
    assert sim_own == []

    trained = re.findall(r"rule train_vae:\n(?:\s+\S.*\n)*?\s+wildcards: dataset=(\S+), model=(\S+)\n", text)
    assert sorted(trained) == sorted([("pbmc3k", m) for m in models] + [("simulated", m) for m in sweep_models])
    enriched = set(re.findall(r"output: results/(\S+)/(\S+)/enrichment/(\S+)\.tsv, ", text))
    assert enriched == ({("pbmc3k", m, lib) for m in models for lib in human}
                        | {("simulated", m, "simulated_programs") for m in sweep_models})
    # the dry run wrote nothing but Snakemake's metadata
    assert sorted(p.name for p in default_layout.iterdir()) == [".snakemake", "config.yaml", "resources"]


def _with_second_dataset(workdir: Path, **entry_extra) -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    second = {**config["datasets"]["pbmc3k"], **entry_extra}
    config["datasets"]["second"] = second
    return config


@pytest.mark.realdata
def test_run_datasets_limits_what_rule_all_builds(tmp_path):
    (tmp_path / "resources").symlink_to(REPO / "resources", target_is_directory=True)
    config = _with_second_dataset(tmp_path)
    config["run_datasets"] = ["second"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    proc = run_snakemake(tmp_path, "-n")
    text = output_of(proc)
    assert proc.returncode == 0, tail(proc, 60)
    assert "dataset=second" in text and "dataset=pbmc3k" not in text
    assert _job_stats(text)["report"] == len(config["models"])  # reports are built, not only the summary

    config["run_datasets"] = ["typo"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    proc = run_snakemake(tmp_path, "-n")
    assert proc.returncode != 0 and "run_datasets names 'typo'" in output_of(proc)


@pytest.mark.realdata
def test_a_dataset_can_choose_its_gene_set_libraries(tmp_path):
    (tmp_path / "resources").symlink_to(REPO / "resources", target_is_directory=True)
    config = _with_second_dataset(tmp_path, gene_set_libraries=["hallmark"])
    config["run_datasets"] = ["second"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    proc = run_snakemake(tmp_path, "-n")
    text = output_of(proc)
    assert proc.returncode == 0, tail(proc, 60)
    stats = _job_stats(text)
    assert stats["check_gene_sets"] == 1 and stats["enrich"] == len(config["models"])
    assert "library=panglaodb" not in text and "library=hallmark" in text


@pytest.mark.realdata
@pytest.mark.parametrize("name, dataset", [("pbmc3k_sweep", "pbmc3k"), ("buettner_sweep", "buettner")])
def test_each_sweep_config_plans_its_sweep_on_its_dataset_only(tmp_path, name, dataset):
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(REPO / "configs", tmp_path / "configs")
    (tmp_path / "resources").symlink_to(REPO / "resources", target_is_directory=True)
    proc = run_snakemake(tmp_path, "-n", "--configfile", f"configs/{name}.yaml")
    text = output_of(proc)
    assert proc.returncode == 0, tail(proc, 80)
    trained = re.findall(r"rule train_vae:\n(?:\s+\S.*\n)*?\s+wildcards: dataset=(\S+), model=(\S+)\n", text)
    assert {d for d, _ in trained} == {dataset}
    swept = {m for _, m in trained if re.fullmatch(r"(beta|capacity|tcvae|factorvae)\d+_seed\d", m)}
    assert len(swept) == 27 and {"beta16_seed2", "capacity10_seed0", "tcvae6_seed1", "factorvae10_seed2"} <= swept
    assert len(trained) - len(swept) == {"pbmc3k": 5, "buettner": 0}[dataset]  # the dataset's own `models`
    assert _job_stats(text)["sweep_summary"] == 1
