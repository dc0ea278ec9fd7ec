"""Count data from known generative factors, each driving its own gene program.

The generative model, per cell c and gene g::

    log rate[c, g] = baseline[g] + Σ_p activity[c, p] · loading[g, p]
    mean[c, g]     = library_size[c] · softmax_g(log rate[c, :])
    count[c, g]    ~ NegativeBinomial(mean, dispersion)     (gamma-Poisson)

Factors (the columns of ``obs``) set program activities:

- ``categorical`` (cell type, a batch-like nuisance): one program per level, active (1) in the
  cells of that level; the program is named ``{factor}={level}``.
- ``continuous`` (a dose in [0, 1]): one program ``{factor}``, activity = the value.
- ``cyclic`` (a cycle-like phase in [0, 1)): ``peaks`` programs ``{factor}_phase{j}``, activity
  (1 + cos 2π(phase − j/peaks)) / 2, e.g. G1-, S- and G2/M-like programs a third of a cycle apart.
  Three or more peaks span the circle (the activities hold both cos and sin of the phase), so
  the phase is identifiable; two peaks half a cycle apart are exact complements (one axis,
  phases x and 1 − x indistinguishable), and one peak is a single cosine.

Factors are drawn through a Gaussian copula, so pairs can be correlated (``correlations``) while
each keeps its marginal (uniform for continuous/cyclic, ``proportions`` for categorical).
Programs are disjoint random gene sets; genes in no program carry only the baseline.
Everything needed to draw more cells is kept in the AnnData (``uns["simulation"]``,
``var``, ``varm``), so metrics that fix one factor and resample the others (BetaVAE, FactorVAE
scores) can ask :class:`Simulator` for new cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import log_softmax
from scipy.stats import norm

from . import keys

KINDS = ("categorical", "continuous", "cyclic")
MAX_LEVELS = 26 + 26 * 26  # level names A ... Z, AA ... ZZ


@dataclass(frozen=True)
class Factor:
    """One generative factor; ``effect`` is the log-fold change of its program genes at full activity."""

    name: str
    kind: str
    effect: float = 1.5
    levels: int = 2
    proportions: tuple[float, ...] | None = None
    peaks: int = 3

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"factor {self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind != "categorical" and self.proportions is not None:
            raise ValueError(f"factor {self.name}: proportions apply to categorical factors only, not {self.kind}")
        if self.kind == "categorical" and self.levels > MAX_LEVELS:
            raise ValueError(f"factor {self.name}: at most {MAX_LEVELS} levels (named A ... ZZ), got {self.levels}")
        if self.kind == "categorical" and self.proportions is not None:
            if len(self.proportions) != self.levels or not np.isclose(sum(self.proportions), 1.0):
                raise ValueError(f"factor {self.name}: proportions must be {self.levels} numbers summing to 1")

    @property
    def level_names(self) -> list[str]:
        """Levels are named by letters (A, B, ...; AA, AB, ... past Z)."""
        letters = [chr(ord("A") + i) for i in range(26)]
        return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(self.levels)]

    @property
    def programs(self) -> list[str]:
        if self.kind == "categorical":
            return [f"{self.name}={level}" for level in self.level_names]
        if self.kind == "cyclic":
            return [f"{self.name}_phase{j}" for j in range(self.peaks)]
        return [self.name]

    def value_from_uniform(self, u: np.ndarray) -> pd.Series:
        """Map copula uniforms to factor values (categories by cumulative proportions)."""
        if self.kind != "categorical":
            return pd.Series(u, name=self.name, dtype=float)
        cuts = np.cumsum(self.proportions or np.full(self.levels, 1.0 / self.levels))[:-1]
        codes = np.searchsorted(cuts, u, side="right")
        return pd.Series(pd.Categorical.from_codes(codes, categories=self.level_names), name=self.name)

    def activity(self, values: pd.Series) -> np.ndarray:
        """cells x programs activity in [0, 1] for this factor's values."""
        if self.kind == "categorical":
            return np.stack([(values.astype(str) == level).to_numpy(float) for level in self.level_names], axis=1)
        x = values.to_numpy(float)
        if self.kind == "cyclic":
            return np.stack([(1 + np.cos(2 * np.pi * (x - j / self.peaks))) / 2 for j in range(self.peaks)], axis=1)
        return x[:, None]


@dataclass(frozen=True)
class SimulationSpec:
    """All settings of a simulation (``datasets.<name>.simulate`` in config.yaml)."""

    factors: tuple[Factor, ...]
    n_cells: int = 2000
    n_genes: int = 1000
    program_size: int = 30
    correlations: tuple[tuple[str, str, float], ...] = ()
    library_size_median: float = 1500.0
    library_size_sigma: float = 0.35
    dispersion: float = 5.0
    baseline_sigma: float = 1.5
    loading_sigma: float = 0.25
    seed: int = 0
    programs: list[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "programs", [p for f in self.factors for p in f.programs])
        names = [f.name for f in self.factors]
        if len(set(names)) != len(names):
            raise ValueError(f"factor names must be unique, got {names}")
        repeated = sorted({p for p in self.programs if self.programs.count(p) > 1})
        if repeated:
            raise ValueError(f"programs {repeated} are named twice (a factor named like another's program, "
                             "e.g. 'cycle_phase0' beside a cyclic 'cycle'): rename the factor")
        if len(self.programs) * self.program_size > self.n_genes:
            raise ValueError(f"{len(self.programs)} programs of {self.program_size} genes do not fit in {self.n_genes} genes: "
                             "raise n_genes or lower program_size")
        self.correlation_matrix()  # fails early on an impossible correlation

    @classmethod
    def from_config(cls, config: dict) -> SimulationSpec:
        """Build from the config mapping (``factors`` is a mapping name -> settings)."""
        config = dict(config)
        settings_of = config.pop("factors")
        order = config.pop("factor_order", list(settings_of))
        factors = tuple(Factor(name=name, **{k: tuple(v) if isinstance(v, list) else v for k, v in settings_of[name].items()})
                        for name in order)
        library = config.pop("library_size", {})
        correlations = tuple(tuple(c) for c in config.pop("correlations", []))
        return cls(factors=factors, correlations=correlations, library_size_median=library.get("median", 1500.0),
                   library_size_sigma=library.get("sigma", 0.35), **config)

    def to_config(self) -> dict:
        """The inverse of :meth:`from_config` (stored in ``uns["simulation"]``)."""
        factors = {f.name: {"kind": f.kind, "effect": f.effect, "levels": f.levels, "peaks": f.peaks,
                            **({"proportions": list(f.proportions)} if f.proportions else {})} for f in self.factors}
        return {"factors": factors, "factor_order": [f.name for f in self.factors], "n_cells": self.n_cells, "n_genes": self.n_genes, "program_size": self.program_size,
                "correlations": [list(c) for c in self.correlations],
                "library_size": {"median": self.library_size_median, "sigma": self.library_size_sigma},
                "dispersion": self.dispersion, "baseline_sigma": self.baseline_sigma, "loading_sigma": self.loading_sigma,
                "seed": self.seed}

    def correlation_matrix(self) -> np.ndarray:
        """Copula correlation between factors; must be positive definite."""
        index = {f.name: i for i, f in enumerate(self.factors)}
        corr = np.eye(len(self.factors))
        seen = set()
        for a, b, rho in self.correlations:
            for name in (a, b):
                if name not in index:
                    raise ValueError(f"correlation names factor {name!r}, which is not among {list(index)}")
            if a == b:
                raise ValueError(f"correlation [{a}, {b}, {rho}] pairs a factor with itself: name two different factors")
            if frozenset((a, b)) in seen:
                raise ValueError(f"the correlation of {a} and {b} is given twice: keep one")
            seen.add(frozenset((a, b)))
            corr[index[a], index[b]] = corr[index[b], index[a]] = rho
        if np.linalg.eigvalsh(corr).min() <= 0:
            raise ValueError(f"the factor correlations {list(self.correlations)} are not a valid (positive definite) correlation")
        return corr


class Simulator:
    """A drawn simulation: gene baselines and program loadings, ready to generate cells.

    Parameters
    ----------
    spec
        The settings.
    baseline
        Per-gene log relative expression (length ``n_genes``).
    loadings
        genes x programs, non-zero only for each program's genes.
    genes
        Gene names.
    """

    def __init__(self, spec: SimulationSpec, baseline: np.ndarray, loadings: np.ndarray, genes: list[str]):
        self.spec, self.baseline, self.loadings, self.genes = spec, baseline, loadings, list(genes)

    @classmethod
    def draw(cls, spec: SimulationSpec) -> Simulator:
        """Draw baselines and the disjoint program gene sets from ``spec.seed``."""
        rng = np.random.default_rng(spec.seed)
        baseline = rng.normal(0.0, spec.baseline_sigma, spec.n_genes)
        loadings = np.zeros((spec.n_genes, len(spec.programs)))
        chosen = rng.permutation(spec.n_genes)[: len(spec.programs) * spec.program_size].reshape(len(spec.programs), -1)
        effects = [f.effect for f in spec.factors for _ in f.programs]
        for p, (genes, effect) in enumerate(zip(chosen, effects)):
            loadings[genes, p] = effect * rng.lognormal(0.0, spec.loading_sigma, len(genes))
        width = len(str(spec.n_genes))
        return cls(spec, baseline, loadings, [f"gene{i:0{width}d}" for i in range(spec.n_genes)])

    def program_genes(self) -> dict[str, list[str]]:
        """Each program's genes (the GMT the pipeline enriches against)."""
        return {p: [self.genes[g] for g in np.flatnonzero(self.loadings[:, i])] for i, p in enumerate(self.spec.programs)}

    def sample_factors(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` cells' factor values from the copula (categorical columns as pandas categoricals)."""
        corr = self.spec.correlation_matrix()
        u = norm.cdf(rng.multivariate_normal(np.zeros(len(corr)), corr, size=n, method="cholesky"))
        return pd.DataFrame({f.name: f.value_from_uniform(u[:, i]) for i, f in enumerate(self.spec.factors)})

    def activity(self, factors: pd.DataFrame) -> pd.DataFrame:
        """cells x programs activities implied by the factor values."""
        blocks = [f.activity(factors[f.name]) for f in self.spec.factors]
        return pd.DataFrame(np.concatenate(blocks, axis=1), columns=self.spec.programs, index=factors.index)

    def counts(self, factors: pd.DataFrame, rng: np.random.Generator) -> sp.csr_matrix:
        """Negative-binomial counts (cells x genes, CSR int32) for the given factor values."""
        log_rate = self.baseline + self.activity(factors).to_numpy() @ self.loadings.T
        library = self.spec.library_size_median * rng.lognormal(0.0, self.spec.library_size_sigma, len(factors))
        mean = library[:, None] * np.exp(log_softmax(log_rate, axis=1))
        theta = self.spec.dispersion
        counts = rng.poisson(rng.gamma(theta, mean / theta)).astype(np.int32)
        return sp.csr_matrix(counts)

    def simulate(self) -> ad.AnnData:
        """The dataset of ``spec.n_cells`` cells (seeded by ``spec.seed``), with its generative record.

        Slots: X (counts), obs (one column per factor), ``obsm["simulated_activity"]`` (programs
        per cell, a DataFrame), ``var["simulated_baseline"]``, ``varm["simulated_loadings"]``,
        ``uns["simulation"]`` (the spec and the program names).
        """
        rng = np.random.default_rng([self.spec.seed, 1])
        factors = self.sample_factors(self.spec.n_cells, rng)
        factors.index = [f"cell{i:0{len(str(self.spec.n_cells))}d}" for i in range(self.spec.n_cells)]
        adata = ad.AnnData(X=self.counts(factors, rng), obs=factors, var=pd.DataFrame(index=self.genes))
        adata.obsm[keys.SIM_ACTIVITY] = self.activity(factors)
        adata.var[keys.SIM_BASELINE] = self.baseline
        adata.varm[keys.SIM_LOADINGS] = self.loadings
        adata.uns[keys.SIM_UNS] = {"spec": _to_h5ad(self.spec.to_config()), "programs": list(self.spec.programs)}
        return adata

    @classmethod
    def from_anndata(cls, adata: ad.AnnData) -> Simulator:
        """The simulator that generated ``adata`` (written by :meth:`simulate`)."""
        spec = SimulationSpec.from_config(_from_h5ad(adata.uns[keys.SIM_UNS]["spec"]))
        return cls(spec, adata.var[keys.SIM_BASELINE].to_numpy(), np.asarray(adata.varm[keys.SIM_LOADINGS]), adata.var_names)


# h5ad stores neither None nor lists of mixed types: correlations go as a table of strings and numbers.
def _to_h5ad(config: dict) -> dict:
    out = dict(config)
    out["correlations"] = {"a": [c[0] for c in config["correlations"]], "b": [c[1] for c in config["correlations"]],
                           "rho": [float(c[2]) for c in config["correlations"]]}
    return out


def _from_h5ad(stored: dict) -> dict:
    config = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in stored.items()}
    config["factor_order"] = [str(name) for name in config["factor_order"]]
    corr = config["correlations"]
    config["correlations"] = [[str(a), str(b), float(r)] for a, b, r in zip(corr.get("a", []), corr.get("b", []), corr.get("rho", []))]
    config["factors"] = {name: {k: (list(v) if isinstance(v, np.ndarray) else (v.item() if isinstance(v, np.generic) else v))
                                for k, v in settings.items()} for name, settings in config["factors"].items()}
    config["library_size"] = {k: float(v) for k, v in config["library_size"].items()}
    return config
