"""The committee report's statements, after the parties: what was checked (the coverage
statement, with the national frameworks of the report's jurisdiction), how verdicts are
given and what they mean for the audience and the jurisdiction, what each listing found
means with its official sources, and the sign-off. Also the alarms the report repeats at
its top (official lists never downloaded, lists out of date).
"""

from __future__ import annotations

from typing import Any

from screener.files.reports.markup import anchor, escape, link
from screener.files.reports.severity import levels
from screener.files.reports.verdicts import (
    Jurisdiction,
    Statement,
    audience_intro,
    audience_label,
    limits,
    verdicts,
)

_e = escape
BLANK = "<span class=blank></span>"  # a line to write on
COUNT_LABELS = {
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


def alarms(meta: dict[str, Any]) -> str:
    """Official lists never downloaded (loud), lists out of date."""
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


def field(report: dict[str, Any], key: str) -> str:
    """A field of the report's options, or a line to write on."""
    return _e(report[key]) if report.get(key) else BLANK


def about(meta: dict[str, Any], summary: dict[str, Any], row_numbers: str) -> str:
    """The run's counts and its input, as label-value rows (nothing squeezed into narrow
    columns)."""
    source = meta.get("input") or {}
    keys = [k for k in COUNT_LABELS if k in summary]
    keys += [
        k for k, v in summary.items() if k not in COUNT_LABELS and k != "warnings" and _is_scalar(v)
    ]
    rows = [
        f"<tr><th>{_e(COUNT_LABELS.get(k, k))}</th><td>{_e(summary[k])}</td></tr>\n" for k in keys
    ]
    rows += [
        f"<tr><th>Threshold</th><td>{_e(meta.get('threshold'))}</td></tr>\n",
        f"<tr><th>Input</th><td class=anywhere>{_e(source.get('path'))}</td></tr>\n",
        f"<tr><th>Input SHA-256</th><td><code>{_e(source.get('sha256'))}</code></td></tr>\n",
        f"<tr><th>Input rows</th><td>{_e(source.get('rows'))}</td></tr>\n",
        f"<tr><th>Row numbers</th><td>{_e(row_numbers[:1].upper() + row_numbers[1:])}</td></tr>\n",
    ]
    if source.get("header_row") and source.get("header_row") != 1:
        rows.append(f"<tr><th>Header row</th><td>{_e(source.get('header_row'))}</td></tr>\n")
    return (
        "<h2 id=about>About this screening</h2>\n<table class=kv>\n" + "".join(rows) + "</table>\n"
    )


def coverage(meta: dict[str, Any], place: Jurisdiction) -> str:
    """What was checked and what was not: list versions, each official list, the
    jurisdiction's frameworks, and what a clear result does not cover."""
    out = ["<h2 id=coverage>Coverage statement</h2>\n", alarms(meta)]
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
    out.append(frameworks(place))
    out.append("<h3>What a clear result does not cover</h3>\n")
    for limit in limits():
        sources = " · ".join(link(s.get("url"), s.get("label")) for s in limit.get("sources") or ())
        src = f"<br><span class=muted>Sources: {sources}</span>" if sources else ""
        out.append(f"<p><strong>{_e(limit['title'])}.</strong> {_e(limit['text'])}{src}</p>\n")
    return "".join(out)


def frameworks(place: Jurisdiction) -> str:
    """The national frameworks of the report's jurisdiction, each with what screening can
    tell of it and its official sources."""
    out = [
        f"<h3 id=frameworks>National frameworks: {_e(place.label)} ({_e(place.code)})</h3>\n",
        (
            "<p class=keep>Beside the lists, a committee in this jurisdiction weighs the "
            "frameworks below. Each is summarised from its official source; whether a name "
            "screening can tell anything about it is said with it.</p>\n"
        ),
    ]
    for f in place.frameworks:
        sources = " · ".join(link(s.get("url"), s.get("label")) for s in f.sources)
        checked = f" (checked {_e(f.checked_on)})" if f.checked_on else ""
        out.append(
            f'<div class=framework id="framework-{anchor(f.id)}"><h4>{_e(f.name)}</h4>\n'
            f"<p>{_e(f.text)}</p>\n"
            + (f"<p><em>Screening:</em> {_e(f.screening)}</p>\n" if f.screening else "")
            + f"<p class=muted>Official sources: {sources}{checked}</p>\n</div>\n"
        )
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
    rows = [
        "<table>\n<thead><tr><th>List</th><th>Checked</th><th>What was checked</th></tr></thead>\n"
    ]
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
            "<table>\n<thead><tr><th>Source</th><th>Kind</th><th>Version</th>"
            "<th class=nowrap>SHA-256</th><th>Data of</th><th>Last updated (loaded)</th>"
            "<th>Entities</th></tr></thead>\n"
        )
    ]
    for item in lists:
        sha = str(item.get("sha256") or "")
        rows.append(
            f"<tr><td>{_e(item.get('name'))} <span class=muted>({_e(item.get('source_id'))})"
            f"</span></td><td>{_e(item.get('kind'))}</td><td>{_e(item.get('version_id'))}</td>"
            f'<td><code title="{_e(sha)}">{_e(sha[:12])}</code></td>'
            f"<td>{_e(_data_of(item))}</td><td>{_when(item.get('loaded_at'))}</td>"
            f"<td>{_e(item.get('entities'))}</td></tr>\n"
        )
    rows.append("</table>\n")
    return "".join(rows)


def verdict_table(audience: str, place: Jurisdiction) -> str:
    """How verdicts are given, each worded for the audience and read in the jurisdiction."""
    by_id = {lv.id: lv.label for lv in levels()}
    rows = [
        "<h2 id=verdicts>How verdicts are given</h2>\n",
        (
            "<p>A party's verdict is the most severe verdict of its listings, counting every "
            "potential match except those a reviewer found to be another party (false "
            "positives); a cleared match still counts, with its decision shown. The levels are "
            "those of the severity table the outputs share.</p>\n"
        ),
        (
            "<table>\n<thead><tr><th style=width:18%>Verdict</th><th>Meaning</th>"
            f"<th style=width:30%>In {_e(place.label)}</th><th style=width:13%>From listings "
            "at level</th></tr></thead>\n"
        ),
    ]
    for v in verdicts():
        lv = ", ".join(by_id.get(x, x) for x in v.levels) or "no counted match"
        text, sources = place.verdicts.get(v.id, ("", ()))
        cited = (
            "<br><span class=muted>Sources: "
            + " · ".join(link(s.get("url"), s.get("label")) for s in sources)
            + "</span>"
            if sources
            else ""
        )
        rows.append(
            f'<tr><td><span class="verdict {v.id}">{_e(v.label_for(audience))}</span></td>'
            f"<td>{_e(v.meaning_for(audience))}</td><td>{_e(text)}{cited}</td>"
            f"<td>{_e(lv)}</td></tr>\n"
        )
    rows.append("</table>\n")
    rows.append(
        '<p class=muted>The national frameworks these rest on, with their sources, are in the <a href="#frameworks">coverage statement</a>.</p>\n'
    )
    return "".join(rows)


def meanings(found: dict[str, Statement], audience: str) -> str:
    """What each list found means for the audience, with its official sources."""
    out = [
        f"<h2 id=meanings>What the listings mean: {_e(audience_label(audience))}</h2>\n",
        f"<p>{_e(audience_intro(audience))}</p>\n",
    ]
    if not found:
        out.append("<p class=muted>No listing was found.</p>\n")
    for st in found.values():
        out.append(
            f'<div id="meaning-{anchor(st.id)}"><h4>{_e(st.title)}</h4>\n<p>{_e(st.text)}</p>\n'
        )
        if st.sources:
            links = " · ".join(link(s.get("url"), s.get("label")) for s in st.sources)
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


def signoff(report: dict[str, Any]) -> str:
    return (
        '<h2 id=signoff>Review and sign-off</h2>\n<table class="kv sign">\n'
        f"<tr><th>Reference</th><td>{field(report, 'reference')}</td></tr>\n"
        f"<tr><th>Reviewer</th><td>{field(report, 'reviewer')}</td></tr>\n"
        f"<tr><th>Date</th><td>{BLANK}</td></tr>\n"
        f"<tr><th>Signature</th><td>{BLANK}</td></tr>\n"
        f"<tr><th>Committee decision</th><td>{BLANK}</td></tr>\n"
        "</table>\n"
    )


def _when(stamp: Any) -> str:
    """A timestamp that wraps between its date and its time, never inside either."""
    date, sep, time = str(stamp or "").partition("T")
    if not sep:
        return _e(stamp)
    return f"<span class=nowrap>{_e(date)}</span> <span class=nowrap>{_e(time)}</span>"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
