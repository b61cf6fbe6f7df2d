"""What every HTML page screener writes shares: escaping, safe links, and the stylesheet,
made to read on screen and to print on A4 (the committee report's PDF).

Printing rules (:data:`CSS`): a word is never broken to fit a cell (``overflow-wrap:
break-word`` lets a column grow to its longest word; only codes, checksums and URLs may
break anywhere); headings and a party's header keep with what follows them; table
headers repeat on each page; rows are never split. The page's footer (the report's
reference and "Page N of M") is a CSS page-margin box (:func:`page_css`).
"""

from __future__ import annotations

import html
from typing import Any


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


def anchor(value: Any) -> str:
    """An id made of ``value``: letters, digits, - and _ kept, anything else a dash."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(value))


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: every character but ASCII letters and digits as a
    six-digit hex escape (a space too: an escape swallows the space after it), so that no
    value (a reference typed by a user) can end the string or the style element."""
    out = []
    for c in text:
        if c.isascii() and c.isalnum():
            out.append(c)
        else:
            out.append(f"\\{ord(c):06x}")
    return '"' + "".join(out) + '"'


def page_css(footer_left: str, footer_right_prefix: str = "Page") -> str:
    """The printed page: A4, margins, and a footer with ``footer_left`` and the page
    number ("Page 3 of 12") on every page."""
    font = "font-size:7.5pt;color:#555;font-family:system-ui,sans-serif"
    number = (
        f"{css_string(footer_right_prefix + ' ')} counter(page) {css_string(' of ')} counter(pages)"
    )
    return (
        "@page{size:A4;margin:13mm 12mm 15mm 12mm;"
        f"@bottom-left{{content:{css_string(footer_left)};{font}}}"
        f"@bottom-right{{content:{number};{font}}}}}\n"
    )


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1b1b1b;margin:0;
background:#f6f6f4;hyphens:manual}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:23px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px}
h3{font-size:16px;margin:4px 0 8px}h4{font-size:15px;margin:10px 0 4px}
h1,h2,h3,h4,.keep{break-after:avoid;page-break-after:avoid}
.caution{border:2px solid #b3261e;background:#fdecea;padding:10px 14px;font-weight:600;
margin:14px 0;border-radius:4px}
.caution.small{font-size:12px;padding:5px 10px;border-width:1px;margin:8px 0}
.alarm{border:3px solid #b3261e;background:#b3261e;color:#fff;padding:12px 16px;
font-size:16px;font-weight:700;margin:14px 0;border-radius:4px}
.alarm code{color:#fff}
.warn{border:2px solid #9a5b00;background:#fff4e0;padding:10px 14px;margin:12px 0;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;background:#fff}
th,td{border:1px solid #d0d0cc;padding:3px 7px;text-align:left;vertical-align:top;
overflow-wrap:break-word;word-break:normal}
th{background:#ecece8;font-weight:600}
thead{display:table-header-group}
tr{break-inside:avoid;page-break-inside:avoid}
code,.anywhere{overflow-wrap:anywhere;word-break:normal}
.kv th{width:13em}
.kv.head{font-size:13px;margin:8px 0}.kv.head th{width:7em;white-space:nowrap}
.tally{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 8px;font-size:13px}
.tally span{white-space:nowrap}
.summary{font-size:12px;line-height:1.3}
.summary td,.summary th{padding:2px 5px}
.summary .n,.summary .rel,.nowrap{white-space:nowrap}
.summary td.v{border-left:5px solid #8a8a85}
.summary td.v.prohibited{border-left-color:#7f0000}.summary td.v.licence-required{border-left-color:#b3261e}
.summary td.v.restricted{border-left-color:#c25e00}.summary td.v.elevated-risk{border-left-color:#b59b00}
.summary td.v.no-finding{border-left-color:#2e7d32}.summary td.v.unreadable{border-left-color:#b3261e}
.summary .d.to-review{color:#b3261e;font-weight:600}.summary .d.review-again{color:#b3261e;font-weight:700}
.summary .d.decided{color:#1e5e22}
.summary a{color:inherit;text-decoration:none}
.listings{font-size:12px}
.party{background:#fff;border:1px solid #d0d0cc;border-left:6px solid #8a8a85;
margin:12px 0;padding:8px 14px;border-radius:4px}
.party-head{break-inside:avoid;break-after:avoid;page-break-after:avoid}
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
.status.review-again,.status.to-review{border-color:#b3261e;color:#b3261e;font-weight:700}
.status.suppressed,.status.decided{border-color:#2e7d32;color:#1e5e22}
.entity{border-top:1px solid #e2e2de;padding:6px 0;break-inside:avoid;page-break-inside:avoid}
.entity.suppressed{opacity:.8}
.score{display:inline-block;font-weight:700;background:#b3261e;color:#fff;
padding:1px 8px;border-radius:10px;margin-right:8px}
.entity.suppressed .score{background:#8a8a85}
.tag{display:inline-block;font-size:12px;border:1px solid #8a8a85;color:#333;
padding:0 7px;border-radius:10px;margin-left:8px;vertical-align:1px}
.tag.unit,.tag.owned-by,.tag.brand{border-color:#9a5b00;color:#7a4700;background:#fff4e0}
.decision{border:1px solid #2e7d32;background:#eef7ee;padding:6px 10px;margin:6px 0;
border-radius:4px;font-size:13px;break-inside:avoid}
.decision.review-again{border-color:#b3261e;background:#fdecea}
dl{display:grid;grid-template-columns:12em 1fr;gap:1px 12px;margin:4px 0}
dt{color:#555}dd{margin:0;overflow-wrap:break-word}
.muted,.input{color:#555;font-size:12px;overflow-wrap:break-word}
.subset{color:#7a4700;font-size:11px}
.blank{display:inline-block;min-width:18em;border-bottom:1px solid #333;height:1.2em}
.sign td{height:2.2em}
.framework{break-inside:avoid;margin:8px 0}
a{color:#0b57d0}
code{font-size:12px}
@media print{body{background:#fff;font-size:11px}main{max-width:none;padding:0}
h1{font-size:19px}h2{font-size:15px;margin:16px 0 6px}h3{font-size:13px}h4{font-size:12px}
.party{break-inside:auto;padding:4px 10px;margin:8px 0}.summary{font-size:9px;line-height:1.2}
.summary td,.summary th{padding:1px 4px}.kv.head{font-size:10.5px;margin:4px 0}
.alarm{font-size:10.5px;padding:5px 9px;margin:6px 0;border-width:2px}
.warn{padding:5px 9px;margin:6px 0}.caution.small{font-size:9.5px;padding:3px 8px;margin:5px 0}
.tally{font-size:10px;margin:3px 0 5px}
.listings{font-size:10px}.muted,.input{font-size:10px}code{font-size:10px}
.verdict{font-size:10.5px}.status,.tag{font-size:10px}.decision{font-size:10.5px}
.details{break-before:page;page-break-before:always}
a{color:#1b1b1b;text-decoration:none}}
"""
