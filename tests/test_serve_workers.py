"""`screener serve --workers 2` as a user starts it: two forked processes over the lists
loaded once, one audit writer, jobs any worker answers for, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from screener.db import runs
from screener.db.store import Store

SCREENER = Path(sys.executable).with_name("screener")
TOKEN = "workers-test-token-0123456789"
HIK = {"q": {"schema": "Company", "properties": {"name": ["Hikvision"]}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.slow
def test_two_workers_share_the_lists_one_writer_and_the_jobs(db_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SCREENER_TOKEN": TOKEN}
    log_path = db_path.with_name("serve.log")
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(SCREENER), "--db", str(db_path), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not ready"
            time.sleep(0.1)
        assert len(children(proc.pid)) == 2
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, timeout=30) as c:
            answers = [
                c.post("/match", json={"queries": HIK}, headers={"X-Request-ID": f"w-{i}"})
                for i in range(20)
            ]
            job = c.post(
                "/batch",
                files={"file": ("p.csv", b"name\nHikvision\nSiemens AG\n")},
                data={"format": "csv"},
                headers=auth,
            ).json()
            polls = []
            for _ in range(300):  # new connections: any worker may answer
                with httpx.Client(base_url=url, timeout=30, headers=auth) as fresh:
                    polls.append(fresh.get(job["status_url"]).json())
                if polls[-1]["status"] in ("done", "failed"):
                    break
                time.sleep(0.05)
            with httpx.Client(base_url=url, timeout=30, headers=auth) as fresh:
                result = fresh.get(job["result_url"])
        # a list imported meanwhile is loaded by every worker
        from screener.lists import catalog

        store = Store(db_path)
        root = Path(__file__).resolve().parents[1]
        catalog.import_file(
            store, root / "fixtures" / "lists" / "own_denylist.csv", "simple", "own"
        )
        store.close()
        deadline, streak = time.monotonic() + 60, 0
        while streak < 20:
            assert time.monotonic() < deadline, "a worker did not load the new list"
            with httpx.Client(base_url=url, timeout=30) as fresh:
                loaded = {x["source_id"] for x in fresh.get("/lists").json()["loaded"]}
            streak = streak + 1 if "own" in loaded else 0
            time.sleep(0.02)
        assert all(r.status_code == 200 for r in answers)
        top = {r.json()["responses"]["q"]["results"][0]["id"] for r in answers}
        assert top == {"screener-surveillance.hikvision"}
        assert polls[-1]["status"] == "done", polls[-1]
        assert result.status_code == 200 and "84 FR 54002" in result.text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
    assert code == 0, log_path.read_text()
    store = Store(db_path)
    try:
        recorded = [runs.run(store, r.json()["run_id"])["options"]["request_id"] for r in answers]
    finally:
        store.close()
    assert recorded == [f"w-{i}" for i in range(20)]
