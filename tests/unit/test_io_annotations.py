"""Annotation tables joined by id (io.annotations) and outputs written whole or not at all (io.files)."""

from __future__ import annotations

import gzip
import logging
import os
import stat

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from disentangle.errors import InputError
from disentangle.io import atomic_output, join_annotations, read_annotations, write_h5ad, write_table

ANNOTATIONS = "cell_annotations.csv"


def _data(names):
    return ad.AnnData(X=np.ones((len(names), 2), dtype=np.float32), obs=pd.DataFrame(index=names))


def test_pbmc_annotation_table_restores_the_cell_types(pbmc_path):
    """The shared PBMC 3k counts without their labels get them back from the Seurat annotation table."""
    full = ad.read_h5ad(pbmc_path)
    bare = full.copy()
    bare.obs = pd.DataFrame(index=full.obs_names)
    table = read_annotations(pbmc_path.parent / ANNOTATIONS)
    joined = join_annotations(bare, table, source=ANNOTATIONS)
    assert list(joined.obs_names) == list(full.obs_names)
    pd.testing.assert_series_equal(joined.obs["cell_type"].astype(str), full.obs["cell_type"].astype(str),
                                   check_names=False, check_categorical=False)
    assert joined.obs["n_counts"].dtype.kind in "if"  # numbers read back as numbers
    assert bare.obs.shape[1] == 0  # the input is not modified


def test_tsv_gzip_id_column_and_partial_match(tmp_path, caplog):
    path = tmp_path / "samples.tsv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("# exported from LIMS\nsex\tsample\tage\nF\tNA01\t30\nM\tNA02\t41\nM\tNA99\t50\n")
    table = read_annotations(path, id_column="sample")
    assert list(table.index) == ["NA01", "NA02", "NA99"]
    with caplog.at_level(logging.INFO):
        joined = join_annotations(_data(["NA02", "NA01", "NA03"]), table, source=path)
    assert list(joined.obs["sex"][:2]) == ["M", "F"]
    assert pd.isna(joined.obs["sex"].iloc[2])
    assert list(joined.obs["age"][:2]) == [41, 30]
    assert "1 of 3 cells/samples have no row" in caplog.text
    assert "1 rows name cells/samples not in the data" in caplog.text


def test_ids_keep_leading_zeros(tmp_path):
    (tmp_path / "a.csv").write_text("id,group\n01005,B\n01010,T\n")
    joined = join_annotations(_data(["01005", "01010"]), read_annotations(tmp_path / "a.csv"), source="a.csv")
    assert list(joined.obs["group"]) == ["B", "T"]


def test_no_match_names_the_10x_suffix(tmp_path):
    (tmp_path / "a.csv").write_text("barcode,cell_type\nAAAC,B\nAAAG,T\n")
    with pytest.raises(InputError) as err:
        join_annotations(_data(["AAAC-1", "AAAG-1"]), read_annotations(tmp_path / "a.csv"), source=tmp_path / "a.csv")
    text = str(err.value)
    assert "a.csv: none of its 2 ids match the data's 2 cell/sample names" in text
    assert "data: AAAC-1, AAAG-1; table: AAAC, AAAG" in text
    assert "'-1'-style suffix" in text and "Fix:" in text


@pytest.mark.parametrize(("content", "id_column", "message"), [
    ("id,x\na,1\na,2\n", None, "1 ids of column 'id' repeat (e.g. a)"),
    ("id,x\na,1\n", "cell", "has no column 'cell' (columns: ['id', 'x'])"),
    ("id,x\n", None, "the annotation table has no rows"),
])
def test_bad_tables_are_named(tmp_path, content, id_column, message):
    (tmp_path / "a.csv").write_text(content)
    with pytest.raises(InputError, match=None) as err:
        read_annotations(tmp_path / "a.csv", id_column)
    assert message in str(err.value) and str(tmp_path / "a.csv") in str(err.value)


def test_missing_table(tmp_path):
    with pytest.raises(InputError, match="the annotation table does not exist"):
        read_annotations(tmp_path / "absent.csv")


# --- outputs written whole or not at all ------------------------------------------------------

def test_atomic_output_moves_a_finished_file_into_place(tmp_path):
    frame = pd.DataFrame({"gene": ["A", "B"], "score": [1.5, -2.0]})
    path = write_table(frame, tmp_path / "sub" / "t.tsv")
    pd.testing.assert_frame_equal(pd.read_csv(path, sep="\t"), frame)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(path.parent) == ["t.tsv"]


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("complete\n")
    with pytest.raises(RuntimeError):
        with atomic_output(path) as tmp:
            tmp.write_text("half a tab")
            assert tmp.parent == tmp_path and tmp.name.startswith(".t.") and tmp.suffix == ".tsv"
            raise RuntimeError("killed mid-write")
    assert path.read_text() == "complete\n"
    assert os.listdir(tmp_path) == ["t.tsv"]


def test_write_h5ad_round_trips(tmp_path):
    adata = _data(["c1", "c2"])
    write_h5ad(adata, tmp_path / "x.h5ad")
    back = ad.read_h5ad(tmp_path / "x.h5ad")
    assert list(back.obs_names) == ["c1", "c2"] and back.X.sum() == 4


def test_integer_ids_with_gaps_stay_a_discrete_label(tmp_path):
    """Cluster ids with an empty row must not turn into floats (a continuous factor)."""
    from disentangle.metrics import factor_kinds

    (tmp_path / "a.csv").write_text("id,cluster,score\nc1,0,0.5\nc2,,1.5\nc3,3,2.0\n")
    table = read_annotations(tmp_path / "a.csv")
    assert str(table["cluster"].dtype) == "Int64" and table["cluster"].isna().sum() == 1
    assert factor_kinds(table) == {"cluster": "discrete", "score": "continuous"}


def test_partial_match_names_examples_and_lost_leading_zeros(tmp_path, caplog):
    (tmp_path / "a.csv").write_text("id,lineage\n1005,B\n3002,T\n12006,B\n")  # 01005 and 03002 lost their zeros
    with caplog.at_level(logging.WARNING):
        joined = join_annotations(_data(["01005", "03002", "12006"]), read_annotations(tmp_path / "a.csv"), source="a.csv")
    assert list(joined.obs["lineage"].fillna("NA")) == ["NA", "NA", "B"]
    assert "2 of 3 cells/samples have no row; their annotations are missing (NA), e.g. 01005, 03002" in caplog.text
    assert "they match once leading zeros are removed" in caplog.text


def test_a_killed_writers_leftover_is_removed_by_the_next_write(tmp_path):
    stale = tmp_path / ".raw.abc123.partial.h5ad"
    stale.write_bytes(b"half an h5ad")
    other = tmp_path / ".preprocessed.abc.partial.h5ad"  # another target's: not ours to remove
    other.write_bytes(b"x")
    write_h5ad(_data(["c1"]), tmp_path / "raw.h5ad")
    assert sorted(os.listdir(tmp_path)) == [".preprocessed.abc.partial.h5ad", "raw.h5ad"]
