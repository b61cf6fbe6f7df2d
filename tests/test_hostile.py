"""Hostile files and damaged state (issue 24): never a silent clear, always bounded.

Each test writes its own hostile file and runs the real entry point on it. The cases
are numbered as the issue numbers them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import run_main

from screener.files.encodings import decode_cell, unreadable

HIKVISION_ZH = "海康威视"  # Hangzhou Hikvision: Entity List, 84 FR 54002


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# -- 1. a mixed-encoding CSV ------------------------------------------------------------------


def _mixed_csv(path: Path) -> Path:
    """Rows in UTF-8, Latin-1, GBK and cp1252 in one file, as an export assembled from
    several systems is."""
    rows = [
        ("name", "ascii"),
        ("Acme Widgets", "ascii"),
        ("Müller Maschinenbau GmbH", "utf-8"),
        ("Société Générale", "latin-1"),
        (HIKVISION_ZH, "gbk"),
        ("“Smart” Solutions", "cp1252"),
        ("Zhejiang Dahua Technology", "ascii"),
    ]
    path.write_bytes(b"".join(text.encode(enc) + b"\r\n" for text, enc in rows))
    return path


def test_1_a_mixed_encoding_csv_reads_each_row_in_its_encoding_and_the_gbk_row_hits(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    src = _mixed_csv(tmp_path / "parties.csv")
    out = tmp_path / "parties.jsonl"
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(src), "-o", str(out)
    )
    assert code == 1, err
    rows = {r["query"]: r for r in _jsonl(out)}
    assert set(rows) == {
        "Acme Widgets",
        "Müller Maschinenbau GmbH",
        "Société Générale",
        HIKVISION_ZH,
        "“Smart” Solutions",
        "Zhejiang Dahua Technology",
    }
    assert rows[HIKVISION_ZH]["status"] == "hit"
    assert rows[HIKVISION_ZH]["hits"][0]["entity_id"] == "hikvision"
    assert rows[HIKVISION_ZH]["reason"].startswith("decoded as gb18030")
    assert rows["Müller Maschinenbau GmbH"]["reason"].startswith("decoded as utf-8")
    assert rows["Acme Widgets"]["status"] == "clear"
    assert "not in one encoding" in err and "1 as gb18030" in err


@pytest.mark.parametrize(
    ("text", "right", "wrong"),
    [
        (HIKVISION_ZH, "gbk", "cp1251"),
        (HIKVISION_ZH, "gbk", "cp1252"),
        ("杭州海康威视数字技术股份有限公司", "gbk", "latin-1"),
        ("Müller", "latin-1", "gbk"),  # "M黮ler"
        ("Société Générale", "utf-8", "cp1252"),  # "SociÃ©tÃ©"
        ("Лаборатория Касперского", "utf-8", "cp1252"),
    ],
    ids=lambda v: v if v.isascii() else None,
)
def test_1_mojibake_is_told_apart_from_names(text: str, right: str, wrong: str) -> None:
    garbled = text.encode(right).decode(wrong, errors="replace")
    assert garbled != text
    assert unreadable(garbled), garbled
    assert unreadable(text) is None


@pytest.mark.parametrize(
    "name",
    [
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "杭州海康威视数字技术股份有限公司",
        "Hikvision (海康威视)",
        "ООО Касперский Лаборатория",
        "МегаФон",  # a brand in camel case
        "ОАО Научно-производственная корпорация УралВагонЗавод",
        "Київський завод",  # Ukrainian
        "Ђорђе Јовановић",  # Serbian
        "Société Générale",
        "Þórður Ævarsson",
        "贝拉克·奥巴马",  # the middle dot of names in Chinese
        "Association of People´s Militia",  # an acute accent for an apostrophe
    ],
)
def test_1_real_names_are_readable(name: str) -> None:
    assert unreadable(name) is None


def test_1_each_cell_is_decoded_by_the_encoding_its_bytes_fit() -> None:
    assert decode_cell("海康威视".encode("gbk"), "cp1252") == ("海康威视", "gb18030")
    assert decode_cell("Müller".encode(), "gb18030") == ("Müller", "utf-8")
    assert decode_cell("Société".encode("latin-1"), "gb18030") == ("Société", "cp1252")
    assert decode_cell("Société".encode("cp1252"), "cp1252") == ("Société", None)
    text, how = decode_cell(b"\xba\xa3\xff\xfe\xcd\x81\x90", "cp1252")
    assert how == "unreadable" and "\ufffd" in text


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl", ".parquet", ".html"])
def test_1_a_mojibake_name_is_unreadable_in_every_output_and_needs_review(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    suffix: str,
) -> None:
    src = tmp_path / "parties.csv"
    src.write_text("name\nAcme Widgets\nКЃПЕЭўЪг\nº£¿µÍþÊÓ\n", encoding="utf-8")
    out = tmp_path / f"screened{suffix}"
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(db_path), "batch", str(src), "-o", str(out)
    )
    assert code == 1, err  # nothing hit, but two names need a reviewer
    assert "2 UNREADABLE" in err
    if suffix == ".csv":
        statuses = list(pd.read_csv(out, dtype=str)["screen_status"])
    elif suffix == ".xlsx":
        statuses = list(pd.read_excel(out, dtype=str)["screen_status"])
    elif suffix == ".parquet":
        statuses = list(pd.read_parquet(out)["screen_status"])
    elif suffix == ".jsonl":
        statuses = [r["status"] for r in _jsonl(out)]
        assert "mojibake" in _jsonl(out)[1]["reason"]
    else:
        page = out.read_text("utf-8")
        assert page.count('<span class="verdict unreadable">Unreadable</span> name unreadable') == 2
        return
    assert statuses == ["clear", "unreadable", "unreadable"]
    if suffix != ".html":
        meta = json.loads(out.with_name(out.name + ".meta.json").read_text("utf-8"))
        assert meta["summary"]["unreadable"] == 2
        assert meta["summary"]["needs_review"] == 2


# -- 2. a damaged index file ------------------------------------------------------------------

# KIM SE GON: an OFAC SDN (and UK) listed person; a deny list of one entry in the "simple"
# format, beside 3,000 generated companies so that the token table spans many pages.
KIM = "KIM SE GON"


@pytest.fixture
def kim_db(db_path: Path, tmp_path: Path, monkeypatch, capsys) -> Path:
    rows = ["id,schema,name", "kp-kim-se-gon,Person,KIM SE GON"]
    syllables = ["ka", "lo", "mi", "ren", "dov", "sta", "ner", "vi", "ko", "lan", "tre", "ga"]
    for i in range(3000):
        a, b, c = (syllables[(i * k + k) % len(syllables)] for k in (1, 5, 7))
        rows.append(f"gen-{i},Company,{a}{b}{c} {c}{a} Trading {i}")
    own = tmp_path / "own.csv"
    own.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "--db",
        str(db_path),
        "lists",
        "import",
        str(own),
        "--format",
        "simple",
        "--source",
        "own",
    )
    assert code == 0, err
    code, out, err = run_main(monkeypatch, capsys, "--db", str(db_path), "check", KIM)
    assert code == 1 and "HIT 1.00  KIM SE GON" in out, out + err
    return db_path


def _index(db: Path) -> Path:
    return db.with_name(db.name + ".index")


def _blank_postings(db: Path) -> None:
    """Damage SQLite cannot see: the postings of 'kim' (the name's one indexed token)
    emptied in place (a valid file, wrong content), as flipped bytes in a row leave it."""
    import sqlite3

    conn = sqlite3.connect(_index(db))
    with conn:
        n = conn.execute("update tokens set postings = x'' where token = 'kim'").rowcount
    conn.close()
    assert n == 1


def _damage_rows(db: Path, sql: str) -> None:
    """Damage SQLite cannot see, made with SQL: KIM SE GON's row changed in place."""
    import sqlite3

    conn = sqlite3.connect(_index(db))
    with conn:
        assert conn.execute(sql).rowcount == 1
    conn.close()


def _flip_leaf_pages(db: Path, table: str, pages: int | None = 10) -> None:
    """Flip bytes all over ``pages`` leaf pages (default all) of one b-tree of the index."""
    import sqlite3

    conn = sqlite3.connect(_index(db))
    leaves = [
        r[0]
        for r in conn.execute(
            "select pageno from dbstat where name = ? and pagetype = 'leaf'", [table]
        )
    ]
    size = conn.execute("pragma page_size").fetchone()[0]
    conn.close()
    assert len(leaves) >= (pages or 1), leaves
    with open(_index(db), "r+b") as f:
        for page in leaves[:pages]:
            for offset in range(16, size, 37):
                f.seek((page - 1) * size + offset)
                b = f.read(1)
                f.seek((page - 1) * size + offset)
                f.write(bytes([b[0] ^ 0x5A]))


@pytest.mark.parametrize(
    "damage",
    [
        _blank_postings,
        lambda db: _flip_leaf_pages(db, "tokens"),
        lambda db: _flip_leaf_pages(db, "tokens_key"),
        lambda db: _flip_leaf_pages(db, "entities", None),
        lambda db: _flip_leaf_pages(db, "names", None),
        lambda db: _damage_rows(
            db, "update entities set data = substr(data, 1, 60) where data like '%KIM SE GON%'"
        ),
        lambda db: _damage_rows(db, "update names set norm = '[\"kim' where text = 'KIM SE GON'"),
    ],
    ids=[
        "postings-emptied",
        "token-table-leaves",
        "token-key-leaves",
        "entity-leaves",
        "name-leaves",
        "entity-json-cut",
        "name-json-cut",
    ],
)
def test_2_a_damaged_index_is_built_again_and_the_listed_name_still_hits(
    kim_db: Path, tmp_path: Path, monkeypatch, capsys, damage
) -> None:
    damage(kim_db)
    code, out, err = run_main(monkeypatch, capsys, "--db", str(kim_db), "check", KIM)
    assert "Traceback" not in err
    assert code == 1, out + err
    assert "HIT 1.00  KIM SE GON" in out
    # the file was built again: whole, and read whole by a batch
    from screener.matching.index_file import file_crc

    crc, stored = file_crc(_index(kim_db))
    assert crc == stored
    src = tmp_path / "parties.csv"
    src.write_text(f"name\n{KIM}\nAcme Widgets\n", encoding="utf-8")
    damage(kim_db)  # and damaged again: a batch reads the whole file, checked first
    out_path = tmp_path / "parties.jsonl"
    code, _, err = run_main(
        monkeypatch, capsys, "--db", str(kim_db), "batch", str(src), "-o", str(out_path)
    )
    assert code == 1, err
    assert [r["status"] for r in _jsonl(out_path)] == ["hit", "clear"]


def test_2_emptied_postings_read_unchecked_would_clear_the_listed_name(
    kim_db: Path, monkeypatch
) -> None:
    """The damage of the test above is the issue's: without the row checks, no hit."""
    from screener.matching import index_file
    from screener.screening.service import Screener

    class Equal:
        def __ne__(self, other: object) -> bool:
            return False

    _blank_postings(kim_db)
    monkeypatch.setattr(index_file, "_crc", lambda *fields: Equal())
    s = Screener.open(kim_db)
    try:
        assert s.check(KIM).hits == []
    finally:
        s.close()


def test_2_an_index_damaged_again_after_building_it_anew_exits_3(
    kim_db: Path, monkeypatch, capsys
) -> None:
    from screener.screening import index_cache, service

    def rebuild_and_damage(store, *, lazy=True):
        index_cache.rebuild_index(store, lazy=False)
        _blank_postings(kim_db)
        return index_cache.load_index(store, lazy=lazy)

    monkeypatch.setattr(service, "rebuild_index", rebuild_and_damage)
    _blank_postings(kim_db)
    code, out, err = run_main(monkeypatch, capsys, "--db", str(kim_db), "check", KIM)
    assert code == 3, out + err
    assert "No hit" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("screener: error: ") and "damaged" in lines[0], (
        err
    )
