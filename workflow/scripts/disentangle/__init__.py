"""disentangle: learn a β-VAE latent space of expression data and tell what each dimension carries.

The package is the science of the pipeline; the Snakemake rules only call it.
Sub-packages lean on one field library each: ``vae`` on torch, ``enrich`` on gseapy,
``metrics`` on numpy/scipy/scikit-learn, ``pp`` on scanpy.
"""

__version__ = "0.1.0"
