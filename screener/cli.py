"""The `screener` command line: a thin click layer over the library.

Exit codes (also in `screener --help` and the README):
  0  no hit at or above the threshold
  1  at least one hit
  2  usage or input error
  3  lists missing, stale or unreadable (fail closed)
  4  a list update failed (the previous version stays active)
  130 interrupted by Ctrl-C, 143 by SIGTERM (no partial output is left)
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from screener import __version__
from screener.db.store import Store
from screener.errors import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_LISTS, ScreenerError, Terminated
from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.lists.registry import FORMATS

EXIT_CODES_HELP = """\b
Exit codes:
  0  no hit at or above the threshold
  1  at least one hit
  2  usage or input error
  3  lists missing, stale or unreadable (fail closed)
  4  a list update failed (previous version kept)
  130 interrupted by Ctrl-C, 143 by SIGTERM (no partial output is left)"""


class Threshold(click.ParamType):
    """A finite number in [0, 1] (a NaN threshold would clear every name)."""

    name = "threshold"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        from screener.matching.rules import valid_threshold

        try:
            return valid_threshold(value)
        except ScreenerError as e:
            self.fail(str(e), param, ctx)


class Ctx:
    def __init__(self, db: str | None):
        self.db_path = db
        self._store: Store | None = None
        self._screener: Any = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db_path)
        return self._store

    @property
    def screener(self) -> Any:
        """The screening service over the store (runs killed earlier are reaped first)."""
        if self._screener is None:
            from screener.db.runs import reap_abandoned
            from screener.screening.service import Screener

            reap_abandoned(self.store)
            self._screener = Screener(self.store)
        return self._screener


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
              help="Importer: csl, ofac (file or folder), simple (targets.simple.csv), curated, "
                   "section-1286 (DoD Section 1286 CSV), un-sc, ofsi, eu-fsf, dfat, ca-sema, "
                   "bis-dpl, fr-rule.")
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


@lists_group.command("update", help="Download the official lists; keep the old version if a "
                     "download or its checks fail (exit 4).")  # fmt: skip
@click.argument("source_ids", nargs=-1, metavar="[SOURCE]...")
@click.option("--url", "url_opts", multiple=True, metavar="SOURCE=URL",
              help="Download SOURCE from URL instead (repeatable; a mirror or a local copy).")
@click.option("--from-file", type=click.Path(path_type=Path),
              help="Load this downloaded file (or folder) through the same checks.")
@click.option("--force", is_flag=True, help="Accept a copy that drops many entries.")
@click.pass_obj
def lists_update(obj: Ctx, source_ids: tuple[str, ...], url_opts: tuple[str, ...],
                 from_file: Path | None, force: bool) -> None:  # fmt: skip
    from screener.errors import EXIT_UPDATE
    from screener.lists import update as refresh

    urls: dict[str, list[str]] = {}
    for opt in url_opts:
        sid, sep, url = opt.partition("=")
        if not sep or not sid or not url:
            raise click.BadParameter(f"'{opt}' is not SOURCE=URL", param_hint="--url")
        urls.setdefault(sid.strip(), []).append(url.strip())
    outcomes = refresh.update(obj.store, list(source_ids) or None, urls=urls,
                              from_file=from_file, force=force)  # fmt: skip
    for o in outcomes:
        if o.status == "loaded":
            was = f", was version {o.previous_version}" if o.previous_version else ""
            click.echo(f"{o.source_id}: loaded version {o.version_id} with {o.entities} "
                       f"entities{was}")  # fmt: skip
        elif o.status == "unchanged":
            click.echo(f"{o.source_id}: unchanged (version {o.version_id})")
        else:
            kept = f"; version {o.version_id} stays active" if o.version_id else ""
            click.echo(f"{o.source_id}: FAILED: {o.message}{kept}", err=True)
        if o.notice and o.ok:
            click.echo(f"{o.source_id}: note: {o.notice}", err=True)
    if not all(o.ok for o in outcomes):
        click.get_current_context().exit(EXIT_UPDATE)


@lists_group.command("diff", help="Entries added, removed and changed between two versions "
                     "(default: the previous and the active one).")  # fmt: skip
@click.argument("source_id", metavar="SOURCE")
@click.option("--from", "from_version", type=int, help="Older version id.")
@click.option("--to", "to_version", type=int, help="Newer version id (default: active).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def lists_diff(obj: Ctx, source_id: str, from_version: int | None, to_version: int | None,
               fmt: str) -> None:  # fmt: skip

    from screener.lists.diff import diff as diff_versions

    d = diff_versions(obj.store, source_id, from_version, to_version)
    if fmt == "json":
        click.echo(json.dumps(d.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{source_id}: version {d.from_version or '(none)'} -> {d.to_version}: "
               f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
    rows = ([{**e, "change": "added"} for e in d.added]
            + [{**e, "change": "removed"} for e in d.removed]
            + [{**e, "change": "changed", "fields": ", ".join(e["fields"])}
               for e in d.changed])  # fmt: skip
    if rows:
        _table(rows, [("change", "change"), ("id", "id"), ("name", "name"), ("list", "list"),
                      ("fields", "changed fields")])  # fmt: skip


# -- screening ---------------------------------------------------------------------------

THRESHOLD_HELP = "Report hits scoring at least this (0-1; default 0.80)."
STALE_HELP = "Exit 3 instead of screening when a list is older than its max age."


@cli.command("check", help=f"Screen one name and show every hit with its provenance.\n\n"
                           f"{EXIT_CODES_HELP}")  # fmt: skip
@click.argument("name")
@click.option("--country", help="Country of the party (secondary evidence): an ISO code (CN, "
              "CHN) or an English name; Hong Kong and Macau count as China.")
@click.option("--threshold", type=Threshold(), help=THRESHOLD_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)  # fmt: skip
@click.option("--fail-stale", is_flag=True, default=None, help=STALE_HELP)
@click.pass_obj
def check_cmd(obj: Ctx, name: str, country: str | None, threshold: float | None, fmt: str,
              fail_stale: bool | None) -> int:  # fmt: skip
    result = obj.screener.check(name, country=country, threshold=threshold,
                                fail_stale=fail_stale)  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_check(result.to_dict())
    _warn(result.warnings)
    return int(result.exit_code)


@cli.command("batch", help=f"Screen every row of a CSV, XLSX, JSON Lines or Parquet file.\n\n"
                           f"OUTPUT's extension picks the format: .csv, .jsonl, .xlsx, .parquet "
                           f"or .html. "
                           f"The output appears only when the run succeeds; CSV, JSONL, XLSX and "
                           f"Parquet get a sidecar OUTPUT.meta.json with the run id and list "
                           f"versions. --engine dask screens on a Dask cluster: a local one, or "
                           f"the one at --scheduler ADDRESS.\n\n"
                           f"{EXIT_CODES_HELP}")  # fmt: skip
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file (.csv, .jsonl, .xlsx, .parquet or .html).")
@click.option("--column", help="Column holding the names (default: an obvious one).")
@click.option("--country-column", help="Column holding each party's country: ISO codes or "
              "English names (default: 'country'); a value naming no country is warned about.")
@click.option("--sheet", help="Worksheet of an .xlsx input (default: the first).")
@click.option("--threshold", type=Threshold(), help=THRESHOLD_HELP)
@click.option("--workers", type=click.IntRange(1, 64),
              help="Processes (default: all cores); with --engine dask, local Dask workers.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Where to screen: this machine's cores, or Dask workers.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler to use with --engine dask (e.g. tcp://scheduler:8786; "
                   "default: start a local cluster).")
@click.option("--fail-stale", is_flag=True, default=None, help=STALE_HELP)
@click.pass_obj
def batch_cmd(obj: Ctx, input_path: Path, output: Path, column: str | None,
              country_column: str | None, sheet: str | None, threshold: float | None,
              workers: int | None, engine: str, scheduler: str | None,
              fail_stale: bool | None) -> int:  # fmt: skip
    s = obj.screener.batch(input_path, output, column=column, country_column=country_column,
                           sheet=sheet, threshold=threshold, workers=workers, progress=True,
                           fail_stale=fail_stale, engine=engine, scheduler=scheduler)  # fmt: skip
    click.echo(f"screened {s.rows} rows ({s.unique_names} unique names): {s.hit_rows} with hits, "
               f"{s.clear} clear, {s.skipped} skipped; wrote {s.output} (run {s.run_id})", err=True)  # fmt: skip
    _warn(s.warnings)
    return s.exit_code


def _warn(notes: list[str]) -> None:
    """What a result does not cover (stale or missing lists, unreadable countries), after
    the result itself: a failed run prints its one error line and nothing else."""
    for n in notes:
        click.echo(f"screener: warning: {n}", err=True)


@cli.group("runs", invoke_without_command=True,
           help="The audit record: every check and batch run.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)  # fmt: skip
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def runs_group(ctx: click.Context, fmt: str, limit: int) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from screener.db import runs as audit

    rows = audit.runs(ctx.obj.store, limit)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        r["lists_used"] = ", ".join(f"{x['source_id']}@{str(x['sha256'])[:8]}"
                                    for x in r["lists"] or [])  # fmt: skip
    _table(rows, [("id", "run"), ("started_at", "started"), ("command", "command"),
                  ("input_path", "input"), ("rows", "rows"), ("hit_rows", "rows with hits"),
                  ("status", "status"), ("lists_used", "lists")])  # fmt: skip


@runs_group.command("show", help="One run: options, input checksum, list versions, hits.")
@click.argument("run_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="json",
              show_default=True)  # fmt: skip
@click.pass_obj
def runs_show(obj: Ctx, run_id: str, fmt: str) -> None:
    from screener.db import runs as audit

    r = audit.run(obj.store, run_id)
    if fmt == "json":
        click.echo(json.dumps(r, indent=2, ensure_ascii=False))
        return
    for k in ("id", "command", "started_at", "finished_at", "status", "exit_code", "tool_version",
              "input_path", "input_sha256", "rows", "hit_rows", "hits", "threshold"):
        click.echo(f"{k:>14}: {r.get(k)}")
    for x in r["lists"] or []:
        click.echo(f"{'list':>14}: {x['source_id']} version {x['version_id']} "
                   f"sha256 {x['sha256']} (loaded {x['loaded_at']})")  # fmt: skip
    _table(r["hit_list"], [("row", "row"), ("query", "query"), ("name", "listed name"),
                           ("score", "score"), ("source_id", "source"), ("citation", "citation")])  # fmt: skip


def _print_check(result: dict[str, Any]) -> None:
    hits = result["hits"]
    if not hits:
        click.echo(f"No hit at or above {result['threshold']:.2f} for {result['query']!r}.")
    for h in hits:
        click.echo(f"HIT {h['score']:.2f}  {h['name']}")
        click.echo(f"  matched name : {h['matched_name']}")
        click.echo(f"  source       : {h['source_name']} ({h['source_id']}), entry {h['entity_id']}")
        for ls in h["listings"] or [{"list": h["list"], "citation": h["citation"],
                                     "listed_on": h["listed_on"], "source_url": h["source_url"],
                                     "license_requirement": h["license_requirement"]}]:  # fmt: skip
            bits = [ls.get("list"), ls.get("citation"),
                    f"listed {ls['listed_on']}" if ls.get("listed_on") else None,
                    "ENDED " + ls["end_date"] if ls.get("end_date") else None]  # fmt: skip
            click.echo(f"  listing      : {' | '.join(b for b in bits if b)}")
            what = ls.get("license_requirement") or ls.get("effect")
            if what:
                click.echo(f"    meaning    : {what}")
            if ls.get("source_url"):
                click.echo(f"    official   : {ls['source_url']}")
        if h.get("parent"):
            click.echo(f"  parent       : {h['parent']}")
        click.echo(f"  why          : {h['explanation']}")
    click.echo("lists: " + ", ".join(f"{x['source_id']} v{x['version_id']} sha256 {x['sha256'][:12]}"
                                     for x in result["lists"]) + f"; run {result['run_id']}")  # fmt: skip
    if hits:
        click.echo("A potential match is not a determination: confirm each hit against the "
                   "official list at its source URL.")


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


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def main() -> None:
    """Entry point: run the CLI, turning screener errors into one line and an exit code.

    SIGTERM stops a run as Ctrl-C does (nothing half-written is left), with exit 143."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        rv = cli.main(standalone_mode=False)
    except ScreenerError as e:
        click.echo(f"screener: error: {e}", err=True)
        sys.exit(e.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("screener: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Terminated as e:
        click.echo("screener: terminated", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_INPUT)
    except OSError as e:
        click.echo(f"screener: error: {e.filename or ''}: {e.strerror or e}", err=True)
        sys.exit(EXIT_INPUT)
    except sqlite3.Error as e:  # the store went away or is locked mid-run
        click.echo(f"screener: error: the list store cannot be used: {e}", err=True)
        sys.exit(EXIT_LISTS)
    sys.exit(rv if isinstance(rv, int) else 0)
