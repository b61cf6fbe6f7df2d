"""HTML output: a self-contained report for a reviewer.

Provenance and counts at the top, then each row with potential matches (its
hits most severe first, each labelled with its relation to the listed entity),
then the clear and skipped rows as counts. Rows are numbered as in the input
spreadsheet. Every value is escaped, only ``http(s)://`` URLs are linked,
nothing external is loaded and a Content-Security-Policy forbids scripts.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from screener.files.reports.base import CAUTION, Writer
from screener.files.reports.cells import DEFAULT_RELATION, text
from screener.files.reports.severity import order_hits, top_listing

if TYPE_CHECKING:
    import pandas as pd

# How each relation of a hit to the listed entity reads in the report.
RELATIONS = {
    "same": "the listed entity itself",
    "unit": "a unit of the listed entity (unit, lab, branch or brand company)",
    "owned-by": "owned by the listed entity",
    "brand": "a brand of the listed entity",
}


class HtmlWriter(Writer):
    """A self-contained report for a reviewer: provenance, counts, then each row with hits."""

    skipped_rows_shown = 50

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        # Row blocks wait here until close(), when the counts for the top are known.
        self._blocks: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", dir=path.parent)
        self._skipped_rows: list[Any] = []

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        rows = df.itertuples(index=False, name=None)
        for cells, result, row in zip(rows, results, self.input_rows(df, results), strict=True):
            if result.get("hits"):
                self._blocks.write(_row_block(result, row, self.columns, cells))
            elif result.get("status") == "skipped" and len(self._skipped_rows) < (
                self.skipped_rows_shown
            ):
                self._skipped_rows.append(row)

    def _finish(self, summary: dict[str, Any]) -> None:
        assert self._stream is not None
        out = self._stream
        out.write(_report_head(self.meta, summary, self.row_numbers))
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


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as a dash."""
    if value is None or value == "":
        return "—"
    return html.escape(str(value), quote=True)


def _link(url: Any, label: Any = None) -> str:
    """An <a> for http(s) URLs only; anything else (javascript:, data:) as plain text."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        target = url.strip()
        return f'<a href="{_e(target)}" rel="noopener noreferrer">{_e(label or target)}</a>'
    return _e(url)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC",
"Microsoft YaHei",sans-serif;color:#1b1b1b;margin:0;background:#f6f6f4}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px}
.caution{border:2px solid #b3261e;background:#fdecea;padding:12px 16px;font-weight:600;
margin:16px 0;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;background:#fff}
th,td{border:1px solid #d0d0cc;padding:4px 8px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
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
.tag{display:inline-block;font-size:12px;border:1px solid #8a8a85;color:#333;
padding:0 7px;border-radius:10px;margin-left:8px;vertical-align:1px}
.tag.unit,.tag.owned-by,.tag.brand{border-color:#9a5b00;color:#7a4700;background:#fff4e0}
dl{display:grid;grid-template-columns:13em 1fr;gap:2px 12px;margin:6px 0}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.muted,.input{color:#555;font-size:13px;overflow-wrap:anywhere}
a{color:#0b57d0}
code{font-size:13px}
@media print{body{background:#fff}.row{border-left-width:3px}}
"""


def _report_head(meta: dict[str, Any], summary: dict[str, Any], row_numbers: str) -> str:
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
        f"<tr><th>Row numbers</th><td>{_e(row_numbers[:1].upper() + row_numbers[1:])}</td></tr>\n",
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


def _row_block(result: dict[str, Any], row: Any, columns: list[str],
               cells: tuple[Any, ...]) -> str:  # fmt: skip
    hits = order_hits(result.get("hits") or [])
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


def _relation_tag(hit: dict[str, Any]) -> str:
    relation = str(hit.get("relation") or DEFAULT_RELATION)
    label = RELATIONS.get(relation, relation)
    css = relation if relation in RELATIONS else "other"
    return f'<span class="tag {css}" title="{_e(label)}">{_e(relation)}</span>'


def _hit_block(hit: dict[str, Any]) -> str:
    score = hit.get("score")
    shown_score = f"{float(score):.2f}" if isinstance(score, int | float) else _e(score)
    source = hit.get("source_name") or hit.get("source_id")
    level, _, _ = top_listing(hit)
    relation = str(hit.get("relation") or DEFAULT_RELATION)
    fields = [
        ("Relation", _e(RELATIONS.get(relation, relation))),
        *([("Matched part", _e(hit.get("matched_part")))] if hit.get("matched_part") else []),
        ("Matched name", _e(hit.get("matched_name"))),
        ("Why", _e(hit.get("explanation"))),
        ("Severity", _e(level.label)),
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
        f"<p><span class=score>{shown_score}</span><strong>{_e(hit.get('name'))}</strong>"
        f"{_relation_tag(hit)}</p>\n",
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


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _clip(value: Any, limit: int = 200) -> str:
    shown = text(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"
