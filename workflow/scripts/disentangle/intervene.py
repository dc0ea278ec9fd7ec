"""Scores that need new cells with one factor fixed: a trained encoder applied to the simulator.

The BetaVAE and FactorVAE scores compare batches of cells that share the value of one factor
while the others vary. Observed data rarely allow that; a simulation does: the simulator draws
new cells for chosen factor values and the model encodes them exactly as it encoded its
training data (counts for a negative-binomial model, log1p of normalised counts otherwise).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import torch

from . import vae
from .metrics import beta_vae_score, factor_vae_score
from .simulate import Simulator

INTERVENTION_SCOPE = "intervention"


def simulated_representation(simulation: ad.AnnData, model_path, *, target_sum: float = 1e4):
    """The simulator behind ``simulation`` and a function encoding newly drawn cells with the model.

    Parameters
    ----------
    simulation
        The AnnData written by the ``simulate_dataset`` rule (its generative record).
    model_path
        ``model.pt`` of a model trained on that dataset.
    target_sum
        Normalisation target of the preprocessing, for models that read log-normalised data.

    Returns
    -------
    sample_factors, represent
        ``sample_factors(n, rng)`` draws factor values; ``represent(factors, rng)`` simulates
        cells with those values and returns their posterior means (cells x dims).
    """
    simulator = Simulator.from_anndata(simulation)
    model, genes = vae.load_checkpoint(model_path)
    position = pd.Index(simulator.genes).get_indexer(genes)
    if (position < 0).any():
        raise ValueError(f"{model_path}: {int((position < 0).sum())} genes of the model are not in the simulation")
    counts_model = model.arch.likelihood == "nb"

    def represent(factors: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        counts = simulator.counts(factors, rng)
        x = counts[:, position]
        if not counts_model:
            scale = target_sum / np.maximum(np.asarray(counts.sum(axis=1)).ravel(), 1)
            x = np.log1p(x.multiply(scale[:, None]).toarray())
        with torch.no_grad():
            return vae.latent_representation(model, x)[0]

    return simulator.sample_factors, represent


def interventional_scores(simulation: ad.AnnData, model_path, *, settings: dict, target_sum: float = 1e4) -> pd.DataFrame:
    """BetaVAE and FactorVAE scores of a model trained on simulated data (tidy: scope, metric, value).

    ``settings`` holds ``batch_size``, ``n_train``, ``n_eval``, ``n_variance`` and ``seed``
    (config ``factor_metrics``).
    """
    sample_factors, represent = simulated_representation(simulation, model_path, target_sum=target_sum)
    common = {k: settings[k] for k in ("batch_size", "n_train", "n_eval", "seed")}
    beta = beta_vae_score(sample_factors, represent, **common)
    factor = factor_vae_score(sample_factors, represent, n_variance=settings["n_variance"], **common)
    values = {f"beta_vae_{k}": v for k, v in beta.items() if np.isscalar(v)}
    values.update({f"factor_vae_{k}": v for k, v in factor.items() if np.isscalar(v)})
    return pd.DataFrame({"scope": INTERVENTION_SCOPE, "metric": list(values), "value": [float(v) for v in values.values()]})
