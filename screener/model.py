"""Records every list importer produces and the store keeps.

An importer turns one list file into a :class:`ParsedList`: the entities it holds,
each with every name it is known by (:class:`Name`) and every official listing
that restricts it (:class:`Listing`). Field values are plain strings; dates are
ISO ``YYYY-MM-DD`` (or ``YYYY-MM`` / ``YYYY`` when only that is known).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Kinds of name. ``primary`` is the listed name; the rest are aliases of some sort.
NAME_KINDS = ("primary", "alias", "former", "chinese", "abbreviation", "weak")
SCHEMAS = ("organization", "person", "vessel", "aircraft", "unknown")


@dataclass
class Name:
    name: str
    kind: str = "alias"  # one of NAME_KINDS
    lang: str | None = None  # e.g. "zh" for Chinese script, None when unknown


@dataclass
class Listing:
    """One official list an entity is on, with what that listing means."""

    list: str  # e.g. "Entity List", "NS-CMIC List", "DoD 1260H List"
    authority: str | None = None  # e.g. "US Commerce BIS"
    citation: str | None = None  # e.g. "84 FR 54002"; never invented
    listed_on: str | None = None
    end_date: str | None = None
    in_force: bool = True
    program: str | None = None  # e.g. "CMIC-EO13959"
    license_requirement: str | None = None
    license_policy: str | None = None
    effect: str | None = None  # for non-licensing lists: what the listing does
    source_url: str | None = None  # official page for this listing


@dataclass
class Entity:
    id: str  # stable across versions where the source gives one
    name: str  # primary name
    schema: str = "organization"
    names: list[Name] = field(default_factory=list)  # every name incl. the primary
    countries: list[str] = field(default_factory=list)  # ISO 3166 alpha-2, lower case
    addresses: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    sub_list: str | None = None  # the list inside a consolidated source (CSL "source")
    citation: str | None = None  # citation of the main listing
    listed_on: str | None = None
    end_date: str | None = None
    license_requirement: str | None = None
    license_policy: str | None = None
    source_url: str | None = None
    remarks: str | None = None
    parent_id: str | None = None
    parent_name: str | None = None
    identifiers: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def all_names(self) -> list[Name]:
        """Every name, the primary first, without exact duplicates."""
        seen: set[str] = set()
        out: list[Name] = []
        for n in [Name(self.name, "primary"), *self.names]:
            key = n.name.strip()
            if key and key not in seen:
                seen.add(key)
                out.append(Name(key, n.kind, n.lang))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedList:
    """What an importer read from one file."""

    entities: list[Entity]
    published: str | None = None  # publication date of the list, when the file says
    meta: dict[str, Any] = field(default_factory=dict)
