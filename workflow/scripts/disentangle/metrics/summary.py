"""All factor scores of one representation at once, as tidy tables for reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .factors import factor_kinds, prepare_factors
from .information import factor_mig, gaussian_total_correlation, mean_pairwise_mutual_info, modularity
from .predictive import dci, explicitness, sap

DETAIL_COLUMNS = ["factor", "kind", "scored", "n_values", "mig_best_dim", "mig_normalized_mi", "mig_gap", "dci_best_dim",
                  "dci_best_share", "dci_informativeness_train", "dci_informativeness_test", "sap_best_dim", "sap_gap",
                  "explicitness_test"]


def _summary(n_cells: int, n_factors: int, n_skipped: int, mig, dci_scores, sap_scores, modular, explicit) -> pd.DataFrame:
    values = {
        "mig": mig["mig"],
        "dci_disentanglement": dci_scores["disentanglement"],
        "dci_completeness": dci_scores["completeness"],
        "dci_informativeness_train": dci_scores["informativeness_train"],
        "dci_informativeness_test": dci_scores["informativeness_test"],
        "sap": sap_scores["sap"],
        "modularity": modular["modularity"],
        "explicitness_train": explicit["explicitness_train"],
        "explicitness_test": explicit["explicitness_test"],
        "n_cells": n_cells, "n_factors": n_factors, "n_factors_skipped": n_skipped,
    }
    return pd.DataFrame({"metric": list(values), "value": [float(v) for v in values.values()]})


def _best(column: pd.Series | None) -> tuple[float, float]:
    """(index of the largest entry, its share of the column's total); NaN when there is no column."""
    if column is None or column.sum() <= 0:
        return float("nan"), float("nan")
    return int(column.idxmax()), float(column.max() / column.sum())


def _details(frame: pd.DataFrame, mig, dci_scores, sap_scores, explicit) -> pd.DataFrame:
    rows = []
    for name, kind in factor_kinds(frame).items():
        scored = name in mig["per_factor"].index
        mi = mig["mi"][name] if scored else None
        best_mi_dim = int(mi.idxmax()) if scored else float("nan")
        informativeness = dci_scores["informativeness"]
        dci_dim, dci_share = _best(dci_scores["importance"].get(name))
        sap_column = sap_scores["scores"].get(name)
        rows.append({
            "factor": name, "kind": kind, "scored": scored, "n_values": int(frame[name].nunique()),
            "mig_best_dim": best_mi_dim,
            "mig_normalized_mi": float(mi.max() / mig["entropy"][name]) if scored else float("nan"),
            "mig_gap": float(mig["per_factor"][name]) if scored else float("nan"),
            "dci_best_dim": dci_dim, "dci_best_share": dci_share,
            "dci_informativeness_train": informativeness["train"].get(name, float("nan")),
            "dci_informativeness_test": informativeness["test"].get(name, float("nan")),
            "sap_best_dim": int(sap_column.idxmax()) if sap_column is not None else float("nan"),
            "sap_gap": sap_scores["per_factor"].get(name, float("nan")),
            "explicitness_test": explicit["per_factor"]["test"].get(name, float("nan")),
        })
    return pd.DataFrame(rows, columns=DETAIL_COLUMNS)


def factor_report(codes: np.ndarray, factors: pd.DataFrame, *, seed: int = 0, n_bins: int = 20,
                  train_fraction: float = 2 / 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every factor score of ``codes`` (cells x dims) against a factor table, computed once.

    Unlabelled cells (any missing factor) are dropped with their code rows; factors with fewer
    than two distinct values are skipped (``n_factors_skipped``; ``scored`` False in the details).

    Returns
    -------
    ``(metrics, details)``: see :func:`factor_metrics` and :func:`factor_details`.
    """
    codes, frame, skipped = prepare_factors(codes, factors)
    if codes.shape[1] < 2:
        raise ValueError("factor scores need at least two code dimensions")
    mig = factor_mig(codes, frame, n_bins=n_bins)
    dci_scores = dci(codes, frame, seed=seed, train_fraction=train_fraction)
    sap_scores = sap(codes, frame, seed=seed, train_fraction=train_fraction)
    modular = modularity(codes, frame, n_bins=n_bins)
    explicit = explicitness(codes, frame, seed=seed, train_fraction=train_fraction, n_bins=n_bins)
    summary = _summary(len(codes), frame.shape[1], len(skipped), mig, dci_scores, sap_scores, modular, explicit)
    labelled = factors.loc[factors.notna().all(axis=1)]
    return summary, _details(labelled, mig, dci_scores, sap_scores, explicit)


def factor_metrics(codes: np.ndarray, factors: pd.DataFrame, *, seed: int = 0, n_bins: int = 20,
                   train_fraction: float = 2 / 3) -> pd.DataFrame:
    """Summary scores against known factors, one row per metric (columns ``metric``, ``value``).

    Metrics: mig, dci_disentanglement, dci_completeness, dci_informativeness_train,
    dci_informativeness_test, sap, modularity, explicitness_train, explicitness_test, and the
    counts n_cells (labelled), n_factors (scored), n_factors_skipped. Each is documented, with its
    differences from disentanglement_lib, in :mod:`.information` and :mod:`.predictive`.
    """
    return factor_report(codes, factors, seed=seed, n_bins=n_bins, train_fraction=train_fraction)[0]


def factor_details(codes: np.ndarray, factors: pd.DataFrame, *, seed: int = 0, n_bins: int = 20,
                   train_fraction: float = 2 / 3) -> pd.DataFrame:
    """One row per factor (:data:`DETAIL_COLUMNS`): kind, whether it was scored, its number of
    distinct labelled values, the dimension with most mutual information (its MI / entropy and the
    MIG gap), the dimension of largest DCI importance (its share of the factor's importance) and
    the factor's DCI informativeness, the best SAP dimension and gap, and the test explicitness.
    """
    return factor_report(codes, factors, seed=seed, n_bins=n_bins, train_fraction=train_fraction)[1]


def unsupervised_metrics(codes: np.ndarray, *, n_bins: int = 20) -> pd.DataFrame:
    """Scores of the codes alone (columns ``metric``, ``value``): gaussian_total_correlation and
    mean_pairwise_mutual_info (see :mod:`.information`)."""
    return pd.DataFrame({"metric": ["gaussian_total_correlation", "mean_pairwise_mutual_info"],
                         "value": [gaussian_total_correlation(codes), mean_pairwise_mutual_info(codes, n_bins=n_bins)]})
