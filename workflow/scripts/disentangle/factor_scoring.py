"""Judge one model's latent space against known factors: the dataset's labels, or simulated factors.

Three views, each a block of the tidy ``factor_metrics.tsv`` (scope, metric, value):

- ``latent``: unsupervised statistics of the posterior means (total correlation, pairwise MI);
- ``factors``: the label columns as factors (MIG, DCI, SAP, modularity, explicitness);
- ``one_vs_rest``: every category of a categorical label as a binary factor of its own (a
  cell type with nine categories is one factor above, nine here: a dimension per cell type);
- ``programs`` (simulated data): is each true gene program significant in exactly one
  dimension, and is that the dimension that carries the program's activity?
"""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd

from . import keys
from .metrics import discretize, factor_kinds, factor_metrics, mutual_info_matrix, one_vs_rest, unsupervised_metrics

log = logging.getLogger(__name__)

PROGRAM_COLUMNS = ["program", "tested", "n_dims", "dims", "own_dimension", "own_normalized_mi", "recovered_once", "in_own_dimension"]


def _tidy(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    return frame.assign(scope=scope)[["scope", "metric", "value"]]


def program_recovery(codes: np.ndarray, activity: pd.DataFrame, terms: pd.DataFrame, *, n_bins: int = 20) -> pd.DataFrame:
    """Per true program: where the enrichment found it, and which dimension carries its activity.

    Parameters
    ----------
    codes
        cells x dims posterior means.
    activity
        cells x programs true activity (``obsm["simulated_activity"]``).
    terms
        The model's term table (``terms.tsv``): ``term``, ``n_dims``, ``dims``.
    n_bins
        Equal-width bins of each dimension (and of continuous activities) for mutual information.

    Returns
    -------
    One row per program: ``own_dimension`` (most mutual information with the activity),
    ``own_normalized_mi`` (that MI over the activity's entropy), ``n_dims``/``dims``
    (dimensions where the program is significant), ``recovered_once`` (exactly one),
    ``in_own_dimension`` (exactly one, and it is the own dimension).
    """
    binned = np.column_stack([_discrete_activity(activity[p].to_numpy(float), n_bins) for p in activity.columns])
    mi = mutual_info_matrix(discretize(codes, n_bins), binned)
    entropy = np.array([mutual_info_matrix(binned[:, [j]], binned[:, [j]])[0, 0] for j in range(binned.shape[1])])
    hits = terms.set_index(keys.TERM) if len(terms) else pd.DataFrame(columns=["n_dims", "dims"])
    rows = []
    for j, program in enumerate(activity.columns):
        own = keys.dim_name(int(np.argmax(mi[:, j])))
        tested = program in hits.index
        n_dims = int(hits.loc[program, "n_dims"]) if tested else 0
        dims = str(hits.loc[program, "dims"]) if tested and n_dims else ""
        rows.append({"program": program, "tested": tested, "n_dims": n_dims, "dims": dims, "own_dimension": own,
                     "own_normalized_mi": float(mi[:, j].max() / entropy[j]) if entropy[j] > 0 else float("nan"),
                     "recovered_once": n_dims == 1, "in_own_dimension": n_dims == 1 and dims == own})
    return pd.DataFrame(rows, columns=PROGRAM_COLUMNS)


def _discrete_activity(values: np.ndarray, n_bins: int) -> np.ndarray:
    """A binary activity (a categorical level) as is; a graded one in equal-width bins."""
    if np.isin(values, (0.0, 1.0)).all():
        return values.astype(int)
    return discretize(values[:, None], n_bins)[:, 0]


def score_factors(latent: ad.AnnData, *, labels: list[str], terms: pd.DataFrame, settings: dict) -> dict[str, pd.DataFrame]:
    """Every factor view of one model (see the module docstring).

    Parameters
    ----------
    latent
        ``latent.h5ad`` (``obsm["X_latent"]``, labels in obs, ``obsm["simulated_activity"]``
        for simulated data).
    labels
        obs columns holding known factors; float columns are continuous, others categorical.
    terms
        The model's ``terms.tsv``.
    settings
        Config ``factor_metrics``: ``n_bins``, ``train_fraction``, ``one_vs_rest_min_cells``, ``seed``.

    Returns
    -------
    ``metrics`` (scope, metric, value) and ``programs`` (:func:`program_recovery`; empty
    without a simulation).
    """
    codes = np.asarray(latent.obsm[keys.LATENT_MEAN], float)
    n_bins, seed = settings["n_bins"], settings["seed"]
    blocks = [_tidy(unsupervised_metrics(codes, n_bins=n_bins), "latent")]
    factors = latent.obs[list(labels)]
    if labels:
        common = {"seed": seed, "n_bins": n_bins, "train_fraction": settings["train_fraction"]}
        blocks.append(_tidy(factor_metrics(codes, factors, **common), "factors"))
        categorical = [name for name, kind in factor_kinds(factors).items() if kind == "discrete"]
        binary = one_vs_rest(factors[categorical], min_cells=settings["one_vs_rest_min_cells"]) if categorical else None
        if binary is not None and binary.shape[1] > len(categorical):
            blocks.append(_tidy(factor_metrics(codes, binary, **common), "one_vs_rest"))
    programs = pd.DataFrame(columns=PROGRAM_COLUMNS)
    if keys.SIM_ACTIVITY in latent.obsm:
        programs = program_recovery(codes, pd.DataFrame(latent.obsm[keys.SIM_ACTIVITY]), terms, n_bins=n_bins)
        blocks.append(pd.DataFrame({"scope": "programs", "metric": ["recovered_once", "in_own_dimension", "n_programs"],
                                    "value": [programs["recovered_once"].mean(), programs["in_own_dimension"].mean(), len(programs)]}))
    return {"metrics": pd.concat(blocks, ignore_index=True), "programs": programs}
