"""HTML output: the screening report a committee can sign.

The batch's ``.html`` output is this report, and ``screener report`` makes it with a
reference, a reviewer, an audience and a jurisdiction, as HTML or PDF (:mod:`.pdf`). It
holds, in order:

1. **the summary** (the first page): the title, the reference and reviewer, whom it is
   written for and the jurisdiction, any loud warning (official lists never downloaded),
   then **every party in input order** in one table, numbered as the input spreadsheet
   numbers its row: its verdict, its top listing, the relation, the reviewers' decision
   and the reviewer (62 parties fit on two printed pages);
2. **the details**, for each party with potential matches: its verdict (worded for the
   audience: "Restricted partner: approval needed" for a research office, "Licence
   required" for an exporter; :mod:`.verdicts`), its decisions (a decided party reads as
   its decision, never "to review": :mod:`.decided`), and **one block per listed
   entity**: the hits naming the same entity (by its listed name, across sources) merged,
   with every listing in one table, what each listing does (program, remarks, effect:
   :mod:`screener.lists.effects`), each decision with the hit it concerns;
3. about the run (counts, input, checksum), the coverage statement (every list version,
   each official list checked in full or as the curated subset, the national frameworks
   of the report's jurisdiction, what a clear result does not cover), how verdicts are
   given (and what each means in the jurisdiction), what each listing means for the
   audience with its official sources, and the sign-off (:mod:`.statement`).

Printed (:mod:`.pdf`), words are never broken, a party's header keeps with its first
block, table headers repeat, and every page's footer gives the reference and "Page N of
M" (:mod:`.markup`). Every value is escaped, only ``http(s)://`` URLs are linked, nothing
external is loaded and a Content-Security-Policy forbids scripts. The summary rows and
the details are spooled to temporary files until :meth:`close`, when the counts for the
top are known; the entity blocks of a hit list are rendered once for every row sharing it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from screener.files.reports import statement as ending
from screener.files.reports.base import CAUTION, Writer
from screener.files.reports.cells import DEFAULT_RELATION, effect_line, text
from screener.files.reports.decided import hit_decision, hit_state, party_decision
from screener.files.reports.markup import CSS, anchor, escape, link, page_css
from screener.files.reports.severity import (
    listing_level,
    listings_of,
    order_hits,
    top_hit,
    top_listing,
)
from screener.files.reports.verdicts import (
    NO_FINDING,
    Statement,
    audience_label,
    check_audience,
    check_jurisdiction,
    is_false_positive,
    jurisdiction,
    party_verdict,
    statement,
    verdict,
    verdicts,
)
from screener.shapes import HitDict, ListingDict, RowResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CSS", "RELATIONS", "HtmlWriter", "entity_groups", "escape", "link"]

# How each relation of a hit to the listed entity reads in the report.
RELATIONS = {
    "same": "the listed entity itself",
    "unit": "a unit of the listed entity (unit, lab, branch or brand company)",
    "owned-by": "owned by the listed entity",
    "brand": "a brand of the listed entity",
}
_e, _link = escape, link
_OTHER_KINDS = {"skipped": "Skipped", "unreadable": "Unreadable"}


class HtmlWriter(Writer):
    """The committee report (see the module docstring)."""

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        super().__init__(path, columns, meta)
        self.report = dict(meta.get("report") or {})
        self.audience = check_audience(self.report.get("audience"))
        self.place = jurisdiction(check_jurisdiction(self.report.get("jurisdiction")))
        # The summary rows and the details wait here until close(), when the counts are known.
        self._rows: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 (closed in close())
            "w+", encoding="utf-8", dir=path.parent
        )
        self._blocks: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 (closed in close())
            "w+", encoding="utf-8", dir=path.parent
        )
        self.verdict_counts: Counter[str] = Counter()
        self._statements: dict[str, Statement] = {}
        self._rendered: dict[int, tuple[object, str, str]] = {}  # id(hits) -> (hits, html, verdict)
        # lists the run checked only as the curated subset: named so wherever they appear
        self.subset = {
            str(x["list"])
            for x in (meta.get("coverage") or {}).get("lists") or ()
            if x.get("status") == "subset"
        }

    def _write(self, df: pd.DataFrame, results: list[RowResult]) -> None:
        if list(df.columns) != self.columns:
            df = df.reindex(columns=self.columns, fill_value="")
        rows = df.itertuples(index=False, name=None)
        summary: list[str] = []
        details: list[str] = []
        for cells, result, row in zip(rows, results, self.input_rows(df, results), strict=True):
            hits = result.get("hits") or []
            if hits:
                body, verdict_id = self._entities(hits)
                self.verdict_counts[verdict_id] += 1
                details.append(
                    _party_block(result, row, self.columns, cells, verdict_id, body, self.audience)
                )
                summary.append(_summary_row(result, row, verdict_id, self.audience))
            else:
                status = result.get("status")
                kind = status if status in _OTHER_KINDS else NO_FINDING
                self.verdict_counts[kind] += 1
                summary.append(_summary_row(result, row, kind, self.audience))
        self._rows.write("".join(summary))
        self._blocks.write("".join(details))

    def _entities(self, hits: list[HitDict]) -> tuple[str, str]:
        """The entity blocks and the verdict id of a hit list, rendered once per list."""
        cached = self._rendered.get(id(hits))
        if cached is None or cached[0] is not hits:
            if len(self._rendered) > 20_000:
                self._rendered.clear()
            for hit in hits:
                for listing in listings_of(hit):
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
        out.write(self._head())
        out.write("<h2 id=parties>Parties, in input order</h2>\n")
        out.write(_tally(self.verdict_counts, self.audience))
        if not summary.get("rows", self.tally["rows"]):
            out.write("<p class=none>The input holds no rows.</p>\n")
        else:
            out.write(_SUMMARY_HEAD)
            self._rows.seek(0)
            shutil.copyfileobj(self._rows, out)
            out.write("</tbody>\n</table>\n")
        out.write(
            "<section class=details>\n<h2 id=details>Potential matches, party by party</h2>\n"
        )
        if self._blocks.tell() == 0:
            out.write("<p class=none>No party has a potential match.</p>\n")
        self._blocks.seek(0)
        shutil.copyfileobj(self._blocks, out)
        out.write("</section>\n")
        out.write(ending.about(self.meta, summary, self.row_numbers))
        out.write(ending.coverage(self.meta, self.place))
        out.write(ending.verdict_table(self.audience, self.place))
        out.write(ending.meanings(self._statements, self.audience))
        out.write(ending.signoff(self.report))
        out.write(f'<p class=caution role="note">{_e(CAUTION)}</p>\n')
        out.write("</main>\n</body>\n</html>\n")
        out.close()
        self._discard()

    def _discard(self) -> None:
        self._rows.close()
        self._blocks.close()

    def _sidecar(self, summary: dict[str, Any]) -> Path | None:
        return None  # the report carries its metadata at the top

    def _head(self) -> str:
        """The page's head and the top of its first page."""
        meta, report = self.meta, self.report
        name = report_name(meta)
        reference = str(report.get("reference") or "")
        footer = f"Screening report: {name} · " + (
            f"Reference {reference}" if reference else f"Run {meta.get('run_id') or ''}"
        )
        return "".join(
            [
                "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n",
                (
                    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                    "style-src 'unsafe-inline'\">\n"
                ),
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
                f"<title>Screening report: {_e(name)}</title>\n",
                f"<style>{CSS}{page_css(footer)}</style>\n",
                "</head>\n<body>\n<main>\n",
                f"<h1>Screening report: {_e(name)}</h1>\n",
                (
                    f"<p class=muted>Run {_e(meta.get('run_id'))} · created "
                    f"{_e(meta.get('created_at'))} · screener {_e(meta.get('tool_version'))}</p>\n"
                ),
                "<table class='kv head'>\n",
                f"<tr><th>Reference</th><td>{ending.field(report, 'reference')}</td>",
                f"<th>Reviewer</th><td>{ending.field(report, 'reviewer')}</td></tr>\n",
                f"<tr><th>Written for</th><td>{_e(audience_label(self.audience))}</td>",
                f"<th>Jurisdiction</th><td>{_e(self.place.label)} ({_e(self.place.code)})</td></tr>\n",
                "</table>\n",
                ending.alarms(meta),
                f'<p class="caution small" role="note">{_e(CAUTION)}</p>\n',
            ]
        )


def report_name(meta: dict[str, Any]) -> str:
    """What the report is about: the input's name as its user knows it (an uploaded
    file's own name), else its file name."""
    source = meta.get("input") or {}
    return str(source.get("name") or Path(str(source.get("path") or "input")).name)


# -- the summary ------------------------------------------------------------------------------

_SUMMARY_HEAD = (
    "<table class=summary>\n<thead><tr><th style=width:5%>Row</th><th style=width:33%>Party</th>"
    "<th style=width:16%>Verdict</th><th style=width:19%>Top listing</th>"
    "<th style=width:7%>Relation</th><th style=width:11%>Decision</th>"
    "<th style=width:9%>Reviewer</th></tr></thead>\n<tbody>\n"
)


def _tally(counts: Counter[str], audience: str) -> str:
    """How many parties got each verdict, in one line."""
    items = [(v.id, v.label_for(audience)) for v in verdicts()] + list(_OTHER_KINDS.items())
    shown = [
        f'<span><span class="verdict {v}">{_e(label)}</span> {counts.get(v, 0)}</span>'
        for v, label in items
        if counts.get(v, 0) or v not in _OTHER_KINDS
    ]
    return f"<p class=tally>{''.join(shown)}</p>\n"


def _summary_row(result: RowResult, row: Any, kind: str, audience: str) -> str:
    """One party in the summary table: verdict, top listing, relation, decision, reviewer."""
    hits = result.get("hits") or []
    country = result.get("country")
    where = f" <span class=muted>({_e(str(country).upper())})</span>" if country else ""
    party = _e(result.get("query"))
    if hits:
        party = f'<a href="#row-{_e(row)}">{party}</a>'
    listing = relation = decision = reviewer = "—"
    css = "none"
    if kind in _OTHER_KINDS:
        label = _OTHER_KINDS[kind]
        listing = _e(result.get("reason"))
        decision, css = ("to review", "to-review") if kind == "unreadable" else ("—", "none")
    else:
        label = verdict(kind).label_for(audience)
        counted = [h for h in hits if not is_false_positive(h)]
        top = top_hit(counted)
        if top is not None:
            _, list_name, citation = top_listing(top)
            listing = _e(list_name) + (f" · {_e(citation)}" if citation else "")
            relation = _e(top.get("relation") or DEFAULT_RELATION)
        if hits:
            d = party_decision(hits)
            decision, css, reviewer = _e(d.label), d.css, _e(d.reviewer or "—")
    return (
        f'<tr id="party-{_e(row)}"><td class=n>{_e(row)}</td><td>{party}{where}</td>'
        f'<td class="v {kind}">{_e(label)}</td><td>{listing}</td><td class=rel>{relation}</td>'
        f'<td class="d {css}">{decision}</td><td>{reviewer}</td></tr>\n'
    )


# -- the details ------------------------------------------------------------------------------


def _party_block(
    result: RowResult,
    row: Any,
    columns: list[str],
    cells: tuple[Any, ...],
    verdict_id: str,
    body: str,
    audience: str,
) -> str:
    v = verdict(verdict_id)
    hits = result.get("hits") or []
    country = result.get("country")
    where = f" <span class=muted>({_e(str(country).upper())})</span>" if country else ""
    shown = [f"{_e(c)}: {_e(_clip(x))}" for c, x in zip(columns[:8], cells[:8], strict=False) if x]
    decided = party_decision(hits)
    note = ""
    if decided.css == "review-again":
        note = (
            "<p class=warn>Review again: a listing changed since a reviewer decided on it "
            "(what changed is shown with it).</p>\n"
        )
    elif result.get("status") == "suppressed":
        note = (
            "<p class=muted>Every potential match was set aside by a reviewer's decision; "
            "they are shown below.</p>\n"
        )
    return "".join(
        [
            f'<section class="party {v.id}" id="row-{_e(row)}">\n<div class=party-head>\n',
            (
                f"<h3>Row {_e(row)}: {_e(result.get('query'))}{where}"
                f'<span class="verdict {v.id}">{_e(v.label_for(audience))}</span>'
                f'<span class="status {decided.css}">{_e(decided.label)}</span></h3>\n'
            ),
            f"<p class=input>Input row: {'; '.join(shown)}</p>\n" if shown else "",
            note,
            "</div>\n",
            body,
            "</section>\n",
        ]
    )


def entity_groups(hits: list[HitDict]) -> list[list[HitDict]]:
    """The hits grouped by the listed entity they name (its normalized listed name, across
    sources: ``name_key``, made by matching), in the one order of every output
    (:func:`~screener.files.reports.severity.hit_key`: identity, then severity), the first
    group being the report's headline; within a group the first hit of that order comes
    first."""
    groups: dict[str, list[HitDict]] = {}
    for hit in order_hits(hits):
        party = hit.get("party")
        if isinstance(party, dict) and party.get("id"):  # one block per party, whatever its names
            key = f"party {party['id']}"
        else:
            key = hit.get("name_key") or f"{hit.get('source_id')}:{hit.get('entity_id')}"
        groups.setdefault(key, []).append(hit)
    return list(groups.values())


def _relation_tag(hit: HitDict) -> str:
    relation = str(hit.get("relation") or DEFAULT_RELATION)
    label = RELATIONS.get(relation, relation)
    css = relation if relation in RELATIONS else "other"
    return f'<span class="tag {css}" title="{_e(label)}">{_e(relation)}</span>'


def _entity_block(
    group: list[HitDict], audience: str, subset: set[str] | frozenset[str] = frozenset()
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
    urls = list(dict.fromkeys(u for h in group if (u := h.get("source_url"))))
    countries = sorted({str(c).upper() for h in group for c in h.get("countries") or ()})
    parents = list(dict.fromkeys(str(h["parent"]) for h in group if h.get("parent")))
    remarks = list(dict.fromkeys(str(h["remarks"]) for h in group if h.get("remarks")))
    fields = [
        ("Relation", _e(RELATIONS.get(relation, relation))),
        *([("Matched part", _e(best.get("matched_part")))] if best.get("matched_part") else []),
        ("Matched name", _e("; ".join(matched))),
        ("Why", _e(best.get("explanation"))),
        ("Severity", _e(level.label)),
        ("Entries", entries),
        ("Official source", " · ".join(_link(u, _host(u)) for u in urls) or "—"),
        ("Countries", _e(", ".join(countries))),
        *([("Parent", _e("; ".join(parents)))] if parents else []),
        *([("Remarks", "<br>".join(_e(r) for r in remarks))] if remarks else []),
    ]
    decided = [h for h in group if hit_decision(h) is not None]
    tag = ""
    if decided:
        d = hit_decision(decided[0])
        css = "decided" if d is not None and d.settled else "to-review"
        tag = f'<span class="status {css}">{_e(hit_state(decided[0]))}</span>'
    elif status != "hit":
        tag = f'<span class="status {status}">{_e(status)}</span>'
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
        *(_decision_box(h) for h in decided),
        "</div>\n",
    ]
    return "".join(out)


def _listings_table(
    group: list[HitDict], audience: str, subset: set[str] | frozenset[str] = frozenset()
) -> str:
    """Every listing of the group's hits, each once (by list, citation and dates)."""
    seen: set[tuple[Any, ...]] = set()
    rows = []
    for hit in group:
        for listing in listings_of(hit):
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
        "<thead><tr><th style=width:19%>List</th><th style=width:11%>Citation</th>"
        "<th style=width:10%>Listed</th><th style=width:8%>Ended</th>"
        "<th style=width:32%>Requirement, policy or effect</th>"
        "<th style=width:12%>Meaning</th><th style=width:8%>Source</th></tr></thead>\n"
    )
    return f"<table class=listings>\n{head}{''.join(rows)}</table>\n"


def _listing_row(
    listing: ListingDict, audience: str, subset: set[str] | frozenset[str] = frozenset()
) -> str:
    level = listing_level(listing)
    ended = listing.get("end_date")
    if listing.get("in_force") is False and not ended:
        ended = "not in force"
    what = []
    if listing.get("license_requirement"):
        what.append(f"Licence requirement: {_e(listing['license_requirement'])}")
    if listing.get("license_policy"):
        what.append(f"Licence policy: {_e(listing['license_policy'])}")
    if listing.get("effect"):
        line = effect_line(listing)
        kind = text(listing.get("effect_kind"))
        shown = f"<strong>{_e(kind)}</strong>: {_e(line[len(kind) + 2 :])}" if kind else _e(line)
        sources = " · ".join(
            _link(s.get("url"), s.get("label")) for s in listing.get("effect_sources") or ()
        )
        what.append(shown + (f"<br><span class=muted>{sources}</span>" if sources else ""))
    if listing.get("program"):
        what.append(f"<span class=muted>Programme: {_e(listing['program'])}</span>")
    st = statement(listing, audience)
    authority = (
        f"<br><span class=muted>{_e(listing.get('authority'))}</span>"
        if listing.get("authority")
        else ""
    )
    if listing.get("list") in subset:
        authority += (
            "<br><span class=subset>checked as a curated subset only (see the coverage "
            "statement)</span>"
        )
    return (
        f"<tr><td>{_e(listing.get('list'))}{authority}<br><span class=muted>"
        f"{_e(level.label)}</span></td><td>{_e(listing.get('citation'))}</td>"
        f"<td class=nowrap>{_e(listing.get('listed_on'))}</td><td class=nowrap>{_e(ended)}</td>"
        f"<td>{'<br>'.join(what) or '—'}</td>"
        f'<td><a href="#meaning-{anchor(st.id)}">{_e(st.title or st.id)}</a></td>'
        f"<td>{_link(listing.get('source_url'), 'official source')}</td></tr>\n"
    )


def _decision_box(hit: HitDict) -> str:
    d = hit_decision(hit)
    assert d is not None
    status = str(hit.get("status") or "hit")
    what = {
        "suppressed": "the match is suppressed",
        "review-again": "review again: the listing changed since",
        "hit": "the match stands",
    }.get(status, status)
    out = [
        (
            f'<div class="decision {_e(status)}"><strong>Decision #{_e(d.id)}: '
            f"{_e(d.kind)}</strong> by {_e(d.reviewer)} on {_e(d.day)}, for "
            f"<code>{_e(hit.get('source_id'))}:{_e(hit.get('entity_id'))}</code> "
            f"({_e(what)}).<br>Reason: {_e(d.reason)}"
        )
    ]
    if d.changes:
        out.append("<br>What changed: " + "; ".join(_e(c) for c in d.changes))
    if is_false_positive(hit):
        out.append("<br><span class=muted>Not counted in the verdict.</span>")
    out.append("</div>\n")
    return "".join(out)


def _host(url: str) -> str:
    """The site a URL is on ("ofac.treasury.gov"), as a link's label."""
    from urllib.parse import urlsplit

    host = urlsplit(str(url)).hostname or str(url)
    return host.removeprefix("www.")


def _clip(value: Any, limit: int = 200) -> str:
    shown = text(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"
