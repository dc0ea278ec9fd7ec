"""Rule load_dataset: read any supported format, validate it, write raw.h5ad (the input is never modified)."""

from disentangle.io import read_dataset, set_gene_names
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    reading = snakemake.params.reading
    adata = read_dataset(snakemake.input[0], reading["format"], values=reading["values"])
    if "gene_symbols" in reading:
        adata = set_gene_names(adata, reading["gene_symbols"], source=snakemake.input[0])
    log.info("read %d cells x %d genes from %s", adata.n_obs, adata.n_vars, snakemake.input[0])
    adata.write_h5ad(snakemake.output[0], compression="gzip")
