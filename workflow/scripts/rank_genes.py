"""Rule rank_genes: per-dimension gene rankings (both poles) from the traversal effects in latent.h5ad."""

import anndata as ad

from disentangle.io import write_table
from disentangle import keys
from disentangle.rankings import rank_genes
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    latent = ad.read_h5ad(snakemake.input[0], backed="r")  # varm and var_names suffice
    rankings = rank_genes(latent.varm[keys.TRAVERSAL_EFFECT], latent.var_names)
    log.info("ranked %d genes on %d dimensions", latent.n_vars, latent.varm[keys.TRAVERSAL_EFFECT].shape[1])
    write_table(rankings, snakemake.output[0])
