"""The training loop: minibatches from a (sparse) matrix, Adam, validation, early stopping, resumable."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .batching import dense_rows, minibatches, split_cells
from .checkpoint import atomic_save, load_training_state
from .history import EpochStats, epoch_line
from .model import Architecture, BetaVAE
from .objectives import Objective
from .settings import TrainingConfig, TrainingDiverged, resolve_device

log = logging.getLogger(__name__)

IMPLAUSIBLE_KL_PER_DIM = 100.0  # nats: far beyond what any expression factor carries (a few nats)


@dataclass
class TrainingResult:
    """A trained model, its per-epoch history, which cells it was validated on, the epoch kept."""

    model: BetaVAE
    history: list[dict]
    train_cells: np.ndarray
    validation_cells: np.ndarray
    best_epoch: int
    resumed_from: int = 0
    device: str = "cpu"


@dataclass
class _LoopState:
    """Everything besides the modules that a resumed run needs to continue exactly."""

    epoch: int = 0
    step: int = 0
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_loss: float = float("inf")
    best_state: dict | None = None
    stopped: bool = False  # early stopping ended the run (a resumed run must not train on)


def fingerprint(x, arch: Architecture, objective: Objective, config: TrainingConfig) -> str:
    """A hash of the data and every setting that changes the result (a checkpoint of another run is ignored)."""
    h = hashlib.sha256()
    settings = {k: v for k, v in config.to_dict().items() if k not in ("checkpoint_every", "device", "active_kl")}
    h.update(json.dumps([arch.to_dict(), objective.params(), settings, list(x.shape)], sort_keys=True).encode())
    parts = (x.data, x.indices, x.indptr) if hasattr(x, "indptr") else (np.asarray(x),)
    for part in parts:
        h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def _make_scheduler(optimizer, config: TrainingConfig):
    if config.lr_schedule == "plateau":
        # threshold 0: any better validation ELBO counts as progress, as for early stopping
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.lr_factor, patience=config.lr_patience,
                                                          threshold=0.0)
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    return None


class _Trainer:
    """One training run's modules, RNGs and loop state; :meth:`run` trains, resuming when it can."""

    def __init__(self, x, arch: Architecture, objective: Objective, config: TrainingConfig):
        self.x, self.arch, self.objective, self.config = x, arch, objective, config
        self.device = resolve_device(config.device)
        torch.manual_seed(config.seed)
        self.model = BetaVAE(arch).to(self.device)
        objective.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate)
        self.scheduler = _make_scheduler(self.optimizer, config)
        self.rng = np.random.default_rng(config.seed)
        self.generator = torch.Generator(self.device).manual_seed(config.seed)
        self.val_generator = torch.Generator(self.device)
        self.train_cells, self.val_cells = split_cells(x.shape[0], config.validation_fraction, config.seed)
        if len(self.train_cells) < 2:
            raise ValueError(f"{len(self.train_cells)} training cell(s): at least 2 are needed")
        self.steps_per_epoch = len(minibatches(self.train_cells, config.batch_size))
        self.warmup_steps = round(config.kl_warmup * config.epochs * self.steps_per_epoch)
        self.state = _LoopState()
        self.fingerprint = fingerprint(x, arch, objective, config)
        self._check_sizes()

    def _check_sizes(self) -> None:
        """Log what the data sizes and schedules do to training, where a user would not expect it."""
        config, n_train, n_val = self.config, len(self.train_cells), len(self.val_cells)
        if config.batch_size > n_train:
            log.warning("batch_size %d exceeds the %d training cells: one minibatch of %d cells per epoch",
                        config.batch_size, n_train, n_train)
        if n_train % config.batch_size == 1 and n_train > 1:
            log.info("%d training cells leave a last minibatch of one cell; it joins the previous one", n_train)
        if n_val == 0:
            log.info("no validation cells: early stopping is off and lr_schedule plateau follows the training ELBO")
        elif n_val < 20:
            log.warning("only %d validation cells: the validation ELBO that early stopping follows is noisy", n_val)
        total_steps = config.epochs * self.steps_per_epoch
        if self.objective.schedule_steps() > total_steps:
            log.warning("the objective's schedule needs %d optimiser steps but %d epochs of %d steps give %d: "
                        "it will not end within the run (lower capacity_steps or raise epochs)",
                        self.objective.schedule_steps(), config.epochs, self.steps_per_epoch, total_steps)
        if config.kl_warmup and not self.warmup_steps:
            log.warning("kl_warmup %g of %d epochs x %d steps rounds to no step: no warm-up", config.kl_warmup,
                        config.epochs, self.steps_per_epoch)
        elif config.kl_warmup == 1 and (config.early_stopping_patience or config.lr_schedule == "plateau"):
            log.warning("kl_warmup 1 lasts the whole run: early stopping and lr_schedule plateau, which wait for "
                        "it to end, never act (use a fraction below 1)")

    def kl_weight(self, step: int) -> float:
        return min(1.0, step / self.warmup_steps) if self.warmup_steps else 1.0

    def _pass(self, cells: np.ndarray, split: str, epoch: int, generator, train: bool) -> EpochStats:
        stats = EpochStats(self.arch.n_latent)
        for rows in minibatches(cells, self.config.batch_size):
            batch = dense_rows(self.x, rows, self.device)
            with torch.set_grad_enabled(train):
                fwd = self.model(batch, generator, n_data=len(cells))
                rec = self.objective(fwd, self.state.step, self.kl_weight(self.state.step))
            for name, value in {**rec.terms, "loss": rec.total}.items():  # the first term to fail is named
                if not torch.isfinite(value):
                    raise TrainingDiverged(epoch, self.state.step, split, name, value.item(), self.config.learning_rate,
                                           self.config.gradient_clip)
            updates = {}
            if train:
                self.optimizer.zero_grad()
                rec.total.backward()
                if self.config.gradient_clip:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.gradient_clip)
                self.optimizer.step()
                updates = self.objective.update(fwd, self.state.step)
                self.state.step += 1
            stats.add(rec, len(rows), updates)
        return stats

    def _epoch(self, epoch: int) -> list[dict]:
        lr = self.optimizer.param_groups[0]["lr"]
        self.model.train()
        order = self.rng.permutation(self.train_cells)
        rows = [self._pass(order, "train", epoch, self.generator, train=True).row(epoch, "train", self.state.step, lr)]
        if len(self.val_cells):
            self.model.eval()
            self.val_generator.manual_seed(self.config.seed + 1)
            stats = self._pass(self.val_cells, "validation", epoch, self.val_generator, train=False)
            rows.append(stats.row(epoch, "validation", self.state.step, lr))
        return rows

    def _schedules_done(self) -> bool:
        return self.objective.schedule_done(self.state.step) and self.state.step >= self.warmup_steps

    def _should_stop(self, epoch: int, monitored: float) -> bool:
        """Track the best epoch; True when early stopping ends training."""
        config, state = self.config, self.state
        if not (config.early_stopping_patience and len(self.val_cells) and self._schedules_done()):
            state.best_epoch = epoch
            return False
        if monitored < state.best_loss:
            state.best_epoch, state.best_loss = epoch, monitored
            state.best_state = copy.deepcopy(self.model.state_dict())
            return False
        return epoch - state.best_epoch >= config.early_stopping_patience

    def _step_scheduler(self, monitored: float) -> None:
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            if self._schedules_done():
                self.scheduler.step(monitored)
        elif self.scheduler is not None:
            self.scheduler.step()

    def save(self, path: Path) -> None:
        """Write the whole training state at the end of the current epoch."""
        atomic_save({
            "fingerprint": self.fingerprint,
            "loop": {**vars(self.state)},
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
            "objective": self.objective.state_dict(),
            "rng": {"numpy": self.rng.bit_generator.state, "generator": self.generator.get_state(),
                    "torch": torch.get_rng_state()},
        }, path)

    def resume(self, path: Path | None) -> int:
        """Restore a saved state of this same run; returns the epoch it had finished (0: none)."""
        saved = load_training_state(path, self.fingerprint)
        if saved is None:
            if path is not None and Path(path).exists():
                log.warning("%s was saved by a run with other data or settings; training from the start", path)
            return 0
        self.state = _LoopState(**saved["loop"])
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(saved["scheduler"])
        self.objective.load_state_dict(saved["objective"])
        self.rng.bit_generator.state = saved["rng"]["numpy"]
        self.generator.set_state(saved["rng"]["generator"])
        torch.set_rng_state(saved["rng"]["torch"])
        log.info("resuming from %s after epoch %d (optimiser step %d)", path, self.state.epoch, self.state.step)
        return self.state.epoch

    def run(self, checkpoint_path: Path | None, on_epoch_end: Callable[[int], None] | None) -> TrainingResult:
        config = self.config
        resumed_from = self.resume(checkpoint_path)
        first = config.epochs + 1 if self.state.stopped else self.state.epoch + 1
        for epoch in range(first, config.epochs + 1):
            rows = self._epoch(epoch)
            self.state.history.extend(rows)
            log.info(epoch_line(epoch, config.epochs, rows, config.active_kl))
            monitored = rows[-1]["elbo_loss"]
            self.state.stopped = self._should_stop(epoch, monitored)
            self._step_scheduler(monitored)
            self.state.epoch = epoch
            if checkpoint_path is not None and config.checkpoint_every and epoch % config.checkpoint_every == 0:
                self.save(checkpoint_path)
            if on_epoch_end is not None:
                on_epoch_end(epoch)
            if self.state.stopped:
                log.info("early stopping at epoch %d; keeping epoch %d (validation ELBO loss %.2f)",
                         epoch, self.state.best_epoch, self.state.best_loss)
                break
        if self.state.best_state is not None:
            self.model.load_state_dict(self.state.best_state)
        self.model.eval()
        kl = self.state.history[-1]["kl"]
        if kl > IMPLAUSIBLE_KL_PER_DIM * self.arch.n_latent:
            log.warning("the KL ended at %.3g nats per cell (%.3g per dimension): the posterior has left the prior "
                        "far behind, which usually means a too high learning_rate (now %g)",
                        kl, kl / self.arch.n_latent, config.learning_rate)
        return TrainingResult(self.model, self.state.history, self.train_cells, self.val_cells,
                              self.state.best_epoch, resumed_from, str(self.device))


def train(x, arch: Architecture, objective: Objective, config: TrainingConfig, *,
          checkpoint_path: str | Path | None = None, on_epoch_end: Callable[[int], None] | None = None) -> TrainingResult:
    """Train a :class:`BetaVAE` on ``x`` (cells x genes, counts for the count likelihoods).

    Parameters
    ----------
    x
        scipy sparse matrix (CSR is fastest) or numpy array; minibatches are densified one at a time.
    arch, objective, config
        The network, the loss and the optimisation settings.
    checkpoint_path
        Where the training state is saved every ``config.checkpoint_every`` epochs. If it holds
        the state of this same run (same data and settings), training resumes from it, and the
        result is bit for bit that of an uninterrupted run.
    on_epoch_end
        Called with the epoch number after each epoch (and its checkpoint).

    Returns
    -------
    TrainingResult
        The model in eval mode (best validation epoch when early stopping) and one history row
        per epoch and split (``train``, ``validation``) with loss, every term of the objective,
        ``elbo_loss``, KL per dimension (``kl_z{k}``), schedule values and the learning rate.

    Raises
    ------
    TrainingDiverged
        A loss term became NaN or infinite.
    """
    if x.shape[1] != arch.n_input:
        raise ValueError(f"data have {x.shape[1]} genes, the architecture expects {arch.n_input}")
    trainer = _Trainer(x, arch, objective, config)
    return trainer.run(Path(checkpoint_path) if checkpoint_path is not None else None, on_epoch_end)


@torch.no_grad()
def latent_representation(model: BetaVAE, x, *, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances of every cell of ``x``.

    Parameters
    ----------
    model
        A trained model.
    x
        cells x genes, the same matrix kind the model was trained on (counts for count likelihoods).
    batch_size
        Cells encoded at once.

    Returns
    -------
    mean, logvar
        Two cells x dims arrays.
    """
    model.eval()
    device = next(model.parameters()).device
    means, logvars = [], []
    for start in range(0, x.shape[0], batch_size):
        mean, logvar = model.encoder(dense_rows(x, np.arange(start, min(start + batch_size, x.shape[0])), device))
        means.append(mean.cpu().numpy())
        logvars.append(logvar.cpu().numpy())
    return np.concatenate(means), np.concatenate(logvars)
