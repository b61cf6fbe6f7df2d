"""Runs killed without notice: a real child process writes a batch output, records its
temporary paths and is killed with SIGKILL; the next start marks its run "abandoned"
and removes what it left behind. Live runs, runs of other hosts and paths that do
not look temporary are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from screener.db import runs
from screener.db.store import Store

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from screener.db import runs
    from screener.db.store import Store
    from screener.files.reports import open_writer

    store = Store.open(sys.argv[1])
    out = Path(sys.argv[2])
    run_id = runs.start_run(store, "batch", {"workers": 1}, [], 0.8, "partners.csv")
    writer = open_writer(out, ["name"], {"run_id": run_id})
    runs.add_temp_path(store, run_id, writer.temp_path)
    folder = runs.make_temp_dir(store, run_id, near=out.parent)
    (folder / "chunk-0001.jsonl").write_text('{"row": 0}\\n')
    (folder / "sub").mkdir()
    (folder / "sub" / "chunk-0002.jsonl").write_text('{"row": 1}\\n')
    df = pd.DataFrame([["Hangzhou Hikvision Digital Technology Co., Ltd."]], columns=["name"])
    writer.write(df, [{"row": 0, "query": df.iloc[0, 0], "status": "hit", "hits": []}])
    print(run_id, writer.temp_path, folder, sep="\\n", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "s.db")
    yield store
    store.close()


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_a_run_killed_with_sigkill_is_abandoned_and_its_temp_files_removed(
    tmp_path: Path, empty_store: Store
) -> None:
    out = tmp_path / "partners.screened.csv"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(empty_store.path), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        run_id, tmp_file, folder = (child.stdout.readline().strip() for _ in range(3))
        assert run_id, "the child did not start its run"
        assert Path(tmp_file).is_file() and Path(tmp_file).name.startswith(
            ".partners.screened.csv."
        )
        assert (Path(folder) / "sub" / "chunk-0002.jsonl").is_file()
        # Still alive: the run is left alone.
        assert runs.reap_abandoned(empty_store) == []
        assert runs.run(empty_store, run_id)["status"] == "running"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL

    reaped = runs.reap_abandoned(empty_store)
    assert [(r["id"], r["status"], r["pid"]) for r in reaped] == [(run_id, "abandoned", child.pid)]
    assert sorted(reaped[0]["removed"]) == sorted([tmp_file, folder])
    assert not Path(tmp_file).exists() and not Path(folder).exists() and not out.exists()
    assert set(os.listdir(tmp_path)) <= {"s.db", "s.db-shm", "s.db-wal"}
    row = runs.run(empty_store, run_id)
    assert row["status"] == "abandoned" and row["finished_at"]
    assert runs.temp_paths(empty_store, run_id) == []
    assert runs.reap_abandoned(empty_store) == []  # nothing left to do


def test_a_live_run_of_this_process_is_left_alone(empty_store: Store, tmp_path: Path) -> None:
    run_id = runs.start_run(empty_store, "check", {}, [], 0.8)
    tmp = tmp_path / ".out.csv.abc123.tmp"
    tmp.write_text("partial")
    runs.add_temp_path(empty_store, run_id, tmp)
    assert runs.reap_abandoned(empty_store) == []
    assert tmp.exists() and runs.run(empty_store, run_id)["status"] == "running"
    # Finishing the run removes a temporary file it forgot.
    runs.finish_run(empty_store, run_id, status="done", exit_code=0)
    assert not tmp.exists() and runs.temp_paths(empty_store, run_id) == []


def _rewrite(store: Store, run_id: str, **values: object) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    with store.conn:
        store.conn.execute(f"update runs set {sets} where id = ?", [*values.values(), run_id])


def test_a_run_from_an_earlier_boot_is_abandoned_even_if_its_pid_is_taken(
    empty_store: Store,
) -> None:
    if runs.this_process()["boot_id"] is None:
        pytest.skip("no boot id on this system")
    run_id = runs.start_run(empty_store, "batch", {}, [], 0.8)
    _rewrite(empty_store, run_id, boot_id="00000000-0000-0000-0000-000000000000")
    assert [r["id"] for r in runs.reap_abandoned(empty_store)] == [run_id]


def test_a_pid_reused_by_another_process_does_not_keep_a_run_alive(empty_store: Store) -> None:
    if runs.this_process()["process_started"] is None:
        pytest.skip("no process start times on this system")
    run_id = runs.start_run(empty_store, "batch", {}, [], 0.8)
    _rewrite(empty_store, run_id, process_started="1")  # our pid, but another process's start
    assert [r["id"] for r in runs.reap_abandoned(empty_store)] == [run_id]


def test_a_run_of_another_host_is_left_alone(empty_store: Store) -> None:
    run_id = runs.start_run(empty_store, "batch", {}, [], 0.8)
    _rewrite(empty_store, run_id, host="another-host.example", pid=2**22 + 7)
    assert runs.reap_abandoned(empty_store) == []
    assert runs.run(empty_store, run_id)["status"] == "running"


def test_only_temporary_names_are_recorded_or_removed(empty_store: Store, tmp_path: Path) -> None:
    run_id = runs.start_run(empty_store, "batch", {}, [], 0.8)
    keep = tmp_path / "partners.csv"
    keep.write_text("name\nHikvision\n")
    with pytest.raises(ValueError, match="not a temporary name"):
        runs.add_temp_path(empty_store, run_id, keep)
    with pytest.raises(ValueError, match="not a temporary name"):
        runs.add_temp_path(empty_store, run_id, tmp_path)
    # A store edited by hand (or planted) to name a real file: it stays on disk.
    with empty_store.conn:
        empty_store.conn.execute(
            "insert into run_temp_paths values (?, ?, null)", [run_id, str(keep)]
        )
    _rewrite(empty_store, run_id, pid=2**22 + 7)  # above Linux's pid_max: no such process
    assert [r["id"] for r in runs.reap_abandoned(empty_store)] == [run_id]
    assert keep.read_text() == "name\nHikvision\n"
    assert runs.temp_paths(empty_store, run_id) == []


def test_a_symlinked_temp_folder_is_unlinked_not_followed(
    empty_store: Store, tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep")
    link = tmp_path / "screener-link"
    link.symlink_to(precious, target_is_directory=True)
    run_id = runs.start_run(empty_store, "batch", {}, [], 0.8)
    runs.add_temp_path(empty_store, run_id, link)
    _rewrite(empty_store, run_id, pid=2**22 + 7)
    runs.reap_abandoned(empty_store)
    assert not link.exists() and (precious / "keep.txt").read_text() == "keep"
