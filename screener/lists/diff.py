"""Two versions of a source compared entity by entity (keyed by id)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from screener.db.store import Store
from screener.errors import InputError
from screener.model import Entity

DIFF_FIELDS = (
    "name",
    "aliases",
    "schema",
    "sub_list",
    "citation",
    "listed_on",
    "end_date",
    "license_requirement",
    "license_policy",
    "addresses",
    "programs",
    "countries",
)


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
    store: Store,
    source_id: str,
    from_version: int | None = None,
    to_version: int | None = None,
) -> Diff:
    """Compare two versions of ``source_id`` (default: the one before the active one,
    and the active one). Entities are matched by id; ``changed`` lists, for each
    entity in both, the fields of :data:`DIFF_FIELDS` that differ."""
    versions = [v["id"] for v in store.versions(source_id)]
    if not versions:
        raise InputError(f"{source_id}: no versions loaded")
    for v in (from_version, to_version):
        if v is not None and v not in versions:
            raise InputError(
                f"{source_id}: no version {v} (versions: {', '.join(map(str, versions))})"
            )
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
            out.changed.append(
                {
                    **_brief(eid, fields),
                    "fields": changed,
                    "before": {k: before[eid][k] for k in changed},
                    "after": {k: fields[k] for k in changed},
                }
            )
    out.removed = [_brief(eid, f) for eid, f in before.items() if eid not in after]
    return out


def _by_id(store: Store, version_id: int | None) -> dict[str, dict[str, Any]]:
    if version_id is None:
        return {}
    return {e.id: _fields(e) for e in store.entities(version_ids=[version_id])}


def _fields(e: Entity) -> dict[str, Any]:
    return {
        "name": e.name,
        "aliases": sorted({n.name for n in e.all_names()[1:]}),
        "schema": e.schema,
        "sub_list": e.sub_list,
        "citation": e.citation,
        "listed_on": e.listed_on,
        "end_date": e.end_date,
        "license_requirement": e.license_requirement,
        "license_policy": e.license_policy,
        "addresses": sorted(e.addresses),
        "programs": sorted(e.programs),
        "countries": sorted(e.countries),
    }


def _brief(eid: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": eid,
        "name": fields["name"],
        "list": fields["sub_list"],
        "citation": fields["citation"],
    }
