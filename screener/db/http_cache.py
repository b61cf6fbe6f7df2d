"""ETag and Last-Modified of each downloaded URL, so that an unchanged list is not
fetched again (the ``http_cache`` table)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from screener.db.store import Store, now_iso


class Validated(Protocol):
    """What a download leaves to remember: its URL, validators and digest."""

    url: str
    etag: str | None
    last_modified: str | None
    sha256: str | None


def cached_validators(store: Store, url: str, version_id: int | None) -> dict[str, str | None]:
    """ETag / Last-Modified saved for ``url``, if they belong to ``version_id``.

    Validators are only sent back while the version they produced is the active
    one: after a failed or forced import, or a manual import, the file is fetched
    in full again.
    """
    if version_id is None:
        return {}
    for row in store.query("select * from http_cache where url = ?", [url]):
        if row["version_id"] == version_id:
            return {"etag": row["etag"], "last_modified": row["last_modified"]}
    return {}


def save_validators(
    store: Store, source_id: str, version_id: int, fetched: Iterable[Validated]
) -> None:
    """Remember each URL's validators as those of ``version_id`` (an update's write, through
    sqlite-utils: :mod:`screener.db.tables`)."""
    from screener.db.tables import tables

    with store.conn:
        tables(store.conn).table("http_cache").upsert_all(
            [
                {
                    "url": f.url,
                    "source_id": source_id,
                    "version_id": version_id,
                    "etag": f.etag,
                    "last_modified": f.last_modified,
                    "sha256": f.sha256,
                    "fetched_at": now_iso(),
                }
                for f in fetched
            ],
            pk="url",
        )
