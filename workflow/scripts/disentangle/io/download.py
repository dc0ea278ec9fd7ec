"""Fetch an input over HTTP(S) with the standard library only; never leave a partial file."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import InputError
from .files import atomic_output

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
_USER_AGENT = "disentangle-pipeline (python urllib)"


def sha256sum(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _fetch(url: str, out, timeout: float) -> str:
    """Stream ``url`` into the open binary file ``out``; return the SHA-256 of what was written."""
    h = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        done, next_report = 0, 0.1
        for block in iter(lambda: resp.read(_BLOCK), b""):
            out.write(block)
            h.update(block)
            done += len(block)
            if expected and done / expected >= next_report:
                log.info("%s: %.0f%% of %.1f MB", url, 100 * done / expected, expected / 1e6)
                next_report += 0.1
        if expected is not None and done != expected:
            raise InputError(
                url,
                f"download incomplete: got {done} of {expected} bytes",
                "run the download again; if it keeps failing, fetch the file by hand to the dataset's `path`",
            )
    return h.hexdigest()


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    timeout: float = 60,
) -> Path:
    """Download ``url`` to ``dest`` atomically, optionally checking its SHA-256.

    The bytes are streamed to a temporary file in ``dest``'s folder (created if needed), checked,
    then renamed onto ``dest`` in one step, so ``dest`` is either complete or absent; on any
    failure the temporary file is removed. Bytes are stored as served: a ``.gz`` url is not
    decompressed.

    Parameters
    ----------
    url
        ``http(s)://`` (or ``file://``) address.
    dest
        Target path.
    sha256
        Expected hex digest (case-insensitive); a mismatch is an error.
    timeout
        Seconds to wait for the connection and for each read.

    Returns
    -------
    ``Path(dest)``.

    Raises
    ------
    InputError
        HTTP error status, unreachable host, timeout, truncated transfer, or digest mismatch.
    """
    dest = Path(dest)
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
    log.info("downloading %s -> %s", url, dest)
    with atomic_output(dest) as tmp, open(tmp, "wb") as out:
        try:
            digest = _fetch(url, out, timeout)
        except urllib.error.HTTPError as exc:
            raise InputError(
                url,
                f"the server answered HTTP {exc.code} {exc.reason}",
                "check `url` in config.yaml (the file may have moved), or put the file at "
                f"{dest} yourself",
            ) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
            raise InputError(
                url,
                f"could not be fetched: {reason}",
                "check the network (cluster compute nodes often have none: run the download "
                f"on a login node), or put the file at {dest} yourself",
            ) from exc
        out.flush()
        os.fsync(out.fileno())
        if sha256 is not None and digest != sha256:
            raise InputError(
                url,
                f"SHA-256 mismatch: expected {sha256}, got {digest}; the downloaded file was removed",
                "check `sha256` in config.yaml; if the server now serves another version, verify "
                "it and update the digest",
            )
    log.info("%s: %d bytes, sha256 %s", dest, dest.stat().st_size, digest)
    return dest
