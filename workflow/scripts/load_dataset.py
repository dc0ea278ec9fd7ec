"""Rule load_dataset: read any supported format, validate it, write raw.h5ad (the input is never modified)."""

from disentangle.io import read_dataset
from disentangle.pp import check_labels
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    entry = snakemake.params.dataset
    adata = read_dataset(snakemake.input[0], entry["format"], values=entry["values"])
    check_labels(adata, entry["labels"], source=snakemake.input[0])
    log.info("read %d cells x %d genes from %s", adata.n_obs, adata.n_vars, snakemake.input[0])
    adata.write_h5ad(snakemake.output[0], compression="gzip")
