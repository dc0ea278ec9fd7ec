"""The comparison page of a dataset: its models side by side, and which dimension of which model
captures each gene set.

Tables in, rows for the page out (pandas only, no HTML); :mod:`.comparison_page` renders them and
:mod:`.comparison_plots` draws the figure. The page lives at ``results/{dataset}/comparison/index.html``,
so every link to a model's report is relative to that folder: ``../{model}/report/index.html`` and
``../{model}/report/dim_{k}.html``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import keys
from .tables import DASH, fmt_fixed, fmt_nes, fmt_num, fmt_p

MAX_TERMS = 150  # rows of the gene set x model matrix; the rest are counted in a note

# (column of summary.tsv, header, decimals; None for counts), shown when the column has a finite value
MODEL_COLUMNS = [
    ("reconstruction_validation", "recon. NLL (val.)", 1),
    ("kl_total", "KL (nats)", 2),
    ("n_active", "active dims", None),
    ("one_to_one", "one-to-one", 3),
    ("coverage", "coverage", 3),
    ("mean_dims_per_term", "dims per term", 2),
    ("nes_gap", "NES gap", 3),
    ("factors.mig", "MIG", 3),
    ("factors.dci_disentanglement", "DCI dis.", 3),
    ("factors.sap", "SAP", 3),
    ("one_vs_rest.mig", "MIG (one vs rest)", 3),
    ("one_vs_rest.dci_disentanglement", "DCI dis. (one vs rest)", 3),
    ("programs.recovered_once", "programs in one dim", 3),
    ("intervention.factor_vae_eval_accuracy", "FactorVAE score", 3),
]
# summary.tsv parameter columns that set an objective's strength, and their symbols
STRENGTH_SYMBOLS = {"beta": "β", "alpha": "α", "gamma": "γ", "capacity_max": "C"}
STRENGTH_OF = {"beta": ["beta"], "capacity": ["gamma", "capacity_max"], "tcvae": ["alpha", "beta", "gamma"],
               "factorvae": ["gamma"]}


def setting_of(model: str) -> str:
    """A model's setting: its name without the ``_seed{n}`` suffix (``beta4_seed2`` -> ``beta4``)."""
    return re.sub(r"_seed\d+$", "", str(model))


def report_href(model: str) -> str:
    """The link from the comparison page to a model's report."""
    return f"../{model}/report/index.html"


def dimension_href(model: str, dimension: str) -> str | None:
    """The link from the comparison page to a dimension's page (``z4`` -> ``dim_4.html``), if it is one."""
    match = re.fullmatch(r"z(\d+)", str(dimension))
    return f"../{model}/report/dim_{int(match.group(1))}.html" if match else None


def grouped_models(models: list[str]) -> list[str]:
    """The models with those of one setting next to each other; settings in order of first appearance."""
    settings = list(dict.fromkeys(setting_of(m) for m in models))
    return sorted(models, key=lambda m: settings.index(setting_of(m)))  # sorted is stable: seeds keep their order


def column_groups(models: list[str]) -> list[dict]:
    """Runs of consecutive models of one setting: ``{"setting", "models", "span"}``, for a grouped header row."""
    groups: list[dict] = []
    for model in models:
        if groups and groups[-1]["setting"] == setting_of(model):
            groups[-1]["models"].append(model)
        else:
            groups.append({"setting": setting_of(model), "models": [model]})
    return [{**group, "span": len(group["models"])} for group in groups]


def _seed_label(model: str) -> str:
    """What tells a model apart within its setting: ``beta4_seed2`` -> ``seed2`` (else the name)."""
    return str(model)[len(setting_of(model)):].lstrip("_") or str(model)


def navigation(models: list[str]) -> list[dict]:
    """Links to the models' reports, one group per setting: ``{"label", "models": [{"label", "href"}]}``.

    A setting of one model named like the setting (``vae``) is a bare link; the seeds of a
    setting are listed after it (``beta4: seed0 seed1``).
    """
    nav = []
    for group in column_groups(grouped_models(models)):
        bare = group["models"] == [group["setting"]]
        links = [{"label": m if bare else _seed_label(m), "href": report_href(m)} for m in group["models"]]
        nav.append({"label": "" if bare else group["setting"], "models": links})
    return nav


def _strength(row: Mapping) -> str:
    """The objective's parameters of one summary row, e.g. ``β=4`` or ``γ=50, C=10``."""
    parts = []
    for column in STRENGTH_OF.get(row.get("objective"), []):
        value = pd.to_numeric(row.get(column), errors="coerce")
        if pd.notna(value):
            parts.append(f"{STRENGTH_SYMBOLS[column]}={float(value):g}")
    return ", ".join(parts) or DASH


def _shown_columns(summary: pd.DataFrame) -> list[tuple[str, str, int | None]]:
    return [c for c in MODEL_COLUMNS
            if c[0] in summary and np.isfinite(pd.to_numeric(summary[c[0]], errors="coerce")).any()]


def _format(value, decimals: int | None) -> str:
    if pd.isna(value):
        return DASH
    return fmt_num(int(value)) if decimals is None else fmt_fixed(value, decimals)


def model_table(summary: pd.DataFrame, models: list[str] | None = None) -> tuple[list[str], list[dict]]:
    """The models side by side: parameters, reconstruction and every score present, formatted.

    Parameters
    ----------
    summary
        ``summary.tsv`` of rule summarize: one row per model (``model``, ``objective``, its
        parameters, ``seed``, ``reconstruction_validation`` and the model-level scores).
    models
        The models to show, in this order; default all of ``summary``, grouped by setting.

    Returns
    -------
    The score headers, and one row per model: ``model``, ``href`` (its report, relative to the
    comparison page), ``setting``, ``objective``, ``strength`` (``β=4``, ``γ=50, C=10``),
    ``seed`` and ``values`` (one string per header; a dash where the score is missing).
    """
    models = grouped_models(list(summary["model"]) if models is None else list(models))
    missing = [m for m in models if m not in set(summary["model"])]
    if missing:
        raise KeyError(f"summary.tsv has no row for model(s) {missing}; rerun rule summarize")
    columns = _shown_columns(summary)
    by_model = summary.set_index("model")
    rows = []
    for model in models:
        row = by_model.loc[model].to_dict()
        rows.append({"model": model, "href": report_href(model), "setting": setting_of(model),
                     "objective": str(row.get("objective", DASH)), "strength": _strength(row),
                     "seed": _format(row.get("seed"), None),
                     "values": [_format(pd.to_numeric(row.get(c), errors="coerce"), d) for c, _, d in columns]})
    return [header for _, header, _ in columns], rows


def _significant(terms: pd.DataFrame, fdr: float) -> pd.DataFrame:
    """The rows of a model's ``terms.tsv`` significant in at least one of its active dimensions."""
    best_fdr = pd.to_numeric(terms["best_fdr"], errors="coerce")
    return terms[(best_fdr < fdr) & (pd.to_numeric(terms["n_dims"], errors="coerce") > 0)]


def _cell(model: str, row: Mapping) -> dict:
    """One matrix cell: the best dimension, its link, NES, FDR and the number of dimensions."""
    n_dims = int(row["n_dims"])
    dims = ", ".join(str(row["dims"]).split(",")) if pd.notna(row["dims"]) else ""
    return {"dimension": str(row["best_dimension"]), "href": dimension_href(model, row["best_dimension"]),
            "nes": fmt_nes(row["best_nes"]), "fdr": fmt_p(row["best_fdr"]), "n_dims": n_dims, "once": n_dims == 1,
            "title": f"{model}: NES {fmt_nes(row['best_nes'])}, FDR {fmt_p(row['best_fdr'])}; "
                     f"significant in {n_dims} dimension{'s' if n_dims != 1 else ''} ({dims})"}


def term_matrix(terms: Mapping[str, pd.DataFrame], *, fdr: float, max_terms: int = MAX_TERMS) -> dict:
    """Gene set x model: which dimension of each model captures each gene set best.

    Parameters
    ----------
    terms
        Model name -> its ``terms.tsv`` (library, term, n_dims, dims, best_dimension, best_nes,
        best_fdr; from :func:`disentangle.metrics.term_table`).
    fdr
        The significance threshold the terms tables were scored with (``enrichment.fdr``).
    max_terms
        Rows kept; the others are counted in ``n_left_out``.

    Returns
    -------
    dict: ``models`` (grouped by setting), ``columns`` (per model: ``model``, ``label`` (the seed when
    settings have several models, which a header row of settings then names), ``href`` to its report,
    ``first``: whether it opens such a setting), ``groups`` (:func:`column_groups`), ``grouped``,
    ``rows`` and ``n_terms`` (terms significant in at least one model), ``n_left_out``. A row holds
    ``library``, ``term``, ``n_models`` (models in which the term is significant) and ``cells``, one
    per model: ``None`` (shown as a dash) where the term's best FDR is not below ``fdr`` or it is
    significant in no active dimension, else :func:`_cell`'s dict with a link to the dimension's page.
    Rows are sorted by ``n_models`` (descending), then library and term.
    """
    models = grouped_models(list(terms))
    found: dict[tuple[str, str], dict[str, dict]] = {}
    for model in models:
        for row in _significant(terms[model], fdr).to_dict("records"):
            found.setdefault((str(row[keys.LIBRARY]), str(row[keys.TERM])), {})[model] = _cell(model, row)
    ordered = sorted(found.items(), key=lambda item: (-len(item[1]), item[0]))
    rows = [{"library": library, "term": term, "n_models": len(cells), "cells": [cells.get(m) for m in models]}
            for (library, term), cells in ordered[:max_terms]]
    groups = column_groups(models)
    firsts = {group["models"][0] for group in groups}
    grouped = len(groups) < len(models)  # some setting has several models: a header row of settings
    columns = [{"model": m, "label": _seed_label(m) if grouped else m, "href": report_href(m), "first": grouped and m in firsts}
               for m in models]
    return {"models": models, "columns": columns, "groups": groups, "grouped": grouped, "rows": rows, "n_terms": len(ordered),
            "n_left_out": max(len(ordered) - max_terms, 0)}
