"""A rule's log: bad input ends the script with its message alone; other failures keep their traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "workflow" / "scripts"
SCRIPT = """
import sys
sys.path.insert(0, {scripts!r})
from disentangle.errors import InputError
from disentangle.runlog import logging_to
with logging_to(sys.argv[1]):
    if sys.argv[2] == "input":
        raise InputError("data.h5ad", "has 3 NaN values", "remove them")
    raise RuntimeError("a bug")
"""


def _run(tmp_path, kind):
    log = tmp_path / f"{kind}.log"
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(scripts=str(SCRIPTS)), str(log), kind],
                          capture_output=True, text=True, timeout=120)
    return proc, log.read_text()


def test_input_error_exits_1_with_the_message_once(tmp_path):
    proc, log = _run(tmp_path, "input")
    assert proc.returncode == 1
    assert "failed: data.h5ad: has 3 NaN values\n  Fix: remove them" in log
    assert "Traceback" not in log and "Traceback" not in proc.stderr
    assert proc.stderr.count("has 3 NaN values") == 1


def test_other_errors_keep_one_traceback_on_stderr_and_in_the_log(tmp_path):
    proc, log = _run(tmp_path, "bug")
    assert proc.returncode == 1
    assert "Traceback" in log and "RuntimeError: a bug" in log
    assert proc.stderr.count("Traceback") == 1
