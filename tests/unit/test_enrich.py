"""gseapy prerank on every dimension finds a planted gene set in the right dimension and pole."""

import numpy as np
import pandas as pd

from disentangle import keys
from disentangle.enrich import COLUMNS, prerank_dimensions


def _scores():
    rng = np.random.default_rng(1)
    genes = [f"GENE{i}" for i in range(600)]
    scores = pd.DataFrame(rng.normal(size=(600, 3)), index=genes, columns=["z0", "z1", "z2"])
    scores.loc[genes[:25], "z1"] += 3.0  # program A at the high pole of z1
    scores.loc[genes[100:125], "z2"] -= 3.0  # program B at the low pole of z2
    sets = {"PROGRAM_A": genes[:25], "PROGRAM_B": genes[100:125]}
    sets.update({f"RANDOM_{j}": genes[200 + 25 * j : 225 + 25 * j] for j in range(8)})
    return scores, sets


def test_planted_sets_are_found_in_their_dimension_only():
    scores, sets = _scores()
    table = prerank_dimensions(scores, sets, library="planted", permutations=200, min_size=10, seed=0)
    assert list(table.columns) == COLUMNS
    assert len(table) == 3 * len(sets)
    significant = table[table[keys.FDR] < 0.05]
    planted = significant[significant[keys.TERM].str.startswith("PROGRAM")]
    assert set(zip(planted[keys.DIMENSION], planted[keys.TERM])) == {("z1", "PROGRAM_A"), ("z2", "PROGRAM_B")}
    assert "z0" not in set(significant[keys.DIMENSION])
    top = table.groupby(keys.DIMENSION).first()  # sorted by FDR then |NES| within a dimension
    assert top.loc["z1", keys.TERM] == "PROGRAM_A" and top.loc["z2", keys.TERM] == "PROGRAM_B"
    a = table[(table[keys.TERM] == "PROGRAM_A") & (table[keys.DIMENSION] == "z1")].iloc[0]
    b = table[(table[keys.TERM] == "PROGRAM_B") & (table[keys.DIMENSION] == "z2")].iloc[0]
    assert a[keys.NES] > 1.5 and b[keys.NES] < -1.5
    assert a[keys.OVERLAP] == 25 and a[keys.SET_SIZE] == 25
    assert set(a[keys.LEADING_EDGE].split(";")) <= set(sets["PROGRAM_A"])


def test_same_seed_same_result_and_sets_below_min_size_are_not_tested():
    scores, sets = _scores()
    sets["TINY"] = ["GENE0", "GENE1", "NOT_IN_DATA"]
    first = prerank_dimensions(scores, sets, library="x", permutations=100, min_size=10, seed=3)
    second = prerank_dimensions(scores, sets, library="x", permutations=100, min_size=10, seed=3)
    pd.testing.assert_frame_equal(first, second)
    assert "TINY" not in set(first[keys.TERM])


def test_no_testable_set_gives_an_empty_table_with_columns():
    scores, _ = _scores()
    table = prerank_dimensions(scores, {"SMALL": ["GENE0", "GENE1"]}, library="x", permutations=50, min_size=10)
    assert table.empty and list(table.columns) == COLUMNS


def test_bad_input_12_ranking_shorter_than_min_size(caplog):
    """bad-inputs/12: a 12-gene ranking; every 22-gene set keeps 3-4 ranked genes. With min_size 15 the
    result is an empty table and a warning that says why (gseapy alone raises a LookupError); with
    min_size 3 all four sets are tested."""
    import logging
    from pathlib import Path

    from disentangle.io import read_gmt

    case = Path(__file__).parents[2].parent / "shared" / "bad-inputs" / "12_small_ranking_min_size"
    ranking = pd.read_csv(case / "ranking_12_genes.rnk", sep="\t", header=None, index_col=0).iloc[:, 0]
    scores = pd.DataFrame({"z0": ranking})
    sets = read_gmt(case / "genesets_22_members_each.gmt")
    with caplog.at_level(logging.WARNING):
        empty = prerank_dimensions(scores, sets, library="case12", permutations=50, min_size=15)
    assert empty.empty and list(empty.columns) == COLUMNS
    assert "case12: no gene set has 15-500 genes in the 12 ranked genes; nothing tested" in caplog.text
    tested = prerank_dimensions(scores, sets, library="case12", permutations=50, min_size=3)
    assert sorted(tested[keys.TERM]) == ["BIGSET_1", "BIGSET_2", "BIGSET_3", "BIGSET_4"]
    assert tested.set_index(keys.TERM).loc["BIGSET_1", keys.NES] > 0 > tested.set_index(keys.TERM).loc["BIGSET_4", keys.NES]
