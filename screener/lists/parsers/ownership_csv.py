"""A user's own ownership file: CSV with one link per row, child -> parent.

Columns (header names are case-insensitive; any delimiter the ``csv`` sniffer knows):

    child     the owned party's name (required)
    parent    the owner: a listed entity's id (``SOURCE:ID``, e.g.
              ``screener-surveillance:hikvision``, or an entity id alone), or its
              name, matched through the screener's matcher; or the ``child`` of
              another row, for a chain through an unlisted company (required)
    share     percent held, 0..100 (``60``, ``60%``, ``60.5``), empty when unknown
    source    where the link was read: URL, filing or note (required)
    kind      subsidiary (default), branch, unit, brand, former-name, joint-venture
    as_of, end_date   ISO dates (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``)
    note, aliases (``;``-separated), country (ISO alpha-2), controlled (yes/no)

UTF-8 (with or without BOM), else GB18030, else Windows-1252. :func:`parse` reads
the rows; :func:`resolve` turns them into links against a store.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screener.db import ownership as graph
from screener.db.store import Store
from screener.errors import InputError
from screener.model import OWNERSHIP_KINDS, OwnershipLink, ParsedLinks

REQUIRED = ("child", "parent", "source")
OPTIONAL = ("share", "kind", "as_of", "end_date", "note", "aliases", "country", "controlled")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MAX_ROWS = 200_000


@dataclass
class Row:
    line: int
    child: str
    parent: str
    share: float | None
    source: str
    kind: str
    as_of: str | None
    end_date: str | None
    note: str | None
    aliases: list[str]
    country: str | None
    controlled: bool | None


def parse(path: Path) -> list[Row]:
    """The rows of ``path``, checked; one clear error for the first bad cell."""
    path = Path(path)
    text = _read(path)
    if not text.strip():
        raise InputError(f"{path}: file is empty")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header = [h.strip().lower().replace(" ", "_") for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{path}: not an ownership CSV: missing column(s) {', '.join(missing)} "
            f"(needs {', '.join(REQUIRED)}; optional {', '.join(OPTIONAL)})"
        )
    rows: list[Row] = []
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(f"{path}: more than {MAX_ROWS} rows")
        rows.append(_row(dict(zip(header, (c.strip() for c in cells))), f"{path}: line {n}", n))
    if not rows:
        raise InputError(f"{path}: no rows under the header")
    return rows


def resolve(
    store: Store, rows: list[Row], match: Callable[[str], tuple[str, str, float] | None]
) -> ParsedLinks:
    """Links for ``rows``: each parent resolved to a listed entity by id, else to
    another row's child, else through ``match`` (the matcher), else kept as a name."""
    children = {graph.name_key(r.child): graph.child_key(r.child) for r in rows}
    links, how = [], {"id": 0, "chain": 0, "matched": 0, "unresolved": 0}
    for r in rows:
        owner_src = owner_id = owner_key = None
        owner_name = r.parent
        ref = _by_id(store, r.parent)
        if ref:
            (owner_src, owner_id, owner_name), kind = ref, "id"
        elif graph.name_key(r.parent) in children:
            owner_key, kind = children[graph.name_key(r.parent)], "chain"
        elif (m := match(r.parent)) is not None:
            owner_src, owner_id, kind = m[0], m[1], "matched"
            e = store.entity(owner_src, owner_id)
            owner_name = e.name if e else r.parent
        else:
            kind = "unresolved"
        how[kind] += 1
        note = r.note
        if kind == "matched" and graph.name_key(owner_name) != graph.name_key(r.parent):
            note = f"{note + '; ' if note else ''}parent {r.parent!r} matched to {owner_name!r}"
        links.append(
            OwnershipLink(
                child_key=graph.child_key(r.child),
                child_name=r.child,
                child_aliases=r.aliases,
                child_country=r.country,
                owner_name=owner_name,
                owner_source_id=owner_src,
                owner_entity_id=owner_id,
                owner_key=owner_key,
                share=r.share,
                controlled=r.controlled,
                kind=r.kind,
                as_of=r.as_of,
                end_date=r.end_date,
                source=r.source,
                note=note,
            )
        )
    return ParsedLinks(links, meta={"format": "ownership-csv", "parents": how})


def _by_id(store: Store, text: str) -> tuple[str, str, str] | None:
    """(source, id, name) when ``text`` is ``SOURCE:ID`` or an entity id of the curated list."""
    src, sep, eid = text.partition(":")
    if sep and (e := store.entity(src.strip(), eid.strip())) is not None:
        return src.strip(), e.id, e.name
    if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+|[a-z0-9]+", text):
        for s in ("screener-surveillance",):
            if (e := store.entity(s, text)) is not None:
                return s, e.id, e.name
    return None


def _row(d: dict[str, str], where: str, line: int) -> Row:
    for c in REQUIRED:
        if not d.get(c):
            raise InputError(f"{where}: the {c} is empty")
    kind = (d.get("kind") or "subsidiary").lower().replace("_", "-").replace(" ", "-")
    if kind == "former":
        kind = "former-name"
    if kind not in OWNERSHIP_KINDS:
        raise InputError(
            f"{where}: unknown kind {d['kind']!r} (choose from {', '.join(OWNERSHIP_KINDS)})"
        )
    share = None
    if d.get("share"):
        try:
            share = float(d["share"].rstrip("%").strip().replace(",", "."))
        except ValueError:
            raise InputError(f"{where}: share {d['share']!r} is not a number") from None
        if not 0 <= share <= 100:
            raise InputError(f"{where}: share {d['share']!r} is not a percentage 0..100")
    dates = {}
    for c in ("as_of", "end_date"):
        v = d.get(c) or None
        if v and not DATE.match(v):
            raise InputError(f"{where}: {c} {v!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
        dates[c] = v
    country = (d.get("country") or "").lower() or None
    if country and not re.fullmatch(r"[a-z]{2}", country):
        raise InputError(f"{where}: country {d['country']!r} is not an ISO alpha-2 code")
    controlled = {
        "yes": True,
        "true": True,
        "1": True,
        "no": False,
        "false": False,
        "0": False,
        "": None,
    }.get((d.get("controlled") or "").lower())
    aliases = [a.strip() for a in (d.get("aliases") or "").split(";") if a.strip()]
    return Row(
        line,
        d["child"],
        d["parent"],
        share,
        d["source"],
        kind,
        dates["as_of"],
        dates["end_date"],
        d.get("note") or None,
        aliases,
        country,
        controlled,
    )


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a CSV file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")
