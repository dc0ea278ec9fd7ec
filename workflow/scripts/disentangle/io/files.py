"""Files in and out: inputs opened whatever their compression (gzip is recognised by its magic
bytes, not the name); outputs written whole or not at all (a temporary name beside the target,
renamed into place only once complete, so an interrupted job never leaves a file that looks done).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anndata as ad
import pandas as pd

_GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | os.PathLike) -> bool:
    """Whether the file starts with gzip's magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def open_maybe_gzip(path: str | os.PathLike, mode: str = "rb", **text_options):
    """Open ``path`` for reading, decompressing gzip transparently (``mode`` "rb" or "rt")."""
    if is_gzip(path):
        return gzip.open(path, mode, **text_options)
    return open(path, mode, **text_options)


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; on success it becomes ``path``.

    The temporary file is hidden (a leading dot), ends in ``.partial`` plus the target's suffix
    (writers that check the suffix accept it), and is removed if the block raises. Temporary files
    of this target that a killed job left behind are removed first (one job writes a target). The result is
    0644 whatever the umask of ``mkstemp`` (results are read by others on a shared folder).
    Folders are made as needed.

    Examples
    --------
    >>> with atomic_output("out/table.tsv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp, sep="\\t")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.stem}.*.partial{path.suffix}"):
        stale.unlink(missing_ok=True)  # left by a killed job writing this same target
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` as a tab-separated table without its index, atomically."""
    with atomic_output(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False)
    return Path(path)


def write_h5ad(adata: ad.AnnData, path: str | os.PathLike) -> Path:
    """Write ``adata`` as a gzip-compressed h5ad, atomically."""
    with atomic_output(path) as tmp:
        adata.write_h5ad(tmp, compression="gzip")
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path``, atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
