"""Rule score_factors: metrics of the latent space against known factors (and, on simulated data,
the BetaVAE/FactorVAE scores on newly simulated cells and the recovery of the true programs)."""

import anndata as ad
import pandas as pd
import torch

from disentangle.io import write_table
from disentangle.factor_scoring import score_factors
from disentangle.intervene import interventional_scores
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    torch.set_num_threads(snakemake.threads)
    settings = snakemake.params.settings
    latent = ad.read_h5ad(snakemake.input.latent, backed="r")  # obs, obsm and uns suffice; X stays on disk
    terms = pd.read_csv(snakemake.input.terms, sep="\t")
    tables = score_factors(latent, labels=snakemake.params.labels, terms=terms, settings=settings)
    latent.file.close()
    if "simulation" in snakemake.input.keys():
        extra = interventional_scores(ad.read_h5ad(snakemake.input.simulation), snakemake.input.model,
                                      settings=settings, target_sum=snakemake.params.target_sum)
        tables["metrics"] = pd.concat([tables["metrics"], extra], ignore_index=True)
    write_table(tables["metrics"], snakemake.output.metrics)
    write_table(tables["factors"], snakemake.output.factors)
    write_table(tables["programs"], snakemake.output.programs)
    log.info("factor metrics:\n%s", tables["metrics"].to_string(index=False))
    log.info("per factor:\n%s", tables["factors"].to_string(index=False))
    if len(tables["programs"]):
        log.info("true programs:\n%s", tables["programs"].to_string(index=False))
