"""What the faces show of parties: counts (``lists show``), one party with its records and
why each joined (``lists party``), and reviewers' judgements (``lists same`` / ``lists
different``)."""

from __future__ import annotations

from typing import Any

from screener.db import parties as party_db
from screener.db.parties import BUNDLED_SOURCE, Ref, ref_text, solo_id
from screener.db.store import Store
from screener.errors import InputError
from screener.screening.parties import ensure, explain, source_formats

# -- what the faces show -----------------------------------------------------------------------


def summary(store: Store) -> dict[str, Any]:
    """Records and parties of the active lists (built first if need be): ``records``,
    ``parties``, ``merged`` (records in parties of several), ``several`` (parties of
    several records), ``by_source`` (records of each source in parties of several), and
    the build's ``built_at`` and ``seconds``."""
    ensure(store)
    last = party_db.last_build(store) or {}
    several = store.conn.execute("select count(distinct party_id) from party_records").fetchone()
    by_source = dict(
        store.conn.execute("select source_id, count(*) from party_records group by source_id")
    )
    return {
        "records": last.get("records"),
        "parties": last.get("parties"),
        "merged": last.get("merged"),
        "several": int(several[0] if several else 0),
        "by_source": by_source,
        "built_at": last.get("built_at"),
        "seconds": last.get("seconds"),
    }


def parse_ref(text: str) -> Ref:
    """``SOURCE:ENTRY`` -> (source, entry); an entry id may itself hold colons."""
    source, sep, entity = str(text or "").strip().partition(":")
    if not sep or not source or not entity:
        raise InputError(
            f"{text!r} is not a record: write SOURCE:ENTRY, e.g. screener-surveillance:cetc "
            "or ofac-cons:30936 (`screener check` shows each hit's source and entry)"
        )
    return source, entity


def resolve(store: Store, text: str) -> str:
    """The id of the party named by ``text``: a party id (``cetc``, ``ofac:30936``) or one
    of its records (``SOURCE:ENTRY``)."""
    ensure(store)
    text = str(text or "").strip()
    if party_db.members(store, text):
        return text
    if ":" in text:
        source, _, entity = text.partition(":")
        if store.entity(source, entity) is not None:
            return party_db.party_of(store, source, entity) or solo_id(
                source, entity, source_formats(store).get(source) == "ofac" and entity.isdigit()
            )
        if source == "ofac" and entity.isdigit():
            for sid, fmt in source_formats(store).items():
                if fmt == "ofac" and store.entity(sid, entity) is not None:
                    return party_db.party_of(store, sid, entity) or text
    elif store.entity(BUNDLED_SOURCE, text) is not None:
        return text
    raise InputError(
        f"no party or record {text!r} in the active lists (give a party id such as cetc, "
        "or a record as SOURCE:ENTRY)"
    )


def show(store: Store, text: str) -> dict[str, Any]:
    """A party, its records and why each joined (``screener lists party``)."""
    pid = resolve(store, text)
    rows = party_db.members(store, pid)
    if not rows:  # a party of one record
        if ":" in pid and not pid.startswith("ofac:"):
            source, _, entity = pid.partition(":")
        elif pid.startswith("ofac:"):
            source = next(
                s
                for s, f in source_formats(store).items()
                if f == "ofac" and store.entity(s, pid[5:]) is not None
            )
            entity = pid[5:]
        else:
            source, entity = BUNDLED_SOURCE, pid
        rows = [
            {
                "source_id": source,
                "entity_id": entity,
                "rule": "anchor",
                "via_source": None,
                "via_entity": None,
                "detail": None,
            }
        ]
    records = []
    for row in rows:
        ent = store.entity(row["source_id"], row["entity_id"])
        if ent is None:
            continue
        src = store.source(row["source_id"]) or {}
        records.append(
            {
                "source_id": row["source_id"],
                "source_name": src.get("name"),
                "entity_id": row["entity_id"],
                "version_id": ent.extra.get("version_id"),
                "name": ent.name,
                "schema": ent.schema,
                "countries": ent.countries,
                "lists": list(dict.fromkeys(x.list for x in ent.listings if x.list)),
                "rule": row["rule"],
                "why": explain(row) if len(rows) > 1 else "the party's only record",
            }
        )
    names = [r["name"] for r in records]
    return {"id": pid, "name": names[0] if names else None, "records": records}


def judge(store: Store, kind: str, a: str, b: str, reason: str, reviewer: str) -> dict[str, Any]:
    """Record that two records are (``same``) or are not (``different``) one party, build
    the parties again and return the judgement with the party (or parties) it makes."""
    refs = [parse_ref(a), parse_ref(b)]
    for ref in refs:
        if store.entity(*ref) is None:
            raise InputError(
                f"no record {ref_text(ref)} in the active lists (`screener lists party` and "
                "`screener check` show records as SOURCE:ENTRY)"
            )
    j = party_db.record_judgement(
        store, kind, refs[0], refs[1], reason, reviewer, origin="screener lists " + kind
    )
    ensure(store)
    return {"judgement": j, "parties": [show(store, ref_text(r)) for r in refs]}
