"""Rule compare: a dataset's models side by side on one page, with links into each model's report."""

import pandas as pd

from disentangle.report.comparison_page import write_comparison
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    models = snakemake.params.models
    terms = {model: pd.read_csv(path, sep="\t") for model, path in zip(models, snakemake.input.terms)}
    written = write_comparison(
        snakemake.output[0],
        summary=pd.read_csv(snakemake.input.summary, sep="\t"),
        terms=terms,
        fdr=snakemake.params.fdr,
        title=f"{snakemake.wildcards.dataset}: {len(models)} models compared",
    )
    log.info("compared %d models; wrote %d files; open %s/index.html", len(models), len(written), snakemake.output[0])
