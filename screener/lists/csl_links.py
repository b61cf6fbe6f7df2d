"""Ownership links that the CSL's (and the Entity List's) own entries state.

Two things in the lists' text say that one party belongs to another:

1. **Subordinate institutions.** An Entity List entry can name units of the listed
   party inside its own text, e.g. (Supplement No. 4 to part 744) "China Aerospace
   Science and Industry Corporation Second Academy, a.k.a., the following eight
   aliases, and thirteen subordinate institutions: ... Subordinate institution 23rd
   Research Institute, a.k.a., the following two aliases: —Beijing Institute of Radio
   Measurement; and —BIRM." Each becomes a link of kind ``unit`` to the entry; the
   unit is named "<unit> of <entry>" with its a.k.a.s as aliases (a bare "23rd
   Research Institute" would screen as some other group's institute).
2. **Sub-units under a listed parent's name.** Entries such as "Academy of Military
   Medical Sciences, Institute of Basic Medicine" or "China Aerospace Science and
   Industry Corporation (CASIC) 3rd Academy's 159 Factory" begin with the full name of
   another entry of the same list, followed by a comma or a possessive. Each becomes
   a link of kind ``unit`` to that entry; when the two also share an address the note
   says so. A name that merely starts with another (no comma, no possessive) links
   only when they share an address.

OFAC's "(Linked To: X)" remarks are not read as ownership: OFAC uses them for any
link between a designation and another (owner, agent, family), so they say nothing
about shares or control.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from screener.db.ownership import child_key
from screener.model import Entity, OwnershipLink, ParsedLinks

_SUBORDINATE = re.compile(r"\bSubordinate institution\s+", re.IGNORECASE)
_AKA = re.compile(r",?\s*a\.k\.a\.?,?\s*(?:the following\s+\S+\s+alias(?:es)?:)?\s*", re.IGNORECASE)
_END = re.compile(r"(?<!\bCo)(?<!\bLtd)(?<!\bInc)(?<!\bNo)(?<!\bCorp)\.(?=\s+[A-Z0-9]|\s*$)")
MIN_PARENT_CHARS = 10


def subordinates(text: str) -> list[tuple[str, list[str]]]:
    """(unit name, its aliases) for each "Subordinate institution ..." in ``text``."""
    parts = _SUBORDINATE.split(text)
    out = []
    for part in parts[1:]:
        part = " ".join(part.split())
        m = _AKA.search(part)
        stop = _END.search(part)
        if m and m.start() < (stop.start() if stop else len(part)):
            name, rest = part[: m.start()], part[m.end() :]
            end = _END.search(rest)
            aliases = _items(rest[: end.start()] if end else rest)
        else:
            end = _END.search(part)
            name, aliases = (part[: end.start()] if end else part), []
        name = name.strip(" ,;.")
        if name:
            out.append((name, aliases))
    return out


def _items(text: str) -> list[str]:
    out = []
    for item in text.split(";"):
        item = re.sub(r"^\s*(and\s+)?[—–-]?\s*", "", item).strip(" .;")
        if item:
            out.append(item)
    return out


def links(entities: Iterable[Entity], source_id: str) -> ParsedLinks:
    """The links the entries of one list state about each other (see the module)."""
    ents = [e for e in entities if e.schema in ("organization", "unknown")]
    out: list[OwnershipLink] = []
    for e in ents:
        text = "; ".join([e.name, *(n.name for n in e.names), e.remarks or ""])
        for unit, aliases in subordinates(text):
            name = f"{unit} of {e.name}"
            out.append(
                OwnershipLink(
                    child_key=child_key(name, "csl-"),
                    child_name=name,
                    child_aliases=aliases,
                    child_country=e.countries[0] if e.countries else None,
                    owner_name=e.name,
                    owner_list=e.sub_list,
                    owner_source_id=source_id,
                    owner_entity_id=e.id,
                    kind="unit",
                    source=_where(e),
                    note=f"The {e.sub_list or 'list'} entry for {e.name} names {unit} as a "
                    "subordinate institution.",
                )
            )
    by_name: dict[str, list[Entity]] = {}
    for e in ents:
        if len(e.name) >= MIN_PARENT_CHARS and " " in e.name.strip():
            by_name.setdefault(e.name.casefold(), []).append(e)
    for e in ents:
        for parent, sep in _prefixes(e.name, by_name):
            if parent.id == e.id:
                continue
            shared = _shared_address(e, parent)
            if sep == " " and not shared:
                continue
            evidence = f"its name begins with the entry {parent.name!r}"
            if shared:
                evidence += f" and it shares the address {shared!r}"
            out.append(
                OwnershipLink(
                    child_key=child_key(e.name, "csl-"),
                    child_name=e.name,
                    child_source_id=source_id,
                    child_entity_id=e.id,
                    child_country=e.countries[0] if e.countries else None,
                    owner_name=parent.name,
                    owner_list=parent.sub_list,
                    owner_source_id=source_id,
                    owner_entity_id=parent.id,
                    kind="unit",
                    source=_where(e),
                    note=f"{e.sub_list or 'List'} entry {e.name!r}: {evidence}.",
                )
            )
    return ParsedLinks(out, meta={"format": "csl-links", "source_id": source_id})


def _prefixes(name: str, by_name: dict[str, list[Entity]]) -> Iterable[tuple[Entity, str]]:
    """Entries whose whole name starts ``name``, with what follows it (", ", "'s ", " ")."""
    low = name.casefold()
    for m in re.finditer(r",\s|['’]s\s|\s", low):
        head = low[: m.start()].rstrip(" ,")
        sep = ", " if m.group(0).startswith(",") else ("'s " if "s" in m.group(0) else " ")
        for p in by_name.get(head, []):
            yield p, sep


def _shared_address(a: Entity, b: Entity) -> str | None:
    norm = {_addr(x): x for x in b.addresses if len(_addr(x)) > 12}
    for x in a.addresses:
        if _addr(x) in norm:
            return x
    return None


def _addr(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _where(e: Entity) -> str:
    url = e.source_url or ""
    return f"{url} (entry: {e.name})".strip() if url else f"{e.sub_list or 'CSL'} entry: {e.name}"
