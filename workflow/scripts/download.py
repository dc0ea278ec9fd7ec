"""Rule download_*: fetch a dataset or gene-set file from its public source (the only network access)."""

from disentangle.io import download
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    log.info("fetching %s -> %s", snakemake.params.url, snakemake.output[0])
    download(snakemake.params.url, snakemake.output[0], sha256=snakemake.params.sha256)
