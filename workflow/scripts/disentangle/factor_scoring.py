"""Judge one model's latent space against known factors: the dataset's labels, or simulated factors.

Its views, each a block of the tidy ``factor_metrics.tsv`` (scope, metric, value); ``factors.tsv``
says, per factor, which dimension carries it:

- ``latent``: unsupervised statistics of the posterior means (total correlation, pairwise MI);
- ``factors``: the label columns as factors (MIG, DCI, SAP, modularity, explicitness);
- ``one_vs_rest``: every category of a categorical label as a binary factor of its own (a
  cell type with nine categories is one factor above, nine here: a dimension per cell type);
- ``programs`` (simulated data): is each true gene program significant in exactly one
  dimension, and is that the dimension that carries the program's activity?

Every view scores the posterior means of the *active* dimensions only (KL above
``traversal.active_kl``, as for the gene-set scores), where disentanglement_lib takes every
dimension. A collapsed dimension's mean is nearly constant, yet still a function of the input,
often a faint copy of an active dimension. Equal-width histograms do not see its scale, so it
gets the mutual information of the dimension it copies and closes the MIG gap; its tiny
covariance with the active dimensions makes the Gaussian total correlation grow without bound
as β collapses more dimensions (19 nats at β = 16 on the simulated data, 0.3 at β = 1). Neither
says anything about the code in use. Dimensions keep their names (``z3`` is z3 of the model).
The BetaVAE / FactorVAE scores (:mod:`.intervene`) see every dimension; the FactorVAE score
prunes collapsed ones by itself.
"""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd

from . import keys
from .metrics.summary import DETAIL_COLUMNS
from .metrics import discrete_factors, factor_report, mutual_info_gap, one_vs_rest, unsupervised_metrics

log = logging.getLogger(__name__)

FACTOR_SCOPES = ("factors", "one_vs_rest")
PROGRAM_COLUMNS = ["program", "tested", "n_dims", "dims", "own_dimension", "own_normalized_mi", "recovered_once", "in_own_dimension"]


def _tidy(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    return frame.assign(scope=scope)[["scope", "metric", "value"]]


def program_recovery(codes: np.ndarray, activity: pd.DataFrame, terms: pd.DataFrame, *, n_bins: int = 20,
                     names: list[str] | None = None) -> pd.DataFrame:
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
    names
        The dimensions' names (default ``z0``, ``z1``, ... in column order).

    Returns
    -------
    One row per program: ``own_dimension`` (most mutual information with the activity),
    ``own_normalized_mi`` (that MI over the activity's entropy), ``n_dims``/``dims``
    (dimensions where the program is significant), ``recovered_once`` (exactly one),
    ``in_own_dimension`` (exactly one, and it is the own dimension).
    """
    # activities are float: binned like any continuous factor (a 0/1 level keeps its two values)
    information = mutual_info_gap(codes, discrete_factors(activity.astype(float), n_bins), n_bins=n_bins)
    mi, entropy = information["mi"], information["entropy"]
    names = names or [keys.dim_name(k) for k in range(codes.shape[1])]
    hits = terms.set_index(keys.TERM) if len(terms) else pd.DataFrame(columns=["n_dims", "dims"])
    rows = []
    for j, program in enumerate(activity.columns):
        own = names[int(np.argmax(mi[:, j]))]
        tested = program in hits.index
        n_dims = int(hits.loc[program, "n_dims"]) if tested else 0
        dims = str(hits.loc[program, "dims"]) if tested and n_dims else ""
        rows.append({"program": program, "tested": tested, "n_dims": n_dims, "dims": dims, "own_dimension": own,
                     "own_normalized_mi": float(mi[:, j].max() / entropy[j]) if entropy[j] > 0 else float("nan"),
                     "recovered_once": n_dims == 1, "in_own_dimension": n_dims == 1 and dims == own})
    return pd.DataFrame(rows, columns=PROGRAM_COLUMNS)


def active_codes(latent: ad.AnnData) -> tuple[np.ndarray, list[str]]:
    """The posterior means of the active dimensions and their names (every dimension when fewer
    than two are active: the scores need two)."""
    codes = np.asarray(latent.obsm[keys.LATENT_MEAN], float)
    active = np.asarray((latent.uns.get(keys.LATENT_UNS) or {}).get(keys.ACTIVE, np.ones(codes.shape[1], bool)), bool)
    if active.sum() < 2:
        log.warning("%d active dimension(s): factor scores use every dimension", int(active.sum()))
        active = np.ones(codes.shape[1], bool)
    return codes[:, active], [keys.dim_name(k) for k in np.flatnonzero(active)]


def score_factors(latent: ad.AnnData, *, labels: list[str], terms: pd.DataFrame, settings: dict) -> dict[str, pd.DataFrame]:
    """Every factor view of one model (see the module docstring).

    Parameters
    ----------
    latent
        ``latent.h5ad`` (``obsm["X_latent"]``, ``uns["latent"]["active"]``, labels in obs,
        ``obsm["simulated_activity"]`` for simulated data).
    labels
        obs columns holding known factors; float columns are continuous, others categorical.
    terms
        The model's ``terms.tsv``.
    settings
        Config ``factor_metrics``: ``n_bins``, ``train_fraction``, ``one_vs_rest_min_cells``, ``seed``.

    Returns
    -------
    ``metrics`` (scope, metric, value), ``factors`` (one row per factor and scope:
    :data:`~disentangle.metrics.summary.DETAIL_COLUMNS`, which dimension carries it) and
    ``programs`` (:func:`program_recovery`; empty without a simulation).
    """
    codes, names = active_codes(latent)
    n_bins, seed = settings["n_bins"], settings["seed"]
    blocks = [_tidy(unsupervised_metrics(codes, n_bins=n_bins), "latent")]
    details = []
    for scope, factors in zip(FACTOR_SCOPES, _factor_tables(latent.obs[list(labels)], settings["one_vs_rest_min_cells"])):
        metrics, per_factor = factor_report(codes, factors, seed=seed, n_bins=n_bins, train_fraction=settings["train_fraction"])
        blocks.append(_tidy(metrics, scope))
        details.append(per_factor.assign(scope=scope))
    programs = pd.DataFrame(columns=PROGRAM_COLUMNS)
    if keys.SIM_ACTIVITY in latent.obsm:
        programs = program_recovery(codes, pd.DataFrame(latent.obsm[keys.SIM_ACTIVITY]), terms, n_bins=n_bins, names=names)
        blocks.append(pd.DataFrame({"scope": "programs", "metric": ["recovered_once", "in_own_dimension", "n_programs"],
                                    "value": [programs["recovered_once"].mean(), programs["in_own_dimension"].mean(), len(programs)]}))
    factor_rows = pd.concat(details, ignore_index=True) if details else pd.DataFrame(columns=["scope", *DETAIL_COLUMNS])
    factor_rows = factor_rows[["scope", *DETAIL_COLUMNS]]
    for column in ("mig_best_dim", "dci_best_dim", "sap_best_dim"):
        factor_rows[column] = factor_rows[column].map(lambda k: names[int(k)] if pd.notna(k) else "")
    return {"metrics": pd.concat(blocks, ignore_index=True), "factors": factor_rows, "programs": programs}


def _factor_tables(factors: pd.DataFrame, min_cells: int) -> list[pd.DataFrame]:
    """The labels as factors and, when a categorical label has more than two categories, the
    labels again with every category as a binary factor of its own, continuous labels kept as
    they are (empty list without labels)."""
    if factors.shape[1] == 0:
        return []
    binary = one_vs_rest(factors, min_cells=min_cells)
    return [factors, binary] if binary.shape[1] > factors.shape[1] else [factors]
