"""What screening returns: typed results that every face renders (CLI, HTTP API, files).

    ScreenHit     one listed entity a party matches, with its evidence and provenance
    CheckResult   one name screened (``Screener.check``)
    RowResult     one row of a batch (a TypedDict of :mod:`screener.shapes`: rows share
                  their hit lists, and the writers, below this package, read them)
    BatchSummary  a whole batch run

Each dataclass has ``to_dict()``: JSON-ready data, the shape of the JSON and JSON Lines
outputs, typed by :mod:`screener.shapes` (HitDict, CheckDict, BatchDict).

Statuses
    a hit   ``hit`` until a later stage says otherwise: a reviewer's decision may make it
            ``suppressed`` (a false positive, or a permitted true match) or
            ``review-again`` (suppressed once, but the entity's listing changed since)
    a row   (and a check) :func:`row_status`: ``hit`` when any hit is still a hit, else
            ``review-again`` when any hit is, else ``suppressed`` when it had hits (all
            suppressed), else ``clear``; ``skipped`` for a batch row without a name (or
            whose name is a spreadsheet formula without a value); ``unreadable`` for a
            batch row whose name cannot be read as text (mojibake, bytes no encoding
            reads: :mod:`screener.files.encodings`) and that has no hit: such a name is
            screened all the same, but never reads ``clear``

A row **needs review** when its status is ``hit``, ``review-again`` or ``unreadable``; a
run exits 1 when any row needs review and 0 otherwise, so a batch whose hits are all
suppressed exits 0 (its outputs still show every suppressed hit, with the decision).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, cast

from screener.errors import EXIT_CLEAR, EXIT_HIT
from screener.files.reports.severity import order_hits
from screener.lists.effects import annotate
from screener.matching.hit import Hit
from screener.matching.normalize import name_key
from screener.shapes import (
    BatchDict,
    CheckDict,
    CoverageEntry,
    HitDict,
    ListingDict,
    ListVersion,
)


def ranked(hits: list[ScreenHit]) -> list[ScreenHit]:
    """The hits of one party in the one order every face shows them in: identity first
    (the listed entity itself, then a group it is a unit of, then its owners), then
    severity (:func:`screener.files.reports.severity.hit_key`)."""
    return order_hits(hits)


HIT_STATUSES = ("hit", "review-again", "suppressed")
ROW_STATUSES = ("hit", "review-again", "suppressed", "clear", "skipped", "unreadable")
NEEDS_REVIEW = frozenset({"hit", "review-again", "unreadable"})


def row_status(hit_statuses: Iterable[str | None]) -> str:
    """The status of a row (or a check) from its hits' statuses (see the module docstring)."""
    seen = {s or "hit" for s in hit_statuses}
    if not seen:
        return "clear"
    if "hit" in seen or not seen <= set(HIT_STATUSES):
        return "hit"
    return "review-again" if "review-again" in seen else "suppressed"


@dataclass(slots=True)
class ScreenHit:
    """A listed entity that a party matches."""

    entity_id: str
    name: str  # the entity's listed primary name
    matched_name: str  # the name or alias that matched
    matched_name_kind: str
    score: float
    relation: str  # "same", "unit" (a unit, branch, regional or brand company), ...
    matched_part: str | None  # the part of the query that matched, when not all of it
    schema: str
    source_id: str | None
    source_name: str | None
    version_id: int | None
    list: str | None
    citation: str | None
    listed_on: str | None
    end_date: str | None
    license_requirement: str | None
    license_policy: str | None
    source_url: str | None
    # the field ``list`` (a listing's list) hides the builtin in this class's body
    programs: builtins.list[str]
    countries: builtins.list[str]
    parent: str | None
    listings: builtins.list[ListingDict]
    explanation: str
    evidence: dict[str, Any]
    remarks: str | None = None  # the entry's remarks, as the list gives them
    status: str = "hit"
    # the entity's listed name normalized (matching's name_key): one key for the same
    # entity across lists, so that outputs group its hits without normalizing again
    name_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # what later stages add

    @classmethod
    def from_match(cls, h: Hit) -> ScreenHit:
        """The hit of the matcher, with the entity's provenance; each listing with what it
        means where its list does not say (:func:`screener.lists.effects.annotate`)."""
        e = h.entity
        x = e.extra
        return cls(
            entity_id=e.id,
            name=e.name,
            matched_name=h.matched_name,
            matched_name_kind=h.matched_kind,
            score=round(h.score, 4),
            relation=h.detail.relation,
            matched_part=h.detail.part,
            schema=e.schema,
            source_id=x.get("source_id"),
            source_name=x.get("source_name"),
            version_id=x.get("version_id"),
            list=e.sub_list,
            citation=e.citation,
            listed_on=e.listed_on,
            end_date=e.end_date,
            license_requirement=e.license_requirement,
            license_policy=e.license_policy,
            source_url=e.source_url,
            programs=e.programs,
            countries=e.countries,
            parent=e.parent_name,
            listings=[cast(ListingDict, annotate(vars(x), e.remarks)) for x in e.listings],
            explanation=h.explanation,
            evidence={
                **h.detail.as_dict(),
                "query_normalized": " ".join(h.query_tokens),
                "listed_normalized": " ".join(h.listed_norm.tokens),
            },
            name_key=_listed_key(h),
            remarks=e.remarks,
        )

    def rescored(self, h: Hit) -> ScreenHit:
        """This hit (made by :meth:`from_match`) once the country or date-of-birth evidence
        moved it: ``h`` is the same match with the score and notes that changed
        (:func:`~screener.matching.country.apply_country` changes nothing else). The same
        as ``from_match(h)``, without making the provenance again."""
        new = self.copy()
        new.score = round(h.score, 4)
        new.explanation = h.explanation
        new.evidence = {**self.evidence, "score": round(h.detail.score, 4), "notes": h.detail.notes}
        return new

    def to_dict(self) -> HitDict:
        d = {f: getattr(self, f) for f in _HIT_FIELDS}
        d.update(self.extra)
        return cast(HitDict, d)

    def copy(self) -> ScreenHit:
        """A copy whose status and ``extra`` may change without touching this one."""
        return _new_hit(*_hit_values(self), dict(self.extra))


_HIT_FIELDS = tuple(f for f in ScreenHit.__dataclass_fields__ if f != "extra")
# every field but ``extra``, the last, in order: what copy() hands the constructor (in
# 0.6 of the time of setting each field on a new object)
_hit_values = attrgetter(*_HIT_FIELDS)
_new_hit: Callable[..., ScreenHit] = ScreenHit


def _listed_key(h: Hit) -> str:
    """The key of the hit's entity (:func:`~screener.matching.normalize.name_key` of its
    listed name). When the name that matched is that name, the index holds its normalized
    form already (``h.listed_norm``), so the key is not normalized again: half the hits
    of a file of variants, each a distinct entity's name normalized once more."""
    e = h.entity
    return name_key(e.name, norm=h.listed_norm if h.matched_name == e.name else None)


@dataclass(slots=True)
class CheckResult:
    """One name screened."""

    run_id: str
    query: str
    country: str | None  # ISO alpha-2, upper case
    threshold: float
    hits: list[ScreenHit]
    lists: list[ListVersion]  # every list version screened against
    created_at: str
    tool_version: str
    warnings: list[str] = field(default_factory=list)
    # per official list: checked in full, as the curated subset, or not loaded
    # (screener.lists.coverage)
    coverage: list[CoverageEntry] = field(default_factory=list)

    @property
    def status(self) -> str:
        return row_status(h.status for h in self.hits)

    @property
    def exit_code(self) -> int:
        return EXIT_HIT if self.status in NEEDS_REVIEW else EXIT_CLEAR

    def to_dict(self) -> CheckDict:
        return {
            "run_id": self.run_id,
            "query": self.query,
            "country": self.country,
            "threshold": self.threshold,
            "status": self.status,
            "hits": [h.to_dict() for h in self.hits],
            "lists": self.lists,
            "created_at": self.created_at,
            "tool_version": self.tool_version,
            "warnings": self.warnings,
            "coverage": self.coverage,
        }


@dataclass(slots=True)
class BatchSummary:
    """A whole batch run. ``hit_rows`` counts rows with any hit, suppressed or not;
    ``needs_review`` the rows whose status is ``hit``, ``review-again`` or ``unreadable``."""

    run_id: str
    rows: int
    hit_rows: int
    hits: int
    clear: int
    skipped: int
    unique_names: int
    output: str
    warnings: list[str] = field(default_factory=list)
    suppressed: int = 0  # rows whose hits are all suppressed
    review_again: int = 0  # rows with a hit to review again (and none still open)
    suppressed_hits: int = 0
    needs_review: int | None = None  # None: every row with hits
    unreadable: int = 0  # rows whose name cannot be read as text, without a hit

    @property
    def exit_code(self) -> int:
        review = self.hit_rows if self.needs_review is None else self.needs_review
        return EXIT_HIT if review else EXIT_CLEAR

    def to_dict(self) -> BatchDict:
        return {
            "run_id": self.run_id,
            "rows": self.rows,
            "hit_rows": self.hit_rows,
            "hits": self.hits,
            "suppressed_hits": self.suppressed_hits,
            "needs_review": self.needs_review,
            "suppressed": self.suppressed,
            "review_again": self.review_again,
            "clear": self.clear,
            "skipped": self.skipped,
            "unreadable": self.unreadable,
            "unique_names": self.unique_names,
            "output": self.output,
            "warnings": self.warnings,
        }
