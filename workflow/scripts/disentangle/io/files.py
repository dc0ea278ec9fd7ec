"""Opening input files whatever their compression: gzip is recognised by its magic bytes, not the name."""

from __future__ import annotations

import gzip
import os

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
