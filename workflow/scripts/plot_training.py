"""Rule plot_training: the training curves of one model (every loss term, KL per dimension, schedules)."""

import json
from pathlib import Path

import pandas as pd

from disentangle.report.plots import save_figure
from disentangle.report.training import training_curves
from disentangle.runlog import logging_to

with logging_to(snakemake.log[0]) as log:
    specs = json.loads(Path(snakemake.input.specs).read_text())
    losses = pd.read_csv(snakemake.input.losses, sep="\t")
    title = f"{snakemake.wildcards.dataset} / {snakemake.wildcards.model}: training curves (dotted: epoch kept)"
    save_figure(training_curves(losses, best_epoch=specs["best_epoch"], title=title), Path(snakemake.output[0]))
    log.info("training curves of %d epochs (kept: %d) written to %s", losses["epoch"].max(), specs["best_epoch"],
             snakemake.output[0])
