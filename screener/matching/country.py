"""The party's country and date of birth as secondary evidence: one rule for every caller.

A country moves a score only for an entity with known countries and a score of at
least ``COUNTRY_MIN_SCORE``: it adds ``COUNTRY_BONUS`` when the party's country is one
of the entity's (Hong Kong, Macau and mainland China count as one), and takes off
``COUNTRY_PENALTY`` when it is not, except for a foreign arm of the listed entity: a
query that holds the listed name (or its group's) whole and adds a unit, a place or a
company's words ("Huawei Technologies Australia Pty Ltd" from Australia) names a
subsidiary abroad, whose country is expected to differ (``Detail.arm``). A name is therefore screened down to
:func:`floor` (the threshold less the bonus) before the country is applied, so that a
bonus can lift a hit over the threshold. Country values are ISO alpha-2 codes,
already checked (:func:`screener.countries.country_option`).

A date of birth (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) moves only hits on people whose
listing gives dates of birth (``extra["birth_dates"]``), compared at the precision both
have: one that agrees adds ``DOB_BONUS``; one known to differ takes off ``DOB_PENALTY``,
but never takes a hit that its name put at or above the threshold below it: a name hit
is never cleared on a date alone.
"""

from __future__ import annotations

import re
from dataclasses import replace

from screener.countries import same_country
from screener.errors import InputError
from screener.matching.hit import Hit
from screener.matching.rules import (
    COUNTRY_BONUS,
    COUNTRY_MIN_SCORE,
    COUNTRY_PENALTY,
    DOB_BONUS,
    DOB_PENALTY,
)

_DOB = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$")


def dob_option(value: str | None, what: str = "--dob") -> str | None:
    """A date of birth as YYYY, YYYY-MM or YYYY-MM-DD; None when empty; else an InputError."""
    if value is None or not str(value).strip():
        return None
    v = str(value).strip()
    if not _DOB.match(v):
        raise InputError(
            f"{what}: '{v[:40]}' is not a date of birth: write YYYY, YYYY-MM or YYYY-MM-DD"
        )
    return v


def floor(threshold: float, country: str | None, dob: str | None = None) -> float:
    """The lowest score a hit may have before secondary evidence and still reach ``threshold``."""
    return threshold - (COUNTRY_BONUS if country else 0.0) - (DOB_BONUS if dob else 0.0)


def apply_country(
    hits: list[Hit], country: str | None, threshold: float, dob: str | None = None
) -> list[Hit]:
    """``hits`` with the country (and date of birth) applied, those at or above
    ``threshold``, best first."""
    if not country and not dob:
        return [h for h in hits if h.score >= threshold]
    out = []
    for h in hits:
        listed = h.entity.countries
        d = None
        if country and listed and h.score >= COUNTRY_MIN_SCORE:
            d = replace(h.detail, notes=list(h.detail.notes))
            if same_country(country, listed):
                d.score = round(min(1.0, h.score + COUNTRY_BONUS), 4)
                d.notes.append(f"country {country.upper()} agrees (+{COUNTRY_BONUS})")
            elif h.detail.arm:
                d.notes.append(
                    f"country {country.upper()} not among {', '.join(c.upper() for c in listed)}, "
                    "not counted against a foreign arm of it"
                )
            else:
                d.score = round(h.score - COUNTRY_PENALTY, 4)
                d.notes.append(
                    f"country {country.upper()} not among "
                    f"{', '.join(c.upper() for c in listed)} (-{COUNTRY_PENALTY})"
                )
            h = replace(h, score=d.score, detail=d)
        born = h.entity.extra.get("birth_dates") if dob and h.entity.schema == "person" else None
        if born and dob:
            d = replace(h.detail, notes=list(h.detail.notes))
            if any(_same_date(dob, b) for b in born):
                d.score = round(min(1.0, h.score + DOB_BONUS), 4)
                d.notes.append(f"date of birth {dob} agrees with {', '.join(born)} (+{DOB_BONUS})")
            else:
                lowered = round(h.score - DOB_PENALTY, 4)
                kept = h.score >= threshold > lowered
                d.score = threshold if kept else lowered
                d.notes.append(
                    f"date of birth {dob} differs from {', '.join(born)} "
                    f"(-{DOB_PENALTY}"
                    + (
                        ", kept at the threshold: a date alone never clears a name)"
                        if kept
                        else ")"
                    )
                )
            h = replace(h, score=d.score, detail=d)
        if h.score >= threshold:
            out.append(h)
    return sorted(out, key=lambda h: (-h.score, h.entity.name))


def _same_date(party: str, listed: str) -> bool:
    """Whether two partial dates agree at the precision both have (1970 and 1970-05-01)."""
    n = min(len(party), len(listed))
    return n >= 4 and party[:n] == listed[:n]
