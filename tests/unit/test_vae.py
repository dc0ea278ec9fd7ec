"""The β-VAE module: KL, likelihoods against scipy, the KL-weighing objectives, architecture options."""

import numpy as np
import pytest
import torch
from scipy import stats

from disentangle import vae
from disentangle.interpret import traversal_effects
from disentangle.vae.likelihoods import Gaussian, NegativeBinomial, Poisson, ZeroInflatedNB
from disentangle.vae.modules import DecoderOutput


def forward_pass(recon, mean, logvar=None, z=None, n_data=0):
    """A ForwardPass built by hand: per-cell reconstruction and posteriors of one minibatch."""
    logvar = torch.zeros_like(mean) if logvar is None else logvar
    z = mean if z is None else z
    return vae.ForwardPass(x=None, mean=mean, logvar=logvar, z=z, decoded=None, reconstruction=recon,
                           n_data=n_data or len(mean))


def test_gaussian_kl_matches_closed_form_and_is_nonnegative():
    mean = torch.tensor([[0.0, 1.0, -2.0]])
    logvar = torch.tensor([[0.0, 0.0, np.log(0.25)]])
    kl = vae.gaussian_kl(mean, logvar)
    # KL(N(m, s²) || N(0,1)) = 0.5 (m² + s² - 1 - ln s²)
    expected = [0.0, 0.5, 0.5 * (4 + 0.25 - 1 - np.log(0.25))]
    np.testing.assert_allclose(kl.numpy()[0], expected, rtol=1e-6)
    random = vae.gaussian_kl(torch.randn(500, 8) * 3, torch.randn(500, 8) * 3)
    assert (random >= 0).all()


X = torch.tensor([[0.0, 3.0, 12.0, 0.0]])
SHARE = torch.tensor([[0.2, 0.3, 0.4, 0.1]])
LIBRARY = torch.tensor([[20.0]])
THETA = np.array([0.5, 2.0, 10.0, 1.0])
MU = (SHARE * LIBRARY).numpy()[0]


def _with_theta(likelihood):
    with torch.no_grad():
        likelihood.log_theta.copy_(torch.log(torch.tensor(THETA, dtype=torch.float32)))
    return likelihood


def test_negative_binomial_nll_matches_scipy():
    nb = _with_theta(NegativeBinomial(4))
    expected = -stats.nbinom.logpmf(X.numpy()[0], THETA, THETA / (THETA + MU)).sum()
    assert nb.nll(X, DecoderOutput(SHARE), LIBRARY).item() == pytest.approx(expected, rel=1e-4)


def test_poisson_nll_matches_scipy():
    expected = -stats.poisson.logpmf(X.numpy()[0], MU).sum()
    assert Poisson(4).nll(X, DecoderOutput(SHARE), LIBRARY).item() == pytest.approx(expected, rel=1e-5)


def test_zero_inflated_nb_matches_the_mixture_and_reduces_to_nb():
    zinb = _with_theta(ZeroInflatedNB(4))
    logits = torch.tensor([[0.5, -1.0, 2.0, -3.0]])
    pi = 1 / (1 + np.exp(-logits.numpy()[0]))
    nb_pmf = stats.nbinom.pmf(X.numpy()[0], THETA, THETA / (THETA + MU))
    mixture = np.where(X.numpy()[0] == 0, pi + (1 - pi) * nb_pmf, (1 - pi) * nb_pmf)
    assert zinb.nll(X, DecoderOutput(SHARE, logits), LIBRARY).item() == pytest.approx(-np.log(mixture).sum(), rel=1e-4)
    no_inflation = DecoderOutput(SHARE, torch.full_like(logits, -30.0))
    nb = _with_theta(NegativeBinomial(4))
    assert zinb.nll(X, no_inflation, LIBRARY).item() == pytest.approx(nb.nll(X, DecoderOutput(SHARE), LIBRARY).item(), rel=1e-5)


def test_gaussian_nll_matches_scipy():
    g = Gaussian(2)
    x, mean = torch.tensor([[1.0, -1.0]]), torch.tensor([[0.5, 0.0]])
    expected = -stats.norm.logpdf([1.0, -1.0], [0.5, 0.0], 1.0).sum()
    assert g.nll(x, DecoderOutput(mean)).item() == pytest.approx(expected, rel=1e-6)


def test_beta_objective_weights_kl_and_warmup_scales_it():
    # KL per cell and dimension 0.5·m² = 1.5 with m = √3 and unit variance
    fwd = forward_pass(torch.full((4,), 10.0), torch.full((4, 2), np.sqrt(3.0)))
    record = vae.BetaObjective(4.0)(fwd, step=0)
    assert record.reconstruction.item() == pytest.approx(10.0)
    assert record.kl.item() == pytest.approx(3.0)  # summed over 2 dims, averaged over cells
    assert record.total.item() == pytest.approx(10.0 + 4.0 * 3.0)
    np.testing.assert_allclose(record.kl_per_dim.numpy(), [1.5, 1.5], rtol=1e-6)
    warm = vae.BetaObjective(4.0)(fwd, step=0, kl_weight=0.25)
    assert warm.total.item() == pytest.approx(10.0 + 0.25 * 4.0 * 3.0)
    assert warm.schedule["kl_weight"] == 0.25


@pytest.mark.parametrize("step, expected_c", [(0, 0.0), (250, 5.0), (1000, 20.0), (5000, 20.0)])
def test_capacity_schedule_follows_formula(step, expected_c):
    objective = vae.CapacityObjective(gamma=100.0, capacity_max=20.0, capacity_steps=1000)
    assert objective.capacity(step) == pytest.approx(expected_c)
    fwd = forward_pass(torch.full((2,), 50.0), torch.full((2, 4), 2.0))  # KL = 4 dims x 0.5·2² = 8 nats
    record = objective(fwd, step)
    assert record.total.item() == pytest.approx(50.0 + 100.0 * abs(8.0 - expected_c))
    assert record.schedule["capacity"] == pytest.approx(expected_c)
    assert record.terms["capacity_gap"].item() == pytest.approx(abs(8.0 - expected_c))
    assert objective.schedule_done(step) == (step >= 1000)


def test_make_objective_builds_each_by_name():
    assert isinstance(vae.make_objective({"objective": "beta", "beta": 2.0}), vae.BetaObjective)
    tc = vae.make_objective({"objective": "tcvae", "beta": 6.0, "tc_estimator": "mss"})
    assert tc.params() == {"objective": "tcvae", "alpha": 1.0, "beta": 6.0, "gamma": 1.0, "tc_estimator": "mss"}
    factor = vae.make_objective({"objective": "factorvae", "gamma": 10.0, "n_latent": 4})
    assert factor.discriminator.net[0].in_features == 4
    with pytest.raises(ValueError, match="unknown objective"):
        vae.make_objective({"objective": "nope"})


def test_linear_gaussian_decoder_traversal_is_loading_times_range():
    torch.manual_seed(0)
    model = vae.BetaVAE(vae.Architecture(n_input=7, n_latent=3, likelihood="gaussian", decoder="linear")).eval()
    latent = np.random.default_rng(0).normal(size=(200, 3))
    effects, _, ranges = traversal_effects(model, latent)
    loadings = model.loadings()
    assert loadings.shape == (7, 3)
    np.testing.assert_allclose(effects, loadings * (ranges[:, 1] - ranges[:, 0]), rtol=1e-4, atol=1e-6)
    assert vae.BetaVAE(vae.Architecture(n_input=7, n_latent=3)).loadings() is None


@pytest.mark.parametrize("norm, kind", [("batch", torch.nn.BatchNorm1d), ("layer", torch.nn.LayerNorm)])
def test_architecture_options_build_the_layers_asked_for(norm, kind):
    model = vae.BetaVAE(vae.Architecture(n_input=20, n_latent=2, n_hidden=8, n_layers=2, norm=norm, dropout=0.2,
                                         likelihood="zinb"))
    modules = list(model.encoder.body)
    assert sum(isinstance(m, torch.nn.Linear) for m in modules) == 2
    assert sum(isinstance(m, kind) for m in modules) == 2
    assert sum(isinstance(m, torch.nn.Dropout) for m in modules) == 2
    assert not any(isinstance(m, torch.nn.Dropout) for m in model.decoder.modules())  # encoder only, as scVI
    assert model.decoder.dropout is not None  # the ZINB zero-inflation head
    with pytest.raises(ValueError, match="norm"):
        vae.Architecture(n_input=20, norm="group")


def test_objective_keys_and_count_likelihoods_agree_with_the_schema_and_the_library():
    import yaml

    from disentangle.specs import COUNT_LIKELIHOODS, OBJECTIVE_PARAMS, foreign_objective_keys

    from ..conftest import REPO

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())["$defs"]["model"]
    params = set(schema["properties"]) - {"objective"}
    for rule in schema["allOf"]:
        objective = rule["if"]["properties"]["objective"]["const"]
        forbidden = {k for k, v in rule["then"]["properties"].items() if v == {"not": {}}}
        assert set(OBJECTIVE_PARAMS[objective]) == params - forbidden, objective
    assert set(OBJECTIVE_PARAMS) == set(vae.OBJECTIVES)
    assert COUNT_LIKELIHOODS == vae.COUNT_LIKELIHOODS
    assert foreign_objective_keys({"objective": "beta", "beta": 2, "gamma": 1, "epochs": 3}) == ["gamma"]
