"""Write the model's report: ``index.html`` plus ``dim_{k}.html`` per latent dimension.

Pages are rendered from the Jinja2 templates in ``templates/`` with autoescaping on, so gene and
term names such as ``<b>&`` show as text. Figures are PNG files under ``figures/`` referenced by
relative paths, so the report folder can be moved and opened from disk.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment

from .. import __version__, keys
from ..rankings import ranking_matrix
from ..io.files import atomic_output, write_text
from . import dimension_page as page, index_plots, plots
from .dimension_page import FIGURES
from .render import environment
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
    """obsm keys of 2-D embeddings to draw: ``X_umap`` (of the latent means) first, then other ``X_umap*`` keys."""
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
    running_scores: int = 3,
    title: str | None = None,
    factors: pd.DataFrame | None = None,
    programs: pd.DataFrame | None = None,
    gene_sets: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    training_figure: str | os.PathLike | None = None,
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
        holding ``keys.KL_PER_DIM``, ``keys.ACTIVE``, ``"model"``, ``"params"`` and the traversal grid.
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
    running_scores
        GSEA running-score plots per dimension: of its first terms (by FDR, then |NES|).
    title
        Page title; default ``"{dataset} / {model}"`` from ``uns``.
    factors
        ``factors.tsv`` of rule score_factors: per known factor (and scope), the dimension of
        most mutual information and of largest DCI importance; shown as "Known factors".
    programs
        ``programs.tsv`` (simulated data): per true program, its own dimension and the
        dimensions where the enrichment found it; shown as "True programs".
    gene_sets
        Library -> term -> genes, for the running-score plots; without it there are none.
    training_figure
        ``training.png`` of rule plot_training, copied into the report's figures.

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
    n_dims = means.shape[1]
    uns = dict(latent.uns.get(keys.LATENT_UNS, {}) or {})
    enrichment = enrichment if enrichment is not None else pd.DataFrame(columns=keys.ENRICHMENT_COLUMNS)
    kl = _per_dim(uns, keys.KL_PER_DIM, dimensions, "kl", n_dims, float)
    active = _per_dim(uns, keys.ACTIVE, dimensions, "active", n_dims, bool)
    active_kl = _active_kl(uns)
    if title is None:
        parts = [str(p) for p in (uns.get("dataset"), uns.get("model")) if p is not None]
        title = " / ".join(parts) if parts else "β-VAE model report"

    env = environment()
    common = {"title": title, "version": __version__, "fdr": fmt_num(fdr)}
    label_cols = _label_columns(latent, labels)
    bases = _embedding_bases(latent)
    names = [keys.dim_name(k) for k in range(n_dims)]
    shared = {
        "latent": latent, "means": means, "kl": kl, "active": active, "rankings": rankings,
        "enrichment": enrichment, "dimensions": dimensions, "fdr": fdr, "top_genes": top_genes,
        "top_terms": top_terms, "running_scores": running_scores, "gene_sets": gene_sets or {},
        "label_cols": label_cols, "bases": bases, "names": names, "figdir": figdir,
        "grid": _traversal_grid(uns, n_dims, latent.n_vars),
        "term_dims": page.significant_dims(enrichment, fdr),
        "ranking": ranking_matrix(rankings) if len(rankings) else pd.DataFrame(),
        "factor_table": factor_rows(factors), "program_table": program_rows(programs),
    }
    written: list[Path] = []
    index_rows = []
    for k in range(n_dims):
        html, row, figures = _dimension_page(env, common, k, shared, active_kl)
        written += figures
        written.append(write_text(outdir / f"dim_{k}.html", html))
        index_rows.append(row)

    figures = _index_figures(figdir, shared, active_kl, training_figure)
    written += [figdir / Path(src).name for src in figures.values() if isinstance(src, str)]
    written += [figdir / Path(f["src"]).name for f in figures["label_maps"]]
    html = env.get_template("index.html").render(
        **common,
        n_dims=n_dims,
        n_active=int(np.sum(active)),
        n_cells=latent.n_obs,
        n_genes=latent.n_vars,
        params=[(str(key), fmt_value(v)) for key, v in dict(uns.get(keys.PARAMS) or {}).items()],
        scores=[(str(key), fmt_value(v)) for key, v in dict(model_scores or {}).items()],
        dims=index_rows,
        n_tested=int(enrichment[keys.TERM].nunique()) if keys.TERM in enrichment else 0,
        factors=shared["factor_table"],
        programs=shared["program_table"],
        active_kl=fmt_num(active_kl) if active_kl is not None else "",
        **figures,
    )
    written.append(write_text(index_path, html))
    return written


def _active_kl(uns: Mapping) -> float | None:
    value = _find(uns, keys.ACTIVE_KL)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _dimension_page(env: Environment, common: dict, k: int, shared: dict, active_kl: float | None):
    """(html, index row, figures written) of dimension ``k``."""
    names, figdir, name = shared["names"], shared["figdir"], shared["names"][k]
    latent, means, fdr = shared["latent"], shared["means"], shared["fdr"]
    logvar = latent.obsm[keys.LATENT_LOGVAR] if keys.LATENT_LOGVAR in latent.obsm else None
    summary = dimension_summary(shared["dimensions"], name, fdr)
    dim = {
        "name": name,
        "href": f"dim_{k}.html",
        "kl": fmt_fixed(shared["kl"][k], 3),
        "active": bool(shared["active"][k]),
        "mean_sd": fmt_num(np.nanstd(means[:, k])),
        "posterior_var": (fmt_num(np.nanmean(np.exp(np.asarray(logvar[:, k], dtype=float))))
                          if logvar is not None else ""),
    }
    high, low = pole_genes(shared["rankings"], name, shared["top_genes"])
    terms = dimension_terms(shared["enrichment"], name, fdr, shared["top_terms"])
    page.add_other_dims(terms["rows"], name, shared["term_dims"])
    ranking = shared["ranking"][name] if name in shared["ranking"] else None
    traversal = page.traversal_figure(figdir, k, shared["grid"], list(latent.var_names), high, low,
                                      shared["top_genes"], name)
    gsea = page.running_score_figures(figdir, k, name, ranking, terms["rows"], shared["gene_sets"],
                                      shared["running_scores"])
    by_label, label_notes = page.label_figures(figdir, k, name, means[:, k], latent.obs, shared["label_cols"])
    on_embedding = page.embedding_figures(figdir, k, name, means[:, k], latent.obsm, shared["bases"])
    html = env.get_template("dim.html").render(
        **common,
        dim=dim,
        summary=summary,
        active_kl=fmt_num(active_kl) if active_kl is not None else "",
        prev={"name": names[k - 1], "href": f"dim_{k - 1}.html"} if k > 0 else None,
        next={"name": names[k + 1], "href": f"dim_{k + 1}.html"} if k + 1 < len(names) else None,
        dims=[{"name": n, "href": f"dim_{i}.html"} for i, n in enumerate(names)],
        high=high,
        low=low,
        terms=terms,
        shared_dims=page.shared_terms(name, shared["term_dims"]),
        gsea_figures=gsea,
        label_figures=by_label,
        label_notes=label_notes,
        embedding_figures=on_embedding,
        traversal_figure=f"{FIGURES}/{traversal.name}" if traversal else None,
        carried=[f for f in shared["factor_table"] if f["mig_dim"] == name],
        own_programs=[p for p in shared["program_table"] if p["own_dimension"] == name],
    )
    written = [p for p in [traversal] if p] + [figdir / Path(f["src"]).name for f in [*gsea, *by_label, *on_embedding]]
    return html, {**summary, **dim}, written


def _index_figures(figdir: Path, shared: dict, active_kl: float | None, training_figure) -> dict:
    """Write the index's figures; return the template's names for them (``None`` when not drawn)."""
    figures: dict[str, Any] = {"training_figure": None, "heatmap_figure": None, "heatmap_terms": 0, "label_maps": []}
    if training_figure is not None and Path(training_figure).exists():
        with atomic_output(figdir / "training.png") as tmp:
            shutil.copyfile(training_figure, tmp)
        figures["training_figure"] = f"{FIGURES}/training.png"
    kl_path = plots.save_figure(plots.kl_bar(shared["names"], shared["kl"], shared["active"], active_kl),
                                figdir / "kl_per_dim.png")
    figures["kl_figure"] = f"{FIGURES}/{kl_path.name}"
    table = index_plots.heatmap_terms(shared["enrichment"], shared["fdr"])
    if not table.empty:
        path = plots.save_figure(index_plots.nes_heatmap(table, shared["fdr"]), figdir / "nes_heatmap.png")
        figures["heatmap_figure"] = f"{FIGURES}/{path.name}"
        figures["heatmap_terms"] = len(table)
    latent = shared["latent"]
    for basis in shared["bases"]:
        for i, col in enumerate(shared["label_cols"]):
            fig = index_plots.embedding_by_label(latent.obsm[basis], latent.obs[col], basis)
            if fig is None:
                continue
            path = plots.save_figure(fig, figdir / f"{page.safe_name(basis)}_by_{i}_{page.safe_name(col)}.png")
            figures["label_maps"].append({"label": col, "basis": basis, "src": f"{FIGURES}/{path.name}"})
    return figures
