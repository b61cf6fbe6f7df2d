"""Names made of parts: how a listed name or a query is taken apart before matching.

- A listed name joined by slashes ("Al-Qa'ida/Islamic Army") is indexed whole and
  part by part (:func:`with_parts`).
- A query with brackets or slashes ("Megvii (Face++)") is screened whole and part
  by part (:func:`name_variants`); a bracketed place ("Bank of China (Hong Kong)")
  qualifies the name instead and is not taken off.
"""

from __future__ import annotations

import re

from screener.matching.normalize import normalize
from screener.model import Name


def with_parts(names: list[Name]) -> list[Name]:
    """The names, and the parts of listed names joined by a slash (kind ``part``)."""
    out = list(names)
    for n in names:
        out += slash_parts(n.name, n.lang)
    return out


def slash_parts(name: str, lang: str | None = None) -> list[Name]:
    """ "Al-Qa'ida/Islamic Army" -> its two names; "A/S" and "TCP/IP" stay whole."""
    return [Name(p, "part", lang) for p in _slash_split(name)]


def _slash_split(name: str) -> list[str]:
    """The names joined by slashes, when every one has four characters or more."""
    if "/" not in name and "／" not in name:
        return []
    parts = [p.strip() for p in _SLASH.split(name)]
    if len(parts) < 2 or any(len(p) < 4 for p in parts):
        return []
    return parts


HAS_PARTS = re.compile(r"[(\[（【/／]")
_BRACKETS = re.compile(r"[(\[（【]([^()\[\]（）【】]*)[)\]）】]")
_SLASH = re.compile(r"\s*[/／]\s*")


def _only_places(text: str) -> bool:
    n = normalize(text)
    return bool(n.tokens) and set(n.tokens) <= n.places


def name_variants(name: str) -> list[str]:
    """The name, and the names it is made of: for each bracketed part, the name
    without it and the part alone ("Megvii (Face++)"); for names joined by a slash,
    each of them ("Al-Qa'ida/Islamic Army") when every one has four characters or
    more (so "A/S" and "TCP/IP" stay whole)."""
    if not HAS_PARTS.search(name):
        return [name]
    out = [name]
    inner = [m.strip() for m in _BRACKETS.findall(name) if len(m.strip()) >= 2]
    # a place in brackets qualifies the name ("Bank of China (Hong Kong)" is not Bank of
    # China): such a name is not taken apart
    if inner and not any(_only_places(m) for m in inner):
        out.append(" ".join(_BRACKETS.sub(" ", name).split()))
        out += inner
    for v in list(out):
        out += _slash_split(v)
    return list(dict.fromkeys(v for v in out if v))


