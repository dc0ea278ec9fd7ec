"""Trained models with their gene order, and mid-training states to resume from (weights-only, safe to load)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..io.files import atomic_output
from .model import Architecture, BetaVAE


def atomic_save(payload: dict, path: str | Path) -> None:
    """``torch.save`` to a temporary name, then rename: the file is either complete or absent."""
    with atomic_output(path) as tmp:
        torch.save(payload, tmp)


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
    state = {k: v.cpu() for k, v in model.state_dict().items()}
    atomic_save({"state_dict": state, "architecture": model.arch.to_dict(), "genes": list(map(str, genes))}, path)


def load_checkpoint(path: str | Path) -> tuple[BetaVAE, list[str]]:
    """Rebuild a model (in eval mode, on CPU) and its gene order from :func:`save_checkpoint`'s file."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = BetaVAE(Architecture(**payload["architecture"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, list(payload["genes"])


def load_training_state(path: str | Path | None, fingerprint: str) -> dict | None:
    """The state saved by a training with the same ``fingerprint``, or None (absent or other settings)."""
    if path is None or not Path(path).exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state if state.get("fingerprint") == fingerprint else None
