"""BetaVAE and FactorVAE scores with a toy generator whose codes are (or ignore) the factors."""

import numpy as np
import pandas as pd
import pytest

from disentangle.metrics import beta_vae_score, factor_vae_score

N_FACTORS = 4


def sample_factors(n, rng):
    return pd.DataFrame({"type": rng.choice(["B", "T", "NK", "Mono"], size=n), "batch": rng.integers(3, size=n),
                         "phase": rng.uniform(size=n), "dose": rng.integers(4, size=n)})


def faithful(frame, rng):
    """Each factor in its own dimension, with a little noise, and two dimensions of pure noise."""
    type_code = frame["type"].map({"B": 0, "T": 1, "NK": 2, "Mono": 3}).to_numpy(float)
    signal = np.column_stack([type_code, frame["batch"], 3 * frame["phase"], frame["dose"]]).astype(float)
    return np.column_stack([signal + 0.05 * rng.normal(size=signal.shape), rng.normal(size=(len(frame), 2))])


def blind(frame, rng):
    return rng.normal(size=(len(frame), 6))


# Chance is 1/4. Over 300 evaluation points the accuracy of a chance classifier has a standard
# deviation of sqrt(0.25 * 0.75 / 300) ~ 0.025, so 0.1 is four of them.


def test_beta_vae_score_is_one_when_each_factor_has_its_own_dimension():
    scores = beta_vae_score(sample_factors, faithful)
    assert scores["train_accuracy"] == 1.0 and scores["eval_accuracy"] == 1.0


def test_beta_vae_score_is_chance_when_the_codes_ignore_the_factors():
    scores = beta_vae_score(sample_factors, blind, n_train=300, seed=1)
    assert abs(scores["eval_accuracy"] - 1 / N_FACTORS) < 0.1


def test_factor_vae_score_is_one_when_each_factor_has_its_own_dimension():
    scores = factor_vae_score(sample_factors, faithful)
    assert scores == {"train_accuracy": 1.0, "eval_accuracy": 1.0, "n_active_dims": 6}


def test_factor_vae_score_is_chance_when_the_codes_ignore_the_factors():
    scores = factor_vae_score(sample_factors, blind, n_train=300, n_variance=1000, seed=1)
    assert abs(scores["eval_accuracy"] - 1 / N_FACTORS) < 0.1
    assert scores["train_accuracy"] >= scores["eval_accuracy"] - 0.1  # majority votes fit their own points


def test_factor_vae_score_prunes_collapsed_dimensions():
    def squashed(frame, rng):
        codes = faithful(frame, rng)
        codes[:, 4] *= 0.01  # standard deviation 0.01 < 0.05
        return codes

    assert factor_vae_score(sample_factors, squashed, n_train=50, n_eval=50)["n_active_dims"] == 5
    collapsed = factor_vae_score(sample_factors, lambda frame, rng: np.zeros((len(frame), 3)), n_train=10, n_eval=10)
    assert collapsed == {"train_accuracy": 0.0, "eval_accuracy": 0.0, "n_active_dims": 0}


def test_the_fixed_factor_is_shared_within_a_pair_or_batch():
    seen = []

    def record(frame, rng):
        seen.append(frame.copy())
        return faithful(frame, rng)

    beta_vae_score(sample_factors, record, batch_size=8, n_train=20, n_eval=5)
    first, second = seen[0], seen[1]  # the first and the second batches of all training points
    shared = (first.to_numpy() == second.to_numpy()).reshape(20, 8, N_FACTORS).all(axis=1)
    assert (shared.sum(axis=1) >= 1).all()  # every point keeps at least its chosen factor

    seen.clear()
    factor_vae_score(sample_factors, record, batch_size=8, n_train=20, n_eval=5, n_variance=10)
    batches = seen[1].to_numpy().reshape(20, 8, N_FACTORS)
    constant = (batches == batches[:, :1]).all(axis=1)
    assert (constant.sum(axis=1) >= 1).all()


def test_represent_must_return_one_code_per_row():
    with pytest.raises(ValueError, match="represent returned"):
        beta_vae_score(sample_factors, lambda frame, rng: np.zeros((3, 2)), n_train=5, n_eval=5)
