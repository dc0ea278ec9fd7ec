"""Gene-set libraries whose public source is not a GMT are fetched and converted by the download rule.

Served from 127.0.0.1 (never the internet): the Regev-lab cell-cycle list becomes the same GMT
as the shared Tirosh file, and a PanglaoDB-style marker table (gzipped) becomes one set per cell type.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import shutil
import threading

import pytest

from disentangle.io import read_gmt
from smk_helpers import GENESETS, base_config, output_of, run_snakemake, tail, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder of source files served on 127.0.0.1:<free port>; yields (folder, base URL)."""
    folder = tmp_path_factory.mktemp("served")
    shutil.copy(GENESETS / "regev_lab_cell_cycle_genes.txt", folder / "regev.txt")
    with gzip.open(folder / "markers.tsv.gz", "wt") as fh:
        fh.write("species\tofficial gene symbol\tcell type\n")
        fh.write("Mm Hs\tCD19\tB cells\nHs\tMS4A1\tB cells\nMm\tCd79b\tB cells\nMm Hs\tCD3E\tT cells\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_sources_are_fetched_and_converted_to_gmt(tmp_path, tiny_h5ad, served):
    folder, url = served
    config = base_config(str(tiny_h5ad))
    config["gene_set_libraries"] = {
        "cc": {"path": "genesets/cc.gmt", "species": "human", "url": f"{url}/regev.txt",
               "source_format": "regev_cell_cycle_txt",
               "sha256": hashlib.sha256((folder / "regev.txt").read_bytes()).hexdigest()},
        "markers": {"path": "genesets/markers.gmt", "species": "human", "url": f"{url}/markers.tsv.gz",
                    "source_format": "panglaodb_tsv"},
    }
    write_config(tmp_path, config)
    proc = run_snakemake(tmp_path, "--cores", "1", "genesets/cc.gmt", "genesets/markers.gmt")
    assert proc.returncode == 0, tail(proc)
    assert read_gmt(tmp_path / "genesets/cc.gmt") == read_gmt(GENESETS / "tirosh2016_cell_cycle.gmt")
    assert read_gmt(tmp_path / "genesets/markers.gmt") == {"PANGLAODB_B_CELLS": ["CD19", "MS4A1"], "PANGLAODB_T_CELLS": ["CD3E"]}
    assert sorted(p.name for p in (tmp_path / "genesets").iterdir()) == ["cc.gmt", "markers.gmt"]  # no temp files left


def test_a_wrong_checksum_leaves_no_gene_set_file(tmp_path, tiny_h5ad, served):
    _, url = served
    config = base_config(str(tiny_h5ad))
    config["gene_set_libraries"] = {"cc": {"path": "genesets/cc.gmt", "species": "human", "url": f"{url}/regev.txt",
                                           "source_format": "regev_cell_cycle_txt", "sha256": "0" * 64}}
    write_config(tmp_path, config)
    proc = run_snakemake(tmp_path, "--cores", "1", "genesets/cc.gmt")
    assert proc.returncode != 0
    log = (tmp_path / "logs/download/gene_sets_cc.log").read_text()
    assert "0" * 64 in log and "Fix:" in log, output_of(proc)[-2000:]
    folder = tmp_path / "genesets"
    assert (list(folder.iterdir()) if folder.exists() else []) == []  # no GMT, no partial, no source left
