"""How old each active list is, against its source's ``max_age_days``: screening warns
about stale lists, or refuses to call a name clear with them (``fail_stale``). No
download code is imported here, so that a check stays quick to start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from screener.db.store import Store
from screener.errors import ListsError
from screener.lists.registry import source_settings
from screener.settings import Config


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
            out.append(
                {
                    "source_id": v["source_id"],
                    "version_id": v["id"],
                    "loaded_at": v["loaded_at"],
                    "published": v["published"],
                    "age_days": round(age, 1),
                    "max_age_days": max_age,
                }
            )
    return out


def require_fresh(
    store: Store,
    config: Config | None = None,
    *,
    fail_stale: bool | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The stale sources, for a warning; raise :class:`ListsError` (exit 3) instead
    when ``fail_stale`` (or, when it is None, the config's ``fail_stale``) is set."""
    stale = stale_sources(store, config, now=now)
    fail = fail_stale if fail_stale is not None else bool(config and config.fail_stale)
    if stale and fail:
        raise ListsError(
            "; ".join(stale_message(s) for s in stale) + "; run `screener lists update`"
        )
    return stale


def stale_message(s: dict[str, Any]) -> str:
    return (
        f"list {s['source_id']} is {s['age_days']:g} days old (loaded {s['loaded_at']}), "
        f"older than its {s['max_age_days']:g}-day limit"
    )
