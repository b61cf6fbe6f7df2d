"""The importers by format name, and the sources registry (``lists/sources.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

from screener.db.store import Store
from screener.errors import InputError
from screener.model import ParsedList
from screener.safe_yaml import load_yaml_file
from screener.settings import Config

# Format names, as given to `lists import --format` and in sources.yaml; the importer of
# each is the module of that name in screener/lists/parsers/ ("-" becomes "_").
FORMATS = (
    "csl",  # US Consolidated Screening List (CSV / JSON)
    "ofac",  # OFAC legacy CSV set (SDN, consolidated non-SDN)
    "simple",  # OpenSanctions targets.simple.csv, or your own id,name list
    "curated",  # the project's curated YAML
    "section-1286",  # DoD Section 1286 CSV
    "un-sc",  # UN Security Council Consolidated List XML
    "ofsi",  # UK OFSI Consolidated List, 2022 or legacy layout, CSV or XLSX
    "eu-fsf",  # EU Financial Sanctions Files XML
    "dfat",  # Australia DFAT Consolidated List, XLSX or CSV
    "ca-sema",  # Canada Consolidated Autonomous Sanctions List XML
    "bis-dpl",  # BIS Denied Persons List (dpl.txt)
    "fr-rule",  # a Federal Register rule adding Entity List entries (FR XML)
    "dod-1260h",  # DoD Section 1260H editions (OpenSanctions transcription, CSV)
    "fcc-covered",  # FCC Covered List (the fcc.gov page, or its two columns as CSV)
    "meti-eul",  # Japan METI End User List (JSON of the security-export-control-registry)
    "aspi-unitracker",  # ASPI China Defence Universities Tracker (MISP galaxy JSON)
)
# Formats of ownership links, not list entries, also taken by `lists import --format`;
# screener.lists.links loads them into the ownership graph.
LINK_FORMATS = (
    "gleif-rr",  # GLEIF Level 2 relationship records XML
    "ownership-csv",  # your CSV of child, parent, share, source
)


def importer(fmt: str) -> Callable[[Path], ParsedList]:
    """The ``parse`` function of the importer for ``fmt`` (module name: ``-`` becomes ``_``)."""
    if fmt in LINK_FORMATS:
        raise InputError(
            f"'{fmt}' holds ownership links, not list entries; load it with "
            "`screener lists import` (screener.lists.catalog.import_file)"
        )
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


def source_settings(
    source_id: str, config: Config | None = None, store: Store | None = None
) -> dict[str, Any]:
    """The registry entry of ``source_id`` with the config's limits applied.

    A source that is not in the registry but is in the store (a list imported with
    ``lists import``) gets its format from the store and no limits.
    """
    entry = dict(registry().get(source_id) or {})
    if not entry and store is not None and (row := store.source(source_id)):
        entry = {"id": source_id, "format": row["format"], "name": row["name"]}
    if config and source_id in config.sources:
        entry.update(config.sources[source_id])
    return entry
