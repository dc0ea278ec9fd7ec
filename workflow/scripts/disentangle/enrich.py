"""Gene-set enrichment of every latent dimension: gseapy prerank, one call per library (no torch)."""

from __future__ import annotations

import logging

import gseapy
import pandas as pd

from . import keys

log = logging.getLogger(__name__)

COLUMNS = keys.ENRICHMENT_COLUMNS

_GSEAPY_COLUMNS = {"Name": keys.DIMENSION, "Term": keys.TERM, "ES": keys.ES, "NES": keys.NES,
                   "NOM p-val": keys.PVAL, "FDR q-val": keys.FDR, "Lead_genes": keys.LEADING_EDGE}


def prerank_dimensions(
    scores: pd.DataFrame,
    gene_sets: dict[str, list[str]],
    *,
    library: str,
    permutations: int = 1000,
    min_size: int = 10,
    max_size: int = 500,
    seed: int = 0,
    threads: int = 1,
) -> pd.DataFrame:
    """Run gseapy prerank on every column (latent dimension) of ``scores`` in one call.

    Parameters
    ----------
    scores
        genes x dimensions, strictly ordered within each column (see
        :func:`disentangle.rankings.ranking_matrix`); gene names unique.
    gene_sets
        Term -> genes, already read from a local GMT (gseapy never sees a library name, so it
        never downloads).
    library
        Name written to the ``library`` column.

    Returns
    -------
    Tidy table, one row per (dimension, term) tested: library, dimension, term, es, nes, pval,
    fdr (per dimension, as gseapy computes it column by column), leading_edge (';'-joined),
    overlap_size (set genes present in the ranking) and set_size. Empty, with these columns,
    when no set has between ``min_size`` and ``max_size`` genes in the ranking.
    """
    if scores.index.has_duplicates:
        raise ValueError("ranking has duplicate genes; deduplicate before enrichment")
    genes = set(scores.index)
    overlap = {term: sum(g in genes for g in members) for term, members in gene_sets.items()}
    testable = {t: m for t, m in gene_sets.items() if min_size <= overlap[t] <= max_size}
    if not testable:
        log.warning("%s: no gene set has %d-%d genes in the %d ranked genes; nothing tested", library, min_size, max_size, len(genes))
        return pd.DataFrame(columns=COLUMNS)
    result = gseapy.prerank(
        rnk=scores, gene_sets=testable, min_size=min_size, max_size=max_size,
        permutation_num=permutations, seed=seed, threads=threads, outdir=None, no_plot=True, verbose=False,
    )
    table = result.res2d.rename(columns=_GSEAPY_COLUMNS)
    if keys.DIMENSION not in table:  # a single ranked column comes back without a Name column
        table[keys.DIMENSION] = scores.columns[0]
    table[keys.LIBRARY] = library
    table[keys.OVERLAP] = table[keys.TERM].map(overlap).astype(int)
    table[keys.SET_SIZE] = table[keys.TERM].map(lambda t: len(gene_sets[t])).astype(int)
    for column in (keys.ES, keys.NES, keys.PVAL, keys.FDR):
        table[column] = pd.to_numeric(table[column])
    order = table[keys.DIMENSION].map({d: i for i, d in enumerate(scores.columns)})
    table = table.assign(_dim=order, _abs_nes=table[keys.NES].abs())
    table = table.sort_values(["_dim", keys.FDR, "_abs_nes", keys.TERM], ascending=[True, True, False, True])
    return table[COLUMNS].reset_index(drop=True)
