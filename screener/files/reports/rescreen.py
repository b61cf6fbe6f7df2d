"""A re-screening's report: what changed for a portfolio's parties, as JSON or HTML.

``write(path, result)`` takes :meth:`screener.screening.rescreen.RescreenResult.to_dict`
and writes ``.json`` (that dict, indented) or ``.html`` (a self-contained page: the
parties that changed, each change, the list versions compared). The file appears whole
or not at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.files.reports.base import CAUTION
from screener.files.reports.html import CSS, escape

KIND_WORDS = {
    "new-hit": "new match",
    "hit-gone": "match gone",
    "listing-changed": "listing changed",
    "status-changed": "status changed",
    "decided": "decided",
}


def write(path: str | Path, result: dict[str, Any]) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".html", ".htm"):
        raise InputError(
            f"{path}: unknown report type {suffix or '(no extension)'!r}; use .json or .html"
        )
    if not path.parent.is_dir():
        raise InputError(f"{path}: the directory {str(path.parent)!r} does not exist")
    body = (
        json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n"
        if suffix == ".json"
        else page(result)
    )
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _compared(prev: dict[str, Any]) -> str:
    if not prev.get("screened_at"):
        return "nothing: this is the first screening"
    return f"the screening of {prev['screened_at']} (run {prev.get('run_id')})"


def page(r: dict[str, Any]) -> str:
    """The HTML page of a re-screening."""
    prev = r.get("previous") or {}
    title = f"Re-screening: {r.get('portfolio')}"
    out = [
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n",
        (
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">\n"
        ),
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        f"<h1>{escape(title)}</h1>\n",
        (
            f"<p class=muted>Run {escape(r.get('run_id'))} · {escape(r.get('screened_at'))} · "
            f"screener {escape(r.get('tool_version'))}</p>\n"
        ),
        f'<p class=caution role="note">{escape(CAUTION)}</p>\n',
        "<table class=kv>\n",
        f"<tr><th>Parties</th><td>{escape(r.get('parties'))}</td></tr>\n",
        f"<tr><th>Compared with</th><td>{escape(_compared(prev))}</td></tr>\n",
        f"<tr><th>Parties that changed</th><td>{escape(r.get('changed_parties'))}</td></tr>\n",
        f"<tr><th>Of which to review</th><td>{escape(r.get('needs_review'))}</td></tr>\n",
        "</table>\n",
    ]
    if r.get("warnings"):
        out.append(
            "<ul class=warn>\n"
            + "".join(f"<li>{escape(w)}</li>\n" for w in r["warnings"])
            + "</ul>\n"
        )
    out.append("<h2>Lists whose version changed</h2>\n")
    if r.get("lists_changed"):
        out.append(
            "<table>\n<tr><th>Source</th><th>From version</th><th>To version</th>"
            "<th>Published</th></tr>\n"
        )
        for x in r["lists_changed"]:
            out.append(
                f"<tr><td>{escape(x.get('source_id'))}</td>"
                f"<td>{escape(x.get('from_version'))}</td><td>{escape(x.get('to_version'))}</td>"
                f"<td>{escape(x.get('published'))}</td></tr>\n"
            )
        out.append("</table>\n")
    else:
        out.append("<p>None.</p>\n")
    out.append("<h2>Parties that changed</h2>\n")
    if not r.get("changes"):
        out.append("<p>Nothing changed since the last screening.</p>\n")
    for c in r.get("changes") or ():
        cls = "licence-required" if c.get("needs_review") else "no-finding"
        out.append(
            f'<section class="party {cls}" id="row-{escape(c.get("row"))}">\n'
            f"<h3>Row {escape(c.get('row'))}: {escape(c.get('party'))}"
            f"{(' (' + escape(str(c['country']).upper()) + ')') if c.get('country') else ''}"
            f'<span class="status {escape(c.get("status"))}">'
            f"{escape(c.get('status_before') or 'not screened')} → "
            f"{escape(c.get('status'))}"
            "</span>"
            + (
                f'<span class="status {"to-review" if c.get("needs_review") else "decided"}">'
                f"{escape(c['decision'])}</span>"
                if c.get("decision") and c.get("status") not in ("clear", "review-again")
                else ""
            )
            + "</h3>\n<ul>\n"
        )
        for ch in c.get("changes") or ():
            flag = " <strong>(to review)</strong>" if ch.get("needs_review") else ""
            out.append(
                f"<li><strong>{escape(KIND_WORDS.get(ch.get('kind'), ch.get('kind')))}"
                f"</strong>: {escape(ch.get('text'))}{flag}</li>\n"
            )
        out.append("</ul>\n</section>\n")
    out.append(
        "<h2>Lists used</h2>\n<table>\n<tr><th>Source</th><th>Version</th><th>Published"
        "</th><th>Loaded</th></tr>\n"
    )
    for x in r.get("lists") or ():
        out.append(
            f"<tr><td>{escape(x.get('name'))} ({escape(x.get('source_id'))})</td>"
            f"<td>{escape(x.get('version_id'))}</td><td>{escape(x.get('published'))}</td>"
            f"<td>{escape(x.get('loaded_at'))}</td></tr>\n"
        )
    out.append("</table>\n</main>\n</body>\n</html>\n")
    return "".join(out)
