"""Walk the ownership graph: the parties of each link, chains up to listed owners,
chains down, and the links above an entity.

    from screener.db.ownership_graph import owners, subsidiaries
    owners(store, "screener-ownership", "hangzhou-ezviz-network-co-ltd")  # up to Hikvision, CETC

A :class:`Graph` sees the store's links on one day: each link's child and owner resolved
to a :class:`Party` (a listed entry, an ownership node, or a bare name; the same name in
two lists is one party), each :class:`Step` with where the link came from. What the
links *mean* (the relation ``owned-by``, ``unit``, ``related``..., and the rules that
make it matter) is decided above the store: :mod:`screener.screening.ownership`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any, cast

from screener.db.ownership import edges_by_key, entity_keys, has_key, row_link
from screener.db.store import Store
from screener.errors import InputError
from screener.model import NODE_SOURCE, Entity, OwnershipLink
from screener.shapes import ChainDict, ListingDict, PartyDict, StepDict

MAX_DEPTH = 8  # links followed from one entity; real chains here have at most 4


@dataclass
class Party:
    """A party of the graph: a listed entry, a node (an unlisted child), or a bare name."""

    name: str
    source_id: str | None = None
    entity_id: str | None = None
    listed: bool = False  # an entry of a loaded list (not an ownership node)
    listings: list[ListingDict] = field(default_factory=list)
    keys: frozenset[str] = frozenset()

    @property
    def ref(self) -> str:
        return f"{self.source_id}:{self.entity_id}" if self.entity_id else f"name:{self.name}"

    @property
    def lists(self) -> list[str]:
        """The lists it is on (listings in force), in order, without repeats."""
        names = (x.get("list") for x in self.listings if x.get("in_force", True))
        return list(dict.fromkeys(n for n in names if n))

    def as_dict(self) -> PartyDict:
        return {
            "name": self.name,
            "source_id": self.source_id,
            "entity_id": self.entity_id,
            "listed": self.listed,
            "lists": self.lists,
            "listings": self.listings,
        }


@dataclass
class Step:
    """One link of a chain, child -> owner, with where it came from."""

    link: OwnershipLink
    origin: str
    origin_id: str
    child: Party
    owner: Party

    def current(self, on: str) -> bool:
        return self.link.current(on)

    def as_dict(self) -> StepDict:
        lk = self.link
        return {
            "child": self.child.name,
            "owner": self.owner.name,
            "owner_listed": self.owner.listed,
            "owner_lists": self.owner.lists,
            "share": lk.share,
            "controlled": lk.controlled,
            "kind": lk.kind,
            "as_of": lk.as_of,
            "end_date": lk.end_date,
            "source": lk.source,
            "note": lk.note,
            "origin": self.origin,
            "origin_id": self.origin_id,
        }


@dataclass
class Chain:
    """Links from one party to another, in order (for a chain up: the entity first)."""

    steps: list[Step]

    @property
    def top(self) -> Party:
        return self.steps[-1].owner

    @property
    def effective_share(self) -> float | None:
        """The shares multiplied along the chain (percent), or None when one is unknown."""
        share = 100.0
        for s in self.steps:
            if s.link.share is None:
                return None
            share *= s.link.share / 100
        return round(share, 4)

    def as_dict(self) -> ChainDict:
        return {"steps": [s.as_dict() for s in self.steps], "effective_share": self.effective_share}


# -- public functions ------------------------------------------------------------------


def owners(
    store: Store,
    source_id: str,
    entity_id: str,
    *,
    on: Any = None,
    current_only: bool = False,
    graph: Graph | None = None,
) -> list[Chain]:
    """The chains from an entity up to each listed owner (a chain goes on past a listed
    owner to that owner's own listed owners). With ``current_only``, links ended
    before ``on`` (default today) are left out. ``graph``: the graph of ``store`` to
    read through, on its own day (``on`` is then left aside)."""
    g = graph if graph is not None else Graph(store, day(on))
    start = g.start(source_id, entity_id)
    out: list[Chain] = []

    def walk(party: Party, path: list[Step], seen: frozenset[str]) -> None:
        if len(path) >= MAX_DEPTH:
            return
        for st in g.up(party):
            if current_only and not st.current(g.on):
                continue
            if st.owner.ref in seen or st.owner.keys & party.keys:
                continue
            chain = [*path, st]
            if st.owner.listed:
                out.append(Chain(chain))
            walk(st.owner, chain, seen | {st.owner.ref})

    walk(start, [], frozenset({start.ref}))
    return out


def subsidiaries(
    store: Store, source_id: str, entity_id: str, *, on: Any = None, current_only: bool = False
) -> list[Chain]:
    """The chains from an entity down to every party it owns, directly or not; each
    chain's steps run from the entity down (``steps[-1].child`` is the subsidiary)."""
    g = Graph(store, day(on))
    start = g.start(source_id, entity_id)
    out: list[Chain] = []

    def walk(party: Party, path: list[Step], seen: frozenset[str]) -> None:
        if len(path) >= MAX_DEPTH:
            return
        for st in g.down(party):
            if current_only and not st.current(g.on):
                continue
            if st.child.ref in seen or st.child.keys & party.keys:
                continue
            chain = [*path, st]
            out.append(Chain(chain))
            walk(st.child, chain, seen | {st.child.ref})

    walk(start, [], frozenset({start.ref}))
    return out


def has_owners(
    store: Store, source_id: str, entity_id: str, children: Container[str] | None = None
) -> bool:
    """True when some link (current or ended) runs from the entity up: the cheap test a
    screening stage makes before it assesses the entity (ownership nodes always have one).
    ``children`` are the graph's child keys (:func:`child_keys`), when the caller holds
    them: the test is then one read of the entity's names."""
    names = store.entity_names(source_id, entity_id)
    if not names:
        return False
    keys = entity_keys(source_id, entity_id, names)
    if children is not None:
        return any(k in children for k in keys)
    return has_key(store, keys, "child")


CHILD_KEYS_HELD = 1_000_000  # a graph with more child keys is asked key by key


def child_keys(store: Store) -> frozenset[str] | None:
    """Every key an edge's child is known by (``None`` for a graph of more than
    ``CHILD_KEYS_HELD``): what :func:`has_owners` tests an entity's keys against."""
    rows = store.conn.execute(
        "select key from ownership_keys where role = 'child' limit ?", [CHILD_KEYS_HELD + 1]
    ).fetchall()
    return frozenset(k for (k,) in rows) if len(rows) <= CHILD_KEYS_HELD else None


def list_code(name: str) -> str:
    """A list's name reduced to what the rules' ``owners_on`` compare: ``SDN``,
    ``EL`` (Entity List), ``MEU``, ``MIEU``, ``NS-CMIC``, else the name case-folded.
    The CSL's "Entity List (EL)" and the curated "Entity List" are the same list; the
    non-SDN lists are not the SDN list."""
    n = name.casefold()
    if "non-sdn" in n or "cmic" in n:
        return "NS-CMIC"
    if "entity list" in n:
        return "EL"
    if "intelligence end" in n or re.search(r"\bmieu\b", n):
        return "MIEU"
    if "military end user" in n or "military end-user" in n or re.search(r"\bmeu\b", n):
        return "MEU"
    if "specially designated nationals" in n or re.search(r"\bsdn\b", n):
        return "SDN"
    return " ".join(n.split())


# -- the walk --------------------------------------------------------------------------


def day(on: Any) -> str:
    if on is None:
        return dt.date.today().isoformat()
    if isinstance(on, dt.date):
        return on.isoformat()
    text = str(on)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise InputError(f"'{on}' is not a date (YYYY-MM-DD)") from None


class Graph:
    """The graph as seen from one store on one day, with the parties it resolved."""

    def __init__(self, store: Store, on: str):
        self.store = store
        self.on = on
        self._entities: dict[tuple[str, str], Entity | None] = {}
        self._named: dict[str, list[Entity]] = {}
        self._up: dict[str, list[Step]] = {}
        self._down: dict[str, list[Step]] = {}

    def start(self, source_id: str, entity_id: str) -> Party:
        e = self.entity(source_id, entity_id)
        if e is None:
            raise InputError(f"no entity '{entity_id}' in the active version of '{source_id}'")
        return self.party([e])

    def entity(self, source_id: str, entity_id: str) -> Entity | None:
        key = (source_id, entity_id)
        if key not in self._entities:
            self._entities[key] = self.store.entity(source_id, entity_id)
        return self._entities[key]

    def named(self, name: str) -> list[Entity]:
        if name not in self._named:
            self._named[name] = self.store.entities_named([name])
        return self._named[name]

    def party(self, ents: list[Entity], prefer_list: str | None = None) -> Party:
        """One party for entities that are the same (the same name in two lists): the
        first is the one shown; listings and keys are merged."""
        listed = [e for e in ents if e.extra.get("source_id") != NODE_SOURCE]
        if prefer_list:
            code = list_code(prefer_list)
            listed.sort(key=lambda e: not any(list_code(x.list) == code for x in e.listings))
        ordered = listed or ents
        main = ordered[0]
        keys: set[str] = set()
        listings: list[ListingDict] = []
        for e in ordered:
            keys |= entity_keys(e.extra["source_id"], e.id, [n.name for n in e.all_names()])
            for x in e.listings or []:
                d = vars(x) if not isinstance(x, dict) else x
                if all(
                    (d["list"], d.get("citation")) != (y["list"], y.get("citation"))
                    for y in listings
                ):
                    listings.append(cast(ListingDict, dict(d)))
        if main.extra.get("source_id") != NODE_SOURCE and not listings and main.sub_list:
            listings.append(
                {
                    "list": main.sub_list,
                    "citation": main.citation,
                    "listed_on": main.listed_on,
                    "in_force": True,
                    "source_url": main.source_url,
                }
            )
        return Party(
            name=main.name,
            source_id=main.extra["source_id"],
            entity_id=main.id,
            listed=bool(listed),
            listings=listings,
            keys=frozenset(keys),
        )

    def owner_of(self, row: dict[str, Any]) -> Party:
        if row["owner_source_id"] and row["owner_entity_id"]:
            e = self.entity(row["owner_source_id"], row["owner_entity_id"])
            if e is not None:
                more = self.named(e.name) if e.extra.get("source_id") != NODE_SOURCE else []
                return self.party(
                    [
                        e,
                        *[
                            x
                            for x in more
                            if x.id != e.id or x.extra["source_id"] != e.extra["source_id"]
                        ],
                    ]
                )
        if row["owner_key"]:
            e = self.entity(NODE_SOURCE, row["owner_key"])
            if e is not None:
                return self.party([*self.named(e.name), e])
        name = row["owner_name"] or row["owner_entity_id"] or row["owner_key"] or "?"
        ents = self.named(name)
        if ents:
            return self.party(ents, prefer_list=row["owner_list"])
        keys = entity_keys("name", name, [name])
        return Party(name=name, keys=frozenset(keys))

    def child_of(self, row: dict[str, Any]) -> Party:
        if row["child_source_id"] and row["child_entity_id"]:
            e = self.entity(row["child_source_id"], row["child_entity_id"])
            if e is not None:
                return self.party([e])
        ents = self.named(row["child_name"])
        node = self.entity(NODE_SOURCE, row["child_key"])
        if ents or node:
            return self.party([*ents, *([node] if node and node not in ents else [])])
        return Party(
            name=row["child_name"],
            keys=frozenset(entity_keys(NODE_SOURCE, row["child_key"], [row["child_name"]])),
        )

    def up(self, party: Party) -> list[Step]:
        if party.ref not in self._up:
            self._up[party.ref] = [
                Step(row_link(r), r["origin"], r["origin_id"], party, self.owner_of(r))
                for r in edges_by_key(self.store, party.keys, "child")
            ]
        return self._up[party.ref]

    def down(self, party: Party) -> list[Step]:
        if party.ref not in self._down:
            self._down[party.ref] = [
                Step(row_link(r), r["origin"], r["origin_id"], self.child_of(r), party)
                for r in edges_by_key(self.store, party.keys, "owner")
            ]
        return self._down[party.ref]


def reachable(g: Graph, start: Party) -> list[Step]:
    """Every current link above ``start`` (each once)."""
    out, todo, seen = [], [start], {start.ref}
    while todo and len(seen) < 200:
        p = todo.pop()
        for st in g.up(p):
            if st.current(g.on) and st.owner.ref not in seen:
                seen.add(st.owner.ref)
                out.append(st)
                todo.append(st.owner)
    return out


def shadowed(store: Store, hits: list[tuple[str, str, float]]) -> set[tuple[str, str]]:
    """The ownership-node hits, among one query's ``hits`` (source id, entity id, score),
    that only echo an owner the same query hit at least as well: "Zhejiang Dahua
    Technology Co., Ltd." scores 1.00 on Dahua and 0.92 on the node "Dahua Technology USA
    Inc."; the query names the owner, not its former subsidiary. A screening stage may
    drop them (or show them under the owner's hit)."""
    g = Graph(store, dt.date.today().isoformat())
    others = [(f"e:{s}:{e}", sc) for s, e, sc in hits if s != NODE_SOURCE]
    out = set()
    for s, e, score in hits:
        if s != NODE_SOURCE or g.entity(s, e) is None:
            continue
        above: set[str] = set()
        todo, seen = [g.start(s, e)], set[str]()
        while todo and len(seen) < 200:
            p = todo.pop()
            for st in g.up(p):
                if st.owner.ref not in seen:
                    seen.add(st.owner.ref)
                    above |= st.owner.keys
                    todo.append(st.owner)
        if any(ref in above and sc >= score for ref, sc in others):
            out.add((s, e))
    return out
