"""Load the bundled lists into the store on first use, and again when they change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screener.db.store import Store, sha256_file
from screener.lists.registry import bundled_dir, importer, registry


def open_store(path: Path | str | None = None) -> Store:
    """Open the store at ``path`` (or the default location) with the bundled lists loaded.

    On first use, and whenever the bundled lists shipped with screener change, they
    are loaded as new versions without the user asking.
    """
    store = Store.open(path)
    ensure_bundled(store)
    return store


def ensure_bundled(store: Store) -> None:
    """Import each bundled list whose bytes differ from its active version, then the
    bundled ownership links (:func:`screener.lists.links.ensure_bundled_links`)."""
    from screener.lists.links import ensure_bundled_links

    for sid, entry in registry().items():
        if not entry.get("bundled"):
            continue
        path = bundled_dir() / entry["bundled"]
        if not path.exists():
            continue
        digest = sha256_file(path)
        src = store.source(sid)
        if src and src.get("active_version"):
            active = store.version(src["active_version"])
            if active and active["sha256"] == digest:
                continue
        parsed = importer(entry["format"])(path)
        store.import_parsed(
            {**source_fields(entry), "id": sid},
            parsed,
            sha256=digest,
            origin=f"bundled:{entry['bundled']}",
        )
    ensure_bundled_links(store)


def source_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """The sources-table fields of a registry entry."""
    return {
        "name": entry.get("name"),
        "authority": entry.get("authority"),
        "kind": entry.get("kind"),
        "url": entry.get("official_url") or entry.get("url"),
        "licence": entry.get("licence"),
        "format": entry.get("format"),
    }
