"""Names made of parts: how a listed name or a query is taken apart before matching.

Listed names
    A listed name joined by slashes ("Al-Qa'ida/Islamic Army") is indexed whole and
    part by part (:func:`with_parts`).

Queries
    People screen strings copied from documents, not clean names: a paper
    affiliation ("School of Computer Science, Harbin Institute of Technology,
    Harbin 150001, China"), a grant record cut at 35 characters, a name with its
    Chinese name, stock code or acronym beside it. :func:`query_parts` turns such a
    string into the candidate names it holds:

    1. **Run-together words are repaired**: text extracted from PDFs loses the
       separator between fields ("...Group CorporationShijiazhuangPeople's Republic
       of China"); a lower-to-upper case boundary is split where one side is a legal
       form, a place or a unit word, and a place starts a new segment.
    2. **Organisations are separated** at ``;``, line breaks, ``|`` and a lone ``+``
       (how affiliation fields join several organisations); each group is read on
       its own.
    3. **Segments** are cut at ``,``, Chinese commas and semicolons, brackets and
       slashes (when every slash part has four characters or more). A segment made
       only of a legal form ("Co., Ltd.") joins the one before it. A bracketed
       acronym made of the initials of the name beside it ("National University of
       Defense Technology (NUDT)") and a stock code ("(002230.CN)") are dropped; a
       bracketed place ("Bank of China (Hong Kong)") qualifies the name and stays.
       A Latin name and a Chinese name written side by side become two segments.
    4. **Set aside**: segments that are only places (a city of the world included:
       "..., Georgia Tech Research Institute, Atlanta, GA" names no "ATALANTA"),
       postcodes and other numbers, countries ("P.R. China", "PRC"), e-mail addresses
       or street addresses. **Unit phrases**
       ("School of ...", "College of ...", "State Key Laboratory of ...", "...
       Research Institute", "AI Lab") are kept, and mark the other hits of their
       group as hits on a unit of the listed entity.
    5. **Candidates**: the whole string; every segment kept; every two adjacent
       kept segments read together ("Institute of Computing Technology, Chinese
       Academy of Sciences"); all kept segments of a group together.

    "Surname, Given" (two short segments, neither a place nor a legal form) is a
    person's name and is not cut.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container
from functools import cache, lru_cache
from typing import NamedTuple

from screener.matching.lazy_re import LazyRe
from screener.matching.normalize import clean, has_cjk, normalize, vocabulary
from screener.model import Name


def with_parts(names: list[Name], organisation: bool = True) -> list[Name]:
    """The names, and the names they are made of (kind ``part``): each name of several
    joined by slashes; for a name with brackets, the name without them and each
    bracketed name ("China Academy of Space Technology (CAST)"), unless the brackets
    hold a place ("Bank of China (Hong Kong)"); and for an organisation named after
    its parent, the unit's own name when it has three words or more ("Aerospace
    Information Research Institute, Chinese Academy of Sciences"; "China Academy of
    Science—Shenyang Institute of Automation")."""
    out = list(names)
    for n in names:
        parts = [n.name]
        if _BRACKET.search(n.name):
            parts = _bracket_split(n.name, initials=True)
            if len(parts) == 1:
                parts = []
        for p in list(parts):
            parts += _slash_split(p)
            if organisation:
                parts += _unit_part(p)
        out += [Name(p, "part", n.lang) for p in dict.fromkeys(parts) if p != n.name]
    return out


def _unit_part(name: str) -> list[str]:
    """The unit's own name in "Unit, Parent", "Parent, Unit" or "Parent—Unit": the part
    that reads as a unit (:func:`_kind`) when the other does not."""
    if not _UNIT_MARKS.intersection(name):  # (most names: no pattern to try)
        return []
    m = _UNIT_OF.match(name) or _PARENT_DASH.match(name)
    if not m:
        return []
    a, b = m.group(1).strip(), m.group(2).strip()
    if _only_legal(b) or _only_places(b):
        return []
    ka, kb = _kind(a), _kind(b)
    unit = a if (ka, kb) == ("unit", "org") else b if (ka, kb) == ("org", "unit") else None
    if unit is None or len(normalize(unit).tokens) < 3:
        return []
    return [unit]


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


_SLASH = LazyRe(r"\s*[/／]\s*")
_UNIT_OF = LazyRe(r"^([^,，]+?)\s*[,，]\s*([^,，]+)$")
_PARENT_DASH = LazyRe(r"^(.+?)\s*[—–]\s*(.+)$")
_UNIT_MARKS = frozenset(",，—–")  # what _UNIT_OF or _PARENT_DASH needs to match


# -- queries ------------------------------------------------------------------------------


class Part(NamedTuple):
    """A candidate name found in a query string."""

    text: str  # the candidate as screened
    whole: bool  # the whole query string (not a part of it)
    units: tuple[str, ...]  # unit phrases of the same organisation ("School of ...")


# characters that may separate parts; a string without any is screened whole only
# ("[a-z](?:[A-Z]|\d{1,2}\b)": "[a-z][A-Z]" or "[a-z]\d{1,2}\b", tried once per letter)
_MAY_SPLIT = LazyRe(
    r"[,;|+/()\[\]（）【】，、；\n\r]|[a-z](?:[A-Z]|\d{1,2}\b)|[\u3400-\u9fff].*[A-Za-z]{2}|[A-Za-z]{2}.*[\u3400-\u9fff]"
)
_MAY_SPLIT_ASCII = re.compile(r"[,;|+/()\[\]\n\r]|[a-z](?:[A-Z]|\d{1,2}\b)")
_GROUPS = LazyRe(r"\s*(?:[;；|\n\r]+|(?<![+\w])\+(?![+])|(?<=\w)\+(?=\s*[A-Z]))\s*")
# "Huawei Technologies Co., Ltd.": commas only before legal forms, nothing to take apart
_NAME_COMMA_LEGAL = LazyRe(
    r"^[^,;|+/()\[\]（）【】，、；\n\r\d]+(?:,\s*(?:co|ltd|inc|llc|corp|plc|limited|"
    r"incorporated|corporation|company|s\.?a|gmbh|ag|l\.?l\.?c|l\.?p|n\.?v|b\.?v)\.?)+\s*$",
    re.I,
)
_SEGMENT = LazyRe(r"\s*[,，、]\s*")
_BRACKET = LazyRe(r"[(\[（【]([^()\[\]（）【】]*)[)\]）】]")
_TICKER = re.compile(
    r"^(?:\d{4,6}(?:\.[A-Za-z]{1,3})?|[A-Za-z]{1,6}:\s*[A-Z0-9.]{1,8}|[A-Z]{2,5}:\s*\d{3,6})$"
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_SCRIPT = LazyRe(
    r"([\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff\d（）()]*[\u3400-\u9fff\uf900-\ufaff）)])"
)
_EMAIL = re.compile(r"\S+@\S+")
_POSTCODE = re.compile(r"\b\d{5,6}\b")
_FOOTNOTE = re.compile(r"(?<=\b[A-Z][a-z]{2})([a-z]*)\d{1,2}\b")


def query_parts(text: str, cities: Container[str] = frozenset()) -> list[Part]:
    """The candidate names in ``text``: the whole string first, then its parts.
    ``cities`` are city names (normalized words) that a segment of their own names as a
    place, not as a party."""
    text = str(text)
    whole = Part(" ".join(text.split()), True, ())
    if not (_MAY_SPLIT_ASCII if text.isascii() else _MAY_SPLIT).search(text) or (
        _NAME_COMMA_LEGAL.match(text) or _legal_tail(text)
    ):
        return [whole]
    if "\n" not in text and "\r" not in text:
        text = whole.text
    text = _repair(text)
    out: dict[str, Part] = {whole.text: whole}
    for group in _GROUPS.split(text):
        found = _segments(group)
        if not found:
            continue
        segments = [s for s, _ in found]
        kinds = [_kind(s, cities) for s in segments]
        kept = [s for s, k in zip(segments, kinds) if k in ("org", "unit")]
        if (
            len(kept) == 2
            and len(segments) == 2
            and not any(a for _, a in found)
            and (_looks_like_person(kept))
        ):
            kept = [" ".join(kept)]  # "CHEN, Quanguo"
            kinds = ["org"]
            segments = kept
            found = [(kept[0], False)]
        units = tuple(s for s, k in zip(segments, kinds) if k == "unit")
        cands = list(kept)
        # a hierarchy ("Institute of ..., Chinese Academy of Sciences") reads together;
        # an alias in brackets or after a slash does not
        chain = [s for s, alias in found if s in kept and not alias]
        cands += [f"{a} {b}" for a, b in itertools.pairwise(chain)]
        if len(chain) > 2:
            cands.append(" ".join(chain))
        for c in cands:
            c = " ".join(c.split())
            if c and c not in out:
                out[c] = Part(c, False, tuple(u for u in units if u not in c))
    return list(out.values())


def _legal_tail(text: str) -> bool:
    """A name whose commas only set off legal forms ("Tecnologia Digital, S.A. de C.V.")."""
    head, sep, tail = text.partition(",")
    if not sep or not head.strip() or not _PLAIN_TAIL.match(tail):
        return False
    stop = vocabulary()["stop"]
    legal = _legal_words()
    return all(w in legal or w in stop for w in clean(tail).split())


_PLAIN_TAIL = re.compile(r"^[\s\w.,&'-]*$")


def _repair(text: str) -> str:
    """Step 1: split words run together at a field boundary."""
    if not _CAMEL.search(text):
        return text
    pieces = _CAMEL.split(text)
    out = pieces[0]
    for left, right in itertools.pairwise(pieces):
        lw = re.findall(r"[A-Za-z]+$", left)
        rw = re.findall(r"^[A-Za-z]+", right)
        lw_, rw_ = (lw[0].lower() if lw else ""), (rw[0].lower() if rw else "")
        if _is_place_word(rw_) or rw_ in ("people", "peoples"):
            out += ", " + right
        elif lw_ in _legal_words() or rw_ in _legal_words() or rw_ in _org_words():
            out += " " + right
        else:
            out += right
    return out


def _segments(group: str) -> list[tuple[str, bool]]:
    """Step 3: the segments of one organisation's string, each with whether it is an
    alias of another (bracketed, or one of names joined by a slash)."""
    raw: list[tuple[str, bool]] = []
    for piece in _SEGMENT.split(group):
        split = _bracket_split(piece)
        raw += [(s, i > 0) for i, s in enumerate(split)]
    out: list[tuple[str, bool]] = []
    for s, alias in raw:
        s = _FOOTNOTE.sub(r"\1", s).strip(" :-–—*†‡").lstrip(".")  # "China1": a footnote mark
        if not s:
            continue
        if out and _only_legal(s):
            out[-1] = (f"{out[-1][0]}, {s}", out[-1][1])
            continue
        slashed = _slash_split(s)
        for p in slashed or [s]:
            out += [(x, alias or bool(slashed)) for x in _script_split(p)]
    return out


def _bracket_split(piece: str, initials: bool = False) -> list[str]:
    """A piece and its bracketed parts, each on its own (see step 3); a bracketed
    acronym of the name beside it is kept only with ``initials`` (a listed name's).

    A bracket that only qualifies the name (:func:`qualifier`: a place, a jurisdiction
    code, a legal or organisational form: "(Hong Kong)", "(HK)", "(S)", "(BVI)",
    "(Group)") stays in place and is never a name on its own. A bracket holding the
    parent's acronym ("10th Research Institute of China Electronic Technology Group
    Corporation (CETC)") names the parent, not the unit the name is
    (:func:`parent_acronym`), and is left out."""
    if not _BRACKET.search(piece):
        return [piece]
    kept: list[str] = []
    parents: list[str] = []

    def outer_of(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if not inner or _TICKER.match(inner):
            return " "
        if qualifier(inner):
            return m.group(0)  # "Bank of China (Hong Kong)", "Mecatech (Private) Limited"
        if parent_acronym(inner, piece[: m.start()], piece[m.end() :]):
            parents.append(inner)  # the parent's, in a listed name or a query alike
        else:
            kept.append(inner)
        return " "

    outer = " ".join(_BRACKET.sub(outer_of, piece).split())
    if not initials:
        bare = " ".join(_BRACKET.sub(" ", piece).split())
        kept = [m for m in kept if not _is_initials(m, bare)]
    if outer == " ".join(piece.split()) and not kept:
        return [outer]
    return [outer, *kept] if outer else kept


def qualifier(text: str) -> bool:
    """A bracket that names no one: only places, country words, jurisdiction codes, legal
    or organisational forms and single letters ("Hong Kong", "HK", "H.K.", "S", "BVI",
    "Group", "Private", "Shenzhen", "香港"; vocabulary ``bracket_qualifiers``)."""
    if _zh_place(text):
        return True
    if has_cjk(text):
        return False
    toks = clean(text).split()
    if not toks:
        return False
    n = normalize(text)
    v = vocabulary()
    allowed = n.places | v["setaside"] | v["qualifiers"] | v["weak_descriptors"]
    if all(t in _legal_words() or len(t) == 1 for t in toks):
        return True
    return bool(n.tokens) and all(t in allowed or len(t) == 1 for t in n.tokens)


def parent_acronym(acronym: str, before: str, after: str) -> bool:
    """A listed unit's bracket holding its parent's acronym, not its own: the initials of
    the parent's name just before it, the unit's own words after it ("China Aerospace
    Science and Technology Corporation (CASC) 8th Academy"), or of the words after the
    last "of" when it ends the name ("10th Research Institute of China Electronic
    Technology Group Corporation (CETC)"). Initials may leave out stop words, group
    words, legal forms and one other word (:func:`_loose_initials`)."""
    a = acronym.replace(".", "").replace(" ", "").lower()
    if not (3 <= len(a) <= 8) or not a.isalpha() or has_cjk(before):
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", before)]
    rest = after.split(",")[0]
    if re.search(r"[A-Za-z]{2}", rest) and not _only_places(rest):
        return len(words) >= 2 and _loose_initials(a, tuple(words))
    if "of" not in words[1:] or _initials_match(a, tuple(words), vocabulary()["stop"]):
        return False
    tail = tuple(words[len(words) - words[::-1].index("of") :])
    return len(tail) >= 2 and _loose_initials(a, tail)


def _loose_initials(a: str, words: tuple[str, ...]) -> bool:
    """``a`` spelt by the first letters of the last words of ``words``, in order: stop
    words, group words and legal forms optional, one other word left out at most, one
    word giving two letters at most ("AVIC": AViation Industry Corporation)."""
    v = vocabulary()
    optional = v["stop"] | v["weak_descriptors"] | _legal_words()

    @cache
    def go(i: int, j: int, skipped: int, two: int) -> bool:
        if i == len(a):
            rest = [w for w in words[j:] if w not in optional]
            return len(rest) <= 1 - skipped
        if j == len(words):
            return False
        w = words[j]
        if w[0] == a[i]:
            if go(i + 1, j + 1, skipped, two):
                return True
            twice = not two and len(w) > 1 and i + 1 < len(a) and w[1] == a[i + 1]
            if twice and go(i + 2, j + 1, skipped, 1):
                return True
        if w in optional:
            return go(i, j + 1, skipped, two)
        return skipped == 0 and go(i, j + 1, 1, two)

    # the acronym covers the end of the parent's name: try each start
    return any(go(0, k, 0, 0) for k in range(len(words)) if words[k][0] == a[0])


def _script_split(seg: str) -> list[str]:
    """A Latin name and a Chinese name side by side become two segments."""
    if not has_cjk(seg) or not re.search(r"[A-Za-z]{2,}.*[A-Za-z]{2,}", seg):
        return [seg]
    zh = [m.strip() for m in _SCRIPT.findall(seg)]
    latin = " ".join(_SCRIPT.sub(" ", seg).split())
    zh = [z for z in zh if len(z) >= 2]
    if not zh or len(re.findall(r"[A-Za-z]+", latin)) < 2:
        return [seg]
    return [latin, *zh]


def _kind(seg: str, cities: Container[str] = frozenset()) -> str:
    """Step 4: ``place``, ``email``, ``address``, ``unit`` or ``org``."""
    if _EMAIL.search(seg):
        return "email"
    if _TICKER.match(seg.strip()):
        return "place"
    n = normalize(_POSTCODE.sub(" ", seg))
    toks = set(n.tokens)
    aside = _setaside_words()
    if not toks or all(t in aside or t in n.places for t in toks) or _zh_place(seg):
        return "place"
    if all(t.isdecimal() or t in cities or t in n.places for t in toks):
        return "place"  # "Atlanta", "Langfang 065000", a footnote's number
    if toks & _street_words() and (
        n.numbers or toks & n.places or (len(toks) <= 4 and not toks & _org_words() and not n.legal)
    ):
        return "address"
    words = n.tokens
    heads = _unit_heads()
    if words[0] in heads or " ".join(words[:2]) in heads or " ".join(words[:3]) in heads:
        return "unit"
    if words[-1] in _unit_words() and not has_cjk(seg):
        return "unit"
    return "org"


def _zh_place(seg: str) -> bool:
    """A Chinese place name, with or without 省 / 市 / 区 and a postcode (北京 100041)."""
    if not has_cjk(seg):  # (what goes below is no Chinese character)
        return False
    zh = re.sub(r"[\s\d]+", "", seg)
    zh = re.sub(r"[省市区县]$", "", zh)
    return zh in vocabulary()["zh_places"] or zh in ("中国", "中华人民共和国")


def _looks_like_person(kept: list[str]) -> bool:
    """Two short segments, neither a unit nor holding an organisation word."""
    for s in kept:
        n = normalize(s)
        if not n.tokens or len(n.tokens) > 2 or n.legal or has_cjk(s):
            return False
        org, unit, generic = _org_words(), _unit_words(), _generic_words()
        if any(t in org or t in unit or t in generic for t in n.tokens):
            return False
    return True


def _only_legal(seg: str) -> bool:
    """ "Co., Ltd." or "Inc.": a legal form cut off its name by a comma."""
    toks = clean(seg).split()
    return bool(toks) and all(t in _legal_words() for t in toks)


def _only_places(text: str) -> bool:
    n = normalize(text)
    return bool(n.tokens) and set(n.tokens) <= n.places | _setaside_words()


def acronym_of(name: str) -> str:
    """The initials of a listed organisation's name of three words or more, stop words
    and legal forms left out ("People's Liberation Army" -> "pla"); else ""."""
    if has_cjk(name):
        return ""
    stop = vocabulary()["stop"]
    words = [w for w in clean(name).split() if w not in stop and w not in _legal_words()]
    if len(words) < 3 or not all(w.isalpha() for w in words):
        return ""
    return "".join(w[0] for w in words)


def query_acronym(text: str) -> str:
    """The acronym a query is, when it is one word of three to six capitals beside places
    and legal forms at most ("PLA", "PLA China"); else ""."""
    if len(text) > 40:
        return ""  # an acronym stands alone, or beside a place or a legal form
    n = normalize(text)
    if len(n.tokens) > 3:
        return ""
    caps = re.findall(r"\b[A-Z]{3,6}\b", text)
    if len(caps) != 1 or (text.isupper() and len(text.split()) > 1):
        return ""
    rest = [t for t in n.tokens if t not in n.places and t not in _setaside_words()]
    word = caps[0].lower()
    return word if rest == [word] else ""


def _is_initials(acronym: str, name: str) -> bool:
    """ "NUDT" for "National University of Defense Technology": the initials of the
    name's words (stop words optional), in order."""
    a = acronym.replace(".", "").replace(" ", "").lower()
    if not (2 <= len(a) <= 8) or not a.isalpha() or has_cjk(name):
        return False
    words = list(re.findall(r"[A-Za-z]+", name))
    stop = vocabulary()["stop"]
    return _initials_match(a, tuple(w.lower() for w in words), stop)


def _initials_match(a: str, words: tuple[str, ...], stop: frozenset[str]) -> bool:
    """Can ``a`` be spelt by the first letters of ``words`` in order, every word that
    is not a stop word used, and at most one word contributing two letters?"""

    @cache
    def go(i: int, j: int, extra: int) -> bool:
        if i == len(a):
            return all(w in stop or w in _legal_words() for w in words[j:])
        if j == len(words):
            return False
        w = words[j]
        if (w in stop or w in _legal_words()) and go(i, j + 1, extra):
            return True
        if w[0] == a[i]:
            if go(i + 1, j + 1, extra):
                return True
            if extra < 1 and len(w) > 1 and i + 1 < len(a) and w[1] == a[i + 1]:
                return go(i + 2, j + 1, extra + 1)
        return False

    return go(0, 0, 0)


@lru_cache(maxsize=10_000)
def _is_place_word(word: str) -> bool:
    return bool(word) and word in vocabulary()["places"] | _setaside_words()


@cache
def _legal_words() -> frozenset[str]:
    return frozenset(w for k in vocabulary()["legal"] for w in k if len(w) >= 2) | {
        "co",
        "ltd",
        "inc",
        "corp",
        "llc",
        "plc",
        "corporation",
        "company",
        "limited",
    }


def _setaside_words() -> frozenset[str]:
    """Country words a query may add that no place vocabulary holds as places."""
    return vocabulary()["setaside"]  # type: ignore[no-any-return]


def _unit_heads() -> frozenset[str]:
    return vocabulary()["unit_heads"]  # type: ignore[no-any-return]


def _unit_words() -> frozenset[str]:
    return vocabulary()["unit_words"]  # type: ignore[no-any-return]


@cache
def _org_words() -> frozenset[str]:
    """Words that mark a name as an organisation's: legal forms, unit and institution words."""
    v = vocabulary()
    return frozenset(v["institution"] | v["unit_words"] | _legal_words())


def _generic_words() -> frozenset[str]:
    return vocabulary()["generic"]  # type: ignore[no-any-return]


def _street_words() -> frozenset[str]:
    return vocabulary()["street"]  # type: ignore[no-any-return]
