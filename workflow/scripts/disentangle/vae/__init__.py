"""The β-VAE in PyTorch: modules, likelihoods, objectives, training loop, checkpoints (torch only)."""

from .batching import minibatches, split_cells
from .checkpoint import load_checkpoint, save_checkpoint
from .history import long_rows
from .likelihoods import COUNT_LIKELIHOODS, LIKELIHOODS
from .model import Architecture, BetaVAE, ForwardPass
from .objectives import (OBJECTIVES, BetaObjective, CapacityObjective, FactorVAEObjective, LossRecord, Objective,
                         TCVAEObjective, decomposed_kl, gaussian_kl, make_objective)
from .settings import TrainingConfig, TrainingDiverged, resolve_device
from .training import TrainingResult, latent_representation, train

__all__ = [
    "COUNT_LIKELIHOODS", "LIKELIHOODS", "OBJECTIVES", "Architecture", "BetaVAE", "BetaObjective", "CapacityObjective",
    "FactorVAEObjective", "ForwardPass", "LossRecord", "Objective", "TCVAEObjective", "TrainingConfig",
    "TrainingDiverged", "TrainingResult", "decomposed_kl", "gaussian_kl", "latent_representation", "load_checkpoint",
    "long_rows", "make_objective", "minibatches", "resolve_device", "save_checkpoint", "split_cells", "train",
]
