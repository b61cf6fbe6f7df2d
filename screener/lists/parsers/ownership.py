"""Ownership edges and ownership rules from ``lists/ownership.yaml`` (the project's curated file).

Each edge runs **child -> owner**: the child (a name, its aliases in any script, a
country), the owner (the ``id`` of an entry in ``surveillance.yaml``, or the owner's
name as a listed list spells it, or the name of another edge's child for a chain
through an unlisted company), the share in percent (``null`` when no source states
it), the kind of link (:data:`KINDS`), the date the fact was true (``as_of``), the
date it ended (``end_date``, e.g. a subsidiary sold), whether the source says the
owner controls the child (``controlled``: a controlling shareholder below 50%) and the
public source it was checked against. ``parse`` validates and returns the edges; it
touches no store.

The same file holds the **rules** that make ownership matter (OFAC's 50 Percent Rule,
the BIS Affiliates rule), each with dated status periods and their sources, so a rule
whose status changes is updated as data: ``parse_rules`` returns them and
:meth:`OwnershipRule.status_on` answers "what was its status on this date".
``lists/README.md`` documents the format for reviewers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from screener.errors import InputError
from screener.lists.registry import bundled_dir
from screener.model import OWNERSHIP_KINDS, OwnershipRule, RuleStatus, pad_date
from screener.safe_yaml import load_yaml_file

KINDS = OWNERSHIP_KINDS
__all__ = [
    "KINDS",
    "STATUSES",
    "OwnershipEdge",
    "OwnershipRule",
    "Party",
    "RuleStatus",
    "bundled_path",
    "parse",
    "parse_rules",
]
# "in force by default": no official text after the last one found, whose own terms put
# the rule in force on that date (the Affiliates rule from 2026-11-10: 90 FR 50857 ends
# its suspension then "absent a future extension"). A compliance tool fails closed: it is
# shown as in force, with the caveat and the date it was last checked.
STATUSES = ("in force", "in force by default", "suspended", "revoked", "unknown")
ENTRY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Party:
    """The child of an edge: the name users meet, its other names, its country."""

    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None  # ISO 3166 alpha-2, lower case; None when not stated

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class OwnershipEdge:
    """One ownership or control link, child -> owner, with its evidence."""

    child: Party
    owner: str  # as written: an entry id, or the owner's name
    owner_id: str | None  # the surveillance.yaml entry id when the owner is one
    owner_list: str | None  # for a named owner: the list whose spelling is used
    share: float | None  # percent, 0..100; None when unknown
    controlled: bool | None  # the source says the owner controls the child (any share)
    kind: str  # one of KINDS
    as_of: str | None  # ISO date (or year-month, year) the fact was true
    end_date: str | None  # when the link ended (sold, merged), else None
    source: str  # URL of the filing, list entry or press report
    note: str | None = None

    @property
    def owner_name(self) -> str | None:
        """The owner's name when it is not an entry id."""
        return None if self.owner_id else self.owner

    def current(self, on: str | None = None) -> bool:
        """True when the link had not ended on ``on`` (ISO date; default today)."""
        if not self.end_date:
            return True
        day = on or dt.date.today().isoformat()
        return pad_date(self.end_date, end=True) >= day


def bundled_path() -> Path:
    """``lists/ownership.yaml`` shipped with screener."""
    return bundled_dir() / "ownership.yaml"


def parse(path: Path | None = None, entry_ids: set[str] | None = None) -> list[OwnershipEdge]:
    """The edges of ``path`` (default: the bundled file), validated.

    ``entry_ids`` are the ids an owner may name (default: the bundled
    ``surveillance.yaml``); an owner written as an id must be one of them.
    """
    path = Path(path) if path else bundled_path()
    doc = _load(path)
    raw = doc.get("edges")
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{path}: no 'edges' list")
    ids = entry_ids if entry_ids is not None else _entry_ids()
    edges, seen = [], set()
    for i, item in enumerate(raw, 1):
        edge = _edge(item, f"{path}: edge {i}", ids)
        key = (edge.child.name.casefold(), edge.owner.casefold(), edge.as_of)
        if key in seen:
            raise InputError(f"{path}: edge {i}: repeats {edge.child.name!r} -> {edge.owner!r}")
        seen.add(key)
        edges.append(edge)
    return edges


def parse_rules(path: Path | None = None) -> list[OwnershipRule]:
    """The ownership rules of ``path`` (default: the bundled file), validated."""
    path = Path(path) if path else bundled_path()
    raw = _load(path).get("rules") or []
    if not isinstance(raw, list):
        raise InputError(f"{path}: 'rules' must be a list")
    return [_rule(r, f"{path}: rule {i}") for i, r in enumerate(raw, 1)]


def _load(path: Path) -> dict[str, Any]:
    """The document, read safely (limits, no aliases, libyaml when present)."""
    doc = load_yaml_file(path)
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not an ownership file (no mapping at the top)")
    return doc


def _entry_ids() -> set[str]:
    doc = yaml.safe_load((bundled_dir() / "surveillance.yaml").read_text(encoding="utf-8"))
    return {str(e["id"]) for e in doc["entities"]}


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, dt.date):
        return v.isoformat()
    return " ".join(str(v).split())


def _date(v: Any, field: str, where: str) -> str | None:
    s = _text(v)
    if s is not None and not DATE.match(s):
        raise InputError(f"{where}: {field} {s!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    return s


def _edge(raw: Any, where: str, ids: set[str]) -> OwnershipEdge:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: each edge must be a mapping")
    child = raw.get("child")
    if not isinstance(child, dict) or not _text(child.get("name")):
        raise InputError(f"{where}: needs a child with a name")
    name = _text(child["name"]) or ""
    aliases = tuple(a for a in (_text(x) for x in child.get("aliases") or []) if a and a != name)
    country = _text(child.get("country"))
    if country is not None and not re.fullmatch(r"[a-z]{2}", country):
        raise InputError(f"{where} ({name}): country {country!r} is not an ISO alpha-2 code")
    owner = _text(raw.get("owner"))
    if not owner:
        raise InputError(f"{where} ({name}): needs an owner")
    owner_id = owner if ENTRY_ID.match(owner) else None
    if owner_id and owner_id not in ids:
        raise InputError(
            f"{where} ({name}): owner '{owner}' is not an entry id of the curated list"
        )
    kind = _text(raw.get("kind"))
    if kind not in KINDS:
        raise InputError(
            f"{where} ({name}): unknown kind {kind!r} (choose from {', '.join(KINDS)})"
        )
    source = _text(raw.get("source"))
    if not source or not URL.match(source):
        raise InputError(f"{where} ({name}): needs a source URL")
    share = raw.get("share")
    if share is not None:
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 100:
            raise InputError(f"{where} ({name}): share {share!r} is not a percentage 0..100")
        share = float(share)
    controlled = raw.get("controlled")
    if controlled is not None and not isinstance(controlled, bool):
        raise InputError(f"{where} ({name}): controlled must be true, false or null")
    as_of = _date(raw.get("as_of"), "as_of", f"{where} ({name})")
    end = _date(raw.get("end_date"), "end_date", f"{where} ({name})")
    if as_of and end and pad_date(end, end=True) < pad_date(as_of):
        raise InputError(f"{where} ({name}): end_date {end} is before as_of {as_of}")
    return OwnershipEdge(
        child=Party(name, aliases, country),
        owner=owner,
        owner_id=owner_id,
        owner_list=_text(raw.get("owner_list")),
        share=share,
        controlled=controlled,
        kind=kind,
        as_of=as_of,
        end_date=end,
        source=source,
        note=_text(raw.get("note")),
    )


def _rule(raw: Any, where: str) -> OwnershipRule:
    if not isinstance(raw, dict) or not _text(raw.get("id")) or not _text(raw.get("name")):
        raise InputError(f"{where}: each rule needs an id and a name")
    where = f"{where} ({raw['id']})"
    source = _text(raw.get("source"))
    if not source or not URL.match(source):
        raise InputError(f"{where}: needs a source URL")
    threshold = raw.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise InputError(f"{where}: threshold must be a percentage")
    statuses = []
    for j, s in enumerate(raw.get("status") or [], 1):
        w = f"{where}: status {j}"
        if not isinstance(s, dict) or _text(s.get("status")) not in STATUSES:
            raise InputError(f"{w}: status must be one of {', '.join(STATUSES)}")
        start = _date(s.get("from"), "from", w)
        if not start:
            raise InputError(f"{w}: needs a 'from' date")
        src = _text(s.get("source"))
        if src is not None and not URL.match(src):
            raise InputError(f"{w}: source must be a URL")
        if s["status"] != "unknown" and not src:
            raise InputError(f"{w}: a known status needs its source")
        statuses.append(
            RuleStatus(
                status=s["status"],
                start=start,
                end=_date(s.get("to"), "to", w),
                citation=_text(s.get("citation")),
                source=src,
                checked_on=_date(s.get("checked_on"), "checked_on", w),
                note=_text(s.get("note")),
            )
        )
    if not statuses:
        raise InputError(f"{where}: needs at least one status period")
    for a, b in itertools.pairwise(statuses):
        if a.end is None or pad_date(a.end, end=True) >= pad_date(b.start):
            raise InputError(f"{where}: status periods overlap or are out of order")
    return OwnershipRule(
        id=str(raw["id"]),
        name=_text(raw["name"]) or "",
        authority=_text(raw.get("authority")) or "",
        owners_on=tuple(_text(x) or "" for x in raw.get("owners_on") or []),
        threshold=float(threshold),
        citation=_text(raw.get("citation")),
        published=_date(raw.get("published"), "published", where),
        source=source,
        statuses=tuple(statuses),
        summary=_text(raw.get("summary")),
    )
