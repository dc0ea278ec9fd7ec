"""Preprocessing on the shared bad inputs: small, sparse or mis-thresholded data, probe-set ids."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from disentangle import keys
from disentangle.errors import InputError
from disentangle.io import set_gene_names
from disentangle.pp import PreprocessParams, preprocess

from ..conftest import SHARED

BAD = SHARED / "bad-inputs"


def _read(case: str) -> ad.AnnData:
    path = BAD / case
    if not path.exists():
        pytest.fail(f"{path} missing: the shared bad inputs sit beside the repository")
    return ad.read_h5ad(path)


def test_mostly_zero_genes_fall_back_from_a_failing_loess():
    # case 06: seurat_v3's loess fails on these few distinct gene means (skmisc "near singularities")
    data = preprocess(_read("06_all_zero_genes_hvg_bins/mostly_zero_genes.h5ad"),
                      params=PreprocessParams(min_genes=1, min_cells=1, n_top_genes=5))
    assert data.uns[keys.PREPROCESS_UNS]["hvg_flavor"] == "seurat"
    assert data.var[keys.HVG].sum() == 5
    assert data.n_vars == 15  # 45 all-zero genes removed by min_cells


def test_fewer_genes_than_n_top_genes_keeps_all_genes():
    data = preprocess(_read("14_batch_remainder_one_and_tiny_data/tiny_6cells_8genes.h5ad"),
                      params=PreprocessParams(min_genes=1, n_top_genes=2000))
    assert data.uns[keys.PREPROCESS_UNS]["hvg_flavor"] == "all"
    assert data.var[keys.HVG].all() and data.n_obs == 6


def test_qc_that_removes_almost_every_cell_is_an_error(planted_counts):
    # 60 genes per cell at most: the default min_genes=200 would drop every cell
    adata = ad.AnnData(planted_counts[0], var=pd.DataFrame(index=[f"G{i}" for i in range(60)]))
    with pytest.raises(InputError, match=r"(?s)QC keeps 0 of 300 cells.*median cell has \d+ detected genes.*datasets.<name>.preprocess"):
        preprocess(adata, params=PreprocessParams())
    kept = preprocess(adata, params=PreprocessParams(min_genes=10, n_top_genes=30))
    assert kept.n_obs == 300


def test_probe_sets_are_renamed_to_symbols_keeping_the_most_expressed():
    x = np.array([[1.0, 5.0, 2.0, 3.0], [1.0, 7.0, 2.0, 3.0]])
    var = pd.DataFrame({"symbol": ["CXCR5", "CXCR5", None, "MAPK3"]}, index=["1003_s_at", "1004_at", "1005_at", "1000_at"])
    named = set_gene_names(ad.AnnData(x, var=var), "symbol", source="all.h5ad")
    assert list(named.var_names) == ["CXCR5", "MAPK3"]
    assert named.var["original_id"].tolist() == ["1004_at", "1000_at"]  # 1004_at has the higher mean
    np.testing.assert_array_equal(named.X, [[5.0, 3.0], [7.0, 3.0]])
    with pytest.raises(InputError, match="gene_symbols"):
        set_gene_names(ad.AnnData(x, var=var), "gene_symbol", source="all.h5ad")
