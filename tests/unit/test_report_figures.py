"""The report's newer parts on hand-made inputs: running scores, the NES heatmap, shared terms, violins, the latent UMAP."""

from __future__ import annotations

import re

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from disentangle import keys
from disentangle.embedding import latent_umap
from disentangle.report import dimension_page, dimension_plots, index_plots, write_model_report
from disentangle.running_score import running_score

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _row(dim, term, nes, fdr, library="lib"):
    return {keys.LIBRARY: library, keys.DIMENSION: dim, keys.TERM: term, keys.ES: nes / 3, keys.NES: nes,
            keys.PVAL: fdr, keys.FDR: fdr, keys.LEADING_EDGE: "A;B", keys.OVERLAP: 2, keys.SET_SIZE: 10}


# --------------------------------------------------------------------------- running score
def test_running_score_by_hand():
    """Scores 3, 2, 1, -1, -2; set {A, D}: hits rise by 3/4 and 1/4, the three misses fall by 1/3."""
    ranking = pd.Series([1.0, -2.0, 3.0, -1.0, 2.0], index=["C", "E", "A", "D", "B"])
    walk = running_score(ranking, {"A", "D", "not_ranked"})
    np.testing.assert_allclose(walk.scores, [3, 2, 1, -1, -2])
    np.testing.assert_array_equal(walk.hits, [0, 3])
    np.testing.assert_allclose(walk.running, [0.75, 0.75 - 1 / 3, 0.75 - 2 / 3, 1 - 2 / 3, 0.0], atol=1e-12)
    assert walk.es == pytest.approx(0.75) and walk.peak == 0


def test_running_score_of_a_set_at_the_bottom_is_negative():
    ranking = pd.Series(np.linspace(2, -2, 10), index=[f"g{i}" for i in range(10)])
    walk = running_score(ranking, {"g8", "g9"})
    assert walk.es == pytest.approx(-1.0) and walk.peak == 7  # all misses passed before the first hit


def test_running_score_equals_gseapy_es():
    """Our walk's ES is the ES gseapy prerank reports, on a ranking with a planted set at the top."""
    from disentangle.enrich import prerank_dimensions

    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(200)]
    scores = pd.Series(np.sort(rng.normal(size=200))[::-1], index=genes)
    sets = {"TOP": genes[:5] + genes[40:50], "SPREAD": genes[::13], "BOTTOM": genes[-20:]}
    table = prerank_dimensions(scores.to_frame("z0"), sets, library="lib", permutations=20, min_size=5)
    for term, members in sets.items():
        expected = table.loc[table[keys.TERM] == term, keys.ES].item()
        assert running_score(scores, members).es == pytest.approx(expected, abs=1e-9)


def test_running_score_needs_some_but_not_all_genes():
    ranking = pd.Series([1.0, 0.0], index=["a", "b"])
    for members in ({"x"}, {"a", "b"}):
        with pytest.raises(ValueError, match="needs some but not all"):
            running_score(ranking, members)


# --------------------------------------------------------------------------- NES heatmap
def test_heatmap_keeps_significant_terms_by_smallest_fdr():
    table = pd.DataFrame([_row("z0", "T1", 2.0, 0.01), _row("z1", "T1", -1.0, 0.5), _row("z1", "T2", 2.5, 0.001),
                          _row("z0", "NEVER", 3.0, 0.2), _row("z1", "NEVER", 1.0, 0.3), _row("z10", "T3", 1.5, 0.04),
                          _row("z2", "T2", 1.0, 0.001)])
    heat = index_plots.heatmap_terms(table, fdr=0.05, n=2)
    assert list(heat.index) == [("lib", "T2"), ("lib", "T1")]  # NEVER is never significant; T3 cut by n
    assert list(heat[keys.NES].columns) == ["z0", "z1", "z2", "z10"]  # dimensions in numeric order
    assert heat.loc[("lib", "T1"), (keys.NES, "z1")] == -1.0
    assert np.isnan(heat.loc[("lib", "T2"), (keys.NES, "z0")])  # not tested there
    fig = index_plots.nes_heatmap(heat, fdr=0.05)
    dots = fig.axes[0].collections[0].get_offsets()
    assert sorted(map(tuple, np.asarray(dots).tolist())) == [(0.0, 1.0), (1.0, 0.0), (2.0, 0.0)]  # (dim col, term row)


def test_heatmap_is_empty_without_significant_terms():
    assert index_plots.heatmap_terms(pd.DataFrame([_row("z0", "T", 1.0, 0.5)]), fdr=0.05).empty


# --------------------------------------------------------------------------- shared terms
def test_shared_terms_count_other_dimensions():
    table = pd.DataFrame([_row("z0", "A", 2, 0.01), _row("z1", "A", 2, 0.01), _row("z0", "B", 2, 0.01),
                          _row("z1", "B", 2, 0.01), _row("z2", "B", 2, 0.01), _row("z2", "C", 2, 0.01),
                          _row("z3", "A", 2, 0.5)])
    term_dims = dimension_page.significant_dims(table, fdr=0.05)
    assert term_dims[("lib", "A")] == ["z0", "z1"]  # z3 not significant
    shared = dimension_page.shared_terms("z0", term_dims)
    assert [(d["name"], d["n"], d["href"]) for d in shared] == [("z1", 2, "dim_1.html"), ("z2", 1, "dim_2.html")]
    assert dimension_page.shared_terms("z3", term_dims) == []
    rows = dimension_page.add_other_dims([{"library": "lib", "term": "B"}], "z2", term_dims)
    assert [d["name"] for d in rows[0]["also"]] == ["z0", "z1"]


# --------------------------------------------------------------------------- violins
def test_violins_one_per_category_ordered_by_median():
    values = np.r_[np.full(5, 3.0) + np.arange(5), np.arange(5) - 10.0, [0.0, 0.0]]
    label = pd.Series(["hi"] * 5 + ["lo"] * 5 + ["flat"] * 2, name="kind")
    fig = dimension_plots.by_label(values, label, "z0")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["lo (n=5)", "flat (n=2)", "hi (n=5)"]
    violins = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(violins) == 2  # the flat category has no spread, so no violin


# --------------------------------------------------------------------------- UMAP of the latent space
def _two_clusters(n=120, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=0.3, size=(n, 4))
    z[: n // 2, 0] += 5.0
    latent = ad.AnnData(X=np.zeros((n, 3), np.float32), obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]))
    latent.obsm[keys.LATENT_MEAN] = z
    latent.obsm[keys.LATENT_UMAP] = np.ones((n, 2))  # the data's own UMAP, to be kept aside
    return latent


def test_latent_umap_separates_planted_clusters_and_is_reproducible():
    first, second = _two_clusters(), _two_clusters()
    latent_umap(first, n_neighbors=10, seed=0)
    latent_umap(second, n_neighbors=10, seed=0)
    umap = first.obsm[keys.LATENT_UMAP]
    assert umap.shape == (120, 2)
    np.testing.assert_array_equal(umap, second.obsm[keys.LATENT_UMAP])
    np.testing.assert_array_equal(first.obsm[f"{keys.LATENT_UMAP}_input"], np.ones((120, 2)))
    a, b = umap[:60], umap[60:]
    spread = max(a.std(axis=0).max(), b.std(axis=0).max())
    assert np.linalg.norm(a.mean(0) - b.mean(0)) > 3 * spread  # the two clusters stay apart
    assert first.uns[keys.LATENT_NEIGHBORS]["params"]["use_rep"] == keys.LATENT_MEAN


def test_latent_umap_skips_tiny_data():
    latent = _two_clusters(n=3)
    latent_umap(latent)
    np.testing.assert_array_equal(latent.obsm[keys.LATENT_UMAP], np.ones((3, 2)))  # untouched


# --------------------------------------------------------------------------- the pages
@pytest.fixture(scope="module")
def planted_report(tmp_path_factory):
    """30 genes, 2 dims: the set UP tops z0's ranking and is significant in z0 and z1."""
    rng = np.random.default_rng(0)
    genes = [f"g{i}" for i in range(30)]
    latent = ad.AnnData(X=rng.poisson(1.0, (40, 30)).astype(np.float32),
                        obs=pd.DataFrame({"kind": pd.Categorical(["a", "b"] * 20)}, index=[f"c{i}" for i in range(40)]),
                        var=pd.DataFrame(index=genes))
    latent.obsm[keys.LATENT_MEAN] = rng.normal(size=(40, 2))
    latent.obsm[keys.LATENT_UMAP] = rng.normal(size=(40, 2))
    latent.uns[keys.LATENT_UNS] = {keys.KL_PER_DIM: [1.0, 2.0], keys.ACTIVE: [True, True]}
    rankings = pd.concat([pd.DataFrame({keys.DIMENSION: d, keys.GENE: genes, keys.SCORE: np.linspace(2, -2, 30),
                                        keys.RANK: np.arange(1, 31)}) for d in ("z0", "z1")])
    enrichment = pd.DataFrame([_row("z0", "UP", 1.9, 0.01), _row("z1", "UP", 1.5, 0.02), _row("z0", "OTHER", 0.5, 0.8)])
    out = tmp_path_factory.mktemp("planted") / "report"
    write_model_report(out, latent=latent, rankings=rankings, enrichment=enrichment, dimensions=None, model_scores={},
                       labels=["kind"], fdr=0.05, gene_sets={"lib": {"UP": genes[:6], "OTHER": genes[10:20]}},
                       running_scores=2)
    return out


def test_dimension_page_draws_running_scores_of_its_first_terms(planted_report):
    page = (planted_report / "dim_0.html").read_text()
    assert re.findall(r'src="(figures/dim_0_gsea_\d\.png)"', page) == ["figures/dim_0_gsea_0.png", "figures/dim_0_gsea_1.png"]
    assert "UP (lib; significant)" in page and "OTHER (lib; not significant)" in page
    assert (planted_report / "figures" / "dim_0_gsea_0.png").read_bytes()[:8] == PNG_MAGIC


def test_dimension_page_links_the_dimensions_sharing_a_term(planted_report):
    page = (planted_report / "dim_0.html").read_text()
    shared = page.split("<h2>Dimensions sharing its terms</h2>", 1)[1].split("</table>", 1)[0]
    assert '<a href="dim_1.html">z1</a></td><td class="num">1</td><td class="small">UP</td>' in shared
    terms = page.split('<table class="terms sortable">', 1)[1].split("</table>", 1)[0]
    up_row = [r for r in terms.split("<tr") if ">UP<" in r][0]
    assert '<a href="dim_1.html">z1</a>' in up_row


def test_index_has_heatmap_and_umap_by_label_with_captions(planted_report):
    page = (planted_report / "index.html").read_text()
    for src in ("figures/nes_heatmap.png", "figures/X_umap_by_0_kind.png", "figures/kl_per_dim.png"):
        assert f'src="{src}"' in page and (planted_report / src).read_bytes()[:8] == PNG_MAGIC
    figures = re.findall(r'<div class="figure">(.*?)</div>', page, flags=re.S)
    assert figures and all('<p class="caption">' in f for f in figures)
    assert "No training curves" in page  # none was given
