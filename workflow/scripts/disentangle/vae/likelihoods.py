"""Reconstruction likelihoods: negative log-likelihood per cell, summed over genes."""

from __future__ import annotations

import math

import torch
from torch import nn


class NegativeBinomial(nn.Module):
    """NB(x; μ = library · ρ, θ) with one learned inverse dispersion θ per gene (scVI's gene dispersion)."""

    is_count = True

    def __init__(self, n_genes: int):
        super().__init__()
        self.log_theta = nn.Parameter(torch.zeros(n_genes))

    def nll(self, x: torch.Tensor, decoded: torch.Tensor, library: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of counts ``x`` (cells x genes), one value per cell."""
        mu = decoded * library
        theta = self.log_theta.exp()
        eps = 1e-8
        log_theta_mu = torch.log(theta + mu + eps)
        ll = (
            theta * (torch.log(theta + eps) - log_theta_mu)
            + x * (torch.log(mu + eps) - log_theta_mu)
            + torch.lgamma(x + theta)
            - torch.lgamma(theta)
            - torch.lgamma(x + 1)
        )
        return -ll.sum(-1)

    @staticmethod
    def expression(decoded: torch.Tensor, target_sum: float = 1e4) -> torch.Tensor:
        """Decoded expression on the log1p(CP10k) scale the data were normalised to."""
        return torch.log1p(decoded * target_sum)


class Gaussian(nn.Module):
    """N(x; μ, σ²) with one learned variance per gene, for continuous (log-scale) data."""

    is_count = False

    def __init__(self, n_genes: int):
        super().__init__()
        self.log_var = nn.Parameter(torch.zeros(n_genes))

    def nll(self, x: torch.Tensor, decoded: torch.Tensor, library: torch.Tensor | None = None) -> torch.Tensor:
        """Negative log-likelihood of ``x`` (cells x genes), one value per cell."""
        var = self.log_var.exp()
        return 0.5 * (((x - decoded) ** 2) / var + self.log_var + math.log(2 * math.pi)).sum(-1)

    @staticmethod
    def expression(decoded: torch.Tensor, target_sum: float = 1e4) -> torch.Tensor:
        """The decoded mean, already on the data's scale."""
        return decoded


LIKELIHOODS = {"nb": NegativeBinomial, "gaussian": Gaussian}
