"""Send a rule's logging, warnings and tracebacks to its log file (no snakemake import)."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from pathlib import Path


@contextlib.contextmanager
def logging_to(path: str | Path, level: int = logging.INFO):
    """Log to ``path`` (and stderr) for the duration of the block; an exception is logged, then re-raised."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handlers = [logging.FileHandler(path, mode="w"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    logging.captureWarnings(True)
    try:
        yield logging.getLogger("disentangle")
    except Exception:
        logging.getLogger("disentangle").error("failed:\n%s", traceback.format_exc())
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
