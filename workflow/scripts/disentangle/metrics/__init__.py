"""Disentanglement metrics (numpy, scipy, scikit-learn only).

``supervised``: against known factors (labels), following disentanglement_lib's definitions.
``genesets``: from gene-set enrichment, does each biological program map to exactly one dimension.
"""

from .genesets import dimension_table, geneset_scores, term_table
from .supervised import categorical_mig, discretize, label_auroc, label_capture, mutual_info_gap, mutual_info_matrix

__all__ = ["categorical_mig", "dimension_table", "discretize", "geneset_scores", "label_auroc", "label_capture", "mutual_info_gap",
           "mutual_info_matrix", "term_table"]
