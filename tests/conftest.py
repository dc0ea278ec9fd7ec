"""Shared fixtures: paths to the repository, the shared real data, small simulated data, a headless browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PBMC = REPO / "resources" / "datasets" / "pbmc3k_10x_counts" / "pbmc3k_counts_annotated.h5ad"
GENESETS = REPO / "resources" / "genesets" / "human"


@pytest.fixture(scope="session")
def pbmc_path() -> Path:
    """The real PBMC 3k counts, linked into resources/ by `make test`."""
    if not PBMC.exists():
        pytest.fail(f"{PBMC} is missing: run `make resources` (links ../shared/resources) or the download rule")
    return PBMC


@pytest.fixture
def planted_counts():
    """Counts of 300 cells x 60 genes from two programs: genes 0-19 follow factor a, 20-39 factor b."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=300), rng.normal(size=300)
    rate = np.full((300, 60), 2.0)
    rate[:, :20] *= np.exp(a)[:, None]
    rate[:, 20:40] *= np.exp(b)[:, None]
    return rng.poisson(rate).astype(np.float32), a, b


@pytest.fixture(scope="session")
def browser():
    """A headless chromium for checking HTML reports (tests/browser.py), shared by the session.

    Skips the test when chromium is missing, or fails it when DISENTANGLE_REQUIRE_BROWSER is set (CI).
    """
    from .browser import Browser, require_browser  # imported here: websocket-client only for these tests

    require_browser()
    with Browser() as started:
        yield started
