"""Scores from histogram mutual information and code covariance: MIG, modularity, unsupervised scores.

After disentanglement_lib (Locatello et al. 2019): ``mig.py``, ``modularity_explicitness.py`` and
``unsupervised_metrics.py``. Codes are binned into equal-width histograms (:func:`discretize`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .factors import discrete_factors, prepare_factors
from .supervised import discretize, mutual_info_gap, mutual_info_matrix

ZERO_VARIANCE = 1e-12


def factor_mig(codes: np.ndarray, factors: pd.DataFrame, *, n_bins: int = 20) -> dict:
    """Mutual Information Gap (Chen et al. 2018) against a factor table.

    :func:`mutual_info_gap` on :func:`discrete_factors`. Differences from disentanglement_lib:
    computed on all labelled cells rather than a fresh sample, and continuous factors are binned
    into ``n_bins`` equal-width bins (the reference only takes discrete factors).

    Returns
    -------
    dict with ``mig`` (float), ``per_factor`` (Series of normalised gaps), ``mi`` (DataFrame,
    codes x factors, nats), ``entropy`` (Series), ``skipped`` (factor names).
    """
    codes, frame, skipped = prepare_factors(codes, factors)
    if frame.shape[1] == 0:
        return {"mig": float("nan"), "per_factor": pd.Series(dtype=float), "mi": pd.DataFrame(),
                "entropy": pd.Series(dtype=float), "skipped": skipped}
    result = mutual_info_gap(codes, discrete_factors(frame, n_bins), n_bins=n_bins)
    names = list(frame.columns)
    return {"mig": result["mig"], "per_factor": pd.Series(result["per_factor"], index=names),
            "mi": pd.DataFrame(result["mi"], columns=names), "entropy": pd.Series(result["entropy"], index=names),
            "skipped": skipped}


def modularity_from_mutual_info(mutual_info: np.ndarray) -> float:
    """Modularity (Ridgeway & Zemel 2018) of a codes x factors mutual-information matrix.

    Per code: ``1 - (sum_j m_ij^2 - max_j m_ij^2) / (max_j m_ij^2 * (n_factors - 1))``, 1 when the
    code informs about one factor only; the score is the mean over codes.

    Differences from disentanglement_lib: codes with zero mutual information with every factor
    (constant or collapsed dimensions) are left out of the mean, where the reference scores them
    0, so that adding a collapsed dimension does not lower modularity. With a single factor the
    score is undefined and NaN is returned (the reference divides by zero); NaN also when no code
    carries any information.
    """
    mutual_info = np.asarray(mutual_info, dtype=float)
    n_factors = mutual_info.shape[1]
    if n_factors < 2:
        return float("nan")
    squared = np.square(mutual_info)
    top = squared.max(axis=1)
    informative = top > 0
    if not informative.any():
        return float("nan")
    rest = squared.sum(axis=1)[informative] - top[informative]
    per_code = 1.0 - rest / (top[informative] * (n_factors - 1))
    return math.fsum(per_code) / len(per_code)  # exact sum: the same for any order of the codes


def modularity(codes: np.ndarray, factors: pd.DataFrame, *, n_bins: int = 20) -> dict:
    """Modularity of ``codes`` against a factor table (see :func:`modularity_from_mutual_info`).

    Mutual information between the binned codes and :func:`discrete_factors`, on all labelled
    cells (disentanglement_lib uses its training sample).

    Returns
    -------
    dict with ``modularity`` (float), ``mi`` (DataFrame, codes x factors), ``skipped``.
    """
    codes, frame, skipped = prepare_factors(codes, factors)
    mi = mutual_info_matrix(discretize(codes, n_bins), discrete_factors(frame, n_bins))
    mi = mi.reshape(codes.shape[1], frame.shape[1])
    return {"modularity": modularity_from_mutual_info(mi), "mi": pd.DataFrame(mi, columns=list(frame.columns)),
            "skipped": skipped}


def _varying(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype=float)
    return codes[:, codes.var(axis=0) > ZERO_VARIANCE]


def gaussian_total_correlation(codes: np.ndarray) -> float:
    """Total correlation (nats) of a Gaussian with the covariance of ``codes``.

    ``0.5 * (sum log diag(cov) - log det(cov))``: the KL divergence from the Gaussian to the
    product of its marginals; 0 for uncorrelated codes. Difference from disentanglement_lib:
    dimensions of zero variance are dropped first (they would make it infinite).
    """
    codes = _varying(codes)
    if codes.shape[1] < 2:
        return 0.0
    cov = np.cov(codes, rowvar=False)
    return float(0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1]))


def mean_pairwise_mutual_info(codes: np.ndarray, *, n_bins: int = 20) -> float:
    """Mean mutual information (nats) between two different binned code dimensions.

    The mean off-diagonal entry of the code x code histogram mutual-information matrix.
    Difference from disentanglement_lib: dimensions of zero variance are dropped first (their
    zero mutual information would dilute the mean). NaN with fewer than two varying dimensions.
    """
    codes = _varying(codes)
    n_codes = codes.shape[1]
    if n_codes < 2:
        return float("nan")
    binned = discretize(codes, n_bins)
    mi = mutual_info_matrix(binned, binned)
    return float((mi.sum() - np.trace(mi)) / (n_codes * (n_codes - 1)))
