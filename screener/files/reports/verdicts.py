"""The report's verdict per party, each listing's meaning for its reader, the national
frameworks of its jurisdiction, and what a clear result does not cover: four tables of
data beside this module.

* ``data/verdicts.yaml``: prohibited / licence required / restricted / elevated risk /
  no finding, each gathering severity levels of ``data/severity.yaml``, each labelled and
  explained for its audience (an export-control reader, a research office:
  :meth:`Verdict.label_for`); the file says how a party's verdict is found
  (:func:`party_verdict`).
* ``data/jurisdictions.yaml``: for AU, US, UK and EU, the national frameworks a
  committee weighs beside the lists, and what each verdict means there, with official
  sources (:func:`jurisdiction`).
* ``data/audiences.yaml``: for each list (by a pattern on its name), what a listing
  means for an export-control reader and for a research office, with official sources
  (:func:`statement`).
* ``data/coverage.yaml``: the limits every coverage statement names (:func:`limits`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from screener.errors import InputError
from screener.files.reports.severity import levels, listing_level

DATA = Path(__file__).parent / "data"
AUDIENCES = ("export", "research")
DEFAULT_AUDIENCE = "export"
JURISDICTIONS = ("AU", "US", "UK", "EU")
DEFAULT_JURISDICTION = "US"
NO_FINDING = "no-finding"


@dataclass(frozen=True)
class Verdict:
    id: str
    label: str  # the export-control reader's
    meaning: str
    levels: tuple[str, ...]
    rank: int  # 0 is the most severe
    research_label: str = ""
    research_meaning: str = ""

    def label_for(self, audience: str) -> str:
        """The verdict's label for ``audience`` ("Restricted partner: approval needed" for a
        research office, "Licence required" for an exporter)."""
        return self.research_label or self.label if audience == "research" else self.label

    def meaning_for(self, audience: str) -> str:
        return self.research_meaning or self.meaning if audience == "research" else self.meaning


@dataclass(frozen=True)
class Framework:
    """A national framework a committee weighs beside the lists."""

    id: str
    name: str
    text: str
    screening: str  # whether and how a name screening can tell
    sources: tuple[dict[str, str], ...]
    checked_on: str | None


@dataclass(frozen=True)
class Jurisdiction:
    code: str  # AU, US, UK, EU
    label: str
    frameworks: tuple[Framework, ...]
    verdicts: dict[str, tuple[str, tuple[dict[str, str], ...]]]  # verdict id -> text, sources


@dataclass(frozen=True)
class Statement:
    """What a listing means for one audience."""

    id: str  # the audiences.yaml entry, or "list-<list name>" when no entry names the list
    title: str  # the list as the entry's pattern found it
    text: str
    sources: tuple[dict[str, str], ...]  # label, url
    checked_on: str | None


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text("utf-8"))


@cache
def verdicts() -> tuple[Verdict, ...]:
    """Every verdict, most severe first."""
    out = []
    for rank, v in enumerate(_load("verdicts.yaml")["verdicts"]):
        research = v.get("research") or {}
        out.append(
            Verdict(
                v["id"],
                v["label"],
                " ".join(v["meaning"].split()),
                tuple(v.get("levels") or ()),
                rank,
                str(research.get("label") or ""),
                " ".join(str(research.get("meaning") or "").split()),
            )
        )
    known = {lv.id for lv in levels()}
    named = {lv for v in out for lv in v.levels}
    if named != known or out[-1].id != NO_FINDING:
        raise ValueError(
            f"{DATA / 'verdicts.yaml'}: every severity level needs exactly one "
            f"verdict and '{NO_FINDING}' comes last"
        )
    return tuple(out)


def verdict(verdict_id: str) -> Verdict:
    for v in verdicts():
        if v.id == verdict_id:
            return v
    raise KeyError(verdict_id)


@cache
def _by_level() -> dict[str, Verdict]:
    return {lv: v for v in verdicts() for lv in v.levels}


def verdict_of_level(level_id: str) -> str:
    """The verdict a listing at severity level ``level_id`` gives."""
    return _by_level()[level_id].id


def is_false_positive(hit: dict[str, Any]) -> bool:
    """A reviewer found the party is not this entity (the hit does not count for a verdict)."""
    d = hit.get("decision")
    return isinstance(d, dict) and d.get("kind") == "false-positive"


def hit_verdict(hit: dict[str, Any]) -> Verdict:
    """The verdict of one hit: its most severe listing's (or the hit's own listing's)."""
    by_level = _by_level()
    best = by_level[listing_level(hit).id]
    for listing in hit.get("listings") or ():
        v = by_level[listing_level(listing).id]
        if v.rank < best.rank:
            best = v
    return best


def party_verdict(hits: Sequence[dict[str, Any]]) -> Verdict:
    """A party's verdict (see ``data/verdicts.yaml``): the most severe verdict among its hits
    that are not false positives; no such hit is "no finding"."""
    best = verdict(NO_FINDING)
    for hit in hits:
        if is_false_positive(hit):
            continue
        v = hit_verdict(hit)
        if v.rank < best.rank:
            best = v
    return best


def check_jurisdiction(code: str | None) -> str:
    j = (code or DEFAULT_JURISDICTION).strip().upper()
    j = "UK" if j == "GB" else j
    if j not in JURISDICTIONS:
        raise InputError(f"unknown jurisdiction {code!r}; use one of {', '.join(JURISDICTIONS)}")
    return j


@cache
def jurisdiction(code: str | None) -> Jurisdiction:
    """The frameworks of a jurisdiction and what each verdict means there
    (``data/jurisdictions.yaml``)."""
    j = check_jurisdiction(code)
    raw = _load("jurisdictions.yaml")["jurisdictions"][j]
    frameworks = tuple(
        Framework(
            f["id"],
            f["name"],
            " ".join(str(f["text"]).split()),
            " ".join(str(f.get("screening") or "").split()),
            tuple(f.get("sources") or ()),
            f.get("checked_on"),
        )
        for f in raw["frameworks"]
    )
    meanings = {
        vid: (" ".join(str(v["text"]).split()), tuple(v.get("sources") or ()))
        for vid, v in (raw.get("verdicts") or {}).items()
    }
    return Jurisdiction(j, str(raw["label"]), frameworks, meanings)


def check_audience(audience: str | None) -> str:
    a = (audience or DEFAULT_AUDIENCE).strip().lower()
    if a not in AUDIENCES:
        raise InputError(f"unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}")
    return a


@cache
def _audience_table() -> dict[str, Any]:
    raw = _load("audiences.yaml")
    entries = []
    for e in raw["lists"]:
        entries.append({**e, "regex": re.compile(e["pattern"], re.IGNORECASE)})
    return {"audiences": raw["audiences"], "lists": entries}


def audience_label(audience: str) -> str:
    return str(_audience_table()["audiences"][check_audience(audience)]["label"])


def audience_intro(audience: str) -> str:
    return " ".join(str(_audience_table()["audiences"][check_audience(audience)]["intro"]).split())


def statement(listing: dict[str, Any], audience: str) -> Statement:
    """What ``listing`` (a listing dict, or a hit) means for ``audience``."""
    audience = check_audience(audience)
    name = str(listing.get("list") or "")
    for e in _audience_table()["lists"]:
        if e["regex"].search(name):
            return Statement(
                e["id"],
                name,
                " ".join(str(e[audience]).split()),
                tuple(e.get("sources") or ()),
                e.get("checked_on"),
            )
    level = listing_level(listing)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"
    return Statement(f"list-{slug}", name, level.meaning, (), None)


def statements(hits: Iterable[dict[str, Any]], audience: str) -> dict[str, Statement]:
    """The distinct statements the listings of ``hits`` need, by id, in first-seen order."""
    out: dict[str, Statement] = {}
    for hit in hits:
        for listing in hit.get("listings") or [hit]:
            st = statement(listing, audience)
            out.setdefault(st.id, st)
    return out


@cache
def limits() -> tuple[dict[str, Any], ...]:
    """What a clear result does not cover (``data/coverage.yaml``)."""
    return tuple(
        {**x, "text": " ".join(str(x["text"]).split())} for x in _load("coverage.yaml")["limits"]
    )
