"""Uploaded files to screen: saved in a new job's folder under a name of the server's
(the client's file name is shown, never used as a path), then screened by the
Screener in the jobs thread (:mod:`screener.api.jobs`) into the format asked for.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from starlette.datastructures import UploadFile

from screener.api.jobs import Job
from screener.api.server import Server
from screener.errors import InputError
from screener.screening.service import Screener

OUTPUTS = {
    "html": ("text/html; charset=utf-8", ".html"),
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "jsonl": ("application/x-ndjson", ".jsonl"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
INPUTS = {
    ".csv": ".csv",
    ".tsv": ".tsv",
    ".txt": ".txt",
    ".xlsx": ".xlsx",
    ".xlsm": ".xlsm",
    ".jsonl": ".jsonl",
    ".ndjson": ".ndjson",
    ".json": ".json",
}


def start_batch(srv: Server, form: Any) -> Job:
    """Save the uploaded file in a new job's folder, under a name of the server's, and
    queue the job (screening with the Screener, in the jobs thread)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputError('send the file to screen as the form field "file"')
    shown = _shown_name(upload.filename)
    suffix = INPUTS.get("." + shown.rsplit(".", 1)[-1].lower()) if "." in shown else None
    if suffix is None:
        raise InputError(
            f"{shown}: unknown file type; send .csv, .tsv, .txt, .xlsx, .jsonl or .json"
        )
    fmt = str(form.get("format") or "html").lower()
    if fmt not in OUTPUTS:
        raise InputError(f"unknown output format {fmt[:20]!r}; use html, csv, xlsx or jsonl")
    opts = {
        k: (str(form.get(k)).strip() or None) if form.get(k) is not None else None
        for k in ("column", "country_column", "sheet", "threshold")
    }
    media, ext = OUTPUTS[fmt]
    stem = shown.rsplit(".", 1)[0] or "screened"
    assert srv.jobs is not None
    job = srv.jobs.new(
        "batch",
        _batch_work,
        input_name=shown,
        media_type=media,
        download_name=f"{stem}.screened{ext}",
    )
    source = job.folder / f"input{suffix}"
    with source.open("wb") as out:
        upload.file.seek(0)
        while chunk := upload.file.read(1024 * 1024):
            out.write(chunk)
    job.output = job.folder / f"result{ext}"
    job.options = {"source": source, "screener": srv.s, **opts}
    return srv.jobs.submit(job)


def _batch_work(job: Job) -> dict[str, Any]:
    o = job.options
    s: Screener = o["screener"]
    assert job.output is not None
    summary = s.batch(
        o["source"],
        job.output,
        column=o["column"],
        country_column=o["country_column"],
        sheet=o["sheet"],
        threshold=o["threshold"],
        workers=1,
        input_name=job.input_name,
        options={"via": "screener serve"},
    )
    d = summary.to_dict()
    d.pop("output", None)  # a path of the server's
    return d


def _shown_name(filename: str) -> str:
    """The last part of a client's file name, sanitised: no folders, no control or
    formatting characters (a right-to-left override would disguise the extension), no
    leading dots, at most 120 characters. It is shown (the report's title, the run
    record, messages), never used as a path."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and unicodedata.category(c) != "Cf")
    return " ".join(name.split()).lstrip(".")[:120] or "upload"
