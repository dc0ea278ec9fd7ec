"""Rule enrich: gseapy prerank of every dimension against one local gene-set library."""

import pandas as pd

from disentangle.enrich import prerank_dimensions
from disentangle.rankings import ranking_matrix
from disentangle.io import gene_overlap, read_gmt, write_table
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    settings = snakemake.params.settings
    scores = ranking_matrix(pd.read_csv(snakemake.input.rankings, sep="\t"))
    gene_sets = read_gmt(snakemake.input.gmt)
    overlap = gene_overlap(gene_sets, scores.index)  # identifiers were checked against all genes at load
    log.info("%d of the library's %d genes are among the %d ranked genes", overlap["n_overlap"], overlap["n_genes_in_sets"], len(scores))
    write_table(pd.DataFrame([{"library": snakemake.wildcards.library, **overlap}]), snakemake.output.overlap)
    table = prerank_dimensions(
        scores, gene_sets, library=snakemake.wildcards.library, permutations=settings["permutations"],
        min_size=settings["min_size"], max_size=settings["max_size"], seed=settings["seed"], threads=snakemake.threads,
    )
    log.info("%d (dimension, term) pairs tested", len(table))
    write_table(table, snakemake.output.table)
