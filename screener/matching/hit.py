"""A hit of the matcher: a listed entity, the name of it that matched, and the evidence.

The matcher (:mod:`screener.matching.matcher`) makes them, the country and date-of-birth
evidence (:mod:`screener.matching.country`) moves their scores, and the screening service
turns them into typed results with provenance
(:class:`~screener.screening.results.ScreenHit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    def as_dict(self) -> dict[str, Any]:
        """The hit as JSON-ready data, with the entity's provenance."""
        e = self.entity
        return {
            "entity_id": e.id,
            "name": e.name,
            "matched_name": self.matched_name,
            "matched_name_kind": self.matched_kind,
            "score": round(self.score, 4),
            "relation": self.detail.relation,
            "matched_part": self.detail.part,
            "schema": e.schema,
            "source_id": e.extra.get("source_id"),
            "source_name": e.extra.get("source_name"),
            "version_id": e.extra.get("version_id"),
            "list": e.sub_list,
            "citation": e.citation,
            "listed_on": e.listed_on,
            "end_date": e.end_date,
            "license_requirement": e.license_requirement,
            "license_policy": e.license_policy,
            "source_url": e.source_url,
            "programs": e.programs,
            "countries": e.countries,
            "parent": e.parent_name,
            "listings": [vars(x) for x in e.listings],
            "explanation": self.explanation,
            "evidence": {
                **self.detail.as_dict(),
                "query_normalized": " ".join(self.query_tokens),
                "listed_normalized": " ".join(self.listed_norm.tokens),
            },
        }
