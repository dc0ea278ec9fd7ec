"""Read expression tables (csv / tsv, optionally gzipped) in either orientation."""

from __future__ import annotations

import csv
import logging
import os
import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import InputError
from .files import is_gzip, open_maybe_gzip
from .identifiers import gene_likeness

log = logging.getLogger(__name__)

#: Column names (compared lower-case, without ``_``/``.``/spaces) that annotate genes rather than
#: hold expression values: featureCounts, htseq/RSEM/GTF-derived tables, array annotations.
ANNOTATION_COLUMNS = frozenset(
    {
        "chr", "chrom", "chromosome", "seqname", "seqnames", "start", "end", "stop", "strand",
        "length", "effectivelength", "genename", "genesymbol", "symbol", "genetype", "genebiotype",
        "biotype", "description", "genedescription", "entrez", "entrezid", "geneid", "ensemblid",
    }
)  # fmt: skip
ORIENTATIONS = ("auto", "cells_as_rows", "genes_as_rows")
_SEPARATORS = {"csv": ",", "tsv": "\t"}
_SEP_NAMES = {",": "comma", "\t": "tab"}


def _norm(name: object) -> str:
    return re.sub(r"[\s_.]", "", str(name)).lower()


def _open_text(path: Path):
    """``(text handle, compression)``; gzip is recognised by its magic bytes, not the name."""
    return open_maybe_gzip(path, "rt", encoding="utf-8", errors="replace"), "gzip" if is_gzip(path) else None


def read_head(path: Path) -> tuple[int, str, str | None]:
    """Number of leading ``#`` comment lines, the header line, and the compression."""
    fh, compression = _open_text(path)
    n_comment = 0
    header = ""
    with fh:
        for line in fh:
            if line.startswith("#"):
                n_comment += 1
                continue
            header = line.rstrip("\r\n")
            break
    return n_comment, header, compression


def _non_numeric_report(df: pd.DataFrame, positions: list[int]) -> str:
    parts = []
    for pos in positions[:5]:
        col, values = df.columns[pos], df.iloc[:, pos]
        bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
        example = f" (e.g. {bad.iloc[0]!r} in row {bad.index[0]!r})" if len(bad) else ""
        parts.append(f"{col!r}{example}")
    more = f" and {len(positions) - 5} more" if len(positions) > 5 else ""
    return ", ".join(parts) + more


def _decide_orientation(
    rows: pd.Index, cols: pd.Index, has_annotation: bool
) -> tuple[bool, str, bool]:
    """``(genes_are_rows, reason, by_labels)``; the rule is documented in :func:`read_table`.

    ``by_labels``: the labels themselves told (rule 1), not the annotation columns or the shape.
    """
    s_rows, s_cols = gene_likeness(rows), gene_likeness(cols)
    ex_r = ", ".join(map(str, rows[:2]))
    ex_c = ", ".join(map(str, cols[:2]))
    if abs(s_rows - s_cols) >= 0.5:
        genes_rows = s_rows > s_cols
        return genes_rows, (
            f"{'row' if genes_rows else 'column'} labels look like gene identifiers "
            f"(gene-likeness {max(s_rows, s_cols):+.2f}, e.g. {ex_r if genes_rows else ex_c}) and "
            f"{'column' if genes_rows else 'row'} labels do not "
            f"({min(s_rows, s_cols):+.2f}, e.g. {ex_c if genes_rows else ex_r})"
        ), True
    if has_annotation:
        return True, "the table has gene annotation columns (featureCounts style), which describe rows", False
    if len(rows) != len(cols):
        genes_rows = len(rows) > len(cols)
        return genes_rows, (
            f"labels do not tell (gene-likeness rows {s_rows:+.2f}, columns {s_cols:+.2f}); "
            f"the longer axis ({max(len(rows), len(cols))} {'rows' if genes_rows else 'columns'}) "
            "is taken as genes"
        ), False
    return False, "labels and shape do not tell; scanpy's convention (cells as rows) is used", False


def _to_matrix(values: np.ndarray):
    """float32 (float64 for integers beyond float32's exact range), CSR when mostly zeros."""
    finite = values[np.isfinite(values)]
    if finite.size and np.abs(finite).max() > 2**24 and np.all(finite == np.round(finite)):
        values = values.astype(np.float64)
    else:
        values = values.astype(np.float32)
    if values.size and np.count_nonzero(values) < 0.5 * values.size:
        return sparse.csr_matrix(values)
    return values


def read_table(
    path: str | os.PathLike,
    *,
    sep: str = ",",
    orientation: str = "auto",
) -> ad.AnnData:
    """Read a csv/tsv expression table (optionally gzipped) as cells x genes.

    The first column holds the row labels and the first non-comment line the column labels.
    Leading lines starting with ``#`` are skipped (featureCounts writes one).

    Handled automatically (each step is logged):

    - gzip is recognised by its magic bytes, whatever the file name;
    - if the header has no ``sep`` but has the other separator (tab vs comma), that one is used;
    - gene annotation columns (Chr, Start, End, Strand, Length, gene_name, ... see
      :data:`ANNOTATION_COLUMNS`) are taken out of the matrix and kept in ``var``;
    - empty columns (a trailing separator) are dropped;
    - htseq-count summary rows (gene labels starting with ``__``) are dropped.

    Orientation rule (``orientation="auto"``):

    1. Each label scores +1 if it is a database gene id (Ensembl, Affymetrix probe set,
       RefSeq), +0.5 if it looks like a gene symbol, -1 if it looks like a cell barcode or a
       sample name (``cell001``, ``sample_01``, ``NA20502``, ``SRR…``, ``GSM…``), else 0;
       see :func:`~disentangle.io.identifiers.gene_likeness`. If the mean scores of row and
       column labels differ by at least 0.5, the higher-scoring axis is genes.
    2. Otherwise, if annotation columns were found, genes are rows.
    3. Otherwise the longer axis is genes (bulk tables have far more genes than samples);
       on a square table rows are cells.

    Parameters
    ----------
    path
        The table.
    sep
        Expected field separator (``","`` or ``"\\t"``).
    orientation
        ``"auto"`` (the rule above), ``"cells_as_rows"`` or ``"genes_as_rows"``.

    Returns
    -------
    AnnData with cells as obs and genes as var; ``X`` is float32 (float64 for integers above
    2**24) and CSR when more than half the entries are zero. Annotation columns are in ``var``.

    Raises
    ------
    InputError
        Unparseable file, no data columns, or non-numeric data columns.
    """
    path = Path(path)
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {ORIENTATIONS}, not {orientation!r}")
    n_comment, header, compression = read_head(path)
    if not header.strip():
        raise InputError(path, "the table has no header line and no data", "give a non-empty table")
    other = "\t" if sep == "," else ","
    if sep not in header and other in header:
        log.warning(
            "%s: header has no %s but %d %ss; reading it %s-separated",
            path, _SEP_NAMES.get(sep, repr(sep)), header.count(other), _SEP_NAMES[other], _SEP_NAMES[other],
        )
        sep = other
    try:
        df = pd.read_csv(
            path, sep=sep, skiprows=n_comment, index_col=0, compression=compression, low_memory=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            path,
            f"could not be parsed as a {_SEP_NAMES.get(sep, repr(sep))}-separated table: {exc}",
            "check that every line has the same number of fields and that the format "
            "(csv or tsv) in config.yaml matches the file",
        ) from exc
    df.index = df.index.astype(str)
    fields = next(csv.reader([header], delimiter=sep))
    if len(fields) == df.shape[1] + 1:
        df.columns = [f.strip() for f in fields[1:]]  # undo pandas' renaming of duplicates (A, A.1)
    df.columns = df.columns.astype(str)

    empty = [c for c in df.columns if c.startswith("Unnamed:") and df[c].isna().all()]
    if empty:
        log.info("%s: dropped %d empty column(s) %s", path, len(empty), empty)
        df = df.drop(columns=empty)

    annot_cols = [c for c in df.columns if _norm(c) in ANNOTATION_COLUMNS]
    annotation = df[annot_cols]
    data = df.drop(columns=annot_cols)
    if annot_cols:
        log.info("%s: annotation columns kept out of the matrix: %s", path, annot_cols)
    if data.shape[1] == 0 or data.shape[0] == 0:
        raise InputError(
            path,
            f"no expression values: {data.shape[0]} rows and {data.shape[1]} data columns "
            f"(annotation columns: {annot_cols or 'none'})",
            "give a table with row labels in the first column and one numeric column per cell/sample",
        )
    bad = [i for i, dt in enumerate(data.dtypes) if not pd.api.types.is_numeric_dtype(dt)]
    if bad:
        raise InputError(
            path,
            f"{len(bad)} of {data.shape[1]} data columns are not numeric: {_non_numeric_report(data, bad)}",
            "remove non-numeric columns (keep cell or gene annotations in a separate file); "
            "gene annotation columns are recognised by these names: "
            + ", ".join(sorted(ANNOTATION_COLUMNS)),
        )

    if orientation == "auto":
        genes_rows, reason, _ = _decide_orientation(data.index, data.columns, bool(annot_cols))
    else:
        genes_rows, reason = orientation == "genes_as_rows", "set explicitly"
        inferred, why, by_labels = _decide_orientation(data.index, data.columns, bool(annot_cols))
        if by_labels and inferred != genes_rows:
            log.warning("%s: `orientation: %s` is set, but %s: check the setting (genes would be the %s)",
                        path, orientation, why, "rows" if inferred else "columns")
    if genes_rows:
        counters = [g for g in data.index if g.startswith("__")]
        if counters:
            log.info("%s: dropped %d htseq-count summary rows %s", path, len(counters), counters)
            data, annotation = data.drop(index=counters), annotation.drop(index=counters)
        adata = ad.AnnData(
            X=_to_matrix(data.to_numpy(dtype=np.float64).T),
            obs=pd.DataFrame(index=pd.Index(data.columns, name=None)),
            var=annotation.copy().rename_axis(None),
        )
    else:
        counters = [g for g in data.columns if g.startswith("__")]
        if counters:
            log.info("%s: dropped %d htseq-count summary columns %s", path, len(counters), counters)
            data = data.drop(columns=counters)
        adata = ad.AnnData(
            X=_to_matrix(data.to_numpy(dtype=np.float64)),
            obs=annotation.copy().rename_axis(None),
            var=pd.DataFrame(index=pd.Index(data.columns, name=None)),
        )
    log.info(
        "%s: genes are %s -> %d cells x %d genes; reason: %s",
        path, "rows (table transposed)" if genes_rows else "columns", adata.n_obs, adata.n_vars, reason,
    )
    return adata
