"""Scores against known factors (disentanglement_lib's definitions) on hand-computable and limiting cases."""

import math

import numpy as np
import pandas as pd
import pytest

from disentangle.metrics import (dci, dci_completeness, dci_disentanglement, discrete_factors, factor_details, factor_kinds,
                                 factor_metrics, factor_report, gaussian_total_correlation, mean_pairwise_mutual_info,
                                 modularity_from_mutual_info, one_vs_rest, prepare_factors, sap, sap_from_scores, split_cells,
                                 unsupervised_metrics)

N_CELLS = 800
SCORES = ["mig", "dci_disentanglement", "dci_completeness", "dci_informativeness_train", "dci_informativeness_test", "sap",
          "modularity", "explicitness_train", "explicitness_test"]


def _design():
    """Independent balanced factors: a, b binary (b as text), c with four values (every combination
    50 times), d continuous uniform in [0, 1)."""
    a = np.repeat([0, 1], N_CELLS // 2)
    b = np.tile(np.repeat([0, 1], N_CELLS // 4), 2)
    c = np.tile(np.repeat([0, 1, 2, 3], N_CELLS // 16), 4)
    d = np.random.default_rng(0).uniform(size=N_CELLS)
    frame = pd.DataFrame({"a": a, "b": np.where(b == 1, "y", "x"), "c": c, "d": d})
    return frame, np.column_stack([a, b, c, d]).astype(float)


FACTORS, PERFECT = _design()


def _scores(codes, factors=FACTORS):
    return factor_metrics(codes, factors).set_index("metric")["value"]


@pytest.fixture(scope="module")
def perfect():
    return factor_report(PERFECT, FACTORS)


HALF = slice(None, None, 2)  # every other cell: still a balanced design, and half the time


@pytest.fixture(scope="module")
def noisy_codes():
    """The factors plus noise, and two pure-noise dimensions (every other cell)."""
    rng = np.random.default_rng(1)
    codes = PERFECT[HALF]
    return np.column_stack([codes + 0.2 * rng.normal(size=codes.shape), rng.normal(size=(len(codes), 2))])


@pytest.fixture(scope="module")
def noisy(noisy_codes):
    return _scores(noisy_codes, FACTORS[HALF])


# --- factor tables ---------------------------------------------------------------------------

def test_factor_kinds_float_is_continuous_everything_else_discrete():
    frame = pd.DataFrame({"dose": [0.1, 0.2], "type": ["B", "T"], "batch": [1, 2], "flag": [True, False],
                          "cat": pd.Categorical(["x", "y"]), "nullable": pd.array([1, None], dtype="Int64")})
    assert factor_kinds(frame) == {"dose": "continuous", "type": "discrete", "batch": "discrete", "flag": "discrete",
                                   "cat": "discrete", "nullable": "discrete"}


def test_discrete_factors_codes_labels_and_bins_continuous_columns():
    frame = pd.DataFrame({"type": ["T", "B", "T", "NK"], "phase": [0.0, 0.49, 0.51, 1.0]})
    assert discrete_factors(frame, n_bins=2).tolist() == [[0, 1], [1, 1], [0, 2], [2, 2]]  # factorize order; equal-width bins
    with pytest.raises(ValueError, match="missing"):
        discrete_factors(pd.DataFrame({"type": ["T", None]}))


def test_one_vs_rest_makes_one_indicator_per_common_category():
    types = ["A"] * 30 + ["B"] * 25 + ["C"] * 5 + [None] * 2
    frame = pd.DataFrame({"type": types, "batch": ["x", "y"] * 31, "dose": np.linspace(0, 1, 62)})
    out = one_vs_rest(frame, min_cells=20)
    # C has 5 cells (< 20); batch has two categories, so one indicator (its complement is redundant)
    assert list(out.columns) == ["type=A", "type=B", "batch=x", "dose"]
    assert out["type=A"].dtype == "Int64" and factor_kinds(out)["type=A"] == "discrete"
    assert out["type=A"].iloc[:30].eq(1).all() and out["type=A"].iloc[30:60].eq(0).all()
    assert out["type=A"].iloc[60:].isna().all() and out["type=B"].sum() == 25
    assert out["batch=x"].tolist() == [1, 0] * 31
    pd.testing.assert_series_equal(out["dose"], frame["dose"])


def test_prepare_factors_drops_unlabelled_cells_and_constant_factors():
    codes = np.arange(8.0).reshape(4, 2)
    frame = pd.DataFrame({"type": ["B", None, "B", "T"], "dose": [0.1, 0.2, np.nan, 0.3], "batch": ["x"] * 4})
    prepared = prepare_factors(codes, frame)
    assert prepared.codes.tolist() == [[0, 1], [6, 7]]
    assert list(prepared.factors.columns) == ["type", "dose"] and prepared.skipped == ["batch"]
    assert prepared.factors["type"].tolist() == ["B", "T"]
    with pytest.raises(ValueError, match="do not match"):
        prepare_factors(codes[:3], frame)


def test_split_cells_is_a_seeded_partition():
    train, test = split_cells(30, train_fraction=2 / 3, seed=3)
    assert len(train) == 20 and len(test) == 10
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(30))
    assert np.array_equal(train, split_cells(30, seed=3)[0]) and not np.array_equal(train, split_cells(30, seed=4)[0])
    with pytest.raises(ValueError):
        split_cells(30, train_fraction=1.0)


# --- hand-computed cases ---------------------------------------------------------------------

def test_dci_disentanglement_and_completeness_of_given_importances():
    assert dci_disentanglement(np.eye(3)) == pytest.approx(1.0) and dci_completeness(np.eye(3)) == pytest.approx(1.0)
    assert dci_disentanglement(np.ones((3, 3))) == pytest.approx(0.0) and dci_completeness(np.ones((3, 3))) == pytest.approx(0.0)
    importance = np.array([[0.5, 0.5], [0.0, 1.0]])  # codes x factors
    # D: code 0 is spread evenly (0), code 1 is specific (1), each holds half the importance
    assert dci_disentanglement(importance) == pytest.approx(0.5)
    # C: factor a is all in code 0 (1, share 1/4); factor b is split 1/3 : 2/3 (share 3/4)
    h = -(1 / 3 * math.log2(1 / 3) + 2 / 3 * math.log2(2 / 3))
    assert dci_completeness(importance) == pytest.approx(0.25 + 0.75 * (1 - h))
    # an unused code changes neither (the reference's completeness would use entropy base 3)
    padded = np.vstack([importance, [0.0, 0.0]])
    assert dci_disentanglement(padded) == dci_disentanglement(importance)
    assert dci_completeness(padded) == dci_completeness(importance)
    assert math.isnan(dci_disentanglement(np.array([[1.0], [0.0]])))  # one factor: entropy in base 1
    assert dci_completeness(np.array([[1.0], [0.0]])) == 1.0


def test_modularity_of_a_given_mutual_information_matrix():
    # code 0 informs about one factor (1); code 1 equally about both (1 - 0.25 / 0.25 = 0); code 2 about none (left out)
    assert modularity_from_mutual_info(np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 0.0]])) == pytest.approx(0.5)
    # squares 4, 1, 0: 1 - (5 - 4) / (4 * 2)
    assert modularity_from_mutual_info(np.array([[2.0, 1.0, 0.0]])) == pytest.approx(0.875)
    assert math.isnan(modularity_from_mutual_info(np.array([[1.0], [2.0]])))


def test_gaussian_total_correlation_of_a_known_covariance():
    rho = 0.6
    white = np.random.default_rng(0).normal(size=(500, 2))
    white -= white.mean(axis=0)
    white = white @ np.linalg.inv(np.linalg.cholesky(np.cov(white, rowvar=False))).T  # sample covariance exactly I
    codes = white @ np.linalg.cholesky(np.array([[1.0, rho], [rho, 1.0]])).T * [1.0, 5.0]
    expected = 0.5 * math.log(1 / (1 - rho ** 2))
    assert gaussian_total_correlation(codes) == pytest.approx(expected, rel=1e-10)  # scale-free
    assert gaussian_total_correlation(white) == pytest.approx(0.0, abs=1e-12)
    with_constant = np.column_stack([codes[:, 0], np.full(500, 3.0), codes[:, 1]])
    assert gaussian_total_correlation(with_constant) == gaussian_total_correlation(codes)


def test_mean_pairwise_mutual_info_of_binary_codes():
    x = np.repeat([0.0, 1.0], 50)
    y = np.tile([0.0, 1.0], 50)  # independent of x, balanced
    # ordered pairs: (x, x') and (x', x) share ln 2, the four pairs with y share nothing
    assert mean_pairwise_mutual_info(np.column_stack([x, x, y])) == pytest.approx(math.log(2) / 3)
    assert mean_pairwise_mutual_info(np.column_stack([x, np.ones(100), x, y])) == pytest.approx(math.log(2) / 3)
    table = unsupervised_metrics(np.column_stack([x, x, y])).set_index("metric")["value"]
    assert table["mean_pairwise_mutual_info"] == pytest.approx(math.log(2) / 3)


def test_sap_of_constructed_continuous_factors():
    f = np.tile([0.0, 1.0, 2.0, 3.0], 10)
    g = np.tile([0.0, 1.0, 0.0, 1.0], 10)
    codes = np.column_stack([f, g, np.full(40, 7.0)])
    result = sap(codes, pd.DataFrame({"f": f, "g": g}))
    # centred f = (-1.5, -.5, .5, 1.5), g = (-.5, .5, -.5, .5): cov^2 / (var f var g) = (1/4)^2 / (5/4 * 1/4) = 0.2
    np.testing.assert_allclose(result["scores"].to_numpy(), [[1.0, 0.2], [0.2, 1.0], [0.0, 0.0]])
    assert result["sap"] == pytest.approx(0.8)
    assert sap_from_scores(np.array([[0.9, 0.1], [0.4, 0.3], [0.2, 0.3]]))[0] == pytest.approx((0.5 + 0.0) / 2)


def test_sap_scores_a_constant_code_zero_for_a_discrete_factor():
    y = np.tile([0, 1], 150)
    codes = np.column_stack([y, np.full(300, 2.0)]).astype(float)
    result = sap(codes, pd.DataFrame({"y": y}))
    assert result["scores"]["y"].tolist() == [1.0, 0.0]  # the SVM on the code is exact; a constant scores 0, not 0.5
    assert result["sap"] == 1.0


# --- limiting cases --------------------------------------------------------------------------

def test_a_code_equal_to_the_factors_scores_one(perfect):
    scores = perfect[0].set_index("metric")["value"]
    # 800 cells: a 20-bin noise code has ~19 / (2 * 800) nats of chance MI with a binary factor (2% of ln 2)
    assert scores["mig"] > 0.95
    assert scores["dci_disentanglement"] > 0.99 and scores["dci_completeness"] > 0.99
    assert scores["dci_informativeness_test"] > 0.99 and scores["modularity"] > 0.99
    assert scores["explicitness_test"] > 0.95  # d's 20 narrow bins are not all linearly separable
    assert scores["n_cells"] == N_CELLS and scores["n_factors"] == 4
    details = perfect[1].set_index("factor")
    assert details["mig_best_dim"].tolist() == [0, 1, 2, 3] and details["dci_best_dim"].tolist() == [0, 1, 2, 3]
    assert details.loc["d", "kind"] == "continuous" and details.loc["a", "dci_informativeness_test"] == 1.0
    assert details.loc["d", "sap_gap"] > 0.99  # squared correlation 1 against ~0


def test_rotating_two_factor_dimensions_lowers_the_scores(perfect):
    rotated = PERFECT.copy()
    rotated[:, 0], rotated[:, 1] = (PERFECT[:, 0] + PERFECT[:, 1]) / math.sqrt(2), (PERFECT[:, 0] - PERFECT[:, 1]) / math.sqrt(2)
    scores, details = factor_report(rotated, FACTORS)
    scores, before = scores.set_index("metric")["value"], perfect[0].set_index("metric")["value"]
    # each rotated code holds half of H(a) and half of H(b): their MIG gaps vanish
    np.testing.assert_allclose(details.set_index("factor").loc[["a", "b"], "mig_gap"], 0.0, atol=1e-9)
    assert scores["mig"] < before["mig"] - 0.4
    # two of four codes inform equally about two factors: modularity 1 - 1/3 each, mean 5/6
    assert scores["modularity"] == pytest.approx(5 / 6, abs=0.01)
    assert scores["dci_disentanglement"] < before["dci_disentanglement"] - 0.1
    assert scores["sap"] < before["sap"] - 0.1
    assert scores["dci_informativeness_test"] > 0.99  # the information is all still there


def test_permuting_the_code_dimensions_changes_no_score(noisy, noisy_codes):
    permuted = _scores(noisy_codes[:, [3, 5, 0, 2, 4, 1]], FACTORS[HALF])
    assert permuted[SCORES].tolist() == noisy[SCORES].tolist()


def test_adding_a_constant_dimension_changes_no_score(noisy, noisy_codes):
    padded = np.column_stack([noisy_codes[:, :2], np.full(len(noisy_codes), 1.5), noisy_codes[:, 2:]])
    assert _scores(padded, FACTORS[HALF])[SCORES].tolist() == noisy[SCORES].tolist()
    assert gaussian_total_correlation(padded) == gaussian_total_correlation(noisy_codes)


def test_a_pure_noise_code_scores_about_zero():
    codes = np.random.default_rng(2).normal(size=(N_CELLS, 6))
    scores, details = factor_report(codes, FACTORS)
    scores, details = scores.set_index("metric")["value"], details.set_index("factor")
    assert scores["mig"] < 0.05  # chance MI is ~2% of H for a binary factor; the top two differ by less
    # test accuracies over 267 cells have a standard deviation of ~0.03: the gap between the best
    # two of six codes, and any score above chance, stays within ~3 of them
    assert scores["sap"] < 0.08
    chance = pd.Series({"a": 0.5, "b": 0.5, "c": 0.25})
    assert (details.loc[chance.index, "dci_informativeness_test"] - chance).max() < 0.1
    assert details.loc["d", "dci_informativeness_test"] < 0.05  # R^2
    assert scores["dci_disentanglement"] < 0.1 and scores["dci_completeness"] < 0.1  # importance spread evenly
    assert abs(scores["explicitness_test"] - 0.5) < 0.1
    assert gaussian_total_correlation(codes) < 0.02  # 15 pairs of |r| ~ 1/sqrt(800): sum r^2 / 2 ~ 0.01


def test_unlabelled_cells_and_constant_factors_are_left_out(perfect):
    factors = FACTORS.assign(batch="one")  # a constant factor
    codes = PERFECT.copy()
    factors.loc[:9, "c"] = np.nan  # ten unlabelled cells, with codes that would ruin the scores
    codes[:10] = 100.0
    codes[10:20] = PERFECT[:10]  # and ten labelled cells to make up for them
    factors.loc[10:19, ["a", "b", "c", "d"]] = FACTORS.loc[:9, ["a", "b", "c", "d"]].to_numpy()
    scores, details = factor_report(np.vstack([codes, PERFECT[:10]]), pd.concat([factors, factors[10:20]], ignore_index=True))
    scores = scores.set_index("metric")["value"]
    assert scores["n_cells"] == N_CELLS and scores["n_factors"] == 4 and scores["n_factors_skipped"] == 1
    assert scores["dci_disentanglement"] > 0.99 and scores["mig"] > 0.95
    batch = details.set_index("factor").loc["batch"]
    assert not batch["scored"] and math.isnan(batch["mig_gap"]) and math.isnan(batch["dci_informativeness_test"])


def test_dci_with_one_factor_has_no_disentanglement():
    result = dci(PERFECT, FACTORS[["a"]])
    assert math.isnan(result["disentanglement"]) and result["completeness"] == pytest.approx(1.0)
    assert result["importance"].shape == (4, 1) and result["informativeness"].loc["a", "test"] == 1.0


def test_factor_metrics_and_details_are_the_two_halves_of_the_report():
    codes, factors = PERFECT[::5], FACTORS[::5][["a", "d"]]  # small and cheap: the wrappers are under test
    metrics, details = factor_report(codes, factors)
    pd.testing.assert_frame_equal(factor_metrics(codes, factors), metrics)
    pd.testing.assert_frame_equal(factor_details(codes, factors), details)
    assert details["factor"].tolist() == ["a", "d"] and metrics["metric"].tolist()[:2] == ["mig", "dci_disentanglement"]
