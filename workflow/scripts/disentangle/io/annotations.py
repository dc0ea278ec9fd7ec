"""A cell or sample annotation table (cell types, sex, batch, ...) joined to the data by id.

The table is read as text (csv or tsv, gzipped or not, the separator taken from its header), one
row per cell or sample, one column of ids matching the data's obs names. Its other columns are
added to ``obs`` (replacing columns of the same name); cells without a row get missing values.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import anndata as ad
import pandas as pd

from ..errors import InputError
from .tables import read_head

log = logging.getLogger(__name__)

#: A 10x-style numeric suffix (``-1``) that one side of a join may carry and the other not.
_SUFFIX = re.compile(r"-\d+$")


def read_annotations(path: str | os.PathLike, id_column: str | None = None) -> pd.DataFrame:
    """Read an annotation table indexed by its id column (by default its first column).

    Parameters
    ----------
    path
        csv or tsv, optionally gzipped; leading ``#`` lines are skipped.
    id_column
        The column holding cell or sample ids; ``None``: the first column.

    Returns
    -------
    The other columns, indexed by the ids as strings.

    Raises
    ------
    InputError
        The file is missing, empty or unparseable, the id column is absent, or an id repeats.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the annotation table does not exist",
                         "correct `annotations.path` of this dataset in config.yaml")
    n_comment, header, compression = read_head(path)
    sep = "\t" if header.count("\t") > header.count(",") else ","
    try:
        table = pd.read_csv(path, sep=sep, skiprows=n_comment, compression=compression, dtype=str,
                            keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"could not be read as a csv/tsv annotation table: {exc}",
                         "give a table with a header line, one row per cell or sample") from exc
    if table.empty:
        raise InputError(path, "the annotation table has no rows", "give one row per cell or sample")
    column = table.columns[0] if id_column is None else id_column
    if column not in table.columns:
        raise InputError(path, f"has no column {column!r} (columns: {list(table.columns)[:10]})",
                         "set `annotations.id_column` to the column holding the cell or sample ids")
    ids = table.pop(column).astype(str).str.strip()
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        raise InputError(path, f"{len(repeated)} ids of column {column!r} repeat (e.g. {', '.join(repeated[:3])})",
                         "give each cell or sample one row")
    table.index = pd.Index(ids.to_numpy(), name=None)
    return table.apply(_typed)


def _typed(column: pd.Series) -> pd.Series:
    """Numbers as numbers, everything else as text (read as text so that ids keep their zeros).

    Whole numbers stay integers (pandas' nullable ``Int64``) even where some rows are empty, so a
    column of cluster ids with gaps is still a discrete label, not a continuous one.
    """
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().sum() != column.notna().sum():
        return column
    finite = numeric.dropna()
    if len(finite) and (finite == finite.round()).all() and finite.abs().max() < 2**53:
        return numeric.astype("Int64")
    return numeric


def join_annotations(adata: ad.AnnData, table: pd.DataFrame, *, source: str | os.PathLike) -> ad.AnnData:
    """Add ``table``'s columns to ``adata.obs`` by matching its index to the obs names.

    Cells absent from the table get missing values (logged with their number); rows of cells
    absent from the data are ignored (logged). Returns a new AnnData.

    Raises
    ------
    InputError
        No id matches an obs name; the message shows examples of both and names a suffix or
        case difference when that is what keeps them apart.
    """
    obs_names = pd.Index(adata.obs_names.astype(str))
    matched = obs_names.isin(table.index)
    if not matched.any():
        raise InputError(source, f"none of its {len(table)} ids match the data's {adata.n_obs} cell/sample "
                                 f"names{_mismatch_hint(obs_names, table.index)}",
                         "give the table the data's ids (obs names), or set `annotations.id_column` to the "
                         "column that holds them")
    out = adata.copy()
    replaced = [c for c in table.columns if c in out.obs.columns]
    if replaced:
        log.warning("%s: columns %s replace the data's obs columns of the same name", source, replaced)
    joined = table.reindex(obs_names)
    for column in table.columns:
        out.obs[column] = joined[column].to_numpy()
    unused = int((~table.index.isin(obs_names)).sum())
    log.info("%s: %d columns joined to %d of %d cells/samples%s", source, table.shape[1], int(matched.sum()),
             adata.n_obs, f"; {unused} rows name cells/samples not in the data" if unused else "")
    if not matched.all():
        missing = obs_names[~matched]
        log.warning("%s: %d of %d cells/samples have no row; their annotations are missing (NA), e.g. %s%s",
                    source, len(missing), adata.n_obs, ", ".join(missing[:3]),
                    _mismatch_hint(missing, table.index[~table.index.isin(obs_names)], examples=False))
    return out


# Differences that keep equal ids apart, each as (how to normalise an id, what to tell the user).
_NORMALISATIONS = [
    (lambda i: _SUFFIX.sub("", i), "they match once a '-1'-style suffix is removed: one side carries 10x's suffix"),
    (str.upper, "they match when upper and lower case are ignored"),
    (lambda i: i.lstrip("0") or "0", "they match once leading zeros are removed: a spreadsheet may have read the ids as numbers"),
]


def _mismatch_hint(data_ids: pd.Index, table_ids: pd.Index, *, examples: bool = True) -> str:
    """Examples of both sides, and the difference that explains the mismatch where a simple one does."""
    text = f" (data: {', '.join(data_ids[:3])}; table: {', '.join(map(str, table_ids[:3]))})" if examples else ""
    for normalise, hint in _NORMALISATIONS:
        if {normalise(str(i)) for i in data_ids} & {normalise(str(i)) for i in table_ids}:
            return f"{text}; {hint}"
    return text
