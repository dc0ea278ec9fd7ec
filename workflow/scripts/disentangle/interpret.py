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


def traversal_grid(
    model: BetaVAE,
    latent_mean: np.ndarray,
    *,
    steps: int = 9,
    quantiles: tuple[float, float] = (0.02, 0.98),
    target_sum: float = 1e4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decoded expression of every gene as each dimension moves across its range, others fixed.

    This is the traversal figure of the β-VAE papers, for genes: dimension k takes ``steps``
    evenly spaced values between its low and high pole while the other dimensions stay at the
    reference point, the per-dimension median of the posterior means. Expression is decoded on a
    log scale: for count likelihoods, log1p(``target_sum`` x the decoded share of the model
    genes' counts); for the Gaussian, the decoded mean itself.

    Parameters
    ----------
    model
        A trained :class:`~disentangle.vae.BetaVAE` (eval mode).
    latent_mean
        Posterior means of the cells, cells x dims; they set the reference and the ranges.
    steps
        Points per dimension (at least 2: the two poles).
    quantiles
        Low and high quantile of each dimension's posterior means to move between.
    target_sum
        Scale of the decoded shares before ``log1p``.

    Returns
    -------
    reference
        The reference point (dims,).
    positions
        dims x steps: the values dimension k is moved to.
    decoded
        dims x steps x genes: decoded expression at each position.
    """
    if steps < 2:
        raise ValueError(f"a traversal needs at least 2 steps (the two poles), got {steps}")
    reference = np.median(latent_mean, axis=0)
    ranges = traversal_range(latent_mean, quantiles)
    positions = np.linspace(ranges[:, 0], ranges[:, 1], steps, axis=1)
    n_dims = latent_mean.shape[1]
    codes = np.repeat(reference[None, None, :], n_dims * steps, axis=0).reshape(n_dims, steps, n_dims)
    for k in range(n_dims):
        codes[k, :, k] = positions[k]
    flat = torch.as_tensor(codes.reshape(n_dims * steps, n_dims), dtype=torch.float32)
    decoded = model.decode_expression(flat, target_sum).numpy().reshape(n_dims, steps, -1)
    return reference, positions, decoded


def traversal_effects(
    model: BetaVAE,
    latent_mean: np.ndarray,
    *,
    quantiles: tuple[float, float] = (0.02, 0.98),
    target_sum: float = 1e4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change in decoded expression of every gene from the low to the high pole of each dimension.

    The two ends of :func:`traversal_grid`; an effect is a log fold change between the poles.

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
    reference, positions, decoded = traversal_grid(model, latent_mean, steps=2, quantiles=quantiles,
                                                   target_sum=target_sum)
    return pole_effects(decoded), reference, positions


def pole_effects(decoded: np.ndarray) -> np.ndarray:
    """genes x dims effects (high pole minus low pole) of a dims x steps x genes traversal grid."""
    return (decoded[:, -1, :] - decoded[:, 0, :]).T.astype(np.float64)
