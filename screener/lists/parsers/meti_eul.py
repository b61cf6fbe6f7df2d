"""Japan's End User List (format ``meti-eul``): foreign entities of WMD or conventional-arms
concern, published by METI (外国ユーザーリスト, "Foreign End-User List").

Under Japan's catch-all controls (Foreign Exchange and Foreign Trade Act), an export of
goods or technology to an entity on the list needs a licence from METI unless it is clear
the items will not be used for the concern the list names. METI revises it about once a
year and publishes it as a document (PDF and spreadsheet) beside a press release; there is
no data download. The importer reads the JSON into which the security-export-control-
registry project (xyna-bpinelab, MIT licence) turns METI's list, ``data/entities/jp.json``:
a JSON array of ``{id, entity_name, aliases, addresses, reason, source_url, ...}``.

How an entry is read:

* ``entity_name`` holds METI's English name, often followed by a short name and the
  Japanese-script name in brackets ("Nanjing University of Science and Technology（NUST）
  （南京理工大学）"): the English name is the primary name, the bracketed short name an
  abbreviation, the Japanese-script name a name in its own right (METI writes Chinese
  names in Japanese kanji, which the normalizer folds to simplified Chinese).
* ``aliases`` are METI's "also known as" names, split the same way.
* ``addresses`` holds the country or region only. Where the copy lost a name into it
  ("People's Republic of China 23rd Research Institute" under an empty ``entity_name``),
  the country is split off and the rest is the name.
* ``reason`` is METI's type of concern in Japanese ("大量破壊兵器等の懸念: ミサイル M; 通常兵器の
  懸念: CW"): kept as written and read into its codes, B (biological), C (chemical),
  M (missile), N (nuclear) and CW (conventional weapons), as the listing's ``program``.
* The revision date is read from the METI press-release URL the entries cite
  (``/press/2025/09/20250929006/``: the revision of 2025-09-29); it is the list's date.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.lists.parsers.fields import add_name, country_codes, script_lang
from screener.lists.parsers.textfile import read_json
from screener.model import Entity, Listing, ParsedList

LIST_NAME = "Japan METI End User List"
AUTHORITY = "Japan METI"
EFFECT = (
    "Named on Japan's End User List (METI): an export of goods or technology to this entity "
    "needs a licence from METI under the catch-all controls of the Foreign Exchange and "
    "Foreign Trade Act, unless it is clear the items will not be used for the concern listed."
)
OFFICIAL = "https://www.meti.go.jp/policy/anpo/law05.html"
CONCERNS = {
    "B": "biological weapons",
    "C": "chemical weapons",
    "M": "missiles",
    "N": "nuclear weapons",
    "CW": "conventional weapons",
}
_BRACKETED = re.compile(r"\s*[（(]([^()（）]+)[)）]\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_REVISION = re.compile(r"/press/\d{4}/\d{2}/(\d{4})(\d{2})(\d{2})\d{3}/")


def parse(path: Path) -> ParsedList:
    """Read the End User List (JSON array of entries) into one entity per entry."""
    path = Path(path)
    doc = read_json(path)
    if not isinstance(doc, list) or not all(isinstance(x, dict) for x in doc):
        raise InputError(f"{path}: not METI's End User List (expected a JSON array of entries)")
    if doc and not any("entity_name" in x for x in doc):
        raise InputError(f"{path}: not METI's End User List (no entry has an entity_name)")
    countries = _countries(doc)
    entities = [e for i, item in enumerate(doc, 1) if (e := _entity(path, i, item, countries))]
    if not entities:
        raise InputError(f"{path}: no entries with a name")
    revisions = sorted(
        {m.group(1, 2, 3) for x in doc if (m := _REVISION.search(x.get("source_url") or ""))}
    )
    published = "-".join(revisions[-1]) if revisions else None
    return ParsedList(
        entities,
        published=published,
        meta={
            "format": "meti-eul",
            "revision": published,
            "read_from": "security-export-control-registry JSON (xyna-bpinelab, MIT) of METI's list",
            "last_verified": max((x.get("last_verified") or "" for x in doc), default="") or None,
        },
    )


def _countries(doc: list[dict[str, Any]]) -> list[str]:
    """The country names the list uses (addresses that are one country alone)."""
    names = {a.strip() for x in doc for a in x.get("addresses") or [] if isinstance(a, str)}
    return sorted((n for n in names if country_codes([n])), key=len, reverse=True)


def _entity(path: Path, i: int, item: dict[str, Any], countries: list[str]) -> Entity | None:
    name = unicodedata.normalize("NFKC", str(item.get("entity_name") or "")).strip()
    addresses = [str(a).strip() for a in item.get("addresses") or [] if str(a).strip()]
    if not name:  # the copy put the name after the country
        for k, a in enumerate(addresses):
            country = next((c for c in countries if a.startswith(c + " ")), None)
            if country:
                name, addresses[k] = a[len(country) :].strip(), country
                break
    if not name:
        return None
    primary, parts = _split(name)
    ent = Entity(id=str(item.get("id") or f"meti-{i}"), name=primary, schema="organization")
    _add_parts(ent, parts)
    for alias in item.get("aliases") or []:
        text, bracketed = _split(unicodedata.normalize("NFKC", str(alias)))
        add_name(ent, text, "alias", _lang(text))
        _add_parts(ent, bracketed)
    ent.countries = country_codes(addresses)
    ent.addresses = addresses
    reason = " ".join(str(item.get("reason") or "").split())
    codes = _codes(reason)
    ent.listings.append(
        Listing(
            list=LIST_NAME,
            authority=AUTHORITY,
            in_force=True,
            program="concern: " + ", ".join(CONCERNS[c] for c in codes) if codes else None,
            effect=EFFECT,
            source_url=item.get("source_url") or OFFICIAL,
        )
    )
    ent.sub_list, ent.source_url = LIST_NAME, ent.listings[0].source_url
    ent.programs = codes
    ent.remarks = reason or None
    ent.extra["concerns"] = codes
    return ent


def _split(name: str) -> tuple[str, list[str]]:
    """'X（NUST） （南京理工大学）' -> ('X', ['NUST', '南京理工大学'])."""
    parts: list[str] = []
    while (m := _BRACKETED.search(name)) and m.start() > 0:
        parts.insert(0, m.group(1).strip())
        name = name[: m.start()].strip()
    return name, parts


def _add_parts(ent: Entity, parts: list[str]) -> None:
    for p in parts:
        if _CJK.search(p):
            add_name(ent, p, "chinese" if script_lang(p) == "zh" else "alias", _lang(p))
        elif len(p) <= 12 and " " not in p.strip():
            add_name(ent, p, "abbreviation")
        else:
            add_name(ent, p, "alias")


def _lang(text: str) -> str | None:
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    return script_lang(text)


def _codes(reason: str) -> list[str]:
    """'…ミサイル、核 M,N; 通常兵器の懸念: CW' -> ['M', 'N', 'CW']."""
    text = unicodedata.normalize("NFKC", reason)
    found = re.findall(r"(?<![A-Za-z])(CW|[BCMN])(?![A-Za-z])", text)
    return [c for c in CONCERNS if c in found]
