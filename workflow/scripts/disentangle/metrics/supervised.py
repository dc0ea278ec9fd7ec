"""Metrics against known generative factors, after disentanglement_lib (Locatello et al. 2019)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mutual_info_score, roc_auc_score


def discretize(codes: np.ndarray, n_bins: int = 20) -> np.ndarray:
    """Bin each column of ``codes`` into ``n_bins`` equal-width bins (disentanglement_lib's histogram)."""
    out = np.zeros(codes.shape, dtype=int)
    for k in range(codes.shape[1]):
        edges = np.histogram(codes[:, k], bins=n_bins)[1]
        out[:, k] = np.digitize(codes[:, k], edges[:-1])
    return out


def mutual_info_matrix(discrete_codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Mutual information (nats) between each code column and each factor column: codes x factors."""
    return np.array([[mutual_info_score(factors[:, j], discrete_codes[:, k]) for j in range(factors.shape[1])]
                     for k in range(discrete_codes.shape[1])])


def _entropy(labels: np.ndarray) -> float:
    return mutual_info_score(labels, labels)


def mutual_info_gap(codes: np.ndarray, factors: np.ndarray, *, n_bins: int = 20) -> dict:
    """Mutual Information Gap (Chen et al. 2018) of continuous ``codes`` for discrete ``factors``.

    For each factor: the gap between the largest and second-largest mutual information with any
    code, divided by the factor's entropy. MIG is the mean over factors (constant factors skipped).

    Parameters
    ----------
    codes
        cells x dims, continuous (binned here into ``n_bins`` equal-width bins per dimension).
    factors
        cells x factors, discrete (integer codes).

    Returns
    -------
    dict with ``mig`` (float), ``per_factor`` (gaps), ``mi`` (codes x factors, nats), ``entropy``.
    """
    if codes.shape[1] < 2:
        raise ValueError("MIG needs at least two code dimensions")
    mi = mutual_info_matrix(discretize(codes, n_bins), factors)
    entropy = np.array([_entropy(factors[:, j]) for j in range(factors.shape[1])])
    top = np.sort(mi, axis=0)[::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        gaps = np.where(entropy > 0, (top[0] - top[1]) / entropy, np.nan)
    return {"mig": float(np.nanmean(gaps)) if np.isfinite(gaps).any() else float("nan"),
            "per_factor": gaps, "mi": mi, "entropy": entropy}


MIN_CATEGORY_CELLS = 20


def categorical_mig(codes: np.ndarray, labels: pd.Series, *, n_bins: int = 20) -> float:
    """MIG of one categorical factor (e.g. cell type), as disentanglement_lib defines it.

    The factor is the label itself (one discrete factor with as many values as categories);
    unlabelled cells (NaN) are left out.
    """
    known = labels.notna().to_numpy()
    factor = pd.factorize(labels[known].astype(str))[0][:, None]
    return mutual_info_gap(codes[known], factor, n_bins=n_bins)["mig"]


def label_capture(codes: np.ndarray, labels: pd.Series, *, n_bins: int = 20, min_cells: int = MIN_CATEGORY_CELLS) -> pd.DataFrame:
    """How well each label category is captured by a single dimension.

    Each category becomes a binary factor (cell is / is not of this category). Per category:
    the dimension with most mutual information, its MI normalised by the factor's entropy, the
    MIG-style gap to the second dimension, and the AUROC of that dimension for the category
    (> 0.5: the category sits at the high pole). Unlabelled cells (NaN) are left out.
    ``scored`` is False for categories of fewer than ``min_cells`` cells: with 20 bins their
    mutual information is dominated by chance (a one-sample category always scores 1), so
    summaries such as the MIG leave them out.

    Returns
    -------
    DataFrame indexed by category: n_cells, scored, best_dim (int), normalized_mi, gap, auroc.
    """
    known = labels.notna().to_numpy()
    values = labels[known].astype(str).to_numpy()
    categories = sorted(set(values))
    factors = np.stack([(values == c).astype(int) for c in categories], axis=1)
    result = mutual_info_gap(codes[known], factors, n_bins=n_bins)
    mi, entropy = result["mi"], result["entropy"]
    rows = []
    for j, category in enumerate(categories):
        best = int(np.argmax(mi[:, j]))
        rows.append({
            "category": category,
            "n_cells": int(factors[:, j].sum()),
            "scored": bool(factors[:, j].sum() >= min_cells),
            "best_dim": best,
            "normalized_mi": float(mi[best, j] / entropy[j]) if entropy[j] > 0 else float("nan"),
            "gap": float(result["per_factor"][j]),
            "auroc": float(roc_auc_score(factors[:, j], codes[known, best])) if 0 < factors[:, j].sum() < len(values) else float("nan"),
        })
    return pd.DataFrame(rows).set_index("category")


def label_auroc(codes: np.ndarray, labels: pd.Series, *, min_cells: int = MIN_CATEGORY_CELLS) -> pd.DataFrame:
    """AUROC of every dimension for every label category (one vs rest): categories x dims.

    0.5 means the dimension does not separate the category; near 1 the category sits at the
    high pole, near 0 at the low pole. Unlabelled cells (NaN) and categories of fewer than
    ``min_cells`` cells (whose AUROC is extreme by chance) are left out.
    """
    known = labels.notna().to_numpy()
    values = labels[known].astype(str).to_numpy()
    rows = {}
    for category in sorted(set(values)):
        target = values == category
        if min_cells <= target.sum() < len(values):
            rows[category] = [roc_auc_score(target, codes[known, k]) for k in range(codes.shape[1])]
    return pd.DataFrame.from_dict(rows, orient="index")
