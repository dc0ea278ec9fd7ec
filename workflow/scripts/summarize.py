"""Rule summarize: every model of a dataset side by side (parameters and scores), one row per model."""

from disentangle.io import write_table
from disentangle.runlog import logging_to
from disentangle.scoring import summarize_models

with logging_to(snakemake.log[0]) as log:
    summary = summarize_models(snakemake.params.models, snakemake.input.scores, snakemake.input.factor_scores,
                               snakemake.input.specs, snakemake.input.losses)
    write_table(summary, snakemake.output[0])
    log.info("%d models side by side in %s:\n%s", len(summary), snakemake.output[0], summary.set_index("model").T.to_string())
