"""Rule export_latent: posterior means, log-variances, KL per dimension, traversal effects and a UMAP to AnnData."""

import json

import anndata as ad

from disentangle.io import write_h5ad
from disentangle.embedding import latent_umap
from disentangle.model import export_latent
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]):
    specs = json.loads(open(snakemake.input.specs).read())
    latent = export_latent(ad.read_h5ad(snakemake.input.data), model_path=snakemake.input.model, specs=specs,
                           quantiles=tuple(snakemake.params.traversal["quantiles"]),
                           steps=snakemake.params.traversal["steps"],
                           active_kl=snakemake.params.traversal["active_kl"])
    umap = snakemake.params.umap
    if umap["enabled"]:
        latent_umap(latent, n_neighbors=umap["n_neighbors"], min_dist=umap["min_dist"], seed=umap["seed"])
    write_h5ad(latent, snakemake.output[0])
