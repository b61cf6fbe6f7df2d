"""A hit of the matcher: a listed entity, the name of it that matched, and the evidence.

The matcher (:mod:`screener.matching.matcher`) makes them, the country and date-of-birth
evidence (:mod:`screener.matching.country`) moves their scores, and the screening service
turns them into typed results with provenance
(:class:`~screener.screening.results.ScreenHit`).
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.matching.normalize import Norm
from screener.matching.score import Detail
from screener.model import Entity


@dataclass
class Hit:
    entity: Entity
    score: float
    matched_name: str
    matched_kind: str
    detail: Detail
    query_tokens: tuple[str, ...]  # the query (or its part that matched), normalized
    listed_norm: Norm
    name_id: int = -1  # index of the matched name in the Index

    @property
    def explanation(self) -> str:
        return self.detail.text()
