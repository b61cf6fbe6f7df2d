"""What a listing means, for the official lists whose files do not say: every OFAC, UN, UK,
EU and Australian listing of the excerpts gets its effect, with official sources
(screener/lists/data/effects.yaml); a listing that states its own keeps it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from excerpts import excerpt

from screener.lists.effects import annotate, effect, entries
from screener.lists.parsers import dfat, eu_fsf, ofac, ofsi, un_sc
from screener.model import ParsedList

CASES = [
    ("moov-watchman/ofac_sdn_2021", ofac.parse, "SDN List", "blocking"),
    ("moov-watchman/ofac_non_sdn", ofac.parse, "NS-CMIC List", "investment ban"),
    ("moov-watchman/ofac_non_sdn", ofac.parse, "CAPTA List", "correspondent-account ban"),
    ("moov-watchman/un_sc/UN_consolidated.xml", un_sc.parse, None, "UN sanctions measures"),
    ("mmahmed107-ofsi-conlist/ConList.xlsx", ofsi.parse, None, "asset freeze"),
    ("deriv-eu-fsf-sample/sample_eu.xml", eu_fsf.parse, None, "asset freeze"),
    ("stanux-dfat-consolidated/regulation8_consolidated.xlsx", dfat.parse, None, "asset freeze"),
]


@pytest.mark.parametrize(
    ("rel", "parse", "list_name", "kind"),
    CASES,
    ids=["sdn", "ns-cmic", "capta", "un", "uk", "eu", "au"],
)
def test_every_listing_of_the_official_lists_says_what_it_does(
    rel: str, parse: Callable[[Path], ParsedList], list_name: str | None, kind: str
) -> None:
    parsed = parse(excerpt(rel))
    listings = [
        (vars(x), e.remarks)
        for e in parsed.entities
        for x in e.listings
        if list_name is None or x.list == list_name
    ]
    assert listings
    for listing, remarks in listings:
        shown = annotate(listing, remarks)
        assert shown is not listing and listing.get("effect") is None  # a copy, as read
        assert shown["effect_kind"] == kind, listing["list"]
        assert shown["effect"] and shown["effect_sources"]
        assert all(s["url"].startswith("https://") for s in shown["effect_sources"])


def test_the_remark_that_states_the_effect_is_quoted() -> None:
    found = effect(
        {"list": "Capta List (CAP)", "program": "561-Related"},
        "SWIFT/BIC CKLBCNBJ; United States financial institutions are prohibited from opening "
        "or maintaining a correspondent account or a payable-through account for the foreign "
        "financial institution listed here, pursuant to 31 C.F.R. section 561.201(c)",
    )
    assert found is not None and found.from_remark
    assert found.text.startswith("United States financial institutions are prohibited")
    assert found.text.endswith("561.201(c)")
    plain = effect({"list": "CAPTA List"}, None)
    assert plain is not None and not plain.from_remark
    assert plain.text.startswith("US financial institutions may not open or maintain")


def test_a_listing_that_says_what_it_does_keeps_its_own_words() -> None:
    entity_list = {
        "list": "Entity List",
        "license_requirement": "For all items subject to the EAR.",
    }
    assert annotate(entity_list) is entity_list
    fcc = {"list": "FCC Covered List", "effect": "Covered equipment gets no authorization."}
    assert annotate(fcc) is fcc
    unknown = {"list": "Some Other List"}
    assert annotate(unknown) is unknown and effect(unknown) is None  # no effect invented


def test_every_effect_has_official_sources_and_a_date() -> None:
    for e in entries():
        assert e["sources"] and e["checked_on"], e["id"]
        assert all(s["url"].startswith("https://") and s["label"] for s in e["sources"])
