"""Recognise what row/column labels are: gene identifiers (and of which kind) or cell/sample names.

Used to decide the orientation of tables and to explain gene-set overlap failures.
Only patterns, no databases: the answers are heuristics, and callers say so in their logs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

# -- gene identifiers ---------------------------------------------------------------------------
_ENSEMBL = re.compile(r"^ENS[A-Z]*[GT]\d{6,}$")  # ENSG00000141510, ENSMUSG00000059552
_ENSEMBL_VERSIONED = re.compile(r"^ENS[A-Z]*[GT]\d{6,}\.\d+$")  # ENSG00000141510.17
_AFFY = re.compile(r"^(AFFX-)?[0-9A-Za-z.\-]*\d+(_[a-z])*_at$")  # 1000_at, 1007_s_at, 1552256_a_at
_REFSEQ = re.compile(r"^[NX][MR]_\d+(\.\d+)?$")  # NM_000546.6
# gene symbols: letters first, then letters/digits, optional -/. parts (HLA-DRA, RP11-34P13.3, Gm37381)
_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*$")

# -- cell / sample names ------------------------------------------------------------------------
_BARCODE = re.compile(r"^(?:[A-Za-z0-9]+[_:#\-])?[ACGTN]{10,}(?:[-_:.][A-Za-z0-9]+)*$")  # AAACATACAACCAC-1
_SAMPLE_WORD = re.compile(
    r"^(?:(?:cell|sample|smp|barcode|patient|donor|subject|replicate)[\W_]*\d"
    r"|(?:SRR|ERR|DRR|SRX|ERX|DRX|SRS|ERS|GSM)\d{4,}|SAM(?:N|EA|D)\d{6,})",
    re.IGNORECASE,
)
_SAMPLE_IDS = re.compile(r"^(NA|HG)\d{5}$")  # 1000 Genomes / GEUVADIS sample ids
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

ID_STYLES = {
    "ensembl": "Ensembl IDs",
    "ensembl_versioned": "versioned Ensembl IDs (with a '.N' suffix)",
    "affy_probe": "Affymetrix probe-set IDs",
    "refseq": "RefSeq accessions",
    "entrez": "numeric (Entrez-like) IDs",
    "symbol_upper": "upper-case gene symbols (human style)",
    "symbol_title": "title-case gene symbols (mouse style)",
    "symbol": "gene symbols",
    "barcode": "cell barcodes",
    "sample": "cell or sample names",
    "other": "labels of no recognised kind",
}


def _sample(labels: Iterable[object], n: int = 2000) -> list[str]:
    """Up to ``n`` labels, evenly spaced, as stripped strings."""
    items = [str(x).strip() for x in labels]
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def label_style(label: str) -> str:
    """Classify one label into a key of :data:`ID_STYLES`."""
    if _ENSEMBL.match(label):
        return "ensembl"
    if _ENSEMBL_VERSIONED.match(label):
        return "ensembl_versioned"
    if _AFFY.match(label):
        return "affy_probe"
    if _REFSEQ.match(label):
        return "refseq"
    if _SAMPLE_IDS.match(label) or _SAMPLE_WORD.match(label):
        return "sample"
    if _BARCODE.match(label):
        return "barcode"
    if _NUMBER.match(label):
        return "entrez" if label.isdigit() else "other"
    if _SYMBOL.match(label) and len(label) <= 30:
        letters = re.sub(r"[^A-Za-z]", "", label)
        if letters.isupper():
            return "symbol_upper"
        if letters[:1].isupper() and letters[1:].islower():
            return "symbol_title"
        return "symbol"
    return "other"


def id_style(labels: Iterable[object]) -> tuple[str, float]:
    """The most common :func:`label_style` among ``labels`` and the fraction of labels having it.

    Gene symbols of mixed case count together when no single case dominates.
    """
    styles = Counter(label_style(x) for x in _sample(labels))
    total = sum(styles.values())
    if total == 0:
        return "other", 0.0
    style, n = styles.most_common(1)[0]
    n_symbol = styles["symbol"] + styles["symbol_upper"] + styles["symbol_title"]
    if style.startswith("symbol") and n < 0.8 * n_symbol:
        return "symbol", n_symbol / total
    return style, n / total


def describe_ids(labels: Sequence[object], n_examples: int = 3) -> str:
    """A short phrase like ``"Ensembl IDs (e.g. ENSG0001, ENSG0002)"`` for messages."""
    style, frac = id_style(labels)
    examples = ", ".join(str(x) for x in list(labels)[:n_examples])
    what = ID_STYLES[style]
    if frac < 0.6:
        what = f"mixed labels, mostly {what} ({frac:.0%})"
    return f"{what} (e.g. {examples})"


_GENE_STYLES = {"ensembl", "ensembl_versioned", "affy_probe", "refseq"}
_SYMBOL_STYLES = {"symbol", "symbol_upper", "symbol_title"}
_CELL_STYLES = {"barcode", "sample"}


def gene_likeness(labels: Iterable[object]) -> float:
    """Score in [-1, 1]: how much ``labels`` look like gene identifiers rather than cell/sample names.

    Each label scores +1 for a database identifier (Ensembl, Affymetrix probe set, RefSeq),
    +0.5 for a gene-symbol-like word (``CD3E``, ``Gm1992``; sample names such as ``S1`` look
    the same, hence the half weight), -1 for a cell barcode or a sample-like name
    (``cell001``, ``sample_01``, ``NA20502``, ``SRR...``, ``GSM...``) and 0 otherwise; the
    score is the mean.
    """
    items = _sample(labels)
    if not items:
        return 0.0
    total = 0.0
    for label in items:
        style = label_style(label)
        if style in _GENE_STYLES:
            total += 1.0
        elif style in _SYMBOL_STYLES:
            total += 0.5
        elif style in _CELL_STYLES:
            total -= 1.0
    return total / len(items)
