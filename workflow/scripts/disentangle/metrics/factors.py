"""Known generative factors as a table: kinds, integer codes, one-vs-rest indicators, train/test split.

A factor table is a DataFrame with one row per cell and one column per factor. A column is
*continuous* when its dtype is float (a dose, a cell-cycle phase in [0, 1)), otherwise *discrete*
(categorical, object, bool, int: a cell type, a batch). An integer factor with missing values must
therefore be stored as pandas' nullable ``Int64`` (or as a category), not as float.

Rows with any missing value are unlabelled cells and are left out of every score, together with
the matching rows of the codes; factors with fewer than two distinct values are skipped.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

from .supervised import MIN_CATEGORY_CELLS, discretize

log = logging.getLogger(__name__)

DISCRETE = "discrete"
CONTINUOUS = "continuous"


def factor_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """The kind of each factor column: ``"continuous"`` for float dtypes, ``"discrete"`` otherwise."""
    return {column: CONTINUOUS if pd.api.types.is_float_dtype(frame[column]) else DISCRETE for column in frame.columns}


def discrete_factors(frame: pd.DataFrame, n_bins: int = 20) -> np.ndarray:
    """Integer codes of every factor: cells x factors.

    Discrete columns become integer codes (``pd.factorize`` of their string form); continuous
    columns are binned into ``n_bins`` equal-width bins, as :func:`discretize` bins the codes.
    disentanglement_lib only knows discrete factors; binning continuous ones is our extension.

    Raises
    ------
    ValueError
        If any value is missing: drop unlabelled cells first (:func:`prepare_factors`).
    """
    if frame.isna().to_numpy().any():
        raise ValueError("factor table has missing values; drop unlabelled cells first (prepare_factors)")
    kinds = factor_kinds(frame)
    columns = [discretize(frame[c].to_numpy(float)[:, None], n_bins)[:, 0] if kinds[c] == CONTINUOUS
               else pd.factorize(frame[c].astype(str))[0] for c in frame.columns]
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0), dtype=int)


def one_vs_rest(frame: pd.DataFrame, min_cells: int = MIN_CATEGORY_CELLS) -> pd.DataFrame:
    """Each category of each discrete column as its own binary factor, named ``"{column}={category}"``.

    One label of nine cell types is a single factor, for which DCI disentanglement, modularity and
    the interventional scores are undefined; nine indicators are nine factors. Values are 0/1 in
    pandas' nullable ``Int64`` (so they stay discrete), missing where the label is missing.
    Categories of fewer than ``min_cells`` labelled cells are dropped. A column of exactly two
    categories gives one indicator only (the first in sorted order): the second would be its
    complement, a duplicate factor that would halve DCI disentanglement and modularity.
    Continuous columns are kept as they are.
    """
    out = {}
    for column, kind in factor_kinds(frame).items():
        values = frame[column]
        if kind == CONTINUOUS:
            out[column] = values
            continue
        known = values.notna()
        as_text = values[known].astype(str)
        counts = as_text.value_counts()
        categories = sorted(counts.index)
        if len(categories) == 2:
            categories = categories[:1]
        for category in categories:
            if counts[category] < min_cells:
                log.info("one_vs_rest: %s=%s has %d cells (< %d), dropped", column, category, counts[category], min_cells)
                continue
            indicator = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            indicator[known] = (as_text == category).astype(int)
            out[f"{column}={category}"] = indicator
    return pd.DataFrame(out, index=frame.index)


class PreparedFactors(NamedTuple):
    """Codes and factors of the labelled cells, and the names of the factors left out."""

    codes: np.ndarray
    factors: pd.DataFrame
    skipped: list[str]


def prepare_factors(codes: np.ndarray, factors: pd.DataFrame) -> PreparedFactors:
    """Drop unlabelled cells (any missing factor) and factors with fewer than two distinct values.

    Parameters
    ----------
    codes
        cells x dims.
    factors
        Factor table, one row per cell in the order of ``codes``.

    Returns
    -------
    :class:`PreparedFactors`: the codes and factors (index reset) of the labelled cells, and the
    skipped factor names (logged, not an error).
    """
    codes = np.asarray(codes, dtype=float)
    if codes.ndim != 2 or len(codes) != len(factors):
        raise ValueError(f"codes {codes.shape} and factors ({len(factors)} rows) do not match")
    labelled = factors.notna().all(axis=1).to_numpy()
    frame = factors.loc[labelled].reset_index(drop=True)
    n_values = frame.nunique()
    skipped = [c for c in frame.columns if n_values[c] < 2]
    if skipped:
        log.info("factors with fewer than two distinct values are skipped: %s", ", ".join(map(str, skipped)))
    return PreparedFactors(codes[labelled], frame.drop(columns=skipped), skipped)


def split_cells(n_cells: int, *, train_fraction: float = 2 / 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of ``range(n_cells)`` into sorted train and test indices.

    disentanglement_lib draws fresh train and test points from a sampler; we split the observed
    cells instead.
    """
    n_train = int(round(train_fraction * n_cells))
    if not 0 < n_train < n_cells:
        raise ValueError(f"train_fraction {train_fraction} leaves no train or no test cells out of {n_cells}")
    order = np.random.default_rng(seed).permutation(n_cells)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def target(column: pd.Series, kind: str) -> np.ndarray:
    """What a model predicts for a factor: integer classes (discrete) or float values (continuous)."""
    return column.to_numpy(float) if kind == CONTINUOUS else pd.factorize(column.astype(str))[0]
