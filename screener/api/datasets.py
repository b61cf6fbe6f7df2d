"""The datasets of the yente-compatible API: each loaded list source, and the
collections of ``data/datasets.yaml`` (``default``, ``screener``, ``sanctions``,
``export_controls``, ``surveillance``), each the loaded sources of some kinds.

A dataset's name is a FollowTheMoney dataset name, lower case with underscores: a
source's id with its dashes as underscores (``screener_surveillance`` for
``screener-surveillance``). A request may name a dataset either way
(``export-controls`` too).

A scope is never empty: a dataset that names no loaded list (an unknown name, a
source never loaded, a collection none of whose lists is loaded) is refused, and so
is an ``include_dataset``/``exclude_dataset`` that leaves no list. Screening against
nothing would answer "no match" for a query that was not screened.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from screener.api.problems import NotFound
from screener.errors import InputError
from screener.lists.registry import registry


@cache
def config() -> dict[str, Any]:
    text = resources.files("screener.api").joinpath("data/datasets.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)  # our own file, in the package
    return doc


def topics_of(list_names: list[str | None], kind: str | None) -> list[str]:
    """The FollowTheMoney topics of listings on ``list_names`` in a source of ``kind``."""
    by_list, by_kind = config()["topics_by_list"], config()["topics_by_kind"]
    out: list[str] = []
    for name in list_names:
        out += by_list.get(name or "", [])
    if not out:
        out += by_kind.get(kind or "", [])
    return list(dict.fromkeys(out))


def lists_of(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The loaded versions that are lists (not the ownership graph, whose nodes are
    never results: a hit on one is a hit on its listed owners)."""
    return [v for v in versions if v.get("kind") != "ownership"]


def dataset_name(source_id: str | None) -> str:
    """The dataset name of a list source: its id, dashes as underscores."""
    return (source_id or "unknown").replace("-", "_")


def collections(versions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each collection's loaded datasets, from the loaded versions (``kind`` of each)."""
    versions = lists_of(versions)
    out = {}
    for name, spec in config()["collections"].items():
        kinds = spec["kinds"]
        out[name] = [
            dataset_name(v["source_id"])
            for v in versions
            if kinds == "all" or v.get("kind") in kinds
        ]
    return out


def scope(
    name: str,
    versions: list[dict[str, Any]],
    include: list[str] = (),  # type: ignore[assignment]
    exclude: list[str] = (),  # type: ignore[assignment]
) -> set[str]:
    """The loaded datasets (lists) a request screens against: those of dataset
    ``name``, only those of ``include`` when given, less those of ``exclude``."""
    base = _members(name, versions, "dataset", NotFound)
    if include:
        base &= set().union(*(_members(x, versions, "include_dataset") for x in include))
    if exclude:
        base -= set().union(*(_members(x, versions, "exclude_dataset") for x in exclude))
    if not base:
        raise InputError(
            f"dataset {name!r} with include_dataset {list(include)} and exclude_dataset "
            f"{list(exclude)} leaves no list to screen against"
        )
    return base


def _members(
    name: str, versions: list[dict[str, Any]], what: str, error: type[InputError] = InputError
) -> set[str]:
    loaded = {dataset_name(v["source_id"]) for v in versions}
    given, name = name, name.replace("-", "_")
    if name in loaded:
        return {name}
    groups = collections(versions)
    if name in groups:
        if not groups[name]:
            raise error(f"{what} {name!r}: none of its lists is loaded on this server")
        return set(groups[name])
    known = {dataset_name(sid): sid for sid in registry()}
    if name in known:
        raise error(
            f"{what} {given!r}: this list is not loaded on this server "
            f"(`screener lists update {known[name]}` loads it)"
        )
    raise error(
        f"{what} {given[:60]!r} is not a dataset here; GET /catalog lists them "
        f"(collections: {', '.join(groups)})"
    )


def catalog(versions: list[dict[str, Any]], stale: set[str]) -> dict[str, Any]:
    """``GET /catalog`` in yente's shape: every dataset, leaves then collections."""
    leaves = [
        {
            "name": dataset_name(v["source_id"]),
            "title": v.get("name") or v["source_id"],
            "source_id": v["source_id"],
            "summary": v.get("kind"),
            "url": v.get("url"),
            "version": str(v.get("version_id")),
            "updated_at": v.get("loaded_at"),
            "entity_count": v.get("entities"),
            "load": True,
            "index_version": str(v.get("version_id")),
            "index_current": True,
            "licence": v.get("licence"),
            "publisher": {"name": v.get("authority") or v.get("name"), "official": True}
            if v.get("authority")
            else None,
            "children": [],
            "data_date": v.get("data_date"),
        }
        for v in lists_of(versions)
    ]
    groups = [
        {
            "name": name,
            "title": config()["collections"][name]["title"],
            "load": False,
            "children": members,
            "entity_count": sum(
                v.get("entities") or 0 for v in versions if dataset_name(v["source_id"]) in members
            ),
            "index_current": True,
        }
        for name, members in collections(versions).items()
    ]
    return {
        "datasets": leaves + groups,
        "current": [d["name"] for d in leaves if d["source_id"] not in stale],
        "outdated": sorted(dataset_name(x) for x in stale),
        "index_stale": bool(stale),
    }
