"""The steps after matching, in one ordered list, the same for every caller.

1. **Country and date-of-birth evidence** (:mod:`screener.matching.country`): they move
   scores a little, then the threshold cuts. They come first because they move scores;
   the matcher screened down to the threshold less their bonuses for them.
2. The matcher's hits become :class:`~screener.screening.results.ScreenHit` (typed,
   with provenance).
3. Each further stage of the service, in order (ownership, parties, reviewers' decisions), takes
   the hits of one query and returns them annotated: a stage may add hits or change a
   hit's ``status`` and ``extra``, never drop one silently. A stage that keeps what it
   read from the store may have a ``reset()``: the service calls it when it loads new
   list versions, so that a long-lived service (the HTTP server) never answers from
   data of the versions it replaced. A stage may also have a ``token()``: a value that
   changes whenever the stage may treat the same hits differently (a decision was
   recorded, a new day began). When every stage has one, the service remembers each
   query's finished hits with the list snapshot until a token changes.

**Ownership** (:func:`ownership_stage`): a hit on a company that listed parties own or
control (an ownership node: EZVIZ, Hikrobot, Nanjing LES) becomes a hit on them: its
relation is ``owned-by`` (50% or more held by listed parties, added up along chains),
``unit`` or ``brand``, it carries the listed owners' listings, and
``extra["ownership"]`` names the owners, the chains with their shares and sources, and
the rules that make it matter (OFAC's 50% rule, the BIS Affiliates rule with its status
that day). A share known to be under 50% is ``related``: a red flag, kept only when the
query asks for it (``Query.related``), or when the company is not listed itself and a
listed party controls it (a consolidated subsidiary: "Imou", Dahua's at 32.7%; hidden,
it would be cleared). A subsidiary whose share no source publishes is ``related`` too,
and kept (the tool fails closed: "Futurewei" is Huawei's, in a share nobody states). A node hit that only echoes an owner the query named at least as well is
left out (the query names the owner). A hit on a listed entity that listed parties own
keeps its relation and gets the same ``extra["ownership"]``, and its owners are hits
too, by the same rule (a listed unit is the party itself and a unit of its group: "CETC
14" is also CETC's), unless the query found them already.

Every stage keeps the hits in the one order (:func:`~screener.screening.results.ranked`):
how surely each is the party (``same``, then ``unit``, then ``owned-by``...), then how
severe its listing is, then its score. The CLI, the files (the one-line row of a CSV or
XLSX, the report's headline) and the HTTP API (``/check``, ``/match``) all show the first
of them first.

**Parties** (:func:`screener.screening.party_hits.parties_stage`, after ownership, so that
the hits ownership makes on an owner join its party): the hits on the records of one
party (:mod:`screener.screening.parties`: CETC's curated entry, its OFAC, 1260H and ASPI
records) become one hit, carrying every listing of every record and ``extra["party"]``
(its id and records). This is the one place hits are merged; every face shows its result.

**Reviewers' decisions** (:func:`decisions_stage`, after ownership, so that they also
apply to the hits ownership makes; :mod:`screener.screening.decisions`): a hit whose party and
entity have a decision carries it in ``extra["decision"]`` (id, kind, reason, reviewer,
time). A ``false-positive`` or ``cleared`` decision makes the
hit ``suppressed``, unless the entity's listing changed since the decision (a new
listing, changed names, a listing ended or removed): then it is ``review-again`` and
``extra["decision"]["changes"]`` says what changed. ``confirmed``, ``escalated`` and
``declined`` leave the hit a ``hit`` (with ``changes`` too when the listing changed).
The hit is always kept. On a party's hit, a decision on any of its records holds, and a
record that joined the party since the decision makes it ``review-again`` with the new
listing in ``changes``, whatever its kind.

:func:`default_stages` is the one list every service gets unless it is given another
(``Screener.open``, the CLI, and so checks, batches, re-screenings and the HTTP API).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from typing import Any

from screener.db import decisions
from screener.db.ownership_graph import Graph, child_keys, has_owners, shadowed
from screener.db.store import Store
from screener.matching.country import apply_country
from screener.matching.groups import is_group_hit
from screener.matching.hit import Hit
from screener.matching.normalize import name_key
from screener.model import Found
from screener.screening.decisions import apply_decision
from screener.screening.ownership import assess
from screener.screening.party_hits import decision_for, parties_stage
from screener.screening.results import ScreenHit, ranked


@dataclass(frozen=True, slots=True)
class Query:
    """What a party was screened with."""

    name: str
    country: str | None  # ISO alpha-2, lower case, already checked
    threshold: float
    related: bool = False  # keep hits on companies listed parties own under 50%
    dob: str | None = None  # date of birth of a person: YYYY, YYYY-MM or YYYY-MM-DD


Stage = Callable[[list[ScreenHit], Query], list[ScreenHit]]


def finish(hits: list[Hit], query: Query, stages: Sequence[Stage] = ()) -> list[ScreenHit]:
    """The hits of one query after every step above, in the one order (:func:`ranked`)."""
    kept = apply_country(hits, query.country, query.threshold, query.dob)
    return run_stages([ScreenHit.from_match(h) for h in kept], query, stages)


def run_stages(
    hits: list[ScreenHit], query: Query, stages: Sequence[Stage] = ()
) -> list[ScreenHit]:
    """Step 3: the typed hits that steps 1 and 2 made, through every stage in order.

    A stage's answer depends on the query's name and ``related`` flag and on the hits,
    never on the query's country or date of birth: those act through step 1 only. So a
    batch runs the stages once for every set of hits a name's countries and dates leave
    (:mod:`screener.screening.rows`)."""
    for stage in stages:
        hits = stage(hits, query)
    return ranked(hits)


OWNERSHIP_SOURCE = "screener-ownership"


def ownership_stage(store: Store) -> Stage:
    """The ownership stage over ``store``'s graph (see the module docstring). What it
    reads from the store is kept until ``reset()`` (new list versions) or the next day
    (a rule's status depends on the day); the echoes of a query's hits are kept too, as
    a server screens the same names again and again."""
    cache: dict[tuple[str, str], Any] = {}
    names: dict[str | None, str | None] = {}
    echoes: dict[tuple[tuple[str, str, float], ...], set[tuple[str, str]]] = {}
    children: list[Container[str] | None] = []  # the graph's child keys, read once
    # the graph the assessments read through, that day: what it read of the store (an
    # owner, its other listings, its links) is read once for all the companies it owns
    graphs: list[Graph] = []
    day = [dt.date.today()]

    def reset() -> None:
        cache.clear()
        names.clear()
        echoes.clear()
        children.clear()
        graphs.clear()
        day[0] = dt.date.today()

    def source_name(source_id: str | None) -> str | None:
        if source_id not in names:
            row = store.source(source_id) if source_id else None
            names[source_id] = row["name"] if row else None
        return names[source_id]

    def assessed(source_id: str, entity_id: str) -> Any:
        key = (source_id, entity_id)
        if key not in cache:
            node = source_id == OWNERSHIP_SOURCE
            if not node and not children:
                children.append(child_keys(store))
            if node or has_owners(store, source_id, entity_id, children[0]):
                if not graphs:
                    graphs.append(Graph(store, day[0].isoformat()))
                cache[key] = assess(store, source_id, entity_id, graph=graphs[0])
            else:
                cache[key] = None
        return cache[key]

    def stage(hits: list[ScreenHit], query: Query) -> list[ScreenHit]:
        if not hits:
            return hits
        if day[0] != dt.date.today() or len(echoes) > 100_000:
            reset()
        echo: set[tuple[str, str]] = set()
        if any(h.source_id == OWNERSHIP_SOURCE for h in hits):
            key = tuple((h.source_id or "", h.entity_id, h.score) for h in hits)
            known = echoes.get(key)
            echo = (
                known if known is not None else echoes.setdefault(key, shadowed(store, list(key)))
            )
        out = []
        owners: list[ScreenHit] = []  # the owners of listed entities found
        named: dict[tuple[str | None, str], float] = {}  # owners of the companies found
        made: set[int] = set()  # the hits made on those owners
        for h in hits:
            a = assessed(h.source_id or "", h.entity_id)
            if h.source_id != OWNERSHIP_SOURCE:
                if a is not None and a.relation:
                    h.extra["ownership"] = a.as_dict()
                    if _shown(a, query, node=False):
                        owners.extend(_as_owned(h, a, source_name))
                out.append(h)
                continue
            if (h.source_id, h.entity_id) in echo or a is None or a.relation is None:
                continue  # an ended link, or the owner itself was named
            if not _shown(a, query, node=True):
                continue
            owned = _as_owned(h, a, source_name)
            for x in owned:
                ref = (x.source_id, x.entity_id)
                named[ref] = max(named.get(ref, 0.0), x.score)
                made.add(id(x))
            out.extend(owned)
        if named:
            # a documented link says more than a name's form: "Hikvision USA, Inc." is
            # Hikvision's wholly owned subsidiary, not only a unit named after it
            out = [h for h in out if not _echoed(h, named, made)]
        if owners:
            found = {(h.source_id, h.entity_id) for h in out}
            for x in sorted(owners, key=lambda x: -x.score):
                if (x.source_id, x.entity_id) not in found:
                    found.add((x.source_id, x.entity_id))
                    out.append(x)
        return out

    stage.reset = reset  # type: ignore[attr-defined]
    # a rule's status is by day
    stage.token = dt.date.today  # type: ignore[attr-defined]
    return stage


def _echoed(h: ScreenHit, named: dict[tuple[str | None, str], float], made: set[int]) -> bool:
    """A hit that says by a name's form (a unit named after it, a group's prefix) what an
    owner hit of the same entity says from a documented link, at least as surely."""
    best = named.get((h.source_id, h.entity_id))
    if best is None or h.source_id == OWNERSHIP_SOURCE or id(h) in made:
        return False
    return is_group_hit(h.evidence) or (h.relation == "unit" and h.score <= best)


def _shown(a: Any, query: Query, node: bool) -> bool:
    """Whether an owner's link makes a hit: ``owned-by``, ``unit``, ``brand``; ``related``
    when the query asks for it, when no source publishes the share, or (for a company
    not listed itself, a ``node``) when a listed owner controls it (see above)."""
    if a.relation != "related" or query.related or not a.share_published:
        return True
    return node and any(c.steps and c.steps[0].link.controlled for c in a.chains)


def _as_owned(
    h: ScreenHit, a: Any, source_name: Callable[[str | None], str | None]
) -> list[ScreenHit]:
    """The hit on an ownership node, made one hit on each of its listed owners: the listed
    entity is the owner (its name, entry and listings); the name that matched is the
    company's; ``extra["ownership"]`` says how the two are tied, with sources."""
    out = []
    share = f"{a.share:g}%" if a.share is not None else "share not published"
    rules = "; ".join(r["name"] for r in a.rules if r.get("applies"))
    for o in a.owners or []:
        x = replace(h, extra=dict(h.extra))
        x.entity_id, x.name, x.source_id = o.entity_id, o.name, o.source_id
        x.name_key = name_key(o.name)
        x.source_name, x.version_id = source_name(o.source_id), None
        x.relation = a.relation
        x.listings = list(o.listings)
        x.parent = None
        main = next(
            (ls for ls in x.listings if ls.get("in_force", True)),
            x.listings[0] if x.listings else None,
        )
        if main:
            x.list, x.citation, x.listed_on = (
                main.get("list"),
                main.get("citation"),
                main.get("listed_on"),
            )
            x.end_date = main.get("end_date")
            x.license_requirement = main.get("license_requirement")
            x.license_policy = main.get("license_policy")
            x.source_url = main.get("source_url")
        x.explanation += f"; {h.name} is {a.relation} {o.name} ({share})" + (
            f": {rules}" if rules else ""
        )
        x.extra["ownership"] = a.as_dict()
        out.append(x)
    return out


def found_of(hit: ScreenHit) -> Found:
    """What a screened hit says about ownership (:func:`screener.screening.ownership.explain`):
    its entity, score and relation, and the ownership node it came through when a hit on
    a company listed parties own became a hit on its owner."""
    node = (hit.extra.get("ownership") or {}).get("entity") or {}
    via = None
    if node.get("source_id") == OWNERSHIP_SOURCE and (node.get("entity_id") != hit.entity_id):
        via = (str(node["source_id"]), str(node["entity_id"]))
    return Found(str(hit.source_id or ""), hit.entity_id, hit.score, hit.relation, via, hit.name)


def default_stages(store: Store) -> list[Stage]:
    """The stages every caller gets, in order: ownership, parties (one hit per party:
    :func:`screener.screening.parties.parties_stage`), then reviewers' decisions."""
    return [ownership_stage(store), parties_stage(store), decisions_stage(store)]


def decisions_stage(store: Store) -> Stage:
    """The reviewers' decisions applied to each hit (see the module docstring).

    Decisions in force are read once and again only when a new one was recorded (one
    cheap query per party with hits), so a long-lived service sees decisions made while
    it runs.
    """
    cache: dict[str, Any] = {"last": None, "latest": {}}

    def stage(hits: list[ScreenHit], query: Query) -> list[ScreenHit]:
        if not hits:
            return hits
        last = decisions.last_id(store)
        if last is None:
            return hits
        if last != cache["last"]:
            cache["latest"], cache["last"] = decisions.latest_by_key(store), last
        latest = cache["latest"]
        key = name_key(query.name)
        for hit in hits:
            found = decision_for(latest, key, hit)  # on any record of the hit's party
            if found is not None:
                apply_decision(store, hit, found)
        return hits

    stage.token = lambda: decisions.last_id(store)  # type: ignore[attr-defined]
    return stage
