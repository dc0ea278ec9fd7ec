"""Rule score_disentanglement: per-dimension best terms, per-term dimension counts, model-level scores."""

from disentangle.runlog import logging_to
from disentangle.scoring import score_model, write_scores

with logging_to(snakemake.log[0]):
    scores = score_model(snakemake.input.latent, snakemake.input.enrichment, fdr=snakemake.params.fdr, labels=snakemake.params.labels)
    write_scores(scores, **snakemake.output)
