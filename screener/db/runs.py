"""The audit record: every `check` and `batch` run, what it screened, against what.

A run row holds: id, start and finish time, tool version, command and options,
input file name and sha256, row count, threshold, the version (sha256) of every
list used, the hit counts, status (running / done / failed / interrupted /
abandoned) and exit code. ``run_hits`` holds each hit (row, query, entity,
source, version, score, citation, status and the id of the decision applied to it).
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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from screener import __version__
from screener.db.store import Store, now_iso
from screener.errors import InputError


def start_run(store: Store, command: str, options: dict[str, Any], lists: list[dict[str, Any]],
              threshold: float, input_path: str | None = None,
              input_sha256: str | None = None) -> str:  # fmt: skip
    """Record a new run as running; return its id."""
    run_id = now_iso().replace("-", "").replace(":", "")[:15] + "-" + uuid.uuid4().hex[:8]
    me = this_process()
    with store.conn:
        store.conn.execute(
            """insert into runs (id, started_at, tool_version, command, options, input_path,
               input_sha256, threshold, lists, status, pid, host, boot_id, process_started)
               values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            [run_id, now_iso(), __version__, command, json.dumps(options, default=str),
             input_path, input_sha256, threshold, json.dumps(lists, default=str), "running",
             me["pid"], me["host"], me["boot_id"], me["process_started"]],
        )  # fmt: skip
    return run_id


def record_hits(store: Store, run_id: str, rows: Iterable[tuple[int, str, list[dict[str, Any]]]]) -> None:
    """Store the hits of (row, query, hit dicts) triples."""
    data = [
        (run_id, row, query[:1000], h["entity_id"], h["source_id"], h.get("version_id"),
         h["name"], h["matched_name"], h["score"], h.get("citation"), h.get("status") or "hit",
         (h.get("decision") or {}).get("id"))
        for row, query, hits in rows for h in hits
    ]  # fmt: skip
    if data:
        with store.conn:
            store.conn.executemany(
                """insert into run_hits (run_id, row, query, entity_id, source_id, version_id,
                   name, matched_name, score, citation, status, decision_id)
                   values (?,?,?,?,?,?,?,?,?,?,?,?)""",
                data,
            )


def finish_run(store: Store, run_id: str, *, status: str, exit_code: int, rows: int = 0,
               hits: int = 0, hit_rows: int = 0, output_path: str | None = None) -> None:  # fmt: skip
    """Record how the run ended, and remove the temporary paths still recorded for it.

    Call it after the output is in place: a temporary file still on disk then is
    one the run forgot, and goes.
    """
    with store.conn:
        store.conn.execute(
            """update runs set finished_at = ?, status = ?, exit_code = ?, rows = ?, hits = ?,
               hit_rows = ?, output_path = ? where id = ?""",
            [now_iso(), status, exit_code, rows, hits, hit_rows, output_path, run_id],
        )
    _remove_temp_paths(store, run_id)


def runs(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    out = []
    for r in store.query("select * from runs order by rowid desc limit ?", [limit]):
        out.append(_decode(r))
    return out


def run(store: Store, run_id: str) -> dict[str, Any]:
    """One run with its hits; ``run_id`` may be a unique prefix."""
    found = list(store.query("select * from runs where id like ? order by id",
                                [run_id.replace("%", "") + "%"]))  # fmt: skip
    if not found:
        raise InputError(f"no run with id {run_id}")
    if len(found) > 1:
        raise InputError(f"run id {run_id} is ambiguous ({len(found)} runs); give more of it")
    r = _decode(found[0])
    r["hit_list"] = list(store.query(
        "select row, query, entity_id, source_id, version_id, name, matched_name, score, citation, "
        "status, decision_id from run_hits where run_id = ? order by row, score desc", [r["id"]]))  # fmt: skip
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
        store.conn.execute("delete from run_temp_paths where run_id = ? and path = ?",
                           [run_id, str(Path(os.path.abspath(path)))])  # fmt: skip


def make_temp_dir(store: Store, run_id: str, near: Path | str | None = None) -> Path:
    """Create and record a temporary folder for ``run_id`` (in ``near``, else the system's)."""
    folder = Path(tempfile.mkdtemp(prefix=".screener-run-", dir=near))
    try:
        return add_temp_path(store, run_id, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def temp_paths(store: Store, run_id: str) -> list[str]:
    return [r[0] for r in store.conn.execute(
        "select path from run_temp_paths where run_id = ? order by rowid", [run_id])]  # fmt: skip


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
    running = store.query("select id, command, started_at, pid, host, boot_id, process_started "
                          "from runs where status = 'running' and pid is not null")  # fmt: skip
    for r in list(running):
        if not _process_gone(r, me):
            continue
        with store.conn:
            claimed = store.conn.execute(
                "update runs set status = 'abandoned', finished_at = ? "
                "where id = ? and status = 'running'", [now_iso(), r["id"]],
            ).rowcount  # fmt: skip
        if claimed:
            out[r["id"]] = {"id": r["id"], "command": r["command"],
                            "started_at": r["started_at"], "pid": r["pid"],
                            "status": "abandoned", "removed": []}  # fmt: skip
    leftovers = store.query(
        "select distinct r.id, r.command, r.started_at, r.pid, r.status from run_temp_paths t "
        "join runs r on r.id = t.run_id where r.status != 'running'"
    )
    for r in list(leftovers):
        entry = out.setdefault(r["id"], {**r, "removed": []})
        entry["removed"] = _remove_temp_paths(store, r["id"])
    return list(out.values())


def this_process() -> dict[str, Any]:
    """What identifies the current process across time: pid, host, boot id, start time."""
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "boot_id": _boot_id(),
            "process_started": _process_started(pid)}  # fmt: skip


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
