"""Per-epoch statistics of the loss terms, the epoch's log line, and the long-format history."""

from __future__ import annotations

import numpy as np

from .objectives import LossRecord

ID_COLUMNS = ("epoch", "split", "step")


class EpochStats:
    """Cell-weighted means of every loss term over one pass, KL per dimension, last schedule values."""

    def __init__(self, n_latent: int):
        self.n = 0
        self.sums: dict[str, float] = {}
        self.kl_dims = np.zeros(n_latent)
        self.schedule: dict[str, float] = {}

    def add(self, rec: LossRecord, n: int, updates: dict[str, float] | None = None) -> None:
        """Add one minibatch of ``n`` cells: its loss terms and the objective's own updates."""
        self.n += n
        values = {"loss": rec.total.item(), **{k: v.item() for k, v in rec.terms.items()}, **(updates or {})}
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * n
        self.kl_dims += rec.kl_per_dim.detach().cpu().numpy() * n
        self.schedule = rec.schedule

    def row(self, epoch: int, split: str, step: int, lr: float) -> dict:
        """One wide row: ids, mean terms, ``elbo_loss`` (reconstruction + KL), ``kl_z{k}``, schedules, lr."""
        row = {"epoch": epoch, "split": split, "step": step}
        row.update({k: v / self.n for k, v in self.sums.items()})
        row["elbo_loss"] = row["reconstruction"] + row["kl"]
        row.update({f"kl_z{k}": float(v) / self.n for k, v in enumerate(self.kl_dims)})
        row.update({k: float(v) for k, v in self.schedule.items()})
        row["lr"] = float(lr)
        return row


def kl_per_dim(row: dict) -> np.ndarray:
    """The ``kl_z{k}`` values of a history row, in dimension order."""
    return np.array([row[f"kl_z{k}"] for k in range(sum(key.startswith("kl_z") for key in row))])


def epoch_line(epoch: int, epochs: int, rows: list[dict], active_kl: float) -> str:
    """One log line per epoch: each split's loss terms, then KL per dimension and active dimensions."""
    parts = [f"epoch {epoch}/{epochs}"]
    skip = {*ID_COLUMNS, "lr", "kl_weight", "beta", "gamma", "capacity"}
    for row in rows:
        terms = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if k not in skip and not k.startswith("kl_z"))
        parts.append(f"{row['split']}: {terms}")
    kl = kl_per_dim(rows[-1])
    parts.append(f"KL/dim [{' '.join(f'{v:.2f}' for v in kl)}]  active {(kl > active_kl).sum()}/{len(kl)}")
    last = rows[0]
    schedule = "  ".join(f"{k} {last[k]:.4g}" for k in ("lr", "kl_weight", "capacity") if k in last)
    return " | ".join([*parts, schedule])


def long_rows(history: list[dict]) -> list[dict]:
    """The wide history as long-format rows: epoch, split, step, term, value."""
    return [
        {**{k: row[k] for k in ID_COLUMNS}, "term": term, "value": float(value)}
        for row in history
        for term, value in row.items()
        if term not in ID_COLUMNS
    ]
