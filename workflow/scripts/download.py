"""Rule download_*: fetch a dataset or gene-set file from its public source (the only network access)."""

from disentangle.io import download, fetch_gene_sets
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    entry = snakemake.params.entry
    log.info("fetching %s -> %s", entry["url"], snakemake.output[0])
    if snakemake.params.kind == "gene_sets":
        fetch_gene_sets(entry["url"], snakemake.output[0], source_format=entry["source_format"],
                        species=entry["species"], sha256=entry.get("sha256"))
    else:
        download(entry["url"], snakemake.output[0], sha256=entry.get("sha256"))
