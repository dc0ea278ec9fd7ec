"""Published gene-set sources that are not GMT become the same GMT files that resources/ holds."""

import gzip

import pandas as pd
import pytest

from disentangle.errors import InputError
from disentangle.io import convert_to_gmt, read_gmt
from disentangle.io.convert import panglaodb_gene_sets

from ..conftest import GENESETS


def test_regev_list_converts_to_the_shared_tirosh_gmt(tmp_path):
    source = GENESETS / "regev_lab_cell_cycle_genes.txt"
    if not source.exists():
        pytest.fail(f"{source} missing: run `make resources`")
    gmt = convert_to_gmt(source, tmp_path / "cc.gmt", source_format="regev_cell_cycle_txt", species="human")
    converted, shared = read_gmt(gmt), read_gmt(GENESETS / "tirosh2016_cell_cycle.gmt")
    assert converted == shared
    assert len(converted["TIROSH_S_PHASE"]) == 43 and len(converted["TIROSH_G2M_PHASE"]) == 54
    mouse = read_gmt(convert_to_gmt(source, tmp_path / "mm.gmt", source_format="regev_cell_cycle_txt", species="mouse"))
    assert mouse["TIROSH_S_PHASE"][:2] == ["Mcm5", "Pcna"]


def _panglaodb_table():
    return pd.DataFrame({
        "species": ["Mm Hs", "Hs", "Mm", "Mm Hs", "Mm Hs"],
        "official gene symbol": ["CD19", "MS4A1", "Cd79b", "CD3E", "CD19"],
        "cell type": ["B cells", "B cells", "B cells", "T cells", "B cells"],
        "organ": ["Immune system"] * 5,
    })


def test_panglaodb_table_converts_per_species(tmp_path):
    human = panglaodb_gene_sets(_panglaodb_table(), species="human")
    assert human == {"PANGLAODB_B_CELLS": ["CD19", "MS4A1", "CD19"], "PANGLAODB_T_CELLS": ["CD3E"]}
    mouse = panglaodb_gene_sets(_panglaodb_table(), species="mouse")
    assert mouse["PANGLAODB_B_CELLS"] == ["Cd19", "Cd79b", "Cd19"]
    source = tmp_path / "markers.tsv.gz"
    with gzip.open(source, "wt") as fh:
        _panglaodb_table().to_csv(fh, sep="\t", index=False)
    gmt = read_gmt(convert_to_gmt(source, tmp_path / "p.gmt", source_format="panglaodb_tsv", species="human"))
    assert gmt["PANGLAODB_B_CELLS"] == ["CD19", "MS4A1"]  # deduplicated in the GMT


def test_a_table_that_is_not_panglaodb_is_a_clear_error():
    with pytest.raises(InputError, match="cell type"):
        panglaodb_gene_sets(pd.DataFrame({"gene": ["A"]}), species="human", source="x.tsv")
