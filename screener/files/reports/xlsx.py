"""XLSX output: a ``results`` sheet (input columns, ``screen_*``, the reviewer's empty
``decision`` columns) and an ``about`` sheet.

Written by XlsxWriter in constant-memory mode, so a million rows take a few
hundred MB of temporary disk (in a scratch folder beside the output, removed
with it) and little memory. XlsxWriter's per-cell API is too slow for a million
rows, so the results rows are rendered to XML here, in
the form XlsxWriter itself writes in this mode (inline strings, ``r`` on every
row and cell), and handed to it whole (:class:`RowSheet`); XlsxWriter writes
the rest of the workbook. A large batch's workbook is rendered and written in a
process of its own (:mod:`screener.files.reports.process`), beside the
screening: the writer hands it each chunk's cells and the cells of each hit list
once (:class:`Rows`).

Cells:

* numbers stay numbers: an input cell that plainly holds a number
  (:func:`~screener.files.reports.cells.as_number`) and the score, hit count and
  input row columns are numeric cells;
* text is formula-safe and within Excel's limits
  (:func:`~screener.files.reports.cells.xlsx_text`); it is always written as a
  string, never as a formula or a rich string;
* past Excel's 1,048,576 rows a sheet, rows go on in ``results 2``, ``results 3``…,
  each with the header row;
* the ``decision`` column offers the decision kinds in a drop-down list (data
  validation), for ``screener decisions import``.

Looks: the header row is bold and frozen, each column as wide as its header and first
values need (within limits), the sheet has an autofilter, input columns keep the
number formats the input workbook gave them (``$250,000.00``, ``12.5%``, dates:
``meta["input"]["number_formats"]``, :mod:`screener.files.number_formats`), and rows
with hits are coloured by the verdict their top hit gives (conditional formats on
``screen_severity`` and ``screen_status``: prohibited, licence required, restricted,
elevated risk as the report colours them; a row whose hits are all suppressed grey).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from screener.files.cells import FORMULA_PREFIXES
from screener.files.number_formats import excel_date, is_date_format
from screener.files.reports.base import CAUTION, Writer
from screener.files.reports.cells import (
    APPENDED_COLUMNS,
    OUTPUT_COLUMNS,
    XLSX_MAX_CELL,
    XLSX_MAX_ROWS,
    as_number,
    hit_cells,
    row_cells,
    trail_cells,
    xlsx_text,
)
from screener.files.reports.process import InProcess, WriterProcess, can_fork
from screener.files.reports.severity import levels
from screener.files.reports.verdicts import verdict_of_level
from screener.model import DECISION_KINDS
from screener.shapes import RowResult

if TYPE_CHECKING:
    import pandas as pd

OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,  # we decide what is a number (cells.as_number)
    "strings_to_formulas": False,  # never: input text that looks like a formula stays text
    "strings_to_urls": False,
    "use_zip64": True,  # only used when a part passes 4 GB (a very wide million-row sheet)
}
_EXCEL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")  # Excel reads "_x0041_" in text as "A"
# Text string_xml() must pass through xlsx_text() and escape; most cells need neither.
_NEEDS_CARE = re.compile("[\\x00-\\x08\\x0b-\\x1f\\ud800-\\udfff\\ufffe\\uffff&<>]|_x")
_PREFIXES = frozenset(FORMULA_PREFIXES)
HEADER_FORMAT = {"bold": True, "bg_color": "#ECECE8", "bottom": 1, "valign": "top"}
# Row fills by the verdict of the row's top hit (the report's colours, lightened).
VERDICT_FILLS = {
    "prohibited": "#F4C7C3",
    "licence-required": "#FADBD8",
    "restricted": "#FCE5CD",
    "elevated-risk": "#FFF2CC",
}
SUPPRESSED_FILL = "#E7E6E6"
MIN_WIDTH, MAX_WIDTH = 8, 48  # column widths, in characters
WIDTH_SAMPLE = 200  # rows of the first chunk that size the columns
FLUSH_ROWS = 10_000  # rows rendered before they are handed to the sheet's file
HIT_LISTS = 20_000  # hit lists whose cells are remembered for the rows that share them


_Cells = tuple[list[tuple[int, str]], list[tuple[int, str]]]


class RowSheet(Worksheet):  # type: ignore[misc]
    """A constant-memory worksheet that also takes rows already rendered as XML.

    Relies on XlsxWriter's constant-memory internals (``fh``, ``previous_row``,
    ``_write_single_row``, ``_check_dimensions``), as of XlsxWriter 3.x; the test
    suite compares its output with XlsxWriter's own for the same cells.
    """

    previous_row: int  # XlsxWriter's: the last row written in constant-memory mode

    def write_rendered(self, first: int, last: int, last_col: int, xml: str) -> None:
        """Append rows ``first``..``last`` (0-based, in order, after every row written so far)."""
        if not self.constant_memory or (first <= self.previous_row and first != 0):
            raise RuntimeError("rendered rows go after the rows already written")
        self._write_single_row(first)  # flush a row written cell by cell (the header)
        if self._check_dimensions(first, 0) or self._check_dimensions(last, last_col):
            raise ValueError(f"rows {first}..{last} do not fit in an Excel sheet")
        self.fh.write(xml)
        self.previous_row = last


def string_xml(value: str) -> str:
    """The part of a ``<c>`` element after its ``r`` attribute, for a text cell."""
    if not value:
        return ""
    if value[0] in _PREFIXES or _NEEDS_CARE.search(value) or len(value) > XLSX_MAX_CELL // 2:
        value = xlsx_text(value)
        if "_x" in value:
            value = _EXCEL_ESCAPE.sub(r"_x005F\1", value)
        if "&" in value or "<" in value or ">" in value:
            value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if "\r" in value:  # a bare CR would reach readers as LF (XML end-of-line handling)
            value = value.replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'


def value_xml(value: Any) -> str:
    """Like :func:`string_xml` for any value: numbers as numbers, None as no cell."""
    if value is None:
        return ""
    if value.__class__ is str:
        return string_xml(value)
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"><v>{value}</v></c>"
    if isinstance(value, float) and math.isfinite(value):
        return f"><v>{value!r}</v></c>"
    return string_xml(str(value))


def input_xml(cell: Any) -> str:
    """An input cell: a number when it plainly is one, text otherwise."""
    if cell.__class__ is str:
        number = as_number(cell)
        return value_xml(number) if number is not None else string_xml(cell)
    return value_xml(cell)


class Rows(NamedTuple):
    """A chunk of results rows as the workbook renders them (small to hand to its process):
    the input columns' cells, each row's number, status and query, the key of its hit
    cells (0: no hits), and the cells of the hit lists not sent before, by key
    (:func:`~screener.files.reports.cells.hit_cells`, :func:`~screener.files.reports.cells.trail_cells`);
    ``reset``: the keys sent before are no longer used."""

    inputs: list[list[Any]]
    numbers: list[Any]
    statuses: list[Any]
    queries: list[Any]
    hits: list[int]
    new_hits: dict[int, tuple[list[Any], list[str]]]
    reset: bool


class XlsxWriter(Writer):
    """A ``results`` sheet (input columns plus ``screen_*``) and an ``about`` sheet.

    With ``own_process`` (a batch's large output) the workbook is rendered and written
    in a forked process of its own (:mod:`screener.files.reports.process`), fed each
    chunk as it is written; this process keeps only the counts and the keys of the hit
    lists it sent."""

    binary = True
    forks = True  # open_writer may ask for own_process

    def __init__(
        self, path: Path, columns: list[str], meta: dict[str, Any], own_process: bool = False
    ) -> None:
        super().__init__(path, columns, meta)
        formats = (meta.get("input") or {}).get("number_formats") or {}
        book = WriterProcess if own_process and can_fork() else InProcess
        try:
            self._book = book(
                "the XLSX writer", _Book, str(self._tmp), str(self._mkdtemp()), columns, formats
            )
        except BaseException:
            self.abort()
            raise
        self._header = columns + OUTPUT_COLUMNS
        self._sized = False
        # hit list -> (the list, its key in the book), by id; bounded as the rows' memory of
        # hit lists is (screening.rows.MEMO_ROWS), so that it never keeps alive what that let go
        self._keys: dict[int, tuple[object, int]] = {}
        self._last_key = 0

    def _write(self, df: pd.DataFrame, results: list[RowResult]) -> None:
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        if len(df) != len(results):
            raise ValueError(f"{len(df)} input rows but {len(results)} results")
        if not self._sized:
            self._book.send("size", self._widths(df))
            self._sized = True
        keys, held = [], self._keys
        new: dict[int, tuple[list[Any], list[str]]] = {}
        reset = len(held) > HIT_LISTS
        if reset:
            held.clear()
        for result in results:
            hits = result.get("hits")
            if not hits:
                keys.append(0)
                continue
            got = held.get(id(hits))
            if got is None or got[0] is not hits:
                self._last_key += 1
                got = held[id(hits)] = (hits, self._last_key)
                new[self._last_key] = row_cells(hits)
            keys.append(got[1])
        rows = Rows(
            [df.iloc[:, column].tolist() for column in range(len(self.columns))],
            self.input_rows(df, results),
            [result.get("status") for result in results],
            [result.get("query") for result in results],
            keys,
            new,
            reset,
        )
        self._book.send("add", rows)

    def _widths(self, df: pd.DataFrame) -> list[float]:
        """Column widths from the header labels and the first rows' values."""
        sample = df.head(WIDTH_SAMPLE)
        widths = []
        for col, label in enumerate(self._header):
            longest = _text_width(label) * 1.1 + 2  # bold
            if col < len(self.columns):
                for v in sample.iloc[:, col].tolist():
                    longest = max(longest, _text_width(v) + 2)
            elif label in _WIDE:
                longest = max(longest, _WIDE[label])
            widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, round(longest)))))
        return widths

    def _finish(self, summary: dict[str, Any]) -> None:
        self._book.call("finish", self._about_rows(summary))
        self._book.close()

    def _discard(self) -> None:
        book = getattr(self, "_book", None)
        if book is not None:
            book.abort("discard")

    def _about_rows(self, summary: dict[str, Any]) -> list[list[Any]]:
        meta = self.meta
        source = meta.get("input") or {}
        order = " > ".join(level.label.lower() for level in levels())
        rows: list[list[Any]] = [
            ["Caution", CAUTION],
            ["Run id", meta.get("run_id")],
            ["Created", meta.get("created_at")],
            ["Tool version", meta.get("tool_version")],
            ["Threshold", meta.get("threshold")],
            ["Input", source.get("path")],
            ["Input SHA-256", source.get("sha256")],
            ["Input rows", source.get("rows")],
            ["Row numbers", f"screen_input_row: {self.row_numbers}"],
            [
                "Top hit",
                (
                    "the hit shown in screen_* is the first in the order of every output: the "
                    "listed entity itself, then a group it is a unit of, then its owners; then "
                    f"the most severe ({order}); then the highest scoring"
                ),
            ],
        ]
        rows += [[k, v] for k, v in summary.items() if _is_scalar(v)]
        rows.append([])
        rows.append(
            ["Source", "Name", "Version", "SHA-256", "Data of", "Dated by", "Loaded", "Entities"]
        )
        for item in meta.get("lists") or []:
            rows.append(
                [
                    item.get("source_id"),
                    item.get("name"),
                    item.get("version_id"),
                    item.get("sha256"),
                    item.get("data_date") or item.get("published"),
                    item.get("data_date_means"),
                    item.get("loaded_at"),
                    item.get("entities"),
                ]
            )
        return [[v if _is_scalar(v) else json.dumps(v, default=str) for v in row] for row in rows]


class _Book:
    """The workbook: XlsxWriter's, with the results rows rendered here as XML
    (:class:`RowSheet`); where :class:`XlsxWriter` runs it, in this process or in one of
    its own."""

    def __init__(self, path: str, tmpdir: str, columns: list[str], formats: dict[str, Any]):
        self._wb = xlsxwriter.Workbook(path, {**OPTIONS, "tmpdir": tmpdir})
        self.columns = columns
        self._header = columns + OUTPUT_COLUMNS
        self._letters = [xl_col_to_name(i) for i in range(len(self._header))]
        where = {c: len(columns) + i for i, c in enumerate(OUTPUT_COLUMNS)}
        self._status_col, self._row_col = where["screen_status"], where["screen_input_row"]
        self._query_col, self._decision_col = where["screen_query"], where["decision"]
        self._trail_col = where["screen_hit_ids"]
        assert self._row_col == len(columns) + len(APPENDED_COLUMNS) - 4  # after the hit cells
        self._sheets = 0
        self._ws: RowSheet | None = None
        self._next = XLSX_MAX_ROWS  # 0-based row the next result goes to; forces a first sheet
        self._hit_xml: dict[int, _Cells] = {}  # by the key XlsxWriter gave the hit list
        self._no_hits = self._cells_xml(hit_cells([]), trail_cells([]))
        self._bold = self._wb.add_format(HEADER_FORMAT)
        self._widths: list[float] | None = None
        self._rows_in: dict[str, int] = {}  # sheet title -> its last row (0-based)
        # input columns with a number format of the input: (style attribute, is a date format)
        self._styles: dict[int, tuple[str, bool]] = {}
        for col, name in enumerate(columns):
            fmt = formats.get(name)
            if isinstance(fmt, str) and fmt:
                index = self._wb.add_format({"num_format": fmt})._get_xf_index()
                self._styles[col] = (f' s="{index}"', is_date_format(fmt))

    def size(self, widths: list[float]) -> None:
        self._widths = widths

    def _new_sheet(self) -> RowSheet:
        self._sheets += 1
        title = "results" if self._sheets == 1 else f"results {self._sheets}"
        ws = self._wb.add_worksheet(title, worksheet_class=RowSheet)
        assert isinstance(ws, RowSheet)
        ws.freeze_panes(1, 0)
        for col, label in enumerate(self._header):
            ws.write_string(0, col, xlsx_text(label), self._bold)
        for col, width in enumerate(self._widths or ()):
            ws.set_column(col, col, width)
        self._colour_rows(ws)
        col = self._decision_col
        ws.data_validation(
            1,
            col,
            XLSX_MAX_ROWS - 1,
            col,
            {
                "validate": "list",
                "source": list(DECISION_KINDS),
                "ignore_blank": True,
                "input_title": "Decision",
                "input_message": "Leave empty, or choose one; give a "
                "reason in decision_reason and your name in decision_by.",
            },
        )
        self._ws, self._next = ws, 1
        return ws

    def _colour_rows(self, ws: RowSheet) -> None:
        """Conditional fills: each data row by the verdict of its top hit's severity
        (``screen_severity``), grey when every hit is suppressed (``screen_status``)."""
        last = len(self._header) - 1
        status = self._letters[self._status_col]
        severity = self._letters[self._header.index("screen_severity")]
        first_rows = f"$A$2:${self._letters[last]}${XLSX_MAX_ROWS}"
        ws.conditional_format(
            first_rows,
            {
                "type": "formula",
                "criteria": f'=${status}2="suppressed"',
                "format": self._wb.add_format({"bg_color": SUPPRESSED_FILL}),
                "stop_if_true": True,
            },
        )
        for level in levels():
            colour = VERDICT_FILLS.get(verdict_of_level(level.id))
            if colour is None:
                continue
            ws.conditional_format(
                first_rows,
                {
                    "type": "formula",
                    "criteria": f'=${severity}2="{level.id}"',
                    "format": self._wb.add_format({"bg_color": colour}),
                },
            )

    def add(self, chunk: Rows) -> None:
        """Render and write a chunk's rows (handed over in pieces of ``FLUSH_ROWS``)."""
        if chunk.reset:
            self._hit_xml.clear()
        for key, (hit_values, trail_values) in chunk.new_hits.items():
            self._hit_xml[key] = self._cells_xml(hit_values, trail_values)
        # Column by column, each distinct input value rendered once: names and countries repeat.
        inputs = []
        for column, values in enumerate(chunk.inputs):
            seen: dict[Any, str] = {}
            style = self._styles.get(column)
            render = input_xml if style is None else _styled(*style)
            inputs.append([seen[v] if v in seen else seen.setdefault(v, render(v)) for v in values])
        letters = self._letters
        status_letter, row_letter = letters[self._status_col], letters[self._row_col]
        query_letter = letters[self._query_col]
        tail_col = len(letters) - 1
        no_hits, hit_xml = self._no_hits, self._hit_xml
        statuses: dict[Any, str] = {}
        parts: list[str] = []
        ws, first = self._ws, self._next
        rows = zip(zip(*inputs), chunk.statuses, chunk.hits, chunk.numbers, chunk.queries)
        for cells, status, key, row, query in rows:
            if self._next >= XLSX_MAX_ROWS or self._next - first >= FLUSH_ROWS:
                if ws is not None and parts:
                    ws.write_rendered(first, self._next - 1, tail_col, "".join(parts))
                parts = []
                if self._next >= XLSX_MAX_ROWS:
                    ws = self._new_sheet()
                first = self._next
            n = self._next + 1  # Excel's row number in this sheet
            self._next = n
            parts.append(f'<row r="{n}">')
            parts += [f'<c r="{letter}{n}"{xml}' for letter, xml in zip(letters, cells) if xml]
            xml = statuses.get(status)
            if xml is None:
                xml = statuses[status] = value_xml(status)
            if xml:
                parts.append(f'<c r="{status_letter}{n}"{xml}')
            tail, trail = hit_xml[key] if key else no_hits
            parts += [f'<c r="{letters[col]}{n}"{xml}' for col, xml in tail]
            row_xml = value_xml(row)
            if row_xml:
                parts.append(f'<c r="{row_letter}{n}"{row_xml}')
            parts += [f'<c r="{letters[col]}{n}"{xml}' for col, xml in trail]
            query_xml = value_xml(query)
            parts.append(f'<c r="{query_letter}{n}"{query_xml}</row>' if query_xml else "</row>")
        if ws is not None and parts:
            ws.write_rendered(first, self._next - 1, tail_col, "".join(parts))
        if ws is not None:
            self._rows_in[ws.name] = self._next - 1

    def _cells_xml(self, cells: list[Any], trail: list[str]) -> _Cells:
        """(column, cell XML) of the non-empty ``screen_*`` cells between status and input row,
        and of those after the input row (hit ids and decisions)."""
        start = self._status_col + 1
        hit = [(start + i, value_xml(v)) for i, v in enumerate(cells)]
        after = [(self._trail_col + i, value_xml(v)) for i, v in enumerate(trail)]
        return (
            [(col, xml) for col, xml in hit if xml],
            [(col, xml) for col, xml in after if xml],
        )

    def finish(self, about_rows: list[list[Any]]) -> None:
        """The autofilters and the ``about`` sheet; the workbook closed (compressed)."""
        if self._ws is None:
            self._new_sheet()
        last_col = len(self._header) - 1
        for ws in self._wb.worksheets():
            ws.autofilter(0, 0, max(self._rows_in.get(ws.name, 0), 1), last_col)
        about = self._wb.add_worksheet("about")
        about.set_column(0, 0, 18, self._bold)
        about.set_column(1, 1, 60)
        about.set_column(2, 7, 16)
        for r, row in enumerate(about_rows):
            for c, value in enumerate(row):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    value = None if value is None else str(value)
                    if value:
                        about.write_string(r, c, xlsx_text(value))
                elif math.isfinite(value):
                    about.write_number(r, c, value)
        self._wb.close()

    def discard(self) -> None:
        for ws in self._wb.worksheets():  # close the constant-memory row files
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None:
                try:
                    fh.close()
                except OSError:
                    pass


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


# appended columns worth more room than their header needs
_WIDE = {
    "screen_top_name": 36,
    "screen_top_matched_name": 30,
    "screen_list": 20,
    "screen_effect": 40,
    "screen_hit_ids": 36,
    "screen_decision": 40,
    "screen_query": 30,
    "decision_reason": 30,
}


def _text_width(value: Any) -> int:
    """Characters a cell shows, wide (CJK) ones counted twice."""
    text = "" if value is None else str(value)
    text = text.split("\n", 1)[0][:200]
    return len(text) + sum(
        1 for c in text if ord(c) >= 0x1100 and unicodedata.east_asian_width(c) in "WF"
    )


def _styled(style: str, dates: bool) -> Callable[[Any], str]:
    """:func:`input_xml` for a column with a number format: its numbers (or, for a date
    format, its ISO dates) get the format's style; other cells are as always."""

    def render(cell: Any) -> str:
        if cell.__class__ is str:
            number = as_number(cell)
            if number is None and dates:
                number = excel_date(cell)
            if number is not None:
                xml = value_xml(number)
                return style + xml if xml.startswith(">") else xml
            return string_xml(cell)
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            xml = value_xml(cell)
            return style + xml if xml.startswith(">") else xml
        return value_xml(cell)

    return render
