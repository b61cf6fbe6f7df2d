"""A writer's work in a process of its own, fed as the rows are made.

A large output's rendering (XLSX: every cell as XML, then the compressed workbook) takes
as much CPU as the rest of the batch's main process. In a forked process of its own it
runs beside the screening, on a core the main process leaves, and its memory is not the
main process's. :class:`WriterProcess` makes an object there and calls its methods in
order: :meth:`~WriterProcess.send` without waiting (a thread of the child takes every
message off the pipe at once, so the caller never waits for the rendering, and the work
not yet done waits in the child's memory), :meth:`~WriterProcess.call` waiting for the
answer. :class:`InProcess` is the same interface in this process (no fork on this
platform, or a small output).

The child ignores Ctrl-C and SIGTERM (the caller decides, and kills it with
:meth:`~WriterProcess.abort`) and ends when its caller goes away. A method that raises
in the child, or a child that dies (out of memory, killed), is one :class:`WriterError`
in the caller, with the child's message and no traceback.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from screener.errors import ScreenerError
from screener.heap import collect_young

_PARENT_CHECK = 1.0  # seconds between the child's checks that its caller is still there


class WriterError(ScreenerError):
    """A writer's process failed or died; the output is not written."""


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


class InProcess:
    """An object's methods called here, as :class:`WriterProcess` calls them there."""

    def __init__(self, what: str, make: Callable[..., Any], *args: Any):
        self.obj = make(*args)

    def send(self, method: str, *args: Any) -> None:
        getattr(self.obj, method)(*args)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.obj, method)(*args)

    def close(self) -> None:
        pass

    def abort(self, method: str) -> None:
        getattr(self.obj, method)()


class WriterProcess:
    """``make(*args)`` in a forked process, its methods called there in order; ``what``
    names it in errors ("the XLSX writer")."""

    def __init__(self, what: str, make: Callable[..., Any], *args: Any):
        self.what = what
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(child, os.getpid(), make, args), daemon=True, name=what
        )
        self._proc.start()
        child.close()

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def send(self, method: str, *args: Any) -> None:
        """Call ``method`` there; do not wait for it."""
        self._post(method, args, reply=False)

    def call(self, method: str, *args: Any) -> Any:
        """Call ``method`` there, after everything sent before, and return its answer."""
        self._post(method, args, reply=True)
        while not self._conn.poll(0.2):
            if not self._proc.is_alive() and not self._conn.poll(0):
                raise self._died()
        return self._answer()

    def close(self) -> None:
        """The work is done: the process ends."""
        self._conn.close()
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)

    def abort(self, method: str) -> None:
        """End the process now (an error, an interrupt); ``method`` is what an object in
        this process would be told (its files are the caller's to remove)."""
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(5)
        self._conn.close()

    def _post(self, method: str, args: tuple[Any, ...], reply: bool) -> None:
        if self._conn.poll(0):  # the child said something unasked: it failed, or is gone
            self._answer()
        data = pickle.dumps((method, args, reply), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._conn.send_bytes(data)
        except OSError:
            raise self._died() from None

    def _answer(self) -> Any:
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            raise self._died() from None
        if kind == "error":
            self._proc.join(5)
            raise WriterError(f"{self.what} failed: {value}")
        return value

    def _died(self) -> WriterError:
        self._proc.join(5)
        code = self._proc.exitcode
        how = (
            f"killed by signal {-code}"
            if code is not None and code < 0
            else f"exit code {code}"
            if code is not None
            else "no answer"
        )
        return WriterError(f"{self.what} process died ({how}; out of memory, or killed)")


def _serve(conn: Connection, parent: int, make: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child: calls the methods the caller sends, in order, until it closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C...
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # ...and SIGTERM, and kills us
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def receive() -> None:
        try:
            while True:
                while not conn.poll(_PARENT_CHECK):
                    if os.getppid() != parent:  # the caller died without closing
                        inbox.put(None)
                        return
                inbox.put(conn.recv_bytes())
        except (EOFError, OSError):
            inbox.put(None)

    threading.Thread(target=receive, daemon=True, name="screener-inbox").start()
    try:
        obj = make(*args)
        while (data := inbox.get()) is not None:
            method, call_args, reply = pickle.loads(data)
            del data
            answer = getattr(obj, method)(*call_args)
            if reply:
                conn.send(("ok", answer))
            collect_young()
    except BaseException as e:  # said once, by the caller, without a traceback
        try:
            conn.send(("error", str(e) or type(e).__name__))
        except OSError:
            pass
        os._exit(1)
    os._exit(0)
