"""Helpers for the workflow tests (imported by the test modules): run the repository's Snakefile in a temporary working directory.

Every Snakemake call here uses ``-s <repo>/Snakefile --directory <tmp>`` with a config.yaml written
into <tmp> (the Snakefile reads ``configfile: "config.yaml"`` from the working directory), so
nothing is ever written under the repository's results/, logs/ or .snakemake/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
BIN = Path(sys.executable).parent
SNAKEMAKE = BIN / "snakemake"
GENESETS = REPO / "resources" / "genesets" / "human"
PANGLAODB = GENESETS / "panglaodb_2020-03-27_human_celltype_markers.gmt"
CELL_CYCLE = GENESETS / "tirosh2016_cell_cycle.gmt"

# Every rule of the pipeline that runs a script, with the log each job of it writes.
RULE_LOGS = {
    "load_dataset": "logs/{dataset}/load_dataset.log",
    "check_gene_sets": "logs/{dataset}/check_gene_sets_{library}.log",
    "check_labels": "logs/{dataset}/check_labels.log",
    "preprocess": "logs/{dataset}/preprocess.log",
    "train_vae": "logs/{dataset}/{model}/train_vae.log",
    "plot_training": "logs/{dataset}/{model}/plot_training.log",
    "export_latent": "logs/{dataset}/{model}/export_latent.log",
    "rank_genes": "logs/{dataset}/{model}/rank_genes.log",
    "enrich": "logs/{dataset}/{model}/enrich_{library}.log",
    "score_disentanglement": "logs/{dataset}/{model}/score_disentanglement.log",
    "score_factors": "logs/{dataset}/{model}/score_factors.log",
    "report": "logs/{dataset}/{model}/report.log",
    "summarize": "logs/{dataset}/summarize.log",
}


def run_snakemake(workdir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile in ``workdir``; stdout and stderr are captured as text.

    The scripts run with this interpreter's environment (no --sdm conda), a headless matplotlib
    and one BLAS/OpenMP thread per job; 127.0.0.1 bypasses any proxy.
    """
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    cmd = [str(SNAKEMAKE), "-s", str(SNAKEFILE), "--directory", str(workdir), *args]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=timeout)


def run_or_fail(workdir: Path, *args: str) -> Path:
    """Run Snakemake in ``workdir``; on failure, fail the test with the tail of its output and of
    each failed rule's log. Returns ``workdir``."""
    proc = run_snakemake(workdir, *args)
    if proc.returncode != 0:
        failed = sorted(set(re.findall(r"Error in rule \S+:\n(?:\s+.*\n)*?\s+log: (\S+)", output_of(proc))))
        logs = "\n".join(f"--- {p}:\n" + "\n".join((workdir / p).read_text().splitlines()[-15:])
                         for p in failed if (workdir / p).exists())
        pytest.fail(f"snakemake {' '.join(args)} exited {proc.returncode}:\n{tail(proc, 40)}\n{logs}", pytrace=False)
    return workdir


def output_of(proc: subprocess.CompletedProcess) -> str:
    """Everything Snakemake printed (9.x writes its messages, errors included, to stdout)."""
    return f"{proc.stdout}\n{proc.stderr}"


def tail(proc: subprocess.CompletedProcess, n: int = 60) -> str:
    """The last lines Snakemake printed, for assertion messages."""
    return "\n".join(output_of(proc).strip().splitlines()[-n:])


def write_config(workdir: Path, config: dict) -> Path:
    path = Path(workdir) / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def dataset_entry(path, *, labels=("cell_type",), **extra) -> dict:
    return {"path": str(path), "format": "h5ad", "species": "human", "values": "counts", "labels": list(labels), **extra}


def libraries() -> dict:
    """panglaodb and cell_cycle with absolute local paths (no url: never downloaded)."""
    return {
        "panglaodb": {"path": str(PANGLAODB), "species": "human"},
        "cell_cycle": {"path": str(CELL_CYCLE), "species": "human"},
    }


def small_pbmc(pbmc_path: Path, n_cells: int, seed: int = 0, *, genes: int | None = None):
    """``n_cells`` PBMC cells drawn without replacement with a fixed seed, in file order.

    With ``genes``, only that many genes (the most detected in the drawn cells) are kept.
    """
    import anndata as ad

    adata = ad.read_h5ad(pbmc_path)
    cells = np.sort(np.random.default_rng(seed).choice(adata.n_obs, n_cells, replace=False))
    small = adata[cells].copy()
    if genes is not None:
        detected = np.asarray((small.X > 0).sum(axis=0)).ravel()
        small = small[:, np.sort(np.argsort(-detected, kind="stable")[:genes])].copy()
    return small


def base_config(dataset_path, **dataset_extra) -> dict:
    """A complete, valid config over one dataset named ``tiny`` (what the error tests start from)."""
    return {
        "datasets": {"tiny": dataset_entry(dataset_path, **dataset_extra)},
        "preprocess": {"min_genes": 10, "n_top_genes": 100},
        "models": {
            "beta1": {"objective": "beta", "beta": 1.0},
            "capacity": {"objective": "capacity", "gamma": 50.0, "capacity_max": 5.0, "capacity_steps": 20},
        },
        "training": {"epochs": 3, "n_latent": 4, "n_hidden": 32},
        "gene_set_libraries": libraries(),
        "enrichment": {"permutations": 50, "min_size": 5},
    }
