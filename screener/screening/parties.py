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


def source_formats(store: Store) -> dict[str, str]:
    """Each source's list format (the store's, else the registry's)."""
    from screener.lists.registry import registry

    known = registry()
    out = {}
    for s in store.sources():
        out[s["id"]] = s.get("format") or (known.get(s["id"]) or {}).get("format") or ""
    return out


def _records(store: Store) -> dict[Ref, Record]:
    from screener.matching.normalize import has_cjk

    formats = source_formats(store)
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
    # (the names of one record left out before sorting: a big list's 400,000 names)
    for n, refs in sorted(x for x in by_name.items() if len(x[1]) > 1):
        if len({r[0] for r in refs}) != len(refs):
            continue  # a name two records of one list carry
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
