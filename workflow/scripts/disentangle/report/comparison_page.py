"""Write a dataset's comparison page: ``index.html`` from ``templates/comparison.html`` and its figure.

The page is rendered with autoescaping on (a gene set named ``<b>&`` shows as text) and written
through temporary names, ``index.html`` last, like :func:`.pages.write_model_report`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..io.files import write_text
from .comparison import MAX_TERMS, column_groups, grouped_models, model_table, navigation, term_matrix
from .comparison_plots import RECONSTRUCTION, plotted_scores, reconstruction_vs_scores
from .plots import save_figure
from .render import environment
from .tables import fmt_num

FIGURES = "figures"


def _scores_figure(compared: pd.DataFrame, figdir: Path) -> dict | None:
    """Draw reconstruction against the scores present; ``None`` when there is nothing to draw."""
    scores = plotted_scores(compared)
    if not scores or not np.isfinite(pd.to_numeric(compared[RECONSTRUCTION], errors="coerce")).any():
        return None
    path = save_figure(reconstruction_vs_scores(compared, scores), figdir / "reconstruction_vs_scores.png")
    return {"path": path, "src": f"{FIGURES}/{path.name}", "scores": [label for _, label in scores]}


def write_comparison(outdir: str | os.PathLike, *, summary: pd.DataFrame, terms: Mapping[str, pd.DataFrame],
                     fdr: float, title: str, max_terms: int = MAX_TERMS) -> list[Path]:
    """Write a dataset's comparison page ``index.html`` and its figure under ``figures/``.

    Parameters
    ----------
    outdir
        The comparison folder (``results/{dataset}/comparison``), created if needed; each model's
        report is linked at ``../{model}/report/``.
    summary
        ``summary.tsv``: one row per model (see :func:`.comparison.model_table`); it may hold more
        models than ``terms``.
    terms
        Model name -> its ``terms.tsv``; these models are compared, grouped by setting.
    fdr
        Significance threshold on the FDR q-value (the one the terms tables were scored with).
    title
        The page's heading.
    max_terms
        Rows of the gene set x model matrix.

    Returns
    -------
    The files written, ``index.html`` last: it is removed first and written once the figure is,
    so a failed run leaves no page.
    """
    outdir = Path(outdir)
    index_path = outdir / "index.html"
    (outdir / FIGURES).mkdir(parents=True, exist_ok=True)
    index_path.unlink(missing_ok=True)
    models = grouped_models(list(terms))
    headers, model_rows = model_table(summary, models)
    figure = _scores_figure(summary[summary["model"].isin(models)], outdir / FIGURES)
    html = environment().get_template("comparison.html").render(
        title=title, version=__version__, fdr=fmt_num(fdr), headers=headers, model_rows=model_rows,
        show_setting=any(row["setting"] != row["model"] for row in model_rows),
        n_settings=len(column_groups(models)), nav=navigation(models), scores_figure=figure,
        matrix=term_matrix(terms, fdr=fdr, max_terms=max_terms),
    )
    return [*([figure["path"]] if figure else []), write_text(index_path, html)]
