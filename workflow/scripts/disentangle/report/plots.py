"""Figures of the reports, drawn on matplotlib's Agg canvas: the shared pieces, KL and sweep plots.

Every plotting function returns a :class:`~matplotlib.figure.Figure`; callers write it with
:func:`save_figure`. Dimension figures are in :mod:`.dimension_plots`, the index's in
:mod:`.index_plots`.

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

from ..io.files import atomic_output

DPI = 110
MAX_CATEGORIES = 40  # label columns with more categories show the most frequent ones
MAX_POINTS = 50_000  # scatter plots subsample beyond this many cells
ACTIVE_COLOR = "#3b6ea5"
INACTIVE_COLOR = "#b8b8b8"


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def subsample(n: int) -> np.ndarray:
    """Indices of at most ``MAX_POINTS`` cells in a fixed random order (no overplotting bias)."""
    return np.random.default_rng(0).permutation(n)[:MAX_POINTS]


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` (folders made), whole or not at all, and free it."""
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        fig.clear()
    return Path(path)


def kl_bar(names: list[str], kl: np.ndarray, active: np.ndarray, threshold: float | None = None) -> Figure:
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
    return fig


def sweep_panels(table: pd.DataFrame, metrics: list[tuple[str, str]], title: str = "") -> Figure:
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
    return fig
