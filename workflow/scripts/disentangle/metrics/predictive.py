"""Scores from models that predict factors from codes: DCI, SAP, explicitness.

After disentanglement_lib (Locatello et al. 2019): ``dci.py``, ``sap_score.py`` and
``modularity_explicitness.py``. Where the reference draws separate train and test samples we
split the labelled cells (:func:`split_cells`). A discrete factor whose training cells hold a
single class cannot be fitted; it is left out of that score (logged).

The scores depend on the set of code dimensions, not on their order, and a constant dimension
changes none of them: models that see all codes get the varying ones in a canonical order
(:func:`_canonical_columns`), and sums over codes are exact (``math.fsum``) or taken in sorted order.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy.stats import entropy
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from .factors import CONTINUOUS, discrete_factors, factor_kinds, prepare_factors, split_cells, target
from .information import ZERO_VARIANCE

log = logging.getLogger(__name__)


def _fittable(y_train: np.ndarray, kind: str, name, score: str) -> bool:
    if kind == CONTINUOUS or len(np.unique(y_train)) > 1:
        return True
    log.info("%s: factor %s has a single class among the training cells, left out", score, name)
    return False


def _canonical_columns(codes: np.ndarray) -> np.ndarray:
    """Indices of the varying columns of ``codes``, ordered by their values (lexicographically).

    scikit-learn's trees visit features in a seeded random order, so a tie between two features
    (the same partition of the cells, common in small nodes) goes to the one visited first: fed
    in input order, reordering the codes or adding a constant one would change DCI (by ~1e-4).
    """
    varying = np.flatnonzero(codes.var(axis=0) > ZERO_VARIANCE)
    return varying[np.lexsort(codes[::-1][:, varying])]


def _row_sums(matrix: np.ndarray) -> np.ndarray:
    return np.array([math.fsum(row) for row in matrix])


def _specificity(weights: np.ndarray, base: int) -> np.ndarray:
    """Per row: 1 - entropy of the row, normalised, in base ``base``; 0 for all-zero rows."""
    out = np.zeros(len(weights))
    nonzero = _row_sums(weights) > 0
    if base < 2:
        out[nonzero] = 1.0  # one outcome: all weight on it, entropy 0
    else:  # sorted, so that the result does not depend on the order of the entries
        out[nonzero] = 1.0 - entropy(np.sort(weights[nonzero], axis=1), base=base, axis=1)
    return out


def dci_disentanglement(importance: np.ndarray) -> float:
    """DCI disentanglement of a codes x factors importance matrix (Eastwood & Williams 2018).

    Per code: 1 - entropy (base n_factors) of its importance over factors; weighted by the code's
    share of the total importance. Differences from disentanglement_lib: NaN with a single factor
    (entropy in base 1 is undefined; the reference returns inf or nan), and no 1e-11 offset:
    all-zero rows score 0 with weight 0, as they do there up to that offset.
    """
    importance = np.abs(np.asarray(importance, dtype=float))
    if importance.shape[1] < 2:
        return float("nan")
    code_totals = _row_sums(importance)
    total = math.fsum(code_totals)
    if total == 0:
        return 0.0
    per_code = _specificity(importance, importance.shape[1])
    return math.fsum(per_code * code_totals / total)


def dci_completeness(importance: np.ndarray) -> float:
    """DCI completeness of a codes x factors importance matrix (Eastwood & Williams 2018).

    Per factor: 1 - entropy (base n_codes) of its importance over codes; weighted by the factor's
    share of the total importance. Difference from disentanglement_lib: codes with zero importance
    for every factor (never used: constant or collapsed dimensions) are dropped first, so the
    entropy base counts the used codes only; otherwise adding a collapsed dimension would raise
    completeness.
    """
    importance = np.abs(np.asarray(importance, dtype=float))
    importance = importance[_row_sums(importance) > 0]
    factor_totals = _row_sums(importance.T)
    total = math.fsum(factor_totals)
    if total == 0:
        return 0.0
    per_factor = _specificity(importance.T, importance.shape[0])
    return math.fsum(per_factor * factor_totals / total)


def _gradient_boosting(kind: str, seed: int):
    if kind == CONTINUOUS:
        return GradientBoostingRegressor(random_state=seed)
    return GradientBoostingClassifier(random_state=seed)


def dci(codes: np.ndarray, factors: pd.DataFrame, *, seed: int = 0, train_fraction: float = 2 / 3) -> dict:
    """Disentanglement, completeness and informativeness (Eastwood & Williams 2018).

    One gradient-boosted tree model (scikit-learn defaults, ``random_state=seed``) per factor,
    trained on the train cells; the importance matrix (codes x factors) holds the absolute
    feature importances. Informativeness is the mean over factors of the model's score on the
    train or test cells. Differences from disentanglement_lib: continuous factors get a
    regressor and contribute R^2 instead of accuracy; see also :func:`dci_disentanglement` and
    :func:`dci_completeness`.

    Returns
    -------
    dict with ``disentanglement``, ``completeness``, ``informativeness_train``,
    ``informativeness_test`` (floats), ``importance`` (DataFrame codes x factors),
    ``informativeness`` (DataFrame factors x [train, test]), ``skipped``.
    """
    codes, frame, skipped = prepare_factors(codes, factors)
    train, test = split_cells(len(codes), train_fraction=train_fraction, seed=seed)
    columns = _canonical_columns(codes[train])
    x_train, x_test = codes[train][:, columns], codes[test][:, columns]
    importance, scores = {}, {}
    for name, kind in factor_kinds(frame).items():
        y = target(frame[name], kind)
        if not _fittable(y[train], kind, name, "DCI"):
            skipped = [*skipped, name]
            continue
        model = _gradient_boosting(kind, seed).fit(x_train, y[train])
        importance[name] = np.zeros(codes.shape[1])
        importance[name][columns] = np.abs(model.feature_importances_)
        scores[name] = {"train": model.score(x_train, y[train]), "test": model.score(x_test, y[test])}
    matrix = pd.DataFrame(importance, index=range(codes.shape[1]), dtype=float)
    informativeness = pd.DataFrame.from_dict(scores, orient="index", columns=["train", "test"], dtype=float)
    return {"disentanglement": dci_disentanglement(matrix.to_numpy()), "completeness": dci_completeness(matrix.to_numpy()),
            "informativeness_train": float(informativeness["train"].mean()),
            "informativeness_test": float(informativeness["test"].mean()),
            "importance": matrix, "informativeness": informativeness, "skipped": skipped}


def sap_from_scores(score_matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """SAP from a codes x factors score matrix: per factor, the largest minus the second-largest
    score over codes; SAP is their mean. Returns ``(sap, per_factor_gaps)``."""
    ordered = np.sort(np.asarray(score_matrix, dtype=float), axis=0)
    gaps = ordered[-1] - ordered[-2]
    return (float(np.mean(gaps)) if len(gaps) else float("nan")), gaps


def _squared_correlations(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    centred = codes - codes.mean(axis=0)
    value = values - values.mean()
    var_code = centred.var(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.mean(centred * value[:, None], axis=0) ** 2 / (var_code * value.var())
    return np.where(var_code > ZERO_VARIANCE, r2, 0.0)


def _single_code_accuracies(codes, y, train, test, seed: int) -> np.ndarray:
    scores = np.zeros(codes.shape[1])
    for k in np.flatnonzero(codes[train].var(axis=0) > ZERO_VARIANCE):
        classifier = LinearSVC(C=0.01, class_weight="balanced", random_state=seed)
        classifier.fit(codes[train, k:k + 1], y[train])
        scores[k] = classifier.score(codes[test, k:k + 1], y[test])
    return scores


def sap(codes: np.ndarray, factors: pd.DataFrame, *, seed: int = 0, train_fraction: float = 2 / 3) -> dict:
    """Separated Attribute Predictability (Kumar et al. 2018).

    Score matrix codes x factors: for a continuous factor the squared correlation with each code
    (0 for codes of variance <= 1e-12); for a discrete factor the test accuracy of a linear SVM
    (``C=0.01``, balanced class weights) trained on that one code. SAP is the mean over factors of
    the gap between the two best codes (:func:`sap_from_scores`).

    Differences from disentanglement_lib: the kind is chosen per factor (the reference has one
    flag for all); squared correlations use all labelled cells (nothing is fitted; the reference
    uses its training sample); codes of variance <= 1e-12 score 0 for discrete factors too (an SVM
    on a constant predicts one class, whose frequency could otherwise enter the top two).

    Returns
    -------
    dict with ``sap`` (float), ``scores`` (DataFrame codes x factors), ``per_factor`` (Series of
    gaps), ``skipped``.
    """
    codes, frame, skipped = prepare_factors(codes, factors)
    if codes.shape[1] < 2:
        raise ValueError("SAP needs at least two code dimensions")
    train, test = split_cells(len(codes), train_fraction=train_fraction, seed=seed)
    scores = {}
    for name, kind in factor_kinds(frame).items():
        y = target(frame[name], kind)
        if kind == CONTINUOUS:
            scores[name] = _squared_correlations(codes, y)
        elif _fittable(y[train], kind, name, "SAP"):
            scores[name] = _single_code_accuracies(codes, y, train, test, seed)
        else:
            skipped = [*skipped, name]
    matrix = pd.DataFrame(scores, index=range(codes.shape[1]), dtype=float)
    value, gaps = sap_from_scores(matrix.to_numpy())
    return {"sap": value, "scores": matrix, "per_factor": pd.Series(gaps, index=matrix.columns), "skipped": skipped}


def _mean_class_auc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Mean one-vs-rest ROC AUC over the classes that are present, and not alone, in ``y``."""
    aucs = [roc_auc_score(y == c, proba[:, i]) for i, c in enumerate(classes) if 0 < np.sum(y == c) < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")


def explicitness(codes: np.ndarray, factors: pd.DataFrame, *, seed: int = 0, train_fraction: float = 2 / 3,
                 n_bins: int = 20) -> dict:
    """Explicitness (Ridgeway & Zemel 2018): how well a linear classifier on all codes predicts each factor.

    Per factor (:func:`discrete_factors`, so continuous factors are binned), a logistic
    regression on the standardised codes of the train cells; its one-vs-rest ROC AUC per class
    from ``predict_proba``, averaged over classes, on the train and on the test cells; the score
    is the mean over factors. Differences from disentanglement_lib: classes absent from the
    evaluated cells (or that are all of them) are skipped; scikit-learn's current default
    (multinomial) logistic regression with ``max_iter=1000`` rather than one-vs-rest liblinear;
    constant codes are left out instead of being divided by a zero deviation.

    Returns
    -------
    dict with ``explicitness_train``, ``explicitness_test`` (floats), ``per_factor`` (DataFrame
    factors x [train, test]), ``skipped``.
    """
    codes, frame, skipped = prepare_factors(codes, factors)
    train, test = split_cells(len(codes), train_fraction=train_fraction, seed=seed)
    columns = _canonical_columns(codes[train])
    scaler = StandardScaler().fit(codes[train][:, columns])
    x_train, x_test = scaler.transform(codes[train][:, columns]), scaler.transform(codes[test][:, columns])
    classes = discrete_factors(frame, n_bins)
    scores = {}
    for j, name in enumerate(frame.columns):
        y_train, y_test = classes[train, j], classes[test, j]
        if not _fittable(y_train, "discrete", name, "explicitness"):
            skipped = [*skipped, name]
            continue
        model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
        scores[name] = {"train": _mean_class_auc(y_train, model.predict_proba(x_train), model.classes_),
                        "test": _mean_class_auc(y_test, model.predict_proba(x_test), model.classes_)}
    per_factor = pd.DataFrame.from_dict(scores, orient="index", columns=["train", "test"], dtype=float)
    return {"explicitness_train": float(per_factor["train"].mean()), "explicitness_test": float(per_factor["test"].mean()),
            "per_factor": per_factor, "skipped": skipped}
