"""Text in a user's file: each cell decoded by the encoding its bytes fit, and text that
cannot be read as a name (mojibake) told apart from names.

A file is rarely in two encodings, but an export assembled from several systems can be:
rows in UTF-8, Latin-1, GBK and cp1252 in one CSV. Read with one encoding, the GBK row
``海康威视`` becomes ``º£¿µÍþÊÓ`` or ``єЈїµНюКУ``, which screens clear. So a file that
is not UTF-8 throughout is decoded cell by cell (:func:`decode_cell`):

1. ASCII is ASCII.
2. Bytes that are valid UTF-8 and not ASCII are UTF-8 (legacy text almost never forms
   valid UTF-8 sequences by chance).
3. Otherwise the file's own encoding (what the whole file's bytes suggest) when its
   text is readable (:func:`unreadable` finds nothing) and its Chinese, Japanese or
   Korean characters, if any, are all common ones (:func:`commonness`); else, of the
   encodings of :data:`LEGACY` whose text is readable, the one whose characters are
   most common (the file's, then the list's order, on a tie), with a note saying so.
4. No readable decoding: the cell is ``unreadable`` (its text as the file's encoding
   gives it, for the reviewer to see).

:func:`unreadable` says why a text looks like mojibake rather than a name, from these
signs (each seen in text decoded with the wrong encoding, rare in real names):

* U+FFFD, the replacement character: bytes were already lost;
* ftfy's mojibake heuristic (UTF-8 read as Latin-1, cp1252, cp1251... :
  ``SociÃ©tÃ©``);
* Cyrillic and CJK (Chinese, Japanese or Korean) letters in one cell;
* a CJK character between two Latin letters of one word (``M黮ler``: Latin-1 read
  as GBK);
* a word of accented Latin letters and symbols with more of them than plain letters
  (``º£¿µÍþÊÓ``: GBK read as cp1252; ``»Aěťľľ–g”``: as cp1250);
* a symbol such as ``µ ¶ § ¤`` between two letters of a word (``Ґ¤µК``);
* half-width katakana glued to Latin letters (``ｳNｦ``: Big5 read as Shift-JIS), Hangul
  and Chinese characters taking turns in a word (``볼鹵베영``: GBK read as EUC-KR);
* an accented Greek capital after a word's first letter (``ΚΘΩΒΆΰ``: GBK read as
  cp1253);
* a Cyrillic word whose letters belong to no single Cyrillic alphabet (``КЃПЕЭўЪг``
  mixes Macedonian ``Ѓ``, Russian ``Ъ`` and Belarusian ``ў``), or that twice has one
  lower-case letter alone between capitals (``єЈїµНюКУ``; camel case such as
  ``УралВагонЗавод`` has longer runs).
"""

from __future__ import annotations

import codecs
import itertools
import re
from functools import cache, lru_cache

from ftfy.badness import is_bad

# Encodings tried, in order, for a cell that is not UTF-8 and not readable in the file's
# own encoding: Chinese (GB18030 is a superset of GB2312 and GBK), Western European,
# Traditional Chinese, Japanese, Korean, Cyrillic.
LEGACY = ("gb18030", "cp1252", "big5", "shift_jis", "euc_kr", "cp1251")

# Each Cyrillic alphabet in use for names (lower case); a word must fit one of them.
_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_CYRILLIC_ALPHABETS = tuple(
    frozenset(a)
    for a in (
        _RU,  # Russian
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",  # Ukrainian
        "абвгдеёжзійклмнопрстуўфхцчшыьэюя'",  # Belarusian
        "абвгдежзийклмнопрстуфхцчшщъьюяѝ",  # Bulgarian
        "абвгдђежзијклљмнњопрстћуфхцчџш",  # Serbian
        "абвгдѓежзѕијклљмнњопрстќуфхцчџш",  # Macedonian
        _RU + "әғқңөұүһі",  # Kazakh
        _RU + "ўқғҳ",  # Uzbek
        _RU + "ңөү",  # Kyrgyz, Mongolian
        _RU + "ғӣқӯҳҷ",  # Tajik
    )
)
# Greek capitals with an accent: only at a word's start (an all-capitals word has none)
_GREEK_ACCENTED_CAPITALS = frozenset("ΆΈΉΊΌΎΏΪΫ")
# Symbols that sit between letters only in mojibake (never in a word of a real name).
_GLUED_SYMBOLS = frozenset("¡¢£¤¥¦§¨©«¬®¯°±²³µ¶¸¹»¼½¾¿×÷№‰†‡ˆ˜™„‚")


def _kind(ch: str) -> str:
    """L: ASCII letter, X: accented Latin letter (Latin-1, Extended-A and -B), S: a
    symbol seen in mojibake (:data:`_GLUED_SYMBOLS`), C: CJK, Y: Cyrillic, o: anything
    else."""
    o = ord(ch)
    if o < 0x80:
        return "L" if ch.isalpha() else "o"
    if o < 0x250:  # Latin-1 and Latin Extended-A and -B: accented letters
        return "X" if ch.isalpha() else ("S" if ch in _GLUED_SYMBOLS else "o")
    if 0x400 <= o <= 0x52F:
        return "Y" if ch.isalpha() else "o"
    if (
        0x3040 <= o <= 0x30FF  # kana
        or 0x3400 <= o <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= o <= 0xD7AF  # Hangul
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
    ):
        return "C"
    if 0xFF66 <= o <= 0xFF9F:  # half-width katakana
        return "K"
    if ch in _GLUED_SYMBOLS:
        return "S"
    return "o"


_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_PLAIN_CJK = re.compile(f"[\\x00-\\x7f{_HAN}\u3000-\u303f\uff01-\uff5e]*")
_CJK_IN_LATIN = re.compile(f"[A-Za-z][{_HAN}](?![{_HAN}])|(?<![{_HAN}])[{_HAN}][A-Za-z]")


@lru_cache(maxsize=65_536)
def unreadable(text: str) -> str | None:
    """Why ``text`` looks like mojibake rather than a name (see the module docstring), or
    None when it reads as text. ASCII text is always readable."""
    if text.isascii() or (_PLAIN_CJK.fullmatch(text) and not _CJK_IN_LATIN.search(text)):
        return None  # the common cases, quickly: ASCII, Chinese characters among ASCII
    if "\ufffd" in text:
        return "U+FFFD replacement characters: bytes were lost before screener read the file"
    if is_bad(text):
        return "mojibake (text decoded with the wrong encoding)"
    kinds = "".join(_kind(ch) for ch in text)
    if "Y" in kinds and "C" in kinds:
        return "mojibake: Cyrillic and CJK letters in one name"
    for word, wk in zip(text.split(), kinds_by_word(text, kinds)):
        why = _bad_word(word, wk)
        if why:
            return f"mojibake: {why} ({word[:40]!r})"
    return None


def kinds_by_word(text: str, kinds: str) -> list[str]:
    """The kinds of each whitespace-separated word of ``text`` (``kinds`` is the text's)."""
    out, start = [], None
    for i, ch in enumerate(text):
        if ch.isspace():
            if start is not None:
                out.append(kinds[start:i])
                start = None
        elif start is None:
            start = i
    if start is not None:
        out.append(kinds[start:])
    return out


def _bad_word(word: str, kinds: str) -> str | None:
    letters = kinds.replace("o", "").replace("S", "")
    for i, k in enumerate(kinds):
        before = kinds[i - 1] if i else "o"
        after = kinds[i + 1] if i + 1 < len(kinds) else "o"
        if k == "S" and (
            (_letter(before) and _letter(after))
            or ("S" in (before, after) and _letter(before + after))
        ):
            return "symbols glued to the letters of a word"
        if k == "C" and "C" not in (before, after) and "L" in (before, after):
            return "one CJK character inside a Latin word"
        if k == "K" and "L" in (before, after):
            return "half-width katakana glued to Latin letters"
    hangul = [0xAC00 <= ord(ch) <= 0xD7AF for ch, k in zip(word, kinds) if k == "C"]
    if sum(1 for a, b in itertools.pairwise(hangul) if a != b) >= 2:
        return "Hangul and Chinese characters interleaved in a word"
    latin1 = kinds.count("X") + kinds.count("S")
    accented = kinds.count("X")
    if accented and latin1 >= 2 and latin1 > kinds.count("L") and not {"C", "Y"} & set(kinds):
        return "a word of accented letters and symbols"
    if any(ch in _GREEK_ACCENTED_CAPITALS for ch in word[1:]):
        return "an accented Greek capital inside a word"
    if "Y" in letters:
        cyr = [ch for ch, k in zip(word, kinds) if k == "Y"]
        lower = {ch.lower() for ch in cyr}
        if not any(lower <= a for a in _CYRILLIC_ALPHABETS):
            return "a word of letters from several Cyrillic alphabets"
        # one lower-case letter between two capitals (or first): "єЈ", "НюК"; a brand's
        # camel case has longer runs ("УралВагонЗавод")
        switches = sum(
            1
            for i in range(len(word) - 1)
            if word[i].islower() and word[i + 1].isupper() and (i == 0 or not word[i - 1].islower())
        )
        if switches >= 2:
            return "a word switching case twice"
    return None


def _letter(kinds: str) -> bool:
    return bool(kinds) and all(k in "LXYC" for k in kinds)


@lru_cache(maxsize=65_536)
def decode_cell(raw: bytes, encoding: str) -> tuple[str, str | None]:
    """The text of one cell's bytes, and the encoding used when it is not ``encoding``
    (the file's), or ``"unreadable"`` when no encoding gives readable text (the text is
    then ``encoding``'s, with U+FFFD for bytes it cannot take). See the module docstring:
    of the readable decodings, the file's wins when its Chinese, Japanese or Korean
    characters are all common ones (:func:`commonness`), else the one whose are most."""
    if raw.isascii():
        return raw.decode("ascii"), None
    try:
        return raw.decode("utf-8"), (None if _utf8(encoding) else "utf-8")
    except UnicodeDecodeError:
        pass
    tried = _tried(encoding)
    best: tuple[float, int, str, str | None] | None = None
    for i, enc in enumerate(tried):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if unreadable(text) is not None:
            continue
        score = commonness(text)
        if i == 0 and score == 1.0:
            return text, None  # the file's own encoding, reading as text does
        if best is None or score > best[0]:
            best = (score, -i, text, None if i == 0 else enc)
    if best is not None:
        return best[2], best[3]
    return raw.decode(encoding, errors="replace"), "unreadable"


def decode_cells(raws: list[bytes], encoding: str) -> list[tuple[str, str | None]]:
    """:func:`decode_cell` of each of many cells, quickly where they are what a file in one
    encoding holds: the cells are decoded together, and only those whose text is not
    plainly readable (anything but ASCII and common Chinese characters) are looked at one
    by one."""
    out: list[tuple[str, str | None]] = []
    utf8 = _utf8(encoding)
    joined = b"\n".join(raws)
    # UTF-8 first: a cell whose bytes are (no surrogate escape in its part) is UTF-8
    as_utf8 = joined.decode("utf-8", "surrogateescape").split("\n")
    if len(as_utf8) != len(raws):  # a cell holding a line break
        return [decode_cell(raw, encoding) for raw in raws]
    rest = [i for i, part in enumerate(as_utf8) if _SURROGATE.search(part)]
    out = [(part, None if utf8 else "utf-8") for part in as_utf8]
    if not rest:
        return out
    try:
        parts = b"\n".join(raws[i] for i in rest).decode(encoding).split("\n")
    except UnicodeDecodeError:
        parts = []
    if len(parts) != len(rest):  # bytes the file's encoding lacks: cell by cell
        for i in rest:
            out[i] = decode_cell(raws[i], encoding)
        return out
    text = "\n".join(parts)
    uncommon = {
        ch for ch in set(text) if ch > "\u2fff" and _CJK_CHARS.match(ch) and not _common(ch)
    }
    if not uncommon and _PLAIN_CJK.fullmatch(text) and not _CJK_IN_LATIN.search(text):
        for i, part in zip(rest, parts):  # every one plainly readable: the usual file
            out[i] = (part, None)
        return out
    doubtful = re.compile("[" + "".join(sorted(uncommon)) + "]") if uncommon else None
    for i, part in zip(rest, parts):
        plain = (
            _PLAIN_CJK.fullmatch(part)
            and not _CJK_IN_LATIN.search(part)
            and (doubtful is None or not doubtful.search(part))
        )
        out[i] = (part, None) if plain else decode_cell(raws[i], encoding)
    return out


def all_readable(texts: list[str]) -> bool:
    """True when every one of ``texts`` is plainly readable (ASCII and Chinese characters,
    none inside a Latin word), which :func:`unreadable` need not look at one by one."""
    text = "\n".join(texts)
    return bool(_PLAIN_CJK.fullmatch(text)) and not _CJK_IN_LATIN.search(text)


_SURROGATE = re.compile("[\udc80-\udcff]")


def commonness(text: str) -> float:
    """The share of a text's CJK characters that are common ones (1.0 without any): Han
    characters of the first level of GB2312, Big5 or JIS X 0208 (the characters names
    are written in), kana, and Hangul of KS X 1001. Text decoded with the wrong CJK
    encoding is mostly of rarer characters (Big5 ``華為技術`` read as GBK: ``地м砃Τそ``)
    or of half-width katakana (``ｵﾘｬｰ``)."""
    cjk = _CJK_CHARS.findall(text)
    if not cjk:
        return 1.0
    return sum(map(_common, cjk)) / len(cjk)


_CJK_CHARS = re.compile(
    f"[{_HAN}\u3040-\u30ff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]"
)


@lru_cache(maxsize=64)
def _tried(encoding: str) -> tuple[str, ...]:
    """The file's encoding, then those of :data:`LEGACY` that are not it."""
    return (encoding, *(e for e in LEGACY if codecs.lookup(e).name != _name(encoding)))


@cache
def _common(ch: str) -> bool:
    o = ord(ch)
    if 0x3040 <= o <= 0x30FF:  # kana
        return True
    if 0xAC00 <= o <= 0xD7AF:  # Hangul
        return _in_range(ch, "euc_kr", 0xB0A1, 0xC8FE)
    return any(
        _in_range(ch, enc, lo, hi)
        for enc, lo, hi in (
            ("gb2312", 0xB0A1, 0xD7FE),  # GB2312 level 1: 3,755 common characters
            ("big5", 0xA440, 0xC67E),  # Big5 common characters: 5,401
            ("shift_jis", 0x889F, 0x9872),  # JIS X 0208 level 1: 2,965 kanji
        )
    )


def _in_range(ch: str, encoding: str, lo: int, hi: int) -> bool:
    try:
        b = ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and lo <= int.from_bytes(b, "big") <= hi


def _name(encoding: str) -> str:
    return codecs.lookup(encoding).name


def _utf8(encoding: str) -> bool:
    return _name(encoding) in ("utf-8", "utf-8-sig")
