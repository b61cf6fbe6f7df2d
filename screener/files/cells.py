"""Formula safety for cells a spreadsheet will open.

Text starting with ``= + - @``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection: ``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``). :func:`neutralize` prefixes such text with ``'``, which
spreadsheets show as text. The batch writers (CSV, XLSX) and `lists export`
(``simple`` CSV) pass every text cell through it. Kept apart from the writers so
that callers need not import pandas or openpyxl.
"""

from __future__ import annotations

from collections.abc import Callable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would read as a formula (``=1+1`` → ``'=1+1``)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def formula_text(formula: str) -> str | None:
    """The text a spreadsheet formula shows when that needs no calculation, else None.

    A workbook written by a script holds formulas without the value a spreadsheet
    would cache; the names in it are still there when the formula is made of text:
    ``=HYPERLINK("https://www.hikvision.com", "Hikvision")`` shows ``Hikvision``,
    ``="Hik"&"vision"`` and ``=CONCATENATE("Hik","vision")`` show ``Hikvision``,
    ``=TRIM(" Dahua ")``, ``=UPPER(...)``, ``=LOWER(...)``, ``=PROPER(...)``, ``=T(...)``
    the text so changed. A reference to a cell, a number or any other function: None.
    """
    try:
        value, rest = _expr(formula.lstrip("=").strip())
    except (ValueError, IndexError):
        return None
    return value if value is not None and not rest.strip() else None


_TEXT_FUNCTIONS: dict[str, Callable[[list[str]], str | None]] = {
    "TRIM": lambda a: " ".join(a[0].split()) if len(a) == 1 else None,
    "UPPER": lambda a: a[0].upper() if len(a) == 1 else None,
    "LOWER": lambda a: a[0].lower() if len(a) == 1 else None,
    "PROPER": lambda a: a[0].title() if len(a) == 1 else None,
    "T": lambda a: a[0] if len(a) == 1 else None,
    "CONCATENATE": "".join,
    "CONCAT": "".join,
    "HYPERLINK": lambda a: a[1] if len(a) == 2 else None,  # the label, not the address
}


def _expr(s: str) -> tuple[str | None, str]:
    """A text expression at the start of ``s``: terms joined by ``&``; (value, rest)."""
    value, s = _term(s)
    while s.lstrip().startswith("&"):
        more, s = _term(s.lstrip()[1:])
        value = None if value is None or more is None else value + more
    return value, s


def _term(s: str) -> tuple[str | None, str]:
    s = s.lstrip()
    if s.startswith('"'):  # a string literal; "" is a quote
        out, i = [], 1
        while True:
            j = s.index('"', i)
            out.append(s[i:j])
            if s[j + 1 : j + 2] == '"':
                out.append('"')
                i = j + 2
                continue
            return "".join(out), s[j + 1 :]
    name = ""
    while s[len(name)].isalpha() or s[len(name)] in "._":
        name += s[len(name)]
    fn = _TEXT_FUNCTIONS.get(name.upper().removeprefix("_XLFN."))
    if fn is None or not s[len(name) :].startswith("("):
        raise ValueError(s)
    s = s[len(name) + 1 :]
    args: list[str | None] = []
    while True:
        value, s = _expr(s)
        args.append(value)
        s = s.lstrip()
        if s.startswith(","):
            s = s[1:]
            continue
        if not s.startswith(")"):
            raise ValueError(s)
        s = s[1:]
        break
    if any(a is None for a in args):
        return None, s
    return fn([a for a in args if a is not None]), s
