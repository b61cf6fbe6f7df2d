"""Field values the official-list importers share: text, dates, scripts, lists, names.

Official lists write the same facts in many ways. These helpers read them one way:

* :func:`clean` -- one cell as text: whitespace (also no-break spaces and Excel's
  ``_x000D_``) collapsed, spreadsheet dates as ISO dates, whole numbers without ``.0``.
* :func:`partial_date` -- one date as an ISO partial date: ``"1970"``, ``"1970-05"``,
  ``"1970-05-01"``. Reads ISO dates, ``dd/mm/yyyy`` (``order="mdy"`` for US files),
  ``00`` for an unknown day or month (OFSI), ``12 Apr. 2000``, ``April 12, 2000``,
  ``May 1970`` and a bare year. Anything else is None: a date is never guessed.
* :func:`birth_dates` -- every date in a free-text date-of-birth cell (``a) 1955
  b) Approximately 1960``, ``Between 1955 and 1958``, ``1970; alt DOB: 1971``), split
  into exact dates, the subset marked approximate, and year ranges.
* :func:`split_enumerated` -- ``a) X b) Y`` and ``(1) X (2) Y`` as ``[X, Y]``.
* :func:`script_lang` / :func:`lang_code` -- the language a non-Latin name is in: the
  language the file states when it states one ("Russian" -> ``ru``), else the language
  its script most often stands for on these lists (Cyrillic -> ``ru``, Arabic -> ``ar``,
  Han -> ``zh``, Hangul -> ``ko``). Latin-script names get None.
* :func:`country_codes` -- ISO alpha-2 codes for country names, demonyms and the
  list spellings ``"CHINA, PEOPLE'S REPUBLIC OF"``, ``"Russia / Russie"``,
  ``"Russian and Ukrainian"``, ``"(1) Syria. (2) Palestine"``.
* :func:`add_name` / :func:`add_unique` -- append without duplicates.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from screener.countries import to_iso2
from screener.model import Entity, Name

_SPACES = re.compile(r"(?:_x000[dD]_|[\s\u00a0\u200b\ufeff])+")
MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_CIRCA = re.compile(r"\b(?:approximately|approx\.?|circa|ca\.|c\.|about|around)\s*", re.IGNORECASE)
_RANGE = re.compile(r"(?:between\s+)?\b(\d{4})\s*(?:-|–|to|and)\s*(\d{4})\b", re.IGNORECASE)
_ENUM = re.compile(
    r"(?:^|(?<=[\s.;,]))(?:\(\s*[a-z0-9]{1,2}\s*\)|[a-z0-9]{1,2}\))\s*", re.IGNORECASE
)
_DATE_LIKE = re.compile(
    r"\d{4}-\d{2}(?:-\d{2})?|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}/\d{4}"
    r"|\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4}|[A-Za-z]{3,9}\.?\s+\d{1,2},\s*\d{4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{4}|\b\d{4}\b"
)

# Language names as lists write them -> ISO 639-1. "Cyrillic" names a script, not a
# language, so it falls through to the script.
LANGUAGES = {
    "arabic": "ar",
    "belarusian": "be",
    "bosnian": "bs",
    "bulgarian": "bg",
    "burmese": "my",
    "chinese": "zh",
    "farsi": "fa",
    "georgian": "ka",
    "greek": "el",
    "hebrew": "he",
    "japanese": "ja",
    "kazakh": "kk",
    "korean": "ko",
    "pashto": "ps",
    "persian": "fa",
    "persian/farsi": "fa",
    "romanian": "ro",
    "russian": "ru",
    "russia": "ru",
    "serbian": "sr",
    "spanish": "es",
    "thai": "th",
    "turkish": "tr",
    "ukrainian": "uk",
    "ukraine": "uk",
    "urdu": "ur",
}
# Unicode script (first word of a character's name) -> the language it most often
# stands for on sanctions lists; a guess used only when the file names no language.
SCRIPTS = {
    "ARABIC": "ar",
    "ARMENIAN": "hy",
    "BENGALI": "bn",
    "CJK": "zh",
    "CYRILLIC": "ru",
    "DEVANAGARI": "hi",
    "GEORGIAN": "ka",
    "GREEK": "el",
    "HANGUL": "ko",
    "HEBREW": "he",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "KHMER": "km",
    "LAO": "lo",
    "MYANMAR": "my",
    "TAMIL": "ta",
    "THAI": "th",
    "TIBETAN": "bo",
}


def clean(value: Any) -> str:
    """One cell as clean text; '' for None. Dates become ISO, 1969.0 becomes '1969'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean_text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=1 << 16)
def _clean_text(text: str) -> str:
    """Cached: list files repeat the same cell on every row of an entry."""
    if "_x000" in text or "\u200b" in text or "\ufeff" in text:
        text = _SPACES.sub(" ", text)
    return " ".join(text.split())  # str.split() also splits on no-break spaces


def _valid(year: int, month: int = 0, day: int = 0) -> str | None:
    if not 1800 <= year <= 2100 or not 0 <= month <= 12:
        return None
    if not month:
        return f"{year:04d}" if not day else None
    if not day:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def partial_date(value: Any, order: str = "dmy") -> str | None:
    """One date as an ISO partial date, or None when the text is not exactly one date."""
    if isinstance(value, (dt.date, dt.datetime)):
        return clean(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _valid(int(value)) if float(value).is_integer() else None
    return _text_date(clean(value), order) if value else None


@lru_cache(maxsize=1 << 14)
def _text_date(text: str, order: str) -> str | None:
    text = _CIRCA.sub("", text).strip(" .,;")
    if m := re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T.*)?", text):
        return _valid(int(m[1]), int(m[2] or 0), int(m[3] or 0))
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
        a, b = int(m[1]), int(m[2])
        day, month = (a, b) if order == "dmy" else (b, a)
        return _valid(int(m[3]), month, day)
    if m := re.fullmatch(r"(\d{1,2})/(\d{4})", text):
        return _valid(int(m[2]), int(m[1]))
    if m := re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", text):
        named = MONTHS.get(m[2].lower())
        return _valid(int(m[3]), named, int(m[1])) if named else None
    if m := re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", text):
        named = MONTHS.get(m[1].lower())
        return _valid(int(m[3]), named, int(m[2])) if named else None
    if m := re.fullmatch(r"([A-Za-z]+)\.?,?\s+(\d{4})", text):
        named = MONTHS.get(m[1].lower())
        return _valid(int(m[2]), named) if named else None
    return None


def birth_dates(value: Any, order: str = "dmy") -> tuple[list[str], list[str], list[list[str]]]:
    """(dates, approximate dates, [from, to] year ranges) in a date-of-birth cell."""
    dates: list[str] = []
    circa: list[str] = []
    ranges: list[list[str]] = []
    if value is None or value == "":
        return dates, circa, ranges
    if not isinstance(value, str):
        one = partial_date(value, order)
        return ([one] if one else []), circa, ranges
    found = _text_birth_dates(value, order)
    return list(found[0]), list(found[1]), [list(r) for r in found[2]]


@lru_cache(maxsize=1 << 14)
def _text_birth_dates(
    value: str, order: str
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    dates: list[str] = []
    circa: list[str] = []
    ranges: list[tuple[str, str]] = []
    for piece in re.split(r";|>>|\balt(?:ernative)?\.? DOB:?|\bor\b", value, flags=re.IGNORECASE):
        for part in split_enumerated(piece):
            approximate = bool(_CIRCA.search(part))
            part = _CIRCA.sub("", part)
            if m := _RANGE.search(part):
                ranges.append((m[1], m[2]))
                continue
            found = partial_date(part, order)
            found_all = (
                [found]
                if found
                else [d for d in (partial_date(x, order) for x in _DATE_LIKE.findall(part)) if d]
            )
            for d in found_all:
                add_unique(dates, d)
                if approximate:
                    add_unique(circa, d)
    return tuple(dates), tuple(circa), tuple(ranges)


def split_enumerated(text: Any) -> list[str]:
    """``a) X b) Y`` / ``(1) X (2) Y`` -> ``[X, Y]``; other text -> ``[text]``."""
    return list(_split(clean(text)))


@lru_cache(maxsize=1 << 14)
def _split(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    if not _ENUM.match(text):
        return (text,)
    return tuple(p.strip(" ;,.") for p in _ENUM.split(text) if p.strip(" ;,."))


def script_lang(text: str) -> str | None:
    """The language a name's script most often stands for; None for Latin script."""
    for ch in text:
        if ch.isalpha() and ord(ch) > 0x24F:
            try:
                word = unicodedata.name(ch).split()[0]
            except ValueError:
                continue
            if word in SCRIPTS:
                return SCRIPTS[word]
    return None


def lang_code(language: Any, text: str) -> str | None:
    """The file's own language name as ISO 639-1 when it names one, else the script's."""
    script = script_lang(text)
    if script is None:
        return None
    return LANGUAGES.get(clean(language).lower()) or script


def country_codes(values: Iterable[Any]) -> list[str]:
    """ISO alpha-2 codes (lower case) for country names, codes and demonyms, in order."""
    out: list[str] = []
    for value in values:
        for part in split_enumerated(value):
            for item in part.split(";"):
                codes = [country_code(item)]
                if codes[0] is None:  # "Russian and Ukrainian", but not "Trinidad and Tobago"
                    codes = [country_code(x) for x in re.split(r"\s+and\s+|,", item)]
                for code in codes:
                    add_unique(out, code)
    return out


def country_code(text: Any) -> str | None:
    """One country as written on a list, or None when it is not known."""
    return _country(clean(text).strip(" .,;"))


@lru_cache(maxsize=1 << 12)
def _country(text: str) -> str | None:
    if not text:
        return None
    candidates = [text, text.split(" / ")[0]]
    if "," in text:
        head, _, tail = text.partition(",")
        candidates.append(f"{tail.strip()} {head.strip()}")  # "CHINA, PEOPLE'S REPUBLIC OF"
    candidates += [re.sub(r"\s*\([^)]*\)", "", c).strip() for c in list(candidates)]
    for c in candidates:
        if code := to_iso2(c):
            return code
    return None


def add_name(ent: Entity, text: Any, kind: str = "alias", lang: str | None = None) -> None:
    """Append a name unless the entity already has it; non-Latin names get a language."""
    name = clean(text)
    if not name or any(n.name == name for n in ent.names):
        return
    ent.names.append(Name(name, kind, lang or script_lang(name)))


def add_unique(items: list[Any], value: Any) -> None:
    if value and value not in items:
        items.append(value)
