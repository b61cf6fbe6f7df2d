"""Write screening results: CSV, JSON Lines, XLSX or an HTML report.

:func:`open_writer` picks the format from the output's extension and returns a
:class:`Writer`. Rows go in chunk by chunk (:meth:`Writer.write`), so memory
stays bounded; :meth:`Writer.close` finishes the file and moves it into place.

Guarantees:

* **Atomic.** Everything is written to ``.OUTPUT.<random>.tmp`` beside the
  output and renamed over it only by :meth:`Writer.close`. An error, an
  exception inside ``with``, Ctrl-C or :meth:`Writer.abort` removes the
  temporary file and leaves an existing OUTPUT as it was.
* **Provenance.** CSV, JSONL and XLSX get a sidecar ``OUTPUT.meta.json`` with
  the run metadata (input checksum, list versions) and the summary counts; the
  HTML report carries the same at its top.
* **Safe to open.** CSV and XLSX cells starting with ``= + - @``, tab or CR are
  prefixed with ``'`` so spreadsheets show them as text rather than run them
  as formulas. The HTML report escapes every value, links only ``http(s)://``
  URLs, loads nothing external and forbids scripts by its Content-Security-Policy.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import openpyxl
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from screener.errors import InputError
from screener.files.cells import FORMULA_PREFIXES, neutralize

APPENDED_COLUMNS = [
    "screen_status",
    "screen_top_score",
    "screen_top_name",
    "screen_top_matched_name",
    "screen_source",
    "screen_list",
    "screen_citation",
    "screen_hits",
]
CAUTION = (
    "A potential match is not a determination. Confirm every hit against the official "
    "list at the source URL before acting; a name match alone does not establish identity."
)
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
XLSX_MAX_CELL = 32_767  # characters Excel accepts in one cell


def open_writer(path: str | os.PathLike[str], columns: list[str], meta: dict[str, Any]) -> Writer:
    """Start writing results to ``path``; the format follows its extension.

    ``columns`` are the input columns to keep (CSV and XLSX); ``meta`` describes
    the run (see the module docstring). Raises InputError for an unknown
    extension, a missing or unwritable directory, or an output that would
    replace the input file.
    """
    path = Path(path)
    kinds: dict[str, type[Writer]] = {
        ".csv": CsvWriter,
        ".jsonl": JsonlWriter,
        ".xlsx": XlsxWriter,
        ".html": HtmlWriter,
        ".htm": HtmlWriter,
    }
    kind = kinds.get(path.suffix.lower())
    if kind is None:
        given = path.suffix or "(no extension)"
        raise InputError(f"{path}: unknown output type {given!r}; use .csv .jsonl .xlsx or .html")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name for the output")
    if not path.parent.is_dir():
        raise InputError(f"{path}: the directory {str(path.parent)!r} does not exist")
    source = (meta.get("input") or {}).get("path")
    if source and path.exists() and Path(source).exists() and path.samefile(source):
        raise InputError(f"{path}: is the input file; write the results to another file")
    return kind(path, list(columns), meta)


class Writer:
    """Writes one output file atomically; use as a context manager.

    Leaving the ``with`` block normally closes the writer with its own counts
    if :meth:`close` was not called; leaving it with any exception (including
    KeyboardInterrupt) aborts it.
    """

    binary = False  # subclasses writing through a library set True and get no text stream
    encoding = "utf-8"

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        self.path = path
        self.columns = columns
        self.meta = meta
        self.tally: Counter[str] = Counter()
        self.skip_reasons: Counter[str] = Counter()
        self._state = "open"
        self._temps: list[Path] = []
        self._cleanup = weakref.finalize(self, _remove_all, self._temps)
        fd, name = self._mkstemp(path)
        self._tmp = Path(name)
        if self.binary:
            os.close(fd)
            self._stream: IO[str] | None = None
        else:
            self._stream = os.fdopen(fd, "w", encoding=self.encoding, newline="")

    # -- public API ---------------------------------------------------------------------

    @property
    def temp_path(self) -> Path:
        """The ``.OUTPUT.<random>.tmp`` file written until :meth:`close` moves it into place.

        A batch records it (:func:`screener.db.runs.add_temp_path`) so that the file
        of a run killed with SIGKILL is removed by the next start.
        """
        return self._tmp

    def write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        """Write one chunk: ``results[i]`` belongs to the input row ``df.iloc[i]``."""
        if self._state != "open":
            raise RuntimeError(f"writer for {self.path} is {self._state}")
        if len(results) != len(df):
            raise ValueError(f"{len(df)} input rows but {len(results)} results")
        for result in results:
            status = result.get("status") or "clear"
            self.tally["rows"] += 1
            self.tally[status] += 1
            hits = result.get("hits") or []
            self.tally["hits"] += len(hits)
            if hits:
                self.tally["hit_rows"] += 1
            if status == "skipped":
                self.skip_reasons[result.get("reason") or "no reason given"] += 1
        try:
            self._write(df, results)
        except BaseException:
            self.abort()
            raise

    def close(self, summary: dict[str, Any]) -> None:
        """Finish the file, write the sidecar metadata and move both into place."""
        if self._state != "open":
            raise RuntimeError(f"writer for {self.path} is {self._state}")
        summary = {**self.counts(), **summary}
        try:
            self._finish(summary)
            self._stream = None
            _make_durable(self._tmp, self.path)
            sidecar = self._sidecar(summary)
            os.replace(self._tmp, self.path)
            self._temps.remove(self._tmp)
            if sidecar is not None:
                os.replace(sidecar, _meta_path(self.path))
                self._temps.remove(sidecar)
        except BaseException:
            self.abort()
            raise
        self._state = "closed"
        self._cleanup.detach()

    def abort(self) -> None:
        """Drop the temporary file(s); an existing OUTPUT stays untouched."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._discard()
        finally:
            if self._stream is not None:
                self._stream.close()
                self._stream = None
            _remove_all(self._temps)

    def counts(self) -> dict[str, int]:
        """What this writer has seen: rows, hits, hit_rows, clear, skipped."""
        keys = ("rows", "hit_rows", "hits", "clear", "skipped")
        return {k: self.tally[k] for k in keys}

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.close(self.counts())

    # -- for subclasses -----------------------------------------------------------------

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _finish(self, summary: dict[str, Any]) -> None:
        """Complete the temporary file and close it."""
        assert self._stream is not None
        self._stream.close()

    def _discard(self) -> None:
        """Release anything besides the temporary files (which abort() removes)."""

    def _sidecar(self, summary: dict[str, Any]) -> Path | None:
        """Write ``OUTPUT.meta.json`` to a temporary file; return its path."""
        document = {
            **self.meta,
            "summary": summary,
            "output": {
                "path": str(self.path),
                "format": self.path.suffix.lower().lstrip("."),
                "sha256": _sha256(self._tmp),
            },
        }
        fd, name = self._mkstemp(_meta_path(self.path))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False, indent=2, default=str)
            f.write("\n")
        _make_durable(Path(name), _meta_path(self.path))
        return Path(name)

    def _mkstemp(self, target: Path) -> tuple[int, str]:
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as e:
            raise InputError(f"{target}: cannot write here: {e.strerror or e}") from None
        self._temps.append(Path(name))
        return fd, name

    def _rows(self, df: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
        """The input cells of each row, in self.columns order ('' where a column is absent)."""
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        return df.itertuples(index=False, name=None)


class CsvWriter(Writer):
    """Input columns plus the ``screen_*`` columns; UTF-8 with BOM so Excel reads Chinese."""

    encoding = "utf-8-sig"

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        assert self._stream is not None
        self._csv = csv.writer(self._stream, lineterminator="\r\n")
        self._csv.writerow([neutralize(c) for c in columns + APPENDED_COLUMNS])

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        rows = df.to_numpy(dtype=object).tolist()
        if len(rows) != len(results):
            raise ValueError(f"{len(rows)} input rows but {len(results)} results")
        plain: dict[str, list[str]] = {}  # the appended cells of rows without hits, by status
        out = []
        for cells, result in zip(rows, results):
            for i, c in enumerate(cells):
                if c.__class__ is not str:
                    c = cells[i] = _text(c)
                if c.startswith(FORMULA_PREFIXES):
                    cells[i] = "'" + c
            if result.get("hits"):
                cells.extend(neutralize(_text(v)) for v in summary_cells(result))
            else:
                status = result.get("status") or ""
                tail = plain.get(status)
                if tail is None:
                    tail = plain[status] = [neutralize(_text(v)) for v in summary_cells(result)]
                cells.extend(tail)
            out.append(cells)
        self._csv.writerows(out)


class JsonlWriter(Writer):
    """One JSON object per input row, in input order, with every hit field."""

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        assert self._stream is not None
        for result in results:
            record = {
                "row": result.get("row"),
                "query": result.get("query"),
                "country": result.get("country"),
                "status": result.get("status"),
                "reason": result.get("reason"),
                "hits": result.get("hits") or [],
            }
            self._stream.write(json.dumps(record, ensure_ascii=False, default=str))
            self._stream.write("\n")


class XlsxWriter(Writer):
    """A ``results`` sheet (input columns plus ``screen_*``) and an ``about`` sheet."""

    binary = True

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        self._wb = openpyxl.Workbook(write_only=True)
        self._sheets = 0
        self._sheet_rows = XLSX_MAX_ROWS  # forces a first sheet
        self._ws: Any = None

    def _new_sheet(self) -> None:
        self._sheets += 1
        title = "results" if self._sheets == 1 else f"results {self._sheets}"
        self._ws = self._wb.create_sheet(title)
        self._ws.freeze_panes = "A2"
        self._ws.append([xlsx_cell(c) for c in self.columns + APPENDED_COLUMNS])
        self._sheet_rows = 1

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        for cells, result in zip(self._rows(df), results, strict=True):
            if self._sheet_rows >= XLSX_MAX_ROWS:
                self._new_sheet()
            self._ws.append([xlsx_cell(v) for v in (*cells, *summary_cells(result))])
            self._sheet_rows += 1

    def _finish(self, summary: dict[str, Any]) -> None:
        if self._ws is None:
            self._new_sheet()
        about = self._wb.create_sheet("about")
        for row in _about_rows(self.meta, summary):
            about.append([xlsx_cell(v) for v in row])
        self._wb.save(self._tmp)

    def _discard(self) -> None:
        for ws in self._wb.worksheets:  # free openpyxl's own temporary files
            writer = getattr(ws, "_writer", None)
            if writer is None:
                continue
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - best effort while aborting
                pass
            try:
                writer.cleanup()
            except Exception:  # noqa: BLE001
                pass


class HtmlWriter(Writer):
    """A self-contained report for a reviewer: provenance, counts, then each row with hits."""

    skipped_rows_shown = 50

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        # Row blocks wait here until close(), when the counts for the top are known.
        self._blocks: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", dir=path.parent)
        self._skipped_rows: list[int] = []

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        for cells, result in zip(self._rows(df), results, strict=True):
            if result.get("hits"):
                self._blocks.write(_row_block(result, self.columns, cells))
            elif result.get("status") == "skipped" and len(self._skipped_rows) < (
                self.skipped_rows_shown
            ):
                self._skipped_rows.append(result.get("row", -1))

    def _finish(self, summary: dict[str, Any]) -> None:
        assert self._stream is not None
        out = self._stream
        out.write(_report_head(self.meta, summary))
        if summary.get("hit_rows", self.tally["hit_rows"]):
            out.write("<h2>Rows with potential matches</h2>\n")
            self._blocks.seek(0)
            shutil.copyfileobj(self._blocks, out)
        else:
            threshold = self.meta.get("threshold")
            out.write(f"<p class=none>No potential matches at threshold {_e(threshold)}.</p>\n")
        out.write(self._rest(summary))
        out.write("</main>\n</body>\n</html>\n")
        out.close()
        self._blocks.close()

    def _discard(self) -> None:
        self._blocks.close()

    def _sidecar(self, summary: dict[str, Any]) -> Path | None:
        return None  # the report carries its metadata at the top

    def _rest(self, summary: dict[str, Any]) -> str:
        clear = summary.get("clear", self.tally["clear"])
        skipped = summary.get("skipped", self.tally["skipped"])
        parts = [f"<h2>Other rows</h2>\n<p>{_e(clear)} rows clear (no potential match)."]
        if skipped:
            reasons = ", ".join(f"{_e(r)} × {n}" for r, n in self.skip_reasons.most_common())
            parts.append(f" {_e(skipped)} rows skipped ({reasons}).")
            rows = ", ".join(_e(r) for r in self._skipped_rows)
            more = " …" if skipped > len(self._skipped_rows) else ""
            parts.append(f"</p>\n<p class=muted>Skipped rows: {rows}{more}")
        parts.append("</p>\n")
        return "".join(parts)


# --- cells ------------------------------------------------------------------------------


def top_hit(result: dict[str, Any]) -> dict[str, Any] | None:
    hits = result.get("hits") or []
    return max(hits, key=lambda h: h.get("score") or 0.0) if hits else None


def summary_cells(result: dict[str, Any]) -> list[Any]:
    """The values of APPENDED_COLUMNS for one result (score a float, hits an int)."""
    top = top_hit(result)
    hits = result.get("hits") or []
    if top is None:
        return [result.get("status") or "", None, "", "", "", "", "", len(hits)]
    score = top.get("score")
    return [
        result.get("status") or "",
        round(float(score), 4) if score is not None else None,
        top.get("name") or "",
        top.get("matched_name") or "",
        top.get("source_name") or top.get("source_id") or "",
        top.get("list") or "",
        top.get("citation") or "",
        len(hits),
    ]


def xlsx_cell(value: Any) -> Any:
    """A value openpyxl can write safely: numbers stay numbers, text is neutralized."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    if not text:
        return None
    text = neutralize(text)
    if len(text) > XLSX_MAX_CELL:
        marker = " …[truncated]"
        text = text[: XLSX_MAX_CELL - len(marker)] + marker
    return text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- HTML -------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as a dash."""
    if value is None or value == "":
        return "—"
    return html.escape(str(value), quote=True)


def _link(url: Any, text: Any = None) -> str:
    """An <a> for http(s) URLs only; anything else (javascript:, data:) as plain text."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        target = url.strip()
        return f'<a href="{_e(target)}" rel="noopener noreferrer">{_e(text or target)}</a>'
    return _e(url)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC",
"Microsoft YaHei",sans-serif;color:#1b1b1b;margin:0;background:#f6f6f4}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px}
.caution{border:2px solid #b3261e;background:#fdecea;padding:12px 16px;font-weight:600;
margin:16px 0;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;background:#fff}
th,td{border:1px solid #d0d0cc;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.listings{table-layout:fixed;font-size:13px}
th{background:#ecece8;font-weight:600}
.kv th{width:14em}
.counts td{font-size:20px;font-weight:600;text-align:center}
.row{background:#fff;border:1px solid #d0d0cc;border-left:5px solid #b3261e;
margin:14px 0;padding:10px 16px;border-radius:4px;break-inside:avoid}
.row h3{margin:4px 0 8px;font-size:17px}
.hit{border-top:1px solid #e2e2de;padding:8px 0}
.score{display:inline-block;font-weight:700;background:#b3261e;color:#fff;
padding:1px 8px;border-radius:10px;margin-right:8px}
dl{display:grid;grid-template-columns:13em 1fr;gap:2px 12px;margin:6px 0}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.muted,.input{color:#555;font-size:13px;overflow-wrap:anywhere}
.listings{font-size:13px}
a{color:#0b57d0}
code{font-size:13px}
@media print{body{background:#fff}.row{border-left-width:3px}}
"""


def _report_head(meta: dict[str, Any], summary: dict[str, Any]) -> str:
    source = meta.get("input") or {}
    name = Path(str(source.get("path") or "input")).name
    out = [
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n",
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>Screening report: {_e(name)}</title>\n<style>{_CSS}</style>\n",
        "</head>\n<body>\n<main>\n",
        f"<h1>Screening report: {_e(name)}</h1>\n",
        f"<p class=muted>Run {_e(meta.get('run_id'))} · created {_e(meta.get('created_at'))}"
        f" · screener {_e(meta.get('tool_version'))}</p>\n",
        f'<p class=caution role="note">{_e(CAUTION)}</p>\n',
        "<h2>Summary</h2>\n",
        _counts_table(summary),
        "<table class=kv>\n",
        f"<tr><th>Threshold</th><td>{_e(meta.get('threshold'))}</td></tr>\n",
        f"<tr><th>Input</th><td>{_e(source.get('path'))}</td></tr>\n",
        f"<tr><th>Input SHA-256</th><td><code>{_e(source.get('sha256'))}</code></td></tr>\n",
        f"<tr><th>Input rows</th><td>{_e(source.get('rows'))}</td></tr>\n",
        "</table>\n",
        "<h2>Lists used</h2>\n",
        _lists_table(meta.get("lists") or []),
    ]
    return "".join(out)


_COUNT_LABELS = {
    "rows": "Rows screened",
    "hit_rows": "Rows with potential matches",
    "hits": "Potential matches",
    "clear": "Clear",
    "skipped": "Skipped",
    "unique_names": "Distinct names screened",
}


def _counts_table(summary: dict[str, Any]) -> str:
    keys = [k for k in _COUNT_LABELS if k in summary]
    keys += [k for k, v in summary.items() if k not in _COUNT_LABELS and _is_scalar(v)]
    head = "".join(f"<th>{_e(_COUNT_LABELS.get(k, k))}</th>" for k in keys)
    cells = "".join(f"<td>{_e(summary[k])}</td>" for k in keys)
    return f"<table class=counts>\n<tr>{head}</tr>\n<tr>{cells}</tr>\n</table>\n"


def _lists_table(lists: list[dict[str, Any]]) -> str:
    if not lists:
        return "<p>No list versions recorded.</p>\n"
    rows = [
        "<table>\n<tr><th>Source</th><th>Version</th><th>SHA-256</th><th>Published</th>"
        "<th>Loaded</th><th>Entities</th></tr>\n"
    ]
    for item in lists:
        sha = str(item.get("sha256") or "")
        rows.append(
            f"<tr><td>{_e(item.get('name'))} <span class=muted>({_e(item.get('source_id'))})"
            f"</span></td><td>{_e(item.get('version_id'))}</td>"
            f"<td><code title=\"{_e(sha)}\">{_e(sha[:12])}</code></td>"
            f"<td>{_e(item.get('published'))}</td><td>{_e(item.get('loaded_at'))}</td>"
            f"<td>{_e(item.get('entities'))}</td></tr>\n"
        )
    rows.append("</table>\n")
    return "".join(rows)


def _row_block(result: dict[str, Any], columns: list[str], cells: tuple[Any, ...]) -> str:
    hits = sorted(result.get("hits") or [], key=lambda h: -(h.get("score") or 0.0))
    row = result.get("row")
    country = result.get("country")
    where = f" <span class=muted>({_e(country)})</span>" if country else ""
    count = f"{len(hits)} potential match{'es' if len(hits) != 1 else ''}"
    shown = [
        f"{_e(c)}: {_e(_clip(v))}" for c, v in zip(columns[:8], cells[:8], strict=False) if v
    ]
    out = [
        f'<section class=row id="row-{_e(row)}">\n',
        f"<h3>Row {_e(row)}: {_e(result.get('query'))}{where} · {count}</h3>\n",
        f"<p class=input>Input row: {'; '.join(shown)}</p>\n" if shown else "",
    ]
    for hit in hits:
        out.append(_hit_block(hit))
    out.append("</section>\n")
    return "".join(out)


def _hit_block(hit: dict[str, Any]) -> str:
    score = hit.get("score")
    shown_score = f"{float(score):.2f}" if isinstance(score, int | float) else _e(score)
    source = hit.get("source_name") or hit.get("source_id")
    fields = [
        ("Matched name", _e(hit.get("matched_name"))),
        ("Why", _e(hit.get("explanation"))),
        ("Source / list", f"{_e(source)} / {_e(hit.get('list'))}"),
        ("Citation", _e(hit.get("citation"))),
        ("Listed on", _e(hit.get("listed_on"))),
        ("Licence requirement", _e(hit.get("license_requirement"))),
        ("Official source", _link(hit.get("source_url"))),
        ("Countries", _e(", ".join(str(c) for c in hit.get("countries") or []))),
        ("Entity id", f"<code>{_e(hit.get('entity_id'))}</code>"),
    ]
    out = [
        "<div class=hit>\n",
        f"<p><span class=score>{shown_score}</span><strong>{_e(hit.get('name'))}</strong></p>\n",
        "<dl>\n",
        *(f"<dt>{label}</dt><dd>{value}</dd>\n" for label, value in fields),
        "</dl>\n",
        _listings_table(hit.get("listings") or []),
        "</div>\n",
    ]
    return "".join(out)


_LISTING_FIELDS = [
    ("list", "List"),
    ("authority", "Authority"),
    ("citation", "Citation"),
    ("listed_on", "Listed on"),
    ("end_date", "End date"),
    ("in_force", "In force"),
    ("license_requirement", "Licence requirement"),
    ("license_policy", "Licence policy"),
    ("effect", "Effect"),
    ("source_url", "Source"),
]


def _listings_table(listings: list[dict[str, Any]]) -> str:
    if not listings:
        return ""
    head = "".join(f"<th>{label}</th>" for _, label in _LISTING_FIELDS)
    rows = [f"<table class=listings>\n<tr>{head}</tr>\n"]
    for listing in listings:
        cells = []
        for key, _ in _LISTING_FIELDS:
            value = listing.get(key)
            if key == "source_url":
                cells.append(f"<td>{_link(value)}</td>")
            elif key == "in_force" and isinstance(value, bool):
                cells.append(f"<td>{'yes' if value else 'no'}</td>")
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>\n")
    rows.append("</table>\n")
    return "".join(rows)


def _about_rows(meta: dict[str, Any], summary: dict[str, Any]) -> list[list[Any]]:
    source = meta.get("input") or {}
    rows: list[list[Any]] = [
        ["Caution", CAUTION],
        ["Run id", meta.get("run_id")],
        ["Created", meta.get("created_at")],
        ["Tool version", meta.get("tool_version")],
        ["Threshold", meta.get("threshold")],
        ["Input", source.get("path")],
        ["Input SHA-256", source.get("sha256")],
        ["Input rows", source.get("rows")],
    ]
    rows += [[k, v] for k, v in summary.items() if _is_scalar(v)]
    rows.append([])
    rows.append(["Source", "Name", "Version", "SHA-256", "Published", "Loaded", "Entities"])
    for item in meta.get("lists") or []:
        rows.append(
            [
                item.get("source_id"),
                item.get("name"),
                item.get("version_id"),
                item.get("sha256"),
                item.get("published"),
                item.get("loaded_at"),
                item.get("entities"),
            ]
        )
    return [[v if _is_scalar(v) else json.dumps(v, default=str) for v in row] for row in rows]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _clip(value: Any, limit: int = 200) -> str:
    text = _text(value)
    return text if len(text) <= limit else text[:limit] + "…"


# --- files ------------------------------------------------------------------------------


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _make_durable(tmp: Path, target: Path) -> None:
    """Give the temporary file the permissions a new or the existing target has; fsync it."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _remove_all(paths: list[Path]) -> None:
    while paths:
        try:
            os.unlink(paths.pop())
        except FileNotFoundError:
            pass
