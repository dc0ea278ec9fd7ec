"""Rule check_labels: every configured label column is in the data."""

import anndata as ad
import pandas as pd

from disentangle.io import check_labels, write_table
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    obs = ad.read_h5ad(snakemake.input[0], backed="r").obs
    check_labels(obs, snakemake.params.labels, source=snakemake.input[0])
    counts = [{"label": label, "n_labelled": int(obs[label].notna().sum()), "n_categories": int(obs[label].nunique())}
              for label in snakemake.params.labels]
    write_table(pd.DataFrame(counts, columns=["label", "n_labelled", "n_categories"]), snakemake.output[0])
    log.info("label columns present: %s", counts)
