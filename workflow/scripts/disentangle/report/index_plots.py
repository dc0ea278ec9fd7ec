"""Figures of a model's index page: dimensions x gene sets NES, and the latent UMAP by annotation.

Each function returns a :class:`~matplotlib.figure.Figure` (write it with :func:`.plots.save_figure`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from .. import keys
from .dimension_plots import basis_name, embedding_axes
from .plots import MAX_CATEGORIES, new_figure, subsample

HEATMAP_TERMS = 40  # gene sets drawn in the NES heatmap


def heatmap_terms(enrichment: pd.DataFrame, fdr: float, n: int = HEATMAP_TERMS) -> pd.DataFrame:
    """The gene sets of the NES heatmap and their NES per dimension.

    Sets significant in at least one dimension, ranked by their smallest FDR, then largest |NES|;
    the first ``n``. Returns a table indexed by ``(library, term)`` with one NES and one FDR column
    per dimension (a ``MultiIndex`` of ``("nes" | "fdr", dimension)``); empty when none is significant.
    """
    if enrichment is None or enrichment.empty:
        return pd.DataFrame()
    table = enrichment.assign(_abs=enrichment[keys.NES].abs())
    significant = table[table[keys.FDR] < fdr]
    if significant.empty:
        return pd.DataFrame()
    best = (significant.groupby([keys.LIBRARY, keys.TERM])
            .agg(min_fdr=(keys.FDR, "min"), max_abs=("_abs", "max"))
            .sort_values(["min_fdr", "max_abs"], ascending=[True, False], kind="mergesort")
            .head(n))
    chosen = table.set_index([keys.LIBRARY, keys.TERM]).loc[best.index].reset_index()
    wide = chosen.pivot_table(index=[keys.LIBRARY, keys.TERM], columns=keys.DIMENSION, values=[keys.NES, keys.FDR])
    order = sorted(set(enrichment[keys.DIMENSION]), key=lambda d: (len(d), d))
    return wide.reindex(index=best.index).reindex(columns=pd.MultiIndex.from_product([[keys.NES, keys.FDR], order]))


def nes_heatmap(table: pd.DataFrame, fdr: float) -> Figure:
    """Gene sets (rows) x dimensions (columns) coloured by NES; a dot marks FDR < ``fdr``.

    ``table`` is :func:`heatmap_terms`'s. Untested cells are left white.
    """
    nes, q = table[keys.NES], table[keys.FDR]
    labels = [f"{term} ({library})" for library, term in table.index]
    fig = new_figure(min(3.5 + 0.42 * nes.shape[1] + 0.045 * max(map(len, labels)), 14.0), 1.2 + 0.19 * len(labels))
    ax = fig.add_subplot()
    limit = float(np.nanmax(np.abs(nes.to_numpy()))) or 1.0
    image = ax.imshow(nes.to_numpy(float), aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    rows, cols = np.nonzero(q.to_numpy(float) < fdr)
    ax.scatter(cols, rows, s=9, color="black", marker="o", linewidths=0, label=f"FDR < {fdr:g}")
    ax.set_xticks(np.arange(nes.shape[1]), list(nes.columns), fontsize=7)
    ax.set_yticks(np.arange(len(labels)), labels, fontsize=6)
    ax.set_xlabel("latent dimension", fontsize=8)
    bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.02)
    bar.set_label("NES (+: high pole, −: low pole)", fontsize=7)
    bar.ax.tick_params(labelsize=6)
    ax.legend(fontsize=6, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0))
    return fig


def embedding_by_label(coords: np.ndarray, label: pd.Series, basis: str) -> Figure | None:
    """Cells on a 2-D embedding coloured by one annotation: categories with a legend, numbers by a colour bar.

    Returns ``None`` when no cell has a value.
    """
    coords = np.asarray(coords, float)[:, :2]
    keep = label.notna().to_numpy() & np.isfinite(coords).all(axis=1)
    if not keep.any():
        return None
    coords, label = coords[keep], label[keep]
    idx = subsample(len(label))
    size = float(np.clip(3e4 / max(len(idx), 1), 1.0, 30.0))
    fig = new_figure(6.4, 4.4)
    ax = fig.add_subplot()
    numeric = pd.api.types.is_numeric_dtype(label) and not isinstance(label.dtype, pd.CategoricalDtype)
    if numeric and label.nunique() > MAX_CATEGORIES:
        points = ax.scatter(coords[idx, 0], coords[idx, 1], c=label.to_numpy(float)[idx], cmap="viridis", s=size,
                            linewidths=0, rasterized=True)
        fig.colorbar(points, ax=ax, shrink=0.8, label=str(label.name))
    else:
        _categories(ax, coords[idx], label.astype(str).to_numpy()[idx], size)
    embedding_axes(ax, basis)
    where = "the UMAP of the posterior means" if basis == keys.LATENT_UMAP else f"the data's {basis_name(basis)}"
    ax.set_title(f"{label.name} on {where}", fontsize=10)
    return fig


def _categories(ax, coords: np.ndarray, values: np.ndarray, size: float) -> None:
    names, counts = np.unique(values, return_counts=True)
    shown = names[np.argsort(-counts, kind="stable")][:MAX_CATEGORIES]
    palette = colormaps["tab20"].colors if len(shown) > 10 else colormaps["tab10"].colors
    other = ~np.isin(values, shown)
    if other.any():
        ax.scatter(coords[other, 0], coords[other, 1], s=size, color="#dddddd", linewidths=0, rasterized=True,
                   label="other")
    for i, name in enumerate(sorted(shown)):
        at = values == name
        ax.scatter(coords[at, 0], coords[at, 1], s=size, color=palette[i % len(palette)], linewidths=0,
                   rasterized=True, label=name)
    ax.legend(fontsize=6, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=2,
              ncol=2 if len(shown) > 20 else 1)
