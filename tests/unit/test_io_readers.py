"""read_dataset and the per-format readers, on the shared bad inputs and on data made here."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.io
from scipy import sparse

from disentangle.errors import InputError
from disentangle.io import locate_10x_mtx, read_10x_h5, read_dataset, read_table

SHARED = Path(__file__).parents[2].parent / "shared"
BAD = SHARED / "bad-inputs"
PBMC = SHARED / "resources" / "datasets" / "pbmc3k_10x_counts" / "pbmc3k_counts_annotated.h5ad"
needs_bad = pytest.mark.skipif(not BAD.is_dir(), reason=f"shared bad inputs not found at {BAD}")
CASE17 = BAD / "17_table_genes_as_rows_gz"
CASE18 = BAD / "18_10x_mtx_v2_names_gzipped"


def dense(x):
    return x.toarray() if sparse.issparse(x) else np.asarray(x)


def write_10x(folder: Path, genes_x_cells, ids, symbols, barcodes, *, prefix="", v3=True, gz=True,
              types=None):  # fmt: skip
    """Write a 10x matrix folder (features x barcodes, as Cell Ranger does)."""
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    opener = (lambda p: gzip.open(p, "wt")) if gz else (lambda p: open(p, "w"))
    with open(folder / f"{prefix}matrix.mtx", "wb") as fh:
        scipy.io.mmwrite(fh, sparse.coo_matrix(np.asarray(genes_x_cells)), field="integer")
    if gz:
        data = (folder / f"{prefix}matrix.mtx").read_bytes()
        (folder / f"{prefix}matrix.mtx").unlink()
        with gzip.open(folder / f"{prefix}matrix.mtx.gz", "wb") as fh:
            fh.write(data)
    name = "features" if v3 else "genes"
    with opener(folder / f"{prefix}{name}.tsv{ext}") as fh:
        for i, (gid, sym) in enumerate(zip(ids, symbols)):
            cols = [gid, sym] + ([types[i] if types else "Gene Expression"] if v3 else [])
            fh.write("\t".join(cols) + "\n")
    with opener(folder / f"{prefix}barcodes.tsv{ext}") as fh:
        fh.write("".join(b + "\n" for b in barcodes))
    return folder


# -- 10x matrix folders ---------------------------------------------------------------------------


@needs_bad
def test_10x_v2_prefixed_gzipped_folder_case18():
    adata = read_dataset(CASE18 / "sampleA", "10x_mtx")
    assert adata.shape == (30, 25)
    assert list(adata.var_names[:3]) == ["TX001", "TX002", "TX003"]
    assert adata.var["gene_ids"].iloc[0] == "ENSG90000000001"
    assert adata.obs_names[0] == "AAACGT0000-1"
    # S1_matrix.mtx.gz starts with "1 1 1" and "1 2 5": gene 1 in cells 1 and 2
    assert dense(adata.X)[0, 0] == 1 and dense(adata.X)[1, 0] == 5
    assert sparse.isspmatrix_csr(adata.X) and adata.X.dtype == np.float32


@needs_bad
def test_10x_v3_plain_folder_case18_matches_v2():
    a = read_dataset(CASE18 / "sampleA", "10x_mtx")
    b = read_dataset(CASE18 / "sampleB", "10x_mtx")
    assert b.shape == (30, 25)
    assert list(b.var["feature_types"].unique()) == ["Gene Expression"]
    np.testing.assert_array_equal(dense(a.X), dense(b.X))
    assert list(a.var_names) == list(b.var_names)


@needs_bad
def test_10x_matrix_file_as_path_selects_prefix():
    matrix, features, barcodes = locate_10x_mtx(CASE18 / "sampleA" / "S1_matrix.mtx.gz")
    assert (features.name, barcodes.name) == ("S1_genes.tsv.gz", "S1_barcodes.tsv.gz")
    assert read_dataset(CASE18 / "sampleA" / "S1_matrix.mtx.gz", "10x_mtx").shape == (30, 25)


def test_10x_duplicate_symbols_made_unique_and_gex_only(tmp_path):
    counts = np.array([[1, 0, 2], [0, 3, 0], [4, 0, 5], [9, 9, 9]])  # 4 features x 3 cells
    write_10x(tmp_path / "m", counts, ["E1", "E2", "E3", "AB1"], ["GA", "GB", "GA", "CD3"],
              ["AAAC-1", "AAAG-1", "AAAT-1"], v3=True, gz=False,
              types=["Gene Expression"] * 3 + ["Antibody Capture"])  # fmt: skip
    adata = read_dataset(tmp_path / "m", "10x_mtx")
    assert list(adata.var_names) == ["GA", "GB", "GA-1"]
    assert list(adata.var["gene_ids"]) == ["E1", "E2", "E3"]
    np.testing.assert_array_equal(dense(adata.X), counts[:3].T)


def test_10x_two_prefixes_in_one_folder(tmp_path):
    for p in ("S1_", "S2_"):
        write_10x(tmp_path, [[1, 2]], ["E1"], ["G1"], ["A-1", "B-1"], prefix=p, v3=False)
    with pytest.raises(InputError, match="different prefixes") as exc:
        read_dataset(tmp_path, "10x_mtx")
    assert "S1_matrix.mtx.gz" in str(exc.value) and "Fix" in str(exc.value)
    assert read_dataset(tmp_path / "S2_matrix.mtx.gz", "10x_mtx").shape == (2, 1)


def test_10x_missing_companion_lists_files(tmp_path):
    write_10x(tmp_path, [[1, 2]], ["E1"], ["G1"], ["A-1", "B-1"], prefix="S1_", v3=False)
    (tmp_path / "S1_barcodes.tsv.gz").rename(tmp_path / "cells.tsv.gz")
    with pytest.raises(InputError) as exc:
        read_dataset(tmp_path, "10x_mtx")
    msg = str(exc.value)
    assert "S1_barcodes.tsv[.gz]" in msg and "cells.tsv.gz" in msg and "Fix" in msg


def test_10x_no_matrix_and_shape_mismatch(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match=r"no \[prefix\]matrix.mtx.*notes.txt"):
        read_dataset(tmp_path / "empty", "10x_mtx")
    write_10x(tmp_path / "bad", [[1, 2], [3, 4]], ["E1", "E2"], ["G1", "G2"], ["A-1", "B-1", "C-1"])
    with pytest.raises(InputError, match="matrix is 2 x 2 but .* 2 features and .* 3 barcodes"):
        read_dataset(tmp_path / "bad", "10x_mtx")


def test_10x_h5_v3(tmp_path):
    m = sparse.csc_matrix(np.array([[1, 0, 3], [0, 2, 0], [4, 0, 0]], dtype=np.int32))  # genes x cells
    path = tmp_path / "filtered_feature_bc_matrix.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("matrix")
        g["data"], g["indices"], g["indptr"], g["shape"] = m.data, m.indices, m.indptr, np.array(m.shape)
        g["barcodes"] = np.array([b"AAAC-1", b"AAAG-1", b"AAAT-1"])
        ft = g.create_group("features")
        ft["id"], ft["name"] = np.array([b"E1", b"E2", b"E3"]), np.array([b"GA", b"GB", b"GA"])
        ft["feature_type"], ft["genome"] = np.array([b"Gene Expression"] * 3), np.array([b"GRCh38"] * 3)
    adata = read_dataset(path, "10x_h5")
    assert list(adata.var_names) == ["GA", "GB", "GA-1"]
    assert list(adata.var["gene_ids"]) == ["E1", "E2", "E3"]
    np.testing.assert_array_equal(dense(adata.X), m.toarray().T)
    (tmp_path / "foreign.h5").write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="10x HDF5"):
        read_10x_h5(tmp_path / "foreign.h5")


# -- tables -----------------------------------------------------------------------------------------


@needs_bad
def test_table_genes_as_rows_csv_case17(caplog):
    raw = pd.read_csv(CASE17 / "bulk_counts_genes_x_samples.csv", index_col=0)
    with caplog.at_level(logging.INFO, logger="disentangle.io"):
        adata = read_dataset(CASE17 / "bulk_counts_genes_x_samples.csv", "csv")
    assert adata.shape == (12, 80)  # cells = samples
    assert list(adata.obs_names[:2]) == ["sample_01", "sample_02"]
    assert list(adata.var_names[:2]) == ["GN001", "GN002"]
    np.testing.assert_array_equal(dense(adata.X), raw.to_numpy().T)
    assert dense(adata.X)[5, 0] == 3  # GN001 in sample_06
    assert "genes are rows (table transposed)" in caplog.text


@needs_bad
def test_table_tsv_gz_and_featurecounts_case17():
    csv = read_dataset(CASE17 / "bulk_counts_genes_x_samples.csv", "csv")
    tsv = read_dataset(CASE17 / "bulk_counts_genes_x_samples.tsv.gz", "tsv")
    fc = read_dataset(CASE17 / "featurecounts_like.txt", "tsv")
    for other in (tsv, fc):
        assert other.shape == (12, 80)
        assert list(other.obs_names) == list(csv.obs_names)
        np.testing.assert_array_equal(dense(other.X), dense(csv.X))
    assert list(fc.var.columns) == ["Chr", "Start", "End", "Strand", "Length"]
    assert not {"Chr", "Start", "Length"} & set(fc.obs_names)
    assert fc.var.loc["GN001", "Length"] == 841


def test_table_cells_as_rows_with_barcodes_and_ensembl(tmp_path):
    genes = [f"ENSG{i:011d}" for i in range(5)]
    cells = ["AAACATACAACCAC-1", "AAACATTGAGCTAC-1", "AAACATTGATCAGC-1", "AAACCGTGCTTCCG-1"]
    df = pd.DataFrame(np.arange(20).reshape(4, 5), index=cells, columns=genes)
    df.to_csv(tmp_path / "t.csv.gz")
    adata = read_dataset(tmp_path / "t.csv.gz", "csv")
    assert adata.shape == (4, 5) and list(adata.var_names) == genes
    assert dense(adata.X)[2, 3] == 13


def test_table_orientation_fallback_and_override(tmp_path, caplog):
    # symbol-like labels on both axes: the longer axis (rows here) is genes
    df = pd.DataFrame(np.ones((6, 3), int), index=[f"G{i}" for i in range(6)], columns=["S1", "S2", "S3"])
    df.to_csv(tmp_path / "t.tsv", sep="\t")
    with caplog.at_level(logging.INFO, logger="disentangle.io"):
        adata = read_table(tmp_path / "t.tsv", sep="\t")
    assert adata.shape == (3, 6) and "longer axis" in caplog.text
    forced = read_dataset(tmp_path / "t.tsv", "tsv", orientation="cells_as_rows")
    assert forced.shape == (6, 3)


def test_table_wrong_separator_and_htseq_counters(tmp_path, caplog):
    text = "gene\tsmp_1\tsmp_2\nENSG00000000001\t1\t2\nENSG00000000002\t3\t4\n__no_feature\t7\t9\n"
    (tmp_path / "htseq.csv").write_text(text)
    with caplog.at_level(logging.INFO, logger="disentangle.io"):
        adata = read_dataset(tmp_path / "htseq.csv", "csv")
    assert "tab-separated" in caplog.text
    assert list(adata.var_names) == ["ENSG00000000001", "ENSG00000000002"]
    np.testing.assert_array_equal(dense(adata.X), [[1, 3], [2, 4]])


def test_table_non_numeric_column_is_an_error(tmp_path):
    df = pd.DataFrame({"CD3E": [1, 2], "cell_type": ["T", "B"], "MS4A1": [0, 5]}, index=["c1", "c2"])
    df.to_csv(tmp_path / "meta_mixed.csv")
    with pytest.raises(InputError) as exc:
        read_dataset(tmp_path / "meta_mixed.csv", "csv")
    msg = str(exc.value)
    assert "meta_mixed.csv" in msg and "'cell_type'" in msg and "'T'" in msg and "Fix" in msg


@pytest.mark.filterwarnings("ignore:Variable names are not unique")
def test_table_duplicate_gene_columns_are_reported(tmp_path):
    (tmp_path / "dup.csv").write_text(",CD3E,CD3E,MS4A1\ncell_1,1,2,3\ncell_2,4,5,6\n")
    with pytest.raises(InputError, match=r"1 duplicated var_names .*CD3E \(x2\)"):
        read_dataset(tmp_path / "dup.csv", "csv")


@needs_bad
def test_table_with_nan_inf_case04():
    with pytest.raises(InputError) as exc:
        read_dataset(BAD / "04_nan_inf_in_matrix" / "counts_with_nan_inf.csv", "csv")
    msg = str(exc.value)
    assert "counts_with_nan_inf.csv" in msg and "42 NaN and 1 inf values in X" in msg and "Fix" in msg


# -- h5ad, paths, formats ---------------------------------------------------------------------------


def test_h5ad_counts_layer_kept_and_file_untouched(tmp_path):
    counts = sparse.csr_matrix(np.array([[1, 0, 3], [2, 5, 0]], dtype=np.float32))
    a = ad.AnnData(X=np.log1p(counts.toarray()), layers={"counts": counts})
    a.obs_names, a.var_names = ["c1", "c2"], ["GA", "GB", "GC"]
    path = tmp_path / "in.h5ad"
    a.write_h5ad(path)
    before, mtime = hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns
    adata = read_dataset(path, "h5ad", values="counts")
    np.testing.assert_array_equal(dense(adata.layers["counts"]), counts.toarray())
    np.testing.assert_allclose(dense(adata.X), np.log1p(counts.toarray()))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert os.stat(path).st_mtime_ns == mtime


def test_h5ad_transposed_is_an_error(tmp_path):
    a = ad.AnnData(X=np.ones((3, 2), np.float32))
    a.obs_names, a.var_names = ["ENSG00000000001", "ENSG00000000002", "ENSG00000000003"], ["cell_1", "cell_2"]
    a.write_h5ad(tmp_path / "t.h5ad")
    with pytest.raises(InputError, match="looks transposed"):
        read_dataset(tmp_path / "t.h5ad", "h5ad")


def test_missing_path_points_to_download(tmp_path):
    with pytest.raises(InputError) as exc:
        read_dataset(tmp_path / "nothere" / "pbmc.h5ad", "h5ad")
    msg = str(exc.value)
    assert "nothere/pbmc.h5ad" in msg and "`url`" in msg and "download rule" in msg and "Fix" in msg


def test_unknown_format_and_folder_for_file_format(tmp_path):
    with pytest.raises(InputError, match="unknown format 'loom'"):
        read_dataset(tmp_path, "loom")
    with pytest.raises(InputError, match="(?s)is a folder.*10x_mtx"):
        read_dataset(tmp_path, "h5ad")
    (tmp_path / "bad.h5ad").write_text("not hdf5")
    with pytest.raises(InputError, match="AnnData h5ad"):
        read_dataset(tmp_path / "bad.h5ad", "h5ad")


def test_validation_runs_by_default_and_can_be_skipped(tmp_path):
    a = ad.AnnData(X=np.array([[0.5, 1.2], [2.0, 0.1]], np.float32))
    a.write_h5ad(tmp_path / "log.h5ad")
    with pytest.raises(InputError, match="non-integer"):
        read_dataset(tmp_path / "log.h5ad", "h5ad", values="counts")
    assert read_dataset(tmp_path / "log.h5ad", "h5ad", values="counts", validate=False).shape == (2, 2)
    assert read_dataset(tmp_path / "log.h5ad", "h5ad", values="log_expression").shape == (2, 2)


@pytest.mark.skipif(not PBMC.is_file(), reason=f"shared PBMC file not found at {PBMC}")
def test_real_pbmc3k_reads_and_validates():
    adata = read_dataset(PBMC, "h5ad", values="counts")
    assert adata.shape == (2700, 32738)
    assert adata.X.nnz == 2_286_884


def test_io_imports_neither_torch_nor_snakemake():
    import subprocess
    import sys

    code = "import sys, disentangle.io; print(sorted(m for m in ('torch', 'snakemake') if m in sys.modules))"
    scripts = Path(__file__).parents[2] / "workflow" / "scripts"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(scripts)})  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_explicit_orientation_against_the_labels_is_warned(tmp_path, caplog):
    import logging

    genes = ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419"]
    table = pd.DataFrame(np.arange(6).reshape(3, 2), index=genes, columns=["NA20502", "NA20504"])
    table.to_csv(tmp_path / "t.csv")
    with caplog.at_level(logging.WARNING):
        adata = read_table(tmp_path / "t.csv", orientation="cells_as_rows")
    assert adata.shape == (3, 2)  # as asked
    assert "`orientation: cells_as_rows` is set, but row labels look like gene identifiers" in caplog.text
    assert "genes would be the rows" in caplog.text
