"""Training settings, the divergence error and the device choice (torch only)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import torch

log = logging.getLogger(__name__)

LR_SCHEDULES = ("none", "plateau", "cosine")
DEVICES = ("cpu", "cuda")


class TrainingDiverged(FloatingPointError):
    """A loss term became NaN or infinite; the message names the epoch, the split and the term."""

    def __init__(self, epoch: int, step: int, split: str, term: str, value: float, learning_rate: float,
                 gradient_clip: float):
        fixes = [f"lower learning_rate (now {learning_rate:g})"]
        if not gradient_clip:
            fixes.append("set gradient_clip (e.g. 10) if the loss spikes before it diverges")
        fixes.append("check the input for extreme values")
        super().__init__(
            f"training diverged at epoch {epoch} (optimiser step {step}, {split} split): the {term} term became "
            f"{value}. Fix: {'; '.join(fixes)}."
        )
        self.epoch, self.term = epoch, term


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings (the network's sizes live in :class:`Architecture`).

    Parameters
    ----------
    epochs, batch_size, learning_rate, validation_fraction, seed
        As usual; ``seed`` fixes the weights, the split, the minibatch order and every sample.
    early_stopping_patience
        Epochs without a better validation ELBO (reconstruction + KL) before training stops and
        restores the best weights; 0 trains all ``epochs``. It counts only once the objective's
        schedule (capacity ramp) and the KL warm-up are done.
    kl_warmup
        Fraction of ``epochs`` over which the regulariser's weight rises linearly from 0 to 1, so
        the warm-up ends within the run whatever the data size (0: none).
    lr_schedule, lr_factor, lr_patience
        ``none``; ``plateau``: multiply the learning rate by ``lr_factor`` after ``lr_patience``
        epochs without a better validation ELBO (after the schedules); ``cosine``: anneal to 0 over ``epochs``.
    gradient_clip
        Maximum gradient norm (0: no clipping).
    checkpoint_every
        Save the whole training state every this many epochs (0: never), so that a killed run
        resumes where it was; does not change the result.
    device
        ``cuda`` when available, else (with a warning) ``cpu``.
    active_kl
        A dimension with more KL (nats) is counted active in the epoch log lines.
    """

    epochs: int = 200
    batch_size: int = 128
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    early_stopping_patience: int = 15
    seed: int = 0
    kl_warmup: float = 0.0
    lr_schedule: str = "none"
    lr_factor: float = 0.5
    lr_patience: int = 5
    gradient_clip: float = 0.0
    checkpoint_every: int = 10
    device: str = "cpu"
    active_kl: float = 0.05

    def __post_init__(self):
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown lr_schedule {self.lr_schedule!r}; known: {LR_SCHEDULES}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}; known: {DEVICES}")
        if not 0 <= self.kl_warmup <= 1:
            raise ValueError(f"kl_warmup is a fraction of the epochs in [0, 1], got {self.kl_warmup}")

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_device(requested: str) -> torch.device:
    """``cuda`` if asked for and available, else ``cpu`` (with a warning when cuda was asked for)."""
    if requested == "cuda":
        if torch.cuda.is_available():
            return torch.device("cuda")
        log.warning("device: cuda was asked for but torch sees no CUDA device; training on the CPU")
    return torch.device("cpu")
