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
    assert how == "unreadable"


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
