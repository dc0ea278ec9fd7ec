"""The GSEA running enrichment score of one gene set along one ranking (numpy only).

Subramanian et al. 2005: walking down the ranking, the score rises at each gene of the set by
its share of the set's summed ``|score| ** weight`` and falls at each other gene by
``1 / (n_genes - n_hits)``; the enrichment score (ES) is the walk's largest deviation from zero.
With ``weight = 1`` this is the walk gseapy's prerank scores, so its ES equals the table's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RunningScore:
    """The walk of one set down one ranking.

    Attributes
    ----------
    scores
        The ranking's scores, highest first.
    hits
        Positions (0-based, in ``scores``) of the set's genes.
    running
        The running enrichment score after each gene.
    es
        The enrichment score: the value of ``running`` farthest from zero.
    peak
        Where ``es`` is reached; the set's genes up to it (positive ES) or from it (negative ES)
        are its leading edge.
    """

    scores: np.ndarray
    hits: np.ndarray
    running: np.ndarray
    es: float
    peak: int


def running_score(ranking: pd.Series, members, weight: float = 1.0) -> RunningScore:
    """The running enrichment score of ``members`` along ``ranking``.

    Parameters
    ----------
    ranking
        Gene -> score; sorted here, highest first (ties keep the given order).
    members
        The set's genes; genes not in ``ranking`` are ignored.
    weight
        Exponent of ``|score|`` in the hit increments (GSEA's p; 0 gives the Kolmogorov-Smirnov walk).

    Raises
    ------
    ValueError
        When no gene, or every gene, of the ranking is in the set (the walk is undefined).
    """
    ordered = ranking.sort_values(ascending=False, kind="mergesort")
    in_set = ordered.index.isin(list(members))
    n_hits, n_genes = int(in_set.sum()), len(ordered)
    if n_hits == 0 or n_hits == n_genes:
        raise ValueError(f"the set has {n_hits} of the ranking's {n_genes} genes; a running score needs some but not all")
    scores = ordered.to_numpy(float)
    hit_weight = np.where(in_set, np.abs(scores) ** weight, 0.0)
    total = hit_weight.sum()
    step_up = hit_weight / total if total > 0 else in_set / n_hits  # all-zero scores: equal steps
    step_down = np.where(in_set, 0.0, 1.0 / (n_genes - n_hits))
    running = np.cumsum(step_up - step_down)
    peak = int(np.argmax(np.abs(running)))
    return RunningScore(scores=scores, hits=np.flatnonzero(in_set), running=running, es=float(running[peak]), peak=peak)
