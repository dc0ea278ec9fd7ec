"""Static HTML report of one trained model: an index page and one page per latent dimension.

The report reads tables and an AnnData only (no torch, gseapy or snakemake), so it runs the
same from a rule script, a notebook or a test::

    from disentangle.report import write_model_report
    write_model_report("results/pbmc/beta4/report", latent=adata, rankings=rankings,
                       enrichment=enrichment, dimensions=dimensions, model_scores=scores,
                       labels=["cell_type"], fdr=0.05)
"""

from .pages import write_model_report

__all__ = ["write_model_report"]
