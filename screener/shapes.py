"""The shapes results travel in as data: what the typed results' ``to_dict()`` give, and
what the writers, the HTTP API, the audit record and the terminal read.

    ListingDict    one listing of an entity (a model.Listing as data)
    HitDict        one hit (``ScreenHit.to_dict()``), with what later stages add:
                   ``ownership`` (an OwnershipDict), ``decision`` (a DecisionInfo)
    RowResult      one row of a batch: what both batch engines produce and every writer
                   renders; rows with the same name share one list of HitDicts
    ListVersion    a list version as results show it (which lists a run screened against)
    CoverageEntry  one official list in a run's coverage statement
    Coverage       what screening covers now: lists, stale ones, those never loaded
    CheckDict      one name screened (``CheckResult.to_dict()``)
    BatchDict      a whole batch run (``BatchSummary.to_dict()``)
    ListingView    an entity's names and listings, as decisions and re-screenings compare
    HitState, PartyState
                   what a portfolio's screening keeps of each party and hit
    ChangeDict, PartyChangeDict, ListChange, RescreenDict
                   a re-screening: what changed, party by party (``RescreenResult``)

They live at the root, beside :mod:`screener.model`, because every wing speaks them:
the files wing writes them without importing the screening service that makes them.
Each is a ``TypedDict``: the data stays a plain dict (JSON as it is written, shared
between rows at no cost), and mypy checks every key that is read. Keys that a hit read
back from a file may lack are not required (``total=False``).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ListingDict(TypedDict, total=False):
    """One listing of an entity (a :class:`screener.model.Listing` as data); on a party's
    hit, each also names the record it is from (``source_id``, ``entity_id``,
    ``version_id``)."""

    source_id: str | None
    entity_id: str | None
    version_id: int | None

    list: str | None
    authority: str | None
    citation: str | None
    listed_on: str | None
    end_date: str | None
    in_force: bool
    program: str | None
    license_requirement: str | None
    license_policy: str | None
    effect: str | None
    effect_kind: str | None  # what kind of effect (screener.lists.effects)
    effect_sources: list[dict[str, str]]  # the official sources of an effect screener states
    source_url: str | None


class DecisionInfo(TypedDict, total=False):
    """A reviewer's decision as a hit carries it (``hit["decision"]``)."""

    id: int
    kind: str
    reason: str
    reviewer: str
    decided_at: str
    party: str
    listing_changed: bool
    changes: list[str]  # what changed in the listing since the decision


class StepDict(TypedDict):
    """One link of an ownership chain, child -> owner, with its source."""

    child: str
    owner: str
    owner_listed: bool
    owner_lists: list[str]
    share: float | None
    controlled: bool | None
    kind: str
    as_of: str | None
    end_date: str | None
    source: str | None
    note: str | None
    origin: str
    origin_id: str


class ChainDict(TypedDict):
    steps: list[StepDict]
    effective_share: float | None  # the shares multiplied along the chain


class PartyDict(TypedDict):
    name: str
    source_id: str | None
    entity_id: str | None
    listed: bool
    lists: list[str]
    listings: list[ListingDict]


RuleStatusDict = TypedDict(
    "RuleStatusDict",
    {
        "status": str,
        "from": str,
        "to": str | None,
        "citation": str | None,
        "source": str | None,
        "checked_on": str | None,
        "note": str | None,
    },
)


class RuleDict(TypedDict):
    """An ownership rule that reaches an entity, whether it applies, and its status."""

    id: str
    name: str
    authority: str
    citation: str | None
    source: str
    threshold: float
    owners_on: list[str]
    owners: list[str]
    applies: bool
    relation: str | None
    status: RuleStatusDict | None


class OwnershipDict(TypedDict):
    """An entity's relation to the listed parties that own it (``hit["ownership"]``)."""

    entity: PartyDict
    on: str
    relation: str | None
    owners: list[PartyDict]
    share: float | None
    share_published: bool
    chains: list[ChainDict]
    rules: list[RuleDict]
    notes: list[str]
    ended: list[StepDict]


# Functional syntax: a key named "list" would hide the builtin in a class body.
HitDict = TypedDict(  # noqa: UP013
    "HitDict",
    {
        "entity_id": str,
        "name": str,
        "matched_name": str,
        "matched_name_kind": str,
        "score": float,
        "relation": str,
        "matched_part": str | None,
        "schema": str,
        "source_id": str | None,
        "source_name": str | None,
        "version_id": int | None,
        "list": str | None,
        "citation": str | None,
        "listed_on": str | None,
        "end_date": str | None,
        "license_requirement": str | None,
        "license_policy": str | None,
        "source_url": str | None,
        "programs": list[str],
        "countries": list[str],
        "parent": str | None,
        "remarks": str | None,
        "listings": list[ListingDict],
        "explanation": str,
        "evidence": dict[str, Any],  # the scorer's record (matching.score.Detail)
        "status": str,
        "name_key": str,
        "ownership": OwnershipDict,
        "decision": DecisionInfo,
        "party": dict[str, Any],  # its id and records (screening.party_hits), once merged
    },
    total=False,
)


class RowResult(TypedDict):
    """One row of a batch. ``row`` is the 0-based data row; ``hits`` are shared by every
    row with the same name and the same evidence; ``reason`` says why a row was skipped
    or is unreadable (or how its name was decoded)."""

    row: int
    query: str
    country: str | None
    status: str  # one of screener.screening.results.ROW_STATUSES
    hits: list[HitDict]
    reason: NotRequired[str]


class ListVersion(TypedDict):
    """A list version as results show it."""

    source_id: str
    name: str
    version_id: int
    sha256: str
    published: str | None
    data_date: str | None
    data_date_basis: str
    data_date_means: str
    loaded_at: str
    entities: int
    licence: str | None
    kind: str | None


class CoverageEntry(TypedDict, total=False):
    """One official list in a run's coverage statement (screener.lists.coverage): checked
    in full (with the version's data date, rows and checksum), as the curated subset
    (with how many entries, and the sources that would carry it in full), or not loaded."""

    list: str
    status: str  # "full", "subset" or "not loaded"
    source_id: str
    text: str  # the statement in words
    data_date: str | None
    data_date_basis: str | None
    rows: int | None
    sha256: str | None
    entries: int
    full_sources_not_loaded: list[str]


class Coverage(TypedDict):
    """What screening covers now (``Screener.coverage()``)."""

    lists: list[ListVersion]  # the versions used
    stale: list[str]  # source ids older than their max age
    stale_detail: list[dict[str, Any]]  # each stale list with its data and load dates
    never_loaded: list[dict[str, str]]  # official sources never downloaded: source_id, name
    notes: list[str]  # the same in words
    statement: list[CoverageEntry]


class BatchDict(TypedDict):
    """A whole batch run (``BatchSummary.to_dict()``)."""

    run_id: str
    rows: int
    hit_rows: int
    hits: int
    suppressed_hits: int
    needs_review: int | None
    suppressed: int
    review_again: int
    clear: int
    skipped: int
    unreadable: int
    unique_names: int
    output: str
    warnings: list[str]


class CheckDict(TypedDict):
    """One name screened (``CheckResult.to_dict()``): the answer of ``check --format json``
    and of the API's /check."""

    run_id: str
    query: str
    country: str | None
    threshold: float
    status: str
    hits: list[HitDict]
    lists: list[ListVersion]
    created_at: str
    tool_version: str
    warnings: list[str]
    coverage: list[CoverageEntry]


class ListingView(TypedDict):
    """An entity's names and listings as a decision and a re-screening compare them
    (``screening.decisions.listing_view``)."""

    name: str | None
    names: list[str]
    listings: list[dict[str, Any]]  # the listing keys a decision keeps, in force or not
    party_records: NotRequired[list[str]]  # the party's records then (source:entry)


class HitState(TypedDict):
    """What a portfolio's screening keeps of a hit, to tell the next one what changed."""

    source_id: str | None
    entity_id: str | None
    version_id: int | None
    name: str | None
    score: float | None
    status: str
    decision_id: int | None
    decision_kind: str | None
    fingerprint: str
    party_id: NotRequired[str | None]  # one hit per party: what the hit is about
    records: NotRequired[list[str]]  # the party's records (source:entry)
    listing: ListingView
    # as the report words the decision, and whether it settles the hit (not kept by
    # screenings stored before decisions were worded)
    decision: NotRequired[str | None]
    settled: NotRequired[bool]


class PartyState(TypedDict):
    """One party of a portfolio as a screening found it (kept with the screening)."""

    row: int | None
    party: str
    country: str | None
    status: str
    decision: NotRequired[str]  # the party's decisions ("confirmed", "to review", ...)
    hits: list[HitState]


class ChangeDict(TypedDict):
    """One change of a party's hits since the last screening."""

    kind: str  # one of screening.rescreen.CHANGE_KINDS
    source_id: str | None
    entity_id: str | None
    name: str | None
    status: str | None
    text: str
    needs_review: bool


class PartyChangeDict(TypedDict):
    row: int | None
    party: str
    country: str | None
    status_before: str | None
    status: str
    needs_review: bool
    decision: str
    changes: list[ChangeDict]


class ListChange(TypedDict):
    """A list whose version differs between two screenings."""

    source_id: str
    from_version: int | None
    to_version: int | None
    published: str | None


class RescreenDict(TypedDict):
    """A portfolio re-screened (``RescreenResult.to_dict()``)."""

    portfolio: str
    run_id: str
    screened_at: str
    tool_version: str
    parties: int
    previous: dict[str, Any] | None  # run_id, screened_at, lists of the one compared with
    lists: list[ListVersion]
    lists_changed: list[ListChange]
    counts: dict[str, int]
    changed_parties: int
    needs_review: int
    changes: list[PartyChangeDict]
    warnings: list[str]
