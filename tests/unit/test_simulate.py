"""The simulator: factor values really drive their programs, the GMT matches, seeds reproduce."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import log_softmax
from scipy.stats import spearmanr

from disentangle import keys
from disentangle.io import read_gmt
from disentangle.io.convert import write_gmt
from disentangle.simulate import Factor, SimulationSpec, Simulator

CONFIG = {
    "n_cells": 3000, "n_genes": 600, "program_size": 40, "seed": 3,
    "factors": {
        "cell_type": {"kind": "categorical", "levels": 3, "effect": 2.0},
        "cycle": {"kind": "cyclic", "effect": 1.5, "peaks": 2},
        "dose": {"kind": "continuous", "effect": 1.5},
    },
}


@pytest.fixture(scope="module")
def simulated():
    simulator = Simulator.draw(SimulationSpec.from_config(CONFIG))
    return simulator, simulator.simulate()


def _log_normalized(adata) -> np.ndarray:
    counts = adata.X.toarray().astype(float)
    return np.log1p(counts / counts.sum(1, keepdims=True) * 1e4)


def _program_score(adata, simulator, program) -> np.ndarray:
    genes = pd.Index(simulator.genes).get_indexer(simulator.program_genes()[program])
    return _log_normalized(adata)[:, genes].mean(1)


def test_programs_and_levels_are_named_after_their_factor(simulated):
    simulator, adata = simulated
    assert simulator.spec.programs == ["cell_type=A", "cell_type=B", "cell_type=C", "cycle_phase0", "cycle_phase1", "dose"]
    assert list(adata.obs.columns) == ["cell_type", "cycle", "dose"]
    assert sorted(adata.obs["cell_type"].cat.categories) == ["A", "B", "C"]
    assert list(adata.obsm[keys.SIM_ACTIVITY].columns) == simulator.spec.programs


def test_a_cell_type_raises_its_own_program_by_its_effect(simulated):
    simulator, adata = simulated
    genes = pd.Index(simulator.genes).get_indexer(simulator.program_genes()["cell_type=B"])
    counts = adata.X.toarray().astype(float)
    is_b = (adata.obs["cell_type"] == "B").to_numpy()
    frac = counts / counts.sum(1, keepdims=True)
    log_fold = np.log(frac[is_b][:, genes].mean(0) / frac[~is_b][:, genes].mean(0))
    # the noise-free expected fractions: softmax of baseline + activity @ loadings.T
    log_rate = simulator.baseline + simulator.activity(adata.obs).to_numpy() @ simulator.loadings.T
    expected_frac = np.exp(log_softmax(log_rate, axis=1))
    expected = np.log(expected_frac[is_b][:, genes].mean(0) / expected_frac[~is_b][:, genes].mean(0))
    assert np.median(np.abs(log_fold - expected)) < 0.1  # the NB sampling is unbiased
    # loadings are effect x lognormal(0, 0.25), minus the normalisation by the cell's total
    assert 1.6 < np.median(log_fold) < 2.2
    others = np.setdiff1d(np.arange(adata.n_vars), np.flatnonzero(simulator.loadings.any(1)))
    background = np.log(frac[is_b][:, others].mean(0) / frac[~is_b][:, others].mean(0))
    assert abs(np.median(background)) < 0.2  # genes of no program barely move (only through normalisation)


def test_dose_and_cycle_drive_their_programs(simulated):
    simulator, adata = simulated
    dose = adata.obs["dose"].to_numpy()
    assert spearmanr(_program_score(adata, simulator, "dose"), dose)[0] > 0.6
    assert abs(spearmanr(_program_score(adata, simulator, "cell_type=A"), dose)[0]) < 0.1  # no correlation asked for
    phase = adata.obs["cycle"].to_numpy()
    score = _program_score(adata, simulator, "cycle_phase1")  # peaks at phase 0.5
    near, far = np.abs(phase - 0.5) < 0.1, np.abs(phase - 0.5) > 0.4
    assert score[near].mean() > score[far].mean() + 0.3


def test_gmt_lists_exactly_the_loaded_genes(simulated, tmp_path):
    simulator, adata = simulated
    path = write_gmt(simulator.program_genes(), tmp_path / "programs.gmt", description="simulated")
    gmt = read_gmt(path)
    assert list(gmt) == simulator.spec.programs
    loadings = adata.varm[keys.SIM_LOADINGS]
    for p, program in enumerate(simulator.spec.programs):
        assert set(gmt[program]) == set(adata.var_names[loadings[:, p] > 0])
        assert len(gmt[program]) == CONFIG["program_size"]
    all_genes = [g for genes in gmt.values() for g in genes]
    assert len(all_genes) == len(set(all_genes))  # disjoint programs


def test_seed_reproduces_and_changes_the_data():
    a = Simulator.draw(SimulationSpec.from_config(CONFIG)).simulate()
    b = Simulator.draw(SimulationSpec.from_config(CONFIG)).simulate()
    c = Simulator.draw(SimulationSpec.from_config({**CONFIG, "seed": 4})).simulate()
    assert (a.X != b.X).nnz == 0 and a.obs.equals(b.obs)
    assert (a.X != c.X).nnz > 0


def test_library_sizes_and_sparsity_follow_the_settings():
    adata = Simulator.draw(SimulationSpec.from_config({**CONFIG, "library_size": {"median": 800, "sigma": 0.3}})).simulate()
    totals = np.asarray(adata.X.sum(1)).ravel()
    assert np.median(totals) == pytest.approx(800, rel=0.08)
    assert np.std(np.log(totals)) == pytest.approx(np.sqrt(0.3**2 + 0.04), abs=0.06)  # lognormal + NB noise
    assert adata.X.nnz / np.prod(adata.shape) < 0.6  # sparse at a few counts per gene


def test_copula_correlation_between_two_factors():
    config = {"n_cells": 20000, "n_genes": 100, "program_size": 5,
              "factors": {"a": {"kind": "continuous"}, "b": {"kind": "continuous"}}, "correlations": [["a", "b", 0.6]]}
    simulator = Simulator.draw(SimulationSpec.from_config(config))
    factors = simulator.sample_factors(20000, np.random.default_rng(0))
    # Gaussian copula: Spearman rho = (6 / pi) asin(rho / 2)
    assert spearmanr(factors["a"], factors["b"])[0] == pytest.approx(6 / np.pi * np.arcsin(0.3), abs=0.02)
    assert factors["a"].between(0, 1).all()


def test_categorical_proportions():
    spec = SimulationSpec(factors=(Factor("t", "categorical", levels=3, proportions=(0.5, 0.3, 0.2)),), n_genes=100, program_size=5)
    values = Simulator.draw(spec).sample_factors(20000, np.random.default_rng(0))["t"]
    np.testing.assert_allclose(values.value_counts(normalize=True).sort_index().to_numpy(), [0.5, 0.3, 0.2], atol=0.015)


def test_h5ad_round_trip_rebuilds_the_simulator(simulated, tmp_path):
    simulator, adata = simulated
    adata.write_h5ad(tmp_path / "sim.h5ad")
    import anndata as ad

    again = Simulator.from_anndata(ad.read_h5ad(tmp_path / "sim.h5ad"))
    assert again.spec == simulator.spec
    factors = simulator.sample_factors(50, np.random.default_rng(1))
    assert (again.counts(factors, np.random.default_rng(2)) != simulator.counts(factors, np.random.default_rng(2))).nnz == 0


@pytest.mark.parametrize("change, message", [
    ({"program_size": 200}, "do not fit"),
    ({"correlations": [["dose", "nope", 0.5]]}, "not among"),
    ({"factors": {"a": {"kind": "continuous"}, "b": {"kind": "continuous"}, "c": {"kind": "continuous"}},
      "correlations": [["a", "b", 0.9], ["b", "c", 0.9], ["a", "c", -0.9]]}, "positive definite"),
    ({"factors": {"a": {"kind": "wavy"}}}, "kind must be"),
    ({"correlations": [["dose", "dose", 0.5]]}, "pairs a factor with itself"),
    ({"correlations": [["dose", "cell_type", 0.5], ["cell_type", "dose", 0.2]]}, "given twice"),
    ({"factors": {"cycle": {"kind": "cyclic"}, "cycle_phase0": {"kind": "continuous"}}}, "named twice"),
    ({"factors": {"t": {"kind": "categorical", "levels": 703}}}, "at most 702 levels"),
    ({"factors": {"t": {"kind": "categorical", "levels": 3, "proportions": [0.5, 0.5]}}}, "3 numbers summing to 1"),
    ({"factors": {"d": {"kind": "continuous", "proportions": [0.5, 0.5]}}}, "categorical factors only"),
])
def test_impossible_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        SimulationSpec.from_config({**CONFIG, **change})


def test_three_cyclic_peaks_identify_the_phase_two_are_complements():
    phase = pd.Series(np.linspace(0, 1, 40, endpoint=False))
    three = Factor("cycle", "cyclic", peaks=3).activity(phase)
    angles = 2 * np.pi * np.arange(3) / 3
    recovered = np.arctan2(three @ np.sin(angles), three @ np.cos(angles)) / (2 * np.pi) % 1
    np.testing.assert_allclose(recovered, phase, atol=1e-9)
    two = Factor("cycle", "cyclic", peaks=2).activity(phase)
    np.testing.assert_allclose(two.sum(axis=1), 1.0)  # one axis: x and 1 - x look the same
    np.testing.assert_allclose(two[5], two[35])
