"""Objectives that weigh the whole KL: β-VAE (Higgins 2017) and controlled capacity (Burgess 2018)."""

from __future__ import annotations

from .base import Objective


class BetaObjective(Objective):
    """β-VAE (Higgins et al. 2017): reconstruction + β·KL; β = 1 is the plain VAE."""

    name = "beta"

    def __init__(self, beta: float = 1.0):
        if beta <= 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        self.beta = float(beta)

    @classmethod
    def from_settings(cls, settings: dict) -> "BetaObjective":
        return cls(settings.get("beta", 1.0))

    def regulariser(self, fwd, kl, step):
        return self.beta * kl, {}, {"beta": self.beta}

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

    @classmethod
    def from_settings(cls, settings: dict) -> "CapacityObjective":
        return cls(settings["gamma"], settings["capacity_max"], settings["capacity_steps"])

    def capacity(self, step: int) -> float:
        """C at optimiser step ``step`` (nats per cell)."""
        return self.capacity_max * min(step, self.capacity_steps) / self.capacity_steps

    def schedule_steps(self) -> int:
        return self.capacity_steps

    def regulariser(self, fwd, kl, step):
        c = self.capacity(step)
        gap = (kl - c).abs()
        return self.gamma * gap, {"capacity_gap": gap}, {"capacity": c, "gamma": self.gamma}

    def params(self):
        return {"objective": self.name, "gamma": self.gamma, "capacity_max": self.capacity_max,
                "capacity_steps": self.capacity_steps}
