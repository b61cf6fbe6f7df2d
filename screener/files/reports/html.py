"""HTML output: the screening report a committee can sign.

The batch's ``.html`` output is this report, and ``screener report`` makes it with a
reference, a reviewer and an audience, as HTML or PDF (:mod:`.pdf`). It holds, in order:

1. a title, the run's provenance, fields for a reference and the reviewer, the caution,
   and a loud warning when official lists were never downloaded (or are out of date);
2. a summary: parties by status and by verdict;
3. **every party in input order**, numbered as the input spreadsheet numbers its row:

   * a party with potential matches is a section with its verdict (prohibited / licence
     required / restricted / elevated risk / no finding, :mod:`.verdicts`) and **one
     block per listed entity**: the hits naming the same entity (by its listed name,
     across sources) merged, with every listing in one table. A reviewer's decision is
     shown with the hit it concerns; a suppressed hit stays, marked, and a hit to review
     again says what changed;
   * a clear or skipped party is one line in a table, so 60 funders fit on a few pages;
     so is a party whose name cannot be read as text (``Unreadable``, to review, with why);

4. the coverage statement: every list version checked and when it was loaded, lists
   never downloaded or out of date, and what a clear result does not cover;
5. the verdict table, what each listing found means for the report's audience with
   its official sources, and the sign-off fields (reviewer, date, signature, decision).

Every value is escaped, only ``http(s)://`` URLs are linked, nothing external is loaded
and a Content-Security-Policy forbids scripts. Party sections are spooled to a temporary
file until :meth:`close`, when the counts for the top are known; the entity blocks of a
hit list are rendered once for every row sharing it.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from screener.files.reports.base import CAUTION, Writer
from screener.files.reports.cells import DEFAULT_RELATION, text
from screener.files.reports.severity import levels, listing_level, order_hits, top_listing
from screener.files.reports.verdicts import (
    NO_FINDING,
    Statement,
    audience_intro,
    audience_label,
    check_audience,
    is_false_positive,
    limits,
    party_verdict,
    statement,
    verdict,
    verdicts,
)

if TYPE_CHECKING:
    import pandas as pd

# How each relation of a hit to the listed entity reads in the report.
RELATIONS = {
    "same": "the listed entity itself",
    "unit": "a unit of the listed entity (unit, lab, branch or brand company)",
    "owned-by": "owned by the listed entity",
    "brand": "a brand of the listed entity",
}
STATUS_WORDS = {
    "hit": "to review",
    "review-again": "review again",
    "suppressed": "suppressed by a decision",
    "clear": "no potential match",
    "skipped": "skipped",
    "unreadable": "name unreadable: to review",
}
_BLANK = "<span class=blank></span>"  # a line to write on


class HtmlWriter(Writer):
    """The committee report (see the module docstring)."""

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        self.report = dict(meta.get("report") or {})
        self.audience = check_audience(self.report.get("audience"))
        # Party sections wait here until close(), when the counts for the top are known.
        self._blocks: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 (closed in close())
            "w+", encoding="utf-8", dir=path.parent
        )
        self._in_table = False
        self.verdict_counts: Counter[str] = Counter()
        self._statements: dict[str, Statement] = {}
        self._rendered: dict[int, tuple[object, str, str]] = {}  # id(hits) -> (hits, html, verdict)
        # lists the run checked only as the curated subset: named so wherever they appear
        self.subset = {
            str(x["list"])
            for x in (meta.get("coverage") or {}).get("lists") or ()
            if x.get("status") == "subset"
        }

    def _write(self, df: pd.DataFrame, results: list[dict[str, Any]]) -> None:
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        rows = df.itertuples(index=False, name=None)
        out: list[str] = []
        for cells, result, row in zip(rows, results, self.input_rows(df, results), strict=True):
            hits = result.get("hits") or []
            if hits:
                if self._in_table:
                    out.append("</table>\n")
                    self._in_table = False
                body, verdict_id = self._entities(hits)
                self.verdict_counts[verdict_id] += 1
                out.append(_party_block(result, row, self.columns, cells, verdict_id, body))
            else:
                if not self._in_table:
                    out.append(_CLEAR_HEAD)
                    self._in_table = True
                status = result.get("status")
                kind = status if status in ("skipped", "unreadable") else NO_FINDING
                self.verdict_counts[kind] += 1
                out.append(_clear_row(result, row, kind))
        self._blocks.write("".join(out))

    def _entities(self, hits: list[dict[str, Any]]) -> tuple[str, str]:
        """The entity blocks and the verdict id of a hit list, rendered once per list."""
        cached = self._rendered.get(id(hits))
        if cached is None or cached[0] is not hits:
            if len(self._rendered) > 20_000:
                self._rendered.clear()
            for hit in hits:
                for listing in hit.get("listings") or [hit]:
                    st = statement(listing, self.audience)
                    self._statements.setdefault(st.id, st)
            body = "".join(
                _entity_block(g, self.audience, self.subset) for g in entity_groups(hits)
            )
            cached = self._rendered[id(hits)] = (hits, body, party_verdict(hits).id)
        return cached[1], cached[2]

    def _finish(self, summary: dict[str, Any]) -> None:
        assert self._stream is not None
        out = self._stream
        if self._in_table:
            self._blocks.write("</table>\n")
        out.write(
            _report_head(
                self.meta,
                summary,
                self.row_numbers,
                self.report,
                self.audience,
                self.verdict_counts,
            )
        )
        out.write("<h2 id=parties>Parties, in input order</h2>\n")
        if not summary.get("rows", self.tally["rows"]):
            out.write("<p class=none>The input holds no rows.</p>\n")
        self._blocks.seek(0)
        shutil.copyfileobj(self._blocks, out)
        out.write(_coverage(self.meta))
        out.write(_verdict_table())
        out.write(_meanings(self._statements, self.audience))
        out.write(_signoff(self.report))
        out.write(f'<p class=caution role="note">{_e(CAUTION)}</p>\n')
        out.write("</main>\n</body>\n</html>\n")
        out.close()
        self._blocks.close()

    def _discard(self) -> None:
        self._blocks.close()

    def _sidecar(self, summary: dict[str, Any]) -> Path | None:
        return None  # the report carries its metadata at the top


# -- escaping -------------------------------------------------------------------------------


def escape(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as a dash."""
    if value is None or value == "":
        return "—"
    return html.escape(str(value), quote=True)


def link(url: Any, label: Any = None) -> str:
    """An <a> for http(s) URLs only; anything else (javascript:, data:) as plain text."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        target = url.strip()
        return f'<a href="{escape(target)}" rel="noopener noreferrer">{escape(label or target)}</a>'
    return escape(url)


_e, _link = escape, link


def _anchor(value: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(value))


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1b1b1b;margin:0;
background:#f6f6f4}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:23px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px}
h3{font-size:16px;margin:4px 0 8px}h4{font-size:15px;margin:10px 0 4px}
.caution{border:2px solid #b3261e;background:#fdecea;padding:10px 14px;font-weight:600;
margin:14px 0;border-radius:4px}
.alarm{border:3px solid #b3261e;background:#b3261e;color:#fff;padding:12px 16px;
font-size:16px;font-weight:700;margin:14px 0;border-radius:4px}
.alarm code{color:#fff}
.warn{border:2px solid #9a5b00;background:#fff4e0;padding:10px 14px;margin:12px 0;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;background:#fff}
th,td{border:1px solid #d0d0cc;padding:3px 7px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#ecece8;font-weight:600}
.kv th{width:13em}
.counts{table-layout:fixed}.counts td{font-size:19px;font-weight:600;text-align:center}
.counts th{text-align:center;font-size:12px}
.listings{table-layout:fixed;font-size:12px}
.clear{font-size:13px;table-layout:fixed;margin:4px 0}.clear th:nth-child(1){width:6em}
.clear th:nth-child(3){width:7em}.clear th:nth-child(4){width:15em}
.party{background:#fff;border:1px solid #d0d0cc;border-left:6px solid #8a8a85;
margin:12px 0;padding:8px 14px;border-radius:4px}
.party.prohibited{border-left-color:#7f0000}.party.licence-required{border-left-color:#b3261e}
.party.restricted{border-left-color:#c25e00}.party.elevated-risk{border-left-color:#b59b00}
.party.no-finding{border-left-color:#2e7d32}
.verdict{display:inline-block;font-size:13px;font-weight:700;padding:1px 9px;border-radius:10px;
color:#fff;background:#555;margin-left:8px;vertical-align:1px}
.verdict.prohibited{background:#7f0000}.verdict.licence-required{background:#b3261e}
.verdict.restricted{background:#c25e00}.verdict.elevated-risk{background:#8a7400}
.verdict.no-finding{background:#2e7d32}.verdict.skipped{background:#8a8a85}
.verdict.unreadable{background:#b3261e}
.status{display:inline-block;font-size:12px;border:1px solid #555;padding:0 7px;
border-radius:10px;margin-left:6px;vertical-align:1px}
.status.review-again{border-color:#b3261e;color:#b3261e;font-weight:700}
.status.suppressed{border-color:#2e7d32;color:#2e7d32}
.entity{border-top:1px solid #e2e2de;padding:6px 0;break-inside:avoid-page}
.entity.suppressed{opacity:.75}
.score{display:inline-block;font-weight:700;background:#b3261e;color:#fff;
padding:1px 8px;border-radius:10px;margin-right:8px}
.entity.suppressed .score{background:#8a8a85}
.tag{display:inline-block;font-size:12px;border:1px solid #8a8a85;color:#333;
padding:0 7px;border-radius:10px;margin-left:8px;vertical-align:1px}
.tag.unit,.tag.owned-by,.tag.brand{border-color:#9a5b00;color:#7a4700;background:#fff4e0}
.decision{border:1px solid #2e7d32;background:#eef7ee;padding:6px 10px;margin:6px 0;
border-radius:4px;font-size:13px}
.decision.review-again{border-color:#b3261e;background:#fdecea}
dl{display:grid;grid-template-columns:12em 1fr;gap:1px 12px;margin:4px 0}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.muted,.input{color:#555;font-size:12px;overflow-wrap:anywhere}
.blank{display:inline-block;min-width:18em;border-bottom:1px solid #333;height:1.2em}
.sign td{height:2.2em}
a{color:#0b57d0}
code{font-size:12px}
@page{size:A4;margin:14mm 12mm}
@media print{body{background:#fff;font-size:11.5px}main{max-width:none;padding:0}
.party{break-inside:auto}h2,h3{break-after:avoid}a{color:#1b1b1b;text-decoration:none}}
"""


# -- the top -------------------------------------------------------------------------------


def _report_head(
    meta: dict[str, Any],
    summary: dict[str, Any],
    row_numbers: str,
    report: dict[str, Any],
    audience: str,
    verdict_counts: Counter[str],
) -> str:
    source = meta.get("input") or {}
    name = Path(str(source.get("path") or "input")).name
    out = [
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n",
        (
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">\n"
        ),
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>Screening report: {_e(name)}</title>\n<style>{CSS}</style>\n",
        "</head>\n<body>\n<main>\n",
        f"<h1>Screening report: {_e(name)}</h1>\n",
        (
            f"<p class=muted>Run {_e(meta.get('run_id'))} · created {_e(meta.get('created_at'))}"
            f" · screener {_e(meta.get('tool_version'))}</p>\n"
        ),
        "<table class=kv>\n",
        f"<tr><th>Reference</th><td>{_field(report, 'reference')}</td></tr>\n",
        f"<tr><th>Reviewer</th><td>{_field(report, 'reviewer')}</td></tr>\n",
        f"<tr><th>Written for</th><td>{_e(audience_label(audience))}</td></tr>\n",
        "</table>\n",
        _alarms(meta),
        f'<p class=caution role="note">{_e(CAUTION)}</p>\n',
        "<h2>Summary</h2>\n",
        _counts_table(summary),
        _verdict_counts(verdict_counts),
        "<table class=kv>\n",
        f"<tr><th>Threshold</th><td>{_e(meta.get('threshold'))}</td></tr>\n",
        f"<tr><th>Input</th><td>{_e(source.get('path'))}</td></tr>\n",
        f"<tr><th>Input SHA-256</th><td><code>{_e(source.get('sha256'))}</code></td></tr>\n",
        f"<tr><th>Input rows</th><td>{_e(source.get('rows'))}</td></tr>\n",
        f"<tr><th>Row numbers</th><td>{_e(row_numbers[:1].upper() + row_numbers[1:])}</td></tr>\n",
        "</table>\n",
    ]
    return "".join(out)


def _field(report: dict[str, Any], key: str) -> str:
    """A field of the report's options, or a line to write on."""
    return _e(report[key]) if report.get(key) else _BLANK


def never_loaded(meta: dict[str, Any]) -> list[str]:
    """The official lists the run says were never downloaded (source ids)."""
    cov = meta.get("coverage") or {}
    if cov.get("never_loaded") is not None:
        return [str(x.get("source_id") if isinstance(x, dict) else x) for x in cov["never_loaded"]]
    for note in meta.get("warnings") or ():
        if "were never loaded" in str(note):
            tail = str(note).split("cover them:", 1)[-1].split(";", 1)[0]
            return [x.strip() for x in tail.split(",") if x.strip()]
    return []


def _alarms(meta: dict[str, Any]) -> str:
    out = []
    never = never_loaded(meta)
    if never:
        names = {
            str(x.get("source_id")): str(x.get("name"))
            for x in (meta.get("coverage") or {}).get("never_loaded") or ()
            if isinstance(x, dict)
        }
        shown = ", ".join(f"{names.get(s, s)} ({s})" if names.get(s, s) != s else s for s in never)
        out.append(
            f'<p class=alarm role="alert">The official lists were never downloaded: {_e(shown)}. '
            "A party with no finding below has not been checked against them. Run "
            "<code>screener lists update</code> and screen again before relying on this "
            "report.</p>\n"
        )
    stale = (meta.get("coverage") or {}).get("stale") or []
    if stale:
        out.append(
            f'<p class=warn role="alert">Out of date: {_e(", ".join(map(str, stale)))} '
            "(older than their maximum age; see the coverage statement).</p>\n"
        )
    return "".join(out)


_COUNT_LABELS = {
    "rows": "Parties screened",
    "needs_review": "To review",
    "review_again": "To review again",
    "suppressed": "All matches suppressed",
    "hit_rows": "With potential matches",
    "hits": "Potential matches",
    "suppressed_hits": "Suppressed matches",
    "clear": "Clear",
    "skipped": "Skipped",
    "unreadable": "Unreadable names",
    "unique_names": "Distinct names screened",
}


def _counts_table(summary: dict[str, Any]) -> str:
    keys = [k for k in _COUNT_LABELS if k in summary]
    keys += [
        k
        for k, v in summary.items()
        if k not in _COUNT_LABELS and k != "warnings" and _is_scalar(v)
    ]
    head = "".join(f"<th>{_e(_COUNT_LABELS.get(k, k))}</th>" for k in keys)
    cells = "".join(f"<td>{_e(summary[k])}</td>" for k in keys)
    return f"<table class=counts>\n<tr>{head}</tr>\n<tr>{cells}</tr>\n</table>\n"


def _verdict_counts(counts: Counter[str]) -> str:
    items = [(v.id, v.label) for v in verdicts()] + [
        ("unreadable", "Unreadable"),
        ("skipped", "Skipped"),
    ]
    head = "".join(f'<th><span class="verdict {v}">{_e(label)}</span></th>' for v, label in items)
    cells = "".join(f"<td>{counts.get(v, 0)}</td>" for v, _ in items)
    return f"<table class=counts>\n<tr>{head}</tr>\n<tr>{cells}</tr>\n</table>\n"


# -- parties -------------------------------------------------------------------------------

_CLEAR_HEAD = (
    "<table class=clear>\n<tr><th>Row</th><th>Party</th><th>Country</th><th>Verdict</th></tr>\n"
)


def _clear_row(result: dict[str, Any], row: Any, kind: str) -> str:
    if kind == "skipped":
        v = f'<span class="verdict skipped">Skipped</span> {_e(result.get("reason"))}'
    elif kind == "unreadable":
        v = f'<span class="verdict unreadable">Unreadable</span> {_e(result.get("reason"))}'
    else:
        v = f'<span class="verdict no-finding">{_e(verdict(NO_FINDING).label)}</span>'
        if result.get("reason"):
            v += f" <span class=muted>{_e(result['reason'])}</span>"
    return (
        f'<tr id="row-{_e(row)}"><td class=n>Row {_e(row)}</td><td>{_e(result.get("query"))}'
        f"</td><td>{_e(_upper(result.get('country')))}</td><td class=v>{v}</td></tr>\n"
    )


def _party_block(
    result: dict[str, Any],
    row: Any,
    columns: list[str],
    cells: tuple[Any, ...],
    verdict_id: str,
    body: str,
) -> str:
    v = verdict(verdict_id)
    status = str(result.get("status") or "hit")
    word = STATUS_WORDS.get(status, status)
    if status == "hit" and (decided := _decided(result.get("hits") or [])):
        word = decided  # every match still open carries a reviewer's decision
    country = result.get("country")
    where = f" <span class=muted>({_e(str(country).upper())})</span>" if country else ""
    shown = [f"{_e(c)}: {_e(_clip(x))}" for c, x in zip(columns[:8], cells[:8], strict=False) if x]
    note = ""
    if status == "review-again":
        note = (
            "<p class=warn>Review again: a listing changed since a reviewer set a match "
            "aside (what changed is shown with it).</p>\n"
        )
    elif status == "suppressed":
        note = (
            "<p class=muted>Every potential match was set aside by a reviewer's decision; "
            "they are shown below.</p>\n"
        )
    return "".join(
        [
            f'<section class="party {v.id}" id="row-{_e(row)}">\n',
            (
                f"<h3>Row {_e(row)}: {_e(result.get('query'))}{where}"
                f'<span class="verdict {v.id}">{_e(v.label)}</span>'
                f'<span class="status {_e(status)}">{_e(word)}</span></h3>\n'
            ),
            f"<p class=input>Input row: {'; '.join(shown)}</p>\n" if shown else "",
            note,
            body,
            "</section>\n",
        ]
    )


def _decided(hits: list[Any]) -> str | None:
    """ "confirmed by decision #3" when every hit still open (status ``hit``) carries a
    reviewer's decision (confirmed, declined, escalated); else None: the party is to review."""
    open_hits = [h for h in hits if isinstance(h, dict) and (h.get("status") or "hit") == "hit"]
    ds = [h.get("decision") for h in open_hits]
    if not open_hits or not all(isinstance(d, dict) for d in ds):
        return None
    return "; ".join(dict.fromkeys(f"{d.get('kind')} by decision #{d.get('id')}" for d in ds if d))


def entity_groups(hits: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The hits grouped by the listed entity they name (its normalized listed name, across
    sources), in the one order of every output (:func:`~screener.files.reports.severity.
    hit_key`: identity, then severity), the first group being the report's headline;
    within a group the first hit of that order comes first."""
    from screener.matching.normalize import normalize

    groups: dict[str, list[dict[str, Any]]] = {}
    for hit in order_hits(hits):
        party = hit.get("party") if isinstance(hit.get("party"), dict) else {}
        if party.get("id"):  # a party's hit: one block per party, whatever its names
            key = f"party {party['id']}"
        else:
            norm = normalize(str(hit.get("name") or ""))
            key = " ".join(norm.tokens) or f"{hit.get('source_id')}:{hit.get('entity_id')}"
        groups.setdefault(key, []).append(hit)
    return list(groups.values())


def _relation_tag(hit: dict[str, Any]) -> str:
    relation = str(hit.get("relation") or DEFAULT_RELATION)
    label = RELATIONS.get(relation, relation)
    css = relation if relation in RELATIONS else "other"
    return f'<span class="tag {css}" title="{_e(label)}">{_e(relation)}</span>'


def _entity_block(
    group: list[dict[str, Any]], audience: str, subset: set[str] | frozenset[str] = frozenset()
) -> str:
    best = group[0]
    score = max(
        (h["score"] for h in group if isinstance(h.get("score"), int | float)), default=None
    )
    shown_score = f"{float(score):.2f}" if score is not None else "—"
    statuses = {str(h.get("status") or "hit") for h in group}
    status = (
        "hit"
        if "hit" in statuses
        else "review-again"
        if "review-again" in statuses
        else "suppressed"
    )
    level = min((top_listing(h)[0] for h in group), key=lambda lv: lv.rank)
    relation = str(best.get("relation") or DEFAULT_RELATION)
    matched = list(dict.fromkeys(str(h["matched_name"]) for h in group if h.get("matched_name")))
    records = [
        r
        for h in group
        for r in ((h.get("party") or {}).get("records") or [h])
        if isinstance(r, dict)
    ]
    names = {h.get("source_id"): h.get("source_name") for h in group}
    entries = "; ".join(
        f"{_e(names.get(r.get('source_id')) or r.get('source_id'))} <span class=muted>("
        f"{_e(r.get('source_id'))}, version {_e(r.get('version_id'))})</span> entry "
        f"<code>{_e(r.get('entity_id'))}</code>"
        + (f" <span class=muted>{_e(r['why'])}</span>" if len(records) > 1 and r.get("why") else "")
        for r in records
    )
    urls = list(dict.fromkeys(h["source_url"] for h in group if h.get("source_url")))
    countries = sorted({str(c).upper() for h in group for c in h.get("countries") or ()})
    parents = list(dict.fromkeys(str(h["parent"]) for h in group if h.get("parent")))
    fields = [
        ("Relation", _e(RELATIONS.get(relation, relation))),
        *([("Matched part", _e(best.get("matched_part")))] if best.get("matched_part") else []),
        ("Matched name", _e("; ".join(matched))),
        ("Why", _e(best.get("explanation"))),
        ("Severity", _e(level.label)),
        ("Entries", entries),
        ("Official source", " ".join(_link(u) for u in urls) or "—"),
        ("Countries", _e(", ".join(countries))),
        *([("Parent", _e("; ".join(parents)))] if parents else []),
    ]
    tag = ""
    if status != "hit":
        tag = f'<span class="status {status}">{_e(STATUS_WORDS[status])}</span>'
    out = [
        f'<div class="entity {status}">\n',
        (
            f"<p><span class=score>{shown_score}</span><strong>{_e(best.get('name'))}</strong>"
            f"{_relation_tag(best)}{tag}</p>\n"
        ),
        "<dl>\n",
        *(f"<dt>{label}</dt><dd>{value}</dd>\n" for label, value in fields),
        "</dl>\n",
        _listings_table(group, audience, subset),
        *(_decision_box(h) for h in group if isinstance(h.get("decision"), dict)),
        "</div>\n",
    ]
    return "".join(out)


def _listings_table(
    group: list[dict[str, Any]], audience: str, subset: set[str] | frozenset[str] = frozenset()
) -> str:
    """Every listing of the group's hits, each once (by list, citation and dates)."""
    seen: set[tuple[Any, ...]] = set()
    rows = []
    for hit in group:
        for listing in hit.get("listings") or [hit]:
            key = tuple(
                listing.get(k) for k in ("list", "citation", "listed_on", "end_date", "in_force")
            )
            if key in seen:
                continue
            seen.add(key)
            rows.append(_listing_row(listing, audience, subset))
    if not rows:
        return ""
    head = (
        "<tr><th style=width:18%>List</th><th style=width:11%>Citation</th>"
        "<th style=width:9%>Listed</th><th style=width:9%>Ended</th>"
        "<th style=width:27%>Requirement, policy or effect</th>"
        "<th style=width:12%>Meaning</th><th style=width:14%>Source</th></tr>\n"
    )
    return f"<table class=listings>\n{head}{''.join(rows)}</table>\n"


def _listing_row(
    listing: dict[str, Any], audience: str, subset: set[str] | frozenset[str] = frozenset()
) -> str:
    level = listing_level(listing)
    ended = listing.get("end_date")
    if listing.get("in_force") is False and not ended:
        ended = "not in force"
    what = [
        f"{label}: {_e(listing.get(k))}"
        for k, label in (
            ("license_requirement", "Licence requirement"),
            ("license_policy", "Licence policy"),
            ("effect", "Effect"),
        )
        if listing.get(k)
    ]
    st = statement(listing, audience)
    authority = (
        f"<br><span class=muted>{_e(listing.get('authority'))}</span>"
        if listing.get("authority")
        else ""
    )
    # the programme, or the 1260H editions a listing rests on ("editions 2025-01-07, ...")
    program = (
        f"<br><span class=muted>{_e(listing.get('program'))}</span>"
        if listing.get("program")
        else ""
    )
    if listing.get("list") in subset:
        authority += (
            "<br><span class=warn>checked as a curated subset only (see the coverage "
            "statement)</span>"
        )
    return (
        f"<tr><td>{_e(listing.get('list'))}{authority}<br><span class=muted>"
        f"{_e(level.label)}</span></td><td>{_e(listing.get('citation'))}</td>"
        f"<td>{_e(listing.get('listed_on'))}{program}</td><td>{_e(ended)}</td>"
        f"<td>{'<br>'.join(what) or '—'}</td>"
        f'<td><a href="#meaning-{_anchor(st.id)}">{_e(st.title or st.id)}</a></td>'
        f"<td>{_link(listing.get('source_url'), 'official source')}</td></tr>\n"
    )


def _decision_box(hit: dict[str, Any]) -> str:
    d = hit["decision"]
    status = str(hit.get("status") or "hit")
    day = str(d.get("decided_at") or "")[:10]
    what = {
        "suppressed": "the match is suppressed",
        "review-again": "review again: the listing changed since",
        "hit": "the match stands",
    }.get(status, status)
    out = [
        (
            f'<div class="decision {_e(status)}"><strong>Decision #{_e(d.get("id"))}: '
            f"{_e(d.get('kind'))}</strong> by {_e(d.get('reviewer'))} on {_e(day)}, for "
            f"<code>{_e(hit.get('source_id'))}:{_e(hit.get('entity_id'))}</code> "
            f"({_e(what)}).<br>Reason: {_e(d.get('reason'))}"
        )
    ]
    if d.get("changes"):
        out.append("<br>What changed: " + "; ".join(_e(c) for c in d["changes"]))
    if is_false_positive(hit):
        out.append("<br><span class=muted>Not counted in the verdict.</span>")
    out.append("</div>\n")
    return "".join(out)


# -- the end -------------------------------------------------------------------------------


def _coverage(meta: dict[str, Any]) -> str:
    out = ["<h2 id=coverage>Coverage statement</h2>\n", _alarms(meta)]
    lists = meta.get("lists") or []
    out.append(
        f"<p>Checked against {len(lists)} list version{'s' if len(lists) != 1 else ''} at "
        f"threshold {_e(meta.get('threshold'))}: a name scoring below it is not "
        "reported.</p>\n"
    )
    out.append(_lists_table(lists))
    out.append(_per_list(meta))
    notes = [n for n in meta.get("warnings") or () if "were never loaded" not in str(n)]
    if notes:
        out.append("<ul>\n" + "".join(f"<li>{_e(n)}</li>\n" for n in notes) + "</ul>\n")
    out.append("<h3>What a clear result does not cover</h3>\n")
    for limit in limits():
        sources = " · ".join(
            _link(s.get("url"), s.get("label")) for s in limit.get("sources") or ()
        )
        src = f"<br><span class=muted>Sources: {sources}</span>" if sources else ""
        out.append(f"<p><strong>{_e(limit['title'])}.</strong> {_e(limit['text'])}{src}</p>\n")
    return "".join(out)


def _data_of(item: dict[str, Any]) -> str:
    """The date of a version's data and what it rests on ('2021-07-07, given at import')."""
    basis = item.get("data_date_basis")
    if basis is None:  # a run recorded before data dates
        return str(item.get("published") or "")
    if basis == "loaded":
        return "unknown"
    return f"{item.get('data_date')} ({item.get('data_date_means') or basis})"


def _per_list(meta: dict[str, Any]) -> str:
    """Each official list: checked in full, only as the curated subset, or not loaded."""
    items = (meta.get("coverage") or {}).get("lists") or []
    if not items:
        return ""
    label = {"full": "Full list", "subset": "Curated subset only", "not loaded": "Not loaded"}
    rows = ["<table>\n<tr><th>List</th><th>Checked</th><th>What was checked</th></tr>\n"]
    for x in items:
        cls = {"subset": " class=warn", "not loaded": " class=alarm"}.get(str(x.get("status")), "")
        rows.append(
            f"<tr{cls}><td>{_e(x.get('list'))}</td><td>{_e(label.get(x.get('status'), x.get('status')))}"
            f"</td><td>{_e(x.get('text'))}</td></tr>\n"
        )
    rows.append("</table>\n")
    return "<h3>Each list</h3>\n" + "".join(rows)


def _lists_table(lists: list[dict[str, Any]]) -> str:
    if not lists:
        return "<p class=alarm>No list versions recorded.</p>\n"
    rows = [
        (
            "<table>\n<tr><th>Source</th><th>Kind</th><th>Version</th><th>SHA-256</th>"
            "<th>Data of</th><th>Last updated (loaded)</th><th>Entities</th></tr>\n"
        )
    ]
    for item in lists:
        sha = str(item.get("sha256") or "")
        rows.append(
            f"<tr><td>{_e(item.get('name'))} <span class=muted>({_e(item.get('source_id'))})"
            f"</span></td><td>{_e(item.get('kind'))}</td><td>{_e(item.get('version_id'))}</td>"
            f'<td><code title="{_e(sha)}">{_e(sha[:12])}</code></td>'
            f"<td>{_e(_data_of(item))}</td><td>{_e(item.get('loaded_at'))}</td>"
            f"<td>{_e(item.get('entities'))}</td></tr>\n"
        )
    rows.append("</table>\n")
    return "".join(rows)


def _verdict_table() -> str:
    by_id = {lv.id: lv.label for lv in levels()}
    rows = [
        "<h2 id=verdicts>How verdicts are given</h2>\n",
        (
            "<p>A party's verdict is the most severe verdict of its listings, counting every "
            "potential match except those a reviewer found to be another party (false "
            "positives); a cleared match still counts, with its decision shown. The levels are "
            "those of the severity table the outputs share.</p>\n"
        ),
        "<table>\n<tr><th>Verdict</th><th>Meaning</th><th>From listings at level</th></tr>\n",
    ]
    for v in verdicts():
        lv = ", ".join(by_id.get(x, x) for x in v.levels) or "no counted match"
        rows.append(
            f'<tr><td><span class="verdict {v.id}">{_e(v.label)}</span></td>'
            f"<td>{_e(v.meaning)}</td><td>{_e(lv)}</td></tr>\n"
        )
    rows.append("</table>\n")
    return "".join(rows)


def _meanings(found: dict[str, Statement], audience: str) -> str:
    out = [
        f"<h2 id=meanings>What the listings mean: {_e(audience_label(audience))}</h2>\n",
        f"<p>{_e(audience_intro(audience))}</p>\n",
    ]
    if not found:
        out.append("<p class=muted>No listing was found.</p>\n")
    for st in found.values():
        out.append(
            f'<div id="meaning-{_anchor(st.id)}"><h4>{_e(st.title)}</h4>\n<p>{_e(st.text)}</p>\n'
        )
        if st.sources:
            links = " · ".join(_link(s.get("url"), s.get("label")) for s in st.sources)
            checked = f" (checked {_e(st.checked_on)})" if st.checked_on else ""
            out.append(f"<p class=muted>Official source: {links}{checked}</p>\n")
        else:
            out.append(
                "<p class=muted>No official source is recorded in screener for this "
                "list; the meaning of its severity level is shown. Read the listing's "
                "own source.</p>\n"
            )
        out.append("</div>\n")
    return "".join(out)


def _signoff(report: dict[str, Any]) -> str:
    return (
        '<h2 id=signoff>Review and sign-off</h2>\n<table class="kv sign">\n'
        f"<tr><th>Reference</th><td>{_field(report, 'reference')}</td></tr>\n"
        f"<tr><th>Reviewer</th><td>{_field(report, 'reviewer')}</td></tr>\n"
        f"<tr><th>Date</th><td>{_BLANK}</td></tr>\n"
        f"<tr><th>Signature</th><td>{_BLANK}</td></tr>\n"
        f"<tr><th>Committee decision</th><td>{_BLANK}</td></tr>\n"
        "</table>\n"
    )


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _clip(value: Any, limit: int = 200) -> str:
    shown = text(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"
