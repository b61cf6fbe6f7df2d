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

:func:`diff` compares two versions of a source entity by entity (keyed by id);
:func:`stale_sources` and :func:`require_fresh` tell screening which active lists
are older than their ``max_age_days``.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from screener.db.http_cache import cached_validators, save_validators
from screener.db.store import ImportCheck, ImportResult, Store
from screener.errors import InputError, ListsError, ScreenerError, UpdateError
from screener.lists import catalog
from screener.lists.download import Downloader, Fetched
from screener.lists.registry import registry
from screener.model import Entity, ParsedList
from screener.settings import Config, load_config

DEFAULT_MAX_DROP = 0.2  # when neither sources.yaml nor the config gives max_drop
DIFF_FIELDS = ("name", "aliases", "schema", "sub_list", "citation", "listed_on", "end_date",
               "license_requirement", "license_policy", "addresses", "programs",
               "countries")  # fmt: skip


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


class _Refused(UpdateError):
    """A check refused the new copy; another URL for the same list would not help."""


# -- settings ---------------------------------------------------------------------
def source_settings(
    source_id: str, config: Config | None = None, store: Store | None = None
) -> dict[str, Any]:
    """The registry entry of ``source_id`` with the config's limits applied.

    A source that is not in the registry but is in the store (a list imported with
    ``lists import``) gets its format from the store and no limits.
    """
    entry = dict(registry().get(source_id) or {})
    if not entry and store is not None and (row := store.source(source_id)):
        entry = {"id": source_id, "format": row["format"], "name": row["name"]}
    if config and source_id in config.sources:
        entry.update(config.sources[source_id])
    return entry


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
        raise InputError(f"{source_id}: has no download URL; give one with --url "
                         f"{source_id}=URL or load a file with --from-file")  # fmt: skip
    fallback = _basename(official[0]) if official else "list.csv"
    return urls, [_basename(u) if "." in _basename(u) else fallback for u in urls], False


def _basename(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "download"


# -- update -----------------------------------------------------------------------
def update(
    store: Store,
    source_ids: Iterable[str] | None = None,
    *,
    urls: dict[str, str | list[str]] | None = None,
    from_file: Path | str | None = None,
    force: bool = False,
    transport: httpx.BaseTransport | None = None,
    config: Config | None = None,
    sleep: Callable[[float], None] | None = None,
    retries: int | None = None,
) -> list[UpdateOutcome]:
    """Update each source (default: every registry source with a URL).

    ``urls`` overrides the download URLs per source (on top of the config file's);
    ``config`` defaults to :func:`screener.settings.load_config`. Unknown source ids
    and bad options raise :class:`InputError` before anything is fetched; a source
    that fails is reported in its outcome, and the others go on.
    """
    config = config if config is not None else load_config()
    reg = registry()
    ids = list(source_ids or [s for s, e in reg.items() if e.get("urls") or e.get("files")])
    if from_file is not None and len(ids) != 1:
        raise InputError("--from-file loads one source: name it, e.g. "
                         "`screener lists update csl --from-file consolidated.csv`")  # fmt: skip
    overrides = {**config.urls, **{k: [v] if isinstance(v, str) else list(v)
                                   for k, v in (urls or {}).items()}}  # fmt: skip
    for sid in [*ids, *(urls or {})]:
        if not source_settings(sid, config, store).get("format"):
            known = ", ".join(s for s, e in reg.items() if e.get("urls") or e.get("files"))
            raise InputError(f"unknown source '{sid}' (known: {known})")
    plans = {}
    for sid in ids:
        entry = source_settings(sid, config, store)
        if from_file is None and entry.get("bundled") and sid not in overrides:
            raise InputError(f"{sid}: is bundled with screener and updated with it; "
                             "use --from-file or --url to load another copy")  # fmt: skip
        if from_file is None:
            plans[sid] = download_plan(sid, entry, overrides.get(sid))
    given = {"transport": transport, "sleep": sleep, "retries": retries,
             "deadline": config.download_deadline}  # fmt: skip
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


def _from_file(store: Store, sid: str, entry: dict[str, Any], path: Path,
               force: bool) -> UpdateOutcome:  # fmt: skip
    for f in catalog.list_files(path):
        check_complete(f)
    try:
        r = catalog.import_list_file(store, path, entry["format"], sid, origin=f"file:{path}",
                                checks=_checks(sid, entry, force))  # fmt: skip
    except InputError as e:
        raise UpdateError(str(e)) from None
    return _outcome(r, f"file:{path}")


def _download(
    store: Store, sid: str, entry: dict[str, Any],
    plan: tuple[list[str], list[str], bool], dl: Downloader, force: bool,
) -> UpdateOutcome:  # fmt: skip
    urls, names, all_needed = plan
    active = (store.source(sid) or {}).get("active_version")
    checks = _checks(sid, entry, force)
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="screener-") as tmp:
        folder = Path(tmp)
        if all_needed:
            fetched = _fetch_set(store, dl, urls, names, folder, active)
            if fetched is None:
                return UpdateOutcome(sid, "unchanged", active, origin=" ".join(urls))
            r = _import(store, sid, entry, folder, folder, " ".join(urls), checks)
            save_validators(store, sid, r.version_id, fetched)
            return _outcome(r, " ".join(urls))
        for url, name in zip(urls, names):
            sub = folder / str(len(errors))
            sub.mkdir()
            try:
                f = _fetch(store, dl, url, sub / name, active)
                if f.not_modified:
                    return UpdateOutcome(sid, "unchanged", active, origin=url)
                r = _import(store, sid, entry, sub / name, sub, url, checks)
            except _Refused:
                raise
            except UpdateError as e:
                errors.append(str(e))
                continue
            save_validators(store, sid, r.version_id, [f])
            return _outcome(r, url)
    raise UpdateError(errors[0] if len(errors) == 1 else
                      f"all {len(errors)} URLs failed: " + "; ".join(errors))  # fmt: skip


def _fetch(store: Store, dl: Downloader, url: str, dest: Path, active: int | None) -> Fetched:
    validators = cached_validators(store, url, active)
    f = dl.fetch(url, dest, **validators)
    if f.not_modified and not validators:
        raise UpdateError(f"{url}: the server answered 304 Not Modified to a plain request")
    return f


def _fetch_set(
    store: Store, dl: Downloader, urls: list[str], names: list[str], folder: Path,
    active: int | None,
) -> list[Fetched] | None:  # fmt: skip
    """Every file of a multi-file source; None when each one is unchanged."""
    fetched = [_fetch(store, dl, u, folder / n, active) for u, n in zip(urls, names)]
    if all(f.not_modified for f in fetched):
        return None
    # Some files changed: the unchanged ones are needed too, so fetch them in full.
    return [dl.fetch(f.url, folder / n) if f.not_modified else f
            for f, n in zip(fetched, names)]  # fmt: skip


def _import(
    store: Store, sid: str, entry: dict[str, Any], path: Path, folder: Path, origin: str,
    checks: list[ImportCheck],
) -> ImportResult:  # fmt: skip
    where = origin if path != folder else "downloaded files"
    try:
        for f in catalog.list_files(path):
            check_complete(f)
        return catalog.import_list_file(store, path, entry["format"], sid, origin=origin,
                                   checks=checks)  # fmt: skip
    except InputError as e:
        text = str(e).replace(f"{path}: ", "").replace(f"{folder}{os.sep}", "")
        raise UpdateError(f"{where}: {text}") from None


def _outcome(r: ImportResult, origin: str) -> UpdateOutcome:
    return UpdateOutcome(r.source_id, r.status, r.version_id, r.entities, r.previous_version,
                         origin)  # fmt: skip


def _message(e: BaseException) -> str:
    if isinstance(e, OSError):
        return f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")
    return str(e)


def _checks(sid: str, entry: dict[str, Any], force: bool) -> list[ImportCheck]:
    min_n = int(entry.get("min_entities") or 0)
    max_drop = float(entry.get("max_drop", DEFAULT_MAX_DROP))

    def enough(parsed: ParsedList, previous: dict[str, Any] | None) -> None:
        n = len(parsed.entities)
        if n < min_n:
            raise _Refused(f"only {n} entries, fewer than the {min_n} a complete copy of "
                           f"{sid} has; refused (truncated, or the wrong list? to accept it, "
                           f"lower min_entities under [sources.{sid}] in the config file)")

    def no_big_drop(parsed: ParsedList, previous: dict[str, Any] | None) -> None:
        if force or not previous or not previous["entities"]:
            return
        before, after = previous["entities"], len(parsed.entities)
        if (before - after) / before > max_drop:
            raise _Refused(
                f"{after} entries against {before} in version {previous['id']}: a drop of "
                f"{(before - after) / before:.0%}, more than the {max_drop:.0%} allowed; "
                "refused (use --force if the publisher really removed them)"
            )

    return [enough, no_big_drop]


def check_complete(path: Path) -> None:
    """Refuse a CSV that ends inside a quoted field or in a short last row.

    A download cut off mid-file leaves either; whole rows cut off are caught by the
    entry-count checks. JSON files are left to the JSON parser, which fails on a cut.
    """
    with open(path, "rb") as fb:
        head = fb.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if path.suffix.lower() == ".json" or head[:1] in (b"{", b"["):
        return
    first = last = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        try:
            for row in csv.reader(f, strict=True):
                if not row or all(not c.strip("\x1a \t") for c in row):
                    continue
                first, last = first or len(row), len(row)
        except csv.Error as e:
            raise InputError(f"{path}: the file ends in the middle of a row ({e}); "
                             "it looks truncated") from None  # fmt: skip
    if last < first:
        raise InputError(f"{path}: the last row has {last} of {first} fields; "
                         "the file looks truncated")  # fmt: skip


# -- diff -------------------------------------------------------------------------
@dataclass
class Diff:
    """Entries added, removed and changed from one version of a source to another."""

    source_id: str
    from_version: int | None
    to_version: int
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff(
    store: Store, source_id: str, from_version: int | None = None,
    to_version: int | None = None,
) -> Diff:  # fmt: skip
    """Compare two versions of ``source_id`` (default: the one before the active one,
    and the active one). Entities are matched by id; ``changed`` lists, for each
    entity in both, the fields of :data:`DIFF_FIELDS` that differ."""
    versions = [v["id"] for v in store.versions(source_id)]
    if not versions:
        raise InputError(f"{source_id}: no versions loaded")
    for v in (from_version, to_version):
        if v is not None and v not in versions:
            raise InputError(f"{source_id}: no version {v} (versions: "
                             f"{', '.join(map(str, versions))})")  # fmt: skip
    to = to_version or (store.source(source_id) or {}).get("active_version") or versions[-1]
    if from_version is None:
        older = [v for v in versions if v < to]
        from_version = older[-1] if older else None
    before = _by_id(store, from_version)
    after = _by_id(store, to)
    out = Diff(source_id, from_version, to)
    for eid, fields in after.items():
        if eid not in before:
            out.added.append(_brief(eid, fields))
        elif changed := [k for k in DIFF_FIELDS if fields[k] != before[eid][k]]:
            out.changed.append({
                **_brief(eid, fields), "fields": changed,
                "before": {k: before[eid][k] for k in changed},
                "after": {k: fields[k] for k in changed},
            })  # fmt: skip
    out.removed = [_brief(eid, f) for eid, f in before.items() if eid not in after]
    return out


def _by_id(store: Store, version_id: int | None) -> dict[str, dict[str, Any]]:
    if version_id is None:
        return {}
    return {e.id: _fields(e) for e in store.entities(version_ids=[version_id])}


def _fields(e: Entity) -> dict[str, Any]:
    return {
        "name": e.name, "aliases": sorted({n.name for n in e.all_names()[1:]}),
        "schema": e.schema, "sub_list": e.sub_list, "citation": e.citation,
        "listed_on": e.listed_on, "end_date": e.end_date,
        "license_requirement": e.license_requirement, "license_policy": e.license_policy,
        "addresses": sorted(e.addresses), "programs": sorted(e.programs),
        "countries": sorted(e.countries),
    }  # fmt: skip


def _brief(eid: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": eid, "name": fields["name"], "list": fields["sub_list"],
            "citation": fields["citation"]}  # fmt: skip


# -- staleness --------------------------------------------------------------------
def stale_sources(
    store: Store, config: Config | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Active versions older than their source's ``max_age_days`` (age from loaded_at)."""
    now = now or datetime.now(UTC)
    out = []
    for v in store.active_versions():
        max_age = source_settings(v["source_id"], config).get("max_age_days")
        if max_age is None or not v["loaded_at"]:
            continue
        loaded = datetime.fromisoformat(v["loaded_at"].replace("Z", "+00:00"))
        age = (now - loaded).total_seconds() / 86400
        if age > max_age:
            out.append({"source_id": v["source_id"], "version_id": v["id"],
                        "loaded_at": v["loaded_at"], "published": v["published"],
                        "age_days": round(age, 1), "max_age_days": max_age})  # fmt: skip
    return out


def require_fresh(
    store: Store, config: Config | None = None, *, fail_stale: bool | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The stale sources, for a warning; raise :class:`ListsError` (exit 3) instead
    when ``fail_stale`` (or, when it is None, the config's ``fail_stale``) is set."""
    stale = stale_sources(store, config, now=now)
    fail = fail_stale if fail_stale is not None else bool(config and config.fail_stale)
    if stale and fail:
        raise ListsError("; ".join(stale_message(s) for s in stale)
                         + "; run `screener lists update`")  # fmt: skip
    return stale


def stale_message(s: dict[str, Any]) -> str:
    return (f"list {s['source_id']} is {s['age_days']:g} days old (loaded {s['loaded_at']}), "
            f"older than its {s['max_age_days']:g}-day limit")  # fmt: skip
