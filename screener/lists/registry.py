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

# Format names, as given to `lists import --format` and in sources.yaml; the importer of
# each is the module of that name in screener/lists/parsers/ ("-" becomes "_").
FORMATS = (
    "csl",           # US Consolidated Screening List (CSV / JSON)
    "ofac",          # OFAC legacy CSV set (SDN, consolidated non-SDN)
    "simple",        # OpenSanctions targets.simple.csv, or your own id,name list
    "curated",       # the project's curated YAML
    "section-1286",  # DoD Section 1286 CSV
    "un-sc",         # UN Security Council Consolidated List XML
    "ofsi",          # UK OFSI Consolidated List, 2022 or legacy layout, CSV or XLSX
    "eu-fsf",        # EU Financial Sanctions Files XML
    "dfat",          # Australia DFAT Consolidated List, XLSX or CSV
    "ca-sema",       # Canada Consolidated Autonomous Sanctions List XML
    "bis-dpl",       # BIS Denied Persons List (dpl.txt)
    "fr-rule",       # a Federal Register rule adding Entity List entries (FR XML)
)  # fmt: skip


def importer(fmt: str) -> Callable[[Path], ParsedList]:
    """The ``parse`` function of the importer for ``fmt`` (module name: ``-`` becomes ``_``)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown list format '{fmt}' (choose from {', '.join(FORMATS)})")
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
