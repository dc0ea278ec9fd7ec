"""Check an expression matrix right after loading, before any heavy work."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse

from .. import keys
from ..errors import InputError

log = logging.getLogger(__name__)

#: What ``values:`` in config.yaml may say the matrix holds.
VALUES = ("counts", "log_expression")
#: All-integer data with a larger maximum are raw counts, not log-scale values (case 10).
MAX_LOG_VALUE = 50.0
_CHUNK = 1 << 22  # elements per dense block: bounds the temporary memory of a scan


def count_matrix(adata: ad.AnnData):
    """The matrix that holds the counts: ``layers["counts"]`` if present, else ``X``."""
    return adata.layers[keys.COUNTS_LAYER] if keys.COUNTS_LAYER in adata.layers else adata.X


def _where(adata: ad.AnnData, values: str) -> str:
    if values == "counts" and keys.COUNTS_LAYER in adata.layers:
        return f'layers["{keys.COUNTS_LAYER}"]'
    return "X"


@dataclass
class MatrixStats:
    """Figures of one pass over a matrix (implicit zeros of sparse matrices included)."""

    n_obs: int
    n_vars: int
    n_nan: int = 0
    n_posinf: int = 0
    n_neginf: int = 0
    n_negative: int = 0
    n_non_integer: int = 0
    min: float = np.inf
    max: float = -np.inf
    non_integer_examples: list = field(default_factory=list)
    bad_rows: np.ndarray = None  # cells with a non-finite value
    bad_cols: np.ndarray = None
    row_nonzero: np.ndarray = None  # cells with a finite non-zero value
    col_nonzero: np.ndarray = None

    @property
    def n_nonfinite(self) -> int:
        return self.n_nan + self.n_posinf + self.n_neginf


def _blocks(m):
    """Yield ``(values, rows, cols)``: stored values with their positions, block by block.

    Sparse CSR/CSC matrices yield only their ``.data`` (never densified); dense arrays (and
    array-likes such as h5py datasets) yield row blocks with ``rows``/``cols`` as broadcastable
    index arrays.
    """
    if sparse.issparse(m):
        m = m if m.format in ("csr", "csc") else m.tocsr()
        major_n = m.shape[0] if m.format == "csr" else m.shape[1]
        step = max(1, _CHUNK // max(1, m.nnz // max(1, major_n)))
        for start in range(0, major_n, step):
            stop = min(major_n, start + step)
            lo, hi = m.indptr[start], m.indptr[stop]
            major = np.repeat(np.arange(start, stop), np.diff(m.indptr[start : stop + 1]))
            minor = m.indices[lo:hi]
            rows, cols = (major, minor) if m.format == "csr" else (minor, major)
            yield np.asarray(m.data[lo:hi]), rows, cols
    else:
        n_rows, n_cols = m.shape
        step = max(1, _CHUNK // max(1, n_cols))
        for start in range(0, n_rows, step):
            block = np.asarray(m[start : start + step])
            yield block, np.arange(start, start + block.shape[0])[:, None], np.arange(n_cols)[None, :]


def matrix_stats(m) -> MatrixStats:
    """Scan ``m`` once (in blocks) and count NaN, inf, negative and non-integer values."""
    n_obs, n_vars = m.shape
    st = MatrixStats(n_obs, n_vars)
    st.bad_rows, st.bad_cols = np.zeros(n_obs, bool), np.zeros(n_vars, bool)
    st.row_nonzero, st.col_nonzero = np.zeros(n_obs, bool), np.zeros(n_vars, bool)
    n_stored = 0
    dtype = getattr(m, "dtype", None)
    if dtype is not None and not (np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)):
        raise TypeError(f"matrix has non-numeric dtype {dtype}")
    integer_dtype = dtype is not None and not np.issubdtype(dtype, np.floating)
    for vals, rows, cols in _blocks(m):
        n_stored += vals.size
        if vals.size == 0:
            continue
        if integer_dtype:
            finite = np.ones(vals.shape, bool)
        else:
            finite = np.isfinite(vals)
            if not finite.all():
                nan = np.isnan(vals)
                st.n_nan += int(nan.sum())
                st.n_posinf += int((vals == np.inf).sum())
                st.n_neginf += int((vals == -np.inf).sum())
                bad = ~finite
                st.bad_rows[np.broadcast_to(rows, vals.shape)[bad]] = True
                st.bad_cols[np.broadcast_to(cols, vals.shape)[bad]] = True
        fv = vals[finite]
        if fv.size:
            st.min, st.max = min(st.min, float(fv.min())), max(st.max, float(fv.max()))
            st.n_negative += int((fv < 0).sum())
            if not integer_dtype:
                frac = fv != np.round(fv)
                n_frac = int(frac.sum())
                if n_frac:
                    st.n_non_integer += n_frac
                    if len(st.non_integer_examples) < 3:
                        st.non_integer_examples += fv[frac][: 3 - len(st.non_integer_examples)].tolist()
        nz = finite & (vals != 0)
        st.row_nonzero[np.broadcast_to(rows, vals.shape)[nz]] = True
        st.col_nonzero[np.broadcast_to(cols, vals.shape)[nz]] = True
    if n_stored < n_obs * n_vars:  # implicit zeros of a sparse matrix
        st.min, st.max = min(st.min, 0.0), max(st.max, 0.0)
    return st


def _few(names, n: int = 5) -> str:
    names = [str(x) for x in names]
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


def _duplicates(index: pd.Index) -> str:
    counts = index[index.duplicated(keep=False)].value_counts()
    return _few([f"{name} (x{n})" for name, n in counts.items()])


def _other_counts(adata: ad.AnnData) -> str:
    """Where else raw counts may live, for the fix of a failed counts check."""
    places = [f'layers["{k}"]' for k in adata.layers if k != keys.COUNTS_LAYER]
    if adata.raw is not None:
        places.append(".raw (adata.raw.to_adata())")
    return f" This file also has {', '.join(places)}: if one holds raw counts, use it." if places else ""


def validate_expression(
    adata: ad.AnnData,
    *,
    source: str | os.PathLike,
    values: str,
    min_cells: int = 1,
    min_genes: int = 1,
    allow_non_integer: bool = False,
) -> None:
    """Raise :class:`~disentangle.errors.InputError` for data the pipeline cannot use.

    Checks, in order: size (fewer than ``min_cells`` cells or ``min_genes`` genes, 0 by
    default: empty); duplicated ``obs_names`` / ``var_names``; non-numeric matrix; NaN / inf in
    ``X`` or ``layers["counts"]`` (counted, with the cells and genes affected); a matrix without
    any non-zero value. Then, for ``values="counts"`` on ``layers["counts"]`` if present, else
    ``X``: negative values (scaled / z-scored data) and non-integer values (log-normalised data or
    fractional pseudo-counts; the latter pass with ``allow_non_integer=True``, logged as a
    warning). For ``values="log_expression"`` on ``X``: all-integer data with a maximum above
    ``MAX_LOG_VALUE`` (raw counts). Sparse matrices are scanned through their stored values
    only, dense ones in blocks, so nothing large is allocated.

    Cells with no counts and genes never detected are not errors here: they are logged, and
    quality control removes them.

    Parameters
    ----------
    adata
        Cells x genes.
    source
        The input file, named in messages.
    values
        ``"counts"`` or ``"log_expression"``, as in config.yaml.
    min_cells, min_genes
        Smallest acceptable size.
    allow_non_integer
        Accept non-negative non-integer counts (e.g. salmon/kallisto estimates).
    """
    if values not in VALUES:
        raise ValueError(f"values must be one of {VALUES}, not {values!r}")
    src = str(source)
    n_obs, n_vars = adata.shape
    if n_obs < max(1, min_cells) or n_vars < max(1, min_genes):
        raise InputError(
            src,
            f"the matrix has {n_obs} cells and {n_vars} genes; at least {max(1, min_cells)} cells "
            f"and {max(1, min_genes)} genes are needed",
            "check that the right file (and, for tables, the right orientation) was given; an "
            "empty matrix often means a filter upstream removed everything",
        )
    for axis, index, what in (("var", adata.var_names, "genes"), ("obs", adata.obs_names, "cells")):
        if index.has_duplicates:
            n = int(index.duplicated().sum())
            raise InputError(
                src,
                f"{n} duplicated {axis}_names ({what}): {_duplicates(index)}",
                f"make them unique (`adata.{axis}_names_make_unique()` appends -1, -2, ...) and "
                "save the file again, or fix the names in the table",
            )

    matrices = {"X": adata.X}
    if keys.COUNTS_LAYER in adata.layers:
        matrices[f'layers["{keys.COUNTS_LAYER}"]'] = adata.layers[keys.COUNTS_LAYER]
    stats = {}
    for where, m in matrices.items():
        if m is None:
            raise InputError(src, f"{where} is empty (None)", "store the expression matrix in X")
        try:
            st = stats[where] = matrix_stats(m)
        except TypeError as exc:
            raise InputError(src, f"{where}: {exc}", "store numeric expression values") from exc
        if st.n_nonfinite:
            kinds = ((st.n_nan, "NaN"), (st.n_posinf, "inf"), (st.n_neginf, "-inf"))
            parts = [f"{n} {name}" for n, name in kinds if n]
            cells = adata.obs_names[st.bad_rows]
            genes = adata.var_names[st.bad_cols]
            raise InputError(
                src,
                f"{' and '.join(parts)} values in {where}, in {len(cells)} of {n_obs} cells "
                f"({_few(cells)}) and {len(genes)} of {n_vars} genes ({_few(genes)})",
                "expression values must be finite: fix the export that produced them, or remove the "
                "affected cells/genes (e.g. `adata = adata[~adata.obs_names.isin(bad_cells)].copy()`) "
                "and save the file again",
            )
        if not st.row_nonzero.any():
            raise InputError(src, f"{where} holds no non-zero value ({n_obs} x {n_vars})",
                             "give the file with the expression values")  # fmt: skip

    where = _where(adata, values)
    st = stats[where]
    if values == "counts":
        if st.n_negative:
            raise InputError(
                src,
                f"{st.n_negative} negative values in {where} (min {st.min:.3g}, "
                f"{st.n_negative / (n_obs * n_vars):.1%} of entries): these look like scaled "
                "(z-scored) data, not counts",
                "give raw counts (in X, or in layers[\"counts\"]), or set `values: log_expression` "
                "in config.yaml if the data are unscaled log-scale expression (z-scored values have lost "
                "each gene's level: use the values before scaling, e.g. adata.raw)." + _other_counts(adata),
            )
        if st.n_non_integer:
            ex = ", ".join(f"{v:.4g}" for v in st.non_integer_examples)
            looks = (
                "log-normalised data" if st.max < MAX_LOG_VALUE else "fractional counts (estimates)"
            )
            problem = (
                f"{st.n_non_integer} non-integer values in {where} (e.g. {ex}; max {st.max:.4g}): "
                f"this looks like {looks}, not raw counts"
            )
            if allow_non_integer:
                log.warning("%s: %s; accepted (allow_non_integer)", src, problem)
            else:
                raise InputError(
                    src,
                    problem,
                    "put raw integer counts in X or in layers[\"counts\"], or set "
                    "`values: log_expression` in config.yaml if the data are log-scale; "
                    "fractional counts from salmon/kallisto can be rounded "
                    "(`adata.X = np.rint(adata.X)`)." + _other_counts(adata),
                )
    elif st.n_negative and _looks_scaled(adata.X):
        log.warning(
            "%s: %s looks z-scored (%.0f%% negative values, every gene's mean about 0): the model and the traversal "
            "then see each gene relative to its own mean and spread, not its expression level; give the "
            "log-scale values before scaling (e.g. adata.raw) unless this is intended",
            src, where, 100 * st.n_negative / (n_obs * n_vars),
        )
    elif st.n_non_integer == 0 and st.max > MAX_LOG_VALUE:
        raise InputError(
            src,
            f"X looks like raw counts, not log-scale values: all values are integers and the "
            f"maximum is {st.max:.6g} (log-scale data rarely exceed {MAX_LOG_VALUE:g})",
            "set `values: counts` in config.yaml (the pipeline then normalises and log-transforms), "
            "or give log-transformed values (e.g. log1p of normalised counts)",
        )

    n_empty_cells = int((~st.row_nonzero).sum())
    n_empty_genes = int((~st.col_nonzero).sum())
    log.info(
        "%s: %d cells x %d genes, %s in %s, range [%.4g, %.4g]; %d cells without counts and "
        "%d genes never detected (quality control removes them)",
        src, n_obs, n_vars, values, where, st.min, st.max, n_empty_cells, n_empty_genes,
    )  # fmt: skip


def _looks_scaled(matrix) -> bool:
    """Whether every gene's mean is about 0 (|mean| < 0.01), as after ``sc.pp.scale``."""
    means = np.asarray(matrix.mean(axis=0)).ravel()
    return bool(means.size) and bool(np.all(np.abs(means) < 0.01))
