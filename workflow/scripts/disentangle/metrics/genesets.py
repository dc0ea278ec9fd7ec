"""Does each biological program (gene set) map to exactly one latent dimension?

Read from the enrichment table: a term is *significant* in a dimension when its FDR q-value is
below the threshold and the dimension is active (a collapsed dimension decodes nothing, so its
ranking is noise). From that:

- ``coverage``: significant terms / tested terms: how much of the library the model captures;
- ``one_to_one``: terms significant in exactly one dimension / significant terms;
- ``mean_dims_per_term``: the mean number of dimensions a significant term is significant in;
- ``nes_gap``: a continuous version of one-to-one, a MIG over gene sets: for each term, the gap
  between its largest and second-largest |NES| over the active dimensions, divided by the largest
  (1: only one dimension ranks the set; 0: two dimensions rank it equally strongly), averaged over
  the significant terms. Like one_to_one it is read beside coverage: a model that captures few
  programs can still score high.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import keys


def _significant(enrichment: pd.DataFrame, fdr: float, active_dims: set[str]) -> pd.Series:
    return (enrichment[keys.FDR] < fdr) & enrichment[keys.DIMENSION].isin(active_dims)


def term_table(enrichment: pd.DataFrame, *, fdr: float, active_dims: set[str]) -> pd.DataFrame:
    """One row per (library, term) tested: in how many and which active dimensions it is significant.

    Parameters
    ----------
    enrichment
        Tidy enrichment table (:data:`disentangle.keys.ENRICHMENT_COLUMNS`), all libraries.
    fdr
        Significance threshold on the FDR q-value.
    active_dims
        Names of the active dimensions; significance elsewhere does not count.

    Returns
    -------
    DataFrame with library, term, n_dims, dims (comma-joined), best_dimension, best_nes, best_fdr,
    and nes_gap (see :func:`nes_gap`; NaN with fewer than two active dimensions tested).
    """
    columns = [keys.LIBRARY, keys.TERM, "n_dims", "dims", "best_dimension", "best_nes", "best_fdr", "nes_gap"]
    if enrichment.empty:
        return pd.DataFrame(columns=columns)
    table = enrichment.assign(significant=_significant(enrichment, fdr, active_dims),
                              _inactive=~enrichment[keys.DIMENSION].isin(active_dims),
                              _abs=enrichment[keys.NES].abs())
    rows = []
    for (library, term), group in table.groupby([keys.LIBRARY, keys.TERM], sort=True):
        hits = group[group["significant"]]
        # the best dimension is an active one whenever the term was tested in any
        best = group.sort_values(["_inactive", keys.FDR, "_abs"], ascending=[True, True, False]).iloc[0]
        rows.append({keys.LIBRARY: library, keys.TERM: term, "n_dims": len(hits),
                     "dims": ",".join(hits[keys.DIMENSION]), "best_dimension": best[keys.DIMENSION],
                     "best_nes": best[keys.NES], "best_fdr": best[keys.FDR],
                     "nes_gap": nes_gap(group.loc[~group["_inactive"], keys.NES].to_numpy())})
    return pd.DataFrame(rows, columns=columns).sort_values(["n_dims", "best_fdr"], ascending=[False, True], ignore_index=True)


def nes_gap(nes: np.ndarray) -> float:
    """(largest |NES| - second largest) / largest, over one term's dimensions; NaN for fewer than two
    finite values or when every |NES| is 0."""
    magnitude = np.sort(np.abs(np.asarray(nes, dtype=float)[np.isfinite(nes)]))[::-1]
    if magnitude.size < 2 or magnitude[0] == 0:
        return float("nan")
    return float((magnitude[0] - magnitude[1]) / magnitude[0])


def geneset_scores(terms: pd.DataFrame) -> pd.DataFrame:
    """Model-level scores from :func:`term_table`, per library and over all libraries.

    Returns
    -------
    Long table: scope (a library name, or "all" for all libraries pooled), metric, value. Metrics: n_terms_tested,
    n_terms_significant, coverage, one_to_one, mean_dims_per_term, nes_gap (the mean of the
    terms' gaps over the significant terms).
    """
    rows = []
    groups = [("all", terms)] + list(terms.groupby(keys.LIBRARY, sort=True))
    for library, group in groups:
        n_dims = group["n_dims"].to_numpy()
        captured = n_dims[n_dims > 0]
        values = {
            "n_terms_tested": len(group),
            "n_terms_significant": len(captured),
            "coverage": len(captured) / len(group) if len(group) else np.nan,
            "one_to_one": float(np.mean(captured == 1)) if len(captured) else np.nan,
            "mean_dims_per_term": float(captured.mean()) if len(captured) else np.nan,
            "nes_gap": float(pd.to_numeric(group.loc[group["n_dims"] > 0, "nes_gap"]).mean()),
        }
        rows += [{"scope": library, "metric": m, "value": v} for m, v in values.items()]
    return pd.DataFrame(rows)


def dimension_table(
    enrichment: pd.DataFrame,
    *,
    kl_per_dim: np.ndarray,
    active: np.ndarray,
    fdr: float,
    label_auroc: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per dimension: KL, activity, its best term and how many terms are significant.

    Parameters
    ----------
    enrichment
        Tidy enrichment table, all libraries.
    kl_per_dim, active
        Per dimension: mean KL (nats) and the active flag.
    fdr
        Significance threshold on the FDR q-value.

    ``label_auroc`` (categories x dims, from :func:`disentangle.metrics.label_auroc`) adds the
    category this dimension separates best (largest |AUROC - 0.5|) and that AUROC.
    """
    dims = [keys.dim_name(k) for k in range(len(kl_per_dim))]
    active_dims = {d for d, a in zip(dims, active) if a}
    table = pd.DataFrame({keys.DIMENSION: dims, "kl": np.asarray(kl_per_dim, float), "active": np.asarray(active, bool)})
    best = {d: {} for d in dims}
    if not enrichment.empty:
        ranked = enrichment.assign(significant=_significant(enrichment, fdr, active_dims), _abs=enrichment[keys.NES].abs())
        for dim, group in ranked.groupby(keys.DIMENSION):
            top = group.sort_values([keys.FDR, "_abs", keys.TERM], ascending=[True, False, True]).iloc[0]
            best[dim] = {"best_library": top[keys.LIBRARY], "best_term": top[keys.TERM], "best_nes": top[keys.NES],
                         "best_fdr": top[keys.FDR], "n_significant_terms": int(group["significant"].sum())}
    extra = pd.DataFrame([best[d] for d in dims], columns=["best_library", "best_term", "best_nes", "best_fdr", "n_significant_terms"])
    table = pd.concat([table, extra], axis=1)
    table["n_significant_terms"] = table["n_significant_terms"].fillna(0).astype(int)
    table["best_label"], table["best_label_auc"] = None, np.nan
    if label_auroc is not None and not label_auroc.empty:
        best = (label_auroc - 0.5).abs().idxmax(axis=0)
        table["best_label"] = [best[k] for k in range(len(dims))]
        table["best_label_auc"] = [label_auroc.loc[best[k], k] for k in range(len(dims))]
    return table
