"""Training objectives behind one interface: a new objective is one new class.

One KL convention everywhere: KL(q(z|x) ‖ N(0, I)) summed over latent dimensions, averaged over
cells, in nats per cell. Reconstruction is the negative log-likelihood summed over genes and
averaged over cells.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) ‖ N(0, 1)) per cell and dimension (cells x dims), closed form."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


@dataclass
class LossRecord:
    """What one evaluation of an objective returns (scvi-tools' LossOutput in small)."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor
    kl_per_dim: torch.Tensor
    extra: dict[str, float] = field(default_factory=dict)


class Objective(ABC):
    """Base: combine per-cell reconstruction and per-cell-per-dimension KL into a loss."""

    name = "base"

    def __call__(self, recon: torch.Tensor, kl_cells_dims: torch.Tensor, step: int) -> LossRecord:
        reconstruction = recon.mean()
        kl_per_dim = kl_cells_dims.mean(0)
        kl = kl_per_dim.sum()
        total, extra = self.combine(reconstruction, kl, step)
        return LossRecord(total, reconstruction, kl, kl_per_dim, extra)

    @abstractmethod
    def combine(self, reconstruction: torch.Tensor, kl: torch.Tensor, step: int) -> tuple[torch.Tensor, dict]:
        """Total loss at optimiser step ``step`` and the schedule values to log."""

    def params(self) -> dict:
        """The objective's parameters, for specs.json."""
        return {"objective": self.name}

    def schedule_done(self, step: int) -> bool:
        """Whether any schedule has reached its end (early stopping waits for it)."""
        return True


class BetaObjective(Objective):
    """β-VAE (Higgins et al. 2017): reconstruction + β·KL; β = 1 is the plain VAE."""

    name = "beta"

    def __init__(self, beta: float = 1.0):
        if beta <= 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        self.beta = float(beta)

    def combine(self, reconstruction, kl, step):
        return reconstruction + self.beta * kl, {"beta": self.beta}

    def params(self):
        return {"objective": self.name, "beta": self.beta}


class CapacityObjective(Objective):
    """Controlled capacity (Burgess et al. 2018): reconstruction + γ·|KL − C|.

    C rises linearly from 0 to ``capacity_max`` over ``capacity_steps`` optimiser steps, then stays.
    """

    name = "capacity"

    def __init__(self, gamma: float, capacity_max: float, capacity_steps: int):
        if gamma <= 0 or capacity_max < 0 or capacity_steps < 1:
            raise ValueError("capacity objective needs gamma > 0, capacity_max >= 0, capacity_steps >= 1")
        self.gamma = float(gamma)
        self.capacity_max = float(capacity_max)
        self.capacity_steps = int(capacity_steps)

    def capacity(self, step: int) -> float:
        """C at optimiser step ``step`` (nats per cell)."""
        return self.capacity_max * min(step, self.capacity_steps) / self.capacity_steps

    def schedule_done(self, step: int) -> bool:
        return step >= self.capacity_steps

    def combine(self, reconstruction, kl, step):
        c = self.capacity(step)
        return reconstruction + self.gamma * (kl - c).abs(), {"capacity": c, "gamma": self.gamma}

    def params(self):
        return {
            "objective": self.name,
            "gamma": self.gamma,
            "capacity_max": self.capacity_max,
            "capacity_steps": self.capacity_steps,
        }


def make_objective(objective: str, **params) -> Objective:
    """Build an objective by name from config parameters (unused keys are ignored)."""
    if objective == "beta":
        return BetaObjective(params.get("beta", 1.0))
    if objective == "capacity":
        return CapacityObjective(params["gamma"], params["capacity_max"], params["capacity_steps"])
    raise ValueError(f"unknown objective {objective!r}; known: beta, capacity")
