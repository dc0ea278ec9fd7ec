"""read_gmt, gene_overlap, check_overlap (case 02: Ensembl IDs against symbol gene sets)."""

from __future__ import annotations

import gzip
from pathlib import Path

import anndata as ad
import pandas as pd
import pytest

from disentangle.errors import InputError
from disentangle.io import check_overlap, check_testable, gene_overlap, id_style, read_gmt

BAD = Path(__file__).parents[2].parent / "shared" / "bad-inputs"
CASE02 = BAD / "02_ensembl_ids_vs_symbol_gmt"
needs_bad = pytest.mark.skipif(not BAD.is_dir(), reason=f"shared bad inputs not found at {BAD}")


def write(tmp_path: Path, text: str, name: str = "sets.gmt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_gmt_strips_empty_fields_and_dedups(tmp_path):
    path = write(tmp_path, "A\tdesc a\tG1\tG2\t\tG1 \tG3\t\n\nB\t\tG4\n C \thttp://x\tG5\tG5\n")
    assert read_gmt(path) == {"A": ["G1", "G2", "G3"], "B": ["G4"], "C": ["G5"]}


def test_read_gmt_gzipped(tmp_path):
    path = tmp_path / "sets.gmt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("A\td\tG1\tG2\n")
    assert read_gmt(path) == {"A": ["G1", "G2"]}


def test_read_gmt_missing_file(tmp_path):
    with pytest.raises(InputError) as exc:
        read_gmt(tmp_path / "absent.gmt")
    msg = str(exc.value)
    assert "absent.gmt" in msg and "does not exist" in msg and "Fix:" in msg and "url" in msg


def test_read_gmt_skips_sets_without_genes(tmp_path, caplog):
    # e.g. the shared mouse Reactome file, where ortholog mapping emptied 27 sets
    path = write(tmp_path, "A\td\tG1\nEMPTY_SET\tdescription only\t\t\n")
    with caplog.at_level("WARNING"):
        assert read_gmt(path) == {"A": ["G1"]}
    assert "1 sets without genes skipped: 'EMPTY_SET' (line 2)" in caplog.text
    only_empty = write(tmp_path, "EMPTY_SET\td\n")
    with pytest.raises(InputError, match="no gene sets with genes") as exc:
        read_gmt(only_empty)
    assert "Fix:" in str(exc.value)


def test_shared_mouse_reactome_reads_with_its_empty_sets_skipped():
    path = Path(__file__).parents[2] / "resources" / "genesets" / "mouse" / "reactome_pathways_2021-10_mouse_orthologs.gmt"
    if not path.exists():
        pytest.fail(f"{path} missing: run `make resources`")
    assert len(read_gmt(path)) == 2477  # 2,504 lines, 27 of them without genes


def test_read_gmt_duplicate_names(tmp_path):
    path = write(tmp_path, "A\td\tG1\nB\td\tG2\nA\td\tG3\n")
    with pytest.raises(InputError, match=r"1 duplicated set names: 'A' \(lines 1 and 3\)"):
        read_gmt(path)


def test_read_gmt_space_separated_and_empty(tmp_path):
    with pytest.raises(InputError, match="line 1 .* has no tab"):
        read_gmt(write(tmp_path, "A d G1 G2\n"))
    with pytest.raises(InputError, match="no gene sets"):
        read_gmt(write(tmp_path, "\n\n", "empty.gmt"))


def test_gene_overlap_figures():
    sets = {"A": ["G1", "G2", "G3"], "B": ["G3", "G4"]}
    assert gene_overlap(sets, ["G1", "G3", "X", "X"]) == {
        "n_genes_in_sets": 4,
        "n_genes_in_data": 2 + 1,
        "n_overlap": 2,
        "fraction": 0.5,
    }
    assert gene_overlap({}, ["G1"])["fraction"] == 0.0


def test_check_overlap_passes_and_returns_figures():
    sets = {"A": ["CD3E", "CD4", "MS4A1"]}
    ov = check_overlap(sets, ["CD3E", "CD4", "LYZ"], gmt_path="h.gmt", data_source="d.h5ad")
    assert ov["n_overlap"] == 2


@needs_bad
def test_check_overlap_ensembl_data_vs_symbol_sets_case02():
    sets = read_gmt(CASE02 / "genesets_symbols.gmt")
    adata = ad.read_h5ad(CASE02 / "ensembl_var_names.h5ad")
    with pytest.raises(InputError) as exc:
        check_overlap(sets, adata.var_names, gmt_path=CASE02 / "genesets_symbols.gmt",
                      data_source="ensembl_var_names.h5ad")  # fmt: skip
    msg = str(exc.value)
    assert "genesets_symbols.gmt" in msg and "ensembl_var_names.h5ad" in msg
    assert "0 of the 100 genes in the gene sets (0.0%)" in msg
    assert "Ensembl IDs" in msg and "gene symbols" in msg and "ENSG90000000001.2" in msg
    assert "Fix:" in msg and "gene_symbols:" in msg
    # the symbol column names itself when passed as an alternative
    with pytest.raises(InputError, match=r"var\['gene_symbols'\] matches 100% of the set genes"):
        check_overlap(sets, adata.var_names, gmt_path="g.gmt", data_source="d.h5ad",
                      alternatives={"var['gene_symbols']": adata.var["gene_symbols"]})  # fmt: skip
    # mapped through the symbols, every set gene is found
    ov = check_overlap(sets, adata.var["gene_symbols"], gmt_path="g.gmt", data_source="d.h5ad")
    assert ov["fraction"] == 1.0


@needs_bad
def test_check_overlap_on_the_ranking_file_case02():
    ranking = pd.read_csv(CASE02 / "ranking_ensembl_ids.rnk", sep="\t", header=None)
    assert id_style(ranking[0])[0] == "ensembl_versioned"
    with pytest.raises(InputError, match="versioned Ensembl IDs"):
        check_overlap(read_gmt(CASE02 / "genesets_symbols.gmt"), ranking[0], gmt_path="g.gmt",
                      data_source="ranking_ensembl_ids.rnk")  # fmt: skip


def test_check_overlap_names_species_case_mismatch():
    human = {"CELL_CYCLE": ["CCNB1", "CDK1", "MKI67", "TOP2A", "AURKA"]}
    mouse_genes = ["Ccnb1", "Cdk1", "Mki67", "Top2a", "Aurka", "Actb", "Gapdh"]
    with pytest.raises(InputError) as exc:
        check_overlap(human, mouse_genes, gmt_path="h.gmt", data_source="mesc.h5ad")
    msg = str(exc.value)
    assert "title-case gene symbols (mouse style)" in msg and "upper-case gene symbols (human style)" in msg
    assert "Ignoring case, 100% of the set genes match" in msg and "species" in msg


def test_check_overlap_names_version_suffixes():
    sets = {"S": ["ENSG00000141510", "ENSG00000012048", "ENSG00000139618"]}
    data = ["ENSG00000141510.17", "ENSG00000012048.23", "ENSG00000139618.15", "ENSG00000000003.15"]
    with pytest.raises(InputError, match="(?s)Without Ensembl version suffixes.*100%"):
        check_overlap(sets, data, gmt_path="s.gmt", data_source="d.h5ad")


def test_check_overlap_threshold():
    sets = {"S": [f"G{i}" for i in range(100)]}
    data = ["G0", "G1", "G2"] + [f"X{i}" for i in range(50)]
    with pytest.raises(InputError, match=r"3 of the 100 genes .*\(3.0%\)"):
        check_overlap(sets, data, gmt_path="s.gmt", data_source="d.h5ad")
    ov = check_overlap(sets, data, gmt_path="s.gmt", data_source="d.h5ad", min_fraction=0.02)
    assert ov["n_overlap"] == 3


def test_no_overlap_with_the_same_identifier_style_names_species_or_panel():
    sets = {"S": ["CD3E", "CD19", "MS4A1", "LYZ", "NKG7"]}
    with pytest.raises(InputError, match="same kind of identifier but share") as exc:
        check_overlap(sets, ["ACTB", "GAPDH", "MALAT1", "B2M"], gmt_path="g.gmt", data_source="d.h5ad")
    assert "species" in str(exc.value) and "gene_set_libraries" in str(exc.value)


@needs_bad
def test_bad_input_12_no_set_testable_is_found_before_training(caplog):
    """bad-inputs/12: 12 ranked genes, sets of 22 sharing 3-4 of them: with min_size 15 nothing could
    ever be tested, which check_gene_sets now says (a warning with the fix) before any model is trained."""
    import logging

    case = BAD / "12_small_ranking_min_size"
    sets = read_gmt(case / "genesets_22_members_each.gmt")
    genes = [line.split("\t")[0] for line in (case / "ranking_12_genes.rnk").read_text().splitlines() if line.strip()]
    with caplog.at_level(logging.WARNING):
        assert check_testable(sets, genes, min_size=15, max_size=500, gmt_path="sets.gmt", data_source="data.h5ad") == 0
    assert "none of its 4 gene sets has 15-500 genes among the 12 genes of data.h5ad (the largest overlap is 4 genes)" in caplog.text
    assert "lower enrichment.min_size in config.yaml to at most 4" in caplog.text
    caplog.clear()
    assert check_testable(sets, genes, min_size=3, max_size=500, gmt_path="sets.gmt", data_source="data.h5ad") == 4
    assert "none of its" not in caplog.text
