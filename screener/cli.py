"""The `screener` command line: a thin click layer over the library.

Exit codes (also in `screener --help` and the README):
  0  no hit at or above the threshold
  1  at least one hit
  2  usage or input error
  3  lists missing, stale or unreadable (fail closed)
  4  a list update failed (the previous version stays active)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__, catalog
from .errors import EXIT_INPUT, ScreenerError
from .sources.registry import FORMATS
from .store import Store

EXIT_CODES_HELP = """\b
Exit codes:
  0  no hit at or above the threshold
  1  at least one hit
  2  usage or input error
  3  lists missing, stale or unreadable (fail closed)
  4  a list update failed (previous version kept)"""


class Ctx:
    def __init__(self, db: str | None):
        self.db_path = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.db_path)
        return self._store


@click.group(help=f"Screen names against restricted surveillance-technology lists.\n\n{EXIT_CODES_HELP}")
@click.option("--db", type=click.Path(dir_okay=False), envvar="SCREENER_DB",
              help="Database file (default: $SCREENER_DB or a per-user data directory).")
@click.version_option(__version__, prog_name="screener")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    ctx.obj = Ctx(db)


@cli.group("lists", help="Show, import and export the lists screened against.")
def lists_group() -> None:
    pass


@lists_group.command("show", help="Each source with its active version and entry count.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def lists_show(obj: Ctx, fmt: str) -> None:
    rows = catalog.show(obj.store)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    _table(rows, [("id", "source"), ("kind", "kind"), ("entities", "entities"),
                  ("published", "published"), ("loaded_at", "loaded"),
                  ("sha256", "version"), ("licence", "licence")])  # fmt: skip


@lists_group.command("import", help="Load a list file (or folder) as a new version of a source.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="Importer: csl, ofac (file or folder), simple (targets.simple.csv), curated.")
@click.option("--source", "source_id", required=True, help="Source id, e.g. csl or my-denylist.")
@click.option("--name", help="Display name of the source.")
@click.pass_obj
def lists_import(obj: Ctx, path: Path, fmt: str, source_id: str, name: str | None) -> None:
    r = catalog.import_file(obj.store, path, fmt, source_id, name=name)
    if r.status == "unchanged":
        click.echo(f"{source_id}: unchanged (version {r.version_id}, sha256 {r.sha256[:12]})")
    else:
        click.echo(f"{source_id}: loaded version {r.version_id} with {r.entities} entities and "
                   f"{r.names} names (sha256 {r.sha256[:12]})")  # fmt: skip


@lists_group.command("export", help="Write the active records with all provenance.")
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["simple", "jsonl"]), required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.pass_obj
def lists_export(obj: Ctx, source_ids: tuple[str, ...], fmt: str, output: Path) -> None:
    n = catalog.export(obj.store, output, fmt, list(source_ids) or None)
    click.echo(f"wrote {n} entities to {output}", err=True)


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(show_lines=False)
    for _, title in cols:
        t.add_column(title)
    for r in rows:
        t.add_row(*[_cell(k, r.get(k)) for k, _ in cols])
    Console(width=160).print(t)


def _cell(key: str, v: Any) -> str:
    if v is None:
        return ""
    if key == "sha256":
        return str(v)[:12]
    return str(v)


def main() -> None:
    """Entry point: run the CLI, turning screener errors into one line and an exit code."""
    try:
        rv = cli.main(standalone_mode=False)
    except ScreenerError as e:
        click.echo(f"screener: error: {e}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("screener: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_INPUT)
    except OSError as e:
        click.echo(f"screener: error: {e.filename or ''}: {e.strerror or e}", err=True)
        sys.exit(EXIT_INPUT)
    sys.exit(rv if isinstance(rv, int) else 0)
