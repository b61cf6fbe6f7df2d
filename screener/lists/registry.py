"""The importers by format name, and the sources registry (``lists/sources.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.model import ParsedList
from screener.safe_yaml import load_yaml_file

FORMATS = ("csl", "ofac", "simple", "curated", "section-1286", "gleif-rr", "ownership-csv")
# Formats that hold ownership links, not list entries (loaded by screener.lists.links).
LINK_FORMATS = ("gleif-rr", "ownership-csv")


def importer(fmt: str) -> Callable[[Path], ParsedList]:
    """The ``parse`` function of the importer for ``fmt`` (module name: ``-`` becomes ``_``)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown list format '{fmt}' (choose from {', '.join(FORMATS)})")
    if fmt in LINK_FORMATS:
        raise InputError(f"'{fmt}' holds ownership links, not list entries; load it with "
                         "`screener lists import` (screener.lists.catalog.import_file)")
    module = fmt.replace("-", "_")
    return import_module(f"screener.lists.parsers.{module}").parse  # type: ignore[no-any-return]


def bundled_dir() -> Path:
    """Folder of the bundled lists: ``lists/`` in a checkout, or inside the wheel."""
    here = Path(__file__).resolve().parents[2] / "lists"
    if (here / "sources.yaml").exists():
        return here
    from importlib.resources import files

    return Path(str(files("screener.bundled_lists")))


@cache
def registry() -> dict[str, dict[str, Any]]:
    """Source id -> its registry entry from ``lists/sources.yaml``."""
    doc = load_yaml_file(bundled_dir() / "sources.yaml")
    return {s["id"]: s for s in doc["sources"]}
