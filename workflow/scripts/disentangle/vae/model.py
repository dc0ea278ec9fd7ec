"""The β-VAE module: encoder, reparameterised sample, decoder, likelihood."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .likelihoods import LIKELIHOODS
from .modules import NORMS, Decoder, DecoderOutput, Encoder

DECODERS = ("mlp", "linear")


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild the network from a checkpoint.

    ``norm`` (layer | batch | none) and ``dropout`` shape the hidden layers; ``decoder: linear``
    makes the decoder an affine map of z (LDVAE), whose weights are per-gene loadings.
    """

    n_input: int
    n_latent: int = 10
    n_hidden: int = 128
    n_layers: int = 1
    likelihood: str = "nb"
    norm: str = "layer"
    dropout: float = 0.0
    decoder: str = "mlp"

    def __post_init__(self):
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood {self.likelihood!r}; known: {sorted(LIKELIHOODS)}")
        if self.norm not in NORMS:
            raise ValueError(f"unknown norm {self.norm!r}; known: {NORMS}")
        if self.decoder not in DECODERS:
            raise ValueError(f"unknown decoder {self.decoder!r}; known: {DECODERS}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ForwardPass:
    """One minibatch through the model: what every objective is computed from."""

    x: torch.Tensor
    mean: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor
    decoded: DecoderOutput
    reconstruction: torch.Tensor  # negative log-likelihood per cell
    n_data: int  # cells of the split the minibatch is drawn from (for the β-TCVAE estimators)


class BetaVAE(nn.Module):
    """A VAE with a diagonal Gaussian posterior and a standard normal prior."""

    def __init__(self, arch: Architecture):
        super().__init__()
        self.arch = arch
        likelihood = LIKELIHOODS[arch.likelihood]
        self.encoder = Encoder(arch.n_input, arch.n_latent, n_hidden=arch.n_hidden, n_layers=arch.n_layers,
                               norm=arch.norm, dropout=arch.dropout, log_input=likelihood.is_count)
        self.decoder = Decoder(arch.n_latent, arch.n_input, n_hidden=arch.n_hidden, n_layers=arch.n_layers,
                               norm=arch.norm, linear=arch.decoder == "linear", softmax=likelihood.is_count,
                               zero_inflated=likelihood.zero_inflated)
        self.likelihood = likelihood(arch.n_input)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None, *, n_data: int = 0) -> ForwardPass:
        """Encode, sample z with the reparameterisation trick, decode, score the reconstruction."""
        mean, logvar = self.encoder(x)
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        z = mean + noise * (0.5 * logvar).exp()
        decoded = self.decoder(z)
        library = x.sum(1, keepdim=True) if self.likelihood.is_count else None
        return ForwardPass(x, mean, logvar, z, decoded, self.likelihood.nll(x, decoded, library), n_data or len(x))

    @torch.no_grad()
    def decode_expression(self, z: torch.Tensor, target_sum: float = 1e4) -> torch.Tensor:
        """Decoded expression of latent codes ``z`` on the data's log scale (log1p CP10k for counts)."""
        return self.likelihood.expression(self.decoder(z), target_sum)

    def loadings(self):
        """genes x dims loadings of a linear decoder (numpy), else None."""
        return self.decoder.loadings().cpu().numpy() if self.arch.decoder == "linear" else None
