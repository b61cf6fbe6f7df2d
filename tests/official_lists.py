"""Helpers shared by the official-list importer tests (test_import_*.py).

The real files are excerpts of the reference copies in ../shared/data, committed under
fixtures/excerpts (see tests/excerpts.py). The small synthetic files are in
fixtures/lists/official (made up; see make_fixtures.py there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from excerpts import excerpt

from screener.cli import cli
from screener.model import Entity, ParsedList

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "lists" / "official"


def real(rel: str) -> Path:
    """The excerpt of the real file ``../shared/data/<rel>`` (fixtures/excerpts)."""
    return excerpt(rel)


def by_id(parsed: ParsedList, eid: str) -> Entity:
    return next(e for e in parsed.entities if e.id == eid)


def names(ent: Entity, kind: str | None = None) -> list[str]:
    return [n.name for n in ent.all_names() if kind is None or n.kind == kind]


def name_count(parsed: ParsedList) -> int:
    """What the store counts as names: each entity's distinct names."""
    return sum(len(e.all_names()) for e in parsed.entities)


def import_then_check(
    db: Path, path: Path, fmt: str, source: str, query: str
) -> tuple[str, list[dict[str, Any]]]:
    """`screener lists import` the file, then `screener check QUERY`: (import output,
    the hits from ``source``). The check must exit 1 (a hit)."""
    runner = CliRunner()
    imported = runner.invoke(
        cli, ["--db", str(db), "lists", "import", str(path), "--format", fmt, "--source", source]
    )
    assert imported.exit_code == 0, imported.output
    checked = runner.invoke(
        cli, ["--db", str(db), "check", query, "--format", "json"], standalone_mode=False
    )  # the command returns the exit code
    assert checked.exit_code == 0 and checked.return_value == 1, checked.output
    hits = json.loads(checked.stdout)["hits"]
    return imported.output, [h for h in hits if h["source_id"] == source]
