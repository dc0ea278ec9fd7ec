"""Preprocessing and a short training on the real PBMC 3k counts."""

import anndata as ad
import numpy as np
import pytest

from disentangle import keys
from disentangle.errors import InputError
from disentangle.model import export_latent, train_model, write_training_outputs
from disentangle.io import check_labels
from disentangle.pp import PreprocessParams, preprocess

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def pbmc(pbmc_path):
    return ad.read_h5ad(pbmc_path)


@pytest.fixture(scope="module")
def preprocessed(pbmc):
    return preprocess(pbmc, params=PreprocessParams(n_top_genes=1000))


def test_qc_filters_follow_the_thresholds(pbmc, preprocessed):
    obs = preprocessed.obs
    assert (obs["n_genes_by_counts"] >= 200).all() and (obs[keys.PCT_MITO] <= 5.0).all()
    assert (preprocessed.var["n_cells"] >= 3).all()
    # the Seurat tutorial's thresholds (200 < genes < 2500, mito < 5 %) kept 2,638 cells; we set no upper gene bound
    assert 2638 <= preprocessed.n_obs < pbmc.n_obs
    assert preprocessed.var[keys.MITO].sum() == 13  # the 13 mitochondrial protein-coding genes, MT-*
    record = preprocessed.uns[keys.PREPROCESS_UNS]
    assert record["n_cells_in"] == 2700 and record["n_hvg"] == 1000
    assert record["params"]["n_top_genes"] == 1000


def test_counts_kept_and_x_log_normalised(pbmc, preprocessed):
    counts = preprocessed.layers[keys.COUNTS_LAYER]
    np.testing.assert_array_equal(counts.data, np.round(counts.data))
    cell = preprocessed.obs_names[0]
    raw = pbmc[cell, preprocessed.var_names].X.toarray().ravel()
    np.testing.assert_array_equal(counts[0].toarray().ravel(), raw)
    expected = np.log1p(raw / raw.sum() * 1e4)
    np.testing.assert_allclose(preprocessed.X[0].toarray().ravel(), expected, rtol=1e-5)
    assert pbmc.X.dtype.kind == "i"  # the input object was not modified


def test_hvgs_include_known_pbmc_markers(preprocessed):
    hvg = set(preprocessed.var_names[preprocessed.var[keys.HVG]])
    assert {"LYZ", "MS4A1", "GNLY", "NKG7", "PPBP", "CD79A"} <= hvg


def test_missing_label_column_is_a_clear_error(pbmc):
    with pytest.raises(InputError, match=r"(?s)celltype.*Fix"):
        check_labels(pbmc.obs, ["celltype"], source="pbmc.h5ad")


def test_short_training_and_export_on_real_data(preprocessed, tmp_path):
    settings = {"objective": "beta", "beta": 4.0, "n_latent": 5, "n_hidden": 64, "epochs": 2, "batch_size": 256, "seed": 0}
    result, specs = train_model(preprocessed, settings=settings)
    assert specs["genes"] == list(preprocessed.var_names[preprocessed.var[keys.HVG]])
    assert specs["architecture"]["likelihood"] == "nb" and specs["objective"]["beta"] == 4.0
    val = [row for row in result.history if row["split"] == "validation"]
    assert len(val) == 2 and val[1]["reconstruction"] < val[0]["reconstruction"]
    paths = {name: tmp_path / name for name in ("model.pt", "specs.json", "losses.tsv")}
    write_training_outputs(result, specs, model_path=paths["model.pt"], specs_path=paths["specs.json"], losses_path=paths["losses.tsv"])
    latent = export_latent(preprocessed, model_path=paths["model.pt"], specs=specs)
    assert latent.obsm[keys.LATENT_MEAN].shape == (preprocessed.n_obs, 5)
    assert latent.varm[keys.TRAVERSAL_EFFECT].shape == (1000, 5)
    assert (np.asarray(latent.uns[keys.LATENT_UNS][keys.KL_PER_DIM]) >= 0).all()
    assert latent.obs["cell_type"].equals(preprocessed.obs["cell_type"])
