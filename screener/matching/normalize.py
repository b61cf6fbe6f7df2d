"""The one normalization pipeline, applied identically to listed names and queries.

``normalize(text)`` runs these steps, in this order:

0. **Format characters** (Unicode category Cf: zero-width spaces and joiners, soft
   hyphens, bidi marks, the BOM) are removed before anything else: they are invisible,
   and ``Hik\u200bvi\u200bsion`` is Hikvision (:func:`strip_format`).
1. **Bound**: text longer than ``MAX_CHARS`` is cut (no organization name is longer;
   a 10 MB spreadsheet cell must not stall a run). A longer text is still searched
   for the listed names it holds, in windows (see ``matcher``).
2. **Unicode**: NFKC (full-width letters and digits become ASCII, ligatures split),
   then casefold; accents are removed from Latin letters (Société -> societe). Other
   scripts but Han are transliterated with ICU (PyICU): Cyrillic as BGN/PCGN writes it
   (Муромский -> muromskiy), Arabic, Greek, Hebrew, kana, Hangul... by Any-Latin.
3. **Chinese script**: traditional characters become simplified (OpenCC ``t2s``);
   ``第十四`` and other Chinese ordinals become digits (``第十四研究所`` -> ``14 研究所``).
4. **Punctuation**: ``&`` reads as ``and``; apostrophes vanish (``IS'Vision`` ->
   ``isvision``); dotted acronyms close up (``A.B.C.`` -> ``abc``); digit ordinals lose
   their suffix (``14th`` -> ``14``); every other non-letter, non-digit becomes a space.
   Tokens split at script and letter/digit boundaries (``CETC14`` -> ``cetc 14``).
5. **Legal forms** (``vocabulary.yaml: legal_forms``, incl. 有限公司, 股份有限公司) are
   removed from the core and kept aside as their class (``Co., Ltd.`` -> ``limited``),
   unless nothing else would be left.
6. **Numbers**: number words and Roman numerals become digits (``Fourteenth``,
   ``XIV`` -> ``14``), compounds add up (``forty-four`` -> ``44``), and a number
   marker before a number goes (``No. 14`` -> ``14``).
7. **Stop words** (of, the, and...) go, unless nothing else would be left.
8. **Words**: plurals are cut (``systems`` -> ``system``) and abbreviations and
   spelling variants map to one form (``Tech`` -> ``technology``, ``Intl`` ->
   ``international``, ``Defence`` -> ``defense``, ``PSB`` -> ``public security bureau``).
9. **Chinese core**: a Chinese-script run loses its legal-form suffix and leading
   place names; it is kept whole (``cjk``) and as character bigrams (its tokens),
   since Chinese is written without spaces. Its pinyin (pypinyin's dictionary) is kept too.

The result (:class:`Norm`) holds the core tokens, which of them are places and
numbers, the legal-form classes, a ``compact`` form (core tokens joined without
spaces: ``Hik-Vision`` and ``Hikvision`` both give ``hikvision``), the Chinese core
and its pinyin.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from screener import heap
from screener.matching.lazy_re import LazyRe
from screener.safe_yaml import load_yaml_file

MAX_CHARS = 400
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = LazyRe(f"[{CJK}]")
_TOKEN_RE = LazyRe(rf"\d+|[{CJK}]+|[^\W\d_{CJK}]+")
_TOKEN_ASCII_RE = re.compile(r"\d+|[a-z]+")  # _TOKEN_RE on lower-cased ASCII text
_DOTTED_RE = re.compile(r"\b(?:[^\W\d_]\.){2,}(?:[^\W\d_]\b)?")
_ORDINAL_RE = re.compile(r"(\d+)(?:st|nd|rd|th|e|er|eme|ème)\b")
_DIGIT_RE = re.compile(r"\d")
_APOSTROPHE_RE = re.compile(r"['’‘`´ʼʻʿʾ]")
# letters of scripts other than Latin and Han: Greek, Cyrillic, Armenian, Hebrew, Arabic,
# Syriac, Thaana, Devanagari and the other Indic scripts, Thai, Georgian, Hangul, kana
_OTHER_SCRIPT_RE = LazyRe(
    r"[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff\u0600-\u06ff"
    r"\u0700-\u07bf\u0900-\u0dff\u0e00-\u0e7f\u10a0-\u10ff\u1100-\u11ff"
    r"\u3040-\u30ff\uac00-\ud7af\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"
)
_ZH_ORDINAL_RE = LazyRe(
    r"第?([零〇一二两三四五六七八九十百]+)(?=研究所|所|院|研究院|厂|局|分局|师|团|号)|第([零〇一二两三四五六七八九十百]+)"
)
_NONE: frozenset[str] = frozenset()
NUMBER_MARKERS = frozenset({"no", "nr", "number", "num", "nos"})
ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


class Norm(NamedTuple):
    """A normalized name. ``tokens`` is the core used for matching."""

    text: str  # cleaned full text (steps 1-4), for display
    tokens: tuple[str, ...]
    places: frozenset[str]
    numbers: frozenset[str]
    legal: tuple[str, ...]  # legal-form classes, e.g. ("limited",)
    compact: str
    joined: str  # every Latin token incl. legal forms, without spaces ("siemensag")
    cjk: str  # Chinese core (legal suffix and leading places removed), or ""
    pinyin: str  # pinyin of ``cjk`` without spaces, or ""


@cache
def vocabulary() -> dict[str, Any]:
    """The vocabularies of ``screener/matching/data/vocabulary.yaml``, prepared for lookup."""
    raw = load_yaml_file(Path(__file__).parent / "data" / "vocabulary.yaml")
    legal: dict[tuple[str, ...], str] = {}
    zh_legal: list[str] = []
    for cls, forms in raw["legal_forms"].items():
        for f in forms:
            if cls == "zh":
                zh_legal.append(f)
            else:
                legal[tuple(_raw_tokens(str(f)))] = cls
    abbrev: dict[str, tuple[str, ...]] = {}
    for canon, variants in raw["abbreviations"].items():
        target = tuple(stem(t) for t in canon.split())
        for v in [canon, *(variants or [])]:
            key = tuple(_raw_tokens(str(v)))
            if len(key) == 1:
                abbrev[stem(key[0])] = target
    # written as step 8 writes words, so that "United States" meets "USA"
    countries = {" ".join(stem(t) for t in _raw_tokens(p)) for p in raw["countries"]}
    places = {" ".join(stem(t) for t in _raw_tokens(p)) for p in raw["places"]} | countries
    zh_places = list(raw["places_zh"])

    def words(entries: list[str]) -> frozenset[str]:
        """Each entry's words as step 8 writes them ("labs" -> "laboratory")."""
        out: set[str] = set()
        for e in entries:
            for t in _raw_tokens(str(e)):
                out.update(abbrev.get(stem(t), (stem(t),)))
        return frozenset(out)

    def phrases(entries: list[str]) -> frozenset[str]:
        return frozenset(
            " ".join(w for t in _raw_tokens(str(e)) for w in abbrev.get(stem(t), (stem(t),)))
            for e in entries
        )

    legal_long = [(k[0], c) for k, c in legal.items() if len(k) == 1 and len(k[0]) >= 7]
    return {
        "legal": legal,
        "legal_long": legal_long,
        "legal_first": {k[0]: max(len(x) for x in legal if x[0] == k[0]) for k in legal},
        "phrase_words": sorted({w for k in legal if len(k) > 1 for w in k if len(w) >= 3}),
        # words that occur only inside several-word forms ("joint", "stock", "liability"):
        # a name holding one may hold a misspelt or cut-short form
        "phrase_word_set": frozenset(w for k in legal if len(k) > 1 for w in k if len(w) >= 3)
        - frozenset(k[0] for k in legal if len(k) == 1),
        "legal_max": max(len(k) for k in legal),
        "zh_legal": sorted(zh_legal, key=len, reverse=True),
        "stop": frozenset(raw["stopwords"]),
        "abbrev": abbrev,
        "numbers": {k: int(v) for k, v in raw["numbers"].items()},
        "roman": {r: _roman_value(r) for r in raw["roman"]},
        "places": frozenset(places),
        "country_words": frozenset(w for c in countries for w in c.split()),
        "numeric": frozenset(raw["numbers"]) | frozenset(raw["roman"]) | NUMBER_MARKERS,
        "place_first": frozenset(p.split()[0] for p in places if " " in p),
        "zh_places": sorted(zh_places, key=len, reverse=True),
        "zh_variants": dict(raw.get("zh_variants") or {}),
        "abbrev_context": {
            stem(str(k)): tuple(canon.split())
            for canon, keys in (raw.get("abbreviations_in_context") or {}).items()
            for k in keys
        },
        "setaside": words(raw["setaside_places"]),
        "qualifiers": words(raw["bracket_qualifiers"]),
        "street": words(raw["street_words"]),
        "unit_heads": phrases(raw["unit_heads"]),
        "unit_words": words(raw["unit_words"]),
        "generic": words(raw["generic_descriptors"]),
        "weak_descriptors": words(raw["weak_descriptors"]),
        "institution": words(raw["institution_words"]),
        "zh_descriptors": sorted(raw["zh_descriptors"], key=len, reverse=True),
        "zh_units": sorted(raw["zh_units"], key=len, reverse=True),
    }


def _roman_value(s: str) -> int:
    vals = {"i": 1, "v": 5, "x": 10}
    total = 0
    for a, b in zip(s, s[1:] + " "):
        total += -vals[a] if vals.get(b, 0) > vals[a] else vals[a]
    return total


# words ending in "s" that are not plurals, where cutting it would change their meaning:
# "Corps" (the Islamic Revolutionary Guard Corps) cut to "corp" reads as the legal form
_NOT_PLURALS = frozenset({"corps"})


def stem(token: str) -> str:
    """Cut an English plural: ``technologies`` -> ``technology``, ``systems`` -> ``system``."""
    if token in _NOT_PLURALS:
        return token
    if len(token) > 5 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith("s") and not token.endswith(("ss", "us", "is", "os")):
        return token[:-1]
    return token


def has_cjk(text: str) -> bool:
    return not text.isascii() and _CJK_RE.search(text) is not None


@cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _transliterator() -> Any:
    """ICU's transliterators (PyICU): Russian-Latin/BGN for Cyrillic (as OFAC and the UN
    write Russian names), then Any-Latin for every other script, then Latin-ASCII. Han
    characters are left to step 3."""
    import icu

    return icu.Transliterator.createInstance(
        "[:^Han:] Russian-Latin/BGN; [:^Han:] Any-Latin; [:^Han:] Latin-ASCII"
    )


def _zh_number(s: str) -> int:
    """十四 -> 14, 二十八 -> 28, 五十五 -> 55, 一百 -> 100, 三八 -> 38."""
    if "十" not in s and "百" not in s:
        n = 0
        for ch in s:
            n = n * 10 + ZH_DIGITS.get(ch, 0)
        return n
    total, cur = 0, 0
    for ch in s:
        if ch == "百":
            total += (cur or 1) * 100
            cur = 0
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        else:
            cur = ZH_DIGITS.get(ch, 0)
    return total + cur


def _zh_ordinals(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return f" {_zh_number(m.group(1) or m.group(2))} "

    return _ZH_ORDINAL_RE.sub(repl, text)


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


# Unicode category Cf (format characters), as of Unicode 15; a test checks it against the
# running Python's unicodedata
_FORMAT_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]+"
)


def strip_format(text: str) -> str:
    """Step 0: ``text`` without format characters (Unicode category Cf: U+200B zero width
    space, U+00AD soft hyphen, U+200D joiner, U+200E/U+200F and U+202A-U+202E bidi
    marks, U+FEFF byte order mark...). ASCII has none."""
    if text.isascii():
        return text
    return _FORMAT_RE.sub("", text)


def clean(text: str) -> str:
    """Steps 1-4: bounded, NFKC, casefolded, simplified Chinese, punctuation as spaces."""
    return " ".join(_clean_tokens(text))


def _clean_tokens(text: str) -> list[str]:
    text = str(text)
    if not text.isascii():
        text = _FORMAT_RE.sub("", text)  # step 0 (strip_format)
    text = text[:MAX_CHARS]
    if text.isascii():
        text = text.lower()  # NFKC leaves ASCII as it is; casefold is lower() on ASCII
    else:
        text = unicodedata.normalize("NFKC", text).casefold()[:MAX_CHARS]
    if not text.isascii():
        if _OTHER_SCRIPT_RE.search(text):  # before accents go: й is not и
            text = _transliterator().transliterate(text).lower()
        text = _strip_accents(text)
        if has_cjk(text):
            text = _t2s().convert(text)
            for short, canon in vocabulary()["zh_variants"].items():
                if short in text and canon not in text:
                    text = text.replace(short, canon)
            text = _zh_ordinals(text)
        text = _APOSTROPHE_RE.sub("", text)
    elif "'" in text or "`" in text:
        text = _APOSTROPHE_RE.sub("", text)
    if "&" in text:
        text = text.replace("r&d", " research ").replace("&", " and ")
    if "." in text:
        text = _DOTTED_RE.sub(lambda m: m.group(0).replace(".", ""), text)
    if _DIGIT_RE.search(text):
        text = _ORDINAL_RE.sub(r"\1", text)
    return (_TOKEN_ASCII_RE if text.isascii() else _TOKEN_RE).findall(text)


def is_cjk_token(token: str) -> bool:
    """For a token of ``_TOKEN_RE``, which never mixes scripts."""
    c = token[0]
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


def _raw_tokens(text: str) -> list[str]:
    return _clean_tokens(text) if text else []


def _numbers(tokens: list[str]) -> list[str]:
    v = vocabulary()
    words, roman = v["numbers"], v["roman"]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if (
            t in NUMBER_MARKERS
            and i + 1 < len(tokens)
            and (tokens[i + 1].isdecimal() or tokens[i + 1] in words or tokens[i + 1] in roman)
        ):
            i += 1
            continue
        n = words.get(t)
        if n is not None:
            # compounds: forty four -> 44, forty 4 -> 44
            if n >= 20 and n % 10 == 0 and i + 1 < len(tokens):
                nxt = tokens[i + 1]
                unit = int(nxt) if nxt.isdecimal() else words.get(nxt)
                if unit is not None and 0 < unit < 10:
                    out.append(str(n + unit))
                    i += 2
                    continue
            out.append(str(n))
        elif t in roman:
            out.append(str(roman[t]))
        elif t.isdecimal():
            out.append(str(int(t)) if len(t) < 12 else t)
        else:
            out.append(t)
        i += 1
    return out


_WORDS: dict[str, tuple[str, ...]] = {}  # token -> its words after step 8, memoized


def _word(token: str) -> tuple[str, ...]:
    """Step 8 for one token: digits stay, plurals are cut, abbreviations expand."""
    if token.isdecimal():
        out: tuple[str, ...] = (token,)
    else:
        s = stem(token)
        out = vocabulary()["abbrev"].get(s, (s,))
    if len(_WORDS) > 500_000:
        _WORDS.clear()
    _WORDS[token] = out
    return out


def _remove_legal(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Step 5: take legal forms out of the core, longest phrase first.

    A word of a several-word legal form may carry one typo (``Joynt Stock
    Company``) and the last word of the name may be cut short (``Joint Stock
    Compan``); a single-word form must be spelt right (or be long: see
    :func:`_misspelt_legal`).
    """
    v = vocabulary()
    legal, first = v["legal"], v["legal_first"]
    core: list[str] = []
    found: list[str] = []
    n_tok = len(tokens)
    last = n_tok - 1
    if v["phrase_word_set"].isdisjoint(tokens):
        fixed = tokens  # no word of a several-word form: nothing to repair
    else:
        fixed = [_phrase_word(t, i == last) for i, t in enumerate(tokens)]
    i = 0
    legal_before = False  # the word before this one ended a legal form
    while i < n_tok:
        t = tokens[i]
        longest = first.get(fixed[i])
        if longest is not None:
            n = min(longest, n_tok - i)
            cls = None
            while n:
                key = tuple(fixed[i : i + n]) if n > 1 else (t,)
                cls = legal.get(key)
                if cls:
                    break
                n -= 1
            if cls:
                found.append(cls)
                i += n
                legal_before = True
                continue
        if len(t) >= 6 and (cls := _misspelt_legal(t, i == last)):
            found.append(cls)
        elif i == last and legal_before and (cls := _cut_legal(t)):
            found.append(cls)  # "Co. Lt": a name cut short inside its legal form
        else:
            core.append(t)
        legal_before = False
        i += 1
    return core, found


@lru_cache(maxsize=1_000)
def _cut_legal(token: str) -> str | None:
    """The class of the one-word legal form that ``token`` begins and stops short of
    (``lt``, ``limi``, ``corp`` cut from ``ltd``, ``limited``, ``corporation``): how a
    record cut at a fixed width ends a name after ``Co.``. Two letters at least."""
    if len(token) < 2 or not token.isalpha():
        return None
    classes = {
        c
        for k, c in vocabulary()["legal"].items()
        if len(k) == 1 and len(k[0]) > len(token) and k[0].startswith(token)
    }
    return classes.pop() if len(classes) == 1 else None


@lru_cache(maxsize=50_000)
def _phrase_word(token: str, last: bool) -> str:
    """The word of a several-word legal form that ``token`` misspells (one edit, five
    letters or more) or, as the name's last word, cuts short; else ``token``."""
    words: list[str] = vocabulary()["phrase_words"]
    if token in words:
        return token
    if last and len(token) >= 3:
        for w in words:
            if w.startswith(token):
                return w
    if len(token) >= 5:
        near = [w for w in words if abs(len(w) - len(token)) <= 1]
        best = process.extractOne(token, near, scorer=OSA.distance, score_cutoff=1)
        if best:
            return str(best[0])
    return token


@lru_cache(maxsize=50_000)
def _misspelt_legal(token: str, last: bool) -> str | None:
    """A long legal-form word with a typo (``Aktiengeselschaft``), or cut short at
    the end of the name (``... Joint Stock Compan``)."""
    legal_long: list[tuple[str, str]] = vocabulary()["legal_long"]
    for word, cls in legal_long:
        if last and len(token) < len(word) and word.startswith(token):
            return cls
        if len(token) >= 8 and abs(len(token) - len(word)) <= 2:
            allowed = 2 if len(word) >= 12 else 1
            if OSA.distance(token, word, score_cutoff=allowed) <= allowed:
                return cls
    return None


_ZH_INNER_LEGAL = LazyRe(r"股份有限公司|有限责任公司|有限公司|(?<![分子总])公司(?!$)")


def _acronyms(text: str) -> frozenset[str]:
    """Words of two to four capitals in a text that is not all capitals, lower-cased."""
    if text.isupper() or not any(c.isupper() for c in text):
        return frozenset()
    return frozenset(w.lower() for w in re.findall(r"\b[A-Z]{2,4}\b", text))


def _zh_core(run: str) -> tuple[str, list[str]]:
    """Strip legal-form suffixes, legal forms inside the run (中国电子科技集团有限公司电子科学
    研究院: a unit named after its company's full legal name) and leading place names."""
    v = vocabulary()
    if "公司" in run[:-2]:
        run = _ZH_INNER_LEGAL.sub("", run[:-2]) + run[-2:]
    changed = True
    while changed:
        changed = False
        for suffix in v["zh_legal"]:
            if run.endswith(suffix) and len(run) > len(suffix):
                run = run[: -len(suffix)]
                changed = True
                break
    places: list[str] = []
    changed = True
    while changed:
        changed = False
        for p in v["zh_places"]:
            if run.startswith(p) and len(run) > len(p) + 1:
                places.append(p)
                run = run[len(p) :]
                changed = True
                break
    return run, places


@cache
def _pinyin_readings() -> dict[int, str]:
    """pypinyin's readings of each character (code point -> "hǎi,..."), read from its
    data file: importing the package loads its dictionary of phrases as well, which
    screener does not use (0.15 CPU-s alone; 0.75 in a process holding a loaded index,
    where the millions of objects it makes set off full passes of the collector)."""
    module = sys.modules.get("pypinyin.pinyin_dict")
    spec = importlib.util.find_spec("pypinyin") if module is None else None
    data = Path(spec.origin).with_name("pinyin_dict.json") if spec and spec.origin else None
    if data is None or not data.is_file():  # imported already, or laid out otherwise
        from pypinyin.pinyin_dict import pinyin_dict

        return dict(pinyin_dict)
    with heap.paused_collector():
        raw = json.loads(data.read_text(encoding="utf-8"))
    return {int(cp): readings for cp, readings in raw.items()}


def _toneless(readings: str) -> str:
    """The first of a character's readings without its tone mark ("hǎi,..." -> "hai")."""
    first = unicodedata.normalize("NFD", readings.split(",")[0])
    return "".join(ch for ch in first if not unicodedata.combining(ch)).replace("ü", "v")


_PINYIN: dict[str, str] = {}  # character -> to_pinyin's reading of it, as characters come


def _char_pinyin(ch: str) -> str:
    """:func:`to_pinyin` of one character; the table is filled as characters come (all
    of it at once costs 0.06 CPU-s, more than thousands of Chinese names screened)."""
    readings = _pinyin_readings().get(ord(ch))
    out = _PINYIN[ch] = _toneless(readings) if readings else ch
    return out


@cache
def _syllables() -> frozenset[str]:
    toneless = map(_toneless, _pinyin_readings().values())
    return frozenset(s for s in toneless if s.isascii() and s.isalpha())


def is_pinyin_syllable(word: str) -> bool:
    """One toneless pinyin syllable ("hua", "zhong"): in Chinese company names such a word
    stands for one character of many, and names nothing on its own."""
    return word in _syllables()


def is_pinyin_word(word: str) -> bool:
    """A word made only of pinyin syllables ("dahua", "zhongxing")."""
    syl = _syllables()
    n = len(word)
    ok = [True] + [False] * n
    for i in range(n):
        if ok[i]:
            for j in range(i + 1, min(n, i + 6) + 1):
                if word[i:j] in syl:
                    ok[j] = True
    return ok[n]


def to_pinyin(text: str) -> str:
    """Toneless pinyin of each character, without spaces (``海康威视`` -> ``haikangweishi``).

    Reads each character on its own, taking its most common reading (pypinyin's
    dictionary), which is fast; a character with several readings may come out
    differently from a dictionary of phrases, so this is only one path of several.
    """
    known = _PINYIN
    return "".join(known.get(ch) or _char_pinyin(ch) for ch in text)


def bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=100_000)
def normalize(text: str) -> Norm:
    """Run the pipeline (see the module docstring) on one name."""
    v = vocabulary()
    original = text
    raw = _clean_tokens(text)
    text = " ".join(raw)
    if text.isascii():
        latin, with_cjk = raw, False
    else:
        latin = [t for t in raw if not is_cjk_token(t)]
        with_cjk = len(latin) < len(raw)
    core, legal = _remove_legal(latin)
    if not core and not with_cjk:
        core, legal = latin, []
    has_number = _DIGIT_RE.search(text) is not None or not v["numeric"].isdisjoint(core)
    if has_number:
        core = _numbers(core)
    stop = v["stop"]
    if not stop.isdisjoint(core):
        caps = _acronyms(original)  # "Nanjing LES": an acronym, not the French article
        kept = [t for t in core if t not in stop or t in caps]
        core = kept or core
    words: list[str] = []
    known = _WORDS
    in_context = v["abbrev_context"]
    for i, t in enumerate(core):
        w = known.get(t)
        if t in in_context:
            # "CAS" expands beside words ("Institute of Computing Technology, CAS"), not
            # inside a run of acronyms ("EP-CAS", "CSU CAS")
            near = core[max(0, i - 1) : i] + core[i + 1 : i + 2]
            w = in_context[t] if near and all(len(x) > 3 for x in near) else (t,)
        elif w is None:
            w = _word(t)
        if len(w) == 1:
            words.append(w[0])
        else:
            words.extend(w)
    # places, including two-word ones (hong kong, inner mongolia)
    vplaces = v["places"]
    places = {t for t in words if t in vplaces}
    if len(words) > 1 and not v["place_first"].isdisjoint(words):
        for a, b in itertools.pairwise(words):
            if f"{a} {b}" in vplaces:
                places.update((a, b))
    tokens = list(words)
    cjk_parts: list[str] = []
    if with_cjk:
        for t in raw:
            if t.isdecimal():
                cjk_parts.append(str(int(t)) if len(t) < 12 else t)
            elif is_cjk_token(t):
                run, zh_places = _zh_core(t)
                for suffix in v["zh_legal"]:
                    if t.endswith(suffix):
                        legal.append("zh")
                        break
                places.update(zh_places)
                tokens.extend(zh_places)
                cjk_parts.append(run)
                tokens.extend(bigrams(run))
    cjk = "".join(cjk_parts)
    pinyin = to_pinyin(cjk) if cjk else ""
    return Norm(
        text=text,
        tokens=tuple(tokens),
        places=frozenset(places),
        numbers=frozenset(t for t in tokens if t.isdecimal()) if has_number else _NONE,
        legal=tuple(legal),
        compact=("".join(w for w in words if not w.isdecimal()) + cjk) if cjk else "".join(words),
        joined="".join(latin),
        cjk=cjk,
        pinyin=pinyin,
    )


def name_key(name: str, remember: bool = True, norm: Norm | None = None) -> str:
    """The key a name is known by across spellings: its normalized core tokens, so
    "ZHEJIANG DAHUA TECH CO LTD" and "Zhejiang Dahua Technology Co., Ltd." are one party
    (a reviewer's decision is filed under its party's key) and one listed entity across
    lists (a hit carries its entity's key: ``ScreenHit.name_key``). ``remember=False`` keeps the name out of the
    normalizer's memory of names (an import of 100,000 parties would fill it with names
    never screened). ``norm``: the name's normalized form, when the caller holds it
    (a listed name's, from the index), so it is not normalized again."""
    if norm is None:
        norm = normalize(name) if remember else normalize.__wrapped__(name)
    return " ".join(norm.tokens) or clean(name) or name.strip().casefold()
