"""validate_expression: each bad-input kind fails with the file, the figures and a fix."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pytest
from scipy import sparse

from disentangle.errors import InputError
from disentangle.io import count_matrix, matrix_stats, validate_expression
from disentangle.io import validate as validate_mod

SHARED = Path(__file__).parents[2].parent / "shared"
BAD = SHARED / "bad-inputs"
PBMC = SHARED / "resources" / "datasets" / "pbmc3k_10x_counts" / "pbmc3k_counts_annotated.h5ad"
needs_bad = pytest.mark.skipif(not BAD.is_dir(), reason=f"shared bad inputs not found at {BAD}")


def make(x, **layers) -> ad.AnnData:
    a = ad.AnnData(X=x, layers=layers or None)
    a.obs_names = [f"cell{i}" for i in range(a.n_obs)]
    a.var_names = [f"G{j}" for j in range(a.n_vars)]
    return a


def fails(adata, match, *, source="data.h5ad", values="counts", **kw) -> str:
    with pytest.raises(InputError, match=match) as exc:
        validate_expression(adata, source=source, values=values, **kw)
    msg = str(exc.value)
    assert source in msg and "Fix:" in msg
    return msg


def read_case(rel: str) -> ad.AnnData:
    return ad.read_h5ad(BAD / rel)


def test_empty_matrix():
    fails(make(np.zeros((0, 5), np.float32)), "0 cells and 5 genes")
    fails(make(np.zeros((4, 0), np.float32)), "4 cells and 0 genes")


@needs_bad
def test_tiny_data_passes_by_default_and_fails_under_min_cells_case14():
    tiny = read_case("14_batch_remainder_one_and_tiny_data/tiny_6cells_8genes.h5ad")
    validate_expression(tiny, source="tiny.h5ad", values="counts")
    fails(tiny, "6 cells and 8 genes; at least 10 cells and 20 genes", source="tiny.h5ad",
          min_cells=10, min_genes=20)  # fmt: skip


@pytest.mark.parametrize("to", [np.asarray, sparse.csr_matrix, sparse.csc_matrix])
def test_nan_inf_counted(to):
    x = np.ones((5, 4), np.float32)
    x[0, 0] = x[0, 1] = x[3, 2] = np.nan
    x[4, 3] = np.inf
    msg = fails(make(to(x)), "3 NaN and 1 inf values in X")
    assert "in 3 of 5 cells (cell0, cell3, cell4)" in msg and "4 of 4 genes" in msg


def test_nan_in_counts_layer_is_found_too():
    counts = np.ones((3, 3), np.float32)
    counts[1, 1] = -np.inf
    fails(make(np.ones((3, 3), np.float32), counts=counts), r'1 -inf values in layers\["counts"\]')


@needs_bad
def test_nan_inf_case04():
    msg = fails(read_case("04_nan_inf_in_matrix/nan_inf_dense.h5ad"), "42 NaN and 1 inf",
                source="nan_inf_dense.h5ad")  # fmt: skip
    assert "3 of 30 cells" in msg


def test_duplicated_names():
    a = make(np.ones((3, 3), np.float32))
    a.var_names = ["CD3E", "CD3E", "MS4A1"]
    fails(a, r"1 duplicated var_names \(genes\): CD3E \(x2\)")
    b = make(np.ones((3, 3), np.float32))
    b.obs_names = ["c1", "c1", "c1"]
    msg = fails(b, r"2 duplicated obs_names \(cells\): c1 \(x3\)")
    assert "obs_names_make_unique" in msg


@needs_bad
def test_negative_values_case15():
    msg = fails(read_case("15_scaled_values_where_counts_expected/zscored_in_X_no_counts.h5ad"),
                r"1128 negative values in X \(min -5.79", source="zscored_in_X_no_counts.h5ad")  # fmt: skip
    assert "z-scored" in msg and "values: log_expression" in msg and "before scaling" in msg


@needs_bad
def test_case15_as_log_expression_is_accepted_with_a_warning(caplog):
    """The same z-scored matrix declared as log expression: it can be modelled, but the user is told
    what scaling did; unscaled log data with negatives (log-CPM) raise no such warning."""
    adata = read_case("15_scaled_values_where_counts_expected/zscored_in_X_no_counts.h5ad")
    with caplog.at_level(logging.WARNING):
        validate_expression(adata, source="z.h5ad", values="log_expression")
    assert "z.h5ad: X looks z-scored" in caplog.text and "every gene's mean about 0" in caplog.text
    caplog.clear()
    log_cpm = make(np.log2(np.array([[0.1, 8.0], [3.0, 0.3], [5.0, 2.0]], np.float32)))
    with caplog.at_level(logging.WARNING):
        validate_expression(log_cpm, source="cpm.h5ad", values="log_expression")
    assert "z-scored" not in caplog.text


def test_negative_values_point_to_raw():
    a = make(np.array([[-1.0, 2.0], [0.5, -0.2]], np.float32))
    a.raw = make(np.array([[0.0, 3.0], [1.0, 0.0]], np.float32))
    assert "adata.raw.to_adata()" in fails(a, "2 negative values")


@needs_bad
def test_lognorm_in_x_is_not_counts_case05():
    a = read_case("05_seurat_v3_non_integer/lognorm_in_X.h5ad")
    msg = fails(a, "4475 non-integer values in X", source="lognorm_in_X.h5ad")
    assert "log-normalised" in msg and 'layers["counts"]' in msg and "values: log_expression" in msg
    validate_expression(a, source="lognorm_in_X.h5ad", values="log_expression")


@needs_bad
def test_fractional_counts_need_opt_in_case05(caplog):
    a = read_case("05_seurat_v3_non_integer/fractional_counts.h5ad")
    assert "fractional counts" in fails(a, "1331 non-integer values", source="fractional_counts.h5ad")
    with caplog.at_level(logging.WARNING, logger="disentangle.io"):
        validate_expression(a, source="fractional_counts.h5ad", values="counts", allow_non_integer=True)
    assert "allow_non_integer" in caplog.text


def test_counts_layer_is_checked_instead_of_x():
    counts = sparse.csr_matrix(np.array([[1, 0, 4], [0, 2, 7]], np.float32))
    a = make(np.log1p(counts.toarray()), counts=counts)
    validate_expression(a, source="ok.h5ad", values="counts")
    assert count_matrix(a) is a.layers["counts"]
    b = make(np.log1p(counts.toarray()), counts=counts * 0.5)
    fails(b, r'non-integer values in layers\["counts"\]')
    plain = make(np.ones((2, 2), np.float32))
    assert count_matrix(plain) is plain.X  # no counts layer: X is the count matrix


@needs_bad
def test_raw_counts_given_as_log_expression_case10():
    a = read_case("10_unlogged_counts_to_seurat_hvg/raw_counts_not_logged.h5ad")
    msg = fails(a, "all values are integers and the maximum is 5994", source="raw_counts_not_logged.h5ad",
                values="log_expression")  # fmt: skip
    assert "values: counts" in msg
    validate_expression(a, source="raw_counts_not_logged.h5ad", values="counts")


def test_small_integer_log_data_pass():
    validate_expression(make(np.array([[0, 3], [7, 12]], np.float32)), source="x", values="log_expression")


@needs_bad
def test_empty_cells_and_genes_are_logged_not_errors_case06_case08(caplog):
    with caplog.at_level(logging.INFO, logger="disentangle.io"):
        for rel in ("08_zero_count_cells/empty_cells.h5ad",
                    "06_all_zero_genes_hvg_bins/mostly_zero_genes.h5ad"):  # fmt: skip
            validate_expression(read_case(rel), source=rel, values="counts")
    assert "3 cells without counts" in caplog.text
    assert "45 genes never detected" in caplog.text


def test_all_zero_matrix_is_an_error():
    fails(make(sparse.csr_matrix((4, 3), dtype=np.float32)), "no non-zero value")


def test_non_numeric_matrix():
    fails(make(np.array([["a", "b"], ["c", "d"]], dtype=object)), "non-numeric dtype")


def test_integer_dtype_and_unknown_values():
    a = make(np.array([[1, 0], [3, 9]], np.int32))
    validate_expression(a, source="int.h5ad", values="counts")
    with pytest.raises(ValueError, match="values must be one of"):
        validate_expression(a, source="int.h5ad", values="tpm")


def test_stats_same_for_dense_blocks_csr_csc(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.poisson(0.5, size=(50, 7)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = 0.5
    x[3, 4], x[10, 0] = np.nan, -2.0
    monkeypatch.setattr(validate_mod, "_CHUNK", 8)  # dense blocks of one row
    ref = matrix_stats(x)
    assert (ref.n_nan, ref.n_negative, ref.min) == (1, 1, -2.0)
    assert ref.n_non_integer == int((x == 0.5).sum())
    for m in (sparse.csr_matrix(x), sparse.csc_matrix(x), sparse.coo_matrix(x)):
        st = matrix_stats(m)
        assert (st.n_nan, st.n_negative, st.n_non_integer, st.min, st.max) == (
            ref.n_nan, ref.n_negative, ref.n_non_integer, ref.min, ref.max)  # fmt: skip
        np.testing.assert_array_equal(st.row_nonzero, ref.row_nonzero)
        np.testing.assert_array_equal(st.bad_cols, ref.bad_cols)


def test_large_sparse_matrix_is_not_densified():
    # densified this would be 200000 x 50000 float32 = 40 GB
    rng = np.random.default_rng(0)
    n = 20_000
    rows, cols = np.sort(rng.integers(0, 200_000, n)), rng.integers(0, 50_000, n)
    data = rng.integers(1, 20, n).astype(np.float32)
    data[7] = np.nan
    m = sparse.csr_matrix((data, (rows, cols)), shape=(200_000, 50_000))
    a = ad.AnnData(X=m)
    start = time.perf_counter()
    with pytest.raises(InputError, match="1 NaN values in X"):
        validate_expression(a, source="big.h5ad", values="counts")
    assert time.perf_counter() - start < 10


@pytest.mark.skipif(not PBMC.is_file(), reason=f"shared PBMC file not found at {PBMC}")
def test_real_pbmc3k_passes_as_counts():
    a = ad.read_h5ad(PBMC)
    assert a.shape == (2700, 32738)
    validate_expression(a, source=PBMC, values="counts")
    st = matrix_stats(count_matrix(a))
    assert (st.n_non_integer, st.n_negative, st.max) == (0, 0, 419.0)
