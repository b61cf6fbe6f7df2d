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
