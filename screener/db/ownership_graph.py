"""Walk the ownership graph: chains up to listed owners, chains down, and the relation
of an entity to the listed parties that own it.

    from screener.db.ownership_graph import assess, owners, subsidiaries
    a = assess(store, "screener-ownership", "hangzhou-ezviz-network-co-ltd")
    a.relation            # "owned-by": Hikvision controls it, its share is not published
    a.rules[0]["status"]  # the BIS Affiliates rule's status on that day, with its source

**Relations** (:func:`assess`), from the links current on the day asked about (a
link whose ``end_date`` has passed does not count, and a note says so):

- ``unit``: the entity is a unit or branch of a listed party (or of a party owned by
  listed parties);
- ``brand``: it is a brand or a former name of one;
- ``owned-by``: listed parties hold 50% or more of it in the aggregate; parallel
  holdings add up, and an owner that is itself owned 50% or more by listed parties
  counts as listed, so its holding counts in full (OFAC FAQ 401: "Blocked Person X
  owns 50 percent of Entity A, and Entity A owns 50 percent of Entity B. Entity B is
  considered to be blocked"). A ``controlled`` subsidiary whose share is not
  published counts as ``owned-by`` too, with a note: the 50% rules turn on ownership,
  not control (OFAC FAQ 398);
- ``related``: listed parties hold 10% to under 50%, or a share that is not known;
- None: nothing listed holds 10% or more.

Each chain also carries its **effective share**, the shares multiplied along it
(Hikvision's 60% of Hikrobot under CETC's 40.46% of Hikvision is 24.3%), for the
reader; the relation follows the rule above.

**Rules**: the ownership rules stored with the bundled file (OFAC's 50 Percent Rule,
the BIS Affiliates rule) each name the lists whose parties count. For each rule the
relation is worked out again with only those owners, and the rule's status on the
day comes from its dated periods (data, with sources), never from code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from screener.db.ownership import NODE_SOURCE, edges_by_key, entity_keys, has_key, row_link, rules
from screener.db.store import Store
from screener.errors import InputError
from screener.model import Entity, OwnershipLink, OwnershipRule

OWNED_BY_SHARE = 50.0  # percent held by listed parties, in the aggregate (both rules)
RELATED_SHARE = 10.0  # a holding from here to under 50% is a red flag, not a hit
MAX_DEPTH = 8  # links followed from one entity; real chains here have at most 4
COUNTING = ("listed", "owned-by", "unit", "brand")  # a party whose holdings count


@dataclass
class Party:
    """A party of the graph: a listed entry, a node (an unlisted child), or a bare name."""

    name: str
    source_id: str | None = None
    entity_id: str | None = None
    listed: bool = False  # an entry of a loaded list (not an ownership node)
    listings: list[dict[str, Any]] = field(default_factory=list)
    keys: frozenset[str] = frozenset()

    @property
    def ref(self) -> str:
        return f"{self.source_id}:{self.entity_id}" if self.entity_id else f"name:{self.name}"

    @property
    def lists(self) -> list[str]:
        """The lists it is on (listings in force), in order, without repeats."""
        return list(dict.fromkeys(x["list"] for x in self.listings if x.get("in_force", True)))

    def as_dict(self) -> dict[str, Any]:
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

    def as_dict(self) -> dict[str, Any]:
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

    def as_dict(self) -> dict[str, Any]:
        return {"steps": [s.as_dict() for s in self.steps], "effective_share": self.effective_share}


@dataclass
class Assessment:
    """What screening needs to know about an entity's listed owners on one day."""

    entity: Party
    on: str
    relation: str | None  # owned-by, unit, brand, related, or None
    owners: list[Party]  # the nearest listed owner on each chain that matters
    share: float | None  # percent held by listed (or listed-owned) parties, when published
    share_published: bool  # False when a holding that counts has no published share
    chains: list[Chain]  # current chains up to listed owners
    rules: list[dict[str, Any]]  # the rules that make the relation matter, with status
    notes: list[str]
    ended: list[Step]  # links that ended before ``on`` and no longer count

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity.as_dict(),
            "on": self.on,
            "relation": self.relation,
            "owners": [o.as_dict() for o in self.owners],
            "share": self.share,
            "share_published": self.share_published,
            "chains": [c.as_dict() for c in self.chains],
            "rules": self.rules,
            "notes": self.notes,
            "ended": [s.as_dict() for s in self.ended],
        }


# -- public functions ------------------------------------------------------------------


def owners(
    store: Store, source_id: str, entity_id: str, *, on: Any = None, current_only: bool = False
) -> list[Chain]:
    """The chains from an entity up to each listed owner (a chain goes on past a listed
    owner to that owner's own listed owners). With ``current_only``, links ended
    before ``on`` (default today) are left out."""
    g = _Graph(store, _day(on))
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
    g = _Graph(store, _day(on))
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


def assess(store: Store, source_id: str, entity_id: str, *, on: Any = None) -> Assessment:
    """The relation of an entity to the listed parties that own it, on ``on`` (a date
    or ISO string; default today): relation, listed owners, chains, shares and their
    sources, and each ownership rule that makes it matter with its status that day."""
    g = _Graph(store, _day(on))
    start = g.start(source_id, entity_id)
    verdicts = _Verdicts(g, lambda p: p.listed)
    verdict = verdicts.of(start)
    chains = list(owners(store, source_id, entity_id, on=g.on, current_only=True))
    nearest: dict[str, Party] = {}
    for c in chains:
        first = next(s.owner for s in c.steps if s.owner.listed)
        nearest.setdefault(first.ref, first)
    notes = list(verdict.notes)
    for v in verdicts.counting():  # why an owner above counts (its control, not a share)
        notes += [n for n in v.notes if n not in notes]
    ended = [st for st in g.up(start) if not st.current(g.on)]
    for st in ended:
        notes.append(
            f"the link {st.child.name} -> {st.owner.name} ended on "
            f"{st.link.end_date} and no longer counts (source: {st.link.source})"
        )
    return Assessment(
        entity=start,
        on=g.on,
        relation=verdict.relation,
        owners=list(nearest.values()),
        share=verdict.share,
        share_published=verdict.share_published,
        chains=chains,
        rules=_rules(g, start, rules(store)),
        notes=notes,
        ended=ended,
    )


def has_owners(store: Store, source_id: str, entity_id: str) -> bool:
    """True when some link (current or ended) runs from the entity up: the cheap test a
    screening stage makes before :func:`assess` (ownership nodes always have one)."""
    names = store.entity_names(source_id, entity_id)
    return bool(names) and has_key(store, entity_keys(source_id, entity_id, names), "child")


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


def _day(on: Any) -> str:
    if on is None:
        return dt.date.today().isoformat()
    if isinstance(on, dt.date):
        return on.isoformat()
    text = str(on)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise InputError(f"'{on}' is not a date (YYYY-MM-DD)") from None


class _Graph:
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
        listings: list[dict[str, Any]] = []
        for e in ordered:
            keys |= entity_keys(e.extra["source_id"], e.id, [n.name for n in e.all_names()])
            for x in e.listings or []:
                d = vars(x) if not isinstance(x, dict) else x
                if all(
                    (d["list"], d.get("citation")) != (y["list"], y.get("citation"))
                    for y in listings
                ):
                    listings.append(dict(d))
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


@dataclass
class _Verdict:
    relation: str | None
    share: float | None = None
    share_published: bool = True
    notes: list[str] = field(default_factory=list)


class _Verdicts:
    """The relation of each party to the parties ``counts`` accepts (listed ones, or
    those on one rule's lists), worked out once per party."""

    def __init__(self, graph: _Graph, counts: Callable[[Party], bool]):
        self.g = graph
        self.counts = counts
        self._memo: dict[str, _Verdict] = {}
        self._busy: set[str] = set()

    def counting(self) -> list[_Verdict]:
        """The verdicts worked out on the way that made a party count as listed-owned."""
        return [v for v in self._memo.values() if v.relation in COUNTING]

    def status(self, party: Party) -> str | None:
        if self.counts(party):
            return "listed"
        return self.of(party).relation

    def of(self, party: Party) -> _Verdict:
        if party.ref in self._memo:
            return self._memo[party.ref]
        if party.ref in self._busy or len(self._busy) >= MAX_DEPTH:
            return _Verdict(None)  # a cycle, or deeper than any real chain
        self._busy.add(party.ref)
        try:
            v = self._work(party)
        finally:
            self._busy.discard(party.ref)
        self._memo[party.ref] = v
        return v

    def _work(self, party: Party) -> _Verdict:
        units: list[Step] = []
        brands: list[Step] = []
        notes: list[str] = []
        unpublished_control: list[Step] = []
        held, unknown, related = 0.0, False, False
        known = False
        for st in self.g.up(party):
            if not st.current(self.g.on) or st.owner.keys & party.keys:
                continue
            s = self.status(st.owner)
            lk = st.link
            if s in COUNTING:
                if lk.kind in ("unit", "branch"):
                    units.append(st)
                elif lk.kind in ("brand", "former-name"):
                    brands.append(st)
                elif lk.share is not None:
                    held += lk.share
                    known = True
                elif lk.controlled:
                    unpublished_control.append(st)
                else:
                    unknown = True
            elif s == "related" and (lk.share is None or lk.share >= RELATED_SHARE):
                related = True
        held = round(min(held, 100.0), 4)
        if units:
            return _Verdict("unit", held if known else None, True, notes)
        if brands:
            return _Verdict("brand", held if known else None, True, notes)
        if held >= OWNED_BY_SHARE:
            return _Verdict("owned-by", held, True, notes)
        if unpublished_control:
            owners_ = ", ".join(dict.fromkeys(st.owner.name for st in unpublished_control))
            notes.append(
                f"{party.name} is controlled by {owners_}, which the source names as "
                "its controlling shareholder, but the share is not published; the 50% "
                "rules turn on ownership, not control (OFAC FAQ 398), so confirm the "
                "share"
            )
            return _Verdict("owned-by", held if known else None, False, notes)
        if held >= RELATED_SHARE or unknown or related:
            if unknown:
                notes.append(f"a listed owner's share of {party.name} is not published")
            return _Verdict("related", held if known else None, not unknown, notes)
        return _Verdict(None, held if known else None, True, notes)


def _rules(g: _Graph, start: Party, rule_list: list[OwnershipRule]) -> list[dict[str, Any]]:
    """Each rule whose owners reach the entity, with whether it applies and its status."""
    out = []
    for rule in rule_list:
        codes = {list_code(x) for x in rule.owners_on}

        def on_rule_lists(p: Party, codes: set[str] = codes) -> bool:
            return p.listed and any(list_code(x) in codes for x in p.lists)

        v = _Verdicts(g, on_rule_lists).of(start)
        if v.relation is None:
            continue
        status = rule.status_on(g.on)
        named = [s.owner.name for s in _reachable(g, start) if on_rule_lists(s.owner)]
        out.append(
            {
                "id": rule.id,
                "name": rule.name,
                "authority": rule.authority,
                "citation": rule.citation,
                "source": rule.source,
                "threshold": rule.threshold,
                "owners_on": list(rule.owners_on),
                "owners": list(dict.fromkeys(named)),
                "applies": v.relation in ("owned-by", "unit", "brand"),
                "relation": v.relation,
                "status": None
                if status is None
                else {
                    "status": status.status,
                    "from": status.start,
                    "to": status.end,
                    "citation": status.citation,
                    "source": status.source,
                    "checked_on": status.checked_on,
                    "note": status.note,
                },
            }
        )
    return out


def _reachable(g: _Graph, start: Party) -> list[Step]:
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
    g = _Graph(store, dt.date.today().isoformat())
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
