"""Training objectives behind one interface (:class:`Objective`); build one by name with :func:`make_objective`."""

from .base import LossRecord, Objective, gaussian_kl
from .factorvae import FactorVAEObjective
from .kl import BetaObjective, CapacityObjective
from .tcvae import TCVAEObjective, decomposed_kl

OBJECTIVES = {cls.name: cls for cls in (BetaObjective, CapacityObjective, TCVAEObjective, FactorVAEObjective)}


def make_objective(settings: dict) -> Objective:
    """Build an objective from one model's settings (``objective`` and its parameters; other keys ignored)."""
    name = settings["objective"]
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; known: {sorted(OBJECTIVES)}")
    return OBJECTIVES[name].from_settings(settings)


__all__ = [
    "OBJECTIVES", "BetaObjective", "CapacityObjective", "FactorVAEObjective", "LossRecord", "Objective",
    "TCVAEObjective", "decomposed_kl", "gaussian_kl", "make_objective",
]
