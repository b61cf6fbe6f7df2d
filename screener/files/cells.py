"""Formula safety for cells a spreadsheet will open.

Text starting with ``= + - @``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (CSV injection: ``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``). :func:`neutralize` prefixes such text with ``'``, which
spreadsheets show as text. The batch writers (CSV, XLSX) and `lists export`
(``simple`` CSV) pass every text cell through it. Kept apart from the writers so
that callers need not import pandas or openpyxl.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would read as a formula (``=1+1`` → ``'=1+1``)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
