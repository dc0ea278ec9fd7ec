"""Training curves of one model from its long-format losses.tsv: a figure, saved by the caller."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import new_figure

SCHEDULE_TERMS = ("lr", "kl_weight", "capacity", "beta", "gamma")
SPLIT_STYLE = {"train": {"color": "#3b6ea5"}, "validation": {"color": "#d35400", "linestyle": "--"}}


def loss_terms(losses: pd.DataFrame) -> list[str]:
    """The loss terms to draw, in the order they were logged (no per-dimension KL, no schedules)."""
    terms = dict.fromkeys(losses["term"])
    return [t for t in terms if not t.startswith("kl_z") and t not in SCHEDULE_TERMS]


def training_curves(losses: pd.DataFrame, *, best_epoch: int | None = None, title: str = "") -> Figure:
    """Each loss term per epoch (train and validation), KL per dimension, and the schedules.

    Parameters
    ----------
    losses
        Long format: epoch, split, step, term, value (``losses.tsv``).
    best_epoch
        The epoch whose weights were kept (dotted line).
    title
        Figure title.
    """
    terms = loss_terms(losses)
    n_panels = len(terms) + 2
    cols = min(4, n_panels)
    rows = int(np.ceil(n_panels / cols))
    fig = new_figure(3.2 * cols, 2.5 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    wide = losses.pivot_table(index=["split", "epoch"], columns="term", values="value")
    for ax, term in zip(axes, terms):
        for split, style in SPLIT_STYLE.items():
            if split in wide.index.get_level_values(0) and term in wide:
                series = wide.loc[split, term].dropna()
                ax.plot(series.index, series.to_numpy(), label=split, linewidth=1.2, **style)
        ax.set_title(term, fontsize=9)
    _kl_per_dimension(axes[len(terms)], wide)
    _schedules(axes[len(terms) + 1], wide)
    for ax in axes[:n_panels]:
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        if best_epoch:
            ax.axvline(best_epoch, color="#555555", linewidth=0.8, linestyle=":")
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(title or "training curves (dotted: epoch kept)", fontsize=10)
    return fig


def _kl_per_dimension(ax, wide: pd.DataFrame) -> None:
    split = "validation" if "validation" in wide.index.get_level_values(0) else "train"
    dims = sorted((c for c in wide.columns if c.startswith("kl_z")), key=lambda c: int(c[4:]))
    for dim in dims:
        series = wide.loc[split, dim].dropna()
        ax.plot(series.index, series.to_numpy(), linewidth=1.0, label=dim[3:])
    ax.set_title(f"KL per dimension ({split})", fontsize=9)
    if len(dims) <= 12:
        ax.legend(fontsize=6, frameon=False, ncol=2)


def _schedules(ax, wide: pd.DataFrame) -> None:
    """KL warm-up weight and capacity (each scaled to its maximum) and, on a log axis, the learning rate."""
    train = wide.loc["train"]
    for term, style in (("kl_weight", {}), ("capacity", {"linestyle": "--"})):
        if term in train and train[term].notna().any():
            values = train[term].dropna()
            scale = values.max() or 1.0
            ax.plot(values.index, values.to_numpy() / scale, linewidth=1.0, label=f"{term} / {scale:.3g}", **style)
    ax.set_ylim(-0.05, 1.1)
    ax.set_title("schedules", fontsize=9)
    if "lr" in train:
        lr_axis = ax.twinx()
        lr = train["lr"].dropna()
        lr_axis.plot(lr.index, lr.to_numpy(), color="#555555", linewidth=1.0, linestyle=":", label="learning rate")
        lr_axis.set_yscale("log")
        lr_axis.tick_params(labelsize=7)
        lr_axis.legend(fontsize=6, frameon=False, loc="lower right")
    ax.legend(fontsize=6, frameon=False, loc="lower left")
