"""The simulated dataset and a β sweep through the whole Snakefile: 300 cells, 3 settings x 2 seeds, 5 epochs.

Checks that the simulation becomes a dataset with its programs as a gene-set library, that every
sweep model is scored against the known factors (including the BetaVAE/FactorVAE scores on newly
simulated cells), and that the sweep summary aggregates over seeds.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from disentangle.io import read_gmt
from smk_helpers import libraries, output_of, run_or_fail, run_snakemake, tail, write_config

pytestmark = [pytest.mark.workflow]

SIMULATION = {
    "n_cells": 300, "n_genes": 150, "program_size": 10, "seed": 0,
    "factors": {"cell_type": {"kind": "categorical", "levels": 3, "effect": 2.5}, "dose": {"kind": "continuous", "effect": 2.0}},
}
SWEEP = {"datasets": ["sim"], "betas": [1, 4], "capacities": [3], "tcvae_betas": [6], "factorvae_gammas": [5],
         "seeds": [0, 1], "capacity_steps": 20, "training": {"epochs": 5}}
SWEEP_MODELS = [f"{s}_seed{seed}" for seed in (0, 1) for s in ("beta1", "beta4", "capacity3", "tcvae6", "factorvae5")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sweep")
    write_config(workdir, {
        "datasets": {"sim": {"simulate": SIMULATION, "models": [], "preprocess": {"min_genes": 20}}},
        "models": {"unused": {"objective": "beta", "beta": 1.0}},
        "sweep": SWEEP,
        "training": {"n_latent": 3, "n_hidden": 16},
        "gene_set_libraries": libraries(),
        "enrichment": {"permutations": 50, "min_size": 5},
        "factor_metrics": {"batch_size": 16, "n_train": 20, "n_eval": 10, "n_variance": 200},
    })
    return run_or_fail(workdir, "--cores", "2")


def test_simulation_writes_counts_and_its_programs(run):
    gmt = read_gmt(run / "results/sim/simulation/programs.gmt")
    assert list(gmt) == ["cell_type=A", "cell_type=B", "cell_type=C", "dose"]
    assert all(len(genes) == 10 for genes in gmt.values())


def test_exactly_the_sweep_models_are_trained(run):
    trained = sorted(p.parent.name for p in (run / "results/sim").glob("*/model.pt"))
    assert trained == sorted(SWEEP_MODELS)  # `models: []`: the top-level model is not trained here
    summary = pd.read_csv(run / "results/sim/summary.tsv", sep="\t").set_index("model")
    assert summary.loc["beta4_seed1", "beta"] == 4 and summary.loc["beta4_seed1", "seed"] == 1
    assert summary.loc["capacity3_seed0", "capacity_max"] == 3
    assert summary.loc["tcvae6_seed1", "objective"] == "tcvae" and summary.loc["tcvae6_seed1", "beta"] == 6
    assert summary.loc["factorvae5_seed0", "objective"] == "factorvae" and summary.loc["factorvae5_seed0", "gamma"] == 5
    assert (summary["reconstruction_validation"] > 0).all()


def test_seeds_give_different_models(run):
    import anndata as ad

    a = ad.read_h5ad(run / "results/sim/beta1_seed0/latent.h5ad").obsm["X_latent"]
    b = ad.read_h5ad(run / "results/sim/beta1_seed1/latent.h5ad").obsm["X_latent"]
    assert a.shape == b.shape and not np.allclose(a, b)


def test_every_model_is_scored_against_the_factors(run):
    metrics = pd.read_csv(run / "results/sim/beta1_seed0/factor_metrics.tsv", sep="\t")
    scopes = set(metrics["scope"])
    assert {"latent", "factors", "one_vs_rest", "intervention", "programs"} <= scopes
    values = metrics.set_index(["scope", "metric"])["value"]
    for metric in ["mig", "dci_disentanglement", "dci_completeness", "sap", "modularity"]:
        assert 0 <= values[("factors", metric)] <= 1, metric
    for metric in ["beta_vae_eval_accuracy", "factor_vae_eval_accuracy"]:
        assert 0 <= values[("intervention", metric)] <= 1, metric
    assert values[("programs", "n_programs")] == 4
    programs = pd.read_csv(run / "results/sim/beta1_seed0/programs.tsv", sep="\t")
    assert list(programs["program"]) == ["cell_type=A", "cell_type=B", "cell_type=C", "dose"]
    assert programs["own_dimension"].str.fullmatch(r"z[0-2]").all()


def test_sweep_summary_aggregates_over_seeds(run):
    models = pd.read_csv(run / "results/sim/sweep/models.tsv", sep="\t")
    assert list(models["setting"]) == ["β=1", "β=1", "β=4", "β=4", "C=3", "C=3", "TC β=6", "TC β=6", "FV γ=5", "FV γ=5"]
    summary = pd.read_csv(run / "results/sim/sweep/summary.tsv", sep="\t")
    mig = summary[summary["metric"] == "factors.mig"].set_index("setting")
    assert list(mig.index) == ["β=1", "β=4", "C=3", "TC β=6", "FV γ=5"] and (mig["n_seeds"] == 2).all()
    by_hand = models[models["setting"] == "β=4"]["factors.mig"]
    assert mig.loc["β=4", "mean"] == pytest.approx(by_hand.mean())
    assert mig.loc["β=4", "sd"] == pytest.approx(by_hand.std(ddof=1))
    assert (run / "results/sim/sweep/metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("log", ["logs/sim/simulate_dataset.log", "logs/sim/sweep_summary.log",
                                 "logs/sim/capacity3_seed1/score_factors.log"])
def test_the_new_rules_write_logs(run, log):
    assert (run / log).is_file() and (run / log).stat().st_size > 0, log


def test_nothing_left_to_do(run):
    proc = run_snakemake(run, "-n", "--cores", "2")
    assert proc.returncode == 0 and "Nothing to be done" in output_of(proc), tail(proc)
