"""Rule load_dataset: read any supported format, join the annotation table, validate, write raw.h5ad
(the inputs are never modified)."""

from disentangle.io import join_annotations, read_annotations, read_dataset, set_gene_names, write_h5ad
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    reading = snakemake.params.reading
    source = snakemake.input.data
    adata = read_dataset(source, reading["format"], values=reading["values"],
                         orientation=reading.get("orientation", "auto"))
    if "annotations" in reading:
        table = read_annotations(snakemake.input.annotations[0], reading["annotations"].get("id_column"))
        adata = join_annotations(adata, table, source=snakemake.input.annotations[0])
    if "gene_symbols" in reading:
        adata = set_gene_names(adata, reading["gene_symbols"], source=source)
    log.info("read %d cells x %d genes from %s", adata.n_obs, adata.n_vars, source)
    write_h5ad(adata, snakemake.output[0])
