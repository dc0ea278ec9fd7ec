"""The training loop: reproducibility, resuming, minibatches, divergence, schedules, devices."""

import logging

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from disentangle import vae

OBJECTIVES = {
    "beta": {"objective": "beta", "beta": 4.0},
    "capacity": {"objective": "capacity", "gamma": 20.0, "capacity_max": 5.0, "capacity_steps": 20},
    "tcvae": {"objective": "tcvae", "beta": 6.0},
    "factorvae": {"objective": "factorvae", "gamma": 10.0, "n_latent": 3, "discriminator_hidden": 16},
}


def _arch(**kw):
    return vae.Architecture(**{"n_input": 60, "n_latent": 3, "n_hidden": 16, **kw})


def _config(**kw):
    return vae.TrainingConfig(**{"epochs": 3, "batch_size": 32, "early_stopping_patience": 0, **kw})


def _train(x, objective="beta", arch=None, **kw):
    return vae.train(x, arch or _arch(), vae.make_objective(OBJECTIVES[objective]), _config(**kw))


def _state(result):
    return {k: v.clone() for k, v in result.model.state_dict().items()}


@pytest.fixture
def counts(planted_counts):
    return sp.csr_matrix(planted_counts[0])


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_fixed_seed_reproduces_latent_space_bit_for_bit(counts, objective):
    first, second, other = _train(counts, objective, seed=3), _train(counts, objective, seed=3), _train(counts, objective, seed=4)
    z1, z2, z3 = (vae.latent_representation(r.model, counts)[0] for r in (first, second, other))
    np.testing.assert_array_equal(z1, z2)
    assert not np.allclose(z1, z3)
    assert first.history == second.history


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_killed_run_resumes_to_the_uninterrupted_result(counts, objective, tmp_path):
    settings = dict(epochs=6, seed=1, lr_schedule="plateau", lr_patience=1, early_stopping_patience=2, kl_warmup=0.3)
    arch = _arch(dropout=0.2, norm="batch")  # dropout draws from the global RNG, which must be restored too
    uninterrupted = _train(counts, objective, arch, **settings)

    def crash_after_epoch_3(epoch):
        if epoch == 3:
            raise KeyboardInterrupt("killed")

    path = tmp_path / "training_state.pt"
    config = _config(checkpoint_every=2, **settings)
    with pytest.raises(KeyboardInterrupt):
        vae.train(counts, arch, vae.make_objective(OBJECTIVES[objective]), config, checkpoint_path=path,
                  on_epoch_end=crash_after_epoch_3)
    resumed = vae.train(counts, arch, vae.make_objective(OBJECTIVES[objective]), config, checkpoint_path=path)
    assert resumed.resumed_from == 2
    assert resumed.history == uninterrupted.history
    assert resumed.best_epoch == uninterrupted.best_epoch
    for key, value in _state(uninterrupted).items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


def test_checkpoint_of_other_settings_is_ignored(counts, tmp_path, caplog):
    path = tmp_path / "state.pt"
    vae.train(counts, _arch(), vae.BetaObjective(1.0), _config(checkpoint_every=1, epochs=2), checkpoint_path=path)
    with caplog.at_level(logging.WARNING):
        result = vae.train(counts, _arch(), vae.BetaObjective(2.0), _config(checkpoint_every=1, epochs=2), checkpoint_path=path)
    assert result.resumed_from == 0
    assert "other data or settings" in caplog.text


@pytest.mark.parametrize("n, size, expected", [(129, 128, [129]), (130, 128, [128, 2]), (256, 128, [128, 128]),
                                               (1, 128, [1]), (5, 128, [5])])
def test_minibatches_never_hold_one_cell_but_keep_every_cell(n, size, expected):
    batches = vae.minibatches(np.arange(n), size)
    assert [len(b) for b in batches] == expected
    np.testing.assert_array_equal(np.concatenate(batches), np.arange(n))


def test_batchnorm_trains_when_the_remainder_is_one_cell(planted_counts, caplog):
    x = sp.csr_matrix(planted_counts[0][:33])  # 3 validation cells, 30 training cells: 29 + 1
    with caplog.at_level(logging.INFO):
        result = vae.train(x, _arch(norm="batch"), vae.BetaObjective(1.0),
                           _config(epochs=2, batch_size=29, validation_fraction=0.1))
    assert len(result.train_cells) == 30
    assert result.history[0]["step"] == 1  # one minibatch of 30 per epoch
    assert "joins the previous one" in caplog.text
    assert np.isfinite(result.history[-1]["loss"])


def test_nan_in_the_loss_names_epoch_and_term(planted_counts):
    x = np.log1p(planted_counts[0])
    x[5, 3] = np.nan
    with pytest.raises(vae.TrainingDiverged, match=r"epoch 1 .*the reconstruction term became nan.*learning_rate.*gradient_clip"):
        vae.train(x, _arch(likelihood="gaussian"), vae.BetaObjective(1.0), _config())
    with pytest.raises(vae.TrainingDiverged) as error:  # clipping on already: not suggested again
        vae.train(x, _arch(likelihood="gaussian"), vae.BetaObjective(1.0), _config(gradient_clip=5.0))
    assert "gradient_clip" not in str(error.value)


def test_kl_warmup_ends_within_the_run(counts):
    result = _train(counts, epochs=4, kl_warmup=0.5)  # 9 steps per epoch: weight 1 from step 18
    train = [row for row in result.history if row["split"] == "train"]
    weights = [row["kl_weight"] for row in train]
    assert weights[0] == pytest.approx(8 / 18) and weights[1] == pytest.approx(17 / 18)
    assert weights[2:] == [1.0, 1.0]


def test_cosine_schedule_and_gradient_clipping_are_applied(counts, monkeypatch):
    norms = []
    clip = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", lambda params, max_norm: norms.append(max_norm) or clip(params, max_norm))
    result = _train(counts, epochs=4, lr_schedule="cosine", gradient_clip=5.0, learning_rate=1e-2)
    lrs = [row["lr"] for row in result.history if row["split"] == "train"]
    np.testing.assert_allclose(lrs, [1e-2 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)], rtol=1e-6)
    assert norms == [5.0] * result.history[-1]["step"]


def test_early_stopping_restores_best_epoch(counts):
    config = vae.TrainingConfig(epochs=300, batch_size=16, learning_rate=1e-2, early_stopping_patience=3, seed=0)
    result = vae.train(counts, _arch(n_hidden=64), vae.BetaObjective(1.0), config)
    val = [row for row in result.history if row["split"] == "validation"]
    assert len(val) < 300  # stopped early
    best = min(val, key=lambda r: r["elbo_loss"])
    assert result.best_epoch == best["epoch"] == val[-1]["epoch"] - 3


def test_history_logs_every_term_and_kl_per_dimension(counts):
    result = _train(counts, "tcvae", epochs=15)
    train = [row for row in result.history if row["split"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    for row in result.history:
        kl_dims = [row[f"kl_z{k}"] for k in range(3)]
        assert min(kl_dims) >= 0 and sum(kl_dims) == pytest.approx(row["kl"], rel=1e-5)
        assert {"mi", "tc", "dw_kl", "reconstruction", "elbo_loss", "lr"} <= set(row)
    long = vae.long_rows(result.history)
    assert {r["term"] for r in long} >= {"tc", "kl_z2", "loss"}
    assert len(long) == sum(len(row) - 3 for row in result.history)


@pytest.mark.parametrize("likelihood", ["poisson", "nb", "zinb"])
def test_count_likelihoods_train(counts, likelihood):
    result = _train(counts, arch=_arch(likelihood=likelihood), epochs=8)
    train = [row["reconstruction"] for row in result.history if row["split"] == "train"]
    assert train[-1] < train[0]


def test_cuda_asked_for_without_a_gpu_falls_back_to_cpu(caplog, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        assert vae.resolve_device("cuda") == torch.device("cpu")
    assert "no CUDA device" in caplog.text


BAD = __import__("pathlib").Path(__file__).resolve().parents[2].parent / "shared" / "bad-inputs" / "14_batch_remainder_one_and_tiny_data"


def test_bad_input_129_cells_with_batchnorm_trains_in_one_batch_per_epoch():
    import anndata as ad

    adata = ad.read_h5ad(BAD / "n129_cells.h5ad")
    x = sp.csr_matrix(adata.X)
    arch = vae.Architecture(n_input=adata.n_vars, n_latent=10, n_hidden=32, norm="batch")
    result = vae.train(x, arch, vae.BetaObjective(1.0), _config(batch_size=128, validation_fraction=0.0))
    assert [row["step"] for row in result.history] == [1, 2, 3]  # 129 cells: one batch of 129, not 128 + 1
    assert np.isfinite(result.history[-1]["loss"])


def test_bad_input_tiny_data_trains_with_warnings(caplog):
    import anndata as ad

    from disentangle.model import train_model
    from disentangle.pp import PreprocessParams, preprocess

    data = preprocess(ad.read_h5ad(BAD / "tiny_6cells_8genes.h5ad"), params=PreprocessParams(min_genes=1, n_top_genes=2000))
    with caplog.at_level(logging.WARNING):
        result, specs = train_model(data, settings={"objective": "beta", "beta": 1.0, "n_latent": 10, "epochs": 2,
                                                    "norm": "batch", "validation_fraction": 0.0})
    assert f"10 latent dimensions for {data.n_vars} genes" in caplog.text  # min_cells QC leaves 6 of 8
    assert "batch_size 128 exceeds the 6 training cells" in caplog.text
    assert [row["step"] for row in result.history] == [1, 2]  # never zero minibatches


def test_run_killed_right_after_early_stopping_resumes_to_the_same_end(counts, tmp_path):
    config = vae.TrainingConfig(epochs=300, batch_size=16, learning_rate=1e-2, early_stopping_patience=3, seed=0,
                                checkpoint_every=1)
    whole = vae.train(counts, _arch(n_hidden=64), vae.BetaObjective(1.0), config)
    last = whole.history[-1]["epoch"]

    def crash_at_the_stop(epoch):
        if epoch == last:
            raise KeyboardInterrupt("killed after the last checkpoint")

    path = tmp_path / "state.pt"
    with pytest.raises(KeyboardInterrupt):
        vae.train(counts, _arch(n_hidden=64), vae.BetaObjective(1.0), config, checkpoint_path=path,
                  on_epoch_end=crash_at_the_stop)
    resumed = vae.train(counts, _arch(n_hidden=64), vae.BetaObjective(1.0), config, checkpoint_path=path)
    assert resumed.resumed_from == last and resumed.history == whole.history
    assert resumed.best_epoch == whole.best_epoch


def test_schedules_that_silence_early_stopping_are_logged(counts, caplog):
    with caplog.at_level(logging.INFO):
        _train(counts, epochs=2, kl_warmup=1.0, early_stopping_patience=3)
        _train(counts, epochs=2, validation_fraction=0.0)
        _train(counts, epochs=2, kl_warmup=0.01)
    assert "kl_warmup 1 lasts the whole run" in caplog.text
    assert "no validation cells: early stopping is off" in caplog.text
    assert "rounds to no step" in caplog.text


def test_saved_files_are_readable_by_others(counts, tmp_path):
    result = _train(counts, epochs=1)
    vae.save_checkpoint(tmp_path / "model.pt", result.model, [f"g{i}" for i in range(60)])
    assert (tmp_path / "model.pt").stat().st_mode & 0o777 == 0o644
