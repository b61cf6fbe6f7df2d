"""List refresh: download each source, check it, keep every version; diff; staleness.

:func:`update` runs, for each source, one of

* a download of its official URL(s) from ``lists/sources.yaml`` (or the overrides
  in ``urls`` / the config file) into a temporary folder: ``urls`` are alternatives
  tried in order (CSL: CSV, then JSON), ``files`` are all needed (OFAC's set);
* or ``from_file``: a file or folder the user downloaded by hand.

The files then pass the same checks: not an HTML page, not empty (both in
:mod:`screener.lists.download`), not truncated (:func:`check_complete`), parseable by the
source's importer with its expected columns, at least ``min_entities`` entries, and
not fewer than ``1 - max_drop`` of the previous version's entries unless ``force``.
The import and the last two checks run in one store transaction, so a refused or
failed update leaves the previous version active and the store as it was. Each
source's result is an :class:`UpdateOutcome`; one source failing does not stop the
others. Bytes identical to the active version, or a 304 answer to a conditional
request, are ``unchanged``.

The checks are in :mod:`screener.lists.checks`; comparing versions is
:mod:`screener.lists.diff`; how old each list is, :mod:`screener.lists.freshness`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from screener.db.http_cache import cached_validators, save_validators
from screener.db.store import ImportCheck, ImportResult, Store
from screener.errors import InputError, ScreenerError, UpdateError
from screener.lists import catalog
from screener.lists.checks import Refused, check_complete, import_checks
from screener.lists.download import Downloader, Fetched
from screener.lists.registry import registry, source_settings
from screener.settings import Config, load_config


@dataclass
class UpdateOutcome:
    """What happened to one source: ``loaded``, ``unchanged`` or ``failed``."""

    source_id: str
    status: str
    version_id: int | None = None  # the new version, or the active one
    entities: int | None = None
    previous_version: int | None = None
    origin: str | None = None
    message: str = ""  # why it failed
    notice: str | None = None  # licence terms the user should read (sources.yaml)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def download_plan(
    source_id: str, entry: dict[str, Any], override: list[str] | None = None
) -> tuple[list[str], list[str], bool]:
    """(URLs, local file names, all_needed) for one source.

    ``all_needed`` is true for a multi-file source (every URL is one of its files),
    false when the URLs are alternatives for one file.
    """
    files, alternatives = entry.get("files") or [], entry.get("urls") or []
    official = files or alternatives
    if files:
        names = [_basename(u).lower() for u in files]
        if override and len(override) == 1 and override[0].endswith("/"):
            return [override[0] + n for n in names], names, True
        if override and len(override) != len(files):
            raise InputError(
                f"{source_id}: needs {len(files)} URLs, one for each of {', '.join(names)}, "
                "or one folder URL ending in '/'"
            )
        return list(override or files), names, True
    urls = list(override or alternatives)
    if not urls:
        raise InputError(
            f"{source_id}: has no download URL; give one with --url "
            f"{source_id}=URL or load a file with --from-file"
        )
    fallback = _basename(official[0]) if official else "list.csv"
    return urls, [_basename(u) if "." in _basename(u) else fallback for u in urls], False


def _basename(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "download"


# -- update -----------------------------------------------------------------------
def update(
    store: Store,
    source_ids: Iterable[str] | None = None,
    *,
    urls: Mapping[str, str | list[str]] | None = None,
    from_file: Path | str | None = None,
    force: bool = False,
    transport: httpx.BaseTransport | None = None,
    config: Config | None = None,
    sleep: Callable[[float], None] | None = None,
    retries: int | None = None,
) -> list[UpdateOutcome]:
    """Update each source (default: every registry source with a URL, but those marked
    ``default_update: false``: a closed list, or a document that never changes).

    ``urls`` overrides the download URLs per source (on top of the config file's);
    ``config`` defaults to :func:`screener.settings.load_config`. Unknown source ids
    and bad options raise :class:`InputError` before anything is fetched; a source
    that fails is reported in its outcome, and the others go on.
    """
    config = config if config is not None else load_config()
    reg = registry()
    ids = list(
        source_ids
        or [
            s
            for s, e in reg.items()
            if (e.get("urls") or e.get("files")) and e.get("default_update", True)
        ]
    )
    if from_file is not None and len(ids) != 1:
        raise InputError(
            "--from-file loads one source: name it, e.g. "
            "`screener lists update csl --from-file consolidated.csv`"
        )
    overrides = {
        **config.urls,
        **{k: [v] if isinstance(v, str) else list(v) for k, v in (urls or {}).items()},
    }
    for sid in [*ids, *(urls or {})]:
        if not source_settings(sid, config, store).get("format"):
            known = ", ".join(s for s, e in reg.items() if e.get("urls") or e.get("files"))
            raise InputError(f"unknown source '{sid}' (known: {known})")
    plans = {}
    for sid in ids:
        entry = source_settings(sid, config, store)
        if from_file is None and entry.get("bundled") and sid not in overrides:
            raise InputError(
                f"{sid}: is bundled with screener and updated with it; "
                "use --from-file or --url to load another copy"
            )
        if from_file is None:
            plans[sid] = download_plan(sid, entry, overrides.get(sid))
    given = {
        "transport": transport,
        "sleep": sleep,
        "retries": retries,
        "deadline": config.download_deadline,
    }
    kwargs: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    outcomes = []
    with Downloader(**kwargs) as dl:
        for sid in ids:
            entry = source_settings(sid, config, store)
            try:
                if from_file is not None:
                    outcome = _from_file(store, sid, entry, Path(from_file), force)
                else:
                    outcome = _download(store, sid, entry, plans[sid], dl, force)
            except (ScreenerError, OSError) as e:
                outcome = UpdateOutcome(sid, "failed", message=_message(e))
                outcome.version_id = (store.source(sid) or {}).get("active_version")
            outcome.notice = entry.get("notice")
            outcomes.append(outcome)
    return outcomes


def _from_file(
    store: Store, sid: str, entry: dict[str, Any], path: Path, force: bool
) -> UpdateOutcome:
    for f in catalog.list_files(path):
        check_complete(f)
    try:
        r = catalog.import_list_file(
            store,
            path,
            entry["format"],
            sid,
            origin=f"file:{path}",
            checks=import_checks(sid, entry, force),
        )
    except InputError as e:
        raise UpdateError(str(e)) from None
    return _outcome(r, f"file:{path}")


def _download(
    store: Store,
    sid: str,
    entry: dict[str, Any],
    plan: tuple[list[str], list[str], bool],
    dl: Downloader,
    force: bool,
) -> UpdateOutcome:
    urls, names, all_needed = plan
    page = bool(entry.get("page"))  # the list is an HTML page (the FCC Covered List)
    active = (store.source(sid) or {}).get("active_version")
    checks = import_checks(sid, entry, force)
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="screener-") as tmp:
        folder = Path(tmp)
        if all_needed:
            fetched = _fetch_set(store, dl, urls, names, folder, active, page)
            if fetched is None:
                return UpdateOutcome(sid, "unchanged", active, origin=" ".join(urls))
            r = _import(store, sid, entry, folder, folder, " ".join(urls), checks)
            save_validators(store, sid, r.version_id, fetched)
            return _outcome(r, " ".join(urls))
        for url, name in zip(urls, names):
            sub = folder / str(len(errors))
            sub.mkdir()
            try:
                f = _fetch(store, dl, url, sub / name, active, page)
                if f.not_modified:
                    return UpdateOutcome(sid, "unchanged", active, origin=url)
                r = _import(store, sid, entry, sub / name, sub, url, checks)
            except Refused:
                raise
            except UpdateError as e:
                errors.append(str(e))
                continue
            save_validators(store, sid, r.version_id, [f])
            return _outcome(r, url)
    raise UpdateError(
        errors[0] if len(errors) == 1 else f"all {len(errors)} URLs failed: " + "; ".join(errors)
    )


def _fetch(
    store: Store, dl: Downloader, url: str, dest: Path, active: int | None, page: bool = False
) -> Fetched:
    validators = cached_validators(store, url, active)
    f = dl.fetch(url, dest, **validators, page=page)
    if f.not_modified and not validators:
        raise UpdateError(f"{url}: the server answered 304 Not Modified to a plain request")
    return f


def _fetch_set(
    store: Store,
    dl: Downloader,
    urls: list[str],
    names: list[str],
    folder: Path,
    active: int | None,
    page: bool = False,
) -> list[Fetched] | None:
    """Every file of a multi-file source; None when each one is unchanged."""
    fetched = [_fetch(store, dl, u, folder / n, active, page) for u, n in zip(urls, names)]
    if all(f.not_modified for f in fetched):
        return None
    # Some files changed: the unchanged ones are needed too, so fetch them in full.
    return [dl.fetch(f.url, folder / n) if f.not_modified else f for f, n in zip(fetched, names)]


def _import(
    store: Store,
    sid: str,
    entry: dict[str, Any],
    path: Path,
    folder: Path,
    origin: str,
    checks: list[ImportCheck],
) -> ImportResult:
    where = origin if path != folder else "downloaded files"
    try:
        for f in catalog.list_files(path):
            check_complete(f)
        return catalog.import_list_file(
            store,
            path,
            entry["format"],
            sid,
            origin=origin,
            checks=checks,
            downloaded=datetime.now(UTC).date().isoformat(),
        )
    except InputError as e:
        text = str(e).replace(f"{path}: ", "").replace(f"{folder}{os.sep}", "")
        raise UpdateError(f"{where}: {text}") from None


def _outcome(r: ImportResult, origin: str) -> UpdateOutcome:
    return UpdateOutcome(
        r.source_id, r.status, r.version_id, r.entities, r.previous_version, origin
    )


def _message(e: BaseException) -> str:
    if isinstance(e, OSError):
        return f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")
    return str(e)
