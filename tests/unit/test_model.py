"""The AnnData-facing model: likelihood choice, log-expression data, export slots."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc

from disentangle import keys
from disentangle.errors import InputError
from disentangle.model import export_latent, resolve_likelihood, train_model, write_training_outputs
from disentangle.pp import PreprocessParams, preprocess


def test_likelihood_follows_the_values_of_the_data():
    assert resolve_likelihood("auto", "counts") == "nb"
    assert resolve_likelihood("auto", "log_expression") == "gaussian"
    assert resolve_likelihood("gaussian", "counts") == "gaussian"
    with pytest.raises(InputError, match="nb"):
        resolve_likelihood("nb", "log_expression")


@pytest.fixture
def log_expression(planted_counts):
    """Bulk-like log-scale data (like RMA microarrays): no counts layer, dense X."""
    x = np.log2(planted_counts[0] + 1.0) + 5.0
    obs = pd.DataFrame({"group": pd.Categorical(np.where(planted_counts[1] > 0, "high_a", "low_a"))},
                       index=[f"s{i}" for i in range(300)])
    return ad.AnnData(x, obs=obs, var=pd.DataFrame(index=[f"GENE{i}" for i in range(60)]))


def test_log_expression_data_train_a_gaussian_model_and_export(log_expression, tmp_path):
    params = PreprocessParams(min_genes=10, min_cells=3, n_top_genes=40, values="log_expression")
    data = preprocess(log_expression, params=params)
    assert keys.COUNTS_LAYER not in data.layers
    np.testing.assert_allclose(data.X.toarray(), log_expression.X, rtol=1e-6)  # log data kept as given
    assert data.var[keys.HVG].sum() == 40
    settings = {"objective": "beta", "beta": 2.0, "n_latent": 2, "n_hidden": 16, "epochs": 5, "batch_size": 64, "seed": 1}
    result, specs = train_model(data, settings=settings, values="log_expression")
    assert specs["architecture"]["likelihood"] == "gaussian"
    paths = [tmp_path / name for name in ("model.pt", "specs.json", "losses.tsv")]
    write_training_outputs(result, specs, model_path=paths[0], specs_path=paths[1], losses_path=paths[2])
    latent = export_latent(data, model_path=paths[0], specs=specs, active_kl=0.0)
    assert latent.n_vars == 40 and latent.obsm[keys.LATENT_MEAN].shape == (300, 2)
    info = latent.uns[keys.LATENT_UNS]
    assert info[keys.ACTIVE].tolist() == (np.asarray(info[keys.KL_PER_DIM]) > 0).tolist()
    assert info["params"]["beta"] == 2.0 and info["params"]["likelihood"] == "gaussian"
    losses = pd.read_csv(paths[2], sep="\t")
    assert list(losses.columns) == ["epoch", "split", "step", "term", "value"]
    assert {"kl_z0", "kl_z1", "elbo_loss", "reconstruction"} <= set(losses["term"])
    assert losses.groupby(["epoch", "split"]).ngroups == 10
    # scverse plotting works on what was exported
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axis = sc.pl.embedding(latent, basis="latent", color="group", show=False)
    assert axis.get_xlabel() == "latent1"
    plt.close("all")


@pytest.mark.parametrize("likelihood", ["poisson", "nb", "zinb"])
def test_count_likelihoods_refuse_non_integer_counts(log_expression, likelihood):
    data = preprocess(log_expression, params=PreprocessParams(min_genes=10, min_cells=3, n_top_genes=40, values="log_expression"))
    data.layers[keys.COUNTS_LAYER] = data.X.copy()  # log values where counts belong
    with pytest.raises(InputError, match=rf"(?s)pre.h5ad.*likelihood {likelihood} needs non-negative integer counts.*values: counts"):
        train_model(data, settings={"objective": "beta", "beta": 1.0, "likelihood": likelihood}, source="pre.h5ad")


def test_linear_decoder_exports_its_loadings(planted_counts, tmp_path):
    counts = ad.AnnData(planted_counts[0], var=pd.DataFrame(index=[f"GENE{i}" for i in range(60)]))
    data = preprocess(counts, params=PreprocessParams(min_genes=10, min_cells=3, n_top_genes=40))
    settings = {"objective": "beta", "beta": 1.0, "n_latent": 2, "decoder": "linear", "epochs": 30, "seed": 0}
    result, specs = train_model(data, settings=settings)
    paths = [tmp_path / name for name in ("model.pt", "specs.json", "losses.tsv")]
    write_training_outputs(result, specs, model_path=paths[0], specs_path=paths[1], losses_path=paths[2])
    latent = export_latent(data, model_path=paths[0], specs=specs)
    loadings = latent.varm[keys.DECODER_LOADINGS]
    assert loadings.shape == (40, 2)
    # every gene moves in the direction of its loading along each dimension (softmax is monotone, shares sum to 1)
    effects = latent.varm[keys.TRAVERSAL_EFFECT]
    for k in range(2):
        assert np.corrcoef(loadings[:, k], effects[:, k])[0, 1] * np.sign(np.ptp(effects[:, k])) > 0.9
