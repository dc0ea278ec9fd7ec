"""Encoder and decoder networks of the β-VAE (torch only)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

NORMS = ("layer", "batch", "none")


def mlp(n_in: int, n_hidden: int, n_layers: int, *, norm: str = "layer", dropout: float = 0.0) -> nn.Sequential:
    """``n_layers`` blocks of Linear → norm → ReLU (→ dropout).

    Parameters
    ----------
    n_in, n_hidden, n_layers
        Input width, hidden width and number of hidden layers.
    norm
        ``layer`` (LayerNorm), ``batch`` (BatchNorm1d; training never sees a one-cell minibatch,
        see :func:`~disentangle.vae.batching.minibatches`) or ``none``.
    dropout
        Dropout rate after each block (0: none).
    """
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; known: {NORMS}")
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers.append(nn.Linear(n_in if i == 0 else n_hidden, n_hidden))
        if norm == "layer":
            layers.append(nn.LayerNorm(n_hidden))
        elif norm == "batch":
            layers.append(nn.BatchNorm1d(n_hidden))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """q(z | x): an MLP from (log-scaled) expression to a diagonal Gaussian.

    Parameters
    ----------
    n_input, n_latent, n_hidden, n_layers, norm, dropout
        Sizes and layers of the network (see :func:`mlp`); dropout acts in the encoder only, as in scVI.
    log_input
        Apply ``log1p`` to the input first (for counts), as scVI does.
    """

    def __init__(self, n_input: int, n_latent: int, *, n_hidden: int = 128, n_layers: int = 1,
                 norm: str = "layer", dropout: float = 0.0, log_input: bool = True):
        super().__init__()
        self.log_input = log_input
        self.body = mlp(n_input, n_hidden, n_layers, norm=norm, dropout=dropout)
        self.mean = nn.Linear(n_hidden, n_latent)
        self.logvar = nn.Linear(n_hidden, n_latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(torch.log1p(x) if self.log_input else x)
        return self.mean(h), self.logvar(h).clamp(-15.0, 15.0)


@dataclass
class DecoderOutput:
    """The likelihood's parameters for each cell and gene.

    ``mean`` is the expression share per gene (a softmax, scaled by the library size into the
    count mean) for count likelihoods, and the mean itself for the Gaussian; ``dropout_logits``
    are the zero-inflation logits (ZINB only).
    """

    mean: torch.Tensor
    dropout_logits: torch.Tensor | None = None


class Decoder(nn.Module):
    """p(x | z): latent codes to the parameters of the likelihood.

    Parameters
    ----------
    n_latent, n_output
        Latent dimensions and genes.
    n_hidden, n_layers, norm
        The hidden MLP (unused when ``linear``).
    linear
        No hidden layer: gene logits are an affine map of z, as in LDVAE (Svensson et al. 2020),
        so each weight is a gene's loading on one dimension (:meth:`loadings`).
    softmax
        Map the output to expression shares (count likelihoods); else it is the mean.
    zero_inflated
        Add a head for the zero-inflation logits.
    """

    def __init__(self, n_latent: int, n_output: int, *, n_hidden: int = 128, n_layers: int = 1, norm: str = "layer",
                 linear: bool = False, softmax: bool = True, zero_inflated: bool = False):
        super().__init__()
        self.softmax = softmax
        self.body = nn.Identity() if linear else mlp(n_latent, n_hidden, n_layers, norm=norm)
        width = n_latent if linear else n_hidden
        self.out = nn.Linear(width, n_output)
        self.dropout = nn.Linear(width, n_output) if zero_inflated else None

    def forward(self, z: torch.Tensor) -> DecoderOutput:
        h = self.body(z)
        logits = self.out(h)
        mean = torch.softmax(logits, dim=-1) if self.softmax else logits
        return DecoderOutput(mean, self.dropout(h) if self.dropout is not None else None)

    def loadings(self) -> torch.Tensor:
        """genes x dims weights of a linear decoder (on the logit scale for count likelihoods)."""
        if not isinstance(self.body, nn.Identity):
            raise ValueError("loadings exist for a linear decoder only (decoder: linear)")
        return self.out.weight.detach()
