"""Save and load trained models with their gene order (weights-only, safe to load)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from .model import Architecture, BetaVAE


def save_checkpoint(path: str | Path, model: BetaVAE, genes: list[str]) -> None:
    """Write the weights, the architecture and the gene order the model was trained on.

    Parameters
    ----------
    path
        Target file (``model.pt``); written atomically.
    model
        The trained network.
    genes
        Gene names in the order of the model's inputs.
    """
    if len(genes) != model.arch.n_input:
        raise ValueError(f"{len(genes)} genes given for a model of {model.arch.n_input} inputs")
    payload = {"state_dict": model.state_dict(), "architecture": model.arch.to_dict(), "genes": list(map(str, genes))}
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)  # atomic: the checkpoint is either complete or absent
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_checkpoint(path: str | Path) -> tuple[BetaVAE, list[str]]:
    """Rebuild a model (in eval mode) and its gene order from :func:`save_checkpoint`'s file."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = BetaVAE(Architecture(**payload["architecture"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, list(payload["genes"])
