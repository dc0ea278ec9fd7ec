"""The training loop: minibatches straight from a (sparse) matrix, Adam, held-out validation cells."""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .model import Architecture, BetaVAE
from .objectives import Objective, gaussian_kl

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings (the network's sizes live in :class:`Architecture`).

    ``early_stopping_patience`` epochs without a better validation ELBO (reconstruction + KL)
    stop training and restore the best weights; 0 trains all ``epochs``. Patience counts only
    once the objective's schedule (the capacity ramp) is done.
    """

    epochs: int = 200
    batch_size: int = 128
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    early_stopping_patience: int = 15
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainingResult:
    """A trained model, its per-epoch history, which cells it was validated on, the epoch kept."""

    model: BetaVAE
    history: list[dict]
    train_cells: np.ndarray
    validation_cells: np.ndarray
    best_epoch: int


def split_cells(n_cells: int, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/validation split of cell indices; at least one training cell is kept.

    Returns
    -------
    train, validation
        Sorted index arrays; ``round(n_cells * validation_fraction)`` validation cells.
    """
    order = np.random.default_rng(seed).permutation(n_cells)
    n_val = min(int(round(n_cells * validation_fraction)), n_cells - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def dense_rows(x, rows: np.ndarray) -> torch.Tensor:
    """Rows of a scipy sparse matrix or numpy array as a dense float32 tensor."""
    block = x[rows]
    block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
    return torch.from_numpy(np.ascontiguousarray(block, dtype=np.float32))


class _EpochStats:
    """Cell-weighted sums of the loss terms over one pass."""

    def __init__(self, n_latent: int):
        self.n = 0
        self.sums = {"loss": 0.0, "reconstruction": 0.0, "kl": 0.0}
        self.kl_dims = np.zeros(n_latent)
        self.extra: dict = {}

    def add(self, rec, n: int) -> None:
        self.n += n
        self.sums["loss"] += rec.total.item() * n
        self.sums["reconstruction"] += rec.reconstruction.item() * n
        self.sums["kl"] += rec.kl.item() * n
        self.kl_dims += rec.kl_per_dim.detach().numpy() * n
        self.extra = rec.extra

    def row(self, epoch: int, split: str, step: int) -> dict:
        row = {"epoch": epoch, "split": split, "step": step}
        row.update({k: v / self.n for k, v in self.sums.items()})
        row["elbo_loss"] = row["reconstruction"] + row["kl"]
        row.update({f"kl_z{k}": v / self.n for k, v in enumerate(self.kl_dims)})
        row.update(self.extra)
        return row


def _batches(cells: np.ndarray, batch_size: int):
    for start in range(0, len(cells), batch_size):
        yield cells[start : start + batch_size]


def _pass(model, objective, x, cells, *, batch_size, step, generator, optimizer=None):
    """One pass over ``cells``; trains when an optimizer is given. Returns stats and the step."""
    stats = _EpochStats(model.arch.n_latent)
    for rows in _batches(cells, batch_size):
        batch = dense_rows(x, rows)
        with torch.set_grad_enabled(optimizer is not None):
            mean, logvar, _, decoded = model(batch, generator)
            recon = model.likelihood.nll(batch, decoded, batch.sum(1, keepdim=True))
            rec = objective(recon, gaussian_kl(mean, logvar), step)
        if optimizer is not None:
            optimizer.zero_grad()
            rec.total.backward()
            optimizer.step()
            step += 1
        stats.add(rec, batch.shape[0])
    return stats, step


def train(x, arch: Architecture, objective: Objective, config: TrainingConfig) -> TrainingResult:
    """Train a :class:`BetaVAE` on ``x`` (cells x genes, counts for the NB likelihood).

    Parameters
    ----------
    x
        scipy sparse matrix (CSR is fastest) or numpy array; minibatches are densified one at a time.
    arch, objective, config
        The network, the loss and the optimisation settings. ``config.seed`` fixes the weights,
        the validation split, the minibatch order and the reparameterisation noise.

    Returns
    -------
    TrainingResult
        The model in eval mode (best validation epoch when early stopping) and one history row
        per epoch and split (``train``, ``validation``) with loss, reconstruction, KL, KL per
        dimension (``kl_z{k}``) and the schedule values.
    """
    if x.shape[1] != arch.n_input:
        raise ValueError(f"data have {x.shape[1]} genes, the architecture expects {arch.n_input}")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    val_generator = torch.Generator()
    model = BetaVAE(arch)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    train_cells, val_cells = split_cells(x.shape[0], config.validation_fraction, config.seed)
    history: list[dict] = []
    step, best_epoch, best_loss, best_state = 0, 0, np.inf, None
    for epoch in range(1, config.epochs + 1):
        model.train()
        stats, step = _pass(model, objective, x, rng.permutation(train_cells),
                            batch_size=config.batch_size, step=step, generator=generator, optimizer=optimizer)
        history.append(stats.row(epoch, "train", step))
        if len(val_cells):
            model.eval()
            val_generator.manual_seed(config.seed + 1)
            stats, _ = _pass(model, objective, x, val_cells, batch_size=config.batch_size, step=step, generator=val_generator)
            history.append(stats.row(epoch, "validation", step))
        last = history[-1]
        log.info("epoch %d/%d  %s loss %.2f  recon %.2f  KL %.2f", epoch, config.epochs, last["split"], last["loss"], last["reconstruction"], last["kl"])
        if not np.isfinite(last["loss"]):
            raise FloatingPointError(f"loss became {last['loss']} at epoch {epoch}; lower the learning rate")
        if not (config.early_stopping_patience and len(val_cells) and objective.schedule_done(step)):
            best_epoch = epoch
            continue
        if last["elbo_loss"] < best_loss:
            best_epoch, best_loss, best_state = epoch, last["elbo_loss"], copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= config.early_stopping_patience:
            log.info("early stopping at epoch %d; keeping epoch %d (validation ELBO loss %.2f)", epoch, best_epoch, best_loss)
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainingResult(model, history, train_cells, val_cells, best_epoch)


@torch.no_grad()
def latent_representation(model: BetaVAE, x, *, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances of every cell of ``x``.

    Parameters
    ----------
    model
        A trained model.
    x
        cells x genes, the same matrix kind the model was trained on (counts for NB).
    batch_size
        Cells encoded at once.

    Returns
    -------
    mean, logvar
        Two cells x dims arrays.
    """
    model.eval()
    means, logvars = [], []
    for rows in _batches(np.arange(x.shape[0]), batch_size):
        mean, logvar = model.encoder(dense_rows(x, rows))
        means.append(mean.numpy())
        logvars.append(logvar.numpy())
    return np.concatenate(means), np.concatenate(logvars)
