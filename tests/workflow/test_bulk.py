"""Bulk data end to end from configs/bulk.yaml: GEUVADIS RNA-seq counts and the ALL microarrays.

The two datasets of configs/bulk.yaml run through the whole pipeline as a user would configure
them, with two changes that keep the test short (fewer epochs and permutations, one model) and two
that exercise the other input forms on the same real data: GEUVADIS comes without its `sex` column,
which an annotation table (tsv) joins back by sample id, and ALL comes as a gzipped genes-as-rows
table with a featureCounts-style `gene_name` column instead of an h5ad.
"""

from __future__ import annotations

import gzip
import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import yaml

from smk_helpers import REPO, libraries, run_or_fail, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata]

DATASETS = REPO / "resources" / "datasets"


@pytest.fixture(scope="module")
def bulk_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bulk")
    config = yaml.safe_load((REPO / "configs" / "bulk.yaml").read_text())
    geuvadis, all_bulk = config["datasets"]["geuvadis"], config["datasets"]["all_bulk"]

    counts = ad.read_h5ad(REPO / geuvadis["path"])
    counts.obs[["sex"]].rename_axis("sample").to_csv(workdir / "samples.tsv", sep="\t")
    counts.obs = counts.obs.drop(columns="sex")
    counts.write_h5ad(workdir / "geuvadis_no_sex.h5ad")
    geuvadis.update(path=str(workdir / "geuvadis_no_sex.h5ad"), annotations={"path": "samples.tsv", "id_column": "sample"})

    arrays = ad.read_h5ad(REPO / all_bulk["path"])
    table = pd.DataFrame(np.asarray(arrays.X).T, index=arrays.var_names, columns=arrays.obs_names)
    table.insert(0, "gene_name", arrays.var["symbol"].to_numpy())
    with gzip.open(workdir / "all_probes.tsv.gz", "wt") as fh:
        table.rename_axis("probe_set").to_csv(fh, sep="\t")
    arrays.obs[["BT_lineage"]].to_csv(workdir / "all_samples.csv")
    all_bulk.update(path=str(workdir / "all_probes.tsv.gz"), format="tsv", orientation="genes_as_rows",
                    gene_symbols="gene_name", annotations={"path": "all_samples.csv"})

    for entry in (geuvadis, all_bulk):
        entry.update(models=["vae"], gene_set_libraries=["panglaodb", "cell_cycle"], training={"epochs": 100})
    config.update(
        models={"vae": {"objective": "beta", "beta": 1.0}},
        gene_set_libraries=libraries(),
        enrichment={"permutations": 50, "min_size": 5},
        umap={"enabled": False},
    )
    write_config(workdir, config)
    return run_or_fail(workdir, "--cores", "2")


def test_samples_are_not_filtered_as_cells(bulk_run):
    for dataset, n_samples in (("geuvadis", 85), ("all_bulk", 128)):
        pre = ad.read_h5ad(bulk_run / "results" / dataset / "preprocessed.h5ad", backed="r")
        assert pre.n_obs == n_samples, dataset
        settings = pre.uns["preprocess"]["params"]
        assert settings["min_genes"] == 0 and settings["max_pct_mito"] == 100.0, settings


def test_identifiers_are_collapsed_to_symbols(bulk_run):
    raw = ad.read_h5ad(bulk_run / "results" / "geuvadis" / "raw.h5ad", backed="r")
    assert {"DDX3Y", "RPS4Y1"} <= set(raw.var_names)
    assert raw.var["original_id"].str.startswith("ENSG").all()
    assert raw.var_names.is_unique
    arrays = ad.read_h5ad(bulk_run / "results" / "all_bulk" / "raw.h5ad", backed="r")
    # 12,625 probe sets; one per symbol kept (the most expressed), those without a symbol dropped
    assert arrays.n_obs == 128 and arrays.var_names.is_unique and 8000 < arrays.n_vars < 12625
    assert raw.obs["sex"].value_counts().to_dict() == {"Male": 44, "Female": 41}  # from the annotation table
    assert set(arrays.obs["BT_lineage"]) == {"B", "T"}


def test_likelihood_and_training_suit_each(bulk_run):
    specs = {d: json.loads((bulk_run / "results" / d / "vae" / "specs.json").read_text()) for d in ("geuvadis", "all_bulk")}
    flat = {d: json.dumps(s) for d, s in specs.items()}
    assert '"likelihood": "nb"' in flat["geuvadis"] and '"likelihood": "gaussian"' in flat["all_bulk"]
    for dataset in specs:
        log = (bulk_run / "logs" / dataset / "vae" / "train_vae.log").read_text()
        assert "batch_size=16" in log and "epochs=100" in log, dataset  # the assay's batch size, the dataset's epochs


def test_known_factor_scored_and_report_written(bulk_run):
    for dataset, factor in (("geuvadis", "sex"), ("all_bulk", "BT_lineage")):
        factors = pd.read_csv(bulk_run / "results" / dataset / "vae" / "factors.tsv", sep="\t")
        assert factor in set(factors["factor"]), dataset
        assert (bulk_run / "results" / dataset / "vae" / "report" / "index.html").is_file()
        assert (bulk_run / "results" / dataset / "comparison" / "index.html").is_file()
    # B vs T lineage is the dominant axis of ALL: one dimension nearly separates the two
    labels = pd.read_csv(bulk_run / "results" / "all_bulk" / "vae" / "labels.tsv", sep="\t").set_index("category")
    assert abs(labels.loc["T", "auroc"] - 0.5) > 0.4, labels
