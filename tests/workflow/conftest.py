"""Fixtures of the workflow tests; the helpers they share live in smk_helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from smk_helpers import small_pbmc


@pytest.fixture(scope="session")
def tiny_h5ad(pbmc_path, tmp_path_factory) -> Path:
    """60 PBMC cells x 500 genes with obs["cell_type"], as an h5ad file (download and load tests)."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.h5ad"
    small_pbmc(pbmc_path, 60, seed=1, genes=500).write_h5ad(path, compression="gzip")
    return path
