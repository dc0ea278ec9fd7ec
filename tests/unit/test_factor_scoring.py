"""One model judged against known factors: program recovery, per-factor table, collapsed dimensions,
and continuous labels kept out of the category capture."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from disentangle import keys
from disentangle.factor_scoring import program_recovery, score_factors
from disentangle.metrics import unsupervised_metrics
from disentangle.scoring import score_model

N = 600
SETTINGS = {"n_bins": 20, "train_fraction": 2 / 3, "one_vs_rest_min_cells": 20, "seed": 0}


def _latent(collapsed_scale: float = 1e-3) -> ad.AnnData:
    """z0 carries the dose, z1 the cell type (three levels), z2 is a collapsed copy of z0 (inactive)."""
    rng = np.random.default_rng(0)
    cell_type = np.repeat(["A", "B", "C"], N // 3)
    dose = rng.uniform(size=N)
    z0 = dose + 0.05 * rng.normal(size=N)
    z1 = pd.Series(cell_type).map({"A": -2.0, "B": 0.0, "C": 2.0}).to_numpy() + 0.1 * rng.normal(size=N)
    adata = ad.AnnData(X=np.zeros((N, 2), np.float32),
                       obs=pd.DataFrame({"cell_type": pd.Categorical(cell_type), "dose": dose}, index=[f"c{i}" for i in range(N)]))
    adata.obsm[keys.LATENT_MEAN] = np.column_stack([z0, z1, collapsed_scale * z0 + 1e-6 * rng.normal(size=N)])
    adata.uns[keys.LATENT_UNS] = {keys.KL_PER_DIM: [2.0, 3.0, 1e-4], keys.ACTIVE: [True, True, False]}
    activity = pd.DataFrame({f"cell_type={t}": (cell_type == t).astype(float) for t in "ABC"} | {"dose": dose},
                            index=adata.obs_names)
    adata.obsm[keys.SIM_ACTIVITY] = activity
    return adata


TERMS = pd.DataFrame({keys.TERM: ["cell_type=A", "cell_type=B", "cell_type=C", "dose"],
                      "n_dims": [1, 2, 0, 1], "dims": ["z1", "z0,z1", "", "z2"]})


def test_program_recovery_names_each_programs_own_dimension_and_where_it_was_found():
    latent = _latent()
    table = program_recovery(latent.obsm[keys.LATENT_MEAN][:, :2], latent.obsm[keys.SIM_ACTIVITY], TERMS).set_index("program")
    assert list(table["own_dimension"]) == ["z1", "z1", "z1", "z0"]
    assert table.loc["cell_type=A", "recovered_once"] and table.loc["cell_type=A", "in_own_dimension"]
    assert not table.loc["cell_type=B", "recovered_once"]          # significant in two dimensions
    assert table.loc["cell_type=C", "n_dims"] == 0 and not table.loc["cell_type=C", "recovered_once"]
    assert table.loc["dose", "recovered_once"] and not table.loc["dose", "in_own_dimension"]  # found, but in z2
    assert table.loc["cell_type=A", "own_normalized_mi"] > 0.9      # z1 alone tells type A from the rest


def test_score_factors_says_which_dimension_carries_each_factor():
    tables = score_factors(_latent(), labels=["cell_type", "dose"], terms=TERMS, settings=SETTINGS)
    factors = tables["factors"].set_index(["scope", "factor"])
    assert factors.loc[("factors", "cell_type"), "mig_best_dim"] == "z1"
    assert factors.loc[("factors", "dose"), "mig_best_dim"] == "z0"
    assert factors.loc[("factors", "dose"), "kind"] == "continuous"
    assert factors.loc[("factors", "cell_type"), "dci_best_dim"] == "z1"
    assert {f for s, f in factors.index if s == "one_vs_rest"} == {"cell_type=A", "cell_type=B", "cell_type=C", "dose"}
    metrics = tables["metrics"].set_index(["scope", "metric"])["value"]
    assert metrics[("programs", "recovered_once")] == pytest.approx(2 / 4)
    assert metrics[("programs", "in_own_dimension")] == pytest.approx(1 / 4)
    assert metrics[("factors", "dci_informativeness_test")] > 0.9


def test_collapsed_dimensions_are_left_out_of_every_score():
    """A faint copy of z0 has z0's histogram mutual information (equal-width bins ignore scale):
    counted, it would tie with z0 for the dose and close the MIG gap."""
    latent = _latent()
    kept = score_factors(latent, labels=["cell_type", "dose"], terms=TERMS, settings=SETTINGS)["factors"]
    assert kept.set_index(["scope", "factor"]).loc[("factors", "dose"), "mig_gap"] > 0.3
    latent.uns[keys.LATENT_UNS] = {**latent.uns[keys.LATENT_UNS], keys.ACTIVE: [True, True, True]}
    counted = score_factors(latent, labels=["cell_type", "dose"], terms=TERMS, settings=SETTINGS)["factors"]
    assert counted.set_index(["scope", "factor"]).loc[("factors", "dose"), "mig_gap"] < 0.05


def test_collapsed_dimensions_are_left_out_of_the_unsupervised_scores():
    latent = _latent()
    tables = score_factors(latent, labels=[], terms=TERMS, settings=SETTINGS)
    latent_scores = tables["metrics"].query("scope == 'latent'").set_index("metric")["value"]
    assert latent_scores["gaussian_total_correlation"] < 0.05       # z0 and z1 are independent
    every_dimension = unsupervised_metrics(latent.obsm[keys.LATENT_MEAN]).set_index("metric")["value"]
    assert every_dimension["gaussian_total_correlation"] > 3        # the collapsed copy of z0 would dominate
    assert tables["factors"].empty and set(tables["metrics"]["scope"]) == {"latent", "programs"}


def test_continuous_labels_are_not_captured_as_categories(tmp_path):
    latent = _latent()
    del latent.obsm[keys.SIM_ACTIVITY]
    path = tmp_path / "latent.h5ad"
    latent.write_h5ad(path)
    result = score_model(path, [], fdr=0.05, labels=["dose", "cell_type"])
    assert set(result["labels"]["label"]) == {"cell_type"}          # not 600 one-cell "categories" of dose
    assert set(result["labels"]["category"]) == {"A", "B", "C"}
    scopes = set(result["scores"]["scope"])
    assert "label:cell_type" in scopes and "label:dose" not in scopes
    assert result["dimensions"].set_index("dimension").loc["z1", "best_label"] in ("A", "C")  # its two poles


def test_label_capture_ignores_a_collapsed_copy_of_the_cell_type_dimension(tmp_path):
    latent = _latent()
    del latent.obsm[keys.SIM_ACTIVITY]
    codes = latent.obsm[keys.LATENT_MEAN].copy()
    codes[:, 2] = 1e-3 * codes[:, 1] + 1e-7 * np.random.default_rng(3).normal(size=N)  # inactive, same bins as z1
    latent.obsm[keys.LATENT_MEAN] = codes
    latent.write_h5ad(tmp_path / "latent.h5ad")
    result = score_model(tmp_path / "latent.h5ad", [], fdr=0.05, labels=["cell_type"])
    assert set(result["labels"]["best_dim"]) <= {"z0", "z1"}
    mig = result["scores"].set_index(["scope", "metric"])["value"][("label:cell_type", "mig")]
    assert mig > 0.5  # counted, the copy would tie with z1 and close the gap to ~0
