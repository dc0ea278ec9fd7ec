"""Reconstruction likelihoods: negative log-likelihood per cell, summed over genes.

Count likelihoods (Poisson, negative binomial, zero-inflated NB) model counts with mean
``library x share``, the share being the decoder's softmax output and the library the cell's
total count, as in scVI; the NB dispersion is one learned θ per gene. The Gaussian models
continuous (log-normalised) data with one learned variance per gene.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import torch
from torch import nn
from torch.nn import functional as F

from .modules import DecoderOutput

EPS = 1e-8


def nb_log_prob(x: torch.Tensor, mu: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """log NB(x; mean μ, inverse dispersion θ), elementwise (Var = μ + μ²/θ)."""
    log_theta_mu = torch.log(theta + mu + EPS)
    return (
        theta * (torch.log(theta + EPS) - log_theta_mu)
        + x * (torch.log(mu + EPS) - log_theta_mu)
        + torch.lgamma(x + theta)
        - torch.lgamma(theta)
        - torch.lgamma(x + 1)
    )


class Likelihood(nn.Module, ABC):
    """Base: ``nll`` per cell and ``expression`` on the data's log scale, for traversals."""

    is_count = True
    zero_inflated = False

    def __init__(self, n_genes: int):
        super().__init__()

    def nll(self, x: torch.Tensor, out: DecoderOutput, library: torch.Tensor | None = None) -> torch.Tensor:
        """Negative log-likelihood of ``x`` (cells x genes), one value per cell."""
        return -self.log_prob(x, out, library).sum(-1)

    @abstractmethod
    def log_prob(self, x, out: DecoderOutput, library) -> torch.Tensor:
        """Log-likelihood of ``x`` per cell and gene."""

    @staticmethod
    def expression(out: DecoderOutput, target_sum: float = 1e4) -> torch.Tensor:
        """Decoded expression on the log1p(CP10k) scale the data were normalised to."""
        return torch.log1p(out.mean * target_sum)


class Poisson(Likelihood):
    """Poisson(x; library · share): no overdispersion, the simplest count model."""

    def log_prob(self, x, out, library):
        rate = out.mean * library
        return x * torch.log(rate + EPS) - rate - torch.lgamma(x + 1)


class NegativeBinomial(Likelihood):
    """NB(x; μ = library · share, θ) with one learned inverse dispersion θ per gene (scVI's gene dispersion)."""

    def __init__(self, n_genes: int):
        super().__init__(n_genes)
        self.log_theta = nn.Parameter(torch.zeros(n_genes))

    def log_prob(self, x, out, library):
        return nb_log_prob(x, out.mean * library, self.log_theta.exp())


class ZeroInflatedNB(NegativeBinomial):
    """π·δ₀ + (1 − π)·NB(μ, θ), π = sigmoid(decoder's dropout logits) per cell and gene."""

    zero_inflated = True

    def log_prob(self, x, out, library):
        nb = nb_log_prob(x, out.mean * library, self.log_theta.exp())
        log_pi = -F.softplus(-out.dropout_logits)  # log π
        log_not_pi = -F.softplus(out.dropout_logits)  # log (1 − π)
        zero = torch.logaddexp(log_pi, log_not_pi + nb)
        return torch.where(x < 0.5, zero, log_not_pi + nb)


class Gaussian(Likelihood):
    """N(x; μ, σ²) with one learned variance per gene, for continuous (log-scale) data."""

    is_count = False

    def __init__(self, n_genes: int):
        super().__init__(n_genes)
        self.log_var = nn.Parameter(torch.zeros(n_genes))

    def log_prob(self, x, out, library=None):
        return -0.5 * (((x - out.mean) ** 2) / self.log_var.exp() + self.log_var + math.log(2 * math.pi))

    @staticmethod
    def expression(out: DecoderOutput, target_sum: float = 1e4) -> torch.Tensor:
        """The decoded mean, already on the data's scale."""
        return out.mean


LIKELIHOODS = {"gaussian": Gaussian, "poisson": Poisson, "nb": NegativeBinomial, "zinb": ZeroInflatedNB}
COUNT_LIKELIHOODS = tuple(name for name, cls in LIKELIHOODS.items() if cls.is_count)
