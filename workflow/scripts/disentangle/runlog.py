"""Send a rule's logging, warnings and tracebacks to its log file (no snakemake import)."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from pathlib import Path

from .errors import InputError


@contextlib.contextmanager
def logging_to(path: str | Path, level: int = logging.INFO):
    """Log to ``path`` (and stderr) for the duration of the block.

    An :class:`~disentangle.errors.InputError` is logged as its message alone and ends the script
    with exit status 1 (no traceback: the message says what to fix); any other exception is
    logged with its traceback, then re-raised."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handlers = [logging.FileHandler(path, mode="w"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    logging.captureWarnings(True)
    try:
        yield logging.getLogger("disentangle")
    except InputError as error:
        # bad input: the message names the file, the problem and the fix; a traceback adds nothing
        logging.getLogger("disentangle").error("failed: %s", error)
        raise SystemExit(1) from None
    except Exception:
        # the traceback goes to the log file; Python prints it to stderr itself when it re-raises
        record = logging.LogRecord("disentangle", logging.ERROR, __file__, 0, "failed:\n%s", (traceback.format_exc(),), None)
        handlers[0].handle(record)
        raise
    finally:
        logging.captureWarnings(False)
        for handler in handlers:
            handler.flush()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that influence the numbers, for specs.json."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0]}
    for name in ("torch", "numpy", "scipy", "pandas", "anndata", "scanpy", "scikit-misc", "gseapy", "scikit-learn"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return versions
