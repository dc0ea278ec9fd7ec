"""The objective interface: a new objective is one new class.

One KL convention everywhere: KL(q(z|x) ‖ N(0, I)) summed over latent dimensions, averaged over
cells, in nats per cell. Reconstruction is the negative log-likelihood summed over genes and
averaged over cells. Every objective is reconstruction + ``kl_weight`` · its regulariser, where
``kl_weight`` is the warm-up factor (1 once any warm-up is over).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch

from ..model import ForwardPass


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) ‖ N(0, 1)) per cell and dimension (cells x dims), closed form."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


@dataclass
class LossRecord:
    """What one evaluation of an objective returns (scvi-tools' LossOutput in small).

    ``terms`` holds scalar tensors averaged over the minibatch's cells: always ``reconstruction``
    and ``kl``, then the objective's own (``tc``, ``mi``, ...); ``schedule`` the values of its
    schedules at this step (β, C, the warm-up weight).
    """

    total: torch.Tensor
    terms: dict[str, torch.Tensor]
    kl_per_dim: torch.Tensor
    schedule: dict[str, float] = field(default_factory=dict)

    @property
    def reconstruction(self) -> torch.Tensor:
        return self.terms["reconstruction"]

    @property
    def kl(self) -> torch.Tensor:
        return self.terms["kl"]


class Objective(ABC):
    """Base: reconstruction + kl_weight · regulariser, the regulariser defined by each subclass."""

    name = "base"

    def __call__(self, fwd: ForwardPass, step: int, kl_weight: float = 1.0) -> LossRecord:
        kl_per_dim = gaussian_kl(fwd.mean, fwd.logvar).mean(0)
        kl = kl_per_dim.sum()
        reconstruction = fwd.reconstruction.mean()
        regulariser, terms, schedule = self.regulariser(fwd, kl, step)
        total = reconstruction + kl_weight * regulariser
        return LossRecord(total, {"reconstruction": reconstruction, "kl": kl, **terms}, kl_per_dim,
                          {**schedule, "kl_weight": float(kl_weight)})

    @abstractmethod
    def regulariser(self, fwd: ForwardPass, kl: torch.Tensor, step: int) -> tuple[torch.Tensor, dict, dict]:
        """The regulariser at optimiser step ``step``, its terms to log and its schedule values."""

    def update(self, fwd: ForwardPass, step: int) -> dict[str, float]:
        """Optimise anything of the objective's own after the model's step (FactorVAE's discriminator)."""
        return {}

    def params(self) -> dict:
        """The objective's parameters, for specs.json."""
        return {"objective": self.name}

    def schedule_steps(self) -> int:
        """Optimiser steps the schedule needs to reach its end (0: none)."""
        return 0

    def schedule_done(self, step: int) -> bool:
        """Whether every schedule has reached its end (early stopping waits for it)."""
        return step >= self.schedule_steps()

    def to(self, device: torch.device) -> "Objective":
        """Move any module of the objective to ``device``."""
        return self

    def state_dict(self) -> dict:
        """Everything a resumed training needs to continue this objective exactly."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
