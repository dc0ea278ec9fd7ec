"""FactorVAE (Kim & Mnih 2018): reconstruction + KL + γ·TC, the TC from a density-ratio discriminator.

A discriminator learns to tell codes z ~ q(z) from codes whose dimensions were shuffled across
the minibatch independently (samples of ∏_d q(z_d)); its logit difference estimates
log q(z) / ∏_d q(z_d), whose mean is the total correlation. It has its own optimiser and takes
one step after each step of the VAE.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .base import Objective


def permute_dims(z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Shuffle each column of ``z`` (cells x dims) across cells independently."""
    order = torch.argsort(torch.rand(z.shape, generator=generator), dim=0).to(z.device)
    return torch.gather(z, 0, order)


class Discriminator(nn.Module):
    """MLP with LeakyReLU(0.2) from a code to two logits: [from q(z), from ∏_d q(z_d)]."""

    def __init__(self, n_latent: int, n_hidden: int = 256, n_layers: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(n_layers):
            layers += [nn.Linear(n_latent if i == 0 else n_hidden, n_hidden), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.Linear(n_hidden, 2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class FactorVAEObjective(Objective):
    """FactorVAE: reconstruction + KL + γ·TC.

    Parameters
    ----------
    gamma
        Weight of the total correlation.
    n_latent
        Latent dimensions (the discriminator's input).
    hidden, layers, learning_rate
        The discriminator and its Adam (β₁ = 0.5, β₂ = 0.9, as in the paper).
    seed
        Seeds the discriminator's weights and the shuffles.
    """

    name = "factorvae"

    def __init__(self, gamma: float, n_latent: int, *, hidden: int = 256, layers: int = 3,
                 learning_rate: float = 1e-4, seed: int = 0):
        if gamma < 0:
            raise ValueError(f"factorvae gamma must be >= 0, got {gamma}")
        self.gamma, self.hidden, self.layers, self.learning_rate = float(gamma), int(hidden), int(layers), float(learning_rate)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 7919)  # its own weights, leaving the model's initialisation untouched
            self.discriminator = Discriminator(n_latent, hidden, layers)
        self.optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=learning_rate, betas=(0.5, 0.9))
        self.generator = torch.Generator().manual_seed(seed)

    @classmethod
    def from_settings(cls, settings: dict) -> "FactorVAEObjective":
        return cls(settings["gamma"], settings.get("n_latent", 10), hidden=settings.get("discriminator_hidden", 256),
                   layers=settings.get("discriminator_layers", 3),
                   learning_rate=settings.get("discriminator_learning_rate", 1e-4), seed=settings.get("seed", 0))

    def regulariser(self, fwd, kl, step):
        # the VAE's loss flows through the discriminator into z, never into its weights
        self.discriminator.requires_grad_(False)
        logits = self.discriminator(fwd.z)
        self.discriminator.requires_grad_(True)
        tc = (logits[:, 0] - logits[:, 1]).mean()
        return kl + self.gamma * tc, {"tc": tc}, {"gamma": self.gamma}

    def update(self, fwd, step):
        z = fwd.z.detach()
        real, shuffled = self.discriminator(z), self.discriminator(permute_dims(z, self.generator))
        zeros = torch.zeros(len(z), dtype=torch.long, device=z.device)
        loss = 0.5 * (F.cross_entropy(real, zeros) + F.cross_entropy(shuffled, zeros + 1))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        accuracy = 0.5 * ((real.argmax(1) == 0).float().mean() + (shuffled.argmax(1) == 1).float().mean())
        return {"discriminator_loss": loss.item(), "discriminator_accuracy": accuracy.item()}

    def params(self):
        return {"objective": self.name, "gamma": self.gamma, "discriminator_hidden": self.hidden,
                "discriminator_layers": self.layers, "discriminator_learning_rate": self.learning_rate}

    def to(self, device):
        self.discriminator.to(device)
        return self

    def state_dict(self):
        return {"discriminator": self.discriminator.state_dict(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state()}

    def load_state_dict(self, state):
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
