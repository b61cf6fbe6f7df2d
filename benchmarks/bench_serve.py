"""Load on a real `screener serve`: POST /match with 20 queries, 50 concurrent clients.

    apt-get install -y wrk                          # the load generator (Debian package)
    .venv/bin/python benchmarks/bench_serve.py      # bundled lists
    .venv/bin/python benchmarks/bench_serve.py --universe   # + the reference lists in
                                                    # ../shared/data (~17,800 entities)
    .venv/bin/python benchmarks/bench_serve.py --workers 1,2 --rounds 3
                                                    # `serve --workers N`, alternated

It starts the server as a user would (`screener --db DB serve --port P`, a separate
process), waits for /readyz, checks a sample of answers, then runs wrk on loopback
and prints latency percentiles, requests per second and errors (socket errors and
non-2xx answers) for:

* **repeat** (the target): a file of customers and suppliers screened again and
  again, as an ERP does: 500 request bodies of 20 realistic names each (10,000
  names, a tenth of them variants of listed names), sent in turn. Once each name has
  been screened the server answers it from the loaded snapshot's memo.
* **fresh**: every request holds 20 names never sent before: the cost of screening
  itself, as when a new file arrives.
* **update** (``--update``): repeat, while `screener lists import` loads a new list
  version into the same store from another process; the server keeps answering from
  the old version while it loads the new one, then switches.

Targets (issue 12): 50 concurrent clients, p50 <= 20 ms, p99 <= 100 ms and no error
over at least 10,000 requests (the repeat run). The script exits 1 if the repeat run
misses them. With ``--workers 1,2`` each round starts one server of each process count
in turn (``screener serve --workers N``) and runs both loads on it; the summary gives
the medians of each count and the paired ratios of requests per second on fresh names
(issue 21's target: 2 workers >= 1.7 times one, with a lower p99), with the load
average before each run. Without wrk it says how to install it and stops (exit 2). The machine is
shared by the load generator and the server: both run on the same cores. Each run
also prints the server's CPU time per request, a figure that other load on the
machine does not change.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import harness
from benchmarks.names import query_names

ROOT = Path(__file__).resolve().parents[1]
SCREENER = Path(sys.executable).with_name("screener")
LUA = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local threads = tonumber(os.getenv("BENCH_THREADS"))
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  i = id          -- each thread takes every threads-th body, from its own start
  step = threads
end
function request()
  i = i % #bodies + 1
  local body = bodies[i]
  i = i + step - 1
  return wrk.format("POST", "/match", {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests %d\\n", summary.requests))
  io.write(string.format("RESULT errors %d\\n", e.connect + e.read + e.write + e.timeout + e.status))
  io.write(string.format("RESULT non2xx %d\\n", e.status))
  io.write(string.format("RESULT duration_s %.3f\\n", summary.duration / 1e6))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("RESULT p%s_ms %.3f\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("RESULT max_ms %.3f\\n", latency.max / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_store(path: Path, universe: bool) -> list[str]:
    """The store for the server, and the listed organisation names (for variants)."""
    if universe:
        from benchmarks.universe import build_store

        store = build_store(path)
    else:
        from screener.lists.bundled import open_store

        store = open_store(path)
    try:
        names = [
            r["name"]
            for r in store.query(
                "select e.name from entities e join sources s on s.active_version = e.version_id "
                "where e.schema != 'person'"
            )
        ]
    finally:
        store.close()
    return names


def bodies(names: list[str], per_request: int = 20) -> list[str]:
    names = [n for n in names if n.strip()]  # a variant of a listed name may come out empty
    out = []
    for i in range(0, len(names) - per_request + 1, per_request):
        queries = {
            f"q{j}": {"schema": "Company", "properties": {"name": [n]}}
            for j, n in enumerate(names[i : i + per_request])
        }
        out.append(json.dumps({"queries": queries}, ensure_ascii=False))
    return out


class Server:
    """`screener serve` in a process of its own."""

    def __init__(self, db: Path, log: Path, workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SCREENER_CONFIG": str(db.with_name("none.toml"))}
        env.pop("SCREENER_TOKEN", None)
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                str(SCREENER),
                *("--db", str(db), "serve", "--port", str(self.port)),
                *("--workers", str(workers)),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_ready(self, timeout: float = 300) -> float:
        t = time.perf_counter()
        while time.perf_counter() - t < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"the server stopped (exit {self.proc.returncode}); see {self.log.name}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.perf_counter() - t
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit("the server was not ready in time")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux): the
    workers of `serve --workers N` are its children."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def run_wrk(
    url: str, body_file: Path, seconds: float, clients: int, threads: int, lua: Path, pid: int
) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODIES": str(body_file), "BENCH_THREADS": str(threads)}
    load = harness.load()
    cpu = cpu_seconds(pid)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(lua),
            f"{url}/match",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    result = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            _, key, value = line.split()
            result[key] = float(value)
    result["rps"] = result["requests"] / result["duration_s"]
    result["cpu_ms"] = (cpu_seconds(pid) - cpu) * 1000 / max(result["requests"], 1)
    result["load_start"], result["load_end"] = load, harness.load()
    return result


def report(label: str, r: dict[str, float]) -> None:
    print(
        f"{label:<7} {int(r['requests']):>7} requests in {r['duration_s']:.1f} s "
        f"({r['rps']:.0f}/s): p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
        f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms; errors {int(r['errors'])} "
        f"(non-2xx {int(r['non2xx'])}); server CPU {r['cpu_ms']:.2f} ms a request; load "
        f"{r['load_start']:.1f}-{r['load_end']:.1f}"
    )


def check_answers(url: str, sample: list[str]) -> int:
    """Send a few bodies one by one; every query must be answered (status 200)."""
    hits = 0
    with httpx.Client(timeout=60) as c:
        for b in sample:
            r = c.post(f"{url}/match", content=b, headers={"content-type": "application/json"})
            r.raise_for_status()
            responses = r.json()["responses"]
            bad = {k: x for k, x in responses.items() if x["status"] != 200}
            if len(responses) != 20 or bad:
                raise SystemExit(f"bench_serve: {len(responses)} answers, not 200: {bad}")
            hits += sum(bool(x["results"]) for x in responses.values())
    return hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--universe", action="store_true", help="add the reference lists in ../shared/data"
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--seconds", type=float, default=15, help="length of the repeat run")
    ap.add_argument(
        "--fresh-seconds", type=float, default=10, help="length of the fresh run (0: none)"
    )
    ap.add_argument("--update", action="store_true", help="also a repeat run with a list update")
    ap.add_argument("--store", type=Path, help="keep the benchmark store here (reused next time)")
    ap.add_argument(
        "--workers", default="1", help="server processes, e.g. 1,2: one server of each, in turn"
    )
    ap.add_argument("--rounds", type=int, default=1, help="rounds of the worker counts")
    a = ap.parse_args()
    counts = [int(x) for x in a.workers.split(",")]
    if shutil.which("wrk") is None:
        print(
            "bench_serve needs wrk, the HTTP load generator: apt-get install -y wrk",
            file=sys.stderr,
        )
        raise SystemExit(2)
    harness.header()
    work = Path(tempfile.mkdtemp(prefix="screener-bench-serve-"))
    db = a.store or work / "serve.db"
    t = time.perf_counter()
    listed = make_store(db, a.universe)
    print(f"store: {db} ({len(listed)} listed organisation names; {time.perf_counter() - t:.1f} s)")
    lua = work / "match.lua"
    lua.write_text(LUA)
    repeat_names = list(query_names(10_000, listed, seed=31))
    repeat = bodies(repeat_names)
    seen = set(repeat_names)
    # 2,500 bodies a second, more than the server can screen (about 1,300 a second here), so
    # that no body is sent twice
    # every server is a new process: the same fresh names are new to each of them
    fresh_count = int(max(a.fresh_seconds, 0) * 2_500) * 20
    fresh = bodies(
        [n for n in dict.fromkeys(query_names(fresh_count, listed, seed=97)) if n not in seen]
    )
    (work / "repeat.jsonl").write_text("\n".join(repeat) + "\n", encoding="utf-8")
    (work / "fresh.jsonl").write_text("\n".join(fresh) + "\n", encoding="utf-8")
    failed = False
    seen_runs: dict[int, list[dict[str, dict[str, float]]]] = {n: [] for n in counts}
    try:
        for rnd in range(a.rounds):
            for n in counts:
                print(f"-- round {rnd + 1}, --workers {n}")
                r = one_server(db, work, n, a, lua, repeat, rnd)
                seen_runs[n].append(r)
                failed = failed or r["failed"]["value"] > 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if len(counts) > 1 or a.rounds > 1:
        summarize(counts, seen_runs)
    print(
        "targets (repeat): p50 <= 20 ms, p99 <= 100 ms, 0 errors, >= 10,000 requests: "
        + ("MISSED" if failed else "met")
    )
    raise SystemExit(1 if failed else 0)


def one_server(
    db: Path, work: Path, workers: int, a: Any, lua: Path, repeat: list[str], rnd: int
) -> dict[str, dict[str, float]]:
    """One server of ``workers`` processes: its warm-up, repeat and fresh runs."""
    server = Server(db, work / "server.log", workers)
    out: dict[str, dict[str, float]] = {}
    try:
        print(
            f"server ready in {server.wait_ready():.1f} s at {server.url} (pid {server.proc.pid})"
        )
        hits = check_answers(server.url, random.Random(5).sample(repeat, 10))
        print(f"answers checked: 10 requests of 20 queries, {hits} queries with results")
        body_file = work / "repeat.jsonl"
        warm = run_wrk(server.url, body_file, 5, a.clients, a.threads, lua, server.proc.pid)
        report("warm-up", warm)
        r = out["repeat"] = run_wrk(
            server.url, body_file, a.seconds, a.clients, a.threads, lua, server.proc.pid
        )
        report("repeat", r)
        missed = not (
            r["p50_ms"] <= 20
            and r["p99_ms"] <= 100
            and r["errors"] == 0
            and r["requests"] >= 10_000
        )
        if a.fresh_seconds > 0:
            fresh = work / "fresh.jsonl"
            out["fresh"] = run_wrk(
                server.url, fresh, a.fresh_seconds, a.clients, a.threads, lua, server.proc.pid
            )
            report("fresh", out["fresh"])
        if a.update:
            csv = ROOT / "fixtures" / "lists" / "own_denylist.csv"
            env = {**os.environ, "SCREENER_CONFIG": str(db.with_name("none.toml"))}
            importer = subprocess.Popen(  # starts 2 s into the run
                [
                    "sh",
                    "-c",
                    (
                        f'sleep 2; exec "{SCREENER}" --db "{db}" lists import "{csv}" '
                        f"--format simple --source bench-update-{int(time.time())}"
                    ),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            u = run_wrk(
                server.url, body_file, a.seconds, a.clients, a.threads, lua, server.proc.pid
            )
            importer.wait()
            with httpx.Client() as c:
                loaded = [x["source_id"] for x in c.get(f"{server.url}/lists").json()["loaded"]]
            report("update", u)
            print(f"        lists loaded after the update: {', '.join(loaded)}")
            missed = missed or u["errors"] > 0
    finally:
        server.stop()
    out["failed"] = {"value": float(missed)}
    return out


def summarize(counts: list[int], seen: dict[int, list[dict[str, dict[str, float]]]]) -> None:
    """Medians per worker count, and the paired ratios of each round against one worker."""
    print("summary (medians over rounds):")
    for n in counts:
        for kind in ("repeat", "fresh"):
            rs = [r[kind] for r in seen[n] if kind in r]
            if rs:
                print(
                    f"  --workers {n} {kind:<6} {median(x['rps'] for x in rs):.0f} requests/s, "
                    f"p50 {median(x['p50_ms'] for x in rs):.1f} ms, "
                    f"p99 {median(x['p99_ms'] for x in rs):.1f} ms, "
                    f"load {median(x['load_end'] for x in rs):.2f}"
                )
    base = counts[0]
    for n in counts[1:]:
        pairs = [
            (b["fresh"], x["fresh"])
            for b, x in zip(seen[base], seen[n])
            if "fresh" in b and "fresh" in x
        ]
        if pairs:
            ratios = [x["rps"] / b["rps"] for b, x in pairs]
            lower = sum(x["p99_ms"] < b["p99_ms"] for b, x in pairs)
            print(
                f"  fresh names, --workers {n} / --workers {base}: requests/s x"
                f"{median(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)}); "
                f"p99 lower in {lower} of {len(pairs)} rounds"
            )


if __name__ == "__main__":
    main()
