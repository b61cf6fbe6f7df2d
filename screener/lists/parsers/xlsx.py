"""A small, fast reader of the cell values in an XLSX workbook (standard library only).

Official lists publish tens of thousands of rows as XLSX; openpyxl builds a cell
object per cell. This reads what an importer needs and nothing else: each sheet's name, and its rows as lists
of values (str, int, float, bool, ``datetime`` for a number in a date format, None for
an empty cell), placed by the cell reference so that skipped empty cells keep their
columns. Formulas give their cached value. Dates follow the workbook's 1900 or 1904
date system. ``modified`` is the workbook's own last-modified date (docProps/core.xml).

A damaged or truncated file raises :class:`XlsxError`; the caller words the message.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that are dates or times (ECMA-376 part 1, 18.8.30; as openpyxl).
DATE_FORMAT_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


class XlsxError(Exception):
    """The workbook cannot be read (not a zip, a part missing, malformed XML)."""


class Workbook:
    """One XLSX file: ``sheets`` (name -> part path), ``rows(name)``, ``modified``."""

    def __init__(self, path: Path):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise XlsxError(str(exc) or type(exc).__name__) from None
        try:
            self.sheets = self._sheets()
            self.strings = self._strings()
            self.date_styles = self._date_styles()
            self.modified = self._modified()
        except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, EOFError) as exc:
            self.zip.close()
            raise XlsxError(str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        self.zip.close()

    def _open(self, name: str) -> IO[bytes]:
        return self.zip.open(name)

    def _parse(self, name: str) -> ET.Element:
        with self._open(name) as f:
            return ET.parse(f).getroot()

    def _sheets(self) -> dict[str, str]:
        wb = self._parse("xl/workbook.xml")
        pr = wb.find(f"{NS}workbookPr")
        self.epoch = (
            dt.datetime(1904, 1, 1)
            if pr is not None and pr.get("date1904") in ("1", "true")
            else dt.datetime(1899, 12, 30)
        )
        rels = self._parse("xl/_rels/workbook.xml.rels")
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_REL_NS}Relationship")}
        out: dict[str, str] = {}
        for sheet in wb.iter(f"{NS}sheet"):
            target = targets.get(sheet.get(f"{REL_NS}id"), "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            out[sheet.get("name", "")] = re.sub(r"[^/]+/\.\./", "", target)
        return out

    def _strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.zip.namelist():
            return []
        out: list[str] = []
        with self._open("xl/sharedStrings.xml") as f:
            for _, elem in ET.iterparse(f):
                if elem.tag == f"{NS}si":
                    out.append("".join(t.text or "" for t in elem.iter(f"{NS}t")))
                    elem.clear()
        return out

    def _date_styles(self) -> set[int]:
        """Indexes of the cell formats (the ``s`` attribute) that show a date."""
        if "xl/styles.xml" not in self.zip.namelist():
            return set()
        styles = self._parse("xl/styles.xml")
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in styles.iter(f"{NS}numFmt")
        }
        dates = {i for i, code in custom.items() if _DATE_CODE.search(_QUOTED.sub("", code))}
        xfs = styles.find(f"{NS}cellXfs")
        if xfs is None:
            return set()
        return {
            i
            for i, xf in enumerate(xfs.iter(f"{NS}xf"))
            if int(xf.get("numFmtId", "0")) in DATE_FORMAT_IDS | dates
        }

    def _modified(self) -> str | None:
        if "docProps/core.xml" not in self.zip.namelist():
            return None
        core = self._parse("docProps/core.xml")
        stamp = next((e.text for e in core if e.tag.endswith("}modified")), None)
        return stamp[:10] if stamp and re.match(r"\d{4}-\d{2}-\d{2}", stamp) else None

    def rows(self, sheet: str) -> Iterator[list[Any]]:
        """The sheet's rows in order, each a list of values; empty rows come back as []."""
        part = self.sheets[sheet]
        expected = 1
        try:
            with self._open(part) as f:
                for _, elem in ET.iterparse(f):
                    if elem.tag != f"{NS}row":
                        continue
                    number = int(elem.get("r") or expected)
                    while expected < number:  # rows the file leaves out are empty
                        yield []
                        expected += 1
                    yield self._row(elem)
                    expected += 1
                    elem.clear()
        except (zipfile.BadZipFile, ET.ParseError, OSError, EOFError, KeyError) as exc:
            raise XlsxError(str(exc) or type(exc).__name__) from None

    def _row(self, row: ET.Element) -> list[Any]:
        values: list[Any] = []
        for cell in row:
            ref = cell.get("r")
            col = _column(ref) if ref else len(values)
            if col > len(values):
                values.extend([None] * (col - len(values)))
            values.append(self._value(cell))
        return values

    def _value(self, cell: ET.Element) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter(f"{NS}t"))
        v = cell.find(f"{NS}v")
        if v is None or v.text is None:
            return None
        text = v.text
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text == "1"
        number = float(text)
        if int(cell.get("s", "0")) in self.date_styles:
            return self.epoch + dt.timedelta(days=number)
        return int(number) if number.is_integer() else number


def _column(ref: str) -> int:
    """'A1' -> 0, 'AB7' -> 27."""
    col = 0
    for ch in ref:
        if not ch.isalpha():
            break
        col = col * 26 + ord(ch.upper()) - 64
    return col - 1
