"""Write the model's report: ``index.html`` plus ``dim_{k}.html`` per latent dimension.

Pages are rendered from the Jinja2 templates in ``templates/`` with autoescaping on, so gene and
term names such as ``<b>&`` show as text. Figures are PNG files under ``figures/`` referenced by
relative paths, so the report folder can be moved and opened from disk.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .. import __version__, keys
from . import plots
from .tables import (
    dimension_summary,
    factor_rows,
    program_rows,
    dimension_terms,
    fmt_fixed,
    fmt_num,
    fmt_value,
    top_genes as pole_genes,  # the keyword argument ``top_genes`` would shadow it
)

log = logging.getLogger(__name__)

FIGURES = "figures"
TRAVERSAL_GENES = 10  # genes per pole in the traversal heatmap (at most the top_genes listed)
TEMPLATES = Path(__file__).with_name("templates")


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _write_text(path: Path, text: str) -> Path:
    """Write through a temporary file and rename, so a page is either whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "label"


def _per_dim(uns: Mapping, key: str, dimensions: pd.DataFrame, column: str, k: int, dtype) -> np.ndarray:
    """A per-dimension statistic from ``uns`` (source of truth), else the dimensions table."""
    value = uns.get(key)
    if value is not None and len(np.ravel(value)) == k:
        return np.asarray(np.ravel(value), dtype=dtype)
    out = np.full(k, np.nan)
    if dimensions is not None and column in dimensions and keys.DIMENSION in dimensions:
        lookup = dimensions.set_index(keys.DIMENSION)[column]
        for i in range(k):
            name = keys.dim_name(i)
            if name in lookup.index and pd.notna(lookup[name]):
                out[i] = float(lookup[name])
    if dtype is bool:
        return np.nan_to_num(out, nan=1.0).astype(bool)  # unknown activity: treat as active
    return out


def _find(mapping: Any, key: str) -> Any:
    """First value of ``key`` in a nested mapping (e.g. the activity threshold in params)."""
    if not isinstance(mapping, Mapping):
        return None
    if key in mapping:
        return mapping[key]
    for value in mapping.values():
        found = _find(value, key)
        if found is not None:
            return found
    return None


def _traversal_grid(uns: Mapping, n_dims: int, n_genes: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``positions`` (dims x steps) and ``decoded`` (dims x steps x genes) of the export, when present."""
    traversal = uns.get(keys.TRAVERSAL) or {}
    if keys.TRAVERSAL_DECODED not in traversal or keys.TRAVERSAL_POSITIONS not in traversal:
        return None
    positions = np.asarray(traversal[keys.TRAVERSAL_POSITIONS], dtype=float)
    decoded = np.asarray(traversal[keys.TRAVERSAL_DECODED], dtype=float)
    if positions.shape[0] != n_dims or decoded.shape != (n_dims, positions.shape[1], n_genes):
        log.warning("traversal grid of shape %s does not match %d dims x %d genes; no traversal figures",
                    decoded.shape, n_dims, n_genes)
        return None
    return positions, decoded


def _embedding_bases(latent) -> list[str]:
    """obsm keys of 2-D embeddings to draw: ``X_umap`` first, then other ``X_umap*`` keys."""
    bases = []
    for key in sorted(latent.obsm.keys(), key=lambda b: (b != "X_umap", b)):
        if not key.startswith("X_umap") or key == keys.LATENT_MEAN:
            continue
        arr = np.asarray(latent.obsm[key])
        if arr.ndim == 2 and arr.shape[1] >= 2:
            bases.append(key)
    return bases


def _label_columns(latent, labels: Sequence[str] | str | None) -> list[str]:
    if labels is None:
        return []
    if isinstance(labels, str):
        labels = [labels]
    present = [c for c in dict.fromkeys(labels) if c in latent.obs.columns]
    missing = [c for c in labels if c not in latent.obs.columns]
    if missing:
        log.warning("report: label columns not in obs, skipped: %s", ", ".join(missing))
    return present


def write_model_report(
    outdir: str | os.PathLike,
    *,
    latent,
    rankings: pd.DataFrame,
    enrichment: pd.DataFrame | None,
    dimensions: pd.DataFrame | None,
    model_scores: Mapping[str, Any] | None,
    labels: Sequence[str] | None,
    fdr: float,
    top_genes: int = 20,
    top_terms: int = 15,
    title: str | None = None,
    factors: pd.DataFrame | None = None,
    programs: pd.DataFrame | None = None,
) -> list[Path]:
    """Write the static HTML report of one model into ``outdir``.

    Parameters
    ----------
    outdir
        Report folder; created if needed. Holds ``index.html``, ``dim_{k}.html`` for every
        latent dimension (inactive ones included) and PNG figures under ``figures/``.
    latent
        AnnData with ``obsm[keys.LATENT_MEAN]`` (cells x K), optionally
        ``obsm[keys.LATENT_LOGVAR]`` and ``X_umap*`` embeddings, and ``uns[keys.LATENT_UNS]``
        holding ``keys.KL_PER_DIM``, ``keys.ACTIVE``, ``"model"`` and ``"params"``.
    rankings
        Long table: ``keys.DIMENSION``, ``keys.GENE``, ``keys.SCORE``, ``keys.RANK``.
    enrichment
        One row per (library, dimension, term) tested; may be empty or ``None``.
    dimensions
        One row per dimension: kl, active, best_library, best_term, best_nes, best_fdr,
        n_significant_terms, best_label, best_label_auc (NaN allowed).
    model_scores
        Metric name -> value for the model-level scores table.
    labels
        obs columns to show each dimension by; absent columns are skipped.
    fdr
        A term is significant when its FDR is below this.
    top_genes, top_terms
        Genes shown per pole, terms shown per dimension.
    title
        Page title; default ``"{dataset} / {model}"`` from ``uns``.
    factors
        ``factors.tsv`` of rule score_factors: per known factor (and scope), the dimension of
        most mutual information and of largest DCI importance; shown as "Known factors".
    programs
        ``programs.tsv`` (simulated data): per true program, its own dimension and the
        dimensions where the enrichment found it; shown as "True programs".

    Returns
    -------
    The files written: dimension pages, figures, then ``index.html`` last. ``index.html`` is
    removed first and written only once everything else is, so a failed run leaves none.
    """
    outdir = Path(outdir)
    figdir = outdir / FIGURES
    figdir.mkdir(parents=True, exist_ok=True)
    index_path = outdir / "index.html"
    index_path.unlink(missing_ok=True)

    if keys.LATENT_MEAN not in latent.obsm:
        raise KeyError(f"latent AnnData has no obsm[{keys.LATENT_MEAN!r}] (posterior means)")
    means = np.asarray(latent.obsm[keys.LATENT_MEAN], dtype=float)
    logvar = latent.obsm[keys.LATENT_LOGVAR] if keys.LATENT_LOGVAR in latent.obsm else None
    n_dims = means.shape[1]
    uns = dict(latent.uns.get(keys.LATENT_UNS, {}) or {})
    enrichment = enrichment if enrichment is not None else pd.DataFrame()
    kl = _per_dim(uns, keys.KL_PER_DIM, dimensions, "kl", n_dims, float)
    active = _per_dim(uns, keys.ACTIVE, dimensions, "active", n_dims, bool)
    params = uns.get(keys.PARAMS) or {}
    active_kl = _find(uns, keys.ACTIVE_KL)
    try:
        active_kl = float(active_kl) if active_kl is not None else None
    except (TypeError, ValueError):
        active_kl = None
    if title is None:
        parts = [str(p) for p in (uns.get("dataset"), uns.get("model")) if p is not None]
        title = " / ".join(parts) if parts else "β-VAE model report"

    env = _environment()
    common = {"title": title, "version": __version__, "fdr": fmt_num(fdr)}
    label_cols = _label_columns(latent, labels)
    bases = _embedding_bases(latent)
    names = [keys.dim_name(k) for k in range(n_dims)]
    grid = _traversal_grid(uns, n_dims, latent.n_vars)
    factor_table, program_table = factor_rows(factors), program_rows(programs)
    written: list[Path] = []
    index_rows = []

    for k, name in enumerate(names):
        summary = dimension_summary(dimensions, name, fdr)
        dim = {
            "name": name,
            "href": f"dim_{k}.html",
            "kl": fmt_fixed(kl[k], 3),
            "active": bool(active[k]),
            "mean_sd": fmt_num(np.nanstd(means[:, k])),
            "posterior_var": (
                fmt_num(np.nanmean(np.exp(np.asarray(logvar[:, k], dtype=float))))
                if logvar is not None else ""
            ),
        }
        index_rows.append({**summary, **dim})
        high, low = pole_genes(rankings, name, top_genes)
        terms = dimension_terms(enrichment, name, fdr, top_terms)
        traversal_figure = None
        if grid is not None:
            path = figdir / f"dim_{k}_traversal.png"
            n = min(TRAVERSAL_GENES, top_genes)
            plots.save_figure(plots.traversal_heatmap(grid[0][k], grid[1][k], list(latent.var_names),
                                                      [g["gene"] for g in high[:n]], [g["gene"] for g in low[:n]], name),
                              path)
            written.append(path)
            traversal_figure = f"{FIGURES}/{path.name}"

        label_figures, label_notes = [], []
        for i, col in enumerate(label_cols):
            path = figdir / f"dim_{k}_by_{i}_{_safe(col)}.png"
            if plots.by_label(path, means[:, k], latent.obs[col], name) is None:
                label_notes.append(f"No cell has a value in “{col}”; no figure.")
                continue
            written.append(path)
            label_figures.append({"label": col, "src": f"{FIGURES}/{path.name}"})
        embedding_figures = []
        for basis in bases:
            path = figdir / f"dim_{k}_{_safe(basis)}.png"
            plots.embedding(path, latent.obsm[basis], means[:, k], name, basis)
            written.append(path)
            embedding_figures.append({"basis": basis, "src": f"{FIGURES}/{path.name}"})

        html = env.get_template("dim.html").render(
            **common,
            dim=dim,
            summary=summary,
            active_kl=fmt_num(active_kl) if active_kl is not None else "",
            prev={"name": names[k - 1], "href": f"dim_{k - 1}.html"} if k > 0 else None,
            next={"name": names[k + 1], "href": f"dim_{k + 1}.html"} if k + 1 < n_dims else None,
            high=high,
            low=low,
            terms=terms,
            label_figures=label_figures,
            label_notes=label_notes,
            embedding_figures=embedding_figures,
            traversal_figure=traversal_figure,
            carried=[f for f in factor_table if f["mig_dim"] == name],
            own_programs=[p for p in program_table if p["own_dimension"] == name],
        )
        written.append(_write_text(outdir / f"dim_{k}.html", html))

    kl_path = plots.kl_bar(figdir / "kl_per_dim.png", names, kl, active, active_kl)
    written.append(kl_path)
    html = env.get_template("index.html").render(
        **common,
        n_dims=n_dims,
        n_active=int(np.sum(active)),
        n_cells=latent.n_obs,
        n_genes=latent.n_vars,
        params=[(str(key), fmt_value(v)) for key, v in dict(params).items()],
        scores=[(str(key), fmt_value(v)) for key, v in dict(model_scores or {}).items()],
        dims=index_rows,
        kl_figure=f"{FIGURES}/{kl_path.name}",
        n_tested=int(enrichment[keys.TERM].nunique()) if keys.TERM in enrichment else 0,
        factors=factor_table,
        programs=program_table,
    )
    written.append(_write_text(index_path, html))
    return written

