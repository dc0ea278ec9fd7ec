"""Figures of the comparison page: reconstruction against each disentanglement score, one point per model.

Functions return a :class:`matplotlib.figure.Figure` built with :func:`.plots.new_figure` (no
pyplot); the caller saves it with :func:`.plots.save_figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .comparison import setting_of
from .plots import new_figure

RECONSTRUCTION = "reconstruction_validation"
# (column of summary.tsv, axis label): the scores drawn against reconstruction, when present
DISENTANGLEMENT_SCORES = [
    ("one_to_one", "gene sets: one-to-one"),
    ("coverage", "gene sets: coverage"),
    ("nes_gap", "gene sets: NES gap"),
    ("factors.mig", "MIG (known factors)"),
    ("factors.dci_disentanglement", "DCI disentanglement"),
    ("one_vs_rest.dci_disentanglement", "DCI disentanglement, one vs rest"),
    ("factors.sap", "SAP"),
]
ANNOTATE_UP_TO = 12  # models; with more, the legend alone names the settings


def plotted_scores(summary: pd.DataFrame) -> list[tuple[str, str]]:
    """The scores of :data:`DISENTANGLEMENT_SCORES` with a finite value for at least one model."""
    return [(column, label) for column, label in DISENTANGLEMENT_SCORES
            if column in summary and np.isfinite(pd.to_numeric(summary[column], errors="coerce")).any()]


def setting_colors(settings: list[str]) -> dict[str, tuple]:
    """One colour per setting, in order (tab10, or tab20 beyond ten settings)."""
    cmap = colormaps["tab10" if len(settings) <= 10 else "tab20"]
    return {s: cmap(i % cmap.N) for i, s in enumerate(settings)}


def reconstruction_vs_scores(summary: pd.DataFrame, scores: list[tuple[str, str]] | None = None,
                             *, annotate_up_to: int = ANNOTATE_UP_TO) -> Figure:
    """One panel per score: the validation reconstruction error (x) against the score (y), one point per model.

    Parameters
    ----------
    summary
        One row per model: ``model``, ``reconstruction_validation`` and the score columns.
    scores
        ``(column, axis label)`` pairs; default :func:`plotted_scores`. Models without a finite
        value of a score are not drawn in its panel.
    annotate_up_to
        Points are labelled with their setting when there are at most this many models.

    Returns
    -------
    The figure: per panel one scatter collection per setting (the model name without ``_seed{n}``),
    each in its colour, and one legend of the settings.
    """
    scores = plotted_scores(summary) if scores is None else scores
    if not scores:
        raise ValueError(f"no disentanglement score to draw: none of {[c for c, _ in DISENTANGLEMENT_SCORES]} has a value")
    settings = [setting_of(m) for m in summary["model"]]
    colors = setting_colors(list(dict.fromkeys(settings)))
    x = pd.to_numeric(summary[RECONSTRUCTION], errors="coerce").to_numpy(float)
    ncols = min(3, len(scores))
    nrows = int(np.ceil(len(scores) / ncols))
    fig = new_figure(3.3 * ncols + 1.4, 2.8 * nrows + 0.3)
    for i, (column, label) in enumerate(scores):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        y = pd.to_numeric(summary[column], errors="coerce").to_numpy(float)
        _draw_panel(ax, x, y, settings, colors, annotate=len(summary) <= annotate_up_to)
        ax.set_xlabel("reconstruction error (val. NLL per cell)", fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=5, color=c, label=s) for s, c in colors.items()]
    fig.legend(handles=handles, loc="outside right upper", title="setting", fontsize=7, title_fontsize=8, frameon=False)
    return fig


def _draw_panel(ax, x: np.ndarray, y: np.ndarray, settings: list[str], colors: dict, *, annotate: bool) -> None:
    """The points of one panel, one collection per setting; models without both values are left out."""
    shown = np.isfinite(x) & np.isfinite(y)
    labels = np.asarray(settings, dtype=object)
    for setting, color in colors.items():
        at = shown & (labels == setting)
        if at.any():
            ax.scatter(x[at], y[at], s=24, color=color, edgecolors="white", linewidths=0.5, zorder=3)
    if annotate:
        for xi, yi, setting in zip(x[shown], y[shown], labels[shown]):
            ax.annotate(setting, (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=7, color="#444")
