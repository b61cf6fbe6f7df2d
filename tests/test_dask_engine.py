"""batch --engine dask: the same rows as the local engine, from a local cluster or a
scheduler's, through failures, lost workers and interrupts, with nothing half-written."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import assert_one_line_error, run_main
from excerpts import excerpt

from benchmarks.names import query_names
from screener.db import runs as audit
from screener.db.store import Store
from screener.lists.bundled import open_store
from screener.screening import dask_engine
from screener.screening.dask_engine import DaskExecutor
from screener.screening.service import Screener

distributed = pytest.importorskip("distributed")

# Real lists (their excerpts, fixtures/excerpts) that benchmarks/universe.py reads
SMALL_SHARED = ("ofac-sdn", "ofac-cons", "misp-sv", "bis-universities", "meti-eul")
COUNTRIES = ["CN", "cn", "CHN", "China", "US", "DE", "Hong Kong", "", None, "Narnia", "GB"]


def comparable_meta(out: Path) -> dict[str, Any]:
    """The sidecar without what differs between two runs of the same input (ids, times,
    the engine, the output's own path)."""
    meta = json.loads(out.with_name(out.name + ".meta.json").read_text("utf-8"))
    for key in ("run_id", "created_at", "engine"):
        meta.pop(key)
    meta["output"].pop("path")
    return meta


def parties(path: Path, names: list[str], rows: int, seed: int = 1) -> Path:
    """A Parquet file of ``rows`` parties drawn from ``names`` (repeats, as in a real file)."""
    rng = random.Random(seed)
    picked = [rng.choice(names) for _ in range(rows)]
    pq.write_table(
        pa.table(
            {
                "party_id": pa.array(range(rows), pa.int64()),
                "name": pa.array(picked, pa.string()),
                "country": pa.array([rng.choice(COUNTRIES) for _ in range(rows)], pa.string()),
                "amount": pa.array(
                    [rng.random() * 1000 if rng.random() < 0.9 else None for _ in range(rows)],
                    pa.float64(),
                ),
            }
        ),
        path,
        row_group_size=20_000,
    )
    return path


def small_input(tmp_path: Path, rows: int = 400) -> Path:
    names = [
        "Hikvision",
        "ZHEJIANG DAHUA TECH CO LTD",
        "Sense Time",
        "CETC 14",
        "海康威视",
        "Huawei Technologies Düsseldorf GmbH",
        "",
        *query_names(60, [], seed=3),
    ]
    return parties(tmp_path / "in.parquet", names, rows)


# --- same answers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def universe_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled list plus the excerpts of some real lists."""
    from benchmarks.universe import SOURCES

    path = tmp_path_factory.mktemp("universe") / "u.db"
    store = open_store(path)
    for sid in SMALL_SHARED:
        rel, build = SOURCES[sid]
        store.import_parsed(
            {"id": sid, "name": sid, "kind": "reference"},
            build(*[excerpt(r) for r in rel]),
            sha256=f"test-{sid}",
            origin=f"fixtures/excerpts ({sid})",
        )
    store.close()
    return path


@pytest.mark.slow
def test_dask_gives_the_local_engines_rows_on_50000_parties(
    universe_db: Path, tmp_path: Path
) -> None:
    store = Store(universe_db)
    listed = [n.name for e in store.entities() for n in e.all_names()]
    orgs = [e.name for e in store.entities() if e.schema == "organization"]
    real = random.Random(2).sample(listed, min(2_000, len(listed)))
    names = list(dict.fromkeys([*real, *query_names(4_000, orgs, variant_share=0.25, seed=11)]))
    src = parties(tmp_path / "parties.parquet", names, 50_000)
    s = Screener(store)
    local = s.batch(src, tmp_path / "local.jsonl", engine="local")
    dask = s.batch(src, tmp_path / "dask.jsonl", engine="dask", workers=2)
    assert local.hit_rows > 5_000 and local.unique_names > 4_500  # real hits, many names
    assert dask.to_dict() | {"run_id": "", "output": ""} == local.to_dict() | {
        "run_id": "",
        "output": "",
    }
    a = (tmp_path / "local.jsonl").read_text("utf-8").splitlines()
    b = (tmp_path / "dask.jsonl").read_text("utf-8").splitlines()
    assert len(a) == len(b) == 50_000
    for i, (x, y) in enumerate(zip(a, b)):  # row by row, to name the first that differs
        assert x == y, f"row {i + 1} differs"
    assert comparable_meta(tmp_path / "dask.jsonl") == comparable_meta(tmp_path / "local.jsonl")
    runs = {r: audit.run(store, r) for r in (local.run_id, dask.run_id)}
    assert runs[dask.run_id]["hit_list"] == runs[local.run_id]["hit_list"]
    assert runs[dask.run_id]["options"]["engine"]["name"] == "dask"
    assert runs[dask.run_id]["status"] == "done"
    meta = json.loads((tmp_path / "dask.jsonl.meta.json").read_text("utf-8"))
    assert meta["engine"] == {
        "name": "dask",
        "scheduler": "local cluster",
        "workers": 2,
        "index": f"read from {universe_db}.index",
    }
    store.close()


# --- a cluster of its own, given by its scheduler's address -------------------------------


@pytest.fixture(scope="module")
def threads_cluster() -> Iterator[Any]:
    """A cluster whose workers are threads of this process, so that a test can break them."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    )
    yield cluster
    cluster.close()


def test_scheduler_gets_the_index_as_bytes(
    store: Store, tmp_path: Path, threads_cluster: Any
) -> None:
    src = small_input(tmp_path)
    s = Screener(store)
    s.batch(src, tmp_path / "local.parquet")
    summary = s.batch(
        src, tmp_path / "dask.parquet", engine="dask", scheduler=threads_cluster.scheduler_address
    )
    assert summary.hit_rows > 0
    assert pq.read_table(tmp_path / "dask.parquet") == pq.read_table(tmp_path / "local.parquet")
    meta = json.loads((tmp_path / "dask.parquet.meta.json").read_text("utf-8"))
    assert meta["engine"]["index"] == "sent as bytes"
    assert meta["engine"]["scheduler"] == threads_cluster.scheduler_address


def test_a_failed_task_is_retried(
    store: Store, tmp_path: Path, threads_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = small_input(tmp_path)
    s = Screener(store)
    s.batch(src, tmp_path / "local.jsonl")
    real, calls = dask_engine.screen_chunk, []

    def fail_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("a worker ran out of memory")
        return real(*args)

    dask_engine._MATCHERS.clear()
    monkeypatch.setattr(dask_engine, "screen_chunk", fail_once)
    summary = s.batch(
        src, tmp_path / "dask.jsonl", engine="dask", scheduler=threads_cluster.scheduler_address
    )
    assert len(calls) >= 2
    assert audit.run(store, summary.run_id)["status"] == "done"
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_interrupt_leaves_no_output_and_closes_the_client(
    store: Store, tmp_path: Path, threads_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = small_input(tmp_path, rows=300)
    out = tmp_path / "out.csv"
    monkeypatch.setattr(dask_engine, "PARTITION_ROWS", 100)
    real, seen = DaskExecutor.result, []

    def interrupt_second(self: DaskExecutor, fut: Any) -> Any:
        seen.append(self)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(self, fut)

    monkeypatch.setattr(DaskExecutor, "result", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        Screener(store).batch(src, out, engine="dask", scheduler=threads_cluster.scheduler_address)
    assert sorted(p.name for p in tmp_path.iterdir() if "out" in p.name) == []
    assert seen[0].client is None  # closed on the way out
    run = audit.runs(store, 1)[0]
    assert (run["status"], run["exit_code"], run["rows"]) == ("interrupted", 130, 100)


def test_a_lost_worker_is_replaced_and_its_partitions_run_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = small_input(tmp_path, rows=2_000)
    s = Screener(store)
    s.batch(src, tmp_path / "local.jsonl")
    monkeypatch.setattr(dask_engine, "PARTITION_ROWS", 200)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    real, killed = DaskExecutor.result, []

    def kill_a_worker_first(self: DaskExecutor, fut: Any) -> Any:
        if not killed:
            pids = self.client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        return real(self, fut)

    monkeypatch.setattr(DaskExecutor, "result", kill_a_worker_first)
    try:
        summary = s.batch(
            src, tmp_path / "dask.jsonl", engine="dask", scheduler=cluster.scheduler_address
        )
    finally:
        cluster.close()
    assert killed
    assert summary.rows == 2_000
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


# --- options and bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args,words",
    [
        (["--scheduler", "tcp://127.0.0.1:9"], ["--scheduler applies only to --engine dask"]),
        (
            ["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"],
            ["--workers sets the size of the local Dask cluster"],
        ),
        (
            ["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"],
            ["cannot reach the Dask scheduler at tcp://127.0.0.1:9"],
        ),
        (["--engine", "dask", "--column", "Company"], ["no column 'Company'"]),
    ],
    ids=["scheduler-without-dask", "workers-with-scheduler", "unreachable", "missing-column"],
)
def test_dask_option_errors_are_one_line(
    db_path: Path,
    tmp_path: Path,
    args: list[str],
    words: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    src = small_input(tmp_path, rows=20)
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(src),
        "-o",
        str(tmp_path / "out.jsonl"),
        *args,
    )
    assert code == 2
    assert_one_line_error(err, *words)
    assert sorted(p.name for p in tmp_path.iterdir() if "out" in p.name) == []
    # Ctrl-C and SIGTERM are this process's own again (the engine defers them while it runs)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers


def test_dask_corrupt_parquet_is_one_line(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.parquet"
    src.write_bytes(small_input(tmp_path, rows=20).read_bytes()[:-30])
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "batch",
        str(src),
        "-o",
        str(tmp_path / "out.parquet"),
        "--engine",
        "dask",
    )
    assert code == 2
    assert_one_line_error(err, "is not a readable Parquet file")


# --- Ctrl-C in a terminal -----------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_exits_130_and_leaves_nothing(
    db_path: Path, tmp_path: Path
) -> None:
    """A terminal's Ctrl-C reaches every process of the group: the cluster's processes
    ignore it, this process cancels the run, closes the cluster and exits 130."""
    src = parties(tmp_path / "in.parquet", list(query_names(150_000, [], seed=5)), 150_000)
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "SCREENER_DB": str(db_path)}
    p = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from screener.cli import main; main()",
            "batch",
            str(src),
            "-o",
            str(out),
            "--engine",
            "dask",
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:  # the first rows are written
            if any(f.stat().st_size for f in tmp_path.glob(".out.jsonl.*.tmp")):
                break
            time.sleep(0.2)
        assert p.poll() is None, p.communicate()
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["screener: interrupted"]
    assert sorted(f.name for f in tmp_path.iterdir() if "out" in f.name) == []
    assert not running_in_group(p.pid, wait=15), "a process of the run is left"


def running_in_group(pgid: int, wait: float) -> list[int]:
    """The processes of group ``pgid`` still running (not zombies) after up to ``wait`` s."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and os.getpgid(int(entry.name)) == pgid:
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        alive.append(int(entry.name))
            except (OSError, IndexError):
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)
