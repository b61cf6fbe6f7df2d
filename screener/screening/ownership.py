"""Ownership as screening sees it: the relation of an entity to the listed parties that
own it, and the rules that make that relation matter.

    from screener.screening.ownership import assess
    a = assess(store, "screener-ownership", "hangzhou-ezviz-network-co-ltd")
    a.relation            # "owned-by": Hikvision controls it, its share is not published
    a.rules[0]["status"]  # the BIS Affiliates rule's status on that day, with its source

The store keeps the links and walks them (:mod:`screener.db.ownership_graph`); this
module decides what they mean. The numbers and link kinds are data,
``data/ownership.yaml`` beside this module, each with its source (:data:`POLICY`).

**Relations** (:func:`assess`), from the links current on the day asked about (a
link whose ``end_date`` has passed does not count, and a note says so):

- ``unit``: the entity is a unit or branch of a listed party (or of a party owned by
  listed parties);
- ``brand``: it is a brand or a former name of one;
- ``owned-by``: listed parties hold ``owned_by_share`` (50%) or more of it in the
  aggregate; parallel holdings add up, and an owner that is itself owned that much by
  listed parties counts as listed, so its holding counts in full (OFAC FAQ 401). A
  ``controlled`` subsidiary whose share is not published counts as ``owned-by`` too,
  with a note: the 50% rules turn on ownership, not control (OFAC FAQ 398);
- ``related``: listed parties hold ``related_share`` (10%) to under 50%, or a share
  that is not known;
- None: nothing listed holds 10% or more.

Each chain also carries its **effective share**, the shares multiplied along it
(Hikvision's 60% of Hikrobot under CETC's 40.46% of Hikvision is 24.3%), for the
reader; the relation follows the rule above.

**Rules**: the ownership rules stored with the bundled file (OFAC's 50 Percent Rule,
the BIS Affiliates rule) each name the lists whose parties count and their threshold.
For each rule the relation is worked out again with only those owners, and the rule's
status on the day comes from its dated periods (data, with sources), never from code.

:func:`explain` is what ``screener ownership NAME`` shows: the entities a name screens
to, each with its assessment and its chains up and down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from screener.db.ownership import rules
from screener.db.ownership_graph import (
    MAX_DEPTH,
    Chain,
    Graph,
    Party,
    Step,
    day,
    list_code,
    owners,
    reachable,
    subsidiaries,
)
from screener.db.store import Store
from screener.model import NODE_SOURCE, Found, OwnershipRule
from screener.safe_yaml import load_yaml_file
from screener.shapes import OwnershipDict, RuleDict

DATA = Path(__file__).parent / "data" / "ownership.yaml"


@dataclass(frozen=True)
class Policy:
    """How holdings make a relation (``data/ownership.yaml``, with the source of each)."""

    owned_by_share: float  # percent held by listed parties, in the aggregate
    related_share: float  # a holding from here to under owned_by_share is a red flag
    unit_kinds: frozenset[str]  # link kinds that make the child a unit of its owner
    brand_kinds: frozenset[str]  # ... a brand or former name of it
    counting: frozenset[str]  # an owner's relations under which its holdings count


@cache
def policy() -> Policy:
    """The policy of ``data/ownership.yaml``, read once."""
    d = load_yaml_file(DATA)
    return Policy(
        owned_by_share=float(d["owned_by_share"]),
        related_share=float(d["related_share"]),
        unit_kinds=frozenset(d["unit_kinds"]),
        brand_kinds=frozenset(d["brand_kinds"]),
        counting=frozenset(d["counting"]),
    )


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
    rules: list[RuleDict]  # the rules that make the relation matter, with status
    notes: list[str]
    ended: list[Step]  # links that ended before ``on`` and no longer count

    def as_dict(self) -> OwnershipDict:
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


def assess(
    store: Store, source_id: str, entity_id: str, *, on: Any = None, graph: Graph | None = None
) -> Assessment:
    """The relation of an entity to the listed parties that own it, on ``on`` (a date
    or ISO string; default today): relation, listed owners, chains, shares and their
    sources, and each ownership rule that makes it matter with its status that day.
    ``graph``: the graph of ``store`` to read through, on its own day (``on`` is then
    left aside), shared by a caller that assesses many entities (the ownership stage:
    the owners of a group's companies read once, not once for each company)."""
    g = graph if graph is not None else Graph(store, day(on))
    start = g.start(source_id, entity_id)
    verdicts = Verdicts(g, lambda p: p.listed)
    verdict = verdicts.of(start)
    chains = list(owners(store, source_id, entity_id, current_only=True, graph=g))
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
        rules=applied_rules(g, start, rules(store)),
        notes=notes,
        ended=ended,
    )


@dataclass
class Verdict:
    relation: str | None
    share: float | None = None
    share_published: bool = True
    notes: list[str] = field(default_factory=list)


class Verdicts:
    """The relation of each party to the parties ``counts`` accepts (listed ones, or
    those on one rule's lists), worked out once per party."""

    def __init__(
        self, graph: Graph, counts: Callable[[Party], bool], owned_by_share: float | None = None
    ):
        self.g = graph
        self.counts = counts
        self.policy = policy()
        # a rule's own threshold, else the policy's
        self.owned_by = self.policy.owned_by_share if owned_by_share is None else owned_by_share
        self._memo: dict[str, Verdict] = {}
        self._busy: set[str] = set()

    def counting(self) -> list[Verdict]:
        """The verdicts worked out on the way that made a party count as listed-owned."""
        return [v for v in self._memo.values() if v.relation in self.policy.counting]

    def status(self, party: Party) -> str | None:
        if self.counts(party):
            return "listed"
        return self.of(party).relation

    def of(self, party: Party) -> Verdict:
        if party.ref in self._memo:
            return self._memo[party.ref]
        if party.ref in self._busy or len(self._busy) >= MAX_DEPTH:
            return Verdict(None)  # a cycle, or deeper than any real chain
        self._busy.add(party.ref)
        try:
            v = self._work(party)
        finally:
            self._busy.discard(party.ref)
        self._memo[party.ref] = v
        return v

    def _work(self, party: Party) -> Verdict:
        p = self.policy
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
            if s in p.counting:
                if lk.kind in p.unit_kinds:
                    units.append(st)
                elif lk.kind in p.brand_kinds:
                    brands.append(st)
                elif lk.share is not None:
                    held += lk.share
                    known = True
                elif lk.controlled:
                    unpublished_control.append(st)
                else:
                    unknown = True
            elif s == "related" and (lk.share is None or lk.share >= p.related_share):
                related = True
        held = round(min(held, 100.0), 4)
        if units:
            return Verdict("unit", held if known else None, True, notes)
        if brands:
            return Verdict("brand", held if known else None, True, notes)
        if held >= self.owned_by:
            return Verdict("owned-by", held, True, notes)
        if unpublished_control:
            owners_ = ", ".join(dict.fromkeys(st.owner.name for st in unpublished_control))
            notes.append(
                f"{party.name} is controlled by {owners_}, which the source names as "
                "its controlling shareholder, but the share is not published; the 50% "
                "rules turn on ownership, not control (OFAC FAQ 398), so confirm the "
                "share"
            )
            return Verdict("owned-by", held if known else None, False, notes)
        if held >= p.related_share or unknown or related:
            if unknown:
                notes.append(f"a listed owner's share of {party.name} is not published")
            return Verdict("related", held if known else None, not unknown, notes)
        return Verdict(None, held if known else None, True, notes)


def applied_rules(g: Graph, start: Party, rule_list: list[OwnershipRule]) -> list[RuleDict]:
    """Each rule whose owners reach the entity, with whether it applies and its status."""
    out: list[RuleDict] = []
    for rule in rule_list:
        codes = {list_code(x) for x in rule.owners_on}

        def on_rule_lists(p: Party, codes: set[str] = codes) -> bool:
            return p.listed and any(list_code(x) in codes for x in p.lists)

        v = Verdicts(g, on_rule_lists, rule.threshold).of(start)
        if v.relation is None:
            continue
        status = rule.status_on(g.on)
        named = [s.owner.name for s in reachable(g, start) if on_rule_lists(s.owner)]
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


Matched = tuple[str, str, float]  # an entity a name screens to: source id, entity id, score


def explain(
    store: Store,
    name: str,
    matched: list[Matched],
    *,
    found: list[Found] | None = None,
    on: Any = None,
    limit: int = 3,
) -> dict[str, Any]:
    """What ``screener ownership NAME`` shows: the entities NAME screens to (those at
    the best score, at most ``limit``), each with the party's relation to it, its
    assessment, its chains up to listed owners (ended links included, marked) and its
    chains down.

    ``matched`` are the entities the matcher finds for NAME, before the stages after
    matching (:meth:`~screener.screening.service.Screener.entities`); ``found`` is what
    screening NAME found, as ``check`` finds it (the caller screens it through the
    service, so that the two agree: "Huawei Technologies Australia Pty Ltd" is a *unit*
    of Huawei in both, and a company a listed party owns is explained through its own
    node; :func:`~screener.screening.stages.found_of`). Without ``found`` the relation is
    the matcher's."""
    plain = [Found(s, e, score, None, None) for s, e, score in matched]
    screened = found is not None
    ordered = sorted(plain if found is None else found, key=lambda f: -f.score)
    top = ordered[0].score if ordered else 0.0
    best: list[Found] = []
    seen: set[tuple[str, str]] = set()
    for f in ordered:
        target = f.via or (f.source_id, f.entity_id)
        if f.score >= top - 1e-9 and target not in seen and len(best) < limit:
            seen.add(target)
            best.append(f)
    if screened:
        # a company whose link to a listed owner has ended screens to nothing (Dahua
        # Technology USA, sold in 2024): the view still says why, after what check found
        for f in plain:
            if (
                f.source_id == NODE_SOURCE
                and (f.source_id, f.entity_id) not in seen
                and f.score >= (top if best else 0.0) - 1e-9
                and len(best) < limit + 1
            ):
                seen.add((f.source_id, f.entity_id))
                best.append(f)
    out: list[dict[str, Any]] = []
    for f in best:
        sid, eid = f.via or (f.source_id, f.entity_id)
        a = assess(store, sid, eid, on=on)
        up = owners(store, sid, eid, on=a.on)
        ended_only = [s for s in a.ended if not any(s.link == c.steps[0].link for c in up)]
        # the party's relation to the listed entity, as check gives it; through a node,
        # the node's own relation to its listed owners that day
        relation = a.relation if f.via or f.relation is None else f.relation
        if f.relation is None and relation is None and a.entity.listed:
            relation = "same"
        out.append(
            {
                "source_id": sid,
                "entity_id": eid,
                "score": round(f.score, 4),
                "relation": relation,
                "via": list(f.via) if f.via else None,
                "listed_entity": f.listed_name,
                "assessment": a.as_dict(),
                "up": [c.as_dict() for c in up]
                + [{"steps": [s.as_dict()], "effective_share": None} for s in ended_only],
                "down": [c.as_dict() for c in subsidiaries(store, sid, eid, on=a.on)],
                "involved": a.entity.listed
                or a.relation is not None
                or relation in ("unit", "brand", "owned-by", "related"),
            }
        )
    return {
        "query": name,
        "on": out[0]["assessment"]["on"] if out else None,
        "matches": out,
        "involved": any(m["involved"] for m in out),
    }
