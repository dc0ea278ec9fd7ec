"""The whole Snakefile on a tiny config: 400 PBMC cells, a model per objective, 3 epochs, two local gene-set libraries.

Snakemake runs once per module (about a minute on 2 cores) in a temporary working directory; the
tests then check every output's content, every log, and that a second dry run has nothing to do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import yaml

from disentangle.keys import ENRICHMENT_COLUMNS
from smk_helpers import REPO, RULE_LOGS, dataset_entry, libraries, output_of, run_or_fail, run_snakemake, small_pbmc, tail, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata]

DATASET = "tiny"
N_CELLS = 400
N_LATENT = 4
N_TOP_GENES = 300
EPOCHS = 3
MODELS = {
    "beta1": {"objective": "beta", "beta": 1.0},
    "capacity": {"objective": "capacity", "gamma": 50.0, "capacity_max": 5.0, "capacity_steps": 20},
    "tcvae": {"objective": "tcvae", "beta": 6.0},
    "factorvae": {"objective": "factorvae", "gamma": 10.0, "discriminator_hidden": 32},
    # LDVAE-like: linear decoder, zero-inflated NB, batch norm and dropout in the encoder
    "ldvae_zinb": {"objective": "beta", "beta": 1.0, "decoder": "linear", "likelihood": "zinb", "norm": "batch",
                   "dropout": 0.1},
}
ARCH_KEYS = ("decoder", "likelihood", "norm", "dropout")
# the terms each objective logs beside loss, reconstruction, kl and elbo_loss
OBJECTIVE_TERMS = {"beta": set(), "capacity": {"capacity_gap"}, "tcvae": {"mi", "tc", "dw_kl"},
                   "factorvae": {"tc", "discriminator_loss", "discriminator_accuracy"}}
LIBRARIES = ["panglaodb", "cell_cycle"]



@pytest.fixture(scope="module")
def run(pbmc_path, tmp_path_factory):
    """Write the data and config into a fresh directory, run `snakemake --cores 2`; return the directory."""
    workdir = tmp_path_factory.mktemp("pipeline")
    small = small_pbmc(pbmc_path, N_CELLS, seed=0)
    small.write_h5ad(workdir / "pbmc400.h5ad", compression="gzip")
    write_config(workdir, {
        "datasets": {DATASET: dataset_entry("pbmc400.h5ad", labels=["cell_type"])},
        "preprocess": {"min_genes": 100, "n_top_genes": N_TOP_GENES},
        "models": MODELS,
        "training": {"epochs": EPOCHS, "n_latent": N_LATENT, "n_hidden": 32},
        "gene_set_libraries": libraries(),
        "enrichment": {"permutations": 50, "min_size": 5},
    })
    return run_or_fail(workdir, "--cores", "2")


def out(run: Path, model: str | None = None) -> Path:
    base = run / "results" / DATASET
    return base / model if model else base


@pytest.fixture(scope="module")
def source_cells(pbmc_path) -> pd.DataFrame:
    return small_pbmc(pbmc_path, N_CELLS, seed=0).obs


@pytest.mark.parametrize("model", MODELS)
def test_every_output_exists(run, model):
    m = out(run, model)
    expected = ["model.pt", "specs.json", "losses.tsv", "training.png", "latent.h5ad", "rankings.tsv", "disentanglement.tsv",
                "dimensions.tsv", "terms.tsv", "labels.tsv", "report/index.html"]
    expected += [f"report/dim_{k}.html" for k in range(N_LATENT)]
    for lib in LIBRARIES:
        expected += [f"enrichment/{lib}.tsv", f"enrichment/{lib}.overlap.tsv"]
    missing = [p for p in expected if not (m / p).is_file() or (m / p).stat().st_size == 0]
    assert not missing, f"missing or empty under {m}: {missing}"
    assert not (m / "report" / f"dim_{N_LATENT}.html").exists()
    index = (m / "report" / "index.html").read_text()
    for k in range(N_LATENT):
        assert f'href="dim_{k}.html"' in index


def test_raw_and_preprocessed(run, source_cells):
    raw = ad.read_h5ad(out(run) / "raw.h5ad")
    assert raw.shape == (N_CELLS, 32738)
    assert list(raw.obs_names) == list(source_cells.index)
    pre = ad.read_h5ad(out(run) / "preprocessed.h5ad")
    assert 0 < pre.n_obs <= N_CELLS
    assert int(pre.var["highly_variable"].sum()) == N_TOP_GENES
    assert (pre.obs["n_genes_by_counts"] >= 100).all()


@pytest.mark.parametrize("rule", RULE_LOGS)
def test_every_rule_wrote_a_log(run, rule):
    paths = {
        RULE_LOGS[rule].format(dataset=DATASET, model=model, library=lib)
        for model in MODELS for lib in LIBRARIES
    }
    missing = [p for p in sorted(paths) if not (run / p).is_file()]
    empty = [p for p in sorted(paths) if (run / p).is_file() and (run / p).stat().st_size == 0]
    assert not missing, f"rule {rule}: no log at {missing}"
    assert not empty, f"rule {rule}: empty log at {empty} (a successful job should say what it did)"


@pytest.fixture(scope="module")
def latents(run):
    return {model: ad.read_h5ad(out(run, model) / "latent.h5ad") for model in MODELS}


@pytest.mark.parametrize("model", MODELS)
def test_latent_h5ad(run, latents, source_cells, model):
    latent = latents[model]
    pre = ad.read_h5ad(out(run) / "preprocessed.h5ad")
    assert latent.n_obs == pre.n_obs
    assert latent.n_vars == N_TOP_GENES
    assert latent.obsm["X_latent"].shape == (latent.n_obs, N_LATENT)
    assert np.isfinite(latent.obsm["X_latent"]).all()
    assert latent.obsm["latent_logvar"].shape == (latent.n_obs, N_LATENT)
    assert latent.varm["latent_traversal"].shape == (N_TOP_GENES, N_LATENT)
    assert np.isfinite(latent.varm["latent_traversal"]).all()
    kl = np.asarray(latent.uns["latent"]["kl_per_dim"], float)
    assert kl.shape == (N_LATENT,)
    assert np.isfinite(kl).all() and (kl >= 0).all(), kl
    assert latent.uns["latent"]["model"] == model
    traversal = latent.uns["latent"]["traversal"]
    decoded = np.asarray(traversal["decoded"], float)
    assert decoded.shape == (N_LATENT, 9, N_TOP_GENES) and np.asarray(traversal["positions"]).shape == (N_LATENT, 9)
    np.testing.assert_allclose(latent.varm["latent_traversal"], (decoded[:, -1] - decoded[:, 0]).T, rtol=1e-5, atol=1e-6)
    assert (out(run, model) / "report" / "figures" / "dim_0_traversal.png").is_file()
    linear = MODELS[model].get("decoder") == "linear"
    assert ("latent_loadings" in latent.varm) == linear
    if linear:
        assert latent.varm["latent_loadings"].shape == (N_TOP_GENES, N_LATENT)
    # labels carried over, cell by cell
    assert set(latent.obs_names) <= set(source_cells.index)
    assert (latent.obs["cell_type"].astype(str) == source_cells.loc[latent.obs_names, "cell_type"].astype(str)).all()
    # every HVG, nothing else
    assert set(latent.var_names) == set(pre.var_names[pre.var["highly_variable"].to_numpy()])


def test_latent_plots_with_scanpy(latents):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import scanpy as sc

    latent = latents["beta1"]
    ax = sc.pl.embedding(latent, basis="latent", color="cell_type", show=False)
    ax = ax[0] if isinstance(ax, list) else ax
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == latent.n_obs
    plt.close("all")


@pytest.mark.parametrize("model", MODELS)
def test_rankings(run, latents, model):
    rankings = pd.read_csv(out(run, model) / "rankings.tsv", sep="\t")
    assert list(rankings.columns) == ["dimension", "gene", "score", "rank"]
    assert not rankings.duplicated(["dimension", "gene"]).any()
    assert sorted(rankings["dimension"].unique()) == [f"z{k}" for k in range(N_LATENT)]
    genes = set(latents[model].var_names)
    for dim, frame in rankings.groupby("dimension"):
        assert set(frame["gene"]) == genes, dim
        frame = frame.sort_values("rank")
        assert frame["rank"].tolist() == list(range(1, len(genes) + 1)), dim
        assert frame["score"].is_monotonic_decreasing, dim
    # scores are the traversal effects of latent.h5ad
    effects = pd.DataFrame(latents[model].varm["latent_traversal"], index=latents[model].var_names)
    z0 = rankings[rankings["dimension"] == "z0"].set_index("gene")["score"]
    np.testing.assert_allclose(z0.loc[effects.index].to_numpy(), effects[0].to_numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("model", MODELS)
def test_losses(run, model):
    losses = pd.read_csv(out(run, model) / "losses.tsv", sep="\t")
    assert list(losses.columns) == ["epoch", "split", "step", "term", "value"]
    assert set(losses["split"]) == {"train", "validation"}
    assert np.isfinite(losses["value"]).all()
    wide = losses.pivot_table(index=["split", "epoch"], columns="term", values="value")
    for split in ("train", "validation"):
        assert wide.loc[split].index.tolist() == list(range(1, EPOCHS + 1)), split
    kl_columns = [f"kl_z{k}" for k in range(N_LATENT)]
    assert (wide[kl_columns].to_numpy() >= 0).all()
    np.testing.assert_allclose(wide[kl_columns].sum(axis=1), wide["kl"], rtol=1e-4)
    objective = MODELS[model]["objective"]
    logged = set(losses.loc[losses["split"] == "train", "term"])
    assert {"loss", "reconstruction", "kl", "elbo_loss", "lr", "kl_weight"} | OBJECTIVE_TERMS[objective] <= logged
    log = (run / "logs" / DATASET / model / "train_vae.log").read_text()
    assert len(re.findall(rf"epoch \d+/{EPOCHS} \| train: .*\| validation: .*KL/dim \[.*\]  active \d+/{N_LATENT}", log)) == EPOCHS
    assert not (out(run, model) / "training_state.pt").exists()  # removed once the model is written


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


@pytest.mark.parametrize("model", MODELS)
def test_specs(run, latents, model):
    specs = json.loads((out(run, model) / "specs.json").read_text())
    assert specs["genes"] == list(latents[model].var_names)
    given = {k: v for k, v in MODELS[model].items() if k not in ARCH_KEYS}
    assert given.items() <= specs["objective"].items()
    assert {k: specs["architecture"][k] for k in ARCH_KEYS if k in MODELS[model]} == \
        {k: v for k, v in MODELS[model].items() if k in ARCH_KEYS}
    assert specs["architecture"]["n_latent"] == N_LATENT
    assert specs["architecture"]["n_hidden"] == 32
    assert specs["architecture"]["n_input"] == N_TOP_GENES
    assert specs["architecture"]["likelihood"] == MODELS[model].get("likelihood", "nb")
    assert specs["device"] == "cpu" and specs["resumed_from_epoch"] == 0
    assert specs["training"]["epochs"] == EPOCHS
    assert specs["n_cells"] == latents[model].n_obs
    assert specs["n_train_cells"] + specs["n_validation_cells"] == specs["n_cells"]
    assert specs["wildcards"] == {"dataset": DATASET, "model": model}
    versions = specs["versions"]
    assert versions["torch"].split("+")[0] == "2.13.0"
    pins = _pins()
    recorded = {name: v for name, v in versions.items() if name in pins}
    assert {"torch", "numpy", "scanpy", "anndata", "gseapy"} <= set(recorded)
    wrong = {name: (v, pins[name]) for name, v in recorded.items() if v.split("+")[0] != pins[name]}
    assert not wrong, f"recorded vs pinned in requirements.txt: {wrong}"


@pytest.mark.parametrize("model", MODELS)
def test_enrichment_tables(run, model):
    for lib in LIBRARIES:
        table = pd.read_csv(out(run, model) / "enrichment" / f"{lib}.tsv", sep="\t")
        assert list(table.columns) == ENRICHMENT_COLUMNS
        if not table.empty:
            assert set(table["library"]) == {lib}
            assert set(table["dimension"]) <= {f"z{k}" for k in range(N_LATENT)}
            assert table["fdr"].between(0, 1).all()
            assert (table["overlap_size"] >= 5).all()  # min_size
        overlap = pd.read_csv(out(run, model) / "enrichment" / f"{lib}.overlap.tsv", sep="\t")
        assert overlap["library"].tolist() == [lib]
        assert (overlap["n_overlap"] <= N_TOP_GENES).all()
    # panglaodb's 4000-odd marker genes always meet some PBMC HVGs: something was tested
    assert not pd.read_csv(out(run, model) / "enrichment" / "panglaodb.tsv", sep="\t").empty


@pytest.mark.parametrize("model", MODELS)
def test_scores(run, latents, source_cells, model):
    scores = pd.read_csv(out(run, model) / "disentanglement.tsv", sep="\t")
    assert list(scores.columns) == ["scope", "metric", "value"]
    latent_rows = scores[scores["scope"] == "latent"].set_index("metric")["value"]
    assert latent_rows["n_latent"] == N_LATENT
    kl = np.asarray(latents[model].uns["latent"]["kl_per_dim"], float)
    assert latent_rows["kl_total"] == pytest.approx(kl.sum())
    assert "label:cell_type" in set(scores["scope"])

    dims = pd.read_csv(out(run, model) / "dimensions.tsv", sep="\t")
    assert dims["dimension"].tolist() == [f"z{k}" for k in range(N_LATENT)]
    np.testing.assert_allclose(dims["kl"], kl)

    labels = pd.read_csv(out(run, model) / "labels.tsv", sep="\t")
    assert set(labels["label"]) == {"cell_type"}
    assert set(labels["category"]) == set(latents[model].obs["cell_type"].astype(str))
    assert labels["n_cells"].sum() == latents[model].n_obs
    assert set(labels["best_dim"]) <= {f"z{k}" for k in range(N_LATENT)}

    terms = pd.read_csv(out(run, model) / "terms.tsv", sep="\t")
    assert {"library", "term", "n_dims", "best_dimension"} <= set(terms.columns)


def test_summary(run):
    summary = pd.read_csv(out(run) / "summary.tsv", sep="\t")
    assert summary["model"].tolist() == list(MODELS)
    rows = summary.set_index("model")
    assert rows.loc["beta1", "objective"] == "beta"
    assert rows.loc["beta1", "beta"] == 1.0
    assert rows.loc["capacity", "objective"] == "capacity"
    assert rows.loc["capacity", "capacity_max"] == 5.0
    assert (rows["n_latent"] == N_LATENT).all()


def test_second_dry_run_has_nothing_to_do(run):
    proc = run_snakemake(run, "-n")
    text = output_of(proc)
    assert proc.returncode == 0, tail(proc)
    assert "Nothing to be done" in text, f"a second dry run plans jobs:\n{tail(proc)}"
    assert "Job stats" not in text


def test_adding_a_library_reruns_checks_and_enrichment_not_training(run):
    config_path = run / "config.yaml"
    original = config_path.read_text()
    config = yaml.safe_load(original)
    config["gene_set_libraries"]["hallmark"] = {
        "path": str(REPO / "resources/genesets/human/msigdb_h.all.v7.0.symbols.gmt"), "species": "human"}
    config["datasets"][DATASET]["labels"] = []  # editing labels must not reload the data either
    try:
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        proc = run_snakemake(run, "-n")
    finally:
        config_path.write_text(original)
    text = output_of(proc)
    assert proc.returncode == 0, tail(proc)
    planned = set(re.findall(r"^rule (\w+):", text, flags=re.M))
    assert {"check_gene_sets", "check_labels", "enrich", "score_disentanglement", "report"} <= planned
    assert not planned & {"load_dataset", "preprocess", "train_vae", "export_latent", "rank_genes"}
    assert len(re.findall(r"^rule enrich:", text, flags=re.M)) == len(MODELS)  # only the new library


@pytest.mark.browser
def test_every_report_page_loads_renders_and_links_in_a_real_browser(run, browser):
    """From the comparison page, chromium reaches every model's index and dimension pages: no console
    error, every image rendered, every link resolves, no screenshot blank."""
    from tests.browser import check_site

    problems = check_site(browser, out(run) / "comparison" / "index.html")
    visited = {path.relative_to(out(run).resolve()).as_posix() for path in problems}
    expected = {"comparison/index.html"} | {f"{m}/report/index.html" for m in MODELS} | {
        f"{m}/report/dim_{k}.html" for m in MODELS for k in range(N_LATENT)}
    assert expected <= visited, f"pages not reached by links: {sorted(expected - visited)}"
    assert not {page: p for page, p in problems.items() if p}


def test_report_pages_show_every_part(run):
    """Index: training curves, KL, NES heatmap, UMAP by cell type; each dimension page: traversal,
    running scores, violins by cell type, the latent UMAP; each figure captioned."""
    report = out(run, "beta1") / "report"
    index = (report / "index.html").read_text()
    for src in ("training.png", "kl_per_dim.png", "X_umap_by_0_cell_type.png"):
        assert f'src="figures/{src}"' in index and (report / "figures" / src).stat().st_size > 1000
    tables = [pd.read_csv(out(run, "beta1") / "enrichment" / f"{library}.tsv", sep="\t") for library in LIBRARIES]
    significant = any((t["fdr"] < 0.05).any() for t in tables)
    assert ('src="figures/nes_heatmap.png"' in index) == significant
    assert ("No gene set is significant in any dimension" in index) == (not significant)
    page = (report / "dim_0.html").read_text()
    for src in ("dim_0_traversal.png", "dim_0_gsea_0.png", "dim_0_by_0_cell_type.png", "dim_0_X_umap.png"):
        assert f'src="figures/{src}"' in page
    for html in (index, page):
        figures = re.findall(r'<div class="figure">(.*?)</div>', html, flags=re.S)
        assert figures and all('class="caption"' in f for f in figures)


def test_snakemake_report_bundles_every_model_report(run):
    """`snakemake --report report.zip` holds every model's report folder, the comparison page and the
    training figures (Snakemake files each output under a hashed folder), listed by category."""
    import zipfile

    proc = run_snakemake(run, "--report", "report.zip")
    assert proc.returncode == 0, tail(proc)
    with zipfile.ZipFile(run / "report.zip") as bundle:
        names = bundle.namelist()
        html = bundle.read("report/report.html").decode()
    count = lambda suffix: sum(n.endswith(suffix) for n in names)  # noqa: E731
    assert count("/index.html") == len(MODELS) + 1  # each model's report and the comparison page
    assert count("/dim_0_traversal.png") == len(MODELS)
    assert sum(bool(re.search(r"/dim_\d+\.html$", n)) for n in names) == len(MODELS) * N_LATENT
    assert count("/reconstruction_vs_scores.png") == 1
    assert count("/training.png") == 2 * len(MODELS)  # rule plot_training's, and its copy in each report
    for category in ("Per-dimension reports", "Comparison", "Summary", "Training"):
        assert category in html, category
