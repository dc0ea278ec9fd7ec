"""Encoder and decoder networks of the β-VAE (torch only)."""

from __future__ import annotations

import torch
from torch import nn


def _mlp(n_in: int, n_hidden: int, n_layers: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers += [nn.Linear(n_in if i == 0 else n_hidden, n_hidden), nn.LayerNorm(n_hidden), nn.ReLU()]
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """q(z | x): an MLP from (log-scaled) expression to a diagonal Gaussian.

    Parameters
    ----------
    n_input, n_latent, n_hidden, n_layers
        Sizes of the network.
    log_input
        Apply ``log1p`` to the input first (for counts), as scVI does.
    """

    def __init__(self, n_input: int, n_latent: int, *, n_hidden: int = 128, n_layers: int = 1, log_input: bool = True):
        super().__init__()
        self.log_input = log_input
        self.body = _mlp(n_input, n_hidden, n_layers)
        self.mean = nn.Linear(n_hidden, n_latent)
        self.logvar = nn.Linear(n_hidden, n_latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(torch.log1p(x) if self.log_input else x)
        return self.mean(h), self.logvar(h).clamp(-15.0, 15.0)


class Decoder(nn.Module):
    """p(x | z): an MLP from latent codes to the parameters of the likelihood.

    For ``kind="nb"`` the output is a softmax over genes (expression proportions, scaled by each
    cell's library size into the negative binomial mean); for ``kind="gaussian"`` it is the mean.
    """

    def __init__(self, n_latent: int, n_output: int, *, n_hidden: int = 128, n_layers: int = 1, kind: str = "nb"):
        super().__init__()
        self.kind = kind
        self.body = _mlp(n_latent, n_hidden, n_layers)
        self.out = nn.Linear(n_hidden, n_output)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.out(self.body(z))
        return torch.softmax(h, dim=-1) if self.kind == "nb" else h
