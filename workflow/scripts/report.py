"""Rule report: one HTML page per latent dimension and an index page per model."""

import anndata as ad
import pandas as pd

from disentangle.io import read_gmt
from disentangle.report import write_model_report
from disentangle.runlog import logging_to
from disentangle.scoring import model_level_scores, read_enrichment

with logging_to(snakemake.log[0]) as log:
    settings = snakemake.params.settings
    gene_sets = {name: read_gmt(path) for name, path in zip(snakemake.params.libraries, snakemake.input.gmts)}
    written = write_model_report(
        snakemake.output[0],
        latent=ad.read_h5ad(snakemake.input.latent),
        rankings=pd.read_csv(snakemake.input.rankings, sep="\t"),
        enrichment=read_enrichment(snakemake.input.enrichment),
        dimensions=pd.read_csv(snakemake.input.dimensions, sep="\t"),
        model_scores={**model_level_scores(pd.read_csv(snakemake.input.scores, sep="\t")),
                      **model_level_scores(pd.read_csv(snakemake.input.factor_metrics, sep="\t"))},
        factors=pd.read_csv(snakemake.input.factors, sep="\t"),
        programs=pd.read_csv(snakemake.input.programs, sep="\t"),
        labels=snakemake.params.labels,
        fdr=snakemake.params.fdr,
        top_genes=settings["top_genes"],
        top_terms=settings["top_terms"],
        running_scores=settings["running_scores"],
        gene_sets=gene_sets,
        training_figure=snakemake.input.training,
        title=f"{snakemake.wildcards.dataset} / {snakemake.wildcards.model}",
    )
    log.info("wrote %d files; open %s/index.html", len(written), snakemake.output[0])
