"""What one dimension's page shows: its figures (written under ``figures/``) and the template's values."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import keys
from ..running_score import running_score
from . import dimension_plots
from .plots import save_figure

log = logging.getLogger(__name__)

FIGURES = "figures"
TRAVERSAL_GENES = 10  # genes per pole in the traversal heatmap (at most the top genes listed)


def safe_name(name: str) -> str:
    """``name`` with every character outside ``[A-Za-z0-9_.-]`` replaced, for a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "label"


def dim_href(dim: str) -> str:
    """The page of dimension ``z{k}``: ``dim_{k}.html``."""
    return f"dim_{dim[1:]}.html"


def significant_dims(enrichment: pd.DataFrame, fdr: float) -> dict[tuple[str, str], list[str]]:
    """(library, term) -> the dimensions where the term is significant, in dimension order."""
    if enrichment is None or enrichment.empty:
        return {}
    sig = enrichment[enrichment[keys.FDR] < fdr]
    return {key: sorted(set(group[keys.DIMENSION]), key=lambda d: int(d[1:]))
            for key, group in sig.groupby([keys.LIBRARY, keys.TERM])}


def shared_terms(dim: str, term_dims: Mapping[tuple[str, str], Sequence[str]]) -> list[dict]:
    """The other dimensions where ``dim``'s significant terms are also significant, most shared first.

    Returns rows ``{"name", "href", "n", "terms"}``: ``n`` of ``dim``'s significant terms are
    significant in that dimension too (``terms``: their names).
    """
    shared: dict[str, list[str]] = {}
    for (_, term), dims in term_dims.items():
        if dim in dims:
            for other in dims:
                if other != dim:
                    shared.setdefault(other, []).append(term)
    order = sorted(shared, key=lambda d: (-len(shared[d]), int(d[1:])))
    return [{"name": d, "href": dim_href(d), "n": len(shared[d]), "terms": ", ".join(sorted(shared[d]))} for d in order]


def add_other_dims(rows: list[dict], dim: str, term_dims: Mapping[tuple[str, str], Sequence[str]]) -> list[dict]:
    """Each term row with ``also``: the other dimensions where it is significant, as links."""
    for row in rows:
        dims = term_dims.get((row["library"], row["term"]), [])
        row["also"] = [{"name": d, "href": dim_href(d)} for d in dims if d != dim]
    return rows


def traversal_figure(figdir: Path, k: int, grid, genes: list[str], high: list[dict], low: list[dict], top_genes: int,
                     dim: str) -> Path | None:
    """Write the traversal heatmap of dimension ``k`` when the export kept its grid."""
    if grid is None:
        return None
    n = min(TRAVERSAL_GENES, top_genes)
    fig = dimension_plots.traversal_heatmap(grid[0][k], grid[1][k], genes, [g["gene"] for g in high[:n]],
                                            [g["gene"] for g in low[:n]], dim)
    return save_figure(fig, figdir / f"dim_{k}_traversal.png")


def running_score_figures(figdir: Path, k: int, dim: str, ranking: pd.Series | None, rows: list[dict],
                          gene_sets: Mapping[str, Mapping[str, Sequence[str]]], n: int) -> list[dict]:
    """GSEA enrichment plots of the first ``n`` terms of the page's term table.

    ``gene_sets`` maps library -> term -> genes; terms whose library is not given are skipped.
    Returns ``{"src", "term", "library", "significant"}`` per figure written.
    """
    figures = []
    if ranking is None:
        return figures
    for i, row in enumerate(rows[:n]):
        members = gene_sets.get(row["library"], {}).get(row["term"])
        if members is None:
            continue
        try:
            walk = running_score(ranking, members)
        except ValueError as error:
            log.warning("%s, %s: no running score (%s)", dim, row["term"], error)
            continue
        path = save_figure(dimension_plots.running_score_plot(walk, row["term"], dim, row["nes"], row["fdr"]),
                           figdir / f"dim_{k}_gsea_{i}.png")
        figures.append({"src": f"{FIGURES}/{path.name}", "term": row["term"], "library": row["library"],
                        "significant": row["significant"]})
    return figures


def label_figures(figdir: Path, k: int, dim: str, values: np.ndarray, obs: pd.DataFrame,
                  columns: Sequence[str]) -> tuple[list[dict], list[str]]:
    """Violins of the dimension by each label column; notes for columns without any value."""
    figures, notes = [], []
    for i, col in enumerate(columns):
        fig = dimension_plots.by_label(values, obs[col], dim)
        if fig is None:
            notes.append(f"No cell has a value in “{col}”; no figure.")
            continue
        path = save_figure(fig, figdir / f"dim_{k}_by_{i}_{safe_name(col)}.png")
        figures.append({"label": col, "src": f"{FIGURES}/{path.name}"})
    return figures, notes


def embedding_figures(figdir: Path, k: int, dim: str, values: np.ndarray, obsm: Mapping,
                      bases: Sequence[str]) -> list[dict]:
    """The dimension's values on each 2-D embedding."""
    figures = []
    for basis in bases:
        path = save_figure(dimension_plots.embedding(obsm[basis], values, dim, basis),
                           figdir / f"dim_{k}_{safe_name(basis)}.png")
        figures.append({"basis": basis, "name": dimension_plots.basis_name(basis), "src": f"{FIGURES}/{path.name}"})
    return figures
