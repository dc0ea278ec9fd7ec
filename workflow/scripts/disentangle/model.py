"""The AnnData-facing side of the β-VAE (the torch module lives in ``vae``): train, export.

As in scvi-tools, the module knows tensors only; this layer picks the matrix, the genes and the
likelihood from an AnnData and writes the results back into scverse slots.
"""

from __future__ import annotations

import json
import logging

import anndata as ad
import numpy as np
import pandas as pd
import torch

from . import keys, vae
from .errors import InputError
from .interpret import pole_effects, traversal_grid
from .io.files import write_table, write_text
from .io.validate import matrix_stats
from .runlog import library_versions
from .specs import flat_params

log = logging.getLogger(__name__)

ARCH_KEYS = ("n_latent", "n_hidden", "n_layers", "norm", "dropout", "decoder")
TRAINING_KEYS = tuple(vae.TrainingConfig.__dataclass_fields__)


def resolve_likelihood(likelihood: str, values: str) -> str:
    """``auto`` -> negative binomial for counts, Gaussian otherwise; a count likelihood needs counts."""
    if likelihood == "auto":
        return "nb" if values == "counts" else "gaussian"
    if likelihood in vae.COUNT_LIKELIHOODS and values != "counts":
        raise InputError("config.yaml", f"likelihood {likelihood} needs raw counts but the dataset has values: log_expression",
                         "set likelihood: gaussian (or auto) for this model")
    return likelihood


def check_counts(x, source, likelihood: str) -> None:
    """Raise unless ``x`` holds finite non-negative integers, as a count likelihood needs.

    Parameters
    ----------
    x
        The training matrix (sparse or dense), scanned by :func:`disentangle.io.validate.matrix_stats`.
    source
        The file it came from, for the message.
    likelihood
        The count likelihood asked for.
    """
    st = matrix_stats(x)
    n_not_finite = st.n_nan + st.n_posinf + st.n_neginf
    if st.n_negative or st.n_non_integer or n_not_finite:
        example = [float(f"{v:.4g}") for v in st.non_integer_examples]
        raise InputError(source, f"likelihood {likelihood} needs non-negative integer counts, but layers['counts'] holds "
                         f"{st.n_negative} negative, {st.n_non_integer} non-integer (e.g. {example}) and "
                         f"{n_not_finite} NaN or infinite values",
                         "give raw counts (values: counts), or set likelihood: gaussian for log-scale data")


def training_matrix(adata: ad.AnnData, likelihood: str):
    """The HVG matrix the model sees: raw counts for count likelihoods, X otherwise (CSR when sparse)."""
    hvg = adata.var[keys.HVG].to_numpy() if keys.HVG in adata.var else np.ones(adata.n_vars, bool)
    sub = adata[:, hvg]
    x = sub.layers[keys.COUNTS_LAYER] if likelihood in vae.COUNT_LIKELIHOODS else sub.X
    x = x.tocsr() if hasattr(x, "tocsr") else np.asarray(x)
    return x, list(sub.var_names)


def train_model(adata: ad.AnnData, *, settings: dict, values: str = "counts", source="preprocessed data",
                checkpoint_path=None) -> tuple[vae.TrainingResult, dict]:
    """Train one β-VAE on a preprocessed AnnData.

    Parameters
    ----------
    adata
        Output of :func:`disentangle.pp.preprocess` (``var["highly_variable"]``, ``layers["counts"]``).
    settings
        One model's config: objective and its parameters, architecture and training keys.
    values
        ``counts`` or ``log_expression``: picks the likelihood when it is ``auto``.
    source
        The file ``adata`` was read from, for error messages.
    checkpoint_path
        Training state saved during training and resumed from (see :func:`disentangle.vae.train`).

    Returns
    -------
    The training result and the specs (every parameter, the genes, library versions).
    """
    likelihood = resolve_likelihood(settings.get("likelihood", "auto"), values)
    x, genes = training_matrix(adata, likelihood)
    if likelihood in vae.COUNT_LIKELIHOODS:
        check_counts(x, source, likelihood)
    if x.shape[0] < 2:
        raise InputError(source, f"only {x.shape[0]} cells left to train on", "relax the QC thresholds")
    arch = vae.Architecture(n_input=len(genes), likelihood=likelihood, **{k: settings[k] for k in ARCH_KEYS if k in settings})
    if arch.n_latent >= arch.n_input:
        log.warning("%d latent dimensions for %d genes: most dimensions can only collapse", arch.n_latent, arch.n_input)
    config = vae.TrainingConfig(**{k: settings[k] for k in TRAINING_KEYS if k in settings})
    objective = vae.make_objective({"n_latent": arch.n_latent, **settings})
    log.info("training on %d cells x %d genes: %s, %s, %s", x.shape[0], len(genes), arch, objective.params(), config)
    result = vae.train(x, arch, objective, config, checkpoint_path=checkpoint_path)
    specs = {
        "architecture": arch.to_dict(),
        "objective": objective.params(),
        "training": config.to_dict(),
        "values": values,
        "genes": genes,
        "n_cells": int(x.shape[0]),
        "n_train_cells": int(len(result.train_cells)),
        "n_validation_cells": int(len(result.validation_cells)),
        "best_epoch": int(result.best_epoch),
        "epochs_run": int(result.history[-1]["epoch"]),
        "resumed_from_epoch": int(result.resumed_from),
        "device": result.device,
        "versions": library_versions(),
    }
    return result, specs


def write_training_outputs(result: vae.TrainingResult, specs: dict, *, model_path, specs_path, losses_path) -> None:
    """Write model.pt (weights + gene order), specs.json and losses.tsv (long: epoch, split, step, term, value).

    Parameters
    ----------
    result, specs
        From :func:`train_model`.
    model_path, specs_path, losses_path
        The three target files.
    """
    vae.save_checkpoint(model_path, result.model, specs["genes"])
    write_text(specs_path, json.dumps(specs, indent=2))
    write_table(pd.DataFrame(vae.long_rows(result.history)), losses_path)


def export_latent(
    adata: ad.AnnData,
    *,
    model_path,
    specs: dict,
    quantiles: tuple[float, float] = (0.02, 0.98),
    steps: int = 9,
    active_kl: float = 0.05,
) -> ad.AnnData:
    """The latent space of every cell as a new AnnData over the model's genes.

    Parameters
    ----------
    adata
        The preprocessed data the model was trained on.
    model_path
        ``model.pt`` from :func:`write_training_outputs`.
    specs
        The model's specs (``specs.json``).
    quantiles
        Traversal range of each dimension, as quantiles of its posterior means.
    steps
        Points of each dimension's traversal, both poles included.
    active_kl
        A dimension is active when its KL (nats, mean over cells) exceeds this.

    Slots written: ``obsm["X_latent"]`` (posterior means; ``sc.pl.embedding(a, basis="latent")``),
    ``obsm["latent_logvar"]``, ``varm["latent_traversal"]`` (genes x dims, decoded log-expression
    change from the low to the high pole), ``varm["latent_loadings"]`` (linear decoders only: genes x dims
    weights, on the logit scale for count likelihoods), ``uns["latent"]`` (model specs, ``kl_per_dim`` over
    all cells, ``active`` = KL > ``active_kl``, and under ``traversal`` the reference, the ranges,
    ``positions`` (dims x steps) and ``decoded`` (dims x steps x genes, float32: the decoded
    expression along each dimension's traversal, see :func:`~disentangle.interpret.traversal_grid`)). X and obs are
    those of ``adata`` (log-normalised expression, annotations carried over).
    """
    model, genes = vae.load_checkpoint(model_path)
    missing = pd.Index(genes).difference(adata.var_names)
    if len(missing):
        raise InputError(model_path, f"{len(missing)} genes of the model are absent from the data (e.g. {list(missing[:3])})",
                         "export with the preprocessed data the model was trained on")
    likelihood = specs["architecture"]["likelihood"]
    x, _ = training_matrix(adata[:, genes], likelihood)
    mean, logvar = vae.latent_representation(model, x)
    kl = vae.gaussian_kl(torch.from_numpy(mean), torch.from_numpy(logvar)).mean(0).numpy()
    target_sum = adata.uns.get(keys.PREPROCESS_UNS, {}).get(keys.PARAMS, {}).get("target_sum", 1e4)
    reference, positions, decoded = traversal_grid(model, mean, steps=steps, quantiles=quantiles, target_sum=target_sum)
    effects = pole_effects(decoded)
    latent = ad.AnnData(X=adata[:, genes].X.copy(), obs=adata.obs.copy(), var=adata[:, genes].var.copy(),
                        obsm={k: v for k, v in adata.obsm.items()})
    latent.obsm[keys.LATENT_MEAN] = mean
    latent.obsm[keys.LATENT_LOGVAR] = logvar
    latent.varm[keys.TRAVERSAL_EFFECT] = effects
    if model.loadings() is not None:
        latent.varm[keys.DECODER_LOADINGS] = model.loadings().astype(np.float64)
    latent.uns[keys.LATENT_UNS] = {
        "model": specs.get("wildcards", {}).get("model", ""),
        "dataset": specs.get("wildcards", {}).get("dataset", ""),
        keys.PARAMS: flat_params(specs),
        keys.KL_PER_DIM: kl.astype(float),
        keys.ACTIVE: kl > active_kl,
        keys.ACTIVE_KL: float(active_kl),
        keys.TRAVERSAL: {"quantiles": list(quantiles), "reference": reference, "low": positions[:, 0],
                         "high": positions[:, -1], keys.TRAVERSAL_POSITIONS: positions,
                         keys.TRAVERSAL_DECODED: decoded.astype(np.float32)},
    }
    log.info("KL per dimension: %s; %d of %d active", np.round(kl, 3).tolist(), int((kl > active_kl).sum()), len(kl))
    return latent
