"""Read GMT gene-set files and check that their genes are the data's genes."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import InputError
from .files import open_maybe_gzip
from .identifiers import ID_STYLES, describe_ids, id_style

log = logging.getLogger(__name__)


def read_gmt(path: str | os.PathLike) -> dict[str, list[str]]:
    """Read a GMT file: one set per line, ``name <TAB> description <TAB> gene <TAB> gene ...``.

    Fields are stripped and empty fields (doubled or trailing tabs) ignored; blank lines are
    skipped; a set's genes are deduplicated, first occurrence kept; sets without any gene are
    skipped with a warning that counts them. Gzipped files are read too.

    Returns
    -------
    ``{set name: [genes]}`` in file order.

    Raises
    ------
    InputError
        Missing file, no non-empty set, a line without a tab, duplicate set names.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            path,
            "the gene-set file does not exist" + (" (it is a folder)" if path.is_dir() else ""),
            "correct `path` of this library in config.yaml, or set its `url` so that the "
            "download rule fetches it",
        )
    try:
        with open_maybe_gzip(path, "rt", encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text: {exc}", "give a plain-text or gzipped GMT file") from exc

    sets: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    duplicates: list[str] = []
    empty: list[str] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        name = fields[0].strip()
        if len(fields) < 2:
            raise InputError(
                path,
                f"line {lineno} ({name[:40]!r}) has no tab: GMT fields are tab-separated",
                "write each set as name<TAB>description<TAB>gene1<TAB>gene2...",
            )
        genes = list(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
        if not name:
            raise InputError(path, f"line {lineno} has an empty set name", "give every set a name")
        if not genes:  # e.g. a set that lost all genes in an ortholog mapping: nothing to test
            empty.append(f"{name!r} (line {lineno})")
            continue
        if name in sets:
            duplicates.append(f"{name!r} (lines {first_line[name]} and {lineno})")
            continue
        sets[name], first_line[name] = genes, lineno
    if duplicates:
        raise InputError(
            path,
            f"{len(duplicates)} duplicated set names: {', '.join(duplicates[:5])}",
            "give each set a unique name (merge or rename the duplicates)",
        )
    if empty:
        log.warning("%s: %d sets without genes skipped: %s", path, len(empty), ", ".join(empty[:5]))
    if not sets:
        raise InputError(path, "contains no gene sets with genes", "give a GMT file with at least one non-empty set")
    log.info("%s: %d gene sets, %d distinct genes", path, len(sets), len(_set_genes(sets)))
    return sets


def _set_genes(gene_sets: Mapping[str, Iterable[str]]) -> list[str]:
    return list(dict.fromkeys(g for genes in gene_sets.values() for g in genes))


def gene_overlap(gene_sets: Mapping[str, Iterable[str]], genes: Iterable[str]) -> dict:
    """How many of the gene sets' genes are in the data.

    Returns
    -------
    dict with ``n_genes_in_sets`` (distinct genes over all sets), ``n_genes_in_data`` (distinct),
    ``n_overlap`` and ``fraction`` (``n_overlap / n_genes_in_sets``, 0 when the sets are empty).
    """
    set_genes = set(_set_genes(gene_sets))
    data_genes = set(map(str, genes))
    n_overlap = len(set_genes & data_genes)
    return {
        "n_genes_in_sets": len(set_genes),
        "n_genes_in_data": len(data_genes),
        "n_overlap": n_overlap,
        "fraction": n_overlap / len(set_genes) if set_genes else 0.0,
    }


def _strip_version(ids: Iterable[str]) -> set[str]:
    return {re.sub(r"^(ENS[A-Z]*[GT]\d+)\.\d+$", r"\1", g) for g in ids}


def _diagnose(set_genes: list[str], data_genes: list[str], data_style: str, set_style: str) -> str:
    """A sentence about why identifiers do not match, and what to do."""
    sets_u, data_u = {g.upper() for g in set_genes}, {g.upper() for g in data_genes}
    ci_overlap = len(sets_u & data_u) / max(1, len(sets_u))
    if ci_overlap >= 0.2:
        return (
            f"Ignoring case, {ci_overlap:.0%} of the set genes match: the data and the sets differ in "
            f"letter case ({ID_STYLES[data_style]} vs {ID_STYLES[set_style]}), which usually means "
            "different species (human symbols are upper-case, mouse symbols title-case). Pick a GMT "
            "of the dataset's species (`species` in config.yaml), or map orthologs"
        )
    v_overlap = len(_strip_version(set_genes) & _strip_version(data_genes)) / max(1, len(set_genes))
    if v_overlap >= 0.2:
        return (
            f"Without Ensembl version suffixes ('.N') {v_overlap:.0%} of the set genes match: strip "
            "the versions from the data's ids (or the GMT's)"
        )
    if data_style.startswith("ensembl") and set_style.startswith("symbol"):
        return (
            "If the file has a gene-symbol column in var, name it in the dataset's `gene_symbols:` in "
            "config.yaml (e.g. gene_symbols: gene_symbols); otherwise map the Ensembl IDs to symbols, "
            "or use a GMT keyed by Ensembl IDs"
        )
    if set_style.startswith("ensembl") and data_style.startswith("symbol"):
        return "Use a GMT keyed by gene symbols, or map the GMT's Ensembl IDs to symbols"
    if data_style == set_style:
        return (
            "Both sides use the same kind of identifier but share (almost) no gene: the data may be "
            "another species than the library, a small targeted panel, or carry placeholder names. "
            "Check the dataset's `species:`, or choose its libraries with `gene_set_libraries:` "
            "under the dataset in config.yaml"
        )
    if data_style == "affy_probe":
        return ("Name the var column holding the probe sets' gene symbols in the dataset's `gene_symbols:` "
                "in config.yaml (e.g. gene_symbols: symbol); the most expressed probe set of a gene is kept")
    return (
        "Map the data's identifiers to the identifier type of the GMT (or pick a GMT of the same "
        "identifier type and species as the data)"
    )


def check_overlap(
    gene_sets: Mapping[str, Iterable[str]],
    genes: Iterable[str],
    *,
    gmt_path: str | os.PathLike,
    data_source: str | os.PathLike,
    min_fraction: float = 0.05,
    alternatives: Mapping[str, Iterable[str]] | None = None,
) -> dict:
    """Raise :class:`~disentangle.errors.InputError` when (almost) no set gene is in the data.

    The message names the identifier style on each side (Ensembl IDs, gene symbols in upper or
    title case, probe sets, ...), recognises letter-case (species) and version-suffix mismatches,
    and gives the fix.

    Parameters
    ----------
    gene_sets
        As returned by :func:`read_gmt`.
    genes
        The data's gene identifiers (e.g. ``adata.var_names``).
    gmt_path, data_source
        Named in the message.
    min_fraction
        Smallest acceptable :func:`gene_overlap` ``fraction``.
    alternatives
        Other identifiers of the same genes, by label (e.g. ``{"var['gene_symbols']":
        adata.var["gene_symbols"]}``); one that overlaps well is named in the fix.

    Returns
    -------
    The :func:`gene_overlap` figures, when the overlap is sufficient (they are also logged).
    """
    genes = [str(g) for g in genes]
    ov = gene_overlap(gene_sets, genes)
    figures = (
        f"{ov['n_overlap']} of the {ov['n_genes_in_sets']} genes in the gene sets "
        f"({ov['fraction']:.1%}) are among the {ov['n_genes_in_data']} genes of {data_source}"
    )
    if ov["fraction"] >= min_fraction and ov["n_overlap"] > 0:
        log.info("%s: %s", gmt_path, figures)
        return ov
    set_genes = _set_genes(gene_sets)
    data_style, _ = id_style(genes)
    set_style, _ = id_style(set_genes)
    fix = _diagnose(set_genes, genes, data_style, set_style)
    for label, alt in (alternatives or {}).items():
        alt_ov = gene_overlap(gene_sets, [str(a) for a in alt])
        if alt_ov["fraction"] >= max(min_fraction, 2 * ov["fraction"]):
            column = label.removeprefix("var['").removesuffix("']")
            fix = (
                f"{label} matches {alt_ov['fraction']:.0%} of the set genes: use it as the gene names, "
                f"with `gene_symbols: {column}` under this dataset in config.yaml"
            )
            break
    raise InputError(
        gmt_path,
        f"{figures}. The data's genes are {describe_ids(genes)}; the gene sets use "
        f"{describe_ids(set_genes)}",
        fix,
    )


def check_testable(
    gene_sets: Mapping[str, Iterable[str]],
    genes: Iterable[str],
    *,
    min_size: int,
    max_size: int,
    gmt_path: str | os.PathLike,
    data_source: str | os.PathLike,
) -> int:
    """How many sets could be tested at all; a warning with the fix when none could.

    Enrichment tests a set only when ``min_size`` to ``max_size`` of its genes are in the ranking
    (gseapy's rule). The ranking holds the model's genes, a subset of the data's, so a set with too
    few genes among *all* the data's genes can never be tested. When that is true of every set, the
    library would add nothing after training: the warning says so before training starts (the
    other libraries still run; enrichment then writes an empty table for this one).

    Returns
    -------
    The number of sets with ``min_size`` to ``max_size`` genes among the data's genes (an upper
    bound of what enrichment tests).
    """
    present = set(map(str, genes))
    sizes = [len(set(members) & present) for members in gene_sets.values()]
    testable = sum(min_size <= n <= max_size for n in sizes)
    if testable == 0:
        largest = max(sizes, default=0)
        fix = (f"lower enrichment.min_size in config.yaml to at most {largest}, or use a library of larger sets"
               if 0 < largest < min_size else "use a library whose sets share genes with the data")
        log.warning("%s: none of its %d gene sets has %d-%d genes among the %d genes of %s (the largest overlap is "
                    "%d genes), so enrichment can test nothing in this library. Fix: %s, or leave the library out "
                    "with the dataset's gene_set_libraries", gmt_path, len(sizes), min_size, max_size, len(present),
                    data_source, largest, fix)
    else:
        log.info("%s: %d of %d gene sets have %d-%d genes in the data", gmt_path, testable, len(sizes), min_size, max_size)
    return testable
