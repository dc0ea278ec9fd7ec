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
    record = {"params": asdict(params), "n_cells_in": adata.n_obs, "n_genes_in": adata.n_vars}

    adata.var[keys.MITO] = adata.var_names.str.startswith(MITO_PREFIX[params.species])
    sc.pp.calculate_qc_metrics(adata, qc_vars=[keys.MITO], percent_top=None, log1p=False, inplace=True)
    keep = adata.obs["n_genes_by_counts"].to_numpy() >= params.min_genes
    if counts:
        keep &= adata.obs[keys.PCT_MITO].to_numpy() <= params.max_pct_mito
    keep &= adata.obs["total_counts"].to_numpy() > 0 if counts else keep
    _require_cells(keep, adata.n_obs, params, source)
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
    n_top = min(params.n_top_genes, adata.n_vars)
    _select_hvg(adata, n_top=n_top, counts=counts)
    record["n_hvg"] = int(adata.var[keys.HVG].sum())
    adata.uns[keys.PREPROCESS_UNS] = record
    log.info("kept %d/%d cells, %d/%d genes, %d HVGs", adata.n_obs, record["n_cells_in"], adata.n_vars, record["n_genes_in"], record["n_hvg"])
    return adata


def _require_cells(keep: np.ndarray, n_cells: int, params: PreprocessParams, source: str) -> None:
    if keep.sum() < 2:
        raise InputError(
            source,
            f"QC keeps {int(keep.sum())} of {n_cells} cells (min_genes={params.min_genes}, max_pct_mito={params.max_pct_mito})",
            "lower preprocess.min_genes or raise preprocess.max_pct_mito in config.yaml, or check the species",
        )


def _select_hvg(adata: ad.AnnData, *, n_top: int, counts: bool) -> None:
    if counts:
        sc.pp.highly_variable_genes(adata, flavor="seurat_v3", n_top_genes=n_top, layer=keys.COUNTS_LAYER)
        return
    sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=n_top)


def check_labels(adata: ad.AnnData, labels: list[str], *, source: str) -> None:
    """Every configured label column must exist in ``obs``; a clear error before any training."""
    missing = [label for label in labels if label not in adata.obs]
    if missing:
        raise InputError(source, f"label columns {missing} are not in obs (obs has: {list(adata.obs.columns)[:10]})",
                         "fix the dataset's `labels:` in config.yaml, or add the columns to the file")
