"""Judge one model's latent space, and put a dataset's models side by side (tables in, tables out)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from . import keys
from .factor_scoring import active_codes
from .io.files import write_table
from .metrics import categorical_mig, dimension_table, factor_kinds, geneset_scores, label_auroc, label_capture, term_table
from .metrics.factors import CONTINUOUS
from .specs import flat_params

log = logging.getLogger(__name__)

LABEL_COLUMNS = ["label", "category", "n_cells", "scored", "best_dim", "normalized_mi", "gap", "auroc"]
SUMMARY_PARAMS = ["objective", "beta", "gamma", "alpha", "tc_estimator", "capacity_max", "capacity_steps", "n_latent",
                  "likelihood", "decoder", "norm", "dropout", "kl_warmup", "lr_schedule", "seed", "best_epoch"]


def read_enrichment(paths) -> pd.DataFrame:
    """All enrichment tables of a model, concatenated (an empty table keeps the columns)."""
    frames = [pd.read_csv(p, sep="\t") for p in paths]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=keys.ENRICHMENT_COLUMNS)


def score_model(latent_path, enrichment_paths, *, fdr: float, labels: list[str]) -> dict[str, pd.DataFrame]:
    """Scores of one model from its latent.h5ad and enrichment tables.

    Parameters
    ----------
    latent_path
        ``latent.h5ad`` (obs labels, ``obsm["X_latent"]``, ``uns["latent"]``).
    enrichment_paths
        The model's enrichment tables, one per library.
    fdr
        Significance threshold on the FDR q-value.
    labels
        obs columns of known labels to score the latent space against.

    Returns
    -------
    dict of tables: ``scores`` (scope, metric, value: gene-set scores per library and pooled,
    label scores per label column on the active dimensions, latent statistics), ``dimensions`` (one row per dimension),
    ``terms`` (one row per tested term), ``labels`` (one row per label category).
    """
    latent = ad.read_h5ad(latent_path, backed="r")  # obs, obsm and uns suffice; X stays on disk
    info = latent.uns[keys.LATENT_UNS]
    kl, active = np.asarray(info[keys.KL_PER_DIM], float), np.asarray(info[keys.ACTIVE], bool)
    active_dims = {keys.dim_name(k) for k in np.flatnonzero(active)}
    enrichment = read_enrichment(enrichment_paths)
    terms = term_table(enrichment, fdr=fdr, active_dims=active_dims)
    scores = [geneset_scores(terms)]
    scores.append(pd.DataFrame({"scope": "latent", "metric": ["n_latent", "n_active", "kl_total"],
                                "value": [len(kl), int(active.sum()), float(kl.sum())]}))
    codes, names = active_codes(latent)  # label capture on the active dimensions, as factor_metrics.tsv
    capture = _label_tables(latent, labels, codes)
    for label, table in capture.items():
        scored = table[table["scored"]]
        scores.append(pd.DataFrame({
            "scope": f"label:{label}",
            "metric": ["mig", "mean_category_gap", "mean_normalized_mi", "n_categories"],
            "value": [categorical_mig(codes, latent.obs[label]),
                      scored["gap"].mean(), scored["normalized_mi"].mean(), len(scored)],
        }))
    first_label = next(iter(capture), None)
    auroc = label_auroc(latent.obsm[keys.LATENT_MEAN], latent.obs[first_label]) if first_label else None
    dimensions = dimension_table(enrichment, kl_per_dim=kl, active=active, fdr=fdr, label_auroc=auroc)
    label_rows = pd.concat([t.reset_index().assign(label=name) for name, t in capture.items()], ignore_index=True) if capture else pd.DataFrame(
        columns=LABEL_COLUMNS)
    if not label_rows.empty:
        label_rows["best_dim"] = label_rows["best_dim"].map(lambda k: names[int(k)])
        label_rows = label_rows[LABEL_COLUMNS]
    latent.file.close()
    return {"scores": pd.concat(scores, ignore_index=True), "dimensions": dimensions, "terms": terms, "labels": label_rows}


def _label_tables(latent: ad.AnnData, labels: list[str], codes: np.ndarray) -> dict[str, pd.DataFrame]:
    """Category capture of each discrete label; continuous ones (float columns: a dose, a phase)
    have no categories and are scored in ``factor_metrics.tsv`` instead."""
    tables = {}
    kinds = factor_kinds(latent.obs[list(labels)])
    for label in labels:
        column = latent.obs[label]
        if kinds[label] == CONTINUOUS:
            log.info("label %s is continuous: no categories to capture here (see factor_metrics.tsv)", label)
            continue
        if column.nunique() < 2:
            log.warning("label %s has fewer than two categories; not scored", label)
            continue
        tables[label] = label_capture(codes, column)
    return tables


def write_scores(result: dict[str, pd.DataFrame], **paths) -> None:
    """Write each table of :func:`score_model` to the path given under its name."""
    for name, path in paths.items():
        write_table(result[name], path)


def model_level_scores(scores: pd.DataFrame) -> dict[str, float]:
    """Flatten the scores table to ``{metric}`` (pooled scope) and ``{scope}.{metric}`` entries."""
    flat = {}
    for row in scores.itertuples(index=False):
        name = row.metric if row.scope in ("all", "latent") else f"{row.scope}.{row.metric}"
        flat[name] = row.value
    return flat


def validation_reconstruction(losses: pd.DataFrame, epoch: int) -> float:
    """The validation reconstruction error (negative log-likelihood per cell) at ``epoch``.

    ``losses`` is a model's long-format ``losses.tsv``. Falls back to the training split when
    no cell was held out.
    """
    at = losses[(losses["epoch"] == epoch) & (losses["term"] == "reconstruction")]
    split = at[at["split"] == "validation"] if (at["split"] == "validation").any() else at[at["split"] == "train"]
    return float(split["value"].iloc[0]) if len(split) else float("nan")


def summarize_models(models: list[str], score_paths, factor_paths, spec_paths, loss_paths) -> pd.DataFrame:
    """One row per model: its parameters, its reconstruction error, then every model-level score.

    Parameters
    ----------
    models
        Model names, in the order of the paths.
    score_paths, factor_paths, spec_paths, loss_paths
        Each model's ``disentanglement.tsv``, ``factor_metrics.tsv``, ``specs.json`` and ``losses.tsv``.
    """
    rows = []
    for model, score_path, factor_path, spec_path, loss_path in zip(models, score_paths, factor_paths, spec_paths, loss_paths):
        specs = json.loads(Path(spec_path).read_text())
        params = flat_params(specs)
        row = {"model": model, **{k: params.get(k) for k in SUMMARY_PARAMS}}
        row["reconstruction_validation"] = validation_reconstruction(pd.read_csv(loss_path, sep="\t"), specs["best_epoch"])
        row.update(model_level_scores(pd.read_csv(score_path, sep="\t")))
        row.update(model_level_scores(pd.read_csv(factor_path, sep="\t")))
        rows.append(row)
    return pd.DataFrame(rows)
