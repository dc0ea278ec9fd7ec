"""A sweep over objectives and seeds: each setting's metrics as mean and spread over seeds.

The rows come from :func:`disentangle.scoring.summarize_models` (one per model); a *setting* is
the objective and its strength (``β=4``, ``C=10``, ``TC β=6``, ``FV γ=10``) with the seed left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# (column of the model summary, what the figure calls it); the first present ones are shown.
SWEEP_METRICS = [
    ("reconstruction_validation", "reconstruction error (val. NLL per cell)"),
    ("kl_total", "KL (nats per cell)"),
    ("n_active", "active dimensions"),
    ("factors.mig", "MIG"),
    ("factors.dci_disentanglement", "DCI disentanglement"),
    ("factors.dci_completeness", "DCI completeness"),
    ("factors.dci_informativeness_test", "DCI informativeness (test)"),
    ("factors.sap", "SAP"),
    ("factors.modularity", "modularity"),
    ("factors.explicitness_test", "explicitness (test)"),
    ("intervention.beta_vae_eval_accuracy", "BetaVAE score"),
    ("intervention.factor_vae_eval_accuracy", "FactorVAE score"),
    ("one_vs_rest.mig", "MIG, one vs rest"),
    ("one_vs_rest.dci_disentanglement", "DCI disentanglement, one vs rest"),
    ("one_vs_rest.modularity", "modularity, one vs rest"),
    ("gaussian_total_correlation", "total correlation (Gaussian)"),
    ("mean_pairwise_mutual_info", "mean pairwise MI"),
    ("programs.recovered_once", "programs in exactly one dim"),
    ("programs.in_own_dimension", "programs in their factor's dim"),
    ("one_to_one", "gene sets: one-to-one"),
    ("coverage", "gene sets: coverage"),
    ("nes_gap", "gene sets: NES gap"),
]


# objective -> (order of its family, the parameter that sets its strength, the setting's name prefix)
FAMILIES = {"beta": (0, "beta", "β"), "capacity": (1, "capacity_max", "C"), "tcvae": (2, "beta", "TC β"),
            "factorvae": (3, "gamma", "FV γ")}


def setting_of(row) -> tuple[int, float, str]:
    """Sort key and name of a model's setting: β models (by β), capacity (by C), β-TCVAE, FactorVAE."""
    order, param, prefix = FAMILIES[row["objective"]]
    return order, float(row[param]), f"{prefix}={row[param]:g}"


def sweep_table(models: pd.DataFrame) -> pd.DataFrame:
    """The model summary with its setting (``setting``, ``order``) and only sweep metrics kept."""
    keys = models.apply(setting_of, axis=1, result_type="expand")
    present = [m for m, _ in SWEEP_METRICS if m in models.columns]
    params = [c for c in ("beta", "gamma", "capacity_max") if c in models.columns]
    out = models[["model", "objective", *params, "seed", *present]].copy()
    out.insert(1, "setting", keys[2])
    out["_order"] = list(zip(keys[0], keys[1]))
    return out.sort_values(["_order", "seed"]).drop(columns="_order").reset_index(drop=True)


def aggregate_sweep(table: pd.DataFrame) -> pd.DataFrame:
    """Per setting and metric: mean, sample sd and number of seeds (NaN values left out).

    Returns
    -------
    Tidy DataFrame: setting, metric, mean, sd, n_seeds, in the settings' order.
    """
    metrics = [m for m, _ in SWEEP_METRICS if m in table.columns]
    rows = []
    for setting, group in table.groupby("setting", sort=False):
        for metric in metrics:
            values = pd.to_numeric(group[metric], errors="coerce").dropna().to_numpy(float)
            rows.append({"setting": setting, "metric": metric, "mean": values.mean() if len(values) else np.nan,
                         "sd": values.std(ddof=1) if len(values) > 1 else np.nan, "n_seeds": len(values)})
    return pd.DataFrame(rows, columns=["setting", "metric", "mean", "sd", "n_seeds"])
