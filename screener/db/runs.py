"""The audit record: every `check` and `batch` run, and every screening request to the
HTTP API (recorded a few at a time once answered: :func:`record_finished`), what it
screened, against what.

A run row holds: id, start and finish time, tool version, command and options,
input file name and sha256, row count, threshold, the version (sha256) of every
list used, the hit counts, status (running / done / failed / interrupted /
abandoned) and exit code. ``run_hits`` holds each hit (row, query, entity,
source, version, score, citation, status and the id of the decision applied to it)
of a run that finished: the hits of a failed, interrupted or abandoned run are removed
in the transaction that marks it, so a stopped run leaves no partial hits.
Runs are written in their own transactions, apart from list imports.

Runs killed without notice (SIGKILL, a power cut) cannot mark themselves, so a
run also records the process running it: pid, host name, the kernel's boot id
and the process's start time (the last two on Linux). While it runs it records
each temporary file or folder it creates (:func:`add_temp_path`, or
:func:`make_temp_dir`). :func:`reap_abandoned`, called when a service starts,
marks a "running" run whose process is gone as "abandoned" and removes its
temporary paths:

* a run of another host is left alone (its process cannot be seen from here);
* a run of an earlier boot of this host is gone;
* otherwise the pid must be alive, not a zombie, and (on Linux) started at the
  recorded time; a pid reused by another process does not keep a run alive.

Only paths whose name looks temporary are ever removed: ``.NAME.tmp`` files (as the
writers and `lists export` make them) and ``screener-*`` / ``.screener-*`` folders.
A path recorded in the store that looks like anything else is left on disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener import __version__
from screener.db.store import Store, now_iso
from screener.errors import InputError
from screener.shapes import HitDict, ListVersion


def start_run(
    store: Store,
    command: str,
    options: dict[str, Any],
    lists: Sequence[ListVersion],
    threshold: float,
    input_path: str | None = None,
    input_sha256: str | None = None,
) -> str:
    """Record a new run as running; return its id."""
    run_id = new_run_id()
    me = this_process()
    with store.conn:
        store.conn.execute(
            """insert into runs (id, started_at, tool_version, command, options, input_path,
               input_sha256, threshold, lists, status, pid, host, boot_id, process_started)
               values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            [
                run_id,
                now_iso(),
                __version__,
                command,
                json.dumps(options, default=str),
                input_path,
                input_sha256,
                threshold,
                json.dumps(lists, default=str),
                "running",
                me["pid"],
                me["host"],
                me["boot_id"],
                me["process_started"],
            ],
        )
    return run_id


def new_run_id() -> str:
    """A run id: the UTC start time to the second, and 8 random hex digits."""
    return now_iso().replace("-", "").replace(":", "")[:15] + "-" + uuid.uuid4().hex[:8]


@dataclass
class FinishedRun:
    """A run that is already over when it is recorded (an HTTP API request): its id
    was given to the caller with the answer."""

    id: str
    command: str
    options: dict[str, Any]
    lists: Sequence[ListVersion]
    threshold: float
    started_at: str
    rows: Sequence[Recorded]  # (row, query, hit dicts)
    exit_code: int
    finished_at: str = field(default_factory=now_iso)
    status: str = "done"


Recorded = tuple[int, str, list[HitDict]]  # what the audit keeps of a row: row, query, hits

RUN_COLUMNS = (
    "id",
    "started_at",
    "finished_at",
    "tool_version",
    "command",
    "options",
    "threshold",
    "lists",
    "status",
    "exit_code",
    "rows",
    "hits",
    "hit_rows",
    "pid",
    "host",
    "boot_id",
    "process_started",
)
HIT_COLUMNS = (
    "run_id",
    "row",
    "query",
    "entity_id",
    "source_id",
    "version_id",
    "name",
    "matched_name",
    "score",
    "citation",
    "status",
    "decision_id",
)


def record_finished(store: Store, done: Iterable[FinishedRun]) -> int:
    """Record finished runs with their hits in one transaction (one disk sync for many
    API requests); return how many.

    The rows go to SQLite as one JSON array per table, inserted by one statement
    (``json_each``): a row at a time would hand the interpreter's lock back and forth
    with the threads answering requests at every row."""
    me = this_process()
    run_rows: list[list[Any]] = []
    hit_rows: list[tuple[Any, ...]] = []
    lists_json: dict[int, str] = {}  # the requests of a batch share their lists
    for r in done:
        hits = [h for _, _, hs in r.rows for h in hs]
        lists = lists_json.get(id(r.lists))
        if lists is None:
            lists = lists_json[id(r.lists)] = json.dumps(r.lists, default=str)
        run_rows.append(
            [
                r.id,
                r.started_at,
                r.finished_at,
                __version__,
                r.command,
                json.dumps(r.options, default=str),
                r.threshold,
                lists,
                r.status,
                r.exit_code,
                len(r.rows),
                len(hits),
                sum(1 for *_, hs in r.rows if hs),
                me["pid"],
                me["host"],
                me["boot_id"],
                me["process_started"],
            ]
        )
        hit_rows.extend(_hit_row(r.id, row, query, h) for row, query, hs in r.rows for h in hs)
    if run_rows:
        with store.conn:
            _insert_json(store, "runs", RUN_COLUMNS, run_rows)
            if hit_rows:
                _insert_json(store, "run_hits", HIT_COLUMNS, hit_rows)
    return len(run_rows)


def _insert_json(store: Store, table: str, columns: Sequence[str], rows: list[Any]) -> None:
    picks = ", ".join(f"json_extract(j.value, '$[{i}]')" for i in range(len(columns)))
    store.conn.execute(
        f"insert into {table} ({', '.join(columns)}) select {picks} from json_each(?) j",
        [json.dumps(rows, default=str)],
    )


def _hit_row(run_id: str, row: int, query: str, h: HitDict) -> tuple[Any, ...]:
    return (
        run_id,
        row,
        query[:1000],
        h["entity_id"],
        h["source_id"],
        h.get("version_id"),
        h["name"],
        h["matched_name"],
        h["score"],
        h.get("citation"),
        h.get("status") or "hit",
        (h.get("decision") or {}).get("id"),
    )


def _insert_hits(store: Store, data: list[tuple[Any, ...]]) -> None:
    store.conn.executemany(
        """insert into run_hits (run_id, row, query, entity_id, source_id, version_id,
           name, matched_name, score, citation, status, decision_id)
           values (?,?,?,?,?,?,?,?,?,?,?,?)""",
        data,
    )


def record_hits(store: Store, run_id: str, rows: Iterable[Recorded]) -> None:
    """Store the hits of (row, query, hit dicts) triples."""
    data = [_hit_row(run_id, row, query, h) for row, query, hits in rows for h in hits]
    if data:
        with store.conn:
            _insert_hits(store, data)


def finish_run(
    store: Store,
    run_id: str,
    *,
    status: str,
    exit_code: int,
    rows: int = 0,
    hits: int = 0,
    hit_rows: int = 0,
    output_path: str | None = None,
) -> None:
    """Record how the run ended, and remove the temporary paths still recorded for it.

    Call it after the output is in place: a temporary file still on disk then is
    one the run forgot, and goes. A run that did not finish (failed, interrupted)
    keeps no partial hits: they are removed in the transaction that marks it (and its
    hit counts are 0; ``rows`` says how far it got).
    """
    if status != "done":
        hits = hit_rows = 0
    with store.conn:
        store.conn.execute(
            """update runs set finished_at = ?, status = ?, exit_code = ?, rows = ?, hits = ?,
               hit_rows = ?, output_path = ? where id = ?""",
            [now_iso(), status, exit_code, rows, hits, hit_rows, output_path, run_id],
        )
        if status != "done":
            store.conn.execute("delete from run_hits where run_id = ?", [run_id])
    _remove_temp_paths(store, run_id)


def runs(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    out = []
    for r in store.query("select * from runs order by rowid desc limit ?", [limit]):
        out.append(_decode(r))
    return out


def run(store: Store, run_id: str) -> dict[str, Any]:
    """One run with its hits; ``run_id`` may be a unique prefix."""
    found = list(
        store.query(
            "select * from runs where id like ? order by id", [run_id.replace("%", "") + "%"]
        )
    )
    if not found:
        raise InputError(f"no run with id {run_id}")
    if len(found) > 1:
        raise InputError(f"run id {run_id} is ambiguous ({len(found)} runs); give more of it")
    r = _decode(found[0])
    r["hit_list"] = list(
        store.query(
            "select row, query, entity_id, source_id, version_id, name, matched_name, score, citation, "
            "status, decision_id from run_hits where run_id = ? order by row, score desc",
            [r["id"]],
        )
    )
    return r


def _decode(r: dict[str, Any]) -> dict[str, Any]:
    r = dict(r)
    for k in ("options", "lists"):
        r[k] = json.loads(r[k]) if r.get(k) else None
    return r


# -- temporary paths ---------------------------------------------------------------
_TEMP_FILE = re.compile(r"^\..+\.tmp$")  # .OUTPUT.csv.k3j2x9.tmp
_TEMP_DIR = re.compile(r"^\.?screener-.+")  # screener-ab12cd, .screener-<run>-x1y2


def looks_temporary(path: Path | str) -> bool:
    """True for the names screener gives temporary paths (see the module docstring)."""
    name = Path(path).name
    return bool(_TEMP_FILE.match(name) or _TEMP_DIR.match(name))


def add_temp_path(store: Store, run_id: str, path: Path | str) -> Path:
    """Record a temporary file or folder of ``run_id``, to be removed if the run is killed.

    Record it as soon as it exists (the writers' :attr:`temp_path`). Raises
    ValueError for a name that does not look temporary: such a path would never
    be removed, so recording it is a mistake in the caller.
    """
    absolute = Path(os.path.abspath(path))
    if not looks_temporary(absolute):
        raise ValueError(f"{path}: not a temporary name (.NAME.tmp or screener-*); not recorded")
    with store.conn:
        store.conn.execute(
            "insert or ignore into run_temp_paths (run_id, path, added_at) values (?,?,?)",
            [run_id, str(absolute), now_iso()],
        )
    return absolute


def forget_temp_path(store: Store, run_id: str, path: Path | str) -> None:
    """Stop tracking a temporary path the run has moved into place or removed itself."""
    with store.conn:
        store.conn.execute(
            "delete from run_temp_paths where run_id = ? and path = ?",
            [run_id, str(Path(os.path.abspath(path)))],
        )


def make_temp_dir(store: Store, run_id: str, near: Path | str | None = None) -> Path:
    """Create and record a temporary folder for ``run_id`` (in ``near``, else the system's)."""
    folder = Path(tempfile.mkdtemp(prefix=".screener-run-", dir=near))
    try:
        return add_temp_path(store, run_id, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def temp_paths(store: Store, run_id: str) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute(
            "select path from run_temp_paths where run_id = ? order by rowid", [run_id]
        )
    ]


def _remove_temp_paths(store: Store, run_id: str) -> list[str]:
    """Remove what is still on disk of the run's recorded paths; drop their records.

    A path that cannot be removed (permission denied) keeps its record, so a later
    call tries again. Returns the paths removed.
    """
    removed = []
    for path in temp_paths(store, run_id):
        p = Path(path)
        try:
            if not (p.is_absolute() and looks_temporary(p)):
                pass  # not one screener made: leave it on disk
            elif p.is_symlink() or p.is_file():
                p.unlink()
                removed.append(path)
            elif p.is_dir():
                shutil.rmtree(p)  # removes links inside, never what they point to
                removed.append(path)
        except FileNotFoundError:
            pass
        except OSError:
            continue
        forget_temp_path(store, run_id, p)
    return removed


# -- runs whose process is gone ----------------------------------------------------
def reap_abandoned(store: Store) -> list[dict[str, Any]]:
    """Mark "running" runs whose process is gone as "abandoned"; remove their temp paths.

    Also finishes the clean-up of runs that ended (abandoned or not) with temporary
    paths still recorded. Returns one dict per run marked or cleaned: ``id``,
    ``command``, ``started_at``, ``pid``, ``status`` and ``removed`` (paths).
    Safe to call from several processes at once: each run is claimed by one.
    """
    me = this_process()
    out: dict[str, dict[str, Any]] = {}
    running = store.query(
        "select id, command, started_at, pid, host, boot_id, process_started "
        "from runs where status = 'running' and pid is not null"
    )
    for r in list(running):
        if not _process_gone(r, me):
            continue
        with store.conn:  # its partial hits go in the transaction that marks it
            claimed = store.conn.execute(
                "update runs set status = 'abandoned', finished_at = ? "
                "where id = ? and status = 'running'",
                [now_iso(), r["id"]],
            ).rowcount
            if claimed:
                store.conn.execute("delete from run_hits where run_id = ?", [r["id"]])
        if claimed:
            out[r["id"]] = {
                "id": r["id"],
                "command": r["command"],
                "started_at": r["started_at"],
                "pid": r["pid"],
                "status": "abandoned",
                "removed": [],
            }
    leftovers = store.query(
        "select distinct r.id, r.command, r.started_at, r.pid, r.status from run_temp_paths t "
        "join runs r on r.id = t.run_id where r.status != 'running'"
    )
    for r in list(leftovers):
        entry = out.setdefault(r["id"], {**r, "removed": []})
        entry["removed"] = _remove_temp_paths(store, r["id"])
    return list(out.values())


def this_process() -> dict[str, Any]:
    """What identifies the current process across time: pid, host, boot id, start time.

    Read once per process (a forked child has a pid of its own, so it reads its own): a
    server's audit writer asks at every flush, and none of it changes while it runs."""
    pid = os.getpid()
    me = _ME.get(pid)
    if me is None:
        me = _ME[pid] = {
            "pid": pid,
            "host": socket.gethostname(),
            "boot_id": _boot_id(),
            "process_started": _process_started(pid),
        }
    return dict(me)


_ME: dict[int, dict[str, Any]] = {}  # pid -> this_process()


def _process_gone(run: dict[str, Any], me: dict[str, Any]) -> bool:
    if run["host"] != me["host"]:
        return False  # cannot be seen from here
    if run["boot_id"] and me["boot_id"] and run["boot_id"] != me["boot_id"]:
        return True  # the machine restarted since
    return not _process_alive(int(run["pid"]), run["process_started"])


def _process_alive(pid: int, started: str | None) -> bool:
    if os.name == "nt":  # os.kill would end the process there; keep the run
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, start = stat
    if state in ("Z", "X"):
        return False  # dead, waiting for its parent to collect it
    return started is None or start == started


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks after boot) from Linux's /proc; None elsewhere."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (command) "
    return fields[0], fields[19]


def _process_started(pid: int) -> str | None:
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None
