"""Gene and label names of a loaded dataset: symbols from a var column, configured label columns (no scanpy)."""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd

from .. import keys
from ..errors import InputError

log = logging.getLogger(__name__)


def check_labels(obs: pd.DataFrame, labels: list[str], *, source: str) -> None:
    """Every configured label column must exist in ``obs``; a clear error before any training."""
    missing = [label for label in labels if label not in obs]
    if missing:
        raise InputError(source, f"label columns {missing} are not in obs (obs has: {list(obs.columns)[:10]})",
                         "fix the dataset's `labels:` in config.yaml, or add the columns to the file")


def set_gene_names(adata: ad.AnnData, column: str, *, source: str) -> ad.AnnData:
    """Use ``var[column]`` (e.g. gene symbols for probe sets or Ensembl ids) as gene names.

    Entries without a name are dropped; where several entries share a name (probe sets of one
    gene) the one with the highest mean expression is kept, a common convention for microarrays.
    The original ids are kept in ``var["original_id"]``. Returns a new AnnData.
    """
    if column not in adata.var:
        raise InputError(source, f"var has no column {column!r} (var has: {list(adata.var.columns)[:10]})",
                         "fix the dataset's `gene_symbols:` in config.yaml, or remove it to keep var_names")
    names = adata.var[column].astype("string")
    named = names.notna().to_numpy() & (names.str.strip() != "").fillna(False).to_numpy()
    mean = np.asarray(adata.X.mean(axis=0)).ravel()
    order = pd.DataFrame({"name": names.to_numpy(), "mean": mean, "i": np.arange(adata.n_vars)})[named]
    keep = order.sort_values(["name", "mean", "i"], ascending=[True, False, True]).drop_duplicates("name")["i"].sort_values()
    out = adata[:, keep.to_numpy()].copy()
    out.var[keys.ORIGINAL_ID] = out.var_names.astype(str)
    out.var_names = pd.Index(out.var[column].astype(str).to_numpy())
    log.info("gene names from var[%r]: %d of %d entries kept (%d without a name, %d duplicates of a kept name)",
             column, out.n_vars, adata.n_vars, int((~named).sum()), int(named.sum()) - out.n_vars)
    return out
