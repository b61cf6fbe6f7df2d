"""List parsers: excerpts of real OFAC/CSL copies (fixtures/excerpts) and small hand-made
files."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from excerpts import excerpt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.countries import to_iso2
from screener.errors import InputError
from screener.lists.parsers import csl, ofac, simple
from screener.model import Entity, ParsedList

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lists"
SDN_DIR = excerpt("moov-watchman/ofac_sdn_2021")
CONS_DIR = excerpt("moov-watchman/ofac_non_sdn")
CSL_2025 = excerpt("moov-watchman/csl_samples/consolidated_sample_2025.csv")
CSL_2019 = excerpt("moov-watchman/csl_samples/csl_sample_2019.csv")


@pytest.fixture(scope="module")
def sdn() -> ParsedList:
    return ofac.parse(SDN_DIR)


@pytest.fixture(scope="module")
def cons() -> ParsedList:
    return ofac.parse(CONS_DIR)


def by_name(parsed: ParsedList, name: str) -> Entity:
    return next(e for e in parsed.entities if e.name == name)


def names(ent: Entity, kind: str | None = None) -> list[str]:
    return [n.name for n in ent.names if kind is None or n.kind == kind]


# --- OFAC ----------------------------------------------------------------------------


def test_sdn_2021_has_every_entry(sdn: ParsedList) -> None:
    assert len(sdn.entities) == 48  # every row of the excerpt's sdn.csv
    assert {lst.list for e in sdn.entities for lst in e.listings} == {"SDN List"}


def test_non_sdn_counts(cons: ParsedList) -> None:
    assert len(cons.entities) == 98  # every row of the excerpt's cons_prim.csv
    cmic = [e for e in cons.entities if "CMIC-EO13959" in e.programs]
    assert len(cmic) == 68  # the whole NS-CMIC list of the copy
    assert all(e.listings[0].list == "NS-CMIC List" for e in cmic)


def test_bank_of_kunlun_is_on_the_capta_list_with_its_remark(cons: ParsedList) -> None:
    """OFAC's only Part 561 entry, moved to the CAPTA List on 2019-03-14 (not the SDN List);
    its remarks state what the listing means, with the regulation."""
    kunlun = by_name(cons, "BANK OF KUNLUN CO LTD")
    assert kunlun.id == "15268"
    assert [(x.list, x.program) for x in kunlun.listings] == [("CAPTA List", "561-Related")]
    assert kunlun.remarks is not None
    assert kunlun.remarks.startswith("SWIFT/BIC CKLBCNBJ; United States financial institutions")
    assert kunlun.remarks.endswith("pursuant to 31 C.F.R. section 561.201(c).")


def test_hikvision_ns_cmic_listing(cons: ParsedList) -> None:
    hik = by_name(cons, "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.")
    assert hik.id == "30946"
    assert "HIKVISION" in names(hik, "alias")
    assert hik.listed_on == "2021-06-03"
    listing = hik.listings[0]
    assert (listing.list, listing.authority, listing.program, listing.listed_on) == (
        "NS-CMIC List",
        "US Treasury OFAC",
        "CMIC-EO13959",
        "2021-06-03",
    )
    assert listing.source_url == "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=30946"
    assert hik.countries == ["cn"]
    assert hik.extra["effective_date"] == "2021-08-02"


def test_non_sdn_program_decides_the_list(cons: ParsedList) -> None:
    haniya = by_name(cons, "HANIYA, Ismail Abdul Salah")
    assert haniya.listings[0].list == "Non-SDN Palestinian Legislative Council List"
    assert haniya.schema == "person"


def test_person_gets_first_last_alias(sdn: ParsedList, cons: ParsedList) -> None:
    chen = by_name(sdn, "CHEN, Mingguo")
    assert chen.name == "CHEN, Mingguo"  # primary kept as listed
    assert "Mingguo CHEN" in names(chen, "alias")
    assert "Ismail HANIYA" in names(by_name(cons, "HANIYA, Ismail Abdul Salah"), "alias")


def test_organisation_name_is_not_reordered(sdn: ParsedList) -> None:
    ent = by_name(sdn, "ANGLO-CARIBBEAN CO., LTD.")
    assert names(ent) == ["ANGLO-CARIBBEAN CO., LTD.", "AVIA IMPORT"]


def test_remarks_aka_is_a_weak_alias(sdn: ParsedList) -> None:
    bnc = by_name(sdn, "BANCO NACIONAL DE CUBA")
    assert "BNC" in names(bnc, "weak")
    assert "NATIONAL BANK OF CUBA" in names(bnc, "alias")


def test_programs_are_split(sdn: ParsedList) -> None:
    xpb = by_name(sdn, "XINJIANG PUBLIC SECURITY BUREAU")
    assert xpb.programs == ["GLOMAG"]
    assert "PUBLIC SECURITY DEPARTMENT OF XUAR" in names(xpb, "alias")
    assert ofac.split_programs("IRAN] [SDGT] [IRGC") == ["IRAN", "SDGT", "IRGC"]
    assert ofac.split_programs("[CMIC-EO13959]") == ["CMIC-EO13959"]


def test_remarks_overflow_is_joined(sdn: ParsedList) -> None:
    ent = next(e for e in sdn.entities if e.id == "12300")
    assert "PROMO RAIZ S.A.S.; Linked To: RED MUNDIAL" in (ent.remarks or "")


OFAC_ROWS = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '9001,"KAKWAVU BUKANDE, J\u00e9r\u00f4me","individual","DRCONGO",-0- ,-0- ,-0- ,-0- ,'
    "-0- ,-0- ,-0- ,\"DOB 1968; a.k.a. 'JEROME'.\"\r\n"
)


def test_latin1_accented_name_and_ctrl_z(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_bytes(OFAC_ROWS.encode("latin-1") + b"\x1a")
    address = b'9001,1,-0- ,"Goma","Congo, Democratic Republic of the",-0- \r\n\x1a'
    (tmp_path / "add.csv").write_bytes(address)
    parsed = ofac.parse(tmp_path)
    assert [e.name for e in parsed.entities] == [
        "AEROCARIBBEAN AIRLINES",
        "KAKWAVU BUKANDE, J\u00e9r\u00f4me",
    ]
    person = parsed.entities[1]
    assert "J\u00e9r\u00f4me KAKWAVU BUKANDE" in names(person, "alias")
    assert person.countries == ["cd"]
    assert person.extra["birth_dates"] == ["1968"]


def test_single_main_file_without_siblings(tmp_path: Path) -> None:
    main = tmp_path / "sdn.csv"
    main.write_text(OFAC_ROWS, encoding="utf-8")
    assert len(ofac.parse(main).entities) == 2


# --- CSL -----------------------------------------------------------------------------


def test_csl_entity_list_row() -> None:
    parsed = csl.parse(CSL_2025)
    assert len(parsed.entities) == 13
    cetc = next(e for e in parsed.entities if "(CETC 13)" in e.name)
    assert cetc.sub_list == "Entity List (EL) - Bureau of Industry and Security"
    assert cetc.citation == "83 FR 37423; 87 FR 77505"
    listing = cetc.listings[0]
    assert (listing.list, listing.authority, listing.listed_on) == (
        "Entity List (EL)",
        "US Commerce BIS",
        "2018-08-01",
    )
    assert listing.license_requirement and listing.license_requirement.startswith(
        "For all items subject to the EAR"
    )
    assert "HSRI" in names(cetc, "alias")
    assert "CETC Research Institute 13" in names(cetc)  # "; and CETC ..." cleaned
    assert cetc.countries == ["cn"]


def test_csl_2019_without_id_column() -> None:
    parsed = csl.parse(CSL_2019)
    assert len(parsed.entities) == 115
    assert len({e.id for e in parsed.entities}) == 115
    el = [e for e in parsed.entities if e.sub_list and e.sub_list.startswith("Entity List")]
    assert len(el) == 22
    fiftyfourth = by_name(parsed, "54th Research Institute of China")
    assert fiftyfourth.citation == "66 FR 24266, 77 FR 58006 (no. 182), 81 FR 64694"
    assert fiftyfourth.listed_on == "2001-05-14"


def test_csl_person_is_reordered() -> None:
    rim = by_name(csl.parse(CSL_2025), "RIM, Ryong Nam")
    assert rim.schema == "person"
    assert "Ryong Nam RIM" in names(rim, "alias")
    assert rim.countries == ["cn", "kp"]


def test_csl_json_api_form(tmp_path: Path) -> None:
    record = {
        "source": "Entity List (EL) - Bureau of Industry and Security",
        "name": "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "alt_names": ["Hikvision"],
        "addresses": [
            {
                "address": "No. 555 Qianmo Road",
                "city": "Hangzhou",
                "state": None,
                "postal_code": "310051",
                "country": "CN",
            }
        ],
        "federal_register_notice": "84 FR 54002",
        "start_date": "2019-10-09",
        "programs": [],
    }
    for payload in ({"results": [record]}, [record]):
        path = tmp_path / "csl.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        (ent,) = csl.parse(path).entities
        assert ent.citation == "84 FR 54002"
        assert ent.listed_on == "2019-10-09"
        assert names(ent, "alias") == ["Hikvision"]
        assert ent.countries == ["cn"]
        assert ent.addresses == ["No. 555 Qianmo Road, Hangzhou, 310051, CN"]


def test_csl_json_fixture_matches_the_csv_rows() -> None:
    from_json = csl.parse(FIXTURES / "csl_sample.json").entities
    from_csv = {e.id: e for e in csl.parse(CSL_2025).entities}
    assert len(from_json) == 3
    for ent in from_json:
        twin = from_csv[ent.id]
        assert (ent.name, ent.sub_list, ent.citation, ent.listed_on, ent.countries) == (
            twin.name,
            twin.sub_list,
            twin.citation,
            twin.listed_on,
            twin.countries,
        )
        assert names(ent) == names(twin)


# --- simple / own lists --------------------------------------------------------------


def test_own_denylist_fixture() -> None:
    parsed = simple.parse(FIXTURES / "own_denylist.csv")
    assert len(parsed.entities) == 5
    hik = parsed.entities[0]
    assert hik.name == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert names(hik, "alias") == ["Hikvision", "海康威视"]
    assert hik.listings[0].list == "own_denylist"
    assert hik.schema == "organization"


def test_simple_minimal_id_name_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_bytes('\ufeffID,Name\r\nx1,"Zhejiang Dahua Technology Co., Ltd."\r\n'.encode())
    (ent,) = simple.parse(path).entities
    assert (ent.id, ent.name, ent.schema) == (
        "x1",
        "Zhejiang Dahua Technology Co., Ltd.",
        "unknown",
    )
    assert ent.listings[0].list == "mine"


def test_simple_opensanctions_columns(tmp_path: Path) -> None:
    path = tmp_path / "targets.simple.csv"
    path.write_text(
        "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,"
        "emails,dataset,first_seen,last_seen,last_change\n"
        'NK-1,Person,Mingguo Chen,"Chen Mingguo;陈明国",1956-11,cn,,,GLOMAG,,,'
        '"US OFAC Specially Designated Nationals (SDN) List;EU Financial Sanctions Files (FSF)",'
        "2020-07-09T12:00:00,2024-01-01T00:00:00,2023-01-01T00:00:00\n",
        encoding="utf-8",
    )
    (ent,) = simple.parse(path).entities
    assert ent.schema == "person"
    assert names(ent, "alias") == ["Chen Mingguo", "陈明国"]
    assert [lst.list for lst in ent.listings] == [
        "US OFAC Specially Designated Nationals (SDN) List",
        "EU Financial Sanctions Files (FSF)",
    ]
    assert ent.listings[0].listed_on == "2020-07-09"
    assert ent.countries == ["cn"]


def test_simple_duplicate_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,name\na,ZTE Corporation\na,Hytera Communications Corporation\n")
    with pytest.raises(InputError, match=r"dup\.csv: line 3: id 'a' already used on line 2"):
        simple.parse(path)


# --- countries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("China", "cn"),
        ("Hong Kong", "hk"),
        ("Russia", "ru"),
        ("Russian Federation", "ru"),
        ("Iran", "ir"),
        ("Korea, North", "kp"),
        ("Korea, South", "kr"),
        ("CN", "cn"),
        ("Islamic Republic of Pakistan", "pk"),
        ("Region: Crimea", "ua"),
        ("UK", "gb"),
        ("Virgin Islands, British", "vg"),
        ("Cote d Ivoire", "ci"),
        ("Chinese", "cn"),
        ("undetermined", None),
        ("QQ", None),
        ("", None),
    ],
    ids=lambda v: repr(v),
)
def test_to_iso2(text: str, code: str | None) -> None:
    assert to_iso2(text) == code


# --- bad input -----------------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head></html>\n"
BAD_INPUTS = {
    "missing": None,
    "html-page": HTML,
    "empty": b"",
    "wrong-header": b"company,country\nZTE Corporation,CN\n",
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
@pytest.mark.parametrize("parser", [csl, ofac, simple], ids=lambda m: m.__name__.rsplit(".")[-1])
def test_bad_input_names_the_file(parser: ModuleType, case: str, tmp_path: Path) -> None:
    path = tmp_path / ("sdn.csv" if parser is ofac else "list.csv")
    if BAD_INPUTS[case] is not None:
        path.write_bytes(BAD_INPUTS[case])
    with pytest.raises(InputError) as info:
        parser.parse(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


def test_csl_html_page_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "consolidated.csv"
    path.write_bytes(HTML)
    with pytest.raises(InputError, match="HTML page.*'name' and 'source'"):
        csl.parse(path)


@pytest.mark.parametrize("text", ['{"results": [{"name": "ZTE', "[", '{"total": 3}'], ids=str)
def test_csl_truncated_or_wrong_json(text: str, tmp_path: Path) -> None:
    path = tmp_path / "csl.json"
    path.write_text(text)
    with pytest.raises(InputError, match=str(path).replace(".", r"\.")):
        csl.parse(path)


def test_ofac_folder_without_main_file(tmp_path: Path) -> None:
    (tmp_path / "alt.csv").write_text('36,12,"aka","AERO-CARIBBEAN",-0- \n')
    with pytest.raises(InputError, match="neither sdn.csv nor cons_prim.csv"):
        ofac.parse(tmp_path)


@pytest.mark.parametrize(
    "alt", ['36,12,"aka","AERO-CARIB', '36,12,"aka"\n'], ids=["open-quote", "too-few-fields"]
)
def test_ofac_truncated_alias_file(alt: str, tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_text(OFAC_ROWS)
    (tmp_path / "alt.csv").write_text(alt)
    with pytest.raises(InputError, match=r"alt\.csv"):
        ofac.parse(tmp_path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_give_a_list_or_input_error(data: bytes, tmp_path: Path) -> None:
    for parser, name in ((csl, "x.csv"), (ofac, "sdn.csv"), (simple, "x.csv")):
        path = tmp_path / name
        path.write_bytes(data)
        try:
            parsed = parser.parse(path)
        except InputError as exc:
            assert str(exc).startswith(str(path))
        else:
            assert parsed.entities
