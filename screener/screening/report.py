"""``screener report``: the committee report (:mod:`screener.files.reports.html`), as HTML or
PDF, with a reference, a reviewer and an audience.

What it reports on, told apart by what ``source`` is:

* a batch's **JSON Lines output** (beside its ``OUTPUT.meta.json``): rendered as that
  run screened it, with the list versions and decisions of that time;
* the **id of a batch run** whose JSON Lines output is still where the run wrote it: the
  same;
* any other **file of parties** (CSV, XLSX, JSON Lines): screened now, through the same
  batch as ``screener batch`` (recorded as a run), against the active lists with the
  decisions in force.

The batch's own ``.html`` output is the same report without a reference or reviewer
(written for the export audience).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from screener.errors import InputError
from screener.files.reports.base import meta_path
from screener.files.reports.verdicts import check_audience, check_jurisdiction

CHUNK = 5_000


def report(
    s: Any,
    source: str,
    output: str | Path,
    *,
    audience: str | None = None,
    reference: str | None = None,
    reviewer: str | None = None,
    jurisdiction: str | None = None,
    **batch_options: Any,
) -> dict[str, Any]:
    """Write the report on ``source`` (see the module docstring) to ``output`` (``.html`` or
    ``.pdf``); returns the counts, the run id and what was reported on. ``jurisdiction``
    (AU, US, UK, EU) names the national frameworks the report adds; by default the
    config file's ``[report] jurisdiction``, else US."""
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise InputError(f"{output}: a report is .html or .pdf")
    options = {
        "audience": check_audience(audience),
        "jurisdiction": check_jurisdiction(jurisdiction or s.settings.jurisdiction),
        "reference": reference or None,
        "reviewer": reviewer or None,
    }
    jsonl = _batch_output(s, source)
    if jsonl is not None:
        return render_jsonl(jsonl, output, options)
    path = Path(source)
    if not path.exists():
        raise InputError(f"{source}: no such file, and no batch run with that id")
    summary = s.batch(path, output, report=options, **batch_options)
    return {
        "source": str(path),
        "screened": True,
        "run_id": summary.run_id,
        "exit_code": summary.exit_code,
        **summary.to_dict(),
    }


def _batch_output(s: Any, source: str) -> Path | None:
    """The JSON Lines output ``source`` names (a file, or a run's), or None for a party file."""
    path = Path(source)
    if path.exists():
        return path if _is_batch_output(path) else None
    from screener.db import runs

    try:
        run = runs.run(s.store, source)
    except InputError:
        return None
    out = Path(str(run.get("output_path") or ""))
    if run.get("command") == "batch" and out.suffix.lower() == ".jsonl" and _is_batch_output(out):
        return out
    raise InputError(
        f"run {run['id']} wrote {run.get('output_path') or 'no output'}, which is "
        "not a JSON Lines output still on disk: give its input file (screened "
        "again now) or a JSON Lines batch output"
    )


def _is_batch_output(path: Path) -> bool:
    side = meta_path(path)
    if path.suffix.lower() != ".jsonl" or not side.exists():
        return False
    try:
        meta = json.loads(side.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "run_id" in meta and "output" in meta


def render_jsonl(path: Path, output: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The report of a batch's JSON Lines output, as that run screened it."""
    import pandas as pd

    from screener.files.reports.base import INPUT_ROWS_ATTR
    from screener.files.reports.formats import open_writer

    meta = json.loads(meta_path(path).read_text("utf-8"))
    meta = {**{k: v for k, v in meta.items() if k not in ("summary", "output")}, "report": options}
    before = json.loads(meta_path(path).read_text("utf-8")).get("summary") or {}
    with open_writer(output, [], meta) as writer:
        chunk: list[dict[str, Any]] = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    chunk.append(json.loads(line))
                except ValueError:
                    raise InputError(f"{path}: line {n} is not JSON") from None
                if len(chunk) >= CHUNK:
                    _write(writer, chunk, pd, INPUT_ROWS_ATTR)
                    chunk = []
        if chunk:
            _write(writer, chunk, pd, INPUT_ROWS_ATTR)
        counts = writer.counts()
        writer.close({**counts, "unique_names": before.get("unique_names")})
    review = counts["needs_review"]
    return {
        "source": str(path),
        "screened": False,
        "run_id": meta.get("run_id"),
        "exit_code": 1 if review else 0,
        **counts,
    }


def _write(writer: Any, records: list[dict[str, Any]], pd: Any, attr: str) -> None:
    df = pd.DataFrame(index=range(len(records)))
    df.attrs[attr] = [r.get("row") for r in records]
    writer.write(df, records)
