"""Rendering and writing the report pages: one Jinja2 environment; pages written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")


def environment() -> Environment:
    """The templates of ``templates/``, autoescaped (a term named ``<b>&`` shows as text); an
    undefined name fails instead of rendering as nothing."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)
