"""Turn published gene-set sources that are not GMT files into GMT files.

Used by the download rule for libraries whose public source is a table or a list:
- ``panglaodb_tsv``: PanglaoDB's marker table (``PanglaoDB_markers_27_Mar_2020.tsv.gz``), one set
  per cell type of the species, named ``PANGLAODB_<CELL_TYPE>``;
- ``regev_cell_cycle_txt``: the Regev lab list of Tirosh et al. 2016 (the file scanpy's cell-cycle
  tutorial uses): the first 43 genes are S phase, the rest G2/M (duplicates dropped).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .download import download
from .files import is_gzip, write_text

SOURCE_FORMATS = ("gmt", "panglaodb_tsv", "regev_cell_cycle_txt")
N_S_PHASE_GENES = 43
_SPECIES_CODE = {"human": "Hs", "mouse": "Mm"}


def write_gmt(gene_sets: dict[str, list[str]], dest: str | os.PathLike, *, description: str) -> Path:
    """Write gene sets as GMT (name, description, genes; tab-separated), genes deduplicated in order."""
    lines = ["\t".join([name, description, *dict.fromkeys(genes)]) for name, genes in gene_sets.items() if genes]
    return write_text(dest, "\n".join(lines) + "\n")


def _mouse_case(symbol: str) -> str:
    return symbol[:1].upper() + symbol[1:].lower()


def panglaodb_gene_sets(table: pd.DataFrame, *, species: str, source: str = "PanglaoDB table") -> dict[str, list[str]]:
    """Cell-type marker sets of one species from PanglaoDB's marker table.

    Parameters
    ----------
    table
        PanglaoDB's markers TSV as read (columns ``species``, ``official gene symbol``, ``cell type``).
    species
        ``human`` (rows whose species lists Hs; upper-case symbols) or ``mouse`` (Mm; Title-case).
    source
        Named in errors.

    Returns
    -------
    ``PANGLAODB_<CELL_TYPE>`` -> genes, in table order.
    """
    required = {"species", "official gene symbol", "cell type"}
    if not required <= set(table.columns):
        raise InputError(source, f"columns {sorted(required - set(table.columns))} are missing (has {list(table.columns)[:8]})",
                         "give PanglaoDB's markers TSV (PanglaoDB_markers_27_Mar_2020.tsv.gz) or a GMT file")
    rows = table[table["species"].astype(str).str.contains(_SPECIES_CODE[species])]
    symbols = rows["official gene symbol"].astype(str)
    symbols = symbols.str.upper() if species == "human" else symbols.map(_mouse_case)
    sets: dict[str, list[str]] = {}
    for cell_type, genes in symbols.groupby(rows["cell type"].astype(str), sort=True):
        name = "PANGLAODB_" + re.sub(r"[^A-Z0-9]+", "_", cell_type.upper()).strip("_")
        sets.setdefault(name, []).extend(genes.tolist())
    return sets


def cell_cycle_gene_sets(genes: list[str], *, species: str) -> dict[str, list[str]]:
    """S and G2/M sets from the Regev lab list (first 43 genes S phase, then G2/M)."""
    genes = [g.strip() for g in genes if g.strip()]
    if len(genes) <= N_S_PHASE_GENES:
        raise InputError("cell-cycle gene list", f"{len(genes)} genes; the Regev lab list has 97 (43 S, 54 G2/M)",
                         "give regev_lab_cell_cycle_genes.txt, one gene per line")
    if species == "mouse":
        genes = [_mouse_case(g) for g in genes]
    s_phase = list(dict.fromkeys(genes[:N_S_PHASE_GENES]))
    g2m = [g for g in dict.fromkeys(genes[N_S_PHASE_GENES:]) if g not in s_phase]
    return {"TIROSH_S_PHASE": s_phase, "TIROSH_G2M_PHASE": g2m}


def convert_to_gmt(source: str | os.PathLike, dest: str | os.PathLike, *, source_format: str, species: str) -> Path:
    """Convert a downloaded non-GMT source file (``panglaodb_tsv``, ``regev_cell_cycle_txt``) to a GMT at ``dest``."""
    if source_format not in SOURCE_FORMATS[1:]:
        raise ValueError(f"cannot convert {source_format!r}; convertible: {SOURCE_FORMATS[1:]}")
    if source_format == "panglaodb_tsv":
        table = pd.read_csv(source, sep="\t", compression="gzip" if is_gzip(source) else None)
        sets = panglaodb_gene_sets(table, species=species, source=str(source))
        return write_gmt(sets, dest, description="PanglaoDB_27_Mar_2020")
    sets = cell_cycle_gene_sets(Path(source).read_text().splitlines(), species=species)
    return write_gmt(sets, dest, description="Tirosh2016_regev_lab")


def fetch_gene_sets(url: str, dest: str | os.PathLike, *, source_format: str, species: str, sha256: str | None = None) -> Path:
    """Download a gene-set source (sha256 checked on the downloaded bytes) and write it as GMT at ``dest``.

    ``dest`` appears only complete: the source and the converted file are written beside it
    under temporary names and the GMT is renamed into place last.
    """
    dest = Path(dest)
    if source_format == "gmt":
        return download(url, dest, sha256=sha256)
    source = dest.with_name(dest.name + ".source")
    partial = dest.with_name(dest.name + ".partial")
    try:
        download(url, source, sha256=sha256)
        convert_to_gmt(source, partial, source_format=source_format, species=species)
        partial.replace(dest)
    finally:
        source.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return dest
