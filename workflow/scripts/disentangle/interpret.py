"""Where the trained model meets the genes: latent traversals and per-dimension gene rankings."""

from __future__ import annotations

import numpy as np
import torch

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
    posterior means. Expression is decoded on a log scale: for the negative binomial,
    log1p(``target_sum`` x the decoded share of the model genes' counts), i.e. per 10k counts
    of the highly variable genes; for the Gaussian, the decoded mean itself. An effect is thus
    a log fold change between the two poles.

    Parameters
    ----------
    model
        A trained :class:`~disentangle.vae.BetaVAE` (eval mode).
    latent_mean
        Posterior means of the cells, cells x dims; they set the reference and the ranges.
    quantiles
        Low and high quantile of each dimension's posterior means to move between.
    target_sum
        Scale of the NB decoded shares before ``log1p``.

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
