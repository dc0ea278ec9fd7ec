"""A training killed mid-run resumes from its last checkpoint when Snakemake reruns it.

Snakemake (and the training job under it) is killed with SIGKILL as soon as the first training
state is on disk, as a node failure or the OOM killer would; after `--unlock`, the rerun with
--rerun-incomplete (profiles/local sets it) resumes from that epoch, and the model equals that of an uninterrupted
run in another directory, weight for weight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
import torch

from smk_helpers import SNAKEFILE, SNAKEMAKE, base_config, run_or_fail, small_pbmc, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata]

MODEL = "results/tiny/fv/model.pt"
STATE = "results/tiny/fv/training_state.pt"


def _setup(workdir, pbmc_path):
    small_pbmc(pbmc_path, 300, seed=1).write_h5ad(workdir / "pbmc300.h5ad")
    config = base_config("pbmc300.h5ad")
    # factorvae: the discriminator and its optimiser must be restored too; dropout: the global RNG
    config["models"] = {"fv": {"objective": "factorvae", "gamma": 5.0, "discriminator_hidden": 32, "dropout": 0.1}}
    config["training"].update(epochs=40, checkpoint_every=2, early_stopping_patience=0)
    write_config(workdir, config)


def _weights(workdir):
    return torch.load(workdir / MODEL, weights_only=True)["state_dict"]


def test_killed_training_resumes_to_the_uninterrupted_model(pbmc_path, tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    for workdir in (whole, killed):
        workdir.mkdir()
        _setup(workdir, pbmc_path)
    run_or_fail(whole, "--cores", "1", MODEL)

    cmd = [str(SNAKEMAKE), "-s", str(SNAKEFILE), "--directory", str(killed), "--cores", "1", MODEL]
    proc = subprocess.Popen(cmd, cwd=killed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while not (killed / STATE).exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (killed / STATE).exists(), "no training state was written before the run ended"
    assert not (killed / MODEL).exists()

    run_or_fail(killed, "--unlock")  # a killed Snakemake leaves its lock, as it tells the user
    run_or_fail(killed, "--cores", "1", "--rerun-incomplete", MODEL)
    specs = json.loads((killed / "results/tiny/fv/specs.json").read_text())
    assert specs["resumed_from_epoch"] >= 2
    assert "resuming from" in (killed / "logs/tiny/fv/train_vae.log").read_text()
    assert not (killed / STATE).exists()
    expected, got = _weights(whole), _weights(killed)
    assert expected.keys() == got.keys()
    for key in expected:
        assert torch.equal(expected[key], got[key]), key
