"""Country names and codes -> ISO 3166-1 alpha-2, lower case.

ISO 3166 itself comes from ``pycountry``: alpha-2 and alpha-3 codes, names, official
and common names ("CN", "CHN", "China", "People's Republic of China"). What ISO does
not hold, but lists and users write, is data in ``screener/data/countries.yaml``:
demonyms ("Chinese"), list spellings ("Korea, North", "Burma"), short forms ("UAE",
"PRC"), disputed regions placed where ISO 3166-2 puts them (Crimea -> ``ua``) and names
in Chinese script (中国, 香港); and the names that are more than one country ("Korea").

Codes beyond ISO 3166-1 that sanction lists use: ``xk`` (Kosovo, user-assigned) and
``an`` (Netherlands Antilles, withdrawn in 2010 but still in OFAC addresses).

- :func:`to_iso2` reads a list's country field: unknown text gives ``None``; it never
  guesses.
- :func:`country_option` reads a user's ``--country`` value or country column: unknown
  text is an :class:`~screener.errors.InputError`, never a silent guess (a country
  cut to two letters once turned "China" into Switzerland); an ambiguous name is an
  :class:`AmbiguousCountry` naming the choices.
- :func:`same_country` tells whether a party's country agrees with a listed one; Hong
  Kong and Macau count as China, as the EAR treats them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from screener.errors import InputError

EXTRA_CODES = frozenset({"xk", "an"})
CHINA = frozenset({"cn", "hk", "mo"})  # one country for country evidence (EAR: HK and MO are China)
_PREFIXES = re.compile(
    r"^(?:region |the |(?:islamic |arab |people s |federal |socialist |united |"
    r"democratic |hashemite |sultanate |state |kingdom |republic )+(?:republic )?of (?:the )?)"
)


class AmbiguousCountry(InputError):
    """A country value that names more than one country ("Korea")."""

    def __init__(self, message: str, choices: tuple[str, ...]):
        super().__init__(message)
        self.choices = choices


def _key(text: str) -> str:
    """Lower case, accents dropped, punctuation to spaces, spaces collapsed (letters of
    every script kept: 中国)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


@cache
def _ambiguous() -> dict[str, tuple[str, ...]]:
    """Name key -> the alpha-2 codes it may mean (``ambiguous`` in the variants file)."""
    from screener.safe_yaml import load_yaml_file

    doc = load_yaml_file(Path(__file__).parent / "data" / "countries.yaml")
    return {_key(str(k)): tuple(str(c) for c in v) for k, v in (doc.get("ambiguous") or {}).items()}


def ambiguous(text: str | None) -> tuple[str, ...]:
    """The countries (alpha-2) an ambiguous name may mean; () for any other text.

    >>> ambiguous("Korea")
    ('kp', 'kr')
    """
    return _ambiguous().get(_key(text or ""), ())


def country_name(code: str) -> str:
    """A country's common English name ("North Korea" for ``kp``), else its code."""
    import pycountry

    c = pycountry.countries.get(alpha_2=code.upper())
    return str(getattr(c, "common_name", None) or getattr(c, "name", None) or code.upper())


def choices_text(codes: tuple[str, ...]) -> str:
    """'North Korea (KP) or South Korea (KR)'."""
    shown = [f"{country_name(c)} ({c.upper()})" for c in codes]
    return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else "".join(shown)


def country_problem(text: str) -> str:
    """What is wrong with a country value that :func:`country_option` refused, in a few
    words for a warning: "names no country", or the countries an ambiguous name may mean."""
    codes = ambiguous(text)
    if codes:
        return f"which could be {choices_text(codes)}"
    return "which names no country"


@cache
def _tables() -> tuple[frozenset[str], dict[str, str]]:
    """(alpha-2 codes, name or code key -> alpha-2) from pycountry and the variants file."""
    import pycountry

    from screener.safe_yaml import load_yaml_file

    codes = set(EXTRA_CODES)
    table: dict[str, str] = {}
    for c in pycountry.countries:
        code = c.alpha_2.lower()
        codes.add(code)
        table[c.alpha_3.lower()] = code
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                table.setdefault(_key(name), code)
    doc = load_yaml_file(Path(__file__).parent / "data" / "countries.yaml")
    for code, names in doc["variants"].items():
        for name in names:
            table[_key(str(name))] = str(code)
    return frozenset(codes), table


def to_iso2(text: str | None) -> str | None:
    """ISO alpha-2 code (lower case) for a country name, code or demonym, else None.

    >>> to_iso2("Korea, North"), to_iso2("CN"), to_iso2("CHN"), to_iso2("Islamic Republic of Iran")
    ('kp', 'cn', 'cn', 'ir')
    """
    if not text or not text.strip():
        return None
    codes, table = _tables()
    raw = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", raw):
        code = raw.lower()
        if code == "uk":
            return "gb"
        return code if code in codes else None
    key = _key(raw)
    if key in _ambiguous():
        return None
    if key in table:
        return table[key]
    return table.get(_PREFIXES.sub("", key))


def country_option(text: str | None, what: str = "--country") -> str | None:
    """A user's country value as an alpha-2 code; ``None`` when empty; an InputError when
    it names no country (ISO-2, ISO-3 and English names are accepted)."""
    if text is None or not str(text).strip():
        return None
    choices = ambiguous(str(text))
    if choices:
        raise AmbiguousCountry(
            f"{what}: '{str(text).strip()[:60]}' could be {choices_text(choices)}: give "
            "the ISO code",
            choices,
        )
    code = to_iso2(str(text))
    if code is None:
        raise InputError(
            f"{what}: '{str(text).strip()[:60]}' is not a country: give an ISO code "
            "(CN, CHN) or an English country name"
        )
    return code


def same_country(party: str, listed: list[str]) -> bool:
    """Whether the party's country is one of the listed entity's; Hong Kong, Macau and
    mainland China count as one."""
    if party in listed:
        return True
    return party in CHINA and not CHINA.isdisjoint(listed)
