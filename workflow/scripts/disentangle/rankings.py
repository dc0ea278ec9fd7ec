"""Per-dimension gene rankings in tidy form, and the strictly ordered matrix gseapy gets (pandas only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import keys


def rank_genes(effects: np.ndarray, genes: list[str] | pd.Index) -> pd.DataFrame:
    """Per-dimension gene ranking, both poles, in long format.

    Genes are ordered by descending score within each dimension; exact ties are broken by gene
    name so the order never depends on memory layout. Rank 1 is the top of the high pole,
    rank n the top of the low pole.

    Returns
    -------
    DataFrame with columns ``dimension``, ``gene``, ``score``, ``rank``.
    """
    genes = pd.Index(genes, dtype=str)
    if genes.has_duplicates:
        dupes = genes[genes.duplicated()].unique()[:5].tolist()
        raise ValueError(f"gene names must be unique for a ranking; duplicated: {dupes}")
    if effects.shape[0] != len(genes):
        raise ValueError(f"{effects.shape[0]} rows of effects for {len(genes)} genes")
    frames = []
    for k in range(effects.shape[1]):
        frame = pd.DataFrame({keys.GENE: genes, keys.SCORE: effects[:, k]})
        frame = frame.sort_values([keys.SCORE, keys.GENE], ascending=[False, True], kind="mergesort")
        frame.insert(0, keys.DIMENSION, keys.dim_name(k))
        frame[keys.RANK] = np.arange(1, len(frame) + 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def ranking_matrix(rankings: pd.DataFrame) -> pd.DataFrame:
    """Genes x dimensions scores from :func:`rank_genes`'s table, made strictly monotone in rank.

    Tied scores are nudged down by the smallest representable steps in rank order, so a
    tool that re-sorts by value (gseapy) reproduces the deterministic order exactly.
    """
    columns = {}
    for dim, frame in rankings.groupby(keys.DIMENSION, sort=False):
        frame = frame.sort_values(keys.RANK)
        columns[dim] = pd.Series(_strictly_decreasing(frame[keys.SCORE].to_numpy(float)), index=frame[keys.GENE].to_numpy())
    return pd.DataFrame(columns)


def _strictly_decreasing(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    for i in range(1, len(out)):
        if out[i] >= out[i - 1]:
            out[i] = np.nextafter(out[i - 1], -np.inf)
    return out
