"""Issue 14: names in other scripts meet through transliteration (ICU), and a person's
date of birth is secondary evidence that never clears a name on its own."""

from __future__ import annotations

import pytest

from screener.errors import InputError
from screener.matching.country import dob_option
from screener.matching.matcher import Matcher, screen
from screener.matching.normalize import normalize
from screener.matching.rules import DOB_BONUS, DOB_PENALTY
from screener.model import Entity, Name


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Муромский приборостроительный завод", ("muromskiy", "priborostroitelnyy", "zavod")),
        ("АКЦИОНЕРНОЕ ОБЩЕСТВО «Газпром»", ("gazprom",)),  # the legal form goes too
        ("Κωνσταντίνος", ("konstantinos",)),
        ("海康威视", ("海康", "康威", "威视")),  # Han is left to the Chinese steps
    ],
)
def test_other_scripts_are_transliterated(text: str, tokens: tuple[str, ...]) -> None:
    assert normalize(text).tokens == tokens


def test_a_cyrillic_listed_name_is_found_by_its_latin_spelling_and_back() -> None:
    m = Matcher.from_entities(
        [
            Entity(id="mpz", name="Муромский приборостроительный завод"),
            Entity(
                id="sber", name="Sberbank of Russia", names=[Name("ПАО Сбербанк", "alias", "ru")]
            ),
            Entity(id="hik", name="Hangzhou Hikvision Digital Technology Co., Ltd."),
        ]
    )
    assert [h.entity.id for h in screen(m, "Muromskiy Priborostroitelnyy Zavod")] == ["mpz"]
    assert [h.entity.id for h in screen(m, "Муромский приборостроительный завод АО")] == ["mpz"]
    assert "sber" in [h.entity.id for h in screen(m, "Сбербанк России")]
    assert "sber" in [h.entity.id for h in screen(m, "Sberbank")]


def people() -> Matcher:
    return Matcher.from_entities(
        [
            Entity(
                id="chen", name="CHEN, Quanguo", schema="person", extra={"birth_dates": ["1955-11"]}
            ),
            Entity(id="zhu", name="ZHU, Hailun", schema="person", extra={"birth_dates": ["1958"]}),
            Entity(id="acme", name="Chen Quanguo Trading Company"),  # no date: left alone
        ]
    )


def test_an_agreeing_date_of_birth_raises_a_person_hit_a_little() -> None:
    m = people()
    plain = {h.entity.id: h.score for h in screen(m, "Chen Quanguo", threshold=0.5)}
    dated = {h.entity.id: h for h in screen(m, "Chen Quanguo", threshold=0.5, dob="1955")}
    assert dated["chen"].score == pytest.approx(min(1.0, plain["chen"] + DOB_BONUS))
    assert "date of birth 1955 agrees with 1955-11" in dated["chen"].explanation
    assert dated["acme"].score == plain["acme"]  # not a person: no date evidence


def test_a_differing_date_lowers_but_never_clears_a_name_hit() -> None:
    m = people()
    chen = [h for h in screen(m, "Chen Quanguo", dob="1970-01-01") if h.entity.id == "chen"]
    assert chen and chen[0].score >= 0.8  # still a hit, at the threshold at least
    assert "differs" in chen[0].explanation
    low = screen(m, "Chen Quangu", threshold=0.3)  # a weaker name hit is lowered in full
    weaker = screen(m, "Chen Quangu", threshold=0.3, dob="1970")
    a = {h.entity.id: h.score for h in low}
    b = {h.entity.id: h.score for h in weaker}
    if a.get("chen", 1.0) < 0.8:
        assert b["chen"] == pytest.approx(a["chen"] - DOB_PENALTY)


@pytest.mark.parametrize("bad", ["55", "1955-13", "11/1955", "unknown"])
def test_a_date_of_birth_must_be_iso(bad: str) -> None:
    with pytest.raises(InputError, match="date of birth"):
        dob_option(bad)
