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


# -- ownership ---------------------------------------------------------------------------
# The source of the companies the ownership graph names that no list names (its nodes).
NODE_SOURCE = "screener-ownership"
# Kinds of ownership link: the child is a company the owner holds (``subsidiary``,
# ``joint-venture``), an office or part of it without its own legal identity
# (``branch``, ``unit``), a name it trades under (``brand``) or an earlier name of it
# (``former-name``).
OWNERSHIP_KINDS = ("subsidiary", "branch", "unit", "brand", "former-name", "joint-venture")
# Where ownership links come from: the bundled ``lists/ownership.yaml``, the CSL's own
# entries, GLEIF Level 2 relationship records, or a user's own file.
OWNERSHIP_ORIGINS = ("bundled", "csl", "gleif", "user")


def pad_date(d: str, end: bool = False) -> str:
    """A partial ISO date as the first (or, with ``end``, the last) day it covers."""
    if len(d) == 4:
        return d + ("-12-31" if end else "-01-01")
    if len(d) == 7:
        return d + ("-31" if end else "-01")
    return d[:10]


@dataclass
class OwnershipLink:
    """One link child -> owner, as an importer produces it and the store keeps it.

    The child is named (``child_name``, ``child_aliases``, ``child_country``) and has
    a stable ``child_key`` (the node id when it is not a listed entry); it may also
    be a listed entry itself (``child_source_id`` + ``child_entity_id``). The owner is
    a listed entity when it resolves (``owner_source_id`` + ``owner_entity_id``), else
    its name and the list it is on (``owner_name``, ``owner_list``), or another link's
    child (``owner_key``).
    """

    child_key: str
    child_name: str
    kind: str  # one of OWNERSHIP_KINDS
    source: str  # URL, filing or list entry the link was read from
    child_aliases: list[str] = field(default_factory=list)
    child_country: str | None = None
    child_source_id: str | None = None
    child_entity_id: str | None = None
    owner_name: str | None = None
    owner_list: str | None = None
    owner_source_id: str | None = None
    owner_entity_id: str | None = None
    owner_key: str | None = None
    share: float | None = None  # percent; None when no source states it
    controlled: bool | None = None  # the source says the owner controls the child
    as_of: str | None = None
    end_date: str | None = None
    note: str | None = None

    def current(self, on: str) -> bool:
        """True when the link had not ended on ``on`` (ISO date)."""
        return not self.end_date or pad_date(self.end_date, end=True) >= on


@dataclass
class ParsedLinks:
    """What an ownership importer read from one file."""

    links: list[OwnershipLink]
    published: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleStatus:
    """One period of a rule's status (in force, in force by default, suspended, revoked,
    unknown)."""

    status: str
    start: str
    end: str | None
    citation: str | None
    source: str | None
    checked_on: str | None
    note: str | None = None


@dataclass(frozen=True)
class OwnershipRule:
    """A rule under which ownership by listed parties restricts the owned entity."""

    id: str
    name: str
    authority: str
    owners_on: tuple[str, ...]  # the lists whose parties count as owners
    threshold: float  # percent owned, in the aggregate, that triggers the rule
    citation: str | None
    published: str | None
    source: str
    statuses: tuple[RuleStatus, ...]
    summary: str | None = None

    def status_on(self, day: str | None = None) -> RuleStatus | None:
        """The status period that covers ``day`` (ISO date; default today), if any."""
        import datetime as dt

        day = day or dt.date.today().isoformat()
        for s in self.statuses:
            if pad_date(s.start) <= day and (s.end is None or day <= pad_date(s.end, end=True)):
                return s
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OwnershipRule:
        return cls(
            **{
                **d,
                "owners_on": tuple(d["owners_on"]),
                "statuses": tuple(RuleStatus(**s) for s in d["statuses"]),
            }
        )


@dataclass(frozen=True)
class Found:
    """One entity a name screens to: the hit's entity, its score and relation (None: not
    known), and the ownership node the hit came through (a company a listed party owns,
    whose hit became a hit on the owner), with the listed entity's name."""

    source_id: str
    entity_id: str
    score: float
    relation: str | None
    via: tuple[str, str] | None
    listed_name: str | None = None
