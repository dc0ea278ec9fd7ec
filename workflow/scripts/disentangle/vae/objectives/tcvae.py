"""β-TCVAE (Chen et al. 2018): the KL split into index-code MI, total correlation and dimension-wise KL.

    E_x KL(q(z|x) ‖ p(z)) = I_q(x; z) + KL(q(z) ‖ ∏_d q(z_d)) + Σ_d KL(q(z_d) ‖ p(z_d))
                          =     MI     +          TC          +          dw-KL

q(z) = 1/N Σ_n q(z|x_n) is the aggregate posterior over the N cells of the split; each term is
estimated on a minibatch of M cells from the log-densities log q(z_i | x_j) of every pair.
"""

from __future__ import annotations

import math

import torch

from .base import Objective

ESTIMATORS = ("mws", "mss")


def log_normal(x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(x; mean, exp(logvar))."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (x - mean) ** 2 / logvar.exp())


def log_pair_weights(m: int, n_data: int, estimator: str, *, device=None) -> torch.Tensor:
    """Log importance weights (M x M) of q(z_i | x_j) in the estimate of q(z_i).

    ``mws``, minibatch-weighted sampling (Chen et al. 2018, eq. S5): every pair weighs
    1 / (N·M). ``mss``, minibatch stratified sampling: the cell's own posterior weighs 1 / N,
    each other cell's (N − 1) / (N·(M − 1)), so that the batch stands in for the other N − 1
    cells; with M = N it is the exact mixture.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown TC estimator {estimator!r}; known: {ESTIMATORS}")
    n = max(n_data, m)
    if estimator == "mws" or m == 1:
        return torch.full((m, m), -math.log(n * m) if estimator == "mws" else -math.log(n), device=device)
    weights = torch.full((m, m), math.log((n - 1) / (n * (m - 1))), device=device)
    weights.fill_diagonal_(-math.log(n))
    return weights


def decomposed_kl(z, mean, logvar, n_data: int, estimator: str = "mws") -> dict[str, torch.Tensor]:
    """Minibatch estimates of MI, TC and dimension-wise KL (nats, mean over the batch's cells).

    Parameters
    ----------
    z
        One sample per cell from its posterior (M x D).
    mean, logvar
        The posteriors of the same cells (M x D).
    n_data
        N, the cells of the split the minibatch was drawn from.
    estimator
        ``mws`` or ``mss`` (:func:`log_pair_weights`).

    Notes
    -----
    MWS puts weight 1/(N·M) on a cell's own posterior, where the aggregate gives it 1/N: when
    posteriors overlap little, its log q(z) is low by about log M and its MI high by as much;
    when every posterior is the same it reports MI = log N and TC = (D − 1) log N where both
    are 0. The gradient is what the objective uses; read MSS for the values.
    """
    m = z.shape[0]
    pairs = log_normal(z[:, None, :], mean[None, :, :], logvar[None, :, :])  # i, j, d
    weights = log_pair_weights(m, n_data, estimator, device=z.device)
    log_q_z_given_x = pairs.diagonal(dim1=0, dim2=1).sum(0)
    log_q_z = torch.logsumexp(weights + pairs.sum(2), dim=1)
    log_prod_q_zd = torch.logsumexp(weights[:, :, None] + pairs, dim=1).sum(1)
    log_p_z = log_normal(z, torch.zeros_like(z), torch.zeros_like(z)).sum(1)
    return {
        "mi": (log_q_z_given_x - log_q_z).mean(),
        "tc": (log_q_z - log_prod_q_zd).mean(),
        "dw_kl": (log_prod_q_zd - log_p_z).mean(),
    }


class TCVAEObjective(Objective):
    """β-TCVAE: reconstruction + α·MI + β·TC + γ·dw-KL (α = γ = 1 penalises the total correlation only).

    Parameters
    ----------
    alpha, beta, gamma
        Weights of the index-code MI, the total correlation and the dimension-wise KL.
    estimator
        ``mws`` (minibatch-weighted sampling, as in the paper) or ``mss`` (stratified).
    """

    name = "tcvae"

    def __init__(self, alpha: float = 1.0, beta: float = 6.0, gamma: float = 1.0, estimator: str = "mws"):
        if min(alpha, beta, gamma) < 0:
            raise ValueError(f"tcvae weights must be >= 0, got alpha={alpha}, beta={beta}, gamma={gamma}")
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown TC estimator {estimator!r}; known: {ESTIMATORS}")
        self.alpha, self.beta, self.gamma, self.estimator = float(alpha), float(beta), float(gamma), estimator

    @classmethod
    def from_settings(cls, settings: dict) -> "TCVAEObjective":
        return cls(settings.get("alpha", 1.0), settings["beta"], settings.get("gamma", 1.0),
                   settings.get("tc_estimator", "mws"))

    def regulariser(self, fwd, kl, step):
        terms = decomposed_kl(fwd.z, fwd.mean, fwd.logvar, fwd.n_data, self.estimator)
        total = self.alpha * terms["mi"] + self.beta * terms["tc"] + self.gamma * terms["dw_kl"]
        return total, terms, {}

    def params(self):
        return {"objective": self.name, "alpha": self.alpha, "beta": self.beta, "gamma": self.gamma,
                "tc_estimator": self.estimator}
