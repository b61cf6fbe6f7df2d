"""Parties: the records of every list that are one organisation (or person), resolved.

The same company sits on several lists: CETC is on the curated list, OFAC's NS-CMIC list,
the DoD 1260H list and ASPI's tracker. :func:`build` resolves the active records into
**parties** and keeps them in the store (:mod:`screener.db.parties`); :func:`ensure` builds
them again whenever the list versions, the judgements or these rules change. Every face
screens parties: :func:`parties_stage` makes the hits on one party one hit.

Records join a party, strongest rule first (a join that breaks a constraint below is
refused, and the records stay apart):

1. ``judgement``: a reviewer said the two records are the same (``screener lists same``).
2. ``cross-reference``: the curated list cites the record (``OFAC cons_prim ent 30936``,
   METI's ``jp-eul-513``).
3. ``identifier``: both carry one identifier: an OFAC entry number (an OFAC record's own;
   a CSL record of an OFAC list), an LEI, a Chinese Unified Social Credit Code, an IMO
   number, a registration or tax number, a passport or national id number, a UN
   reference. Numbers shorter than 6 characters or with fewer than 4 digits are not
   trusted.
4. ``name``: the same **legal name** once normalized (the one pipeline,
   :mod:`screener.matching.normalize`, legal forms set aside, a trailing bracket such as
   "(CETC 13)" left out), and a compatible country (one side has none, or they share
   one). A legal name is an organisation's name of at least two core words that carries
   a legal form (Co., Ltd., Corporation) or names an institution (institute, university,
   bureau...): a brand ("Hikvision"), an abbreviation ("CETC") or a short name ("Dahua
   Technology") never joins. A name that two records of one list carry is ambiguous and
   joins nothing. People never join on a name.

Constraints: a party never holds two records of one list (unless a judgement says so); a
person never joins an organisation, a vessel or an aircraft; two records a reviewer said
are ``different`` never meet; a parent and its unit (CETC and CETC 13) stay two parties,
linked by ownership (``lists/ownership.yaml``, ``groups.yaml``), never merged.

A party's id comes from its most authoritative record: the curated list's id (``cetc``),
else its OFAC entry number (``ofac:30936``), else ``source:entry``; the same records give
the same id in every build.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from screener.db import parties as party_db
from screener.db.parties import BUNDLED_SOURCE, Ref, ref_text, solo_id
from screener.db.store import Store
from screener.errors import InputError
from screener.matching.lazy_re import LazyRe

RULES_VERSION = 1  # a change to the rules below builds every store's parties again
SKIPPED_SOURCES = frozenset({"screener-ownership"})  # ownership nodes are no list's records
RULE_ORDER = ("anchor", "judgement", "cross-reference", "identifier", "name")

# Words that make a name without a legal form an institution's name (normalized tokens).
INSTITUTION_WORDS = frozenset(
    [
        "university",
        "institute",
        "academy",
        "bureau",
        "ministry",
        "college",
        "school",
        "laboratory",
        "center",
        "hospital",
        "corps",
        "department",
        "administration",
        "agency",
        "commission",
        "committee",
        "bank",
        "group",
        "police",
        "army",
        "navy",
        "office",
        "council",
        "authority",
        "association",
        "foundation",
        "society",
        "factory",
        "plant",
        "works",
        "company",
        "corporation",
        "enterprise",
    ]
)
_TRAILING_BRACKET = LazyRe(r"\s*[(\[（][^()\[\]（）]*[)\]）]\s*$")
_CURATED_OFAC = LazyRe(r"OFAC\s+(?:cons_prim|SDN(?:\s+\d{4})?|sdn)\s+ent\s+(\d+)", re.I)
_CURATED_METI = LazyRe(r"\b(jp-eul-\d+)\b")
# Identifier kinds as lists write them -> (class, the value's pattern)
_ID_TYPES: tuple[tuple[str, str], ...] = (
    ("uscc", r"Unified Social Credit Code(?:\s*\(USCC\))?|USCC"),
    ("lei", r"Legal Entity Number|LEI"),
    ("imo", r"Vessel Registration Identification|IMO"),
    ("un", r"UN reference"),
    (
        "registration",
        (
            r"Business Registration (?:Number|Document\s*#?)|Registration (?:ID|Number)|"
            r"Company Number|Commercial Registry Number|Public Registration Number|"
            r"Government Gazette Number|Matricula Mercantil No"
        ),
    ),
    ("tax", r"Tax ID No\.?|V\.A\.T\. Number|NIT\s*#|RUC\s*#|US FEIN"),
    ("passport", r"Passport(?: No\.?)?"),
    ("national-id", r"National ID No\.?|Cedula No\.?|Identification Number"),
)
_ID_RE = LazyRe(
    r"\b(?:"
    + "|".join(f"(?P<{k.replace('-', '_')}>{p})" for k, p in _ID_TYPES)
    + r")[\s,:#]*(?P<value>[A-Z0-9][A-Z0-9\-./]{3,}[A-Z0-9])",
    re.I,
)
_ID_AFTER_RE = LazyRe(  # "1027700167110, Registration ID" (the CSL's 2019 order)
    r"^(?P<value>[A-Z0-9][A-Z0-9\-./]{3,}[A-Z0-9]),\s*(?P<type>.+)$", re.I
)
_ID_LENGTH = {"uscc": 18, "lei": 20, "imo": 7}
_ID_WORDS = {
    "uscc": "USCC",
    "lei": "LEI",
    "imo": "IMO number",
    "un": "UN reference",
    "registration": "registration number",
    "tax": "tax number",
    "passport": "passport number",
    "national-id": "national id number",
    "ofac": "OFAC entry number",
    "meti": "METI End User List entry",
}


@dataclass
class Record:
    ref: Ref
    version_id: int
    schema: str
    countries: set[str]
    ofac: bool  # the record is an OFAC list's own entry (its id is the entry number)
    keys: set[tuple[str, str]] = field(default_factory=set)  # identifiers
    cites: set[tuple[str, str]] = field(default_factory=set)  # curated cross-references
    names: set[str] = field(default_factory=set)  # legal-name keys


@dataclass
class BuildResult:
    key: str
    records: int
    parties: int
    merged: int  # records in parties of several
    seconds: float
    built: bool  # False: the stored build was current


# -- the key of a build ------------------------------------------------------------------------


def build_key(store: Store) -> tuple[str, list[Any]]:
    """What a build depends on: the rules, the active list versions and the judgements."""
    versions = [
        [v["source_id"], v["id"], v["sha256"]]
        for v in store.active_versions()
        if v["source_id"] not in SKIPPED_SOURCES
    ]
    h = hashlib.sha256(f"rules {RULES_VERSION}\n".encode())
    h.update(json.dumps(versions).encode())
    h.update(f"\njudgements {party_db.last_judgement_id(store)}".encode())
    h.update(f"\nownership {_ownership_mark(store)}".encode())
    return h.hexdigest(), versions


def _ownership_mark(store: Store) -> str:
    row = store.conn.execute(
        "select group_concat(id) from ownership_versions where status = 'active'"
    ).fetchone()
    return str(row[0] if row else "")


def ensure(store: Store) -> BuildResult:
    """The parties of the active records: built again when the stored build is not of the
    current list versions, judgements and rules (cheap when it is)."""
    key, versions = build_key(store)
    last = party_db.last_build(store)
    if last is not None and last["key"] == key:
        return BuildResult(
            key, last["records"], last["parties"], last["merged"], last["seconds"], False
        )
    return build(store, key, versions)


# -- reading the records -----------------------------------------------------------------------


def _formats(store: Store) -> dict[str, str]:
    from screener.lists.registry import registry

    known = registry()
    out = {}
    for s in store.sources():
        out[s["id"]] = s.get("format") or (known.get(s["id"]) or {}).get("format") or ""
    return out


def _records(store: Store) -> dict[Ref, Record]:
    from screener.matching.normalize import has_cjk

    formats = _formats(store)
    active = {
        v["id"]: v["source_id"]
        for v in store.active_versions()
        if v["source_id"] not in SKIPPED_SOURCES
    }
    recs: dict[Ref, Record] = {}
    by_version: dict[int, dict[str, Record]] = defaultdict(dict)
    for vid, sid in active.items():
        fmt = formats.get(sid, "")
        for eid, schema, countries, identifiers, remarks, extra, sub_list in store.conn.execute(
            """select id, schema, countries, identifiers, remarks, extra, sub_list
               from entities where version_id = ?""",
            [vid],
        ):
            rec = Record(
                (sid, eid),
                vid,
                schema or "unknown",
                set(json.loads(countries) if countries else []),
                fmt == "ofac" and eid.isdigit(),
            )
            if rec.ofac:
                rec.keys.add(("ofac", eid))
            elif fmt == "csl" or "Treasury" in (sub_list or ""):
                # a CSL record of an OFAC list is numbered as OFAC numbers it
                number = eid.rsplit(":", 1)[-1]
                if number.isdigit() and "Treasury" in (sub_list or ""):
                    rec.keys.add(("ofac", number))
            if fmt == "meti-eul":
                rec.keys.add(("meti", eid))
            ids = json.loads(identifiers) if identifiers else []
            rec.keys |= identifier_keys(ids, remarks or "")
            if sid == BUNDLED_SOURCE and extra:
                cited = " ".join(str(s) for s in (json.loads(extra).get("sources") or []))
                rec.cites |= {("ofac", n) for n in _CURATED_OFAC.findall(cited)}
                rec.cites |= {("meti", m) for m in _CURATED_METI.findall(cited)}
                rec.keys |= identifier_keys([], cited, classes=("uscc", "lei"))
            recs[rec.ref] = rec
            by_version[vid][eid] = rec
    for vid, ents in by_version.items():
        for eid, name in store.conn.execute(
            "select entity_id, name from names where version_id = ? and kind in "
            "('primary', 'alias', 'former')",
            [vid],
        ):
            found = ents.get(eid)
            if found is None or _schema_class(found.schema) != "org" or has_cjk(name):
                continue
            key = legal_name_key(name)
            if key:
                found.names.add(key)
    return recs


def identifier_keys(
    identifiers: list[str], text: str, classes: tuple[str, ...] | None = None
) -> set[tuple[str, str]]:
    """The identifiers a record carries: (class, value), from its identifier list (the
    CSL's "Registration ID, 1027739108649", "1027700167110, Registration ID") and from its
    remarks ("Unified Social Credit Code (USCC) 91110000710929498G (China)")."""
    out: set[tuple[str, str]] = set()
    texts = list(identifiers)
    for item in identifiers:
        m = _ID_AFTER_RE.match(str(item).strip())
        if m:
            texts.append(f"{m['type']} {m['value']}")
    texts.append(text)
    for t in texts:
        for m in _ID_RE.finditer(str(t)):
            cls = next(k for k, _ in _ID_TYPES if m.group(k.replace("-", "_")))
            if classes is not None and cls not in classes:
                continue
            value = re.sub(r"[^A-Z0-9.]", "", m["value"].upper())
            if cls != "un":
                value = value.replace(".", "")
            if _trusted(cls, value):
                out.add((cls, value))
    return out


def _trusted(cls: str, value: str) -> bool:
    need = _ID_LENGTH.get(cls)
    if need is not None:
        return len(value) == need
    if cls == "un":
        return bool(re.fullmatch(r"[A-Z]{2}[A-Z]\.\d+", value))
    return len(value) >= 6 and sum(c.isdigit() for c in value) >= 4


def legal_name_key(name: str) -> str | None:
    """The key two records' legal names share, or None when the name is no legal name
    (see the module docstring): 'China Electronics Technology Group Corporation 13th
    Research Institute (CETC 13)' -> 'china electronic technology group 13 research
    institute'; 'Hikvision' -> None."""
    from screener.matching.normalize import normalize

    base = name
    while True:
        cut = _TRAILING_BRACKET.sub("", base)
        if cut == base or not cut.strip():
            break
        base = cut
    norm = normalize(base)
    if len(norm.tokens) < 2:
        return None
    legal = any(c != "zh" for c in norm.legal)
    if not legal and not INSTITUTION_WORDS.intersection(norm.tokens):
        return None
    return " ".join(norm.tokens)


def _schema_class(schema: str | None) -> str:
    return schema if schema in ("person", "vessel", "aircraft") else "org"


# -- joining -----------------------------------------------------------------------------------


class _Components:
    """Union-find over records, refusing joins that break a constraint."""

    def __init__(self, recs: dict[Ref, Record], apart: set[frozenset[Ref]]):
        self.recs = recs
        self.parent: dict[Ref, Ref] = {}
        self.members: dict[Ref, list[Ref]] = {}
        self.apart = apart
        self.apart_of: dict[Ref, set[Ref]] = defaultdict(set)
        for pair in apart:
            a, b = tuple(pair)
            self.apart_of[a].add(b)
            self.apart_of[b].add(a)
        self.edges: list[tuple[Ref, Ref, str, str]] = []

    def find(self, r: Ref) -> Ref:
        root = r
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(r, r) != root:
            self.parent[r], r = root, self.parent[r]
        return root

    def group(self, r: Ref) -> list[Ref]:
        return self.members.get(self.find(r), [r])

    def join(self, a: Ref, b: Ref, rule: str, detail: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        ga, gb = self.group(ra), self.group(rb)
        if rule != "judgement":
            if {r[0] for r in ga} & {r[0] for r in gb}:
                return False  # two records of one list
            classes = {_schema_class(self.recs[r].schema) for r in ga + gb if r in self.recs}
            if len(classes) > 1:
                return False  # a person and an organisation
        if rule == "name":
            ca = set().union(*(self.recs[r].countries for r in ga))
            cb = set().union(*(self.recs[r].countries for r in gb))
            if ca and cb and not ca & cb:
                return False
        small = set(gb) if len(gb) < len(ga) else set(ga)
        other = ga if small == set(gb) else gb
        if any(self.apart_of.get(r, set()) & set(other) for r in small):
            return False  # a reviewer said these are different
        self.parent[rb] = ra
        self.members[ra] = ga + gb
        self.members.pop(rb, None)
        self.edges.append((a, b, rule, detail))
        return True


def build(store: Store, key: str | None = None, versions: list[Any] | None = None) -> BuildResult:
    """Resolve the active records into parties and store them (see the module docstring)."""
    started = time.perf_counter()
    if key is None or versions is None:
        key, versions = build_key(store)
    recs = _records(store)
    judged = party_db.judgements_in_force(store)
    apart = {pair for pair, j in judged.items() if j["kind"] == "different"}
    apart |= _ownership_pairs(store, recs)
    comps = _Components(recs, apart)
    for pair, j in sorted(judged.items(), key=lambda x: x[1]["id"]):
        a, b = sorted(pair)
        if j["kind"] == "same" and a in recs and b in recs:
            comps.join(a, b, "judgement", f"judgement #{j['id']} by {j['reviewer']}: {j['reason']}")
    by_key: dict[tuple[str, str], list[Ref]] = defaultdict(list)
    for rec in recs.values():
        for k in rec.keys:
            by_key[k].append(rec.ref)
    for rec in sorted(recs.values(), key=lambda r: r.ref):
        for k in sorted(rec.cites):
            for other in by_key.get(k, ()):
                comps.join(rec.ref, other, "cross-reference", f"the curated entry cites {_word(k)}")
    for k, refs in sorted(by_key.items()):
        if len(refs) > 1 and len({r[0] for r in refs}) == len(refs):
            first = min(refs)
            for other in sorted(refs):
                if other != first:
                    comps.join(first, other, "identifier", f"the same {_word(k)}")
    by_name: dict[str, list[Ref]] = defaultdict(list)
    for rec in recs.values():
        for n in rec.names:
            by_name[n].append(rec.ref)
    for n, refs in sorted(by_name.items()):
        if len(refs) < 2 or len({r[0] for r in refs}) != len(refs):
            continue  # one record, or a name two records of one list carry
        first = min(refs)
        for other in sorted(refs):
            if other != first:
                comps.join(first, other, "name", f"the same legal name ({n})")
    rows = _rows(recs, comps)
    parties = len(recs) - len(rows) + len({r[3] for r in rows})
    seconds = time.perf_counter() - started
    party_db.write_build(
        store,
        key,
        rows,
        records=len(recs),
        parties=parties,
        seconds=seconds,
        versions=versions,
    )
    return BuildResult(key, len(recs), parties, len(rows), seconds, True)


def _word(k: tuple[str, str]) -> str:
    return f"{_ID_WORDS.get(k[0], k[0])} {k[1]}"


def _ownership_pairs(store: Store, recs: dict[Ref, Record]) -> set[frozenset[Ref]]:
    """Listed child and listed owner of every ownership link: never one party."""
    out: set[frozenset[Ref]] = set()
    for cs, ce, os_, oe in store.conn.execute(
        """select child_source_id, child_entity_id, owner_source_id, owner_entity_id
           from ownership_edges where child_source_id is not null
           and owner_source_id is not null"""
    ):
        a, b = (cs, ce), (os_, oe)
        if a in recs and b in recs and a != b:
            out.add(frozenset({a, b}))
    return out


def anchor(refs: list[Ref], recs: dict[Ref, Record]) -> Ref:
    """The record a party is named after: the curated list's, else the OFAC entry with
    the lowest number, else the first by source and entry id."""
    curated = [r for r in refs if r[0] == BUNDLED_SOURCE]
    if curated:
        return min(curated)
    ofac = [r for r in refs if recs[r].ofac]
    if ofac:
        return min(ofac, key=lambda r: (int(r[1]), r[0]))
    return min(refs)


def party_id(refs: list[Ref], recs: dict[Ref, Record]) -> str:
    a = anchor(refs, recs)
    return solo_id(a[0], a[1], recs[a].ofac)


def _rows(recs: dict[Ref, Record], comps: _Components) -> list[list[Any]]:
    """The party records of every party of several: each member, the rule that joined it
    and the record it joined through (a walk from the anchor along the joins made)."""
    adjacent: dict[Ref, list[tuple[Ref, str, str]]] = defaultdict(list)
    for a, b, rule, detail in comps.edges:
        adjacent[a].append((b, rule, detail))
        adjacent[b].append((a, rule, detail))
    rows: list[list[Any]] = []
    for members in comps.members.values():
        if len(members) < 2:
            continue
        top = anchor(members, recs)
        pid = solo_id(top[0], top[1], recs[top].ofac)
        seen = {top}
        rows.append([top[0], top[1], recs[top].version_id, pid, "anchor", None, None, None])
        queue = [top]
        while queue:
            here = queue.pop(0)
            for there, rule, detail in adjacent[here]:
                if there in seen:
                    continue
                seen.add(there)
                queue.append(there)
                rows.append(
                    [
                        there[0],
                        there[1],
                        recs[there].version_id,
                        pid,
                        rule,
                        here[0],
                        here[1],
                        detail,
                    ]
                )
    return rows


def explain(row: dict[str, Any]) -> str:
    """Why a record is in its party, in words."""
    if row["rule"] == "anchor":
        return "the record the party is named after"
    via = ref_text((row["via_source"], row["via_entity"]))
    return f"{row['rule']}: {row['detail']} (with {via})"


# -- screening parties -------------------------------------------------------------------------

RELATION_RANK = {"same": 0, "unit": 1, "brand": 2, "owned-by": 2, "related": 3}
TAGS = ("source_id", "entity_id", "version_id")  # what each listing of a party hit names


def parties_stage(store: Store) -> Any:
    """The stage that makes the hits of one query one hit per party (see the module
    docstring of :mod:`screener.screening.stages`). The hit that matched best (the listed
    entity itself before a unit or an owner, then the score, then the record the party is
    named after) heads it; it carries every listing of every record of the party, each
    listing naming its record (``source_id``, ``entity_id``, ``version_id``), the union of
    their programmes and countries, and ``extra["party"]``: the party's ``id`` and its
    ``records`` (source, entry, list version, name, list, why it joined, whether it matched
    the query itself and how well). What it reads from the store is kept until ``reset()``
    (new list versions: the service builds the parties again first)."""
    refs: dict[Ref, str | None] = {}
    held: dict[str, list[dict[str, Any]]] = {}
    formats: dict[str, str] = {}
    judged = [party_db.last_judgement_id(store)]

    def reset() -> None:
        refs.clear()
        held.clear()
        formats.clear()

    def pid_of(ref: Ref) -> str:
        if ref not in refs:
            if len(refs) > 200_000:
                refs.clear()
            refs[ref] = party_db.party_of(store, *ref)
        found = refs[ref]
        if found is not None:
            return found
        if not formats:
            formats.update(_formats(store))
        return solo_id(ref[0], ref[1], formats.get(ref[0]) == "ofac" and ref[1].isdigit())

    def records(pid: str) -> list[dict[str, Any]]:
        if pid in held:
            return held[pid]
        rows = party_db.members(store, pid)
        out = []
        for row in rows:
            ent = store.entity(row["source_id"], row["entity_id"])
            if ent is None:
                continue
            out.append(
                {
                    "source_id": row["source_id"],
                    "entity_id": row["entity_id"],
                    "version_id": ent.extra.get("version_id"),
                    "name": ent.name,
                    "list": ent.sub_list,
                    "why": explain(row),
                    "listings": [vars(x) for x in ent.listings],
                    "programs": list(ent.programs),
                    "countries": list(ent.countries),
                }
            )
        if len(held) > 50_000:
            held.clear()
        held[pid] = out
        return out

    def stage(hits: list[Any], query: Any) -> list[Any]:
        if not hits:
            return hits
        groups: dict[str, list[Any]] = {}
        several: set[str] = set()
        for h in hits:
            ref = (h.source_id or "", h.entity_id)
            pid = pid_of(ref)
            if refs.get(ref) is not None:
                several.add(pid)
            groups.setdefault(pid, []).append(h)
        return [
            merge(pid, group, records(pid) if pid in several else [])
            for pid, group in groups.items()
        ]

    def token() -> int:
        """The newest judgement: one recorded since (by another process, too) builds the
        parties again before the next screening."""
        last = party_db.last_judgement_id(store)
        if last != judged[0]:
            ensure(store)
            reset()
            judged[0] = last
        return last

    stage.reset = reset  # type: ignore[attr-defined]
    stage.token = token  # type: ignore[attr-defined]
    return stage


def merge(pid: str, group: list[Any], members: list[dict[str, Any]]) -> Any:
    """One hit for a party from the hits on its records (``group``) and its records'
    listings (``members``: every record of a party of several; empty for a party of one)."""
    anchor_ref = (members[0]["source_id"], members[0]["entity_id"]) if members else None

    def rank(h: Any) -> tuple[int, float, bool]:
        return (
            RELATION_RANK.get(h.relation, 2),
            -h.score,
            (h.source_id, h.entity_id) != anchor_ref,
        )

    ordered = sorted(group, key=rank)
    head = ordered[0].copy()
    matched = {(h.source_id or "", h.entity_id): h for h in reversed(ordered)}
    listings: list[dict[str, Any]] = []
    recs: list[dict[str, Any]] = []
    programs, countries = list(head.programs), list(head.countries)
    seen: set[Ref] = set()
    by_ref = {(m["source_id"], m["entity_id"]): m for m in members}
    for ref in [(head.source_id or "", head.entity_id), *by_ref]:
        if ref in seen:
            continue
        seen.add(ref)
        m = by_ref.get(ref)
        h = matched.get(ref)
        version = h.version_id if h is not None and h.version_id is not None else None
        if m is not None:
            version = m["version_id"] if version is None else version
            own = m["listings"] if h is None else h.listings
        else:
            own = h.listings if h is not None else []
        tag = {"source_id": ref[0], "entity_id": ref[1], "version_id": version}
        listings += [{**x, **tag} for x in own]
        for p in (m or {}).get("programs") or (h.programs if h is not None else []):
            if p not in programs:
                programs.append(p)
        for c in (m or {}).get("countries") or (h.countries if h is not None else []):
            if c not in countries:
                countries.append(c)
        recs.append(
            {
                **tag,
                "name": m["name"] if m else (h.name if h is not None else None),
                "list": m["list"] if m else (h.list if h is not None else None),
                "why": m["why"] if m else "the party's only record",
                "matched": h is not None,
                "score": h.score if h is not None else None,
            }
        )
    head.listings = listings
    head.programs, head.countries = programs, countries
    for h in ordered[1:]:
        for k, v in h.extra.items():
            head.extra.setdefault(k, v)
    head.extra["party"] = {"id": pid, "records": recs}
    return head


# -- decisions on parties ----------------------------------------------------------------------


def refs_of(hit: Any) -> list[Ref]:
    """The records of a hit's party (the hit's own record when it names no party)."""
    party = (hit.extra if not isinstance(hit, dict) else hit).get("party") or {}
    recs: list[Ref] = [(r["source_id"], r["entity_id"]) for r in party.get("records") or ()]
    if recs:
        return recs
    get = hit.get if isinstance(hit, dict) else (lambda k: getattr(hit, k))
    return [(str(get("source_id") or ""), str(get("entity_id")))]


def decision_for(
    latest: dict[tuple[str, str, str], dict[str, Any]], key: str, hit: Any
) -> dict[str, Any] | None:
    """The decision in force for the party ``key`` on any record of the hit's party: the
    newest of them (a decision on one record holds for the whole party)."""
    found = [d for s, e in refs_of(hit) if (d := latest.get((key, s, e))) is not None]
    return max(found, key=lambda d: d["id"]) if found else None


def record_view(hit: Any, ref: Ref, names: list[str] | None) -> dict[str, Any]:
    """The listing view (:func:`screener.db.decisions.listing_view`) of one record of a
    party hit: its own listings, its own names."""
    from screener.db.decisions import listing_view

    party = hit.extra.get("party") or {}
    rec: dict[str, Any] = next(
        (r for r in party.get("records") or () if (r["source_id"], r["entity_id"]) == ref), {}
    )
    own = [
        {k: v for k, v in x.items() if k not in TAGS}
        for x in hit.listings
        if (x.get("source_id"), x.get("entity_id")) == ref
    ]
    entity: dict[str, Any] = {"name": rec.get("name") or hit.name, "listings": own}
    if ref == (hit.source_id or "", hit.entity_id) and not own:
        entity.update(
            {k: getattr(hit, k) for k in ("list", "citation", "listed_on", "end_date")},
            name=hit.name,
        )
    return listing_view(entity, names or None)


def party_changes(store: Store, hit: Any, decision: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What joined and what left the hit's party since ``decision``: each new record's
    listings ("new listing: NS-CMIC List (listed 2021-06-03) on ofac-cons:30936 CHINA
    ELECTRONICS TECHNOLOGY GROUP CORPORATION, list version 7"), and each record gone.

    A record is new when the decision's party did not hold it (``party_records``, kept
    with the decision) and no version of its list loaded before the decision held it
    either: so a decision recorded before its party was resolved, or before parties
    existed, counts as having seen the records of the lists it was made with."""
    party = hit.extra.get("party") or {}
    recs = {ref_text((r["source_id"], r["entity_id"])): r for r in party.get("records") or ()}
    before = set(
        (decision.get("listing") or {}).get("party_records")
        or [ref_text((decision["source_id"], decision["entity_id"]))]
    )
    added, gone = [], []
    for ref in sorted(set(recs) - before):
        r = recs[ref]
        if _listed_before(store, r["source_id"], r["entity_id"], decision["decided_at"]):
            continue
        version = f", list version {r['version_id']}" if r.get("version_id") is not None else ""
        own = [
            x
            for x in hit.listings
            if (x.get("source_id"), x.get("entity_id")) == (r["source_id"], r["entity_id"])
        ]
        for x in own or [{"list": r.get("list") or r["source_id"]}]:
            bits = [
                x.get("citation"),
                f"listed {x['listed_on']}" if x.get("listed_on") else None,
                "not in force" if x.get("in_force") is False else None,
            ]
            shown = ", ".join(b for b in bits if b)
            added.append(
                f"new listing: {x.get('list')}"
                + (f" ({shown})" if shown else "")
                + f" on {ref} {r.get('name') or ''}{version}".rstrip()
            )
    for ref in sorted(before - set(recs)):
        gone.append(f"record no longer part of this party: {ref}")
    return added, gone


def _listed_before(store: Store, source_id: str, entity_id: str, when: str) -> bool:
    """Whether a version of the list loaded before ``when`` held the record (one loaded in
    the same second counts as new: a needless review rather than a missed one)."""
    row = store.conn.execute(
        """select 1 from entities e join versions v on v.id = e.version_id
           where e.source_id = ? and e.id = ? and v.loaded_at < ? limit 1""",
        [source_id, entity_id, when],
    ).fetchone()
    return row is not None


# -- what the faces show -----------------------------------------------------------------------


def summary(store: Store) -> dict[str, Any]:
    """Records and parties of the active lists (built first if need be): ``records``,
    ``parties``, ``merged`` (records in parties of several), ``several`` (parties of
    several records), ``by_source`` (records of each source in parties of several), and
    the build's ``built_at`` and ``seconds``."""
    ensure(store)
    last = party_db.last_build(store) or {}
    several = store.conn.execute("select count(distinct party_id) from party_records").fetchone()
    by_source = dict(
        store.conn.execute("select source_id, count(*) from party_records group by source_id")
    )
    return {
        "records": last.get("records"),
        "parties": last.get("parties"),
        "merged": last.get("merged"),
        "several": int(several[0] if several else 0),
        "by_source": by_source,
        "built_at": last.get("built_at"),
        "seconds": last.get("seconds"),
    }


def parse_ref(text: str) -> Ref:
    """``SOURCE:ENTRY`` -> (source, entry); an entry id may itself hold colons."""
    source, sep, entity = str(text or "").strip().partition(":")
    if not sep or not source or not entity:
        raise InputError(
            f"{text!r} is not a record: write SOURCE:ENTRY, e.g. screener-surveillance:cetc "
            "or ofac-cons:30936 (`screener check` shows each hit's source and entry)"
        )
    return source, entity


def resolve(store: Store, text: str) -> str:
    """The id of the party named by ``text``: a party id (``cetc``, ``ofac:30936``) or one
    of its records (``SOURCE:ENTRY``)."""
    ensure(store)
    text = str(text or "").strip()
    if party_db.members(store, text):
        return text
    if ":" in text:
        source, _, entity = text.partition(":")
        if store.entity(source, entity) is not None:
            return party_db.party_of(store, source, entity) or solo_id(
                source, entity, _formats(store).get(source) == "ofac" and entity.isdigit()
            )
        if source == "ofac" and entity.isdigit():
            for sid, fmt in _formats(store).items():
                if fmt == "ofac" and store.entity(sid, entity) is not None:
                    return party_db.party_of(store, sid, entity) or text
    elif store.entity(BUNDLED_SOURCE, text) is not None:
        return text
    raise InputError(
        f"no party or record {text!r} in the active lists (give a party id such as cetc, "
        "or a record as SOURCE:ENTRY)"
    )


def show(store: Store, text: str) -> dict[str, Any]:
    """A party, its records and why each joined (``screener lists party``)."""
    pid = resolve(store, text)
    rows = party_db.members(store, pid)
    if not rows:  # a party of one record
        if ":" in pid and not pid.startswith("ofac:"):
            source, _, entity = pid.partition(":")
        elif pid.startswith("ofac:"):
            source = next(
                s
                for s, f in _formats(store).items()
                if f == "ofac" and store.entity(s, pid[5:]) is not None
            )
            entity = pid[5:]
        else:
            source, entity = BUNDLED_SOURCE, pid
        rows = [
            {
                "source_id": source,
                "entity_id": entity,
                "rule": "anchor",
                "via_source": None,
                "via_entity": None,
                "detail": None,
            }
        ]
    records = []
    for row in rows:
        ent = store.entity(row["source_id"], row["entity_id"])
        if ent is None:
            continue
        src = store.source(row["source_id"]) or {}
        records.append(
            {
                "source_id": row["source_id"],
                "source_name": src.get("name"),
                "entity_id": row["entity_id"],
                "version_id": ent.extra.get("version_id"),
                "name": ent.name,
                "schema": ent.schema,
                "countries": ent.countries,
                "lists": list(dict.fromkeys(x.list for x in ent.listings if x.list)),
                "rule": row["rule"],
                "why": explain(row) if len(rows) > 1 else "the party's only record",
            }
        )
    names = [r["name"] for r in records]
    return {"id": pid, "name": names[0] if names else None, "records": records}


def judge(store: Store, kind: str, a: str, b: str, reason: str, reviewer: str) -> dict[str, Any]:
    """Record that two records are (``same``) or are not (``different``) one party, build
    the parties again and return the judgement with the party (or parties) it makes."""
    refs = [parse_ref(a), parse_ref(b)]
    for ref in refs:
        if store.entity(*ref) is None:
            raise InputError(
                f"no record {ref_text(ref)} in the active lists (`screener lists party` and "
                "`screener check` show records as SOURCE:ENTRY)"
            )
    j = party_db.record_judgement(
        store, kind, refs[0], refs[1], reason, reviewer, origin="screener lists " + kind
    )
    ensure(store)
    return {"judgement": j, "parties": [show(store, ref_text(r)) for r in refs]}
