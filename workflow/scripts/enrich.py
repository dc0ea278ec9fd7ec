"""Rule enrich: gseapy prerank of every dimension against one local gene-set library."""

import pandas as pd

from disentangle.enrich import prerank_dimensions
from disentangle.interpret import ranking_matrix
from disentangle.io import check_overlap, read_gmt
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    settings = snakemake.params.settings
    scores = ranking_matrix(pd.read_csv(snakemake.input.rankings, sep="\t"))
    gene_sets = read_gmt(snakemake.input.gmt)
    overlap = check_overlap(gene_sets, scores.index, gmt_path=snakemake.input.gmt, data_source=snakemake.input.rankings, min_fraction=0.0)
    pd.DataFrame([{"library": snakemake.wildcards.library, **overlap}]).to_csv(snakemake.output.overlap, sep="\t", index=False)
    table = prerank_dimensions(
        scores, gene_sets, library=snakemake.wildcards.library, permutations=settings["permutations"],
        min_size=settings["min_size"], max_size=settings["max_size"], seed=settings["seed"], threads=snakemake.threads,
    )
    log.info("%d (dimension, term) pairs tested, %d with FDR < %.2f", len(table), int((table["fdr"] < settings["fdr"]).sum()), settings["fdr"])
    table.to_csv(snakemake.output.table, sep="\t", index=False)
