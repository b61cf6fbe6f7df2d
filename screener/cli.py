"""The `screener` command line: a thin click layer over the library.

Exit codes (also in `screener --help` and the README; `screener ownership` exits 1
when the party is listed or a listed owner is involved):
  0  nothing to review: no hit at or above the threshold, or every hit suppressed by a
     reviewer's decision (and, for rescreen, nothing changed that needs review)
  1  at least one hit to review (or to review again)
  2  usage or input error
  3  lists missing, stale or unreadable (fail closed)
  4  a list update failed (the previous version stays active)
  130 interrupted by Ctrl-C, 143 by SIGTERM (no partial output is left)
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import functools
import json
import os
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from screener import __version__, heap, render
from screener.db.store import Store
from screener.errors import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_LISTS, ScreenerError, Terminated
from screener.lists import catalog
from screener.lists.bundled import open_store
from screener.lists.registry import FORMATS, LINK_FORMATS

if TYPE_CHECKING:  # imported when a command screens: a cold start stays light
    from screener.screening.service import Screener

EXIT_CODES_HELP = """\b
Exit codes:
  0  nothing to review (no hit, or every hit suppressed by a decision)
  1  at least one hit to review (or to review again)
  2  usage or input error
  3  lists missing, stale or unreadable (fail closed)
  4  a list update failed (previous version kept)
  130 interrupted by Ctrl-C, 143 by SIGTERM (no partial output is left)"""


class Threshold(click.ParamType[float]):
    """A finite number in [0, 1] (a NaN threshold would clear every name)."""

    name = "threshold"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        from screener.matching.rules import valid_threshold

        try:
            return valid_threshold(value)
        except ScreenerError as e:
            self.fail(str(e), param, ctx)


class Text(click.ParamType[str]):
    """Text from the command line, such as a name. A terminal in a legacy encoding sends
    bytes that are not UTF-8 (``Hik\\xffvision``, ``M\\xfcller``), which Python keeps as
    surrogate escapes; they are decoded as the reader decodes a file's cells
    (:func:`screener.files.encodings.decode_cell`), with a warning, or refused with the
    bytes shown as ``\\x`` escapes when no encoding reads them as text."""

    name = "text"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        if not isinstance(value, str) or not _SURROGATES.search(value):
            return value  # type: ignore[no-any-return]
        from screener.files.encodings import decode_cell

        raw = value.encode("utf-8", "surrogateescape")
        shown = escaped(value)
        try:
            text, how = decode_cell(raw, "utf-8")
        except UnicodeError:
            how = "unreadable"
        if how == "unreadable":
            self.fail(f"'{shown}' holds bytes that are not text in any encoding screener reads")
        click.echo(f"screener: warning: '{shown}' is not UTF-8; read as {how}: '{text}'", err=True)
        return text


_SURROGATES = re.compile("[\udc80-\udcff]")


def escaped(text: str) -> str:
    """``text`` with the bytes a surrogate escape stands for as ``\\xNN``."""
    return _SURROGATES.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def _escape_surrogates(e: UnicodeError) -> tuple[str, int]:
    """An error handler for printing: a lone surrogate as ``\\xNN`` (or ``\\uNNNN``)."""
    if not isinstance(e, UnicodeEncodeError):
        raise e
    bad = e.object[e.start : e.end]
    return escaped(bad).encode("ascii", "backslashreplace").decode("ascii"), e.end


codecs.register_error("screener-escape", _escape_surrogates)


class Ctx:
    def __init__(self, db: str | None):
        self.db_path = db
        self._store: Store | None = None
        self._screener: Screener | None = None

    @property
    def store(self) -> Store:
        """The store with the bundled lists loaded; runs killed earlier are marked
        abandoned and their temporary files removed."""
        if self._store is None:
            from screener.db.runs import reap_abandoned

            self._store = open_store(self.db_path)
            reap_abandoned(self._store)
        return self._store

    @property
    def screener(self) -> Screener:
        """The screening service over the store."""
        if self._screener is None:
            from screener.screening.service import Screener

            self._screener = Screener(self.store)
        return self._screener

    def close(self) -> None:
        """Close the store, if the command opened it."""
        if self._store is not None:
            self._store.close()


@click.group(
    help=f"Screen names against restricted surveillance-technology lists.\n\n{EXIT_CODES_HELP}"
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="SCREENER_DB",
    help="Database file (default: $SCREENER_DB or a per-user data directory).",
)
@click.version_option(__version__, prog_name="screener")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    ctx.obj = Ctx(db)
    if _PROGRAM:
        _HELD.append(ctx.obj)  # freed by the process's exit (see program)


@cli.group("lists", help="Show, import and export the lists screened against.")
def lists_group() -> None:
    pass


@lists_group.command(
    "show",
    help="Each source with its active version and entry count, the date of its data "
    "(and what that date rests on) beside the date it was loaded, and the copy it was "
    "read from where the authority publishes no data file.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def lists_show(obj: Ctx, fmt: str) -> None:
    from screener.screening.party_views import summary as party_summary

    rows = catalog.show(obj.store)
    if fmt == "json":
        in_parties = party_summary(obj.store)["by_source"]
        for r in rows:  # records of each source in parties of several lists
            r["records_in_parties"] = in_parties.get(r["id"], 0)
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    render.table(
        rows,
        [
            ("id", "source"),
            ("kind", "kind"),
            ("entities", "entities"),
            ("data_date", "data of"),
            ("data_date_basis", "dated by"),
            ("loaded_at", "loaded"),
            ("sha256", "version"),
            ("licence", "licence"),
        ],
    )
    for r in rows:
        if r.get("read_from"):
            click.echo(f"{r['id']}: read from {r['read_from']}")
    p = party_summary(obj.store)
    click.echo(
        f"{p['records']:,} records in {p['parties']:,} parties: {p['merged']:,} records make "
        f"{p['several']:,} parties of several lists (`screener lists party ID` shows one)"
    )


@lists_group.command(
    "party",
    help="One party: its records on every list (SOURCE:ENTRY, list version) and why each "
    "joined it. ID is a party id (cetc, ofac:30936) or any of its records (SOURCE:ENTRY).",
)
@click.argument("party_id", metavar="ID")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def lists_party(obj: Ctx, party_id: str, fmt: str) -> None:
    from screener.screening.party_views import show

    party = show(obj.store, party_id)
    if fmt == "json":
        click.echo(json.dumps(party, indent=2, ensure_ascii=False))
        return
    click.echo(f"party {party['id']}: {party['name']} ({len(party['records'])} records)")
    for r in party["records"]:
        lists = ", ".join(r["lists"]) or "no listing"
        click.echo(
            f"  {r['source_id']}:{r['entity_id']} v{r['version_id']}  {r['name']}  [{lists}]"
        )
        click.echo(f"    why: {r['why']}")


@lists_group.command(
    "judgements",
    help="Every judgement reviewers recorded on parties (lists same / different), oldest "
    "first; --import reads those of a decisions export into this store.",
)
@click.option(
    "--import",
    "source",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A decisions export (.csv or .jsonl) whose judgements to record here.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def lists_judgements(obj: Ctx, source: Path | None, fmt: str) -> None:
    from screener.db.parties import judgements
    from screener.screening.review import import_judgements

    if source is not None:
        done = import_judgements(obj.store, source)
        click.echo(
            f"{source}: {done['read']} judgements read, {done['recorded']} recorded, "
            f"{done['unchanged']} already here",
            err=True,
        )
    rows = judgements(obj.store)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for j in rows:
        click.echo(
            f"#{j['id']} {j['kind']}: {j['a_source']}:{j['a_entity']} and "
            f"{j['b_source']}:{j['b_entity']}, by {j['reviewer']} on "
            f"{str(j['decided_at'])[:10]}: {j['reason']}"
        )


def _judgement_command(kind: str, text: str) -> None:
    @lists_group.command(kind, help=text)
    @click.argument("a", metavar="SOURCE:ENTRY")
    @click.argument("b", metavar="SOURCE:ENTRY")
    @click.option("--reason", type=Text(), required=True, help="Why (kept with the judgement).")
    @click.option("--by", "reviewer", type=Text(), required=True, help="The reviewer's name.")
    @click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
    )
    @click.pass_obj
    def command(obj: Ctx, a: str, b: str, reason: str, reviewer: str, fmt: str) -> None:
        from screener.screening.party_views import judge

        out = judge(obj.store, kind, a, b, reason, reviewer)
        if fmt == "json":
            click.echo(json.dumps(out, indent=2, ensure_ascii=False))
            return
        j = out["judgement"]
        click.echo(
            f"recorded judgement #{j['id']} ({kind}) by {j['reviewer']}: {j['reason']}; "
            + "; ".join(
                f"{x['id']}: {len(x['records'])} record(s)"
                for x in {p["id"]: p for p in out["parties"]}.values()
            )
        )


_judgement_command(
    "same",
    "Record that two records are one party (a reviewer's judgement, with reason and "
    "reviewer; append-only, kept through list updates, exported with the decisions). "
    "The parties are built again at once.",
)
_judgement_command(
    "different",
    "Record that two records are NOT one party: they are never joined again, whatever "
    "identifier or name they share (append-only; the latest judgement on a pair holds).",
)


@lists_group.command("import", help="Load a list file (or folder) as a new version of a source.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS + LINK_FORMATS),
    required=True,
    help="Importer: csl, ofac (file or folder), simple (targets.simple.csv), curated, "
    "section-1286 (DoD Section 1286 CSV), un-sc, ofsi, eu-fsf, dfat, ca-sema, "
    "bis-dpl, fr-rule, dod-1260h (DoD 1260H editions, OpenSanctions CSV), fcc-covered "
    "(FCC Covered List page or CSV), meti-eul (METI End User List JSON), aspi-unitracker "
    "(ASPI tracker, MISP JSON); ownership links: gleif-rr (GLEIF Level 2 relationship "
    "XML), ownership-csv (child, parent, share, source).",
)
@click.option("--source", "source_id", required=True, help="Source id, e.g. csl or my-denylist.")
@click.option("--name", help="Display name of the source.")
@click.option(
    "--names",
    "names_file",
    type=click.Path(path_type=Path),
    help="gleif-rr: the GLEIF LEI records (default: lei-data.xml beside PATH).",
)
@click.option(
    "--data-date",
    metavar="YYYY-MM-DD",
    help="The date of the file's data, when the file states none (an OFAC CSV set): "
    "staleness is judged by it. Without it such a file is dated by the newest date in "
    "its entries.",
)
@click.pass_obj
def lists_import(
    obj: Ctx,
    path: Path,
    fmt: str,
    source_id: str,
    name: str | None,
    names_file: Path | None,
    data_date: str | None,
) -> None:
    from screener.lists.links import LinksResult

    r = catalog.import_file(
        obj.store,
        path,
        fmt,
        source_id,
        name=name,
        names=names_file,
        data_date=data_date,
        match=obj.screener.entity_named if fmt == "ownership-csv" else None,
    )
    if isinstance(r, LinksResult):
        what = "unchanged" if r.status == "unchanged" else "loaded"
        click.echo(
            f"{source_id}: {what} ownership links version {r.version_id}: {r.links} "
            f"links; the graph has {r.nodes} unlisted parties (sha256 {r.sha256[:12]})"
        )
        return
    if r.status == "unchanged":
        click.echo(f"{source_id}: unchanged (version {r.version_id}, sha256 {r.sha256[:12]})")
    else:
        click.echo(
            f"{source_id}: loaded version {r.version_id} with {r.entities} entities and "
            f"{r.names} names (sha256 {r.sha256[:12]})"
        )


@lists_group.command(
    "export",
    help="Write the active records with all provenance: simple (CSV), jsonl, or sqlite "
    "(a database of its own, with names, listings and full-text search, for Datasette).",
)
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--format", "fmt", type=click.Choice(list(catalog.EXPORT_FORMATS)), required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.pass_obj
def lists_export(obj: Ctx, source_ids: tuple[str, ...], fmt: str, output: Path) -> None:
    n = catalog.export(obj.store, output, fmt, list(source_ids) or None)
    click.echo(f"wrote {n} entities to {output}", err=True)


@lists_group.command(
    "update",
    help="Download the official lists; keep the old version if a "
    "download or its checks fail (exit 4).",
)
@click.argument("source_ids", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--url",
    "url_opts",
    multiple=True,
    metavar="SOURCE=URL",
    help="Download SOURCE from URL instead (repeatable; a mirror or a local copy).",
)
@click.option(
    "--from-file",
    type=click.Path(path_type=Path),
    help="Load this downloaded file (or folder) through the same checks.",
)
@click.option("--force", is_flag=True, help="Accept a copy that drops many entries.")
@click.option(
    "--rescreen",
    "then_rescreen",
    is_flag=True,
    help="Then re-screen every portfolio and report what changed (exit 1 when "
    "anything needs review, unless an update failed: exit 4).",
)
@click.pass_obj
def lists_update(
    obj: Ctx,
    source_ids: tuple[str, ...],
    url_opts: tuple[str, ...],
    from_file: Path | None,
    force: bool,
    then_rescreen: bool,
) -> None:
    from screener.errors import EXIT_UPDATE
    from screener.lists import update as refresh

    urls: dict[str, list[str]] = {}
    for opt in url_opts:
        sid, sep, url = opt.partition("=")
        if not sep or not sid or not url:
            raise click.BadParameter(f"'{opt}' is not SOURCE=URL", param_hint="--url")
        urls.setdefault(sid.strip(), []).append(url.strip())
    outcomes = refresh.update(
        obj.store, list(source_ids) or None, urls=urls, from_file=from_file, force=force
    )
    for o in outcomes:
        if o.status == "loaded":
            was = f", was version {o.previous_version}" if o.previous_version else ""
            click.echo(
                f"{o.source_id}: loaded version {o.version_id} with {o.entities} entities{was}"
            )
        elif o.status == "unchanged":
            click.echo(f"{o.source_id}: unchanged (version {o.version_id})")
        else:
            kept = f"; version {o.version_id} stays active" if o.version_id else ""
            click.echo(f"{o.source_id}: FAILED: {o.message}{kept}", err=True)
        if o.notice and o.ok:
            click.echo(f"{o.source_id}: note: {o.notice}", err=True)
    code = 0
    if then_rescreen:
        from screener.screening.rescreen import rescreen_all

        results = rescreen_all(obj.screener)
        if not results:
            click.echo(
                "no portfolio to re-screen (add one with `screener portfolio add`)", err=True
            )
        for result in results:
            render.print_rescreen(result.to_dict())
            code = max(code, result.exit_code)
    if not all(o.ok for o in outcomes):
        click.get_current_context().exit(EXIT_UPDATE)
    if code:
        click.get_current_context().exit(code)


@lists_group.command(
    "diff",
    help="Entries added, removed and changed between two versions "
    "(default: the previous and the active one).",
)
@click.argument("source_id", metavar="SOURCE")
@click.option("--from", "from_version", type=int, help="Older version id.")
@click.option("--to", "to_version", type=int, help="Newer version id (default: active).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def lists_diff(
    obj: Ctx, source_id: str, from_version: int | None, to_version: int | None, fmt: str
) -> None:

    from screener.lists.diff import diff as diff_versions

    d = diff_versions(obj.store, source_id, from_version, to_version)
    if fmt == "json":
        click.echo(json.dumps(d.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{source_id}: version {d.from_version or '(none)'} -> {d.to_version}: "
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed"
    )
    rows = (
        [{**e, "change": "added"} for e in d.added]
        + [{**e, "change": "removed"} for e in d.removed]
        + [{**e, "change": "changed", "fields": ", ".join(e["fields"])} for e in d.changed]
    )
    if rows:
        render.table(
            rows,
            [
                ("change", "change"),
                ("id", "id"),
                ("name", "name"),
                ("list", "list"),
                ("fields", "changed fields"),
            ],
        )


# -- screening ---------------------------------------------------------------------------

THRESHOLD_HELP = "Report hits scoring at least this (0-1; default 0.80)."
HEADER_ROW_HELP = (
    "Row of column names in a CSV or XLSX input, as the spreadsheet numbers it "
    "(default: the first of its first 20 rows that looks like one, with a warning when "
    "rows above it are passed over as a title)."
)
RELATED_HELP = (
    "Also report companies listed parties own under 50%, or in a share not "
    "published (a red flag, not a hit by default)."
)
STALE_HELP = "Exit 3 instead of screening when a list is older than its max age."


@cli.command(
    "check", help=f"Screen one name and show every hit with its provenance.\n\n{EXIT_CODES_HELP}"
)
@click.argument("name", type=Text())
@click.option(
    "--country",
    type=Text(),
    help="Country of the party (secondary evidence): an ISO code (CN, "
    "CHN) or an English name; Hong Kong and Macau count as China.",
)
@click.option("--threshold", type=Threshold(), help=THRESHOLD_HELP)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--fail-stale", is_flag=True, default=None, help=STALE_HELP)
@click.option("--related", is_flag=True, help=RELATED_HELP)
@click.option(
    "--dob",
    help="Date of birth of a person (YYYY, YYYY-MM or YYYY-MM-DD): "
    "secondary evidence; a date alone never clears a name.",
)
@click.pass_obj
def check_cmd(
    obj: Ctx,
    name: str,
    country: str | None,
    threshold: float | None,
    fmt: str,
    fail_stale: bool | None,
    related: bool,
    dob: str | None,
) -> int:
    result = obj.screener.check(
        name, country=country, threshold=threshold, fail_stale=fail_stale, related=related, dob=dob
    )
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        render.print_check(result.to_dict())
    render.warn(result.warnings)
    return int(result.exit_code)


@cli.command(
    "batch",
    help=f"Screen every row of a CSV, XLSX, JSON Lines or Parquet file.\n\n"
    f"OUTPUT's extension picks the format: .csv, .jsonl, .xlsx, .parquet, "
    f".html or .pdf (the committee report; see `screener report`). "
    f"The output appears only when the run succeeds; CSV, JSONL, XLSX and "
    f"Parquet get a sidecar OUTPUT.meta.json with the run id and list "
    f"versions. --engine dask screens on a Dask cluster: a local one, or "
    f"the one at --scheduler ADDRESS.\n\n"
    f"{EXIT_CODES_HELP}",
)
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (.csv, .jsonl, .xlsx, .parquet, .html or .pdf).",
)
@click.option("--column", help="Column holding the names (default: an obvious one).")
@click.option(
    "--country-column",
    help="Column holding each party's country: ISO codes or "
    "English names (default: 'country'); a value naming no country is warned about.",
)
@click.option("--sheet", help="Worksheet of an .xlsx input (default: the first).")
@click.option("--header-row", type=click.IntRange(1), help=HEADER_ROW_HELP)
@click.option("--threshold", type=Threshold(), help=THRESHOLD_HELP)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes (default: all cores); with --engine dask, local Dask workers.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where to screen: this machine's cores, or Dask workers.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler to use with --engine dask (e.g. tcp://scheduler:8786; "
    "default: start a local cluster).",
)
@click.option("--fail-stale", is_flag=True, default=None, help=STALE_HELP)
@click.option("--related", is_flag=True, help=RELATED_HELP)
@click.option(
    "--dob-column",
    help="Column holding people's dates of birth (YYYY, YYYY-MM or "
    "YYYY-MM-DD): secondary evidence, as --dob of check.",
)
@click.pass_obj
def batch_cmd(
    obj: Ctx,
    input_path: Path,
    output: Path,
    column: str | None,
    country_column: str | None,
    sheet: str | None,
    header_row: int | None,
    threshold: float | None,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    fail_stale: bool | None,
    related: bool,
    dob_column: str | None,
) -> int:
    # the program ends with the run: no collector pass walks its index again
    with heap.kept_frozen() if _MAIN else contextlib.nullcontext():
        s = obj.screener.batch(
            input_path,
            output,
            column=column,
            country_column=country_column,
            sheet=sheet,
            header_row=header_row,
            threshold=threshold,
            workers=workers,
            progress=True,
            fail_stale=fail_stale,
            related=related,
            dob_column=dob_column,
            engine=engine,
            scheduler=scheduler,
        )
    decided = (
        f" ({s.suppressed} all suppressed, {s.review_again} to review again)"
        if s.suppressed or s.review_again
        else ""
    )
    click.echo(
        f"screened {s.rows} rows ({s.unique_names} unique names): {s.hit_rows} with hits"
        f"{decided}, {s.clear} clear, {s.skipped} skipped"
        f"{f', {s.unreadable} UNREADABLE (to review)' if s.unreadable else ''}; wrote {s.output} "
        f"(run {s.run_id})",
        err=True,
    )
    render.warn(s.warnings)
    return s.exit_code


@cli.command(
    "ownership",
    help="Explain who owns the party NAME names, up to the listed "
    "owners (shares, kinds, sources, the rule that makes it matter "
    "and its status that day), and what it owns.\n\n"
    "Exit 0 when nothing listed is involved, 1 when the party is "
    "listed or a listed owner is; 2 and 3 as for check.",
)
@click.argument("name", type=Text())
@click.option("--on", "day", help="The day to judge on (YYYY-MM-DD; default today).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def ownership_cmd(obj: Ctx, name: str, day: str | None, fmt: str) -> int:
    from screener.errors import InputError
    from screener.screening.ownership import explain
    from screener.screening.stages import found_of

    if not name.strip():
        raise InputError("the name is empty")
    s = obj.screener
    [hits] = s.screen([s.query(name)])  # as check screens it: the same relations
    doc = explain(obj.store, name, s.entities(name), found=[found_of(h) for h in hits], on=day)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        render.print_ownership(doc)
    return 1 if doc["involved"] else 0


@cli.command(
    "serve",
    help="Serve the HTTP API (yente's POST /match/{dataset}, /search, /entities, "
    "/catalog; /check, /batch, /lists; /reconcile for OpenRefine; reference at /docs) "
    "and the reviewers' pages. Writes (uploads, decisions, list updates) need the "
    "token from SCREENER_TOKEN or [serve] token in the config file; [serve] base_url "
    "names the service, [serve] cors_origins the sites whose pages may call it.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (another than loopback is warned about).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes: with more than one, the lists are loaded first, then the "
    "processes are forked to share them (one per core screens names never sent before "
    "fastest).",
)
@click.pass_obj
def serve_cmd(obj: Ctx, host: str, port: int, workers: int) -> None:
    from screener.api.serve import serve

    code = serve(obj.db_path, host, port, workers=workers)
    if code:
        raise SystemExit(code)


# -- reviewing ---------------------------------------------------------------------------

KINDS_HELP = (
    "false-positive (the party is not the listed entity), confirmed (a true match), "
    "escalated, cleared (a true match that is permitted, e.g. a licence is held), "
    "declined"
)


@cli.command(
    "decide",
    help="Record a reviewer's decision on one party and one listed entity. "
    f"KIND: {KINDS_HELP}. false-positive and cleared suppress the hit in later "
    "checks, batches and re-screenings until the entity's listing changes "
    "(then it comes back as review-again). Decisions are never changed or deleted: "
    "decide again to supersede one.",
)
@click.argument("party", metavar="PARTY_NAME", type=Text())
@click.argument("entity_id")
@click.option(
    "--as",
    "kind",
    required=True,
    metavar="KIND",
    type=click.Choice(
        ["false-positive", "confirmed", "escalated", "cleared", "declined"], case_sensitive=False
    ),
)
@click.option("--reason", type=Text(), required=True, help="Why (kept with the decision).")
@click.option("--by", "reviewer", type=Text(), required=True, help="The reviewer's name.")
@click.option(
    "--source", "source_id", help="The list source holding ENTITY_ID (needed only when several do)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def decide_cmd(
    obj: Ctx,
    party: str,
    entity_id: str,
    kind: str,
    reason: str,
    reviewer: str,
    source_id: str | None,
    fmt: str,
) -> None:
    from screener.db.decisions import summary
    from screener.screening.review import decide

    d = decide(obj.store, party, entity_id, kind, reason, reviewer, source_id)
    if fmt == "json":
        click.echo(json.dumps(d, indent=2, ensure_ascii=False))
        return
    was = f" (supersedes #{d['supersedes']})" if d.get("supersedes") else ""
    click.echo(
        f"recorded {summary(d)}{was}; party {d['party']!r}, entity "
        f"{d['source_id']}:{d['entity_id']}"
    )


@cli.group(
    "decisions",
    help="Reviewers' decisions: import them from a reviewed batch output, list them, export them.",
)
def decisions_group() -> None:
    pass


@decisions_group.command(
    "import",
    help="Record the decisions a reviewer filled into a CSV or "
    "XLSX batch output (columns decision, decision_reason, decision_by). "
    "Each applies to every hit in the row's screen_hit_ids. Checked whole "
    "first: a bad row records nothing.",
)
@click.argument("path", metavar="REVIEWED_FILE", type=click.Path(path_type=Path))
@click.option("--by", "reviewer", type=Text(), help="Reviewer for rows whose decision_by is empty.")
@click.option("--sheet", help="Worksheet of an .xlsx file (default: the first, 'results').")
@click.pass_obj
def decisions_import(obj: Ctx, path: Path, reviewer: str | None, sheet: str | None) -> None:
    from screener.screening.review import import_reviewed

    r = import_reviewed(obj.store, path, reviewer=reviewer, sheet=sheet)
    click.echo(
        f"{path}: {r.decided_rows} of {r.rows} rows have a decision: recorded "
        f"{len(r.recorded)} decisions, {r.unchanged} already in force"
    )
    for d in r.recorded:
        click.echo(f"  #{d['id']} {d['kind']}: {d['party']} / {d['source_id']}:{d['entity_id']}")


@decisions_group.command("list", help="Every decision, oldest first (superseded ones marked).")
@click.option("--party", help="Only this party (any spelling the screening treats as the same).")
@click.option("--current", is_flag=True, help="Only the decisions in force.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def decisions_list(obj: Ctx, party: str | None, current: bool, fmt: str) -> None:
    from screener.screening.decisions import all_decisions

    rows = [r for r in all_decisions(obj.store, party) if r["current"] or not current]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        r["entity"] = f"{r['source_id']}:{r['entity_id']}"
        r["state"] = "in force" if r["current"] else f"superseded by #{r['superseded_by']}"
    render.table(
        rows,
        [
            ("id", "#"),
            ("decided_at", "decided"),
            ("party", "party"),
            ("entity", "entity"),
            ("kind", "decision"),
            ("reviewer", "by"),
            ("reason", "reason"),
            ("state", "state"),
        ],
    )


@decisions_group.command(
    "export",
    help="Write every decision with the listing it was made on: .csv or .jsonl; without "
    "--party, the reviewers' judgements on parties (lists same / different) follow, with "
    "kind same or different (`screener lists judgements --import` reads them back).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option("--party", help="Only this party.")
@click.pass_obj
def decisions_export(obj: Ctx, output: Path, party: str | None) -> None:
    from screener.screening.review import export

    n = export(obj.store, output, party)
    click.echo(f"wrote {n} decisions and judgements to {output}", err=True)


@cli.group(
    "portfolio",
    help="Named sets of parties (funders-2026, customers, deal-123) to "
    "re-screen when the lists change.",
)
def portfolio_group() -> None:
    pass


@portfolio_group.command(
    "add",
    help="Keep the parties of a CSV, XLSX or JSON Lines file (with "
    "their row data) as portfolio NAME.",
)
@click.argument("name")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--column", help="Column holding the names (default: an obvious one).")
@click.option("--country-column", help="Column holding each party's country (default: 'country').")
@click.option("--sheet", help="Worksheet of an .xlsx input (default: the first).")
@click.option("--header-row", type=click.IntRange(1), help=HEADER_ROW_HELP)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the parties of an existing portfolio "
    "(its screenings are kept, so the next rescreen reports what the new file changed).",
)
@click.pass_obj
def portfolio_add(
    obj: Ctx,
    name: str,
    path: Path,
    column: str | None,
    country_column: str | None,
    sheet: str | None,
    header_row: int | None,
    replace: bool,
) -> None:
    from screener.screening.rescreen import add_portfolio

    p, notes = add_portfolio(
        obj.store,
        name,
        path,
        column=column,
        country_column=country_column,
        sheet=sheet,
        header_row=header_row,
        replace=replace,
    )
    click.echo(
        f"portfolio {p['name']!r}: {p['parties']} parties from {path} (names in "
        f"{p['name_column']!r}); screen it with `screener rescreen {p['name']}`"
    )
    render.warn(notes)


@portfolio_group.command("list", help="Every portfolio and when it was last screened.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def portfolio_list(obj: Ctx, fmt: str) -> None:
    from screener.db.portfolios import all_portfolios

    rows = all_portfolios(obj.store)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    render.table(
        rows,
        [
            ("name", "portfolio"),
            ("parties", "parties"),
            ("source_path", "from"),
            ("updated_at", "updated"),
            ("last_screened", "last screened"),
            ("last_run", "run"),
        ],
    )


@cli.command(
    "rescreen",
    help="Screen a portfolio against the active lists and report only what "
    "changed since it was last screened: new hits, hits gone, listings changed (a new "
    "list, an end date), hits to review again. Exit 1 when a change needs review.\n\n"
    f"{EXIT_CODES_HELP}",
)
@click.argument("name")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Also write the report: .json or .html."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--fail-stale", is_flag=True, default=None, help=STALE_HELP)
@click.pass_obj
def rescreen_cmd(
    obj: Ctx, name: str, output: Path | None, fmt: str, fail_stale: bool | None
) -> int:
    from screener.files.reports.rescreen import write
    from screener.screening.rescreen import rescreen

    result = rescreen(obj.screener, name, fail_stale=fail_stale)
    data = result.to_dict()
    if output is not None:
        write(output, data)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        render.print_rescreen(data)
    if output is not None:
        click.echo(f"wrote {output} (run {result.run_id})", err=True)
    render.warn(result.warnings)
    return result.exit_code


@cli.command(
    "report",
    help="The report a committee can sign: a first page summing up every party in input "
    "order (verdict, top listing, relation, decision, reviewer), then party by party the "
    "potential matches with their listings and decisions, and a coverage statement. "
    "INPUT_OR_RUN: a file of parties (screened now, as `batch` does), a batch's JSON "
    "Lines output, or the id of a batch run that wrote one (reported as screened "
    "then). OUTPUT: .html, or .pdf (printed by headless Chromium).\n\n"
    f"{EXIT_CODES_HELP}",
)
@click.argument("source", metavar="INPUT_OR_RUN")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="report.html or report.pdf",
)
@click.option(
    "--audience",
    type=click.Choice(["export", "research"]),
    default="export",
    show_default=True,
    help="Word each listing's meaning for an export-control "
    "reader or for a research office (grants, gifts, collaborations).",
)
@click.option(
    "--jurisdiction",
    type=click.Choice(["AU", "US", "UK", "EU"], case_sensitive=False),
    help="Name this jurisdiction's national frameworks in the coverage statement and the "
    "meaning of each verdict, each with its official source (AU: Foreign Arrangements "
    "Scheme, Defence Trade Controls Act, UFIT guidelines, sanctions; UK: NSI Act, export "
    "controls, OFSI; ...). Default: [report] jurisdiction in the config file, else US.",
)
@click.option("--reference", help="Deal, grant or project reference printed on the report.")
@click.option("--reviewer", help="Reviewer printed on the report.")
@click.option("--column", help="Column holding the names (default: an obvious one).")
@click.option("--country-column", help="Column holding each party's country.")
@click.option("--sheet", help="Worksheet of an .xlsx input (default: the first).")
@click.option("--header-row", type=click.IntRange(1), help=HEADER_ROW_HELP)
@click.option("--threshold", type=Threshold(), help=THRESHOLD_HELP)
@click.option("--workers", type=click.IntRange(1, 64), help="Processes (default: all cores).")
@click.option("--fail-stale", is_flag=True, default=None, help=STALE_HELP)
@click.pass_obj
def report_cmd(
    obj: Ctx,
    source: str,
    output: Path,
    audience: str,
    jurisdiction: str | None,
    reference: str | None,
    reviewer: str | None,
    column: str | None,
    country_column: str | None,
    sheet: str | None,
    header_row: int | None,
    threshold: float | None,
    workers: int | None,
    fail_stale: bool | None,
) -> int:
    from screener.screening.report import report

    given = {
        "column": column,
        "country_column": country_column,
        "sheet": sheet,
        "header_row": header_row,
        "threshold": threshold,
        "workers": workers,
        "fail_stale": fail_stale,
    }
    batch_options = {k: v for k, v in given.items() if v is not None}
    r = report(
        obj.screener,
        source,
        output,
        audience=audience,
        jurisdiction=jurisdiction,
        reference=reference,
        reviewer=reviewer,
        **batch_options,
    )
    how = "screened now" if r["screened"] else "as screened by run " + str(r["run_id"])
    click.echo(
        f"wrote {output}: {r['rows']} parties, {r['needs_review']} to review, "
        f"{r['suppressed']} all suppressed ({how})",
        err=True,
    )
    render.warn(r.get("warnings") or [])
    return int(r["exit_code"])


@cli.group("runs", invoke_without_command=True, help="The audit record: every check and batch run.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
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
        r["lists_used"] = ", ".join(
            f"{x['source_id']}@{str(x['sha256'])[:8]}" for x in r["lists"] or []
        )
    render.table(
        rows,
        [
            ("id", "run"),
            ("started_at", "started"),
            ("command", "command"),
            ("input_path", "input"),
            ("rows", "rows"),
            ("hit_rows", "rows with hits"),
            ("status", "status"),
            ("lists_used", "lists"),
        ],
    )


@runs_group.command("show", help="One run: options, input checksum, list versions, hits.")
@click.argument("run_id")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="json", show_default=True
)
@click.pass_obj
def runs_show(obj: Ctx, run_id: str, fmt: str) -> None:
    from screener.db import runs as audit

    r = audit.run(obj.store, run_id)
    if fmt == "json":
        click.echo(json.dumps(r, indent=2, ensure_ascii=False))
        return
    for k in (
        "id",
        "command",
        "started_at",
        "finished_at",
        "status",
        "exit_code",
        "tool_version",
        "input_name",
        "input_path",
        "input_sha256",
        "rows",
        "hit_rows",
        "hits",
        "threshold",
    ):
        shown = (r.get("options") or {}).get(k) if k == "input_name" else r.get(k)
        if k != "input_name" or shown:
            click.echo(f"{k:>14}: {shown}")
    for x in r["lists"] or []:
        click.echo(
            f"{'list':>14}: {x['source_id']} version {x['version_id']} "
            f"sha256 {x['sha256']} (loaded {x['loaded_at']})"
        )
    render.table(
        r["hit_list"],
        [
            ("row", "row"),
            ("query", "query"),
            ("name", "listed name"),
            ("score", "score"),
            ("source_id", "source"),
            ("citation", "citation"),
        ],
    )


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def _sigterm_restored(run: Callable[[], None]) -> Callable[[], None]:
    """``run``, then the SIGTERM handler that was there before it put back, however
    ``run`` ends: a program (or a test) that calls :func:`main` keeps its own handler."""

    @functools.wraps(run)
    def wrapper() -> None:
        previous = signal.getsignal(signal.SIGTERM)
        try:
            run()
        finally:  # None: a handler not set from Python, which cannot be put back as it was
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)

    return wrapper


_MAIN = False  # the process is the `screener` program (main()), not a test's CliRunner
_PROGRAM = False  # the process is the installed `screener` command (program())
_HELD: list[Ctx] = []  # the command's context, kept until the process exits (program)


@_sigterm_restored
def main() -> None:
    """Entry point: run the CLI, turning screener errors into one line and an exit code.

    SIGTERM stops a run as Ctrl-C does (nothing half-written is left), with exit 143.
    Text that is not valid Unicode (a file name of non-UTF-8 bytes) is printed with
    those bytes as ``\\xNN``."""
    global _MAIN
    _MAIN = True
    signal.signal(signal.SIGTERM, _terminated)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="screener-escape")
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
    except click.exceptions.NoArgsIsHelpError as e:
        e.show()  # `screener` alone: the help
        sys.exit(EXIT_INPUT)
    except click.ClickException as e:  # a usage error: one line, as every other error
        click.echo(f"screener: error: {' '.join(e.format_message().split())}", err=True)
        sys.exit(EXIT_INPUT)
    except UnicodeError as e:  # text that cannot be stored or printed as it is
        text = getattr(e, "object", None)
        what = escaped(text) if isinstance(text, str) else ""
        why = getattr(e, "reason", None) or str(e)
        click.echo(f"screener: error: '{what}' cannot be used as text: {why}", err=True)
        sys.exit(EXIT_INPUT)
    except OSError as e:
        click.echo(f"screener: error: {e.filename or ''}: {e.strerror or e}", err=True)
        sys.exit(EXIT_INPUT)
    except sqlite3.Error as e:  # the store went away or is locked mid-run
        click.echo(f"screener: error: the list store cannot be used: {e}", err=True)
        sys.exit(EXIT_LISTS)
    sys.exit(rv if isinstance(rv, int) else 0)


def program() -> None:
    """The installed `screener` command: :func:`main`, then the end of the process once
    its command has run: its stores closed, the exit handlers run (temporary files,
    worker processes), the streams flushed; then the process ends without freeing its
    objects one by one. Freeing an index's millions of objects took 0.5-0.6 CPU-s of a
    20,000-name `batch --workers 1` run (7%), after its last row was written. With
    threads still running, or under a profiler or tracer (which write what they saw as
    the interpreter exits), it exits as usual. (:func:`main` itself raises SystemExit,
    for a program that calls it.)"""
    global _PROGRAM
    _PROGRAM = True
    try:
        main()
        code: Any = 0
    except SystemExit as e:
        code = e.code
    if (
        not isinstance(code, int)
        or threading.active_count() > 1
        or sys.getprofile() is not None
        or sys.gettrace() is not None
    ):
        sys.exit(code)
    for obj in _HELD:
        obj.close()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe: nothing to flush
            stream.flush()
    os._exit(code)
