"""Listed groups and their families from ``lists/groups.yaml`` (the project's curated file).

Each group is a conglomerate, a university or a police bureau that lists name, with
what documents call it and its units: its name forms in English and Chinese
(``names``), the brands that name it wherever they stand (``brands``), the prefixes its
units and companies are named with (``prefixes``; ``{prefix: ..., unit_only: true}``
when the prefix names a unit only before a unit word), the words its numbered units
take (``numbered``: "research institute", 研究所), and for a bureau its own place and
the places under it (``places``, ``under``; ``wide: true`` for the region's bureau, which
gives way to any other bureau a string names). Every group cites the public sources it was
checked against (``sources``). ``lists/README.md`` documents the format.

:func:`parse` validates the file and returns the groups as plain data, which the index
compiles (:class:`screener.matching.groups.GroupRules`); it touches no store.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.lists.registry import bundled_dir
from screener.safe_yaml import load_yaml_file

KINDS = ("group", "university", "bureau")
ENTRY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
URL = re.compile(r"^https?://\S+$")
LISTS = ("names", "brands", "prefixes", "numbered", "places", "under")


def bundled_path() -> Path:
    """The bundled ``groups.yaml``."""
    return bundled_dir() / "groups.yaml"


def parse(path: Path | None = None) -> list[dict[str, Any]]:
    """The groups of ``path`` (default the bundled file), checked; an InputError names
    the first group that is wrong and why."""
    path = path or bundled_path()
    raw = load_yaml_file(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("groups"), list):
        raise InputError(f"{path}: expected a mapping with a 'groups' list")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, g in enumerate(raw["groups"]):
        where = f"{path}: group {i + 1}"
        if not isinstance(g, dict):
            raise InputError(f"{where}: not a mapping")
        gid = g.get("id")
        if not isinstance(gid, str) or not ENTRY_ID.match(gid):
            raise InputError(f"{where}: 'id' must be a slug ([a-z0-9-]+)")
        where = f"{path}: group '{gid}'"
        if gid in seen:
            raise InputError(f"{where}: id used twice")
        seen.add(gid)
        kind = g.get("kind", "group")
        if kind not in KINDS:
            raise InputError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if not isinstance(g.get("name"), str) or not g["name"].strip():
            raise InputError(f"{where}: 'name' is missing")
        item: dict[str, Any] = {"id": gid, "name": g["name"].strip(), "kind": kind}
        for key in LISTS:
            values = g.get(key) or []
            if not isinstance(values, list):
                raise InputError(f"{where}: '{key}' must be a list")
            item[key] = [_value(v, key, where) for v in values]
        if not item["names"]:
            raise InputError(f"{where}: 'names' needs at least one name form")
        if kind == "bureau" and not item["places"]:
            raise InputError(f"{where}: a bureau needs its 'places'")
        sources = g.get("sources") or []
        if not sources or not all(isinstance(s, str) and URL.match(s) for s in sources):
            raise InputError(f"{where}: 'sources' must list the URLs the facts were checked at")
        item["source"] = "; ".join(sources)
        item["wide"] = bool(g.get("wide"))
        item["note"] = str(g.get("note") or "")
        out.append(item)
    return out


def _value(v: Any, key: str, where: str) -> Any:
    if key == "prefixes" and isinstance(v, dict):
        if not isinstance(v.get("prefix"), str) or not v["prefix"].strip():
            raise InputError(f"{where}: a prefix needs 'prefix'")
        return {"prefix": v["prefix"].strip(), "unit_only": bool(v.get("unit_only"))}
    if isinstance(v, int | float) and not isinstance(v, bool):
        v = str(v)
    if not isinstance(v, str) or not v.strip():
        raise InputError(f"{where}: '{key}' holds an empty or non-text value")
    return v.strip()
