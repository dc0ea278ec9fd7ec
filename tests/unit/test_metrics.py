"""Metrics on hand-computable cases."""

import numpy as np
import pandas as pd
import pytest

from disentangle import keys
from disentangle.metrics import categorical_mig, dimension_table, discretize, geneset_scores, label_auroc, label_capture, mutual_info_gap, nes_gap, term_table


def _balanced_factors():
    # two independent binary factors over 400 cells: every combination 100 times
    f0 = np.repeat([0, 1], 200)
    f1 = np.tile(np.repeat([0, 1], 100), 2)
    return np.stack([f0, f1], axis=1)


def test_discretize_uses_equal_width_bins():
    codes = np.array([[0.0], [0.49], [0.51], [1.0]])
    assert discretize(codes, n_bins=2)[:, 0].tolist() == [1, 1, 2, 2]


def test_mig_is_one_when_each_factor_has_its_own_code():
    factors = _balanced_factors()
    codes = np.column_stack([factors[:, 0], factors[:, 1], np.zeros(400)]).astype(float)
    result = mutual_info_gap(codes, factors)
    # MI(code0; f0) = H(f0) = ln 2 and MI(code1; f0) = 0 because the design is balanced
    np.testing.assert_allclose(result["entropy"], [np.log(2)] * 2)
    np.testing.assert_allclose(result["mi"][0], [np.log(2), 0.0], atol=1e-12)
    assert result["mig"] == pytest.approx(1.0)


def test_categorical_mig_of_a_label_equal_to_one_code():
    labels = pd.Series(np.repeat(["B", "T", "NK", "Mono"], 50))
    codes = np.column_stack([pd.factorize(labels)[0], np.zeros(200)]).astype(float)
    assert categorical_mig(codes, labels) == pytest.approx(1.0)  # MI = H(label) for code 0, 0 for the constant
    labels[:10] = np.nan
    assert categorical_mig(codes, labels) == pytest.approx(1.0)
    noisy = np.column_stack([codes[:, 0], np.random.default_rng(0).normal(size=200)])
    assert 0.7 < categorical_mig(noisy, labels) < 1.0  # 20 bins on 200 cells: the noise code gets chance MI


def test_mig_is_zero_when_two_codes_duplicate_a_factor():
    factors = _balanced_factors()[:, :1]
    codes = np.column_stack([factors[:, 0], factors[:, 0]]).astype(float)
    assert mutual_info_gap(codes, factors)["mig"] == pytest.approx(0.0)


def test_label_capture_and_auroc_find_the_separating_dimension():
    rng = np.random.default_rng(0)
    labels = pd.Series(np.repeat(["B", "T", "Mono"], 100)).astype("category")
    codes = rng.normal(size=(300, 3))
    codes[:100, 2] += 6.0  # B cells at the high pole of z2
    codes[200:, 0] -= 6.0  # monocytes at the low pole of z0
    labels[5] = np.nan
    capture = label_capture(codes, labels)
    assert capture.loc["B", "best_dim"] == 2 and capture.loc["Mono", "best_dim"] == 0
    assert capture.loc["B", "n_cells"] == 99
    assert capture.loc["B", "auroc"] > 0.99 and capture.loc["Mono", "auroc"] < 0.01
    auroc = label_auroc(codes, labels)
    assert auroc.shape == (3, 3)
    assert auroc.loc["B", 2] > 0.99 and abs(auroc.loc["B", 1] - 0.5) < 0.15
    assert capture["scored"].all()


def test_categories_below_min_cells_are_flagged_and_not_in_auroc():
    rng = np.random.default_rng(1)
    labels = pd.Series(["rare"] * 3 + ["common"] * 97)
    codes = rng.normal(size=(100, 2))
    codes[:3, 0] += 10  # a perfect but tiny category
    capture = label_capture(codes, labels, min_cells=20)
    assert not capture.loc["rare", "scored"] and capture.loc["common", "scored"]
    assert list(label_auroc(codes, labels, min_cells=20).index) == ["common"]


def _enrichment():
    rows = [  # (dimension, term, nes, fdr)
        ("z0", "A", 2.0, 0.001), ("z1", "A", 1.8, 0.01),  # A in two dimensions
        ("z0", "B", -2.2, 0.0), ("z1", "B", 0.1, 0.9),  # B in one (low pole of z0)
        ("z0", "C", 0.5, 0.6), ("z1", "C", 0.4, 0.7),  # C nowhere
        ("z2", "A", 2.5, 0.0),  # z2 is inactive: does not count
    ]
    frame = pd.DataFrame(rows, columns=[keys.DIMENSION, keys.TERM, keys.NES, keys.FDR])
    return frame.assign(**{keys.LIBRARY: "lib"})


def test_term_table_and_geneset_scores_on_a_hand_computed_case():
    terms = term_table(_enrichment(), fdr=0.05, active_dims={"z0", "z1"})
    n_dims = dict(zip(terms[keys.TERM], terms["n_dims"]))
    assert n_dims == {"A": 2, "B": 1, "C": 0}
    assert terms.set_index(keys.TERM).loc["A", "dims"] == "z0,z1"
    # A's lowest FDR is in the inactive z2; its best dimension is the best active one
    assert terms.set_index(keys.TERM).loc["A", "best_dimension"] == "z0"
    scores = geneset_scores(terms).set_index(["scope", "metric"])["value"]
    assert scores["all", "n_terms_tested"] == 3
    assert scores["all", "coverage"] == pytest.approx(2 / 3)
    assert scores["all", "one_to_one"] == pytest.approx(0.5)
    assert scores["all", "mean_dims_per_term"] == pytest.approx(1.5)
    assert scores["lib", "one_to_one"] == pytest.approx(0.5)
    # |NES| over the active dimensions: A 2.0 vs 1.8, B 2.2 vs 0.1, C 0.5 vs 0.4 (z2's 2.5 is inactive)
    gaps = terms.set_index(keys.TERM)["nes_gap"]
    assert gaps["A"] == pytest.approx(0.1) and gaps["B"] == pytest.approx(2.1 / 2.2) and gaps["C"] == pytest.approx(0.2)
    assert scores["all", "nes_gap"] == pytest.approx((0.1 + 2.1 / 2.2) / 2)  # over the significant terms A and B


@pytest.mark.parametrize(("nes", "expected"), [
    ([2.4, 0.0, 0.0], 1.0),        # only one dimension ranks the set: perfectly specific
    ([-1.9, 1.9, 0.3], 0.0),       # two dimensions tie (either pole)
    ([3.0, -1.5], 0.5),
    ([2.0, np.nan, 1.0], 0.5),     # a dimension where gseapy gave no NES is left out
    ([1.7], np.nan),               # one dimension: no second to compare with
])
def test_nes_gap(nes, expected):
    assert nes_gap(np.array(nes)) == pytest.approx(expected, nan_ok=True)


def test_dimension_table_best_terms_and_inactive_dimensions():
    table = dimension_table(_enrichment(), kl_per_dim=np.array([1.0, 0.5, 0.001]), active=np.array([True, True, False]), fdr=0.05)
    table = table.set_index(keys.DIMENSION)
    assert table.loc["z0", "best_term"] == "B"  # FDR 0 beats 0.001
    assert table.loc["z0", "n_significant_terms"] == 2
    assert table.loc["z1", "best_term"] == "A"
    assert table.loc["z2", "n_significant_terms"] == 0 and not table.loc["z2", "active"]
