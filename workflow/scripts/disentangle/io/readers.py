"""One entry point for every input format: :func:`read_dataset`."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anndata as ad

from ..errors import InputError
from .identifiers import gene_likeness
from .tables import ORIENTATIONS, read_table
from .tenx import read_10x_h5, read_10x_mtx
from .validate import VALUES, validate_expression

log = logging.getLogger(__name__)

#: Formats accepted by :func:`read_dataset` (``format:`` in config.yaml).
FORMATS = ("h5ad", "10x_mtx", "10x_h5", "csv", "tsv")


def read_h5ad(path: str | os.PathLike) -> ad.AnnData:
    """Read an AnnData file fully into memory; the file is opened read-only and never changed.

    ``layers["counts"]``, ``.raw`` and every other slot are kept as they are.

    Raises
    ------
    InputError
        The file is not a readable h5ad, or it looks transposed (genes as obs, cells as var:
        obs names score as gene identifiers and var names as cell/sample names, see
        :func:`~disentangle.io.identifiers.gene_likeness`).
    """
    path = Path(path)
    try:
        adata = ad.read_h5ad(path)
    except Exception as exc:  # h5py/anndata raise OSError, KeyError, ... for foreign files
        raise InputError(
            path,
            f"could not be read as an AnnData h5ad file: {type(exc).__name__}: {exc}",
            "check the file is complete (re-download or re-copy it) and that `format` in "
            "config.yaml matches it (10x_h5 for Cell Ranger .h5 files)",
        ) from exc
    s_obs, s_var = gene_likeness(adata.obs_names), gene_likeness(adata.var_names)
    if s_obs - s_var >= 1.0:
        raise InputError(
            path,
            f"looks transposed: obs names look like genes (e.g. {', '.join(adata.obs_names[:3])}) "
            f"and var names like cells or samples (e.g. {', '.join(adata.var_names[:3])}); "
            f"shape {adata.n_obs} x {adata.n_vars}",
            "write the file with cells as obs and genes as var (`adata.T.write_h5ad(...)`)",
        )
    return adata


def _missing(path: Path, fmt: str) -> InputError:
    parent = next((p for p in path.parents if p.exists()), None)
    return InputError(
        path,
        f"the {fmt} input does not exist"
        + (f" (nearest existing folder: {parent})" if parent is not None and str(parent) != "." else ""),
        "correct `path` in config.yaml, or set `url` for this dataset in config.yaml so that "
        "the download rule fetches it to `path`",
    )


def read_dataset(
    path: str | os.PathLike,
    fmt: str,
    *,
    values: str = "counts",
    orientation: str = "auto",
    validate: bool = True,
) -> ad.AnnData:
    """Read an expression dataset as cells x genes and check it before any heavy work.

    Parameters
    ----------
    path
        File or folder (``10x_mtx``).
    fmt
        ``"h5ad"``: AnnData, read into memory, file untouched, ``layers["counts"]`` kept as is.
        ``"10x_mtx"``: Cell Ranger matrix folder, v2 (``genes.tsv``) or v3 (``features.tsv``)
        names, gzipped or not, any common file prefix; see :func:`~disentangle.io.tenx.read_10x_mtx`.
        ``"10x_h5"``: Cell Ranger HDF5. ``"csv"`` / ``"tsv"``: tables, maybe gzipped, in either
        orientation; see :func:`~disentangle.io.tables.read_table` for the orientation rule.
        10x inputs get gene symbols as ``var_names`` (made unique) and ids in ``var["gene_ids"]``.
    values
        ``"counts"`` or ``"log_expression"``: what the matrix holds, checked by
        :func:`~disentangle.io.validate.validate_expression`.
    orientation
        Tables only: ``"auto"``, ``"cells_as_rows"`` or ``"genes_as_rows"``.
    validate
        Run :func:`~disentangle.io.validate.validate_expression` on the result (default).

    Returns
    -------
    AnnData with cells as obs and genes as var.

    Raises
    ------
    InputError
        Missing path (the message points to ``url`` and the download rule), unknown format,
        a path of the wrong kind for the format, an unreadable file, or data that fail validation.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(
            path,
            f"unknown format {fmt!r}",
            f"set `format` in config.yaml to one of: {', '.join(FORMATS)}",
        )
    if values not in VALUES:
        raise InputError(path, f"unknown values {values!r}", f"set `values` to one of: {', '.join(VALUES)}")
    if orientation not in ORIENTATIONS:
        raise InputError(
            path, f"unknown orientation {orientation!r}", f"use one of: {', '.join(ORIENTATIONS)}"
        )
    if not path.exists():
        raise _missing(path, fmt)
    if fmt != "10x_mtx" and path.is_dir():
        raise InputError(
            path,
            f"is a folder, but format {fmt!r} expects a file",
            "set `format: 10x_mtx` for a 10x matrix folder, or point `path` at the file",
        )
    if fmt == "h5ad":
        adata = read_h5ad(path)
    elif fmt == "10x_mtx":
        adata = read_10x_mtx(path)
    elif fmt == "10x_h5":
        adata = read_10x_h5(path)
    else:
        adata = read_table(path, sep="," if fmt == "csv" else "\t", orientation=orientation)
    log.info("%s: read as %s: %d cells x %d genes", path, fmt, adata.n_obs, adata.n_vars)
    if validate:
        validate_expression(adata, source=path, values=values)
    return adata
