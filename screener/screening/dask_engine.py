"""The Dask engine of ``screener batch --engine dask``: a Dask cluster as the batch's
executor (:class:`DaskExecutor`); everything else is the local engine's one path.

    this process   reads the input in partitions (``PARTITION_ROWS`` rows), sends each
                   partition's names never sent before to the cluster (in tasks of
                   ``TASK_NAMES``, which every worker shares), and makes the
                   rows of each partition, in input order, once its names are back:
                   the service learns their matches, and the rows come from the
                   service's results (country and date-of-birth evidence, and the
                   stages, which read the store: ownership, reviewers' decisions)
                   through :class:`~screener.screening.batch.Engine`, as the local
                   engine's do; then the writers, the audit record and the sidecar of
                   every batch (:mod:`screener.screening.batch`)
    each worker    loads the index once, then screens the names of each task through
                   :func:`~screener.screening.executors.screen_chunk` (the local
                   engine's workers' code) and returns the compact matches of those
                   that have any

Each distinct name is screened once in the whole cluster, as the local engine screens
it once. Screening the names is nearly all of a batch's work; the rows and the stages
stay in this process because the stages read the store (decisions made by reviewers,
the ownership graph), which workers on other machines do not see.

**The index, once per worker.** A worker plugin (:class:`IndexPlugin`) carries the
index key and either the path of the index file beside the store (a local cluster,
or workers that share the file system) or the file's bytes (a ``--scheduler``
cluster: workers elsewhere need not see the store). Dask runs its ``setup`` once on
each worker, also on a worker that joins or replaces a lost one; the worker reads
the whole index into memory then. The file is opened read-only with the client's
key, so every worker screens with exactly the index the client prepared, and no
worker writes to the store. The workers of a local cluster are forked from this
process once it holds the index (where the system can fork), as the local engine's
are: they share it copy-on-write and start at once, without importing screener or
reading the index again (a spawned worker does both, which costs seconds each:
docs/benchmarks.md); a worker that replaces a lost one is spawned and reads the file.

**Failures.** A task that raises is retried (``RETRIES``); a worker that dies or is
lost has its tasks run again elsewhere by the scheduler, until a task has killed
``distributed.scheduler.allowed-failures`` workers. Results are deterministic, so a
retried partition gives the same rows. The output file appears only when every
partition is written (the writers' temporary file), so a failed run leaves nothing
behind. Ctrl-C (exit 130) and SIGTERM (exit 143) cancel the tasks and close the
client and the local cluster; the local cluster's processes ignore Ctrl-C (forked
ones SIGTERM too), as the local engine's workers do: this process decides.

**A scheduler that is not one.** Before the client connects to a ``--scheduler``
address (``tcp://``), this process opens the connection itself and waits for the
greeting a Dask scheduler sends at once (a small length-prefixed message): nothing
within ``HANDSHAKE_TIMEOUT`` seconds (an HTTP server waiting for a request), or bytes
that are no such greeting (a banner, an error page), is one error line and exit 2,
never a hang or an allocation of exabytes. Every blocking call to the cluster
(connecting, sending the index, asking for its workers) runs while this process
watches for Ctrl-C and SIGTERM, so both work in every phase.

**Deployments.** Without ``--scheduler`` a ``LocalCluster`` of ``workers`` processes
(default: every core), one thread each. With ``--scheduler ADDRESS`` any
dask.distributed deployment (``dask scheduler`` / ``dask worker``, dask-jobqueue,
dask-kubernetes, a Coiled or Saturn cluster...) given its scheduler's address; every
worker needs the same screener release installed.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
import pickle
import signal
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from screener import __version__
from screener.db.store import Store
from screener.errors import InputError, ScreenerError, Terminated
from screener.heap import collect_young
from screener.matching import index_file
from screener.matching.matcher import Matcher
from screener.screening.executors import Match, screen_chunk
from screener.screening.index_cache import cache_key, index_path, load_index, rebuild_index

try:
    from distributed import WorkerPlugin
except ImportError:  # pragma: no cover - the engine says how to install it
    WorkerPlugin = object  # type: ignore[assignment,misc]

PARTITION_ROWS = 50_000  # rows read at a time
# names per task: a partition's new names (most of the first partitions' rows) are shared
# among the workers, not screened by one while the others wait
TASK_NAMES = 2_000
RETRIES = 2  # more tries of a task that raised
CONNECT_TIMEOUT = 20.0  # seconds to reach a --scheduler and greet it
HANDSHAKE_TIMEOUT = 20.0  # seconds for a --scheduler's first bytes
SETUP_TIMEOUT = 300.0  # seconds to send the index to the workers and hear back
CLOSE_TIMEOUT = 10  # seconds to close the client and the local cluster
WAIT_STEP = 0.2  # seconds between looks for Ctrl-C or SIGTERM while a partition runs
_NONE: list[Match] = []  # the matches of every name without any
INSTALL_HINT = "pip install 'screener[dask]'"


class DaskError(ScreenerError):
    """The Dask cluster cannot be reached or used, or a partition kept killing workers."""


# -- on each worker ------------------------------------------------------------------------

_LOCK = threading.Lock()
_MATCHERS: dict[str, Matcher] = {}  # index key -> matcher over the whole index


def plugin_name(key: str) -> str:
    return f"screener-index-{key[:16]}"


class IndexPlugin(WorkerPlugin):
    """Loads the index of ``key`` into a worker when the worker starts (see the module
    docstring)."""

    def __init__(self, key: str, path: str, data: bytes | None, version: str = __version__):
        self.key, self.path, self.data, self.version = key, path, data, version
        self.name = plugin_name(key)
        self.local_directory: str | None = None

    def setup(self, worker: Any) -> None:
        self.local_directory = getattr(worker, "local_directory", None)
        matcher_of(self)

    def teardown(self, worker: Any) -> None:
        with _LOCK:
            _MATCHERS.pop(self.key, None)


def matcher_of(plugin: IndexPlugin) -> Matcher:
    """The matcher of the plugin's index in this process, loaded on first use."""
    with _LOCK:
        m = _MATCHERS.get(plugin.key)
        if m is None:
            m = _MATCHERS[plugin.key] = Matcher(_read_index(plugin))
            gc.freeze()  # the worker's collector never walks the index (see screener.heap)
        return m


def _read_index(p: IndexPlugin) -> Any:
    where = f"a Dask worker on {socket.gethostname()}"
    if p.version != __version__:
        raise DaskError(
            f"{where} runs screener {__version__}, this client {p.version}; "
            "install the same release on every worker"
        )
    if p.data is None:
        idx = index_file.open_index(Path(p.path), p.key, lazy=False)
        if idx is None:
            raise DaskError(
                f"{where} cannot read the index {p.path} (not on its file system, "
                "or built for other lists); give --scheduler to send it the "
                "index"
            )
        return idx
    folder = p.local_directory or tempfile.gettempdir()
    fd, name = tempfile.mkstemp(prefix="screener-", suffix=".index", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(p.data)
        idx = index_file.open_index(Path(name), p.key, lazy=False)
    finally:
        Path(name).unlink(missing_ok=True)
    if idx is None:
        raise DaskError(f"{where} cannot read the index sent to it")
    return idx


def screen_names(key: str, floor: float, payload: bytes) -> dict[str, list[Match]]:
    """The task: the compact matches of names of one partition never screened before
    (up to ``TASK_NAMES``), for those that have any (most names have none, and go back as nothing).

    The names come pickled in ``payload``: Dask walks every list given to a task looking
    for futures, which costs more than screening them."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(plugin_name(key))
    if plugin is None:
        raise DaskError("a Dask worker has no screener index; was the run's client closed?")
    todo = pickle.loads(payload)
    found = screen_chunk(matcher_of(cast(IndexPlugin, plugin)), todo, floor)
    collect_young()  # a forked worker inherits the batch's collector, paused (screener.heap)
    return {n: m for n, m in zip(todo, found) if m}


# -- in this process -----------------------------------------------------------------------


class DaskExecutor:
    """A Dask cluster as the batch's executor (:class:`~screener.screening.executors.Executor`):
    ``submit`` sends a partition's new names in tasks and returns their futures;
    ``result`` waits for them, watching for Ctrl-C and SIGTERM."""

    def __init__(
        self,
        store: Store,
        m: Matcher,
        floor: float,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
    ):
        if WorkerPlugin is object:
            raise InputError(f"--engine dask needs dask.distributed: {INSTALL_HINT}")
        if scheduler is not None and workers is not None:
            raise InputError(
                "--workers sets the size of the local Dask cluster; a --scheduler "
                "cluster has its own workers"
            )
        self.m, self.floor, self.scheduler = m, floor, scheduler
        self.n_workers = None if scheduler else (workers or os.cpu_count() or 1)
        self.key, path = prepare_index(store)
        data = path.read_bytes() if scheduler else None
        self.plugin = IndexPlugin(self.key, str(path), data)
        self.chunk_rows = PARTITION_ROWS
        self.ahead = 2
        self.client: Any = None
        self.cluster: Any = None
        self._futures: set[Any] = set()
        self._n = 0
        self._lent = False  # this process's matcher is in _MATCHERS for forked workers
        self._signals = _Deferred()

    def describe(self) -> dict[str, Any]:
        """What the audit record and the sidecar say about the engine."""
        return {
            "name": "dask",
            "scheduler": self.scheduler or "local cluster",
            "workers": self.n_workers,
            "index": "sent as bytes"
            if self.plugin.data is not None
            else f"read from {self.plugin.path}",
        }

    def __enter__(self) -> DaskExecutor:
        self._signals.install()
        try:
            self._connect()
            self._call(
                "send the index to the workers",
                SETUP_TIMEOUT,
                self.client.register_plugin,
                self.plugin,
                name=self.plugin.name,
            )
            info = self._call("ask for the workers", CONNECT_TIMEOUT, self.client.scheduler_info)
            workers = len(info.get("workers", {})) or 1
        except BaseException:
            try:
                self._close()
            finally:
                self._signals.restore()  # no __exit__ follows a failed __enter__
            raise
        self.ahead = max(2, 2 * workers)
        return self

    def _call(self, what: str, limit: float, fn: Any, /, *args: Any, **kw: Any) -> Any:
        """``fn(*args, **kw)`` in a thread, while this one watches for Ctrl-C and SIGTERM
        (:class:`_Deferred`) and for ``limit`` seconds; any failure of the cluster is a
        :class:`DaskError` naming ``what`` was being done."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["value"] = fn(*args, **kw)
            except BaseException as e:  # handed to the watching thread
                box["error"] = e
            finally:
                done.set()

        threading.Thread(target=run, daemon=True, name="screener-dask-call").start()
        deadline = time.monotonic() + limit
        while not done.wait(WAIT_STEP):
            self._signals.check()
            if time.monotonic() > deadline:
                raise DaskError(
                    f"the Dask cluster at {self.scheduler or 'this machine'} did not "
                    f"{what} within {limit:g} s"
                )
        self._signals.check()
        e = box.get("error")
        if isinstance(e, ScreenerError):
            raise e
        if e is not None:
            raise DaskError(
                f"the Dask cluster at {self.scheduler or 'this machine'} failed to {what}: "
                f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
            ) from None
        return box.get("value")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._close()
        finally:
            self._signals.restore()
        if exc_type is None:
            self._signals.check()  # a Ctrl-C while closing still ends the run

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            import dask

            forked = "fork" in mp.get_all_start_methods()
            if forked:  # the workers find the index in the memory they inherit
                _MATCHERS[self.key] = self.m
                self._lent = True
            how = {"distributed.worker.multiprocessing-method": "fork"} if forked else {}
            with _no_ctrl_c_in_children(), dask.config.set(how):
                self.cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self.cluster)  # type: ignore[no-untyped-call]
            return
        greet(self.scheduler, self._signals)
        self.client = self._call(
            "accept this client",
            CONNECT_TIMEOUT + 5,
            Client,
            self.scheduler,
            timeout=f"{CONNECT_TIMEOUT:g}s",
        )

    def submit(self, names: Sequence[str]) -> tuple[Sequence[str], list[Any]]:
        """Send ``names`` (a partition's names never sent before: each distinct name is
        screened once in the whole run) to the cluster, in tasks of ``TASK_NAMES``."""
        self._signals.check()
        futures = []
        if names:
            self._n += 1
            for i in range(0, len(names), TASK_NAMES):
                payload = pickle.dumps(list(names[i : i + TASK_NAMES]), pickle.HIGHEST_PROTOCOL)
                fut = self.client.submit(
                    screen_names,
                    self.key,
                    self.floor,
                    payload,
                    retries=RETRIES,
                    pure=False,
                    priority=-self._n,
                )
                self._futures.add(fut)
                futures.append(fut)
        return names, futures

    def result(self, ticket: tuple[Sequence[str], list[Any]]) -> list[list[Match]]:
        """The matches of the names of a ticket, in order, once they are back."""
        from distributed import KilledWorker

        names, futures = ticket
        new: dict[str, list[Match]] = {}
        for fut in futures:
            done = threading.Event()
            fut.add_done_callback(lambda _, done=done: done.set())
            try:
                while not done.wait(WAIT_STEP):
                    self._signals.check()
                self._signals.check()
                new.update(fut.result())
            except KilledWorker:
                raise DaskError(
                    f"a partition of the input killed {_killed()} Dask workers "
                    "(out of memory?); the run is abandoned"
                ) from None
            finally:
                self._futures.discard(fut)
                fut.release()
        return [new.get(n) or _NONE for n in names]

    def _close(self) -> None:
        """Cancel what is still running, then close the client and the local cluster."""
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        try:
            if client is not None:
                if self._futures:
                    client.cancel(list(self._futures), force=True)
                    self._futures.clear()
                if cluster is None:  # a shared cluster: free the workers' memory
                    try:
                        client.unregister_worker_plugin(self.plugin.name)
                    except Exception:
                        pass
                client.close(timeout=CLOSE_TIMEOUT)
        finally:
            if cluster is not None:
                cluster.close(timeout=CLOSE_TIMEOUT)
            if self._lent:
                _MATCHERS.pop(self.key, None)
                self._lent = False


def greet(address: str, signals: _Deferred, timeout: float | None = None) -> None:
    """Check that a Dask scheduler answers at a ``tcp://`` ``address`` (see the module
    docstring): connect, and read the greeting it sends unasked, an 8-byte length and
    that many bytes. Ctrl-C and SIGTERM are honoured while waiting."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme != "tcp":
        return  # tls://, ws://...: the client's own timeouts apply
    host, colon, port = rest.rstrip("/").rpartition(":")
    if not colon or not port.isdigit():
        raise DaskError(f"{address} is not a Dask scheduler address (tcp://HOST:PORT)")
    host = host.strip("[]")
    timeout = HANDSHAKE_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    where = f"the Dask scheduler at {address}"

    def left() -> float:
        signals.check()
        t = deadline - time.monotonic()
        if t <= 0:
            raise DaskError(
                f"{where}: nothing answered as a Dask scheduler within {timeout:g} s "
                "(is it a Dask scheduler?)"
            )
        return min(t, WAIT_STEP)

    sock = None
    try:
        while sock is None:
            try:
                sock = socket.create_connection((host, int(port)), timeout=left())
            except TimeoutError:
                continue
        got = b""
        need = 8
        while len(got) < need:
            sock.settimeout(left())
            try:
                chunk = sock.recv(need - len(got))
            except TimeoutError:
                continue
            if not chunk:
                raise DaskError(f"{where}: the peer closed the connection: not a Dask scheduler")
            got += chunk
            if len(got) == 8 and need == 8:
                (size,) = struct.unpack("<Q", got)
                if not 0 < size <= 1 << 20:
                    shown = got.decode("latin-1").encode("unicode_escape").decode()
                    raise DaskError(f"{where} answers {shown!r}...: not a Dask scheduler")
                need = 8 + size
    except OSError as e:
        raise DaskError(f"cannot reach {where}: {e.strerror or e}") from None
    finally:
        if sock is not None:
            sock.close()


def prepare_index(store: Any) -> tuple[str, Path]:
    """The index key and file of the store's active lists, built now if need be (or again,
    when the file fails its CRC: the workers read it whole)."""
    load_index(store, lazy=True)  # builds and saves the file when it is not current
    key, path = cache_key(store.require_lists()), index_path(store)
    try:
        crc, stored = index_file.file_crc(path)
    except OSError:
        crc, stored = 0, 1
    if crc != stored:
        rebuild_index(store, lazy=True)
    idx = index_file.open_index(path, key, lazy=True)
    if idx is not None and hasattr(idx, "conn"):
        idx.conn().close()
    if idx is None:
        raise InputError(
            f"{path}: the index file beside the store cannot be written; the "
            "dask engine sends it to the workers, so it needs it"
        )
    return key, path


def _killed() -> int:
    import dask

    return int(dask.config.get("distributed.scheduler.allowed-failures", 3)) + 1


class _Deferred:
    """Ctrl-C and SIGTERM noted, then raised where the engine checks for them.

    Python raises KeyboardInterrupt wherever the main thread is; inside a finalizer
    (``__del__`` of a Dask future, run by the garbage collector) it is printed and
    dropped, and the run would go on. So while the engine runs, the signals only set a
    flag, and :meth:`check` (between partitions, and every ``WAIT_STEP`` while one is
    awaited) raises KeyboardInterrupt or :class:`~screener.errors.Terminated`."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self._old: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            old = signal.getsignal(sig)
            if old in (signal.SIG_IGN, None):
                continue  # ignored (a background job): stays ignored
            self._old[sig] = old
            signal.signal(sig, self._note)

    def _note(self, signum: int, frame: Any) -> None:
        self.pending = signum

    def check(self) -> None:
        signum, self.pending = self.pending, None
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        if signum == signal.SIGTERM:
            raise Terminated()

    def restore(self) -> None:
        while self._old:
            sig, old = self._old.popitem()
            signal.signal(sig, old)


class _no_ctrl_c_in_children:
    """Processes started inside ignore SIGINT (a terminal's Ctrl-C reaches the whole
    process group): this process handles it and closes the cluster."""

    def __enter__(self) -> None:
        self._old: Any = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
