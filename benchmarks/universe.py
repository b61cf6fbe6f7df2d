"""The benchmark universe: every reference list under shared/data, as ParsedLists.

OFAC, CSL, the DoD 1260H editions, the FCC Covered List, METI's End User List and ASPI's
tracker go through the product parsers (``screener.lists.parsers``), so the benchmark reads
them as the product does. The other sources are reference copies in one-off formats (see
shared/data/PROVENANCE.md); the small converters below read them for benchmarking only
and are not product importers.

    python benchmarks/universe.py [DATA_DIR]    # prints entities/names per source

A source whose files are absent is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from screener.countries import to_iso2
from screener.db.store import Store
from screener.lists.bundled import open_store
from screener.lists.parsers import aspi_unitracker, csl, dod_1260h, fcc_covered, meti_eul, ofac
from screener.model import Entity, Listing, Name, ParsedList

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIRS = (REPO.parent / "shared" / "data",)


def shared_lists(data_dir: Path | None = None) -> dict[str, ParsedList]:
    """source_id -> ParsedList for every benchmark source whose files are present."""
    data = (
        Path(data_dir)
        if data_dir
        else next((d for d in DEFAULT_DATA_DIRS if d.is_dir()), DEFAULT_DATA_DIRS[0])
    )
    out: dict[str, ParsedList] = {}
    for source_id, (rel, build) in SOURCES.items():
        paths = [data / r for r in rel]
        if all(p.exists() for p in paths):
            out[source_id] = build(*paths)
    return out


# --- product parsers ------------------------------------------------------------------


def _csl_samples(*paths: Path) -> ParsedList:
    entities: list[Entity] = []
    for path in paths:
        for ent in csl.parse(path).entities:
            ent.id = f"{path.stem}:{ent.id}"  # the two samples share OFAC entity numbers
            entities.append(ent)
    return ParsedList(entities, meta={"format": "csl-csv"})


# --- reference-copy converters --------------------------------------------------------


def _ndaa_889(path: Path) -> ParsedList:
    """NDAA FY2019 section 889 companies, OpenSanctions source file."""
    entities = []
    for row in _csv(path):
        ent = _org("889", row["name"].strip())
        _names(ent, _split(row["aliases"]), "alias")
        ent.listings.append(
            Listing(
                list="NDAA Section 889",
                authority=row["authority"].strip() or None,
                program=row["program"].strip() or None,
                listed_on=row["start-date"] or None,
                effect="US federal agencies may not procure or contract for these companies' "
                "covered telecommunications and video surveillance equipment",
                source_url=row["source_url"].strip() or None,
            )
        )
        _summarise_listings(ent)
        entities.append(ent)
    return ParsedList(entities, meta={"format": "opensanctions-special-leg"})


def _eu_ghr(path: Path) -> ParsedList:
    """EU Global Human Rights sanctions (Reg. 2020/1998) as OpenSanctions extracts it."""
    entities = []
    for row in _csv(path):
        person = row["schema"] == "Person"
        ent = Entity(
            id=f"eu-ghr:{row['annex']}:{row['recordId']}",
            name=row["name"].strip(),
            schema="person" if person else "organization",
        )
        ent.names.append(Name(ent.name, "primary"))
        _names(ent, _split(row["alias"], commas=person), "alias")
        _names(ent, _split(row["weakAlias"], commas=person), "weak")
        _names(ent, _split(row["previousName"], commas=person), "former")
        for text in _split(row["country"]) + _split(row["nationality"]):
            if (code := to_iso2(text)) and code not in ent.countries:
                ent.countries.append(code)
        ent.listings.append(
            Listing(
                list="EU Global Human Rights Sanctions Regime",
                authority="Council of the EU",
                citation="Council Regulation (EU) 2020/1998",
                program=row["programKey"] or None,
                listed_on=_date(row["startDate"]),
                effect=row["measure"] or None,
                source_url="https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32020R1998",
            )
        )
        _summarise_listings(ent)
        entities.append(ent)
    return ParsedList(entities, meta={"format": "eu-journal-sanctions"})


def _uk_sanctions(subjects: Path, names: Path) -> ParsedList:
    """UK Sanctions List, as split into subjects + names by covyr/uk-sanctions-list."""
    schemas = {"individual": "person", "entity": "organization", "ship": "vessel"}
    entities: dict[str, Entity] = {}
    for row in _csv(subjects):
        uid = row["unique_id"]
        ent = entities[uid] = Entity(
            id=uid, name="", schema=schemas.get(row["subject_type"], "unknown")
        )
        ent.programs = [re.sub(r"\d+$", "", uid)]
        ent.listings.append(
            Listing(
                list="UK Sanctions List",
                authority="UK FCDO",
                program=ent.programs[0],
                listed_on=_date(row["date_designated"]),
                source_url="https://www.gov.uk/government/publications/the-uk-sanctions-list",
            )
        )
        _summarise_listings(ent)
    for row in _csv(names):
        ent = entities.get(row["unique_id"])
        full = " ".join((row["full_name"] or row["name_6"]).split())
        if ent is None or not full:
            continue
        if row["name_type"] == "primary" and not ent.name:
            ent.name = full
            ent.names.insert(0, Name(full, "primary"))
        else:
            kind = "weak" if row["alias_strength"] == "low_quality_aka" else "alias"
            _names(ent, [full], kind)
    kept = [e for e in entities.values() if e.name]
    return ParsedList(kept, meta={"format": "covyr-uk-sanctions"})


def _misp_surveillance(path: Path) -> ParsedList:
    """MISP galaxy 'Surveillance Vendor' cluster: value and its synonyms."""
    entities = []
    for value in json.loads(path.read_text(encoding="utf-8"))["values"]:
        ent = Entity(id=f"misp-sv:{value['uuid']}", name=value["value"].strip())
        ent.names.append(Name(ent.name, "primary"))
        _names(ent, value.get("meta", {}).get("synonyms", []), "alias")
        ent.listings.append(
            Listing(
                list="MISP Surveillance Vendors",
                authority="MISP galaxy (community)",
                in_force=False,
                effect="Reference list of surveillance vendors, not a legal list",
                source_url="https://github.com/MISP/misp-galaxy/blob/main/clusters/"
                "surveillance-vendor.json",
            )
        )
        entities.append(ent)
    return ParsedList(entities, meta={"format": "misp-galaxy"})


_AKA_START = re.compile(r"a\.k\.a|the following \w+ alias")


def _bis_universities(path: Path) -> ParsedList:
    """PRC universities on the BIS Entity List, verbatim entry text (kaixinol)."""
    entities = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["entries"]:
        name = re.split(r",?\s*(?:and )?the following \w+ alias", entry["name"])[0].strip()
        ent = _org("bis-el-univ", name)
        ent.countries = ["cn"]
        _names(ent, _entity_list_akas(entry["raw"]), "alias")
        ent.remarks = entry["raw"]
        ent.listings.append(
            Listing(
                list="Entity List",
                authority="US Commerce BIS",
                source_url="https://www.bis.gov/regulations/ear/744#supplement-no.-4",
            )
        )
        _summarise_listings(ent)
        entities.append(ent)
    return ParsedList(entities, meta={"format": "bis-el-text"})


def _entity_list_akas(raw: str) -> list[str]:
    """'X, a.k.a., the following two aliases: —A; and —B. 27 Road...' -> ['A', 'B'].

    Each alias follows an em dash and ends at ';', at a sentence end, or (the last one,
    which runs into the address) before a street number.
    """
    start = _AKA_START.search(raw)
    if not start:
        return []
    items = raw[start.start() :].split("—")[1:]
    akas = []
    for i, item in enumerate(items):
        item = " ".join(item.split())
        if i == len(items) - 1:
            item = re.split(r"\s+(?=No\.\s|\d+\s)", item)[0]
        item = re.split(r";|\.\s+(?=\S)", item)[0]
        item = re.sub(r"\s+and$", "", item.rstrip(".;, ")).rstrip(".;, ")
        if item:
            akas.append(item)
    return akas


# --- helpers --------------------------------------------------------------------------


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _org(prefix: str, name: str) -> Entity:
    digest = hashlib.sha1(name.lower().encode()).hexdigest()[:12]
    ent = Entity(id=f"{prefix}:{digest}", name=name)
    ent.names.append(Name(name, "primary"))
    return ent


def _split(text: str | None, commas: bool = True) -> list[str]:
    """'A; B' (and 'A, B' unless the comma is part of 'Co., Ltd.') -> ['A', 'B']."""
    if not text:
        return []
    sep = r";|,(?!\s*(?:Ltd|Inc|LLC|Limited|Co\b|S\.A))" if commas else r";"
    return [p.strip() for p in re.split(sep, text) if p.strip()]


def _names(ent: Entity, names: list[str], kind: str, lang: str | None = None) -> None:
    for name in names:
        name = " ".join(name.split())
        if name and all(name != n.name for n in ent.names):
            ent.names.append(Name(name, kind, lang))


def _summarise_listings(ent: Entity) -> None:
    """Copy the earliest listing's fields onto the entity, as product parsers do."""
    if not ent.listings:
        return
    first = min(ent.listings, key=lambda lst: lst.listed_on or "9999")
    ent.sub_list = first.list
    ent.listed_on, ent.citation, ent.source_url = first.listed_on, first.citation, first.source_url
    if all(lst.end_date for lst in ent.listings):
        ent.end_date = max(lst.end_date or "" for lst in ent.listings)


def _date(text: str | None) -> str | None:
    """'2.3.2021', '2 March 2021', '29/06/2012', 'March 12, 2021' -> ISO; else None."""
    text = " ".join((text or "").split()).strip(" .")
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d %B %Y", "%B %d, %Y", "%B %Y"):
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return parsed.isoformat()[:7] if fmt == "%B %Y" else parsed.isoformat()
    return None


SOURCES: dict[str, tuple[tuple[str, ...], Callable[..., ParsedList]]] = {
    "ofac-sdn": (("moov-watchman/ofac_sdn_2021",), ofac.parse),
    "ofac-cons": (("moov-watchman/ofac_non_sdn",), ofac.parse),
    "csl-samples": (
        (
            "moov-watchman/csl_samples/consolidated_sample_2025.csv",
            "moov-watchman/csl_samples/csl_sample_2019.csv",
        ),
        _csl_samples,
    ),
    "dod-1260h": (("opensanctions/us/dod_chinese_milcorps/sanctions.csv",), dod_1260h.parse),
    "fcc-covered": (("opensanctions/us/fcc_covered_list/table.csv",), fcc_covered.parse),
    "ndaa-889": (("opensanctions/us/special_leg/source_files/section_889.csv",), _ndaa_889),
    "eu-ghr": (("opensanctions/eu/journal_sanctions/data/consolidated/32020R1998.csv",), _eu_ghr),
    "uk-sanctions": (
        ("covyr-uk-sanctions/subjects.csv", "covyr-uk-sanctions/subject_names.csv"),
        _uk_sanctions,
    ),
    "meti-eul": (("xyna-export-control-registry/data/entities/jp.json",), meti_eul.parse),
    "aspi-unitracker": (
        ("misp-galaxy/clusters/china-defence-universities.json",),
        aspi_unitracker.parse,
    ),
    "misp-sv": (("misp-galaxy/clusters/surveillance-vendor.json",), _misp_surveillance),
    "bis-universities": (("kaixinol-bis-el-universities/data.json",), _bis_universities),
}


def main(argv: list[str]) -> None:
    lists = shared_lists(Path(argv[1]) if len(argv) > 1 else None)
    total_entities = total_names = 0
    print(f"{'source':<18}{'entities':>10}{'names':>10}")
    for source_id, parsed in lists.items():
        n_names = sum(len(e.all_names()) for e in parsed.entities)
        total_entities += len(parsed.entities)
        total_names += n_names
        print(f"{source_id:<18}{len(parsed.entities):>10}{n_names:>10}")
    print(f"{'total':<18}{total_entities:>10}{total_names:>10}")


if __name__ == "__main__":
    main(sys.argv)


def build_store(path: Path) -> Store:
    """A store at ``path`` holding the bundled lists and every benchmark source, each as a
    list version (imported once: a store that holds them already is kept)."""
    store = open_store(path)  # loads the bundled list
    for sid, parsed in shared_lists().items():
        store.import_parsed(
            {"id": sid, "name": sid, "kind": "reference"},
            parsed,
            sha256=f"bench-{sid}",
            origin=f"shared/data ({sid})",
        )
    return store
