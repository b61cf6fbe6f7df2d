"""ASPI's China Defence Universities Tracker (format ``aspi-unitracker``): a research-security
reference, not a legal restriction.

The Australian Strategic Policy Institute's International Cyber Policy Centre rates Chinese
universities, institutes and defence conglomerates by their military and security links
(https://unitracker.aspi.org.au/). Being in the tracker restricts nothing; research offices
use it to judge a partnership. The importer reads the MISP galaxy cluster that carries the
tracker (``clusters/china-defence-universities.json``, MISP/misp-galaxy, CC0 1.0 or
BSD-2-Clause; ``authors``: Australian Strategic Policy Institute).

Each ``values`` item is one institution: ``value`` (the English name, sometimes with the
Chinese name in brackets), ``meta.aliases`` (Chinese names, abbreviations, former names),
``meta.categories`` (the tracker's category: Military, Civilian, Security, Defence industry
conglomerate, Seven sons of national defence), ``meta.supervising agencies``,
``meta.subsidiaries`` and ``meta.major defence laboratories`` (kept with the entity, for
the ownership graph and the party layer), ``meta.address`` and ``meta.refs`` (the tracker's
page). The tracker's risk rating (very high ... low) is not in this copy, so the category
stands in its place. The cluster states no date: give one with ``lists import --data-date``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.lists.parsers.fields import add_name, script_lang
from screener.lists.parsers.textfile import read_json
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "ASPI China Defence Universities Tracker"
AUTHORITY = "ASPI"
EFFECT = (
    "Research-security risk reference only (ASPI China Defence Universities Tracker); "
    "not a legal restriction."
)
HOME = "https://unitracker.aspi.org.au/"
_BRACKETED = re.compile(r"\s*[（(]([^()（）]+)[)）]\s*$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def parse(path: Path) -> ParsedList:
    """Read the tracker's MISP galaxy cluster into one entity per institution."""
    path = Path(path)
    doc = read_json(path)
    values = doc.get("values") if isinstance(doc, dict) else None
    if not isinstance(values, list) or doc.get("type") != "china-defence-universities":
        raise InputError(
            f"{path}: not the ASPI tracker's MISP cluster (type china-defence-universities)"
        )
    entities = [e for v in values if isinstance(v, dict) and (e := _entity(v))]
    if not entities:
        raise InputError(f"{path}: no institutions with a name")
    return ParsedList(
        entities,
        published=None,
        meta={
            "format": "aspi-unitracker",
            "read_from": "MISP galaxy cluster china-defence-universities (CC0 1.0 / BSD-2-Clause)",
            "cluster_version": doc.get("version"),
        },
    )


def _entity(v: dict[str, Any]) -> Entity | None:
    value = " ".join(str(v.get("value") or "").split())
    if not value:
        return None
    meta = v.get("meta") or {}
    name, bracketed = value, None
    if (m := _BRACKETED.search(value)) and m.start() > 0 and _CJK.search(m.group(1)):
        name, bracketed = value[: m.start()].strip(), m.group(1).strip()
    ent = Entity(id=f"aspi-{v.get('uuid') or _slug(name)}", name=name, countries=["cn"])
    for alias in [bracketed, *(meta.get("aliases") or [])]:
        if not alias:
            continue
        alias = " ".join(str(alias).split())
        if _CJK.search(alias):
            add_name(ent, alias, "chinese", script_lang(alias))
        elif len(alias) <= 10 and " " not in alias:
            add_name(ent, alias, "abbreviation")
        else:
            add_name(ent, alias, "alias")
    categories = [str(c) for c in meta.get("categories") or []]
    agencies = [str(a) for a in meta.get("supervising agencies") or []]
    refs = [str(r) for r in meta.get("refs") or [] if str(r).startswith("http")]
    ent.listings.append(
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            in_force=True,
            program="risk category: " + ", ".join(categories) if categories else None,
            effect=EFFECT,
            source_url=refs[0] if refs else HOME,
        )
    )
    if meta.get("address"):
        ent.addresses = [str(meta["address"])]
    ent.sub_list, ent.source_url = LIST_NAME, ent.listings[0].source_url
    ent.programs = categories
    ent.remarks = " ".join(str(v.get("description") or "").split()) or None
    ent.extra.update(
        {
            "categories": categories,
            "supervising_agencies": agencies,
            "subsidiaries": list(meta.get("subsidiaries") or []),
            "laboratories": list(meta.get("major defence laboratories") or []),
            "topics": list(meta.get("topics") or []),
        }
    )
    return ent  # a supervising agency is not an owner: kept in extra, not as the parent


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:80] or "unnamed"
