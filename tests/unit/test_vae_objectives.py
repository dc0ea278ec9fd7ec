"""β-TCVAE's KL decomposition and FactorVAE's discriminator on distributions whose TC and MI are known."""

import math

import numpy as np
import pytest
import torch

from disentangle import vae
from disentangle.vae.objectives.tcvae import log_pair_weights

from .test_vae import forward_pass


def correlated_posteriors(n, rho, noise_var, seed=0):
    """Posteriors N(μ_n, s²I) with μ ~ N(0, Σ − s²I), Σ = [[1, ρ], [ρ, 1]]: q(z) → N(0, Σ) as N grows."""
    g = torch.Generator().manual_seed(seed)
    cov = torch.tensor([[1.0, rho], [rho, 1.0]]) - noise_var * torch.eye(2)
    mean = torch.randn(n, 2, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(cov.double()).T
    logvar = torch.full_like(mean, math.log(noise_var))
    z = mean + torch.randn(n, 2, generator=g, dtype=torch.float64) * math.sqrt(noise_var)
    return z, mean, logvar


@pytest.mark.parametrize("rho", [0.0, 0.8])
def test_stratified_estimator_recovers_known_tc_and_mi(rho):
    z, mean, logvar = correlated_posteriors(3000, rho, noise_var=0.15)
    terms = vae.decomposed_kl(z, mean, logvar, n_data=3000, estimator="mss")  # the batch is the whole data
    true_tc = -0.5 * math.log(1 - rho**2)  # TC of N(0, Σ)
    true_mi = 0.5 * (math.log(1 - rho**2) - 2 * math.log(0.15))  # Gaussian channel: ½ log det Σ / det(s²I)
    assert terms["tc"].item() == pytest.approx(true_tc, abs=0.03)
    assert terms["mi"].item() == pytest.approx(true_mi, abs=0.06)  # the plug-in mixture reads ~0.035 low
    assert terms["dw_kl"].item() == pytest.approx(0.0, abs=0.05)  # the marginals are N(0, 1)


def test_identical_posteriors_give_the_hand_computed_estimates():
    n, d = 64, 3
    mean, logvar = torch.full((n, d), 0.5), torch.full((n, d), -1.0)
    z = mean + torch.randn(n, d, generator=torch.Generator().manual_seed(0)) * math.exp(-0.5)
    mss = vae.decomposed_kl(z, mean, logvar, n_data=1000, estimator="mss")
    assert mss["mi"].item() == pytest.approx(0.0, abs=1e-5)  # x tells nothing about z
    assert mss["tc"].item() == pytest.approx(0.0, abs=1e-5)  # a diagonal Gaussian
    # MWS weighs every pair 1/(N·M): MI = log N and TC = (D − 1)·log N exactly, where both are 0
    mws = vae.decomposed_kl(z, mean, logvar, n_data=1000, estimator="mws")
    assert mws["mi"].item() == pytest.approx(math.log(1000), rel=1e-5)
    assert mws["tc"].item() == pytest.approx((d - 1) * math.log(1000), rel=1e-5)


def test_decomposition_sums_to_the_sampled_kl():
    z, mean, logvar = correlated_posteriors(256, 0.5, noise_var=0.2, seed=3)
    for estimator in ("mws", "mss"):
        terms = vae.decomposed_kl(z, mean, logvar, n_data=5000, estimator=estimator)
        log_q = (-0.5 * (math.log(2 * math.pi) + logvar + (z - mean) ** 2 / logvar.exp())).sum(1)
        log_p = (-0.5 * (math.log(2 * math.pi) + z**2)).sum(1)
        assert (terms["mi"] + terms["tc"] + terms["dw_kl"]).item() == pytest.approx((log_q - log_p).mean().item(), rel=1e-6)


def test_stratified_weights_sum_to_one_per_cell():
    for m, n in ((2, 2), (16, 16), (16, 1000)):
        weights = log_pair_weights(m, n, "mss").double().exp()
        np.testing.assert_allclose(weights.sum(1).numpy(), 1.0, rtol=1e-6)  # q(z) is a mixture of the batch
    assert log_pair_weights(8, 100, "mws").exp().sum(1)[0].item() == pytest.approx(1 / 100)


def test_tcvae_objective_weights_its_terms():
    z, mean, logvar = correlated_posteriors(128, 0.7, noise_var=0.2, seed=1)
    fwd = forward_pass(torch.full((128,), 5.0, dtype=torch.float64), mean, logvar, z, n_data=2000)
    record = vae.TCVAEObjective(alpha=2.0, beta=6.0, gamma=0.5, estimator="mss")(fwd, step=0)
    t = {k: v.item() for k, v in record.terms.items()}
    assert record.total.item() == pytest.approx(5.0 + 2.0 * t["mi"] + 6.0 * t["tc"] + 0.5 * t["dw_kl"], rel=1e-6)


@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_factorvae_discriminator_learns_the_total_correlation(rho):
    torch.manual_seed(0)
    objective = vae.FactorVAEObjective(gamma=1.0, n_latent=2, hidden=64, layers=2, learning_rate=1e-3, seed=0)
    chol = torch.linalg.cholesky(torch.tensor([[1.0, rho], [rho, 1.0]]))
    g = torch.Generator().manual_seed(1)
    for step in range(1500):
        z = torch.randn(256, 2, generator=g) @ chol.T
        objective.update(forward_pass(None, z, z=z), step)
    z = torch.randn(20000, 2, generator=g) @ chol.T
    with torch.no_grad():
        _, terms, _ = objective.regulariser(forward_pass(None, z, z=z), torch.tensor(0.0), 0)
    assert terms["tc"].item() == pytest.approx(-0.5 * math.log(1 - rho**2), abs=0.12)  # 0 and 0.83 nats


def test_factorvae_state_round_trips():
    objective = vae.FactorVAEObjective(gamma=5.0, n_latent=3, seed=2)
    z = torch.randn(32, 3)
    objective.update(forward_pass(None, z, z=z), 0)
    other = vae.FactorVAEObjective(gamma=5.0, n_latent=3, seed=9)
    other.load_state_dict(objective.state_dict())
    assert torch.equal(other.discriminator(z), objective.discriminator(z))
    assert torch.equal(torch.rand(3, generator=other.generator), torch.rand(3, generator=objective.generator))
