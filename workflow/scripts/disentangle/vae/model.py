"""The β-VAE module: encoder, reparameterised sample, decoder, likelihood."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .likelihoods import LIKELIHOODS
from .modules import Decoder, Encoder


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild the network from a checkpoint."""

    n_input: int
    n_latent: int = 10
    n_hidden: int = 128
    n_layers: int = 1
    likelihood: str = "nb"

    def to_dict(self) -> dict:
        return asdict(self)


class BetaVAE(nn.Module):
    """A VAE with a diagonal Gaussian posterior and a standard normal prior."""

    def __init__(self, arch: Architecture):
        super().__init__()
        if arch.likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood {arch.likelihood!r}; known: {sorted(LIKELIHOODS)}")
        self.arch = arch
        count = arch.likelihood == "nb"
        self.encoder = Encoder(arch.n_input, arch.n_latent, n_hidden=arch.n_hidden, n_layers=arch.n_layers, log_input=count)
        self.decoder = Decoder(arch.n_latent, arch.n_input, n_hidden=arch.n_hidden, n_layers=arch.n_layers, kind=arch.likelihood)
        self.likelihood = LIKELIHOODS[arch.likelihood](arch.n_input)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Encode, sample z with the reparameterisation trick, decode.

        Returns
        -------
        mean, logvar, z, decoded
        """
        mean, logvar = self.encoder(x)
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
        z = mean + noise * (0.5 * logvar).exp()
        return mean, logvar, z, self.decoder(z)

    @torch.no_grad()
    def decode_expression(self, z: torch.Tensor, target_sum: float = 1e4) -> torch.Tensor:
        """Decoded expression of latent codes ``z`` on the data's log scale (log1p CP10k for counts)."""
        return self.likelihood.expression(self.decoder(z), target_sum)
