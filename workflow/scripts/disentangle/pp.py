"""Quality control, normalisation and highly variable genes: scanpy calls with checks around them."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import anndata as ad
import numpy as np
import scanpy as sc
import scipy.sparse as sp

from . import keys
from .errors import InputError

log = logging.getLogger(__name__)

MITO_PREFIX = {"human": "MT-", "mouse": "mt-"}


@dataclass(frozen=True)
class PreprocessParams:
    """The settings of :func:`preprocess`, recorded in ``uns["preprocess"]``."""

    min_genes: int = 200
    min_cells: int = 3
    max_pct_mito: float = 5.0
    target_sum: float = 1e4
    n_top_genes: int = 2000
    species: str = "human"
    values: str = "counts"
    min_kept_fraction: float = 0.1


def preprocess(adata: ad.AnnData, *, params: PreprocessParams, source: str = "input") -> ad.AnnData:
    """QC-filter, normalise and select highly variable genes.

    For ``values="counts"``: cells with < ``min_genes`` genes or > ``max_pct_mito`` % mitochondrial
    counts and genes in < ``min_cells`` cells are removed; raw counts go to ``layers["counts"]``;
    X becomes log1p(normalize_total(target_sum)); HVGs by ``seurat_v3`` on the counts.
    For ``values="log_expression"`` X is kept as given and HVGs use the ``seurat`` flavour
    (dispersion of log data); no mitochondrial filter and no counts layer.

    Returns
    -------
    A new AnnData with all kept genes. Slots written: ``layers["counts"]`` (counts only),
    ``var["highly_variable"]`` and scanpy's HVG columns, ``var["mt"]``, ``obs["pct_counts_mt"]``,
    ``obs["n_genes_by_counts"]``, ``obs["total_counts"]``, ``uns["preprocess"]`` (params and
    cells/genes before and after each filter).
    """
    adata = adata.copy()
    if not sp.issparse(adata.X):
        adata.X = sp.csr_matrix(adata.X)
    counts = params.values == "counts"
    if counts and keys.COUNTS_LAYER in adata.layers:
        adata.X = adata.layers[keys.COUNTS_LAYER].copy()
    record = {keys.PARAMS: asdict(params), "n_cells_in": adata.n_obs, "n_genes_in": adata.n_vars}

    prefix = MITO_PREFIX.get(params.species)  # simulated data have no mitochondrial genes
    adata.var[keys.MITO] = adata.var_names.str.startswith(prefix) if prefix else False
    sc.pp.calculate_qc_metrics(adata, qc_vars=[keys.MITO], percent_top=None, log1p=False, inplace=True)
    keep = adata.obs["n_genes_by_counts"].to_numpy() >= params.min_genes
    if counts:
        keep &= adata.obs[keys.PCT_MITO].to_numpy() <= params.max_pct_mito
    if counts:
        keep &= adata.obs["total_counts"].to_numpy() > 0
    _require_cells(keep, adata.obs["n_genes_by_counts"].to_numpy(), params, source)
    adata = adata[keep].copy()
    sc.pp.filter_genes(adata, min_cells=params.min_cells)
    if adata.n_vars < 2:
        raise InputError(source, f"only {adata.n_vars} genes are detected in >= {params.min_cells} cells",
                         "lower preprocess.min_cells in config.yaml, or check the input matrix")
    record.update(n_cells_qc=adata.n_obs, n_genes_qc=adata.n_vars)

    if counts:
        adata.layers[keys.COUNTS_LAYER] = adata.X.copy()
        sc.pp.normalize_total(adata, target_sum=params.target_sum)
        sc.pp.log1p(adata)
    record["hvg_flavor"] = _select_hvg(adata, n_top=params.n_top_genes, counts=counts)
    record["n_hvg"] = int(adata.var[keys.HVG].sum())
    adata.uns[keys.PREPROCESS_UNS] = record
    log.info("kept %d/%d cells, %d/%d genes, %d HVGs", adata.n_obs, record["n_cells_in"], adata.n_vars, record["n_genes_in"], record["n_hvg"])
    return adata


def _require_cells(keep: np.ndarray, genes_per_cell: np.ndarray, params: PreprocessParams, source: str) -> None:
    """QC that keeps almost nothing is a wrong threshold for these data, not a result."""
    n_kept, n_cells = int(keep.sum()), len(keep)
    if n_kept < 2 or n_kept < params.min_kept_fraction * n_cells:
        raise InputError(
            source,
            f"QC keeps {n_kept} of {n_cells} cells (min_genes={params.min_genes}, max_pct_mito={params.max_pct_mito}); "
            f"the median cell has {np.median(genes_per_cell):.0f} detected genes",
            "set lower thresholds for this dataset under datasets.<name>.preprocess in config.yaml "
            "(e.g. min_genes for a small gene panel), or check the species",
        )
    if n_kept < 0.5 * n_cells:
        log.warning("QC removes %d of %d cells (%.0f%%)", n_cells - n_kept, n_cells, 100 * (1 - n_kept / n_cells))


def _select_hvg(adata: ad.AnnData, *, n_top: int, counts: bool) -> str:
    """Mark highly variable genes; returns the flavour used.

    With no more genes than ``n_top`` every gene is kept (``all``). ``seurat_v3`` fits a loess of
    variance on mean, which fails on data with few distinct gene means (tiny or very sparse
    data); then the ``seurat`` flavour on the log-normalised X is used instead, with a warning.
    """
    if adata.n_vars <= n_top:
        log.info("%d genes <= n_top_genes=%d: all genes are used", adata.n_vars, n_top)
        adata.var[keys.HVG] = True
        return "all"
    if counts:
        try:
            sc.pp.highly_variable_genes(adata, flavor="seurat_v3", n_top_genes=n_top, layer=keys.COUNTS_LAYER)
            return "seurat_v3"
        except ValueError as err:  # skmisc's loess on degenerate mean-variance data
            log.warning("seurat_v3 HVG selection failed (%s); using the seurat flavour on log-normalised data", err)
    sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=n_top)
    # the seurat flavour can select more than n_top on ties of the binned dispersion: keep exactly n_top
    order = np.lexsort((adata.var_names.to_numpy(), -np.nan_to_num(adata.var["dispersions_norm"].to_numpy(), nan=-np.inf)))
    adata.var[keys.HVG] = np.isin(np.arange(adata.n_vars), order[:n_top])
    return "seurat"
