"""PNG figures of the report, drawn on matplotlib's Agg canvas.

Figures are built with :class:`matplotlib.figure.Figure` and an explicit ``FigureCanvasAgg``
rather than ``pyplot``: nothing is registered with pyplot's figure manager, the global backend
of the caller (a notebook, say) is left alone, and each figure is freed once saved, so drawing
hundreds of dimensions does not grow memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 110
MAX_CATEGORIES = 40  # label columns with more categories show the most frequent ones
MAX_POINTS = 50_000  # scatter plots subsample beyond this many cells
ACTIVE_COLOR = "#3b6ea5"
INACTIVE_COLOR = "#b8b8b8"


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` (folders made) and free it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, format="png")
    finally:
        fig.clear()
    return path


def kl_bar(path: Path, names: list[str], kl: np.ndarray, active: np.ndarray,
           threshold: float | None = None) -> Path:
    """Bar plot of KL (nats) per dimension; inactive dimensions grey, activity threshold dashed."""
    k = len(names)
    fig = new_figure(min(max(4.0, 0.3 * k + 1.5), 16.0), 3.2)
    ax = fig.add_subplot()
    colors = [ACTIVE_COLOR if a else INACTIVE_COLOR for a in active]
    ax.bar(np.arange(k), np.nan_to_num(np.asarray(kl, float)), color=colors)
    if threshold is not None:
        ax.axhline(threshold, color="#c0392b", linewidth=0.8, linestyle="--",
                   label=f"activity threshold ({threshold:g} nats)")
        ax.legend(fontsize=8, frameon=False)
    step = max(1, int(np.ceil(k / 40)))
    ax.set_xticks(np.arange(0, k, step), [names[i] for i in range(0, k, step)],
                  rotation=90 if k > 12 else 0, fontsize=8)
    ax.set_xlim(-0.6, k - 0.4)
    ax.set_ylabel("KL (nats per cell)")
    ax.set_title("KL per latent dimension (grey: inactive)", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return save_figure(fig, path)


def by_label(path: Path, values: np.ndarray, label: pd.Series, dim: str) -> Path | None:
    """The dimension's posterior means by the categories of ``label``, ordered by median.

    Categorical (or few-valued) columns give one box per category with the cells jittered on
    top; continuous numeric columns give a scatter. Cells without a label are left out.
    Returns ``None`` when no cell has a label.
    """
    values = np.asarray(values, float)
    keep = label.notna().to_numpy() & np.isfinite(values)
    if not keep.any():
        return None
    lab, vals = label[keep], values[keep]
    numeric = pd.api.types.is_numeric_dtype(lab) and not isinstance(lab.dtype, pd.CategoricalDtype)
    if numeric and lab.nunique() > MAX_CATEGORIES:
        return _continuous(path, vals, lab.to_numpy(float), dim, str(label.name))

    groups = pd.Series(vals, index=lab.index).groupby(lab.astype(str).to_numpy())
    counts = groups.size()
    dropped = 0
    if len(counts) > MAX_CATEGORIES:
        kept = counts.sort_values(ascending=False, kind="mergesort").index[:MAX_CATEGORIES]
        dropped = len(counts) - MAX_CATEGORIES
        counts = counts.loc[kept]
    medians = groups.median().loc[counts.index].sort_values(kind="mergesort")
    order = list(medians.index)
    data = [groups.get_group(c).to_numpy() for c in order]

    n = len(order)
    fig = new_figure(6.0, min(max(2.0, 0.32 * n + 1.2), 14.0))
    ax = fig.add_subplot()
    ax.boxplot(data, orientation="horizontal", showfliers=False, widths=0.6,
               medianprops={"color": "#c0392b", "linewidth": 1.5},
               boxprops={"color": "#444"}, whiskerprops={"color": "#444"},
               capprops={"color": "#444"})
    rng = np.random.default_rng(0)
    for i, d in enumerate(data, start=1):
        if len(d) > 2000:
            d = rng.choice(d, 2000, replace=False)
        jitter = rng.uniform(-0.18, 0.18, len(d))
        ax.scatter(d, i + jitter, s=6, alpha=0.5, color=ACTIVE_COLOR, linewidths=0,
                   rasterized=True)
    ax.set_yticks(np.arange(1, n + 1), [f"{c} (n={counts[c]})" for c in order], fontsize=8)
    ax.axvline(0, color="#999", linewidth=0.6, linestyle=":")
    ax.set_xlabel(f"{dim} (posterior mean)")
    title = f"{dim} by {label.name}"
    if dropped:
        title += f" ({dropped} rarer categories not shown)"
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return save_figure(fig, path)


def _continuous(path: Path, vals: np.ndarray, x: np.ndarray, dim: str, name: str) -> Path:
    idx = _subsample(len(vals))
    fig = new_figure(5.0, 4.0)
    ax = fig.add_subplot()
    ax.scatter(x[idx], vals[idx], s=3, alpha=0.4, color=ACTIVE_COLOR, linewidths=0,
               rasterized=True)
    ax.set_xlabel(name)
    ax.set_ylabel(f"{dim} (posterior mean)")
    ax.set_title(f"{dim} against {name}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return save_figure(fig, path)


def _subsample(n: int) -> np.ndarray:
    """Indices of at most ``MAX_POINTS`` cells in a fixed random order (no overplotting bias)."""
    rng = np.random.default_rng(0)
    idx = rng.permutation(n)
    return idx[:MAX_POINTS]


def embedding(path: Path, coords: np.ndarray, values: np.ndarray, dim: str, basis: str) -> Path:
    """Cells on a 2-D embedding, coloured by the dimension (diverging, centred on 0)."""
    coords = np.asarray(coords, float)[:, :2]
    values = np.asarray(values, float)
    ok = np.isfinite(coords).all(axis=1) & np.isfinite(values)
    coords, values = coords[ok], values[ok]
    idx = _subsample(len(values))
    lim = float(np.percentile(np.abs(values), 99)) if len(values) else 1.0
    lim = lim if lim > 0 else 1.0
    fig = new_figure(5.2, 4.4)
    ax = fig.add_subplot()
    size = float(np.clip(3e4 / max(len(idx), 1), 1.0, 30.0))
    sc = ax.scatter(coords[idx, 0], coords[idx, 1], c=values[idx], cmap="RdBu_r",
                    vmin=-lim, vmax=lim, s=size, linewidths=0, rasterized=True)
    fig.colorbar(sc, ax=ax, shrink=0.8, label=f"{dim} (posterior mean)")
    name = basis[2:] if basis.startswith("X_") else basis
    ax.set_xlabel(f"{name} 1")
    ax.set_ylabel(f"{name} 2")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{dim} on {name}", fontsize=10)
    ax.set_aspect("equal", adjustable="datalim")
    return save_figure(fig, path)


def sweep_panels(path: Path, table: pd.DataFrame, metrics: list[tuple[str, str]], title: str = "") -> Path:
    """One panel per metric: its value per setting (x, in the table's order), mean ± sd over seeds.

    Settings named ``"{family}={value}"`` (``β=4``, ``C=10``) are joined by a line within a family only.

    Parameters
    ----------
    table
        One row per model with a ``setting`` column and one column per metric.
    metrics
        ``(column, axis label)`` pairs; columns absent or without a finite value are skipped.
    """
    shown = [(m, name) for m, name in metrics if m in table and np.isfinite(pd.to_numeric(table[m], errors="coerce")).any()]
    settings = list(dict.fromkeys(table["setting"]))
    families = [str(setting).split("=")[0] for setting in settings]  # "β=4" -> "β", "C=10" -> "C"
    ncols = min(4, max(1, len(shown)))
    nrows = max(1, int(np.ceil(len(shown) / ncols)))
    fig = new_figure(3.2 * ncols, 2.5 * nrows + 0.4)
    x = np.arange(len(settings))
    for i, (metric, name) in enumerate(shown):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        groups = [pd.to_numeric(table.loc[table["setting"] == s, metric], errors="coerce").dropna().to_numpy(float) for s in settings]
        for j, values in enumerate(groups):
            ax.scatter(np.full(len(values), x[j]) + np.linspace(-0.12, 0.12, len(values)), values, s=9, color=INACTIVE_COLOR, zorder=2)
        means = np.array([v.mean() if len(v) else np.nan for v in groups])
        sds = np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in groups])
        for family in dict.fromkeys(families):  # a line within β settings and within C settings, none across
            at = np.array([f == family for f in families])
            ax.errorbar(x[at], means[at], yerr=sds[at], color=ACTIVE_COLOR, marker="o", markersize=4, capsize=3,
                        linewidth=1, zorder=3)
        ax.set_xticks(x, settings, fontsize=7, rotation=45 if len(settings) > 6 else 0)
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


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
    limit = float(np.abs(centred).max()) or 1.0
    fig = new_figure(min(2.2 + 0.45 * len(positions), 8.0), 1.0 + 0.2 * max(len(rows), 1))
    ax = fig.add_subplot()
    image = ax.imshow(centred, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_yticks(np.arange(len(rows)), rows, fontsize=7)
    ax.set_xticks(np.arange(len(positions)), [f"{p:.2g}" for p in positions], fontsize=7)
    ax.set_xlabel(f"{dim} (low pole → high pole; other dimensions at their median)", fontsize=8)
    if high and low and len(rows) > len(high):
        ax.axhline(len([g for g in high if g in index]) - 0.5, color="black", linewidth=0.8)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("decoded log-expression − gene mean", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"Traversal of {dim}: top genes of the high pole (above the line) and the low pole", fontsize=9)
    return fig
