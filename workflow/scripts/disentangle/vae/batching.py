"""Cells into splits and minibatches, densified one minibatch at a time from a (sparse) matrix."""

from __future__ import annotations

import numpy as np
import torch


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


def minibatches(cells: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """``cells`` in consecutive minibatches of ``batch_size``, never one of a single cell.

    A remainder of one cell joins the last full minibatch (a one-cell batch breaks BatchNorm and
    gives a noisy step: scvi-tools#2314, #426); any other remainder is a smaller last batch.
    A single cell in all gives one batch of one (validation of a tiny split only).
    """
    batches = [cells[start : start + batch_size] for start in range(0, len(cells), batch_size)]
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2] = np.concatenate(batches[-2:])
        batches.pop()
    return batches


def dense_rows(x, rows: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Rows of a scipy sparse matrix or numpy array as a dense float32 tensor on ``device``."""
    block = x[rows]
    block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
    return torch.from_numpy(np.ascontiguousarray(block, dtype=np.float32)).to(device)
