"""download(): against a local HTTP server on 127.0.0.1, never the internet."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest

from disentangle.errors import InputError
from disentangle.io import download, sha256sum

PAYLOAD = bytes(range(256)) * 5000  # 1.28 MB: several 1 MiB read blocks


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        if self.path == "/truncated":  # promises more bytes than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    (root / "data.bin").write_bytes(PAYLOAD)
    (root / "table.tsv.gz").write_bytes(gzip.compress(b"gene\ts1\nG1\t3\n"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_sha256sum(tmp_path):
    (tmp_path / "f").write_bytes(PAYLOAD)
    assert sha256sum(tmp_path / "f") == hashlib.sha256(PAYLOAD).hexdigest()


def test_download_ok_with_checksum(server, tmp_path):
    dest = tmp_path / "sub" / "data.bin"
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    assert download(f"{server}/data.bin", dest, sha256=digest.upper()) == dest
    assert dest.read_bytes() == PAYLOAD
    assert leftovers(dest.parent) == ["data.bin"]  # no temporary file left


def test_download_gz_is_not_decompressed(server, tmp_path):
    dest = download(f"{server}/table.tsv.gz", tmp_path / "table.tsv")
    assert dest.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(dest.read_bytes()) == b"gene\ts1\nG1\t3\n"


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    wrong = "0" * 64
    with pytest.raises(InputError) as exc:
        download(f"{server}/data.bin", tmp_path / "data.bin", sha256=wrong)
    msg = str(exc.value)
    assert f"{server}/data.bin" in msg and wrong in msg and hashlib.sha256(PAYLOAD).hexdigest() in msg
    assert "Fix:" in msg
    assert leftovers(tmp_path) == []


def test_404_is_clear_and_leaves_nothing(server, tmp_path):
    with pytest.raises(InputError, match="HTTP 404") as exc:
        download(f"{server}/missing.h5ad", tmp_path / "missing.h5ad")
    assert "missing.h5ad" in str(exc.value) and "Fix:" in str(exc.value)
    assert leftovers(tmp_path) == []


def test_failure_keeps_an_existing_dest(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"old")
    with pytest.raises(InputError):
        download(f"{server}/missing", dest)
    assert dest.read_bytes() == b"old" and leftovers(tmp_path) == ["data.bin"]


def test_truncated_transfer_leaves_nothing(server, tmp_path):
    with pytest.raises(InputError, match="could not be fetched|incomplete"):
        download(f"{server}/truncated", tmp_path / "t.bin", timeout=5)
    assert leftovers(tmp_path) == []


def test_unreachable_host_is_clear(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match="could not be fetched") as exc:
        download(f"http://127.0.0.1:{port}/x", tmp_path / "x", timeout=5)
    assert "login node" in str(exc.value)
    assert leftovers(tmp_path) == []


def test_bad_checksum_argument(tmp_path):
    with pytest.raises(ValueError, match="64 hex digits"):
        download("http://127.0.0.1:1/x", tmp_path / "x", sha256="abc")
