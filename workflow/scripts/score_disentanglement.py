"""Rule score_disentanglement: per-dimension best terms, per-term dimension counts, model-level scores."""

from disentangle.runlog import logging_to
from disentangle.scoring import score_model, write_scores

with logging_to(snakemake.log[0]) as log:
    scores = score_model(snakemake.input.latent, snakemake.input.enrichment, fdr=snakemake.params.fdr, labels=snakemake.params.labels)
    write_scores(scores, **snakemake.output)
    pooled = scores["scores"].query("scope == 'all'").set_index("metric")["value"]
    log.info("one_to_one %.3f, coverage %.3f over %d tested terms; wrote %s",
             pooled["one_to_one"], pooled["coverage"], pooled["n_terms_tested"], ", ".join(snakemake.output))
