"""A 2-D view of the latent space: UMAP of the posterior means (scanpy), for the reports."""

from __future__ import annotations

import logging

import anndata as ad

from . import keys

log = logging.getLogger(__name__)


def latent_umap(latent: ad.AnnData, *, n_neighbors: int = 15, min_dist: float = 0.5, seed: int = 0) -> None:
    """Write ``obsm[keys.LATENT_UMAP]``: UMAP of the kNN graph of the posterior means, in place.

    Parameters
    ----------
    latent
        AnnData with ``obsm[keys.LATENT_MEAN]``.
    n_neighbors, min_dist
        As in :func:`scanpy.pp.neighbors` and :func:`scanpy.tl.umap`; ``n_neighbors`` is lowered
        to ``n_obs - 1`` for tiny data.
    seed
        Random state of both steps, so a rerun draws the same picture.

    The graph is kept under ``uns[keys.LATENT_NEIGHBORS]`` and ``obsp["latent_neighbors_*"]``
    (scanpy's ``key_added``), so it never overwrites a graph the data already had; a UMAP the
    data brought (of its expression) is kept as ``obsm["X_umap_input"]``. Data with fewer than
    4 cells get no UMAP (it needs a neighbourhood), with a warning.
    """
    import scanpy as sc  # imported here: numba's start-up is paid only by the rule that draws

    if latent.n_obs < 4:
        log.warning("only %d cells: no UMAP of the latent space", latent.n_obs)
        return
    neighbors = min(n_neighbors, latent.n_obs - 1)
    sc.pp.neighbors(latent, n_neighbors=neighbors, use_rep=keys.LATENT_MEAN, random_state=seed,
                    key_added=keys.LATENT_NEIGHBORS)
    if keys.LATENT_UMAP in latent.obsm:
        latent.obsm[f"{keys.LATENT_UMAP}_input"] = latent.obsm.pop(keys.LATENT_UMAP)
        log.info("the data's own %s is kept as %s_input", keys.LATENT_UMAP, keys.LATENT_UMAP)
    sc.tl.umap(latent, min_dist=min_dist, random_state=seed, neighbors_key=keys.LATENT_NEIGHBORS)
    log.info("UMAP of the posterior means: %d cells, %d neighbours, min_dist %g", latent.n_obs, neighbors, min_dist)
