"""Read 10x Genomics outputs: matrix folders (any naming) and HDF5 files."""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.io
from scipy import sparse

from ..errors import InputError
from .files import open_maybe_gzip

log = logging.getLogger(__name__)

_MATRIX = re.compile(r"^(?P<prefix>.*?)matrix\.mtx(\.gz)?$")
_GEX = "Gene Expression"


def _open(path: Path, mode: str = "rb"):
    return open_maybe_gzip(path, mode)


def _present(folder: Path) -> str:
    names = sorted(p.name for p in folder.iterdir())
    shown = ", ".join(names[:15]) + (f" and {len(names) - 15} more" if len(names) > 15 else "")
    return shown or "nothing"


def _find(folder: Path, prefix: str, stems: tuple[str, ...]) -> Path | None:
    for stem in stems:
        for ext in (".tsv.gz", ".tsv"):
            candidate = folder / f"{prefix}{stem}{ext}"
            if candidate.is_file():
                return candidate
    return None


def locate_10x_mtx(path: str | os.PathLike) -> tuple[Path, Path, Path]:
    """Find ``(matrix, features, barcodes)`` of a 10x matrix folder.

    Accepts v3 names (``features.tsv``) and v2 names (``genes.tsv``), gzipped or not, with any
    common prefix (``S1_matrix.mtx.gz``, ``S1_genes.tsv.gz``, ``S1_barcodes.tsv.gz``).
    ``path`` may be the folder or its ``*matrix.mtx[.gz]`` file (which fixes the prefix).

    Raises
    ------
    InputError
        No matrix, several matrices with different prefixes, or a missing companion file;
        the message lists the files present and the names looked for.
    """
    path = Path(path)
    if path.is_file():
        m = _MATRIX.match(path.name)
        if not m:
            raise InputError(
                path,
                "format 10x_mtx expects a folder (or its matrix.mtx[.gz] file), got another file",
                "set `path` to the folder holding matrix.mtx[.gz], features/genes.tsv[.gz] and "
                "barcodes.tsv[.gz], or set `format` to match the file",
            )
        folder, matrices = path.parent, [path]
    else:
        folder = path
        matrices = sorted(p for p in folder.iterdir() if p.is_file() and _MATRIX.match(p.name))
    if not matrices:
        raise InputError(
            folder,
            f"no [prefix]matrix.mtx[.gz] file in the folder; it holds: {_present(folder)}",
            "point `path` at the folder that holds the 10x matrix files (e.g. "
            "filtered_feature_bc_matrix/), or set `format` to match the input",
        )
    prefixes = {_MATRIX.match(p.name).group("prefix") for p in matrices}
    if len(prefixes) > 1:
        raise InputError(
            folder,
            f"{len(matrices)} matrices with different prefixes: {', '.join(p.name for p in matrices)}",
            "set `path` to one of the matrix files (its prefix selects the genes and barcodes "
            "files), or put each sample in its own folder",
        )
    matrix = matrices[0] if len(matrices) == 1 else sorted(matrices, key=lambda p: p.suffix != ".gz")[0]
    prefix = prefixes.pop()
    features = _find(folder, prefix, ("features", "genes"))
    barcodes = _find(folder, prefix, ("barcodes",))
    missing = [
        f"{prefix}{stem}.tsv[.gz]"
        for stem, found in (("features|genes", features), ("barcodes", barcodes))
        if found is None
    ]
    if missing:
        raise InputError(
            folder,
            f"found {matrix.name} but not {' nor '.join(missing)}; the folder holds: {_present(folder)}",
            "copy the missing file next to the matrix, with the same prefix "
            f"({prefix!r}) as {matrix.name}",
        )
    return matrix, features, barcodes


def read_10x_mtx(path: str | os.PathLike, *, gex_only: bool = True) -> ad.AnnData:
    """Read a 10x matrix folder (Cell Ranger v2 or v3 layout, any prefix, gzipped or not).

    Parameters
    ----------
    path
        The folder, or its ``[prefix]matrix.mtx[.gz]`` file; see :func:`locate_10x_mtx`.
    gex_only
        Keep only ``Gene Expression`` features when the features file has a type column
        (antibody capture, CRISPR guides etc. are dropped, and the number dropped is logged).

    Returns
    -------
    AnnData, cells x genes, ``X`` CSR float32. ``var_names``: gene symbols made unique as scanpy
    does (``var_names_make_unique``: ``-1``, ``-2``, ... appended); ``var["gene_ids"]``: the ids of
    the first column; ``var["feature_types"]`` when the file has a third column.
    """
    matrix, features, barcodes = locate_10x_mtx(path)
    source = Path(path)
    try:
        with _open(matrix) as fh:
            mat = sparse.csr_matrix(scipy.io.mmread(fh))
        with _open(features, "rt") as fh:
            feat = pd.read_csv(fh, sep="\t", header=None, dtype=str, quoting=3, keep_default_na=False)
        with _open(barcodes, "rt") as fh:
            bc = pd.read_csv(fh, sep="\t", header=None, dtype=str, quoting=3, keep_default_na=False)
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as exc:
        raise InputError(
            matrix.parent,
            f"could not read the 10x files ({matrix.name}, {features.name}, {barcodes.name}): {exc}",
            "check that the files are complete (re-download or re-copy them) and not truncated",
        ) from exc
    n_feat, n_bc = len(feat), len(bc)
    if mat.shape == (n_feat, n_bc):
        mat = mat.T.tocsr()  # 10x writes features x barcodes
    elif mat.shape == (n_bc, n_feat):
        log.info("%s: matrix is already barcodes x features; not transposed", matrix)
    else:
        raise InputError(
            matrix,
            f"matrix is {mat.shape[0]} x {mat.shape[1]} but {features.name} lists {n_feat} features "
            f"and {barcodes.name} {n_bc} barcodes",
            "the three files come from different runs or one is truncated: re-export them together",
        )
    ids = feat.iloc[:, 0].str.strip()
    symbols = feat.iloc[:, 1].str.strip() if feat.shape[1] > 1 else ids
    var = pd.DataFrame({"gene_ids": ids.to_numpy()}, index=pd.Index(symbols.to_numpy(), dtype=str))
    if feat.shape[1] > 2:
        var["feature_types"] = feat.iloc[:, 2].str.strip().to_numpy()
    if gex_only and "feature_types" in var and (var["feature_types"] != _GEX).any():
        keep = (var["feature_types"] == _GEX).to_numpy()
        if keep.any():
            log.info("%s: kept %d Gene Expression features, dropped %d others (%s)", source,
                     keep.sum(), (~keep).sum(), sorted(set(var["feature_types"][~keep])))  # fmt: skip
            var, mat = var[keep], mat[:, np.flatnonzero(keep)]
    with warnings.catch_warnings():  # duplicate symbols are made unique below
        warnings.filterwarnings("ignore", message=".*names are not unique", category=UserWarning)
        adata = ad.AnnData(
            X=mat.astype(np.float32),
            obs=pd.DataFrame(index=pd.Index(bc.iloc[:, 0].str.strip().to_numpy(), dtype=str)),
            var=var,
        )
    n_dup = int(adata.var_names.duplicated().sum())
    adata.var_names_make_unique()
    log.info("%s: read %s, %s, %s -> %d cells x %d genes (%d duplicate symbols made unique)",
             source, matrix.name, features.name, barcodes.name, adata.n_obs, adata.n_vars, n_dup)  # fmt: skip
    return adata


def read_10x_h5(path: str | os.PathLike, *, gex_only: bool = True) -> ad.AnnData:
    """Read a Cell Ranger HDF5 matrix (v2 or v3) with scanpy, symbols made unique.

    Returns
    -------
    AnnData, cells x genes; ``var_names`` gene symbols (unique), ``var["gene_ids"]`` the ids.
    """
    import scanpy as sc

    path = Path(path)
    try:
        with warnings.catch_warnings():  # duplicate symbols are made unique below
            warnings.filterwarnings("ignore", message=".*names are not unique", category=UserWarning)
            adata = sc.read_10x_h5(path, gex_only=gex_only)
    except Exception as exc:  # h5py / scanpy raise many kinds for a foreign file
        raise InputError(
            path,
            f"could not be read as a 10x HDF5 matrix: {type(exc).__name__}: {exc}",
            "give a Cell Ranger filtered_feature_bc_matrix.h5 (or raw_…), or set `format` to "
            "match the file (h5ad for AnnData files)",
        ) from exc
    n_dup = int(adata.var_names.duplicated().sum())
    adata.var_names_make_unique()
    log.info("%s: %d cells x %d genes (%d duplicate symbols made unique)",
             path, adata.n_obs, adata.n_vars, n_dup)  # fmt: skip
    return adata
