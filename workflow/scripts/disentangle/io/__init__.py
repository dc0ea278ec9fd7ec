"""Reading inputs: expression datasets in every format, their validation, GMT files, downloads.

This package sits at the bottom of the library: it imports nothing of ours except
``errors`` and ``keys``, and neither snakemake nor torch.
"""

from .annotations import join_annotations, read_annotations
from .convert import SOURCE_FORMATS, convert_to_gmt, fetch_gene_sets
from .download import download, sha256sum
from .files import atomic_output, write_h5ad, write_table, write_text
from .gmt import check_overlap, check_testable, gene_overlap, read_gmt
from .identifiers import gene_likeness, id_style
from .names import check_labels, set_gene_names
from .readers import FORMATS, read_dataset, read_h5ad
from .tables import read_table
from .tenx import locate_10x_mtx, read_10x_h5, read_10x_mtx
from .validate import VALUES, count_matrix, matrix_stats, validate_expression

__all__ = [
    "join_annotations",
    "read_annotations",
    "atomic_output",
    "write_h5ad",
    "write_table",
    "write_text",
    "FORMATS",
    "SOURCE_FORMATS",
    "convert_to_gmt",
    "fetch_gene_sets",
    "VALUES",
    "check_labels",
    "check_overlap",
    "check_testable",
    "count_matrix",
    "download",
    "gene_likeness",
    "gene_overlap",
    "id_style",
    "locate_10x_mtx",
    "matrix_stats",
    "read_10x_h5",
    "read_10x_mtx",
    "read_dataset",
    "read_gmt",
    "read_h5ad",
    "read_table",
    "set_gene_names",
    "sha256sum",
    "validate_expression",
]
