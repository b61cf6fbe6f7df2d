"""What every benchmark shares: figures that a busy, shared machine cannot fake.

Wall time alone cannot tell a regression from a faster machine or a busy neighbour, so
each benchmark prints, beside it:

* the **CPU time of the whole process tree** (user + system of this process, of the
  children it waited for and of those still running: forked workers, Dask workers),
  which other load on the machine changes little;
* the **load average** at the start and at the end of what was timed;
* once, at the start (:func:`header`), the machine: cores, the **loop time** (CPU
  seconds of a pure-Python loop of 10,000,000 additions, a figure that compares
  machines), the commit and the date.

``--against REV`` (:func:`against`) runs the benchmark of this checkout and the one of
revision REV (a branch, a tag or a commit) alternately, ``--pairs`` times (at least 3,
the order swapped in each pair so that neither always runs first), and prints each
pair and the median ratio of each figure. REV is exported from git into a folder of
its own with its own virtual environment (``pip install -e``), kept by commit under
``$SCREENER_BENCH_CACHE`` (default ``~/.cache/screener-bench``) so that a rerun
starts at once. REV runs its **own** script of the same name, so an old release is
timed as it timed itself; options its script does not know are left out (and
printed). The figures are read from each run's output with the pattern the
benchmark gives, so a release that prints older lines is still read. The CPU time
beside each figure is that of the whole process tree between the output line before
the figure and the figure's line.

A benchmark uses it so::

    FIGURES = harness.Figures(r"^batch(?: to (?P<label>\\w+))?: .* in (?P<seconds>[\\d.]+) s")

    def main() -> None:
        ap = argparse.ArgumentParser()
        ...
        harness.add_options(ap)
        a = ap.parse_args()
        if a.against:
            return harness.against(__file__, a, FIGURES)
        harness.header()
        with harness.Meter("batch to csv") as m:
            ...
        print(f"batch to csv: ... in {m.wall:.1f} s; {m}")
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOOP_ADDITIONS = 10_000_000
MIN_PAIRS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- measuring ---------------------------------------------------------------------------


def loop_time() -> float:
    """CPU seconds of a pure-Python loop of 10,000,000 additions on this machine (the
    best of three: the machine's speed, not its neighbours')."""
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        x = 0
        for i in range(LOOP_ADDITIONS):
            x += i
        best = min(best, time.process_time() - t)
    return best


def _proc_cpu(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its children it waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[1] is the parent pid; 11-14 utime, stime, cutime, cstime (clock ticks)
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / CLK_TCK


def tree_cpu(pid: int | None = None) -> float:
    """CPU seconds (user + system) of process ``pid`` (default: this one) and of all its
    descendants: those still running, and those that ended and were waited for.

    Each process counts itself and its waited-for children (Linux's cutime and
    cstime), so a process is counted once whether it still runs or has ended."""
    root = os.getpid() if pid is None else pid
    procs: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            got = _proc_cpu(int(entry.name))
            if got is not None:
                procs[int(entry.name)] = got
    if root not in procs:  # no /proc: this process and its waited-for children only
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system
    children: dict[int, list[int]] = {}
    for p, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(p)
    total, todo = 0.0, [root]
    while todo:
        p = todo.pop()
        total += procs[p][1]
        todo.extend(children.get(p, ()))
    return total


def load() -> float:
    """The load average over the last minute."""
    return os.getloadavg()[0]


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meter:
    """Wall time, CPU time of the process tree and the load average over a ``with`` block.

    ``str(meter)`` is the figure line's tail: ``wall 12.3 s, CPU 23.1 s (tree), load 1.9-2.1``."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.load_start = self.load_end = 0.0

    def __enter__(self) -> Meter:
        self.load_start = load()
        self._cpu = tree_cpu()
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t
        self.cpu = tree_cpu() - self._cpu
        self.load_end = load()

    def __str__(self) -> str:
        return (
            f"wall {self.wall:.2f} s, CPU {self.cpu:.2f} s (process tree), "
            f"load {self.load_start:.1f}-{self.load_end:.1f}"
        )


def header(loop: bool = True) -> None:
    """One line on the machine and the code measured (see the module docstring)."""
    commit = _git("rev-parse", "--short", "HEAD") or "?"
    dirty = (
        " (uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    )
    lt = f"loop of 10 M additions {loop_time():.2f} CPU-s, " if loop else ""
    print(
        f"machine: {os.cpu_count()} cores, {lt}load {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
        f"Python {platform.python_version()}; commit {commit}{dirty}; "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        flush=True,
    )


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


# -- paired runs ---------------------------------------------------------------------------


@dataclass
class Figures:
    """How to read a benchmark's figures from its output, this release's and older ones'.

    ``patterns`` (one or several) match a figure line, with a group ``seconds`` (lower is
    better) or ``rate`` (higher is better) and optionally ``label`` (a line without one
    is ``default``). ``fallback`` maps a label this checkout prints to the label of the
    other revision to compare it with when that one does not print it (an older
    bench_batch wrote CSV only)."""

    patterns: str | tuple[str, ...]
    default: str = "run"
    fallback: dict[str, str] = field(default_factory=dict)

    def read(self, lines: list[tuple[str, float, float]]) -> dict[str, tuple[float, float, str]]:
        """label -> (value, CPU seconds since the previous output line, kind)."""
        pats = (self.patterns,) if isinstance(self.patterns, str) else self.patterns
        rxs = [re.compile(p) for p in pats]
        out: dict[str, tuple[float, float, str]] = {}
        prev_cpu = 0.0
        for text, _, cpu in lines:
            m = next((m for rx in rxs if (m := rx.search(text))), None)
            if m:
                groups = m.groupdict()
                label = groups.get("label") or self.default
                kind = "seconds" if groups.get("seconds") is not None else "rate"
                out[label] = (float(groups[kind].replace(",", "")), cpu - prev_cpu, kind)
            prev_cpu = cpu
        return out


def add_options(ap: argparse.ArgumentParser) -> None:
    """``--against REV`` and ``--pairs N`` (see the module docstring)."""
    ap.add_argument(
        "--against",
        metavar="REV",
        help="also run REV's own benchmark (a commit, branch or tag), alternated, and print "
        "the ratios",
    )
    ap.add_argument(
        "--pairs", type=int, default=MIN_PAIRS, help=f"paired runs with --against (>= {MIN_PAIRS})"
    )


@dataclass
class Run:
    """One run of a benchmark: its output lines with the time and tree CPU when each came."""

    who: str
    lines: list[tuple[str, float, float]]
    wall: float
    cpu: float
    load: tuple[float, float]
    code: int


def run_stamped(cmd: list[str], cwd: Path, who: str, echo: bool = True) -> Run:
    """Run ``cmd``, noting when each output line came and the process tree's CPU then."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VIRTUAL_ENV", None)
    load0 = load()
    t0 = time.perf_counter()
    p = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[tuple[str, float, float]] = []
    assert p.stdout is not None
    cpu = 0.0
    for line in p.stdout:
        cpu = max(cpu, tree_cpu(p.pid))
        lines.append((line.rstrip("\n"), time.perf_counter() - t0, cpu))
        if echo:
            print(f"    {who}| {line.rstrip()}", flush=True)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    total = ru.ru_utime + ru.ru_stime  # the process and every descendant it waited for
    return Run(
        who, lines, wall, max(total, cpu), (load0, load()), os.waitstatus_to_exitcode(status)
    )


def against(script: str, a: argparse.Namespace, figures: Figures) -> None:
    """Run this checkout's ``script`` and REV's, alternated, and print the ratios."""
    if a.pairs < MIN_PAIRS:
        raise SystemExit(f"--pairs: at least {MIN_PAIRS}")
    rev = resolve(a.against)
    name = Path(script).name
    tree, python = build_revision(rev)
    rev_script = tree / "benchmarks" / name
    if not rev_script.exists():
        raise SystemExit(f"--against: {rev[:7]} has no benchmarks/{name}")
    args = _passed_on(sys.argv[1:])
    rev_args, dropped = _known_to(python, rev_script, tree, args)
    rev_args = _own_keep(rev_args, rev[:7])
    hl = head_label()
    rev_label = rev[:7]
    header()
    print(f"paired runs: {hl} (this checkout) and {rev_label} ({tree}), {a.pairs} pairs")
    print(f"  {hl}: {sys.executable} benchmarks/{name} {' '.join(args)}")
    print(f"  {rev_label}: {python} benchmarks/{name} {' '.join(rev_args)}")
    if dropped:
        print(f"  options {rev_label}'s script does not know, left out there: {' '.join(dropped)}")
    head_cmd = [sys.executable, str(Path(script).resolve()), *args]
    rev_cmd = [str(python), str(rev_script), *rev_args]
    alternate((hl, head_cmd, REPO), (rev_label, rev_cmd, tree), a.pairs, figures)


Side = tuple[str, list[str], Path]  # (label, command, working folder)


def alternate(head: Side, rev: Side, pairs: int, figures: Figures, echo: bool = True) -> None:
    """Run the two commands in turn, ``pairs`` times (the order swapped in every other
    pair), print each pair's figures and their ratios, then the medians."""
    done: list[tuple[Run, Run]] = []
    for i in range(pairs):
        order = [head, rev] if i % 2 == 0 else [rev, head]
        got: dict[str, Run] = {}
        for label, cmd, cwd in order:
            print(f"pair {i + 1}/{pairs}: {label}", flush=True)
            got[label] = run_stamped(cmd, cwd, label, echo)
            if got[label].code != 0:
                tail = "\n".join(text for text, _, _ in got[label].lines[-20:])
                raise SystemExit(f"{label} failed (exit {got[label].code}):\n{tail}")
        done.append((got[head[0]], got[rev[0]]))
        _print_pair(i + 1, done[-1], figures, head[0], rev[0])
    _print_summary(done, figures, head[0], rev[0])


def resolve(rev: str) -> str:
    """The full commit id of ``rev`` in this repository."""
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if not sha:
        raise SystemExit(f"--against: no commit {rev!r} in {REPO}")
    return sha


def head_label() -> str:
    """How this checkout is called in paired runs."""
    dirty = "+" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return f"HEAD {_git('rev-parse', '--short', 'HEAD')}{dirty}"


def _print_pair(n: int, pair: tuple[Run, Run], figures: Figures, hl: str, rl: str) -> None:
    head, rev = pair
    hf, rf = figures.read(head.lines), figures.read(rev.lines)
    print(
        f"pair {n}: whole runs: {hl} {head.wall:.1f} s wall, {head.cpu:.1f} CPU-s, load "
        f"{head.load[0]:.1f}-{head.load[1]:.1f} | {rl} {rev.wall:.1f} s wall, {rev.cpu:.1f} "
        f"CPU-s, load {rev.load[0]:.1f}-{rev.load[1]:.1f}"
    )
    for label, (value, cpu, kind) in hf.items():
        other = rf.get(label) or rf.get(figures.fallback.get(label, ""))
        if other is None:
            print(f"  {label}: {hl} {_show(value, kind)} (CPU {cpu:.1f} s); {rl} has no figure")
            continue
        print(
            f"  {label}: {hl} {_show(value, kind)} (CPU {cpu:.1f} s) | {rl} "
            f"{_show(other[0], kind)} (CPU {other[1]:.1f} s) | ratio {_ratio(value, other[0], kind):.2f}",
            flush=True,
        )


def _print_summary(pairs: list[tuple[Run, Run]], figures: Figures, hl: str, rl: str) -> None:
    print(f"summary ({len(pairs)} pairs; ratio = {hl} time / {rl} time, below 1 is faster):")
    labels = list(dict.fromkeys(k for head, _ in pairs for k in figures.read(head.lines)))
    for label in labels:
        ratios, cpu_ratios, hv, rv = [], [], [], []
        kind = "seconds"
        for head, rev in pairs:
            hf, rf = figures.read(head.lines), figures.read(rev.lines)
            if label not in hf:
                continue
            other = rf.get(label) or rf.get(figures.fallback.get(label, ""))
            if other is None:
                continue
            value, cpu, kind = hf[label]
            ratios.append(_ratio(value, other[0], kind))
            if other[1] > 0:
                cpu_ratios.append(cpu / other[1])
            hv.append(value)
            rv.append(other[0])
        if not ratios:
            continue
        vs = label if label in figures.read(pairs[0][1].lines) else figures.fallback.get(label)
        cpu = f"; CPU ratio {statistics.median(cpu_ratios):.2f}" if cpu_ratios else ""
        print(
            f"  {label}{'' if vs == label else f' (against {rl} {vs})'}: median ratio "
            f"{statistics.median(ratios):.2f} (pairs: {', '.join(f'{r:.2f}' for r in ratios)}); "
            f"medians {hl} {_show(statistics.median(hv), kind)}, {rl} "
            f"{_show(statistics.median(rv), kind)}{cpu}"
        )
    walls = [h.cpu / r.cpu for h, r in pairs if r.cpu]
    loads = [x for h, r in pairs for x in (*h.load, *r.load)]
    print(
        f"  whole runs: CPU ratio median {statistics.median(walls):.2f}; load average during "
        f"the runs {min(loads):.1f}-{max(loads):.1f}"
    )


def _show(value: float, kind: str) -> str:
    return f"{value:.1f} s" if kind == "seconds" else f"{value:,.0f}/s"


def _ratio(head: float, rev: float, kind: str) -> float:
    """head time / rev time (for rates: rev rate / head rate)."""
    if kind == "seconds":
        return head / rev if rev else float("inf")
    return rev / head if head else float("inf")


def _passed_on(argv: list[str]) -> list[str]:
    """The command line without --against and --pairs."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--against", "--pairs"):
            skip = True
            continue
        if arg.startswith(("--against=", "--pairs=")):
            continue
        out.append(arg)
    return out


def _own_keep(args: list[str], label: str) -> list[str]:
    """``args`` with the folder of ``--keep DIR`` made ``DIR/LABEL``: each revision keeps
    its files apart (an older release opening a newer one's store, or the reverse, would
    measure a migration, or fail)."""
    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--keep" and i + 1 < len(out):
            out[i + 1] = str(Path(out[i + 1]) / label)
        elif arg.startswith("--keep="):
            out[i] = f"--keep={Path(arg.split('=', 1)[1]) / label}"
    return out


def _known_to(
    python: Path, script: Path, cwd: Path, args: list[str]
) -> tuple[list[str], list[str]]:
    """``args`` without the options ``script`` does not list in its --help (and their
    values), and those left out."""
    helptext = subprocess.run(
        [str(python), str(script), "--help"], cwd=cwd, capture_output=True, text=True
    ).stdout
    known = set(re.findall(r"(--[\w-]+)", helptext))
    kept, dropped = [], []
    i = 0
    while i < len(args):
        arg = args[i]
        opt = arg.split("=", 1)[0]
        takes_value = "=" not in arg and i + 1 < len(args) and not args[i + 1].startswith("--")
        if opt.startswith("--") and opt not in known:
            dropped += args[i : i + (2 if takes_value else 1)]
            i += 2 if takes_value else 1
            continue
        kept.append(arg)
        i += 1
    return kept, dropped


def cache_dir() -> Path:
    return Path(os.environ.get("SCREENER_BENCH_CACHE") or Path.home() / ".cache" / "screener-bench")


def build_revision(rev: str) -> tuple[Path, Path]:
    """(source folder, python) of commit ``rev``, exported and installed once (see the
    module docstring). Beside the folder, ``shared`` points to this checkout's
    ``../shared``, which benchmarks read."""
    base = cache_dir() / rev
    base.mkdir(parents=True, exist_ok=True)
    tree, venv = base / "src", base / "venv"
    python = venv / "bin" / "python"
    with _locked(base / ".lock"):
        if (base / "ready").exists():
            return tree, python
        print(f"building {rev[:7]} in {base} (once; kept for later runs)", flush=True)
        shutil.rmtree(tree, ignore_errors=True)
        shutil.rmtree(venv, ignore_errors=True)
        tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", rev],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shared = REPO.parent / "shared"
        link = base / "shared"
        if shared.is_dir() and not link.exists():
            link.symlink_to(shared)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        extras = _extras(tree)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-e", f"{tree}{extras}"],
            check=True,
        )
        (base / "ready").write_text(dt.datetime.now().isoformat() + "\n")
    return tree, python


def _extras(tree: Path) -> str:
    """The optional dependencies a benchmark may need (Dask, Parquet), when REV has them."""
    try:
        import tomllib

        project = tomllib.loads((tree / "pyproject.toml").read_text())["project"]
    except (OSError, KeyError, ValueError):
        return ""
    have = [x for x in ("dask", "parquet") if x in project.get("optional-dependencies", {})]
    return f"[{','.join(have)}]" if have else ""


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def timed(fn: Callable[[], object]) -> tuple[object, Meter]:
    """``fn()`` and the Meter of its call."""
    with Meter() as m:
        out = fn()
    return out, m
