"""Rule preprocess: QC, normalisation and highly variable genes (scanpy)."""

import anndata as ad

from disentangle.io import write_h5ad
from disentangle.pp import PreprocessParams, preprocess
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]):
    params = PreprocessParams(**snakemake.params.settings, species=snakemake.params.species, values=snakemake.params.values)
    adata = preprocess(ad.read_h5ad(snakemake.input[0]), params=params, source=snakemake.input[0])
    write_h5ad(adata, snakemake.output[0])
