"""The importers by format name, and the sources registry (``lists/sources.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml

from screener.errors import InputError
from screener.model import ParsedList

# Format name (as given to `lists import --format` and in sources.yaml) -> the module in
# screener/lists/parsers/ that reads it.
FORMAT_MODULES = {
    "csl": "csl",          # US Consolidated Screening List (CSV / JSON)
    "ofac": "ofac",        # OFAC legacy CSV set (SDN, consolidated non-SDN)
    "simple": "simple",    # OpenSanctions targets.simple.csv, or your own id,name list
    "curated": "curated",  # the project's curated YAML
    "un-sc": "un_sc",      # UN Security Council Consolidated List XML
    "ofsi": "ofsi",        # UK OFSI Consolidated List, 2022 or legacy layout, CSV or XLSX
    "eu-fsf": "eu_fsf",    # EU Financial Sanctions Files XML
    "dfat": "dfat",        # Australia DFAT Consolidated List, XLSX or CSV
    "ca-sema": "ca_sema",  # Canada Consolidated Autonomous Sanctions List XML
    "bis-dpl": "bis_dpl",  # BIS Denied Persons List (dpl.txt)
    "fr-rule": "fr_rule",  # a Federal Register rule adding Entity List entries (FR XML)
}  # fmt: skip
FORMATS = tuple(FORMAT_MODULES)


def importer(fmt: str) -> Callable[[Path], ParsedList]:
    """The ``parse`` function of the importer for format ``fmt``."""
    if fmt not in FORMAT_MODULES:
        raise InputError(f"unknown list format '{fmt}' (choose from {', '.join(FORMATS)})")
    module = import_module(f"screener.lists.parsers.{FORMAT_MODULES[fmt]}")
    return module.parse  # type: ignore[no-any-return]


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
    doc = yaml.safe_load((bundled_dir() / "sources.yaml").read_text(encoding="utf-8"))
    return {s["id"]: s for s in doc["sources"]}
