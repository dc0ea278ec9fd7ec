"""Rule train_vae: train one β-VAE on the highly variable genes; write weights, specs and losses.

The training state saved every `checkpoint_every` epochs lets a rerun of a killed job resume;
it is removed once the outputs are written.
"""

from pathlib import Path

import anndata as ad
import torch

from disentangle.model import train_model, write_training_outputs
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    adata = ad.read_h5ad(snakemake.input[0])
    result, specs = train_model(adata, settings=snakemake.params.settings, values=snakemake.params.values,
                                source=snakemake.input[0], checkpoint_path=snakemake.params.checkpoint)
    specs["wildcards"] = dict(snakemake.wildcards)
    specs["threads"] = snakemake.threads
    write_training_outputs(result, specs, model_path=snakemake.output.model,
                           specs_path=snakemake.output.specs, losses_path=snakemake.output.losses)
    Path(snakemake.params.checkpoint).unlink(missing_ok=True)
