"""OFAC legacy delimited files: the SDN list and the consolidated non-SDN list.

OFAC publishes each list as a set of comma-separated files with no header row:

    main      sdn.csv / cons_prim.csv   ent_num, name, type, program, title, call_sign,
                                        vess_type, tonnage, grt, vess_flag, vess_owner, remarks
    aliases   alt.csv / cons_alt.csv    ent_num, alt_num, alt_type, alt_name, alt_remarks
    addresses add.csv / cons_add.csv    ent_num, add_num, address, city/state/postal,
                                        country, add_remarks
    overflow  sdn_comments.csv / cons_comments.csv
                                        ent_num, rest of the remarks (joined on directly)

``-0-`` means empty, ``type`` is ``individual``/``vessel``/``aircraft`` or empty for an
entity, ``program`` holds several programs as ``SDGT] [IRGC``. The encoding is Latin-1
in older files (read as UTF-8 first, then cp1252, then Latin-1), and the last line may be
a lone Ctrl-Z (0x1A). Remarks carry the weak aliases (``a.k.a. 'X'``; OFAC keeps only
strong aliases in the alias file), dates of birth and, for non-SDN lists, dates such as
``Listing Date (CMIC) 03 Jun 2021``.

``parse`` takes the folder holding the files or the main file itself; the other three
files are optional. Person names are listed as "LAST, First"; each also gets an alias
in "First LAST" order.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

from screener.countries import to_iso2
from screener.errors import InputError
from screener.model import Entity, Listing, Name, ParsedList

AUTHORITY = "US Treasury OFAC"
DETAILS_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={}"
SDN_LIST = "SDN List"
CONS_FALLBACK = "OFAC Consolidated (non-SDN) List"
# Non-SDN list of each program, and the "Listing Date (<tag>)" in remarks that dates it
# (None: the remarks give no date). An entry whose programs match several is on each.
CONS_LISTS = (
    ("CMIC-EO13959", "NS-CMIC List", r"CMIC"),
    ("NS-PLC", "Non-SDN Palestinian Legislative Council List", None),
    ("UKRAINE-EO13662", "Sectoral Sanctions Identifications List", None),
    ("RUSSIA-EO14024", "Non-SDN Menu-Based Sanctions List", r"EO 14024[^)]*"),
    ("CAATSA - RUSSIA", "Non-SDN Menu-Based Sanctions List", None),
    # the List of Foreign Financial Institutions Subject to Correspondent Account or
    # Payable-Through Account Sanctions, which replaced the Part 561 List on 2019-03-14
    ("561-Related", "CAPTA List", None),
)
EXTRA_FIELDS = (
    "title",
    "call_sign",
    "vessel_type",
    "tonnage",
    "grt",
    "vessel_flag",
    "vessel_owner",
)
FILES = {
    "sdn": ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"),
    "cons": ("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
}
SCHEMAS = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft"}
ALT_KINDS = {"fka": "former", "nka": "alias", "aka": "alias"}
_REMARK_ALIAS = re.compile(r"\b([afn])\.k\.a\.,?\s*'(.+?)'(?=\s*(?:[;.]|$))")
_DOB = re.compile(r"\bDOB ([^;]+)")


def parse(path: Path) -> ParsedList:
    """Read an OFAC legacy file set (a folder, or its sdn.csv / cons_prim.csv)."""
    path = Path(path)
    kind, main, (alt_file, add_file, comments_file) = _locate(path)
    entities: dict[str, Entity] = {}
    overflow = {r[0]: r[1] for r in _rows(comments_file, 2)} if comments_file else {}
    for row in _rows(main, 3):
        row += [""] * (12 - len(row))
        ent_num, name = row[0], row[1]
        if not name:
            continue
        remarks = row[11] + overflow.get(ent_num, "")
        entities[ent_num] = _entity(kind, row, remarks)
    if not entities:
        raise InputError(f"{main}: no OFAC entries found")
    if alt_file:
        for row in _rows(alt_file, 4):
            ent = entities.get(row[0])
            if ent and row[3]:
                _add_name(ent, row[3], ALT_KINDS.get(row[2].lower(), "alias"))
    if add_file:
        for row in _rows(add_file, 3):
            ent = entities.get(row[0])
            if ent:
                _add_address(ent, row[2:5])
    files = [main, alt_file, add_file, comments_file]
    meta = {"format": "ofac-legacy", "set": kind, "files": [str(f) for f in files if f]}
    return ParsedList(list(entities.values()), meta=meta)


def reorder_person(name: str) -> str | None:
    """Turn "RIM, Ryong Nam" into "Ryong Nam RIM"; None unless there is exactly one comma."""
    if name.count(",") != 1:
        return None
    last, first = (part.strip() for part in name.split(","))
    return f"{first} {last}" if last and first else None


def split_programs(text: str) -> list[str]:
    """'SDGT] [IRGC' or '[CMIC-EO13959]' or 'A; B' -> ['SDGT', 'IRGC']."""
    parts = re.split(r"\]\s*\[|;", text)
    return [p.strip(" []") for p in parts if p.strip(" []")]


def _entity(kind: str, row: list[str], remarks: str) -> Entity:
    ent_num, name, typ, program = row[0], row[1], row[2].lower(), row[3]
    programs = split_programs(program)
    ent = Entity(
        id=ent_num,
        name=name,
        schema=SCHEMAS.get(typ, "organization"),
        programs=programs,
        source_url=DETAILS_URL.format(ent_num),
        remarks=remarks or None,
    )
    _add_name(ent, name, "primary")
    for kind_letter, alias in _REMARK_ALIAS.findall(remarks):
        _add_name(ent, alias, "former" if kind_letter == "f" else "weak")
    ent.listings = _listings(kind, programs, remarks, ent.source_url)
    first = ent.listings[0]
    ent.sub_list, ent.listed_on = first.list, first.listed_on
    ent.extra = {k: v for k, v in zip(EXTRA_FIELDS, row[4:11]) if v}
    if dobs := [d.strip().rstrip(".") for d in _DOB.findall(remarks)]:
        ent.extra["birth_dates"] = dobs
    if effective := re.search(r"Effective Date \(CMIC\):?\s*(\d{1,2} \w{3} \d{4})", remarks):
        ent.extra["effective_date"] = _iso(effective.group(1))
    return ent


def _listings(kind: str, programs: list[str], remarks: str, url: str) -> list[Listing]:
    def listing(name: str, program: str, date_tag: str | None) -> Listing:
        pattern = rf"Listing Date \({date_tag}\):?\s*(\d{{1,2}} \w{{3}} \d{{4}})"
        found = re.search(pattern, remarks) if date_tag else None
        return Listing(
            list=name,
            authority=AUTHORITY,
            listed_on=_iso(found.group(1)) if found else None,
            program=program or None,
            source_url=url,
        )

    if kind == "sdn":
        return [listing(SDN_LIST, "; ".join(programs), None)]
    out: dict[str, Listing] = {}
    for program, name, date_tag in CONS_LISTS:
        if program in programs and name not in out:
            out[name] = listing(name, program, date_tag)
    return list(out.values()) or [listing(CONS_FALLBACK, "; ".join(programs), r"[^)]*")]


def _add_name(ent: Entity, name: str, kind: str) -> None:
    names = [Name(name, kind)]
    if ent.schema == "person" and (natural := reorder_person(name)):
        names.append(Name(natural, "alias" if kind == "primary" else kind))
    for n in names:
        if all(n.name != old.name for old in ent.names):
            ent.names.append(n)


def _add_address(ent: Entity, parts: list[str]) -> None:
    address = ", ".join(p for p in parts if p)
    if address and address not in ent.addresses:
        ent.addresses.append(address)
    code = to_iso2(parts[2]) if len(parts) > 2 else None
    if code and code not in ent.countries:
        ent.countries.append(code)


def _iso(text: str) -> str | None:
    try:
        return datetime.strptime(text.strip(), "%d %b %Y").date().isoformat()
    except ValueError:
        return None


def _locate(path: Path) -> tuple[str, Path, list[Path | None]]:
    """Which set (sdn/cons), its main file and the other three (None when absent)."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    folder = path if path.is_dir() else path.parent
    try:
        present = {p.name.lower(): p for p in folder.iterdir()}
    except OSError as exc:
        raise InputError(f"{path}: cannot list folder: {exc.strerror or exc}") from None
    if path.is_dir():
        kind = next((k for k, names in FILES.items() if names[0] in present), None)
        if kind is None:
            raise InputError(f"{path}: folder holds neither sdn.csv nor cons_prim.csv")
        main = present[FILES[kind][0]]
    else:
        if any(path.name.lower() in names[1:] for names in FILES.values()):
            raise InputError(f"{path}: give the folder or its sdn.csv / cons_prim.csv file")
        kind = "cons" if path.name.lower().startswith("cons") else "sdn"
        main = path
    return kind, main, [present.get(name) for name in FILES[kind][1:]]


def _rows(path: Path, min_fields: int) -> list[list[str]]:
    """Rows of one OFAC file, ``-0-`` emptied; InputError for anything malformed."""
    text = _decode(path).rstrip("\x1a\r\n \t")
    out: list[list[str]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        for row in reader:
            if not row or all(not cell.strip("\x1a \t") for cell in row):
                continue
            row = [cell.strip() for cell in row]
            row = ["" if cell == "-0-" else cell for cell in row]
            if len(row) < min_fields or not row[0].isdigit():
                snippet = ",".join(row)[:60]
                raise InputError(
                    f"{path}: line {reader.line_num} is not an OFAC row "
                    f"(expected a numeric ent_num and {min_fields}+ fields): {snippet!r}"
                )
            out.append(row)
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    return out


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")
