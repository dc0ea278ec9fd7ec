"""Rule check_gene_sets: the library shares gene identifiers with the data (not Ensembl vs symbols, not another
species), and some of its sets are large enough to be tested."""

import anndata as ad
import pandas as pd

from disentangle.io import check_overlap, check_testable, read_gmt, write_table
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]):
    var = ad.read_h5ad(snakemake.input.data, backed="r").var
    # text columns of var are candidate gene names: one that matches is named in the error's fix
    alternatives = {f"var['{c}']": var[c].astype(str) for c in var.columns if var[c].dtype == object or str(var[c].dtype) in ("string", "category")}
    gene_sets = read_gmt(snakemake.input.gmt)
    overlap = check_overlap(gene_sets, var.index, gmt_path=snakemake.input.gmt,
                            data_source=snakemake.input.data, min_fraction=0.01, alternatives=alternatives)
    overlap["n_sets_testable"] = check_testable(gene_sets, var.index, gmt_path=snakemake.input.gmt,
                                                data_source=snakemake.input.data, **snakemake.params.sizes)
    write_table(pd.DataFrame([{"library": snakemake.wildcards.library, **overlap}]), snakemake.output[0])
