"""The model report: pages, links, pole genes, terms, escaping, figures, empty inputs."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from disentangle import keys
from disentangle.report import write_model_report
from disentangle.report import tables

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NASTY = "<b>&"  # a gene and a term name that must not break the page
N_TOP = 3


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def latent() -> ad.AnnData:
    """60 cells, 3 dims: z1 separates type A from type B, z2 collapsed (inactive)."""
    rng = np.random.default_rng(1)
    n, k = 60, 3
    cell_type = np.array(["A"] * 30 + ["B"] * 30, dtype=object)
    z = rng.normal(size=(n, k))
    z[:, 1] = np.where(cell_type == "A", -2.0, 2.0) + 0.1 * rng.normal(size=n)
    z[:, 2] *= 0.01
    cell_type[[0, 45]] = np.nan  # unlabelled cells
    genes = [f"G{i}" for i in range(9)] + [NASTY]
    adata = ad.AnnData(
        X=rng.poisson(2.0, size=(n, len(genes))).astype(np.float32),
        obs=pd.DataFrame(
            {"cell_type": pd.Categorical(cell_type, categories=["A", "B"])},
            index=[f"c{i}" for i in range(n)],
        ),
        var=pd.DataFrame(index=genes),
    )
    adata.obsm[keys.LATENT_MEAN] = z
    adata.obsm[keys.LATENT_LOGVAR] = np.column_stack(
        [np.full(n, -2.0), np.full(n, -3.0), np.zeros(n)]
    )
    adata.obsm["X_umap"] = rng.normal(size=(n, 2))
    adata.uns[keys.LATENT_UNS] = {
        "model": "beta4",
        "params": {"beta": 4.0, "n_latent": 3, "likelihood": "nb", "traversal": {"active_kl": 0.05}},
        keys.KL_PER_DIM: [1.25, 3.5, 0.001],
        keys.ACTIVE: [True, True, False],
    }
    return adata


@pytest.fixture(scope="module")
def rankings(latent) -> pd.DataFrame:
    """Distinct scores per dimension; the nasty gene tops the high pole of z1."""
    rng = np.random.default_rng(2)
    rows = []
    for k in range(3):
        scores = rng.permutation(np.linspace(-2.0, 2.5, latent.n_vars))
        if k == 1:
            scores[latent.var_names.get_loc(NASTY)] = 9.0
        order = np.argsort(-scores, kind="stable")
        ranks = np.empty(latent.n_vars, int)
        ranks[order] = np.arange(1, latent.n_vars + 1)
        rows += [
            {keys.DIMENSION: keys.dim_name(k), keys.GENE: g, keys.SCORE: s, keys.RANK: r}
            for g, s, r in zip(latent.var_names, scores, ranks)
        ]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # unordered on purpose


def _term(dim, term, nes, fdr, library="hallmark", le="G1;G2"):
    return {
        keys.LIBRARY: library, keys.DIMENSION: dim, keys.TERM: term, keys.ES: nes / 3,
        keys.NES: nes, keys.PVAL: fdr / 2, keys.FDR: fdr, keys.LEADING_EDGE: le,
        keys.OVERLAP: len(le.split(";")), keys.SET_SIZE: 20,
    }


@pytest.fixture(scope="module")
def enrichment() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _term("z1", "B_CELL_PROGRAM", 2.3456, 0.001, le=";".join(f"G{i}" for i in range(9)) + ";" + NASTY),
            _term("z1", NASTY + "_TERM", -1.9, 0.02, library="panglao"),
            _term("z1", "NOISE_TERM", 0.8, 0.6),
            _term("z1", "OTHER_TERM", -1.2, 0.6),
            _term("z0", "WEAK_TERM", 1.1, 0.4),
        ]
    )


@pytest.fixture(scope="module")
def dimensions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dimension": ["z0", "z1", "z2"],
            "kl": [1.25, 3.5, 0.001],
            "active": [True, True, False],
            "best_library": ["hallmark", "hallmark", np.nan],
            "best_term": ["WEAK_TERM", "B_CELL_PROGRAM", np.nan],
            "best_nes": [1.1, 2.3456, np.nan],
            "best_fdr": [0.4, 0.001, np.nan],
            "n_significant_terms": [0, 2, 0],
            "best_label": [np.nan, "cell_type=B", np.nan],
            "best_label_auc": [np.nan, 0.99, np.nan],
        }
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory, latent, rankings, enrichment, dimensions):
    out = tmp_path_factory.mktemp("model") / "report"
    written = write_model_report(
        out, latent=latent, rankings=rankings, enrichment=enrichment, dimensions=dimensions,
        model_scores={"one_to_one": 0.5, "coverage": 0.667, "n_active": 2, "label_mig": np.nan},
        labels=["cell_type", "not_a_column"], fdr=0.05, top_genes=N_TOP, top_terms=3,
        title="pbmc / beta4",
    )
    return out, written


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _genes_on_page(page: str) -> tuple[list[str], list[str]]:
    """Gene cells of the high-pole table and of the low-pole table, in page order."""
    def cells(cls):
        table = re.search(rf'<table class="genes {cls}">(.*?)</table>', page, re.S).group(1)
        return [unescape(g) for g in re.findall(r'<td class="gene">(.*?)</td>', table)]
    return cells("high"), cells("low")


def _row_with(page: str, text: str) -> str:
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S) if text in r]
    assert len(rows) == 1, f"expected one row with {text!r}, got {len(rows)}"
    return rows[0]


# --------------------------------------------------------------------------- pages and links
def test_index_and_every_dim_page_exist_index_written_last(report):
    out, written = report
    for name in ["index.html", "dim_0.html", "dim_1.html", "dim_2.html"]:
        assert (out / name).is_file()
    assert written[-1] == out / "index.html"
    assert all(p.exists() for p in written)
    assert not list(out.glob(".*.tmp"))


def test_index_links_each_dim_page_and_shows_model(report):
    out, _ = report
    index = _read(out / "index.html")
    hrefs = re.findall(r'href="([^"]+)"', index)
    assert [h for h in hrefs if h.startswith("dim_")] == ["dim_0.html", "dim_1.html", "dim_2.html"]
    assert "pbmc / beta4" in index
    assert "beta" in index and "nb" in index  # model parameters
    assert "one_to_one" in index and "0.667" in index  # scores table
    assert "B_CELL_PROGRAM" in index and "+2.35" in index  # best term with NES
    assert "cell_type=B" in index
    kl_png = re.search(r'<img src="([^"]+)"', index).group(1)
    assert (out / kl_png).read_bytes()[:8] == PNG_MAGIC


def test_dim_pages_link_prev_next_index(report):
    out, _ = report
    first, middle, last = (_read(out / f"dim_{k}.html") for k in range(3))
    assert 'href="index.html"' in first and 'href="dim_1.html"' in first
    assert 'href="dim_0.html"' not in first
    assert 'href="dim_0.html"' in middle and 'href="dim_2.html"' in middle
    assert 'href="dim_1.html"' in last and 'href="dim_3.html"' not in last


# --------------------------------------------------------------------------- genes
@pytest.mark.parametrize("k", [0, 1, 2])
def test_top_genes_of_each_pole_in_order(report, rankings, k):
    out, _ = report
    sub = rankings[rankings[keys.DIMENSION] == keys.dim_name(k)]
    expected_high = sub.sort_values(keys.SCORE, ascending=False)[keys.GENE].head(N_TOP).tolist()
    expected_low = sub.sort_values(keys.SCORE, ascending=True)[keys.GENE].head(N_TOP).tolist()
    high, low = _genes_on_page(_read(out / f"dim_{k}.html"))
    assert high == expected_high
    assert low == expected_low


def test_gene_scores_shown_signed(report, rankings):
    out, _ = report
    page = _read(out / "dim_1.html")
    assert "+9.000" in _row_with(page, "&lt;b&gt;&amp;</td>")


# --------------------------------------------------------------------------- terms
def test_significant_term_shown_with_nes_and_marked(report):
    out, _ = report
    page = _read(out / "dim_1.html")
    row = _row_with(page, "B_CELL_PROGRAM")
    assert "+2.35" in row and "0.001" in row and 'class="sig"' in row and "high (+)" in row
    low_row = _row_with(page, "&amp;_TERM</td>")
    assert "-1.90" in low_row and "low (−)" in low_row and 'class="sig"' in low_row
    assert "2 of 4 tested terms significant" in page
    # sorted by FDR then |NES|, only top_terms=3 shown: OTHER_TERM (|NES| 1.2) beats NOISE_TERM
    assert "OTHER_TERM" in page and "NOISE_TERM" not in page
    assert 'class="sig"' not in _row_with(page, "OTHER_TERM")
    # leading edge truncated, full list kept in the tooltip
    assert "+2 more" in row


def test_dimension_tested_without_significant_terms(report):
    out, _ = report
    page = _read(out / "dim_0.html")
    assert "0 of 1 tested terms significant" in page and "no significant terms" in page


def test_terms_sorted_by_fdr_then_abs_nes():
    enr = pd.DataFrame([_term("z0", "a", 1.5, 0.1), _term("z0", "b", -2.5, 0.1),
                        _term("z0", "c", 1.0, 0.01), _term("z1", "d", 3.0, 0.0)])
    got = tables.dimension_terms(enr, "z0", 0.05, 10)
    assert [r["term"] for r in got["rows"]] == ["c", "b", "a"]
    assert got["tested"] == 3 and got["significant"] == 1


def test_empty_enrichment_still_writes_pages(tmp_path, latent, rankings, dimensions):
    empty = pd.DataFrame(columns=[keys.LIBRARY, keys.DIMENSION, keys.TERM, keys.ES, keys.NES,
                                  keys.PVAL, keys.FDR, keys.LEADING_EDGE, keys.OVERLAP,
                                  keys.SET_SIZE])
    out = tmp_path / "r"
    write_model_report(out, latent=latent, rankings=rankings, enrichment=empty,
                       dimensions=dimensions, model_scores={}, labels=[], fdr=0.05)
    for k in range(3):
        assert "No terms were tested" in _read(out / f"dim_{k}.html")
    assert (out / "index.html").is_file()
    assert "No model-level scores" in _read(out / "index.html")
    assert "beta4" in _read(out / "index.html")  # default title from uns


# --------------------------------------------------------------------------- activity
def test_inactive_dimension_says_so(report):
    out, _ = report
    inactive = _read(out / "dim_2.html")
    assert "Inactive dimension" in inactive and "inactive" in inactive
    assert "0.05 nats" in inactive  # the activity threshold found in params
    assert "Inactive dimension" not in _read(out / "dim_1.html")
    assert 'class="inactive"' in _row_with(_read(out / "index.html"), 'href="dim_2.html"')


# --------------------------------------------------------------------------- escaping, static
def test_names_with_markup_are_escaped(report):
    out, _ = report
    for page in out.glob("*.html"):
        text = _read(page)
        assert NASTY not in text, page.name
    dim1 = _read(out / "dim_1.html")
    assert "&lt;b&gt;&amp;" in dim1  # the gene
    assert "&lt;b&gt;&amp;_TERM" in dim1  # the term
    assert "<b>" not in dim1


def test_pages_are_static_and_offline(report):
    out, _ = report
    for page in out.glob("*.html"):
        text = _read(page)
        scripts = re.findall(r"<script([^>]*)>", text, re.I)
        assert scripts == [""]  # one inline script (the table sorter), nothing loaded from elsewhere
        assert not re.search(r'(src|href)="(https?:)?//', text, re.I)
        assert "<style>" in text
        for src in re.findall(r'src="([^"]+)"', text):
            assert not Path(src).is_absolute() and (out / src).is_file()


# --------------------------------------------------------------------------- figures
def test_by_label_and_umap_figures_are_pngs(report):
    out, _ = report
    page = _read(out / "dim_1.html")
    srcs = re.findall(r'<img src="([^"]+)"', page)
    by_label = [s for s in srcs if "cell_type" in s]
    umap = [s for s in srcs if "umap" in s]
    assert len(by_label) == 1 and len(umap) == 1
    for src in by_label + umap:
        assert src.startswith("figures/")
        assert (out / src).read_bytes()[:8] == PNG_MAGIC
    assert "not_a_column" not in page  # absent label column skipped


def test_all_nan_label_column_gives_note_not_figure(tmp_path, latent, rankings):
    latent = latent.copy()
    latent.obs["empty"] = pd.Categorical([np.nan] * latent.n_obs, categories=["x"])
    out = tmp_path / "r"
    write_model_report(out, latent=latent, rankings=rankings, enrichment=None, dimensions=None,
                       model_scores=None, labels=["empty"], fdr=0.05)
    assert "No cell has a value" in _read(out / "dim_0.html")
    assert not list((out / "figures").glob("*empty*"))


# --------------------------------------------------------------------------- robustness
def test_failure_leaves_no_index(tmp_path, latent, rankings, enrichment, dimensions, monkeypatch):
    from disentangle.report import plots

    out = tmp_path / "r"
    args = dict(latent=latent, rankings=rankings, enrichment=enrichment, dimensions=dimensions,
                model_scores={}, labels=["cell_type"], fdr=0.05)
    write_model_report(out, **args)
    assert (out / "index.html").exists()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(plots, "kl_bar", boom)
    with pytest.raises(RuntimeError):
        write_model_report(out, **args)
    assert not (out / "index.html").exists()  # the stale complete-looking index is gone


def test_latent_read_back_from_h5ad(tmp_path, latent, rankings, enrichment, dimensions):
    """uns lists come back from h5ad as arrays; the report reads them the same."""
    path = tmp_path / "latent.h5ad"
    latent.write_h5ad(path)
    back = ad.read_h5ad(path)
    out = tmp_path / "r"
    write_model_report(out, latent=back, rankings=rankings, enrichment=enrichment,
                       dimensions=dimensions, model_scores={}, labels=["cell_type"], fdr=0.05)
    assert "Inactive dimension" in _read(out / "dim_2.html")
    assert "3.500" in _read(out / "dim_1.html")


def test_report_imports_no_heavy_or_workflow_libraries():
    code = ("import sys, disentangle.report; "
            "bad = [m for m in ('torch', 'gseapy', 'snakemake') if m in sys.modules]; "
            "assert not bad, bad")
    scripts = Path(__file__).resolve().parents[2] / "workflow" / "scripts"
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(scripts)})


def test_formatters():
    assert tables.fmt_nes(2.3456) == "+2.35" and tables.fmt_nes(-1.9) == "-1.90"
    assert tables.fmt_p(0.0) == "0" and tables.fmt_p(0.0123) == "0.012"
    assert tables.fmt_p(2e-5) == "2.0e-05" and tables.fmt_p(np.nan) == tables.DASH
    assert tables.fmt_num(np.nan) == tables.DASH and tables.fmt_num(3) == "3"
    assert tables.fmt_value({"a": [1, 2.5], "b": {"c": "x"}}) == "a=[1, 2.5], b=c=x"


def test_index_warns_when_no_gene_set_was_tested(tmp_path, latent, rankings, report):
    assert "No gene set was tested" not in _read(report[0] / "index.html")
    out = tmp_path / "none"
    write_model_report(out, latent=latent, rankings=rankings, enrichment=None, dimensions=None,
                       model_scores=None, labels=[], fdr=0.05)
    assert "No gene set was tested" in _read(out / "index.html")


def test_index_shows_where_each_known_factor_and_true_program_lives(tmp_path, latent, rankings, enrichment, dimensions):
    factors = pd.DataFrame([
        {"scope": "factors", "factor": "cell_type", "kind": "discrete", "scored": True, "n_values": 2, "mig_best_dim": "z1",
         "mig_normalized_mi": 0.912, "mig_gap": 0.804, "dci_best_dim": "z1", "dci_best_share": 0.97,
         "dci_informativeness_train": 1.0, "dci_informativeness_test": 0.99, "sap_best_dim": "z1", "sap_gap": 0.5,
         "explicitness_test": 1.0},
        {"scope": "factors", "factor": "unscored", "kind": "discrete", "scored": False, "n_values": 1, "mig_best_dim": "",
         "mig_normalized_mi": np.nan, "mig_gap": np.nan, "dci_best_dim": "", "dci_best_share": np.nan,
         "dci_informativeness_train": np.nan, "dci_informativeness_test": np.nan, "sap_best_dim": "", "sap_gap": np.nan,
         "explicitness_test": np.nan},
    ])
    one_vs_rest = factors.iloc[[0, 0]].assign(scope="one_vs_rest", factor=["cell_type", "cell_type=B"])
    factors = pd.concat([factors, one_vs_rest], ignore_index=True)  # the first repeats a listed factor
    programs = pd.DataFrame([{"program": "type=B", "tested": True, "n_dims": 1, "dims": "z1", "own_dimension": "z1",
                              "own_normalized_mi": 0.95, "recovered_once": True, "in_own_dimension": True},
                             {"program": "dose", "tested": True, "n_dims": 0, "dims": np.nan, "own_dimension": "z0",
                              "own_normalized_mi": 0.2, "recovered_once": False, "in_own_dimension": False}])
    out = tmp_path / "report"
    write_model_report(out, latent=latent, rankings=rankings, enrichment=enrichment, dimensions=dimensions,
                       model_scores={"factors.mig": 0.804}, labels=["cell_type"], fdr=0.05,
                       factors=factors, programs=programs)
    page = _read(out / "index.html")
    known = page.split('<h2 id="factors">Known factors</h2>', 1)[1].split("</table>", 1)[0]
    assert "<td>cell_type</td>" in known and "<td>z1</td>" in known and "0.91" in known and "0.80" in known
    assert "unscored" not in known
    assert known.count("<td>cell_type</td>") == 1 and "<td>cell_type=B <span" in known and "(one vs rest)" in known
    true_programs = page.split('<h2 id="programs">True programs</h2>', 1)[1].split("</table>", 1)[0]
    assert '<tr class="sig">\n<td>type=B</td><td>z1</td>' in true_programs
    assert "<td>dose</td><td>z0</td>" in true_programs and "—" in true_programs
    assert "factors.mig" in page
    z1 = _read(out / "dim_1.html")  # the dimension pages say which factors and programs they carry
    assert "Known factors carried</dt><dd>cell_type (MI / H 0.91, gap 0.80)" in z1
    assert "type=B (significant here)" in z1
    assert "Known factors carried" not in _read(out / "dim_0.html")
    assert "dose" in _read(out / "dim_0.html") and "dose (significant here)" not in _read(out / "dim_0.html")
    # without factor tables (a dataset with no labels) neither section appears
    write_model_report(tmp_path / "plain", latent=latent, rankings=rankings, enrichment=enrichment,
                       dimensions=dimensions, model_scores={}, labels=[], fdr=0.05)
    assert "Known factors" not in _read(tmp_path / "plain/index.html")


def test_traversal_heatmap_draws_the_grid_of_each_dimension(tmp_path, latent, rankings, enrichment, dimensions, report):
    from disentangle.report import dimension_plots

    steps, genes = 5, list(latent.var_names)
    positions = np.tile(np.linspace(-2, 2, steps), (3, 1))
    decoded = np.zeros((3, steps, len(genes)))
    decoded[1, :, 0] = np.linspace(0, 4, steps)  # G0 rises along z1
    with_grid = latent.copy()
    with_grid.uns[keys.LATENT_UNS] = {**latent.uns[keys.LATENT_UNS],
                                      keys.TRAVERSAL: {keys.TRAVERSAL_POSITIONS: positions, keys.TRAVERSAL_DECODED: decoded}}
    out = tmp_path / "report"
    write_model_report(out, latent=with_grid, rankings=rankings, enrichment=enrichment, dimensions=dimensions,
                       model_scores={}, labels=["cell_type"], fdr=0.05, top_genes=N_TOP, top_terms=5)
    for k in range(3):
        page = (out / f"dim_{k}.html").read_text()
        assert f'src="figures/dim_{k}_traversal.png"' in page and "other dimension stays at its median" in page
        assert (out / "figures" / f"dim_{k}_traversal.png").read_bytes()[:8] == PNG_MAGIC
    fig = dimension_plots.traversal_heatmap(positions[1], decoded[1], genes, ["G0", "G1"], ["G2"], "z1")
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["G0", "G1", "G2"]
    np.testing.assert_allclose(image[0], np.linspace(-2, 2, steps))  # G0 centred on its mean along the traversal
    np.testing.assert_allclose(image[1:], 0.0)
    # without a grid (an export made before it existed) the pages have no traversal section
    assert "<h2>Traversal</h2>" not in (report[0] / "dim_0.html").read_text()
