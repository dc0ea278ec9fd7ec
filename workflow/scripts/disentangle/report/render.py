"""Rendering and writing the report pages: one Jinja2 environment, and whole-or-absent files."""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")


def environment() -> Environment:
    """The templates of ``templates/``, autoescaped (a term named ``<b>&`` shows as text); an
    undefined name fails instead of rendering as nothing."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def write_text(path: Path, text: str) -> Path:
    """Write through a temporary file and rename, so a page is either whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
