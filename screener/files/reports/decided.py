"""What reviewers decided, as the report and the re-screening show it: the one place that
reads a hit's decision and words it.

A decision is about one party name and one listed record (its source and entry id), and
holds for every record of that record's party (:mod:`screener.screening.parties`): the
decisions stage (:func:`screener.screening.stages.decisions_stage`) finds the one in force
on any record of the hit's party and puts it on the party's hit, as ``hit["decision"]``
(a record that joined the party since makes it "review again"). :func:`hit_decision` is
the only reader of that field here.

    hit_decision(hit)    the decision on one hit, or None
    hit_state(hit)       "confirmed by R. Officer on 2026-12-07", "to review", ...
    party_decision(hits) a party's decisions together: "confirmed", "to review (1 of 3
                         decided)", with the reviewers, for the report's summary table

A decided hit reads as its decision (confirmed, cleared, declined, false positive,
escalated), never "to review"; a hit whose listing changed since it was decided reads
"review again".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from screener.shapes import HitDict

# How each decision kind (screener.db.decisions.KINDS) reads in a report.
WORDS = {
    "confirmed": "confirmed",
    "cleared": "cleared",
    "declined": "declined",
    "false-positive": "false positive",
    "escalated": "escalated",
}
# Kinds that settle a hit: nobody needs to look at it again until its listing changes
# ("escalated" waits for someone's decision).
SETTLED = frozenset({"confirmed", "cleared", "declined", "false-positive"})
TO_REVIEW = "to review"
REVIEW_AGAIN = "review again"


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on one hit, as a report shows it."""

    id: Any
    kind: str  # a decision kind: confirmed, cleared, declined, false-positive, escalated
    reviewer: str | None
    day: str | None  # YYYY-MM-DD
    reason: str | None
    changed: bool  # the listing changed since: to review again
    changes: tuple[str, ...]

    @property
    def words(self) -> str:
        return WORDS.get(self.kind, self.kind)

    @property
    def settled(self) -> bool:
        """Decided, and its listing has not changed since."""
        return self.kind in SETTLED and not self.changed


@dataclass(frozen=True)
class PartyDecision:
    """A party's decisions taken together."""

    label: str  # "confirmed", "false positive; cleared", "to review", "review again", ...
    css: str  # "decided", "to-review", "review-again", "none" (no hits)
    reviewers: tuple[str, ...]
    days: tuple[str, ...]

    @property
    def reviewer(self) -> str:
        return ", ".join(self.reviewers)


def hit_decision(hit: HitDict) -> Decision | None:
    """The decision in force on ``hit`` (on any record of its party), or None."""
    d = hit.get("decision")
    if not isinstance(d, dict) or not d.get("kind"):
        return None
    return Decision(
        d.get("id"),
        str(d["kind"]),
        str(d["reviewer"]) if d.get("reviewer") else None,
        str(d.get("decided_at") or "")[:10] or None,
        str(d["reason"]) if d.get("reason") else None,
        bool(d.get("listing_changed")) or hit.get("status") == "review-again",
        tuple(str(c) for c in d.get("changes") or ()),
    )


def hit_state(hit: HitDict) -> str:
    """A hit's state in a few words: its decision ("confirmed by R. Officer on
    2026-12-07"), "review again" (decided, but its listing changed since), or "to review"."""
    d = hit_decision(hit)
    if d is None:
        return TO_REVIEW
    if d.changed:
        return f"{REVIEW_AGAIN} (was {d.words})"
    by = f" by {d.reviewer}" if d.reviewer else ""
    on = f" on {d.day}" if d.day else ""
    return f"{d.words}{by}{on}"


def is_settled(hit: HitDict) -> bool:
    """Whether a reviewer's decision settles ``hit`` (see :data:`SETTLED`)."""
    d = hit_decision(hit)
    return d is not None and d.settled


def party_decision(hits: Sequence[HitDict]) -> PartyDecision:
    """The decisions on a party's hits together: every hit decided gives the decisions'
    words ("confirmed", "false positive; cleared"); a hit whose listing changed since makes
    it "review again"; an undecided hit "to review", with how many are decided. ``css`` is
    "decided" when every decision settles its hit, "to-review" otherwise (an escalated
    hit reads "escalated" and still waits)."""
    if not hits:
        return PartyDecision("", "none", (), ())
    decided = [d for d in map(hit_decision, hits) if d is not None]
    reviewers = tuple(dict.fromkeys(d.reviewer for d in decided if d.reviewer))
    days = tuple(dict.fromkeys(d.day for d in decided if d.day))
    if any(d.changed for d in decided):
        return PartyDecision(REVIEW_AGAIN, "review-again", reviewers, days)
    words = "; ".join(dict.fromkeys(d.words for d in decided))
    if len(decided) == len(hits):
        css = "decided" if all(d.settled for d in decided) else "to-review"
        return PartyDecision(words, css, reviewers, days)
    if decided:
        label = f"{TO_REVIEW} ({len(decided)} of {len(hits)} decided: {words})"
        return PartyDecision(label, "to-review", reviewers, days)
    return PartyDecision(TO_REVIEW, "to-review", (), ())
