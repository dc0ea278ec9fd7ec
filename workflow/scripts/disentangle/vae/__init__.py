"""The β-VAE in PyTorch: modules, likelihoods, objectives, training loop, checkpoints (torch only)."""

from .checkpoint import load_checkpoint, save_checkpoint
from .model import Architecture, BetaVAE
from .objectives import BetaObjective, CapacityObjective, LossRecord, Objective, gaussian_kl, make_objective
from .training import TrainingConfig, TrainingResult, latent_representation, split_cells, train

__all__ = [
    "Architecture", "BetaVAE", "BetaObjective", "CapacityObjective", "LossRecord", "Objective",
    "TrainingConfig", "TrainingResult", "gaussian_kl", "latent_representation", "load_checkpoint",
    "make_objective", "save_checkpoint", "split_cells", "train",
]
