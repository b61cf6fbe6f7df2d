"""Issue 9: one screening path, and runs that end badly leave nothing behind.

- The process pool gives exactly the hits screening in this process gives, on thousands
  of names (the pool really starts).
- Ctrl-C sent to the whole process group during a real pool run ends it within 5 s with
  exit 130; SIGTERM with exit 143; neither leaves output or temporary files, and the
  run is recorded as interrupted.
- After SIGKILL, the next start marks the run abandoned and removes its temporary files.
- A file planted where the index cache lives is never executed.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from screener.db import runs
from screener.db.store import Store
from screener.errors import ListsError
from screener.files.reports import xlsx as xlsx_module
from screener.matching.matcher import Matcher
from screener.screening import executors
from screener.screening.batch import WRITER_PROCESS_ROWS
from screener.screening.executors import ForkPool, InProcess, PoolError
from screener.screening.index_cache import index_path
from screener.screening.service import Screener

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from cli_helpers import assert_one_line_error, run_main  # noqa: E402

from benchmarks.names import query_names  # noqa: E402


def test_the_pool_gives_the_hits_this_process_gives(matcher: Matcher) -> None:
    listed = [n.name for e in matcher.index.entities for n in e.all_names()]
    names = list(dict.fromkeys(query_names(6000, listed, seed=7, variant_share=0.3)))
    names += [
        "Megvii (Face++)",
        "iFLYTEK Research, iFLYTEK Co., Ltd., Hefei, China",
        "Hikvision Research Institute",
        "中电科55所",
    ]
    assert len(names) >= 5000
    floor = 0.77
    here = InProcess(matcher, floor)
    expected = here.result(here.submit(names))
    with ForkPool(matcher, floor, workers=2) as pool:
        got = pool.result(pool.submit(names))
    assert sum(1 for r in expected if r) > 500  # real hits among them
    for name, a, b in zip(names, expected, got):

        def key(ms):
            return [(ni, d.score, d.relation, d.part, d.text(), toks) for ni, d, toks in ms]

        assert key(a) == key(b), name


class _ClosedStore:
    """Finishes keys as a worker whose store went away would: the first one fails."""

    def forked(self) -> None:
        pass

    def finish(self, items: list[object]) -> list[object]:
        raise ListsError("/srv/screener.db: the store is closed")


def test_a_failing_worker_task_is_one_error_not_a_dead_pool(
    matcher: Matcher, capfd: pytest.CaptureFixture[str]
) -> None:
    """A task that raises in a worker comes back as the pool's error, said once, with no
    traceback from the worker; its result is never taken for a task's answer."""
    with ForkPool(matcher, 0.8, workers=2, finish=_ClosedStore()) as pool:
        with pytest.raises(PoolError, match="a screening worker failed: .*the store is closed"):
            pool.result(pool.finish([("Hikvision", None, None)]))
    assert "Traceback" not in capfd.readouterr().err


def big_input(path: Path, rows: int = 300_000) -> Path:
    # mostly distinct names: a run must still be screening seconds after it starts
    names = list(
        dict.fromkeys(
            query_names(
                400_000,
                [
                    "Hangzhou Hikvision Digital Technology Co., Ltd.",
                    "Zhejiang Dahua Technology Co., Ltd.",
                ],
                seed=3,
            )
        )
    )
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        for i in range(rows):
            w.writerow([i, names[i % len(names)]])
    return path


def start_batch(db: Path, src: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCREENER_DB": str(db)}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from screener.cli import main; main()",
            "batch",
            str(src),
            "-o",
            str(out),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_running(db: Path, timeout: float = 60) -> dict:
    """The batch run once it is recorded and has screened a first chunk."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = Store.open(db)
        try:
            found = [
                r for r in runs.runs(s, 5) if r["command"] == "batch" and r["status"] == "running"
            ]
        finally:
            s.close()
        if found:
            time.sleep(1.5)  # the pool is up and screening
            return found[0]
        time.sleep(0.1)
    raise AssertionError("the batch never started")


@contextmanager
def running_batch(
    db: Path, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], dict, Path, Path]]:
    """A batch of a big input in ``tmp_path/io``, once it screens: (process, its run, the
    folder, the output path). Killed on the way out if it still runs."""
    io = tmp_path / "io"
    io.mkdir()
    out = io / "out.csv"
    p = start_batch(db, big_input(io / "in.csv"), out)
    try:
        yield p, wait_running(db), io, out
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()


def leftovers(folder: Path, out: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "in.csv")


@pytest.mark.slow  # a batch of a big input in a subprocess, signalled once it screens
@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_signal_to_the_process_group_ends_the_run_cleanly(
    db_path: Path, tmp_path: Path, sig: int, code: int
) -> None:
    with running_batch(db_path, tmp_path) as (p, run, io, out):
        t = time.monotonic()
        os.killpg(p.pid, sig)
        _, err_bytes = p.communicate(timeout=60)  # a loaded machine: seconds, not minutes
        took = time.monotonic() - t
    err = err_bytes.decode()
    assert p.returncode == code, err
    assert took < 15, took  # promptly: about a second alone, 3x the 5 s a user would wait
    assert "Traceback" not in err
    assert leftovers(io, out) == []  # no output, no temporary file or folder
    s = Store.open(db_path)
    try:
        done = runs.run(s, run["id"])
    finally:
        s.close()
    assert (done["status"], done["exit_code"]) == ("interrupted", code)


@pytest.mark.slow  # the same batch, killed
def test_a_run_killed_with_sigkill_is_marked_abandoned_at_the_next_start(
    db_path: Path, tmp_path: Path
) -> None:
    with running_batch(db_path, tmp_path) as (p, run, io, out):
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate(timeout=10)
    assert leftovers(io, out)  # the writer's temporary file is still there
    s = Screener.open(db_path)  # the next start
    try:
        assert runs.run(s.store, run["id"])["status"] == "abandoned"
    finally:
        s.close()
    assert leftovers(io, out) == []


def test_a_planted_index_file_is_never_executed(store: Store, tmp_path: Path) -> None:
    # what a pickle-based cache would have run; here it is not even read as code
    marker = tmp_path / "pwned"
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    index_path(store).write_bytes(payload)
    store.path.with_name(store.path.name + ".index.pickle").write_bytes(payload)
    result = Screener(store).check("Hikvision")
    assert result.hits and not marker.exists()
    assert not store.path.with_name(store.path.name + ".index.pickle").exists()


def numbered_input(path: Path, rows: int) -> Path:
    """A CSV of ``rows`` distinct names: large enough for the pool and the writer's process."""
    names = list(
        dict.fromkeys(
            query_names(rows * 2, ["Hangzhou Hikvision Digital Technology Co., Ltd."], seed=5)
        )
    )
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        w.writerows([i, names[i]] for i in range(rows))
    return path


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="forked processes")
@pytest.mark.parametrize("who", ["screening worker", "XLSX writer"])
def test_a_process_that_dies_is_one_error_line(
    db_path: Path,
    tmp_path: Path,
    who: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A worker or the writer's process dying mid-run (out of memory, killed) ends the
    batch at once with exit 2 and one error line; no output, no temporary files."""
    io = tmp_path / "io"
    io.mkdir()
    src = numbered_input(io / "partners.csv", WRITER_PROCESS_ROWS + 500)
    out = io / "partners.screened.xlsx"
    parent = os.getpid()

    def dies(*args: object) -> None:
        assert os.getpid() != parent  # only ever called in the forked process
        os._exit(3)

    if who == "XLSX writer":
        monkeypatch.setattr(xlsx_module._Book, "add", dies)
    else:
        monkeypatch.setattr(executors, "screen_chunk", dies)
    args = ["--db", str(db_path), "batch", str(src), "-o", str(out), "--workers", "2"]
    code, _out, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert_one_line_error(err, f"{who} process died")
    assert sorted(p.name for p in io.iterdir()) == ["partners.csv"]  # nothing left behind
