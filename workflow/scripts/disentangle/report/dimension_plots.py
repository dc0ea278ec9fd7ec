"""Figures of one latent dimension's page: traversal, running scores, values by label and on an embedding.

Each function returns a :class:`~matplotlib.figure.Figure` (write it with :func:`.plots.save_figure`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..running_score import RunningScore
from .plots import ACTIVE_COLOR, MAX_CATEGORIES, new_figure, subsample

JITTER_POINTS = 2000  # cells drawn over each violin


def traversal_heatmap(positions: np.ndarray, decoded: np.ndarray, genes: list[str], high: list[str], low: list[str],
                      dim: str) -> Figure:
    """The traversal figure for genes: decoded expression of each pole's top genes along one dimension.

    Parameters
    ----------
    positions
        (steps,) values the dimension takes, low pole first.
    decoded
        steps x genes: decoded log-expression at each position (the other dimensions fixed).
    genes
        The gene names of ``decoded``'s columns.
    high, low
        The top genes of the high and of the low pole, drawn as rows in that order.
    dim
        The dimension's name, for the labels.

    Returns
    -------
    A figure: one row per gene, one column per step, coloured by the decoded log-expression
    minus the gene's mean along the traversal (so genes of any level share one scale).
    """
    index = {g: i for i, g in enumerate(genes)}
    rows = [g for g in [*high, *low] if g in index]
    values = decoded[:, [index[g] for g in rows]].T if rows else np.zeros((0, len(positions)))
    centred = values - values.mean(axis=1, keepdims=True)
    limit = float(np.abs(centred).max()) if centred.size else 1.0
    fig = new_figure(min(2.2 + 0.45 * len(positions), 8.0), 1.0 + 0.2 * max(len(rows), 1))
    ax = fig.add_subplot()
    image = ax.imshow(centred, aspect="auto", cmap="RdBu_r", vmin=-(limit or 1.0), vmax=limit or 1.0,
                      interpolation="nearest")
    ax.set_yticks(np.arange(len(rows)), rows, fontsize=7)
    ax.set_xticks(np.arange(len(positions)), [f"{p:.2g}" for p in positions], fontsize=7)
    ax.set_xlabel(f"{dim} (low pole → high pole; other dimensions at their median)", fontsize=8)
    n_high = len([g for g in high if g in index])
    if 0 < n_high < len(rows):
        ax.axhline(n_high - 0.5, color="black", linewidth=0.8)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("decoded log-expression − gene mean", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"Traversal of {dim}: top genes of the high pole (above the line) and the low pole", fontsize=9)
    return fig


def running_score_plot(walk: RunningScore, term: str, dim: str, nes: str, fdr: str) -> Figure:
    """GSEA's enrichment plot: the running score, the set's genes along the ranking, and the ranking.

    Parameters
    ----------
    walk
        The set's walk down the dimension's ranking (:func:`disentangle.running_score.running_score`).
    term, dim
        Names for the title and axis.
    nes, fdr
        Formatted NES and FDR from the enrichment table, for the title.
    """
    n = len(walk.scores)
    x = np.arange(n)
    fig = new_figure(5.4, 3.4)
    top, middle, bottom = fig.subplots(3, 1, sharex=True, height_ratios=[3, 0.6, 1.4])
    top.plot(x, walk.running, color="#2e8b57", linewidth=1.3)
    top.axhline(0, color="#999", linewidth=0.6)
    top.axvline(walk.peak, color="#c0392b", linewidth=0.8, linestyle="--")
    top.set_ylabel("running ES", fontsize=7)
    top.set_title(f"{term}\n{dim}: ES {walk.es:+.2f}, NES {nes}, FDR {fdr}", fontsize=8)
    middle.vlines(walk.hits, 0, 1, color="black", linewidth=0.5)
    middle.set_yticks([])
    middle.set_ylim(0, 1)
    bottom.fill_between(x, walk.scores, color="#888", linewidth=0, step="mid")
    bottom.axhline(0, color="#555", linewidth=0.5)
    bottom.set_ylabel("score", fontsize=7)
    bottom.set_xlabel(f"genes ranked by {dim} (high pole left, low pole right)", fontsize=7)
    bottom.set_xlim(0, n - 1)
    for ax in (top, middle, bottom):
        ax.tick_params(labelsize=6)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def by_label(values: np.ndarray, label: pd.Series, dim: str) -> Figure | None:
    """The dimension's posterior means by the categories of ``label``, ordered by median.

    Categorical (or few-valued) columns give one violin per category with its median marked
    and the cells jittered on top; continuous numeric columns give a scatter. Cells without a
    label are left out. Returns ``None`` when no cell has a label.
    """
    values = np.asarray(values, float)
    keep = label.notna().to_numpy() & np.isfinite(values)
    if not keep.any():
        return None
    lab, vals = label[keep], values[keep]
    numeric = pd.api.types.is_numeric_dtype(lab) and not isinstance(lab.dtype, pd.CategoricalDtype)
    if numeric and lab.nunique() > MAX_CATEGORIES:
        return _continuous(vals, lab.to_numpy(float), dim, str(label.name))
    return _violins(pd.Series(vals, index=lab.index).groupby(lab.astype(str).to_numpy()), dim, str(label.name))


def _violins(groups, dim: str, name: str) -> Figure:
    counts = groups.size()
    dropped = max(0, len(counts) - MAX_CATEGORIES)
    counts = counts.sort_values(ascending=False, kind="mergesort").iloc[:MAX_CATEGORIES]
    order = list(groups.median().loc[counts.index].sort_values(kind="mergesort").index)
    data = [groups.get_group(c).to_numpy() for c in order]
    fig = new_figure(6.0, min(max(2.0, 0.36 * len(order) + 1.2), 14.0))
    ax = fig.add_subplot()
    spread = [d for d in data if np.ptp(d) > 0]  # a violin needs a spread of values
    at = [i for i, d in enumerate(data, start=1) if np.ptp(d) > 0]
    if spread:
        parts = ax.violinplot(spread, positions=at, orientation="horizontal", widths=0.8, showextrema=False)
        for body in parts["bodies"]:
            body.set(facecolor="#cfdcec", edgecolor="#7f9cbf", alpha=0.9)
    rng = np.random.default_rng(0)
    for i, d in enumerate(data, start=1):
        shown = rng.choice(d, JITTER_POINTS, replace=False) if len(d) > JITTER_POINTS else d
        ax.scatter(shown, i + rng.uniform(-0.15, 0.15, len(shown)), s=4, alpha=0.45, color=ACTIVE_COLOR,
                   linewidths=0, rasterized=True)
        ax.plot([np.median(d)] * 2, [i - 0.35, i + 0.35], color="#c0392b", linewidth=1.6)
    ax.set_yticks(np.arange(1, len(order) + 1), [f"{c} (n={counts[c]})" for c in order], fontsize=8)
    ax.axvline(0, color="#999", linewidth=0.6, linestyle=":")
    ax.set_xlabel(f"{dim} (posterior mean)")
    title = f"{dim} by {name}" + (f" ({dropped} rarer categories not shown)" if dropped else "")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _continuous(vals: np.ndarray, x: np.ndarray, dim: str, name: str) -> Figure:
    idx = subsample(len(vals))
    fig = new_figure(5.0, 4.0)
    ax = fig.add_subplot()
    ax.scatter(x[idx], vals[idx], s=3, alpha=0.4, color=ACTIVE_COLOR, linewidths=0, rasterized=True)
    ax.set_xlabel(name)
    ax.set_ylabel(f"{dim} (posterior mean)")
    ax.set_title(f"{dim} against {name}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def embedding(coords: np.ndarray, values: np.ndarray, dim: str, basis: str) -> Figure:
    """Cells on a 2-D embedding, coloured by the dimension (diverging, centred on 0)."""
    coords = np.asarray(coords, float)[:, :2]
    values = np.asarray(values, float)
    ok = np.isfinite(coords).all(axis=1) & np.isfinite(values)
    coords, values = coords[ok], values[ok]
    idx = subsample(len(values))
    lim = float(np.percentile(np.abs(values), 99)) if len(values) else 1.0
    lim = lim if lim > 0 else 1.0
    fig = new_figure(5.2, 4.4)
    ax = fig.add_subplot()
    size = float(np.clip(3e4 / max(len(idx), 1), 1.0, 30.0))
    points = ax.scatter(coords[idx, 0], coords[idx, 1], c=values[idx], cmap="RdBu_r", vmin=-lim, vmax=lim, s=size,
                        linewidths=0, rasterized=True)
    fig.colorbar(points, ax=ax, shrink=0.8, label=f"{dim} (posterior mean)")
    embedding_axes(ax, basis)
    ax.set_title(f"{dim} on {basis_name(basis)}", fontsize=10)
    return fig


def basis_name(basis: str) -> str:
    """``X_umap`` → ``umap``: the name scanpy's plotting functions take."""
    return basis[2:] if basis.startswith("X_") else basis


def embedding_axes(ax, basis: str) -> None:
    name = basis_name(basis)
    ax.set_xlabel(f"{name} 1")
    ax.set_ylabel(f"{name} 2")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal", adjustable="datalim")
