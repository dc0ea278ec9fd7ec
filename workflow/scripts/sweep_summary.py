"""Rule sweep_summary: the sweep's models, each setting's metrics over seeds, and the figure."""

from pathlib import Path

import pandas as pd

from disentangle.io import write_table
from disentangle.report.plots import save_figure, sweep_panels
from disentangle.runlog import logging_to
from disentangle.sweep import SWEEP_METRICS, aggregate_sweep, sweep_table

with logging_to(snakemake.log[0]) as log:
    summary = pd.read_csv(snakemake.input[0], sep="\t")
    table = sweep_table(summary[summary["model"].isin(snakemake.params.models)])
    aggregate = aggregate_sweep(table)
    write_table(table, snakemake.output.models)
    write_table(aggregate, snakemake.output.summary)
    title = f"{snakemake.wildcards.dataset}: {len(table)} models, mean ± sd over seeds"
    save_figure(sweep_panels(table, SWEEP_METRICS, title=title), Path(snakemake.output.figure))
    wide = aggregate.assign(value=aggregate["mean"].round(3).astype(str) + " ± " + aggregate["sd"].round(3).astype(str))
    log.info("sweep of %d models:\n%s", len(table), wide.pivot(index="metric", columns="setting", values="value")
             .reindex(columns=list(dict.fromkeys(table["setting"]))).to_string())
