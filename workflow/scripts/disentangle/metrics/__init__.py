"""Disentanglement metrics (numpy, scipy, scikit-learn only).

``supervised``: histogram mutual information and MIG against integer-coded labels.
``factors``: factor tables (one column per known factor): kinds, integer codes, one-vs-rest.
``information``, ``predictive``, ``interventional``: disentanglement_lib's scores against known
factors (MIG, modularity, DCI, SAP, explicitness, BetaVAE, FactorVAE) and unsupervised scores;
``summary`` gathers them into tidy tables.
``genesets``: from gene-set enrichment, does each biological program map to exactly one dimension.
"""

from .factors import discrete_factors, factor_kinds, one_vs_rest, prepare_factors, split_cells
from .genesets import dimension_table, geneset_scores, nes_gap, term_table
from .information import factor_mig, gaussian_total_correlation, mean_pairwise_mutual_info, modularity, modularity_from_mutual_info
from .interventional import beta_vae_score, factor_vae_score
from .predictive import dci, dci_completeness, dci_disentanglement, explicitness, sap, sap_from_scores
from .summary import factor_details, factor_metrics, factor_report, unsupervised_metrics
from .supervised import categorical_mig, discretize, label_auroc, label_capture, mutual_info_gap, mutual_info_matrix

__all__ = ["beta_vae_score", "categorical_mig", "dci", "dci_completeness", "dci_disentanglement", "dimension_table",
           "discrete_factors", "discretize", "explicitness", "factor_details", "factor_kinds", "factor_metrics", "factor_mig",
           "factor_report", "factor_vae_score", "gaussian_total_correlation", "geneset_scores", "label_auroc", "label_capture",
           "mean_pairwise_mutual_info", "modularity", "modularity_from_mutual_info", "mutual_info_gap", "mutual_info_matrix",
           "one_vs_rest", "prepare_factors", "sap", "sap_from_scores", "split_cells", "nes_gap", "term_table", "unsupervised_metrics"]
