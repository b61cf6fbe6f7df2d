"""PDF output: the HTML report (:mod:`.html`) printed by headless Chromium (:mod:`.chromium`).

Chromium is looked for when the writer opens, so a batch without it fails at once with
one line, before screening. The HTML is written as for ``.html``; at close it moves into
a scratch folder beside the output (named like the temporary file, so that a killed run's
folder is removed), Chromium prints it to A4 PDF there, and the PDF takes the temporary
file's place and then the output's, as every writer's file does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from screener.files.reports import chromium
from screener.files.reports.html import HtmlWriter


class PdfWriter(HtmlWriter):
    """The committee report as PDF."""

    def __init__(self, path: Path, columns: list[str], meta: dict[str, Any]) -> None:
        chromium.require()
        super().__init__(path, columns, meta)
        self._scratch = self._mkdtemp()

    def _finish(self, summary: dict[str, Any]) -> None:
        super()._finish(summary)  # the HTML, complete, in the temporary file
        page = self._scratch / "report.html"
        os.replace(self._tmp, page)
        printed = self._scratch / "report.pdf"
        chromium.print_pdf(page, printed, self._scratch)
        os.replace(printed, self._tmp)
