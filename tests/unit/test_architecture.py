"""The import rules of the architecture: each part of the library leans on its own field library."""

import subprocess
import sys

import pytest

from ..conftest import REPO

CHECKS = [
    # (modules imported, modules that must then be absent)
    (["disentangle.vae"], ["scanpy", "gseapy", "snakemake"]),
    (["disentangle.enrich", "disentangle.rankings", "disentangle.scoring", "disentangle.metrics"], ["torch", "snakemake"]),
    (["disentangle.io", "disentangle.keys", "disentangle.errors"], ["torch", "scanpy", "gseapy", "snakemake"]),
    (["disentangle.report"], ["torch", "gseapy", "snakemake", "matplotlib.pyplot"]),
    (["disentangle.model", "disentangle.interpret", "disentangle.pp"], ["gseapy", "snakemake"]),
]


@pytest.mark.parametrize("modules, forbidden", CHECKS, ids=lambda v: ",".join(v) if isinstance(v, list) else v)
def test_import_rules(modules, forbidden):
    code = (f"import sys; import {', '.join(modules)}; "
            f"print(','.join(m for m in {forbidden!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, env={"PYTHONPATH": str(REPO / "workflow" / "scripts")}, check=True)
    assert result.stdout.strip() == "", f"{modules} import {result.stdout.strip()}"
