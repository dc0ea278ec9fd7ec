"""Rule load_dataset: read any supported format, validate it, write raw.h5ad (the input is never modified).

The gene sets of the dataset's species are checked against its gene names here, before any
training, so an identifier mismatch (Ensembl ids vs symbols, probe sets, species) stops early.
"""

from disentangle.io import check_overlap, read_dataset, read_gmt
from disentangle.pp import check_labels, set_gene_names
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    entry = snakemake.params.dataset
    source = snakemake.input.data
    adata = read_dataset(source, entry["format"], values=entry["values"])
    if "gene_symbols" in entry:
        adata = set_gene_names(adata, entry["gene_symbols"], source=source)
    check_labels(adata, entry["labels"], source=source)
    for gmt in snakemake.input.gene_sets:
        check_overlap(read_gmt(gmt), adata.var_names, gmt_path=gmt, data_source=source, min_fraction=0.01)
    log.info("read %d cells x %d genes from %s", adata.n_obs, adata.n_vars, source)
    adata.write_h5ad(snakemake.output[0], compression="gzip")
