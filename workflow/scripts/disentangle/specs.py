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


# Each objective's own keys in config.yaml (the schema enforces the same sets; a test keeps them equal).
OBJECTIVE_PARAMS = {
    "beta": ("beta",),
    "capacity": ("gamma", "capacity_max", "capacity_steps"),
    "tcvae": ("alpha", "beta", "gamma", "tc_estimator"),
    "factorvae": ("gamma", "discriminator_hidden", "discriminator_layers", "discriminator_learning_rate"),
}
COUNT_LIKELIHOODS = ("poisson", "nb", "zinb")  # need raw counts (disentangle.vae.COUNT_LIKELIHOODS)


def foreign_objective_keys(model: dict) -> list[str]:
    """Keys of a model's config that belong to another objective than its own."""
    own = set(OBJECTIVE_PARAMS.get(model.get("objective"), ()))
    every = {key for keys in OBJECTIVE_PARAMS.values() for key in keys}
    return sorted(key for key in model if key in every - own)
