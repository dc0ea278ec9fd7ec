"""The β-VAE module: KL, likelihoods, objectives, training reproducibility, checkpoints."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy import stats

from disentangle import vae
from disentangle.vae.likelihoods import Gaussian, NegativeBinomial


def test_gaussian_kl_matches_closed_form_and_is_nonnegative():
    mean = torch.tensor([[0.0, 1.0, -2.0]])
    logvar = torch.tensor([[0.0, 0.0, np.log(0.25)]])
    kl = vae.gaussian_kl(mean, logvar)
    # KL(N(m, s²) || N(0,1)) = 0.5 (m² + s² - 1 - ln s²)
    expected = [0.0, 0.5, 0.5 * (4 + 0.25 - 1 - np.log(0.25))]
    np.testing.assert_allclose(kl.numpy()[0], expected, rtol=1e-6)
    random = vae.gaussian_kl(torch.randn(500, 8) * 3, torch.randn(500, 8) * 3)
    assert (random >= 0).all()


def test_negative_binomial_nll_matches_scipy():
    nb = NegativeBinomial(3)
    with torch.no_grad():
        nb.log_theta.copy_(torch.log(torch.tensor([0.5, 2.0, 10.0])))
    x = torch.tensor([[0.0, 3.0, 12.0]])
    rho = torch.tensor([[0.2, 0.3, 0.5]])
    library = torch.tensor([[20.0]])
    mu, theta = (rho * library).numpy()[0], np.array([0.5, 2.0, 10.0])
    expected = -stats.nbinom.logpmf(x.numpy()[0], theta, theta / (theta + mu)).sum()
    assert nb.nll(x, rho, library).item() == pytest.approx(expected, rel=1e-4)


def test_gaussian_nll_matches_scipy():
    g = Gaussian(2)
    x, mean = torch.tensor([[1.0, -1.0]]), torch.tensor([[0.5, 0.0]])
    expected = -stats.norm.logpdf([1.0, -1.0], [0.5, 0.0], 1.0).sum()
    assert g.nll(x, mean).item() == pytest.approx(expected, rel=1e-6)


def test_beta_objective_weights_kl():
    recon, kl = torch.full((4,), 10.0), torch.full((4, 2), 1.5)
    record = vae.BetaObjective(4.0)(recon, kl, step=0)
    assert record.reconstruction.item() == pytest.approx(10.0)
    assert record.kl.item() == pytest.approx(3.0)  # summed over 2 dims, averaged over cells
    assert record.total.item() == pytest.approx(10.0 + 4.0 * 3.0)
    np.testing.assert_allclose(record.kl_per_dim.numpy(), [1.5, 1.5])


@pytest.mark.parametrize("step, expected_c", [(0, 0.0), (250, 5.0), (1000, 20.0), (5000, 20.0)])
def test_capacity_schedule_follows_formula(step, expected_c):
    objective = vae.CapacityObjective(gamma=100.0, capacity_max=20.0, capacity_steps=1000)
    assert objective.capacity(step) == pytest.approx(expected_c)
    recon, kl = torch.full((2,), 50.0), torch.full((2, 4), 2.0)  # KL = 8 nats
    record = objective(recon, kl, step)
    assert record.total.item() == pytest.approx(50.0 + 100.0 * abs(8.0 - expected_c))
    assert record.extra["capacity"] == pytest.approx(expected_c)
    assert objective.schedule_done(step) == (step >= 1000)


def _train(x, seed, epochs=3, likelihood="nb"):
    arch = vae.Architecture(n_input=x.shape[1], n_latent=3, n_hidden=16, likelihood=likelihood)
    config = vae.TrainingConfig(epochs=epochs, batch_size=32, seed=seed, early_stopping_patience=0)
    return vae.train(x, arch, vae.BetaObjective(1.0), config)


def test_fixed_seed_reproduces_latent_space_exactly(planted_counts):
    x = sp.csr_matrix(planted_counts[0])
    first, second, other = _train(x, 3), _train(x, 3), _train(x, 4)
    z1, _ = vae.latent_representation(first.model, x)
    z2, _ = vae.latent_representation(second.model, x)
    z3, _ = vae.latent_representation(other.model, x)
    np.testing.assert_array_equal(z1, z2)
    assert not np.allclose(z1, z3)
    assert first.history == second.history


def test_training_lowers_loss_and_logs_nonnegative_kl_per_dimension(planted_counts):
    x = sp.csr_matrix(planted_counts[0])
    result = _train(x, 0, epochs=15)
    train = [row for row in result.history if row["split"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    for row in result.history:
        kl_dims = [row[f"kl_z{k}"] for k in range(3)]
        assert min(kl_dims) >= 0
        assert sum(kl_dims) == pytest.approx(row["kl"], rel=1e-5)
    assert {row["split"] for row in result.history} == {"train", "validation"}
    assert len(result.validation_cells) == 30 and len(set(result.validation_cells) & set(result.train_cells)) == 0


def test_gaussian_likelihood_trains_on_dense_log_data(planted_counts):
    x = np.log1p(planted_counts[0])
    result = _train(x, 0, epochs=5, likelihood="gaussian")
    assert np.isfinite(result.history[-1]["loss"])


def test_batch_of_one_cell_trains(planted_counts):
    x = sp.csr_matrix(planted_counts[0][:33])  # 3 validation cells, 30 training cells
    arch = vae.Architecture(n_input=60, n_latent=2, n_hidden=8)
    result = vae.train(x, arch, vae.BetaObjective(1.0), vae.TrainingConfig(epochs=2, batch_size=29, validation_fraction=0.1, early_stopping_patience=0))
    assert len(result.train_cells) == 30  # batches of 29 and 1
    assert np.isfinite(result.history[-1]["loss"])


def test_early_stopping_restores_best_epoch(planted_counts):
    x = sp.csr_matrix(planted_counts[0])
    arch = vae.Architecture(n_input=60, n_latent=3, n_hidden=64)
    config = vae.TrainingConfig(epochs=300, batch_size=16, learning_rate=1e-2, early_stopping_patience=3, seed=0)
    result = vae.train(x, arch, vae.BetaObjective(1.0), config)
    val = [row for row in result.history if row["split"] == "validation"]
    assert len(val) < 300  # stopped early
    best = min(val, key=lambda r: r["elbo_loss"])
    assert result.best_epoch == best["epoch"] == val[-1]["epoch"] - 3


def test_checkpoint_round_trip(tmp_path, planted_counts):
    x = sp.csr_matrix(planted_counts[0])
    result = _train(x, 0)
    genes = [f"g{i}" for i in range(60)]
    vae.save_checkpoint(tmp_path / "model.pt", result.model, genes)
    model, loaded_genes = vae.load_checkpoint(tmp_path / "model.pt")
    assert loaded_genes == genes
    np.testing.assert_array_equal(vae.latent_representation(model, x)[0], vae.latent_representation(result.model, x)[0])
    with pytest.raises(ValueError, match="genes"):
        vae.save_checkpoint(tmp_path / "bad.pt", result.model, genes[:5])
