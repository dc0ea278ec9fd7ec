"""The comparison page of a dataset: model table, gene set x model matrix, figure, page and links."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape

import numpy as np
import pandas as pd
import pytest

from disentangle.report.comparison import model_table, navigation, setting_of, term_matrix
from disentangle.report.comparison_page import write_comparison
from disentangle.report.comparison_plots import reconstruction_vs_scores

from ..conftest import REPO

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NASTY = "<b>&x"  # a term name that must show as text
FDR = 0.05
# summary.tsv order on purpose not grouped by setting: the page puts the two beta4 seeds side by side
MODELS = ["beta4_seed0", "vae", "beta4_seed1"]
GROUPED = ["beta4_seed0", "beta4_seed1", "vae"]


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame({
        "model": MODELS, "objective": ["beta", "beta", "beta"], "beta": [4.0, 1.0, 4.0], "gamma": [np.nan] * 3,
        "seed": [0, 0, 1], "reconstruction_validation": [660.46, 655.92, 661.04], "n_active": [9.0, 10.0, 8.0],
        "one_to_one": [0.5, 0.25, 0.6], "coverage": [0.4, 0.5, 0.3], "mean_dims_per_term": [2.0, 3.5, 1.5],
        "factors.mig": [0.12, 0.03, 0.2], "factors.dci_disentanglement": [np.nan] * 3,
        "one_vs_rest.dci_disentanglement": [0.3, np.nan, 0.35],
    })


def _terms(*rows) -> pd.DataFrame:
    """A terms.tsv: (library, term, n_dims, dims, best_dimension, best_nes, best_fdr) per row."""
    return pd.DataFrame(rows, columns=["library", "term", "n_dims", "dims", "best_dimension", "best_nes", "best_fdr"])


@pytest.fixture
def terms() -> dict[str, pd.DataFrame]:
    return {
        "beta4_seed0": _terms(("hallmark", "T_A", 1, "z2", "z2", 2.0, 0.001), ("hallmark", "T_B", 0, np.nan, "z0", 1.1, 0.2),
                              ("hallmark", NASTY, 2, "z1,z3", "z1", -1.8, 0.01)),
        "vae": _terms(("hallmark", "T_A", 0, np.nan, "z7", 1.5, 0.05), ("panglao", "T_C", 1, "z1", "z1", 2.2, 0.001)),
        "beta4_seed1": _terms(("hallmark", "T_A", 3, "z5,z6,z8", "z5", 2.5, 0.0), ("hallmark", "T_B", 1, "z3", "z3", -1.7, 0.04)),
    }


# --------------------------------------------------------------------------- the matrix
def test_matrix_puts_each_models_best_dimension_under_it(terms):
    matrix = term_matrix(terms, fdr=FDR)
    assert matrix["models"] == GROUPED
    assert [(r["library"], r["term"]) for r in matrix["rows"]] == [
        ("hallmark", "T_A"), ("hallmark", NASTY), ("hallmark", "T_B"), ("panglao", "T_C")]  # by models finding it, then name
    dims = {r["term"]: [c["dimension"] if c else None for c in r["cells"]] for r in matrix["rows"]}
    assert dims == {"T_A": ["z2", "z5", None],  # vae: best FDR 0.05 is not below 0.05, a dash
                    NASTY: ["z1", None, None],
                    "T_B": [None, "z3", None],  # beta4_seed0: FDR 0.2, a dash
                    "T_C": [None, None, "z1"]}
    assert [r["n_models"] for r in matrix["rows"]] == [2, 1, 1, 1]
    assert (matrix["n_terms"], matrix["n_left_out"]) == (4, 0)


def test_matrix_cells_link_to_the_dimension_pages_and_count_dimensions(terms):
    rows = {r["term"]: r for r in term_matrix(terms, fdr=FDR)["rows"]}
    seed0, seed1, _ = rows["T_A"]["cells"]
    assert seed0["href"] == "../beta4_seed0/report/dim_2.html"
    assert seed1["href"] == "../beta4_seed1/report/dim_5.html"
    assert (seed0["n_dims"], seed0["once"], seed1["n_dims"], seed1["once"]) == (1, True, 3, False)
    assert (seed1["nes"], seed1["fdr"]) == ("+2.50", "0")
    assert rows["T_C"]["cells"][2]["href"] == "../vae/report/dim_1.html"
    assert "z5, z6, z8" in seed1["title"]


def test_matrix_columns_are_grouped_by_setting(terms):
    matrix = term_matrix(terms, fdr=FDR)
    assert matrix["grouped"]
    assert [(g["setting"], g["span"]) for g in matrix["groups"]] == [("beta4", 2), ("vae", 1)]
    assert [(c["label"], c["href"], c["first"]) for c in matrix["columns"]] == [
        ("seed0", "../beta4_seed0/report/index.html", True), ("seed1", "../beta4_seed1/report/index.html", False),
        ("vae", "../vae/report/index.html", True)]


def test_matrix_keeps_max_terms_rows_and_counts_the_rest(terms):
    matrix = term_matrix(terms, fdr=FDR, max_terms=2)
    assert [r["term"] for r in matrix["rows"]] == ["T_A", NASTY]
    assert (matrix["n_terms"], matrix["n_left_out"]) == (4, 2)


def test_a_stricter_threshold_drops_cells(terms):
    rows = term_matrix(terms, fdr=0.005)["rows"]
    assert [(r["term"], r["n_models"]) for r in rows] == [("T_A", 2), ("T_C", 1)]


# --------------------------------------------------------------------------- the model table
def test_model_table_rows_are_formatted_and_link_to_reports(summary):
    headers, rows = model_table(summary)
    assert [r["model"] for r in rows] == GROUPED
    assert headers == ["recon. NLL (val.)", "active dims", "one-to-one", "coverage", "dims per term", "MIG",
                       "DCI dis. (one vs rest)"]  # factors.dci_disentanglement has no value: no column
    vae = rows[2]
    assert (vae["href"], vae["setting"], vae["strength"], vae["seed"]) == ("../vae/report/index.html", "vae", "β=1", "0")
    assert vae["values"] == ["655.9", "10", "0.250", "0.500", "3.50", "0.030", "—"]
    assert (rows[1]["setting"], rows[1]["strength"], rows[1]["seed"]) == ("beta4", "β=4", "1")


def test_model_table_names_a_model_missing_from_the_summary(summary):
    with pytest.raises(KeyError, match="tcvae"):
        model_table(summary, ["vae", "tcvae"])


def test_strength_of_a_capacity_model():
    summary = pd.DataFrame({"model": ["capacity"], "objective": ["capacity"], "gamma": [50.0], "capacity_max": [10.0],
                            "beta": [np.nan], "seed": [0], "reconstruction_validation": [655.9]})
    assert model_table(summary)[1][0]["strength"] == "γ=50, C=10"


def test_settings_and_navigation():
    names = ["beta4_seed2", "tcvae6_seed10", "vae", "seed_model"]
    assert [setting_of(m) for m in names] == ["beta4", "tcvae6", "vae", "seed_model"]
    nav = navigation(MODELS)
    assert [(g["label"], [(m["label"], m["href"]) for m in g["models"]]) for g in nav] == [
        ("beta4", [("seed0", "../beta4_seed0/report/index.html"), ("seed1", "../beta4_seed1/report/index.html")]),
        ("", [("vae", "../vae/report/index.html")])]


# --------------------------------------------------------------------------- the figure
def _points(ax) -> np.ndarray:
    offsets = [c.get_offsets() for c in ax.collections]
    return np.concatenate(offsets) if offsets else np.zeros((0, 2))


def test_reconstruction_against_scores_has_one_point_per_model(summary):
    fig = reconstruction_vs_scores(summary)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["gene sets: one-to-one", "gene sets: coverage", "MIG (known factors)", "DCI disentanglement, one vs rest"]
    one_to_one = _points(fig.axes[0])
    assert sorted(map(tuple, one_to_one)) == sorted(zip(summary["reconstruction_validation"], summary["one_to_one"]))
    assert [len(ax.collections) for ax in fig.axes] == [2, 2, 2, 1]  # one collection per setting with points
    assert len(_points(fig.axes[3])) == 2  # vae has no one-vs-rest DCI: left out of that panel
    assert len(fig.axes[0].texts) == 3  # few models: each point is labelled with its setting
    assert {t.get_text() for t in fig.axes[0].texts} == {"beta4", "vae"}
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["beta4", "vae"]


def test_many_models_are_not_annotated(summary):
    fig = reconstruction_vs_scores(summary, annotate_up_to=2)
    assert all(len(ax.texts) == 0 for ax in fig.axes)


def test_no_score_is_an_error(summary):
    with pytest.raises(ValueError, match="no disentanglement score"):
        reconstruction_vs_scores(summary[["model", "reconstruction_validation"]])


# --------------------------------------------------------------------------- the page
def test_page_writes_index_and_figure_with_escaped_links(tmp_path, summary, terms):
    out = tmp_path / "results" / "sim" / "comparison"
    written = write_comparison(out, summary=summary, terms=terms, fdr=FDR, title="sim: 3 models")
    figure = out / "figures" / "reconstruction_vs_scores.png"
    assert written == [figure, out / "index.html"]  # index.html last
    data = figure.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    # no temporary file left behind
    assert sorted(p.name for p in out.rglob("*")) == ["figures", "index.html", "reconstruction_vs_scores.png"]

    page = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;&amp;x" in page and NASTY not in page
    assert '<img src="figures/reconstruction_vs_scores.png"' in page
    assert page.count('<p class="caption">') >= 2
    hrefs = set(re.findall(r'href="([^"]+)"', page))
    assert {"../beta4_seed0/report/dim_2.html", "../beta4_seed1/report/dim_5.html", "../beta4_seed1/report/dim_3.html",
            "../vae/report/dim_1.html", "../beta4_seed0/report/dim_1.html"} <= hrefs
    assert {f"../{m}/report/index.html" for m in MODELS} <= hrefs
    assert all(h.startswith("../") for h in hrefs)  # no CDN, no absolute link
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=|https?://", page)  # nothing loaded from elsewhere
    nasty_row = re.search(r'<td class="term">&lt;b&gt;&amp;x</td>(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'<td class="cell[^"]*"[^>]*>(.*?)</td>', nasty_row, re.S)
    assert [unescape(re.sub(r"<[^>]+>", " ", c)).split()[0] for c in cells] == ["z1", "—", "—"]


def test_a_failed_page_leaves_no_index(tmp_path, summary, terms):
    out = tmp_path / "comparison"
    write_comparison(out, summary=summary, terms=terms, fdr=FDR, title="first")
    with pytest.raises(KeyError):
        write_comparison(out, summary=summary[summary["model"] != "vae"], terms=terms, fdr=FDR, title="second")
    assert not (out / "index.html").exists()


def test_page_without_significant_terms_or_scores(tmp_path, summary, terms):
    out = tmp_path / "comparison"
    bare = summary[["model", "objective", "beta", "seed", "reconstruction_validation"]]
    write_comparison(out, summary=bare, terms={m: t.assign(best_fdr=1.0) for m, t in terms.items()}, fdr=FDR, title="bare")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "No gene set is significant in any model." in page
    assert "No figure" in page and not (out / "figures" / "reconstruction_vs_scores.png").exists()


def test_the_comparison_modules_leave_pyplot_alone():
    code = "import sys, disentangle.report.comparison_page; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                            env={"PYTHONPATH": str(REPO / "workflow" / "scripts")})
    assert result.stdout.strip() == "False"
