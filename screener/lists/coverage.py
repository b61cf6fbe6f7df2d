"""What a run checked, list by list: the coverage statement of every check, batch and report.

For each official list a run may name, one of:

``full``
    a loaded source carries the whole list (``lists:`` in ``lists/sources.yaml``): the
    statement gives the source, the date of its data, its rows and sha256;
``subset``
    only the curated entries that carry a listing on it were checked (the bundled list
    holds N entries of that list, not the list): a party that is not among them was not
    checked against it;
``not loaded``
    a source of the registry that would carry the list in full was never loaded.

A verdict or a hit that names a list checked only as a subset says "curated subset"
beside it (:func:`subset_lists`). No download code is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from screener.db.store import Store
from screener.lists.data_date import describe
from screener.lists.registry import registry
from screener.shapes import CoverageEntry, ListVersion

_CURATED_COUNTS: dict[tuple[str, int], dict[str, int]] = {}


def statement(store: Store, versions: Sequence[ListVersion]) -> list[CoverageEntry]:
    """One item per list: ``list``, ``status`` (full / subset / not loaded), ``text`` and
    the facts behind it. ``versions`` are the active versions screening used (the
    service's ``lists()``: ``source_id``, ``version_id``, ``sha256``, ``entities``...)."""
    reg = registry()
    loaded = {v["source_id"]: v for v in versions}
    full: dict[str, ListVersion] = {}
    for sid, v in loaded.items():
        for name in reg.get(sid, {}).get("lists") or ():
            full.setdefault(name, v)
    subset: dict[str, tuple[str, int]] = {}
    for sid, v in loaded.items():
        if v.get("kind") == "curated":
            for name, n in _curated_counts(store, sid, v["version_id"]).items():
                subset.setdefault(name, (sid, n))
    out: list[CoverageEntry] = []
    for name in sorted(set(full) | set(subset)):
        if name in full:
            v = full[name]
            version = store.version(v["version_id"]) or {}
            data: Mapping[str, Any] = describe(version) if version else {}
            out.append(
                {
                    "list": name,
                    "status": "full",
                    "source_id": v["source_id"],
                    "data_date": data.get("data_date"),
                    "data_date_basis": data.get("data_date_basis"),
                    "rows": v.get("entities"),
                    "sha256": v.get("sha256"),
                    "text": (
                        f"{name}: full list, {v['source_id']} ({_dated(data)}, "
                        f"{v.get('entities')} rows, sha256 {str(v.get('sha256') or '')[:12]})"
                    ),
                }
            )
        else:
            sid, n = subset[name]
            missing = [
                s
                for s, e in reg.items()
                if name in (e.get("lists") or ()) and s not in loaded and e.get("urls")
            ]
            hint = f"; load {', '.join(missing)} for the full list" if missing else ""
            out.append(
                {
                    "list": name,
                    "status": "subset",
                    "source_id": sid,
                    "entries": n,
                    "full_sources_not_loaded": missing,
                    "text": (
                        f"{name}: curated subset only ({n} {'entry' if n == 1 else 'entries'} "
                        f"of {sid}); a party not "
                        f"among them was not checked against this list{hint}"
                    ),
                }
            )
    for sid, e in reg.items():
        if sid in loaded or not e.get("lists") or not (e.get("urls") or e.get("files")):
            continue
        names = [n for n in e["lists"] if n not in full and n not in subset]
        for name in names:
            out.append(
                {
                    "list": name,
                    "status": "not loaded",
                    "source_id": sid,
                    "text": f"{name}: not loaded ({sid} was never loaded)",
                }
            )
    return out


def _dated(data: Mapping[str, Any]) -> str:
    """'data of 2026-06-08', or 'data date unknown' when only the load date is known."""
    if data.get("data_date") and data.get("data_date_basis") != "loaded":
        return f"data of {data['data_date']}"
    return "data date unknown"


def subset_lists(items: Sequence[CoverageEntry] | None) -> set[str]:
    """The lists a coverage statement says were checked only as a curated subset."""
    return {str(x["list"]) for x in items or () if x.get("status") == "subset"}


def _curated_counts(store: Store, source_id: str, version_id: int) -> dict[str, int]:
    """List name -> how many entries of a curated version carry a listing on it."""
    key = (str(store.path), version_id)
    if key not in _CURATED_COUNTS:
        counts: dict[str, int] = {}
        for e in store.entities(version_ids=[version_id]):
            for name in {ls.list for ls in e.listings if ls.list}:
                counts[name] = counts.get(name, 0) + 1
        _CURATED_COUNTS[key] = counts
    return _CURATED_COUNTS[key]
