"""Numbers to strings and long tables to the rows one page shows (pandas only, no HTML)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import keys

DASH = "—"
LEADING_EDGE_SHOWN = 8  # leading-edge genes listed before "… +n more"


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # arrays, lists
        return False


def fmt_num(x: Any, digits: int = 3) -> str:
    """General number: ``digits`` significant figures, scientific when very large or small."""
    if _is_missing(x):
        return DASH
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{max(digits - 1, 0)}e}"
    return f"{v:.{digits}g}"


def fmt_fixed(x: Any, decimals: int = 3, signed: bool = False) -> str:
    """Fixed decimals (KL, scores, NES); ``signed`` always shows the sign."""
    if _is_missing(x):
        return DASH
    return f"{float(x):{'+' if signed else ''}.{decimals}f}"


def fmt_nes(x: Any) -> str:
    """NES with its sign and two decimals, e.g. ``+2.31`` / ``-1.87``."""
    return fmt_fixed(x, 2, signed=True)


def fmt_p(x: Any) -> str:
    """p / FDR value: three decimals, scientific below 0.001, ``0`` kept as ``0``."""
    if _is_missing(x):
        return DASH
    v = float(x)
    if v == 0:
        return "0"
    if v < 1e-3:
        return f"{v:.1e}"
    return f"{v:.3f}"


def fmt_value(x: Any) -> str:
    """Any parameter value (nested dicts, lists, arrays) as one short line."""
    if isinstance(x, Mapping):
        return ", ".join(f"{k}={fmt_value(v)}" for k, v in x.items())
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(fmt_value(v) for v in x) + "]"
    if isinstance(x, (float, np.floating)):
        return fmt_num(x, 4)
    if _is_missing(x):
        return DASH
    return str(x)


def is_significant(fdr_value: Any, fdr: float) -> bool:
    """A term is significant when its FDR q-value is below the threshold."""
    return not _is_missing(fdr_value) and float(fdr_value) < fdr


def pole_of(nes: Any) -> str:
    """Which pole a term is enriched at, from the NES sign."""
    if _is_missing(nes):
        return DASH
    return "high (+)" if float(nes) > 0 else "low (−)" if float(nes) < 0 else "none"


def top_genes(rankings: pd.DataFrame, dim: str, n: int) -> tuple[list[dict], list[dict]]:
    """The ``n`` genes of each pole of ``dim``: high pole by descending score, low pole by ascending.

    Ties in score are broken by the rank column (1 = most positive), so the order is the one the
    ranking stage chose.
    """
    sub = rankings.loc[rankings[keys.DIMENSION] == dim, [keys.GENE, keys.SCORE, keys.RANK]]
    sub = sub.dropna(subset=[keys.SCORE])
    high = sub.sort_values([keys.SCORE, keys.RANK], ascending=[False, True], kind="mergesort")
    low = sub.sort_values([keys.SCORE, keys.RANK], ascending=[True, False], kind="mergesort")

    def rows(df: pd.DataFrame) -> list[dict]:
        return [
            {"i": i + 1, "gene": str(g), "score": fmt_fixed(s, 3, signed=True), "sign": np.sign(s)}
            for i, (g, s) in enumerate(zip(df[keys.GENE].head(n), df[keys.SCORE].head(n)))
        ]

    return rows(high), rows(low)


def _leading_edge(value: Any) -> tuple[str, str]:
    """(shown, full) leading-edge text: the first genes, then how many more."""
    if _is_missing(value) or str(value) == "":
        return DASH, ""
    genes = [g for g in str(value).split(";") if g]
    shown = ", ".join(genes[:LEADING_EDGE_SHOWN])
    if len(genes) > LEADING_EDGE_SHOWN:
        shown += f" … +{len(genes) - LEADING_EDGE_SHOWN} more"
    return shown, ", ".join(genes)


def dimension_terms(enrichment: pd.DataFrame, dim: str, fdr: float, n: int) -> dict:
    """Enrichment rows of ``dim`` for its page: sorted by FDR then |NES|, the first ``n`` shown.

    Returns ``{"tested": int, "significant": int, "rows": [...]}``.
    """
    if enrichment is None or enrichment.empty or keys.DIMENSION not in enrichment:
        return {"tested": 0, "significant": 0, "rows": []}
    sub = enrichment.loc[enrichment[keys.DIMENSION] == dim].copy()
    sub["_abs_nes"] = pd.to_numeric(sub[keys.NES], errors="coerce").abs()
    sub = sub.sort_values(
        [keys.FDR, "_abs_nes"], ascending=[True, False], na_position="last", kind="mergesort"
    )
    sig = [is_significant(q, fdr) for q in sub[keys.FDR]]
    rows = []
    for (_, r), s in zip(sub.head(n).iterrows(), sig):
        shown, full = _leading_edge(r.get(keys.LEADING_EDGE))
        overlap = fmt_num(r.get(keys.OVERLAP))
        if not _is_missing(r.get(keys.SET_SIZE)):
            overlap += f" / {fmt_num(r.get(keys.SET_SIZE))}"
        rows.append(
            {
                "library": str(r.get(keys.LIBRARY, DASH)),
                "term": str(r[keys.TERM]),
                "nes": fmt_nes(r[keys.NES]),
                "fdr": fmt_p(r[keys.FDR]),
                "pole": pole_of(r[keys.NES]),
                "significant": s,
                "leading_edge": shown,
                "leading_edge_full": full,
                "overlap": overlap,
            }
        )
    return {"tested": len(sub), "significant": int(sum(sig)), "rows": rows}


def dimension_summary(dimensions: pd.DataFrame | None, dim: str, fdr: float) -> dict:
    """Best term and best label of ``dim`` from the dimensions table, formatted (dashes if absent)."""
    row: dict = {}
    if dimensions is not None and not dimensions.empty and keys.DIMENSION in dimensions:
        match = dimensions.loc[dimensions[keys.DIMENSION] == dim]
        if len(match):
            row = match.iloc[0].to_dict()
    term = row.get("best_term")
    library = row.get("best_library")
    best_term = DASH
    if not _is_missing(term):
        best_term = f"{library}: {term}" if not _is_missing(library) else str(term)
    label = row.get("best_label")
    return {
        "best_term": best_term,
        "best_nes": fmt_nes(row.get("best_nes")),
        "best_fdr": fmt_p(row.get("best_fdr")),
        "best_significant": is_significant(row.get("best_fdr"), fdr),
        "n_significant": fmt_num(row.get("n_significant_terms")),
        "best_label": DASH if _is_missing(label) else str(label),
        "best_label_auc": fmt_fixed(row.get("best_label_auc"), 2),
        "kl": row.get("kl"),
        "active": row.get("active"),
    }


def factor_rows(factors: pd.DataFrame | None) -> list[dict]:
    """The "Known factors" rows: per factor (and scope), where it lives and how well it is told.

    ``factors`` is ``factors.tsv`` (:data:`disentangle.metrics.summary.DETAIL_COLUMNS` and a
    ``scope``); factors that were not scored are left out, and so are one-vs-rest rows of a
    factor already listed (a continuous factor is the same factor in both scopes).
    """
    if factors is None or factors.empty:
        return []
    shown = factors[factors["scored"].astype(bool)]
    listed = set(shown.loc[shown["scope"] != "one_vs_rest", "factor"])
    shown = shown[(shown["scope"] != "one_vs_rest") | ~shown["factor"].isin(listed)]
    rows = []
    for row in shown.to_dict("records"):
        rows.append({
            "scope": "one vs rest" if row["scope"] == "one_vs_rest" else "factor",
            "factor": str(row["factor"]), "kind": str(row["kind"]), "n_values": fmt_num(row["n_values"]),
            "mig_dim": DASH if _is_missing(row["mig_best_dim"]) else str(row["mig_best_dim"]),
            "normalized_mi": fmt_fixed(row["mig_normalized_mi"], 2), "gap": fmt_fixed(row["mig_gap"], 2),
            "dci_dim": DASH if _is_missing(row["dci_best_dim"]) else str(row["dci_best_dim"]),
            "dci_share": fmt_fixed(row["dci_best_share"], 2),
            "informativeness": fmt_fixed(row["dci_informativeness_test"], 2),
            "explicitness": fmt_fixed(row["explicitness_test"], 2),
        })
    return rows


def program_rows(programs: pd.DataFrame | None) -> list[dict]:
    """The "True programs" rows (simulated data): each program's own dimension and where the
    enrichment found it; ``programs`` is ``programs.tsv``."""
    if programs is None or programs.empty:
        return []
    return [{"program": str(row["program"]), "own_dimension": str(row["own_dimension"]),
             "normalized_mi": fmt_fixed(row["own_normalized_mi"], 2), "n_dims": fmt_num(int(row["n_dims"])),
             "dims": DASH if _is_missing(row["dims"]) or not str(row["dims"]) else str(row["dims"]),
             "recovered": bool(row["in_own_dimension"]), "once": bool(row["recovered_once"])}
            for row in programs.to_dict("records")]
