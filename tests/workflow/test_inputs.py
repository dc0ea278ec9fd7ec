"""Identifier mismatches stop at check_gene_sets, before any training; `gene_symbols` fixes them."""

from __future__ import annotations

import anndata as ad
import pytest
from smk_helpers import REPO, libraries, output_of, run_snakemake, tail, write_config

ALL = REPO / "resources" / "datasets" / "ALL_chiaretti2004_bulk" / "ALL_hgu95av2_rma.h5ad"


def _config(**extra) -> dict:
    if not ALL.exists():
        pytest.fail(f"{ALL} missing: run `make resources`")
    dataset = {"path": str(ALL), "format": "h5ad", "species": "human", "values": "log_expression",
               "labels": ["BT_lineage"], **extra}
    return {"datasets": {"all": dataset}, "models": {"vae": {"objective": "beta", "beta": 1.0}},
            "gene_set_libraries": libraries()}


def test_probe_set_ids_fail_at_load_with_the_fix(tmp_path):
    write_config(tmp_path, _config())
    proc = run_snakemake(tmp_path, "--cores", "1", "results/all/summary.tsv")
    assert proc.returncode != 0
    logs = " ".join(p.read_text() for p in (tmp_path / "logs" / "all").glob("check_gene_sets_*.log"))
    assert "Affymetrix probe-set IDs" in logs and "Fix:" in logs
    assert "rule train_vae" not in output_of(proc)  # stopped before any training
    assert not list((tmp_path / "results" / "all").glob("*/model.pt"))


def test_gene_symbols_column_maps_probe_sets(tmp_path):
    write_config(tmp_path, _config(gene_symbols="symbol"))
    proc = run_snakemake(tmp_path, "--cores", "1", "results/all/raw.h5ad")
    assert proc.returncode == 0, tail(proc)
    raw = ad.read_h5ad(tmp_path / "results" / "all" / "raw.h5ad")
    assert raw.shape == (128, 9020)  # 12,625 probe sets, 9,020 distinct symbols
    assert not raw.var_names.has_duplicates
    assert {"CD19", "CD3E", "MAPK3"} <= set(raw.var_names)
    assert raw.var["original_id"].str.endswith("_at").all()
