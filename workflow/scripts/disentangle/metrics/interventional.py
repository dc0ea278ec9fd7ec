"""Scores that intervene on one factor at a time: the BetaVAE and FactorVAE scores.

After disentanglement_lib (Locatello et al. 2019): ``beta_vae.py`` and ``factor_vae.py``. They need
a generator that can fix a factor, given as two functions:

- ``sample_factors(n, rng) -> DataFrame``: ``n`` rows of factor values (the factor columns);
- ``represent(factors, rng) -> ndarray``: generate one observation per row and encode it
  (rows x dims codes).

Rows are treated as independent: ``represent`` is called with the rows of many training points at
once (at most :data:`ROWS_PER_CALL` rows), which is far cheaper than one call per batch.

Each point costs one or two batches of simulated cells, so our defaults (500 train, 300 eval
points) are smaller than the reference's 10000 / 5000.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

SampleFactors = Callable[[int, np.random.Generator], pd.DataFrame]
Represent = Callable[[pd.DataFrame, np.random.Generator], np.ndarray]

ROWS_PER_CALL = 4096


def _encode(represent: Represent, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """``represent`` over ``frame`` in chunks of at most :data:`ROWS_PER_CALL` rows."""
    chunks = []
    for start in range(0, len(frame), ROWS_PER_CALL):
        part = frame.iloc[start:start + ROWS_PER_CALL].reset_index(drop=True)
        codes = np.asarray(represent(part, rng), dtype=float)
        if codes.ndim != 2 or len(codes) != len(part):
            raise ValueError(f"represent returned shape {codes.shape} for {len(part)} rows")
        chunks.append(codes)
    return np.concatenate(chunks)


def _sample(sample_factors: SampleFactors, n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = sample_factors(n, rng)
    if len(frame) != n:
        raise ValueError(f"sample_factors returned {len(frame)} rows, not {n}")
    return frame.reset_index(drop=True)


def _copy_fixed_factor(frame: pd.DataFrame, source: pd.DataFrame, fixed: np.ndarray) -> pd.DataFrame:
    """``frame`` with, in each row, the column numbered ``fixed[row]`` taken from ``source``."""
    out = frame.copy()
    for j, column in enumerate(frame.columns):
        out[column] = frame[column].where(fixed != j, source[column])
    return out


def _fixed_per_row(n_factors: int, n_points: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The factor kept fixed at each point, drawn uniformly, and the same repeated for each row."""
    per_point = rng.integers(n_factors, size=n_points)
    return per_point, np.repeat(per_point, batch_size)


def _beta_vae_points(sample_factors, represent, n_points: int, batch_size: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Features (mean |z1 - z2| over a batch of pairs sharing one factor) and labels (that factor)."""
    first = _sample(sample_factors, n_points * batch_size, rng)
    labels, fixed = _fixed_per_row(first.shape[1], n_points, batch_size, rng)
    second = _copy_fixed_factor(_sample(sample_factors, n_points * batch_size, rng), first, fixed)
    difference = np.abs(_encode(represent, first, rng) - _encode(represent, second, rng))
    return difference.reshape(n_points, batch_size, -1).mean(axis=1), labels


def beta_vae_score(sample_factors: SampleFactors, represent: Represent, *, batch_size: int = 64, n_train: int = 500,
                   n_eval: int = 300, seed: int = 0) -> dict:
    """BetaVAE score (Higgins et al. 2017): can a linear classifier tell which factor was held fixed?

    Each point: pick a factor uniformly, sample two batches of factors, copy that factor's column
    of the first batch into the second (row-wise pairs), and take the mean absolute difference of
    the pairs' codes as the feature, the factor as the label. A logistic regression is trained on
    ``n_train`` points and scored on them and on ``n_eval`` fresh points; chance is 1 / n_factors.

    Differences from disentanglement_lib: 500 / 300 points by default instead of 10000 / 5000,
    since each point costs ``2 * batch_size`` simulated cells; all points are drawn before
    ``represent`` is called, in chunks (rows must be independent); scikit-learn's current default
    (multinomial, lbfgs) logistic regression with ``max_iter=1000``, where the reference took the
    default of its time.

    Returns
    -------
    dict with ``train_accuracy`` and ``eval_accuracy``.
    """
    rng = np.random.default_rng(seed)
    x_train, y_train = _beta_vae_points(sample_factors, represent, n_train, batch_size, rng)
    model = LogisticRegression(max_iter=1000, random_state=seed).fit(x_train, y_train)
    x_eval, y_eval = _beta_vae_points(sample_factors, represent, n_eval, batch_size, rng)
    return {"train_accuracy": float(model.score(x_train, y_train)), "eval_accuracy": float(model.score(x_eval, y_eval))}


def _factor_vae_votes(sample_factors, represent, n_points: int, batch_size: int, rng, global_variances: np.ndarray,
                      active: np.ndarray) -> np.ndarray:
    """Votes (factors x dims): per point, the fixed factor and the active dimension whose variance,
    relative to its global variance, dropped most when that factor was held at one value."""
    frame = _sample(sample_factors, n_points * batch_size, rng)
    n_factors = frame.shape[1]
    labels, fixed = _fixed_per_row(n_factors, n_points, batch_size, rng)
    first_rows = frame.iloc[np.repeat(np.arange(n_points) * batch_size, batch_size)].reset_index(drop=True)
    codes = _encode(represent, _copy_fixed_factor(frame, first_rows, fixed), rng)
    local = codes.reshape(n_points, batch_size, -1).var(axis=1, ddof=1)
    dims = np.flatnonzero(active)[np.argmin(local[:, active] / global_variances[active], axis=1)]
    votes = np.zeros((n_factors, codes.shape[1]), dtype=int)
    np.add.at(votes, (labels, dims), 1)
    return votes


def _majority_accuracy(votes: np.ndarray, classifier: np.ndarray) -> float:
    return float(votes[classifier, np.arange(votes.shape[1])].sum() / votes.sum())


def factor_vae_score(sample_factors: SampleFactors, represent: Represent, *, batch_size: int = 64, n_train: int = 500,
                     n_eval: int = 300, n_variance: int = 5000, prune_threshold: float = 0.05, seed: int = 0) -> dict:
    """FactorVAE score (Kim & Mnih 2018): does holding a factor fixed shrink one dimension most?

    Global variances (ddof=1) of the codes of ``n_variance`` sampled points; dimensions with a
    standard deviation of at least ``prune_threshold`` are active. Each point: pick a factor,
    sample a batch, set that factor to the batch's first value, and vote (factor, active
    dimension of least variance relative to its global variance). A majority-vote classifier
    maps each dimension to the factor that voted for it most in training; accuracy is the share
    of votes it gets right on the train and on ``n_eval`` fresh points. With no active
    dimension both accuracies are 0, as in the reference.

    Differences from disentanglement_lib: 500 / 300 points by default instead of 10000 / 5000
    (each point costs ``batch_size`` simulated cells), and 5000 cells for the global variances
    instead of 10000; ``n_active_dims`` is the number of active
    dimensions (the reference reports the number of all dimensions); points are drawn before
    ``represent`` is called, in chunks (rows must be independent).

    Returns
    -------
    dict with ``train_accuracy``, ``eval_accuracy``, ``n_active_dims``.
    """
    rng = np.random.default_rng(seed)
    global_variances = _encode(represent, _sample(sample_factors, n_variance, rng), rng).var(axis=0, ddof=1)
    active = np.sqrt(global_variances) >= prune_threshold
    if not active.any():
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, "n_active_dims": 0}
    train_votes = _factor_vae_votes(sample_factors, represent, n_train, batch_size, rng, global_variances, active)
    classifier = train_votes.argmax(axis=0)
    eval_votes = _factor_vae_votes(sample_factors, represent, n_eval, batch_size, rng, global_variances, active)
    return {"train_accuracy": _majority_accuracy(train_votes, classifier),
            "eval_accuracy": _majority_accuracy(eval_votes, classifier), "n_active_dims": int(active.sum())}
