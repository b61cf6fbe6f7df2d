"""The party's country as secondary evidence: one rule for every caller.

A country moves a score only for an entity with known countries and a score of at
least ``COUNTRY_MIN_SCORE``: it adds ``COUNTRY_BONUS`` when the party's country is one
of the entity's (Hong Kong, Macau and mainland China count as one), and takes off
``COUNTRY_PENALTY`` when it is not. A name is therefore screened down to
:func:`floor` (the threshold less the bonus) before the country is applied, so that a
bonus can lift a hit over the threshold. Country values are ISO alpha-2 codes,
already checked (:func:`screener.countries.country_option`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from screener.countries import same_country
from screener.matching.rules import COUNTRY_BONUS, COUNTRY_MIN_SCORE, COUNTRY_PENALTY

if TYPE_CHECKING:
    from screener.matching.matcher import Hit


def floor(threshold: float, country: str | None) -> float:
    """The lowest score a hit may have before country evidence and still reach ``threshold``."""
    return threshold - COUNTRY_BONUS if country else threshold


def apply_country(hits: list[Hit], country: str | None, threshold: float) -> list[Hit]:
    """``hits`` with the country applied, those at or above ``threshold``, best first."""
    if not country:
        return [h for h in hits if h.score >= threshold]
    out = []
    for h in hits:
        listed = h.entity.countries
        if listed and h.score >= COUNTRY_MIN_SCORE:
            d = replace(h.detail, notes=list(h.detail.notes))
            if same_country(country, listed):
                d.score = round(min(1.0, h.score + COUNTRY_BONUS), 4)
                d.notes.append(f"country {country.upper()} agrees (+{COUNTRY_BONUS})")
            else:
                d.score = round(h.score - COUNTRY_PENALTY, 4)
                d.notes.append(f"country {country.upper()} not among "
                               f"{', '.join(c.upper() for c in listed)} (-{COUNTRY_PENALTY})")  # fmt: skip
            h = replace(h, score=d.score, detail=d)
        if h.score >= threshold:
            out.append(h)
    return sorted(out, key=lambda h: (-h.score, h.entity.name))
