"""An index file is read back as it was written, whatever JSON its entities hold."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from screener.matching.index import Index
from screener.matching.index_file import open_index, save_index
from screener.matching.matcher import Matcher, screen
from screener.model import Entity, Name

HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."


def test_an_entity_holding_a_nan_reads_back_whole_and_row_by_row(tmp_path: Path) -> None:
    # a list read through pandas may carry NaN in an extra column; the index file's JSON
    # then holds NaN, which a strict JSON reader refuses
    e = Entity("hik", HIK, names=[Name(HIK, "primary")], extra={"capital": math.nan})
    path = tmp_path / "lists.index"
    save_index(Index.build([e]), path, "k1")
    for lazy in (False, True):
        idx = open_index(path, "k1", lazy=lazy)
        assert idx is not None, f"lazy={lazy}"
        hits = screen(Matcher(idx), HIK)
        assert [h.entity.id for h in hits] == ["hik"]
        assert math.isnan(hits[0].entity.extra["capital"])


def test_a_lazily_read_index_lists_its_entities_to_the_end(tmp_path: Path) -> None:
    # walking the entities of a lazily read index (as the API's record lookup does) ends at
    # the last one: the row past the end is the end of the list, not a row the file lost
    ents = [Entity(f"e{i}", f"Listed Company {i} Co Ltd", names=[]) for i in range(3)]
    path = tmp_path / "lists.index"
    save_index(Index.build(ents), path, "k1")
    idx = open_index(path, "k1", lazy=True)
    assert idx is not None
    assert [e.id for e in idx.entities] == ["e0", "e1", "e2"]
    with pytest.raises(IndexError):
        idx.entities[3]


def test_an_entity_reads_back_from_the_file_as_the_json_module_writes_it(tmp_path: Path) -> None:
    # entities are written by orjson; what comes back must be what the json module's
    # encoding (the reference, and the fallback for NaN) gives: a date through str(),
    # numbers, flags, nested lists, keys that are not text made text
    import datetime as dt
    import json

    extra = {
        "listed": dt.datetime(2019, 10, 9, 12, 30),
        "capital": 1e16,
        "share": 0.5,
        "state_owned": True,
        "codes": [1, "A", None],
        7: "seven",
    }
    e = Entity("hik", HIK, names=[Name(HIK, "primary")], extra=extra)
    path = tmp_path / "lists.index"
    save_index(Index.build([e]), path, "k1")
    expected = json.loads(json.dumps(extra, ensure_ascii=False, default=str))
    for lazy in (False, True):
        idx = open_index(path, "k1", lazy=lazy)
        assert idx is not None, f"lazy={lazy}"
        assert idx.entities[0].extra == expected, f"lazy={lazy}"


def test_every_field_of_an_entity_reads_back_whether_it_holds_its_default_or_not(
    tmp_path: Path,
) -> None:
    # the file leaves out the fields that hold their default value; each must come back,
    # set or not (an out-of-force listing must not read back in force). Facts of the
    # Entity List rule that added Hikvision: 84 FR 54002, 2019-10-09 (Federal Register).
    import dataclasses

    from screener.model import Listing

    listing = Listing(
        "Entity List",
        authority="US Commerce BIS",
        citation="84 FR 54002",
        listed_on="2019-10-09",
        end_date="2019-10-10",
        in_force=False,
        program="EAR Part 744",
        license_requirement="For all items subject to the EAR",
        license_policy="Presumption of denial",
        effect="a license is required",
        source_url="https://www.federalregister.gov/d/2019-22210",
    )
    full = Entity(
        "hik",
        HIK,
        schema="unknown",
        names=[
            Name(HIK, "primary", "en"),
            Name("杭州海康威视数字技术股份有限公司", "chinese", "zh"),
        ],
        countries=["cn"],
        addresses=["No. 555 Qianmo Road, Binjiang District, Hangzhou"],
        programs=["EAR"],
        listings=[listing, Listing("Entity List")],
        sub_list="Entity List (EL) - Bureau of Industry and Security",
        citation="84 FR 54002",
        listed_on="2019-10-09",
        end_date="2019-10-10",
        license_requirement="For all items subject to the EAR",
        license_policy="Presumption of denial",
        source_url="https://www.federalregister.gov/d/2019-22210",
        remarks="a remark",
        parent_id="cetc",
        parent_name="China Electronics Technology Group Corporation",
        identifiers=["USCC 91330000733796106P"],
        extra={"source_id": "el"},
    )
    for obj in (full, full.names[0], listing):  # the test covers every field there is
        for f in dataclasses.fields(obj):
            if f.default is not dataclasses.MISSING:
                assert getattr(obj, f.name) != f.default, f.name
            elif f.default_factory is not dataclasses.MISSING:
                assert getattr(obj, f.name) != f.default_factory(), f.name
    bare = Entity("cetc", "China Electronics Technology Group Corporation")
    path = tmp_path / "lists.index"
    save_index(Index.build([full, bare]), path, "k1")
    for lazy in (False, True):
        idx = open_index(path, "k1", lazy=lazy)
        assert idx is not None, f"lazy={lazy}"
        assert idx.entities[0] == full, f"lazy={lazy}"
        assert idx.entities[1] == bare, f"lazy={lazy}"
        assert idx.entities[0].listings[0].in_force is False
        assert idx.entities[1].schema == "organization" and idx.entities[1].names == []


def test_an_index_file_of_format_6_is_built_again_by_the_first_load(store, monkeypatch) -> None:
    # a file an older release wrote, for the same lists: never read, built again
    import sqlite3

    from screener.matching import index_file
    from screener.screening.index_cache import cache_key, index_path, load_index

    path, key = index_path(store), cache_key(store.require_lists())
    for lazy in (True, False):
        with monkeypatch.context() as m:
            m.setattr(index_file, "FORMAT", 6)
            save_index(Index.build([Entity("acme", "Acme Widgets")]), path, key)
        assert open_index(path, key, lazy=lazy) is None
        hits = screen(Matcher(load_index(store, lazy=lazy)), HIK)
        assert "Hikvision" in hits[0].entity.name, f"lazy={lazy}"
        conn = sqlite3.connect(path)
        assert conn.execute("select value from meta where key = 'format'").fetchone() == ("7",)
        conn.close()


def test_a_check_after_a_build_reads_the_saved_file_lazily(store) -> None:
    # the index built for a single check is freed once saved (what runs next, the parties
    # of a big list, needs the memory): the check reads the file as a later one would
    from screener.screening.index_cache import index_path, load_index

    index_path(store).unlink()
    idx = load_index(store, lazy=True)
    assert getattr(idx, "path", None) == index_path(store)
    assert "Hikvision" in screen(Matcher(idx), HIK)[0].entity.name
    whole = load_index(store, lazy=False)
    assert isinstance(whole.names, list) and len(whole.names) == len(idx.names)
