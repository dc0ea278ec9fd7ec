"""Rule simulate_dataset: counts from known generative factors, and their gene programs as a GMT."""

from disentangle.io import write_h5ad
from disentangle.io.convert import write_gmt
from disentangle.runlog import logging_to
from disentangle.simulate import SimulationSpec, Simulator

with logging_to(snakemake.log[0]) as log:
    simulator = Simulator.draw(SimulationSpec.from_config(snakemake.params.spec))
    adata = simulator.simulate()
    write_h5ad(adata, snakemake.output.counts)
    write_gmt(simulator.program_genes(), snakemake.output.programs, description="simulated program")
    counts = adata.X
    log.info("simulated %d cells x %d genes (%.0f%% zeros, median %d counts per cell); factors %s; programs %s",
             adata.n_obs, adata.n_vars, 100 * (1 - counts.nnz / (adata.n_obs * adata.n_vars)),
             int(sorted(counts.sum(axis=1).A1)[adata.n_obs // 2]), list(adata.obs.columns), simulator.spec.programs)
