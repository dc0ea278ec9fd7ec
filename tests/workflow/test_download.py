"""The download rule, against a local HTTP server on 127.0.0.1 (never the internet).

A dataset whose `path` is absent gets a `download_<name>` rule that fetches `url` to `path`
(checking `sha256`); load_dataset then reads it into results/<name>/raw.h5ad.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import re
import threading

import anndata as ad
import pytest

from smk_helpers import base_config, output_of, run_snakemake, tail, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata]

TARGET = "results/tiny/raw.h5ad"
DEST = "downloads/tiny.h5ad"


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()


@pytest.fixture(scope="module")
def server(tiny_h5ad):
    """Serves tiny_h5ad's folder on 127.0.0.1:<free port>; yields the base URL."""
    handler = functools.partial(_Handler, directory=str(tiny_h5ad.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _download_job(plan: str) -> tuple[str, str]:
    """The download job a dry run plans for dataset `tiny`: its rule name and log path."""
    m = re.search(r"^rule (download_\w*tiny):\n(?:\s+\S.*\n)*?\s+output: (\S+)\n\s+log: (\S+)\n", plan, flags=re.M)
    assert m, f"no download job planned for dataset tiny:\n{plan[-3000:]}"
    assert m[2] == DEST
    assert m[3].startswith("logs/download/")
    return m[1], m[3]


def _config(workdir, url, sha256):
    write_config(workdir, base_config(DEST, url=url, sha256=sha256))


def test_download_then_load(tmp_path, server, tiny_h5ad):
    payload = tiny_h5ad.read_bytes()
    _config(tmp_path, f"{server}/{tiny_h5ad.name}", hashlib.sha256(payload).hexdigest())
    _Handler.requests.clear()

    plan = run_snakemake(tmp_path, "-n", TARGET)
    assert plan.returncode == 0, tail(plan)
    rule, log_path = _download_job(output_of(plan))

    proc = run_snakemake(tmp_path, "--cores", "1", TARGET)
    assert proc.returncode == 0, tail(proc)
    assert _Handler.requests == [f"/{tiny_h5ad.name}"]
    assert (tmp_path / DEST).read_bytes() == payload
    assert not list((tmp_path / "downloads").glob(".*part*"))  # no temporary file left
    log = (tmp_path / log_path).read_text()
    assert f"{server}/{tiny_h5ad.name}" in log

    raw = ad.read_h5ad(tmp_path / TARGET)
    source = ad.read_h5ad(tiny_h5ad)
    assert raw.shape == source.shape
    assert list(raw.obs_names) == list(source.obs_names)
    assert list(raw.var_names) == list(source.var_names)
    assert (raw.obs["cell_type"].astype(str) == source.obs["cell_type"].astype(str)).all()
    assert (raw.X != source.X).nnz == 0

    # the file is now present: no download rule any more, nothing to do
    again = run_snakemake(tmp_path, "-n", TARGET)
    assert again.returncode == 0, tail(again)
    assert "Nothing to be done" in output_of(again)
    assert f"rule {rule}" not in output_of(again)


def test_wrong_sha256_fails_and_leaves_nothing(tmp_path, server, tiny_h5ad):
    actual = hashlib.sha256(tiny_h5ad.read_bytes()).hexdigest()
    wrong = hashlib.sha256(b"not the file").hexdigest()
    _config(tmp_path, f"{server}/{tiny_h5ad.name}", wrong)

    rule, log_path = _download_job(output_of(run_snakemake(tmp_path, "-n", TARGET)))
    proc = run_snakemake(tmp_path, "--cores", "1", TARGET)
    assert proc.returncode != 0, tail(proc)
    assert f"Error in rule {rule}" in output_of(proc), tail(proc)
    assert log_path in output_of(proc)
    log = (tmp_path / log_path).read_text()
    assert "SHA-256 mismatch" in log
    assert f"expected {wrong}" in log and f"got {actual}" in log, log
    assert not (tmp_path / DEST).exists()
    assert not (tmp_path / "downloads").exists() or not any((tmp_path / "downloads").iterdir())
    assert not (tmp_path / TARGET).exists()
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*.h5ad"))


def test_download_rules_only_for_absent_files(tmp_path, tiny_h5ad):
    """A present `path` is never refetched: its `url` makes no rule; an absent one with no `url` is a clear error."""
    config = base_config(tiny_h5ad, url="http://127.0.0.1:9/never-fetched.h5ad")
    write_config(tmp_path, config)
    proc = run_snakemake(tmp_path, "-n", TARGET)
    assert proc.returncode == 0, tail(proc)
    assert "rule download_" not in output_of(proc)
    assert "rule load_dataset:" in output_of(proc)

    config["datasets"]["tiny"] = {**config["datasets"]["tiny"], "path": "absent.h5ad"}
    del config["datasets"]["tiny"]["url"]
    write_config(tmp_path, config)
    proc = run_snakemake(tmp_path, "-n", TARGET)
    assert proc.returncode != 0
    message = output_of(proc)
    assert "tiny: absent.h5ad does not exist and no `url` is given" in message
    assert "Fix the path" in message and "Building DAG" not in message
