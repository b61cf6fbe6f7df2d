"""The server's background jobs: batch screenings of uploaded files, list updates.

One worker thread runs the jobs one after another: a batch takes the whole index and
a core, and two at once would only share them. Each job has a random id, the only
handle a client gets (no part of a request ever names a file), a folder of its own
under the server's temporary folder (``screener-serve-*``, removed when the server
stops), and a status: ``queued``, ``running``, ``done`` or ``failed``. The server
keeps the last :data:`MAX_JOBS` jobs; the files of older ones are removed.

With ``serve --workers N`` the workers share one temporary folder: a job's state is
also written to ``job.json`` in its folder, so that any worker can answer for a job
another one runs (a client's next request may reach any of them).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener.db.store import now_iso
from screener.errors import ScreenerError

MAX_JOBS = 100
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Job:
    """One job; ``work`` runs in the jobs thread and returns the summary."""

    id: str
    kind: str  # "batch" or "lists-update"
    folder: Path
    work: Callable[[Job], dict[str, Any]]
    input_name: str | None = None  # the name the client gave its file: shown, never opened
    output: Path | None = None  # the result file, inside ``folder``
    media_type: str | None = None
    download_name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # what ``work`` needs
    status: str = "queued"
    created_at: str = field(default_factory=now_iso)
    started_at: str | None = None
    finished_at: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "kind": self.kind,
            "status": self.status,
            "input": self.input_name,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "summary": self.summary,
            "error": self.error,
        }


class Jobs:
    """The queue of jobs and the thread that runs them."""

    def __init__(self, root: str | Path | None = None, max_jobs: int = MAX_JOBS):
        """Jobs in a new temporary folder, or in ``root``, a folder shared by the
        workers of one server (its owner removes it)."""
        self.shared = root is not None
        self.root = (
            Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="screener-serve-"))
        )
        self.max_jobs = max_jobs
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="screener-jobs", daemon=True)
        self._thread.start()

    def new(self, kind: str, work: Callable[[Job], dict[str, Any]], **kw: Any) -> Job:
        """A job with its own empty folder, not yet queued (save its input first)."""
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir()
        return Job(job_id, kind, folder, work, **kw)

    def submit(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            self._prune()
        self._save(job)
        self._queue.put(job)
        return job

    def _save(self, job: Job) -> None:
        """The job's state in its folder, for the other workers (written whole, then
        renamed)."""
        if not self.shared:
            return
        state = {
            **job.to_dict(),
            "output": job.output.name if job.output else None,
            "media_type": job.media_type,
            "download_name": job.download_name,
        }
        tmp = job.folder / "job.json.tmp"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, job.folder / "job.json")

    def _load(self, job_id: str) -> Job | None:
        """A job another worker runs, as its ``job.json`` says (None if none)."""
        if not self.shared:
            return None
        folder = self.root / job_id
        try:
            state = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        job = Job(job_id, state["kind"], folder, _elsewhere, input_name=state["input"])
        job.status, job.created_at = state["status"], state["created_at"]
        job.started_at, job.finished_at = state["started_at"], state["finished_at"]
        job.summary, job.error = state["summary"], state["error"]
        job.output = folder / state["output"] if state.get("output") else None
        job.media_type, job.download_name = state["media_type"], state["download_name"]
        return job

    def get(self, job_id: str, kind: str) -> Job | None:
        """The job of that id and kind; None for anything else (an id is never a path)."""
        if not JOB_ID.match(job_id):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            job = self._load(job_id)
        return job if job is not None and job.kind == kind else None

    def close(self) -> None:
        """Stop taking jobs and remove every job's files (a job still running is left
        to end with the process)."""
        self._queue.put(None)
        self._thread.join(timeout=2)
        if not self.shared:
            shutil.rmtree(self.root, ignore_errors=True)

    def _prune(self) -> None:
        while len(self._jobs) > self.max_jobs:
            old = next((j for j in self._jobs.values() if j.finished), None)
            if old is None:
                return
            del self._jobs[old.id]
            shutil.rmtree(old.folder, ignore_errors=True)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            job.status, job.started_at = "running", now_iso()
            self._save(job)
            try:
                job.summary = job.work(job)
                job.status = "done"
            except ScreenerError as e:
                job.error, job.status = public_message(str(e), job), "failed"
            except Exception as e:
                job.error, job.status = f"the job failed: {type(e).__name__}", "failed"
            job.finished_at = now_iso()
            self._save(job)


def _elsewhere(job: Job) -> dict[str, Any]:
    raise AssertionError("a job another worker runs is never run here")


def public_message(message: str, job: Job) -> str:
    """An error message for the client: the job's folder is not its business, its file
    is the name it gave."""
    for path in sorted((p for p in job.folder.iterdir()), key=lambda p: -len(str(p))):
        message = message.replace(str(path), job.input_name or path.name)
    return message.replace(str(job.folder), "").replace(str(job.folder.parent), "")
