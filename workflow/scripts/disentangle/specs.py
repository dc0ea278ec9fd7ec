"""Reading a model's specs.json (written by :func:`disentangle.model.train_model`); no torch needed."""

from __future__ import annotations


def flat_params(specs: dict) -> dict:
    """One flat dict of a model's objective, architecture and training parameters and its kept epoch.

    Parameters
    ----------
    specs
        The dict stored in ``specs.json``.

    Returns
    -------
    Parameter name -> value, without the ``None`` ones.
    """
    params = {**specs["objective"], **specs["architecture"], **specs["training"], "best_epoch": specs.get("best_epoch")}
    return {k: v for k, v in params.items() if v is not None}
