"""Where the trained model meets the genes: latent traversals and per-dimension gene rankings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from . import keys
from .vae import BetaVAE


def traversal_range(latent_mean: np.ndarray, quantiles: tuple[float, float] = (0.02, 0.98)) -> np.ndarray:
    """Low and high end of each dimension's traversal: quantiles of its posterior means (dims x 2)."""
    lo, hi = quantiles
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"traversal quantiles must satisfy 0 <= low < high <= 1, got {quantiles}")
    return np.quantile(latent_mean, [lo, hi], axis=0).T


def traversal_effects(
    model: BetaVAE,
    latent_mean: np.ndarray,
    *,
    quantiles: tuple[float, float] = (0.02, 0.98),
    target_sum: float = 1e4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change in decoded expression of every gene as each dimension moves across its range.

    The other dimensions are held at the reference point, the per-dimension median of the
    posterior means. Expression is decoded on the data's log scale (log1p CP``target_sum`` for
    the negative binomial), so an effect is a log fold change between the two poles.

    Returns
    -------
    effects
        genes x dims: decoded expression at the high pole minus at the low pole; positive means
        higher at the high pole.
    reference
        The reference point (dims,).
    ranges
        dims x 2, the low and high value each dimension was moved to.
    """
    reference = np.median(latent_mean, axis=0)
    ranges = traversal_range(latent_mean, quantiles)
    n_dims = latent_mean.shape[1]
    codes = np.repeat(reference[None, :], 2 * n_dims, axis=0)
    for k in range(n_dims):
        codes[2 * k, k], codes[2 * k + 1, k] = ranges[k]
    decoded = model.decode_expression(torch.as_tensor(codes, dtype=torch.float32), target_sum).numpy()
    effects = (decoded[1::2] - decoded[0::2]).T
    return effects.astype(np.float64), reference, ranges


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
