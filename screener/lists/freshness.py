"""How old each active list is, against its source's ``max_age_days``: screening warns
about stale lists, or refuses to call a name clear with them (``fail_stale``). No
download code is imported here, so that a check stays quick to start.

A list's age runs from the date of its data (:mod:`screener.lists.data_date`: the date
the file states, the day it was downloaded, or the newest date in its entries), not from
the day it was loaded: a 2021 SDN file imported today is five years old. When the data's
date is unknown the load date stands in; the older of the two counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from screener.db.store import Store
from screener.errors import ListsError
from screener.lists.data_date import describe
from screener.lists.registry import source_settings
from screener.model import pad_date
from screener.settings import Config


def stale_sources(
    store: Store, config: Config | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Active versions older than their source's ``max_age_days``: age from the data's
    date, or from ``loaded_at`` when that is older or the data's date is unknown."""
    now = now or datetime.now(UTC)
    out = []
    for v in store.active_versions():
        max_age = source_settings(v["source_id"], config).get("max_age_days")
        if max_age is None or not v["loaded_at"]:
            continue
        age = age_days(v, now)
        if age > max_age:
            out.append(
                {
                    "source_id": v["source_id"],
                    "version_id": v["id"],
                    "loaded_at": v["loaded_at"],
                    "published": v["published"],
                    **describe(v),
                    "age_days": round(age, 1),
                    "max_age_days": max_age,
                }
            )
    return out


def age_days(version: dict[str, Any], now: datetime | None = None) -> float:
    """Days since the version's data date, or since it was loaded when that is older."""
    now = now or datetime.now(UTC)
    loaded = datetime.fromisoformat(version["loaded_at"].replace("Z", "+00:00"))
    start = loaded
    data = describe(version)
    if data["data_date_basis"] != "loaded" and data["data_date"]:
        day = datetime.fromisoformat(pad_date(data["data_date"])).replace(tzinfo=UTC)
        if day.date() < loaded.date():  # data of the load day counts from the load time
            start = day
    return (now - start).total_seconds() / 86400


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
    """'list ofac-sdn is 1762 days old (data of 2021-07-07, given at import; loaded
    2026-12-07T...), older than its 7-day limit'."""
    data = ""
    if s.get("data_date") and s.get("data_date_basis") != "loaded":
        data = f"data of {s['data_date']}, {s['data_date_means']}; "
    return (
        f"list {s['source_id']} is {s['age_days']:g} days old ({data}loaded {s['loaded_at']}), "
        f"older than its {s['max_age_days']:g}-day limit"
    )
