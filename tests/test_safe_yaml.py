"""YAML is loaded safely with limits: a real "billion laughs" document fails at once,
in little memory, with one clear line; so do oversized and over-nested documents."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from screener.errors import InputError
from screener.lists.parsers import curated
from screener.safe_yaml import MAX_BYTES, load_yaml, load_yaml_file

# Nine levels of ten aliases each: 10**9 "lol" strings once expanded.
BOMB = """\
source: {id: lols, name: Billion laughs}
entities:
  - id: lol
    name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    aliases: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
    chinese: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
    former: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
    abbreviations: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
    weak: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
    addresses: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
    notes: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
    sources: [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_the_bomb_is_real() -> None:
    """Composed without expanding (PyYAML shares aliased nodes), it stands for 10**9 leaves."""
    root = yaml.compose(BOMB, Loader=yaml.SafeLoader)
    entity = root.value[1][1].value[0]
    sources = next(v for k, v in entity.value if k.value == "sources")

    @cache
    def leaves(node: Any) -> int:
        return sum(leaves(n) for n in node.value) if isinstance(node.value, list) else 1

    assert leaves(sources) == 10**9


def test_an_alias_bomb_fails_fast_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "lols.yaml"
    path.write_text(BOMB, encoding="utf-8")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError) as caught:
            curated.parse(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        f"{path}: line 5: YAML aliases (*a) are not allowed; write the value out in full"
    )
    assert elapsed < 0.2, elapsed
    assert peak < 2 * 1024 * 1024, peak


def test_lists_import_of_an_alias_bomb_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "lols.yaml"
    path.write_text(BOMB, encoding="utf-8")
    start = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from screener.cli import main; main()",
            "--db",
            str(tmp_path / "s.db"),
            "lists",
            "import",
            str(path),
            "--format",
            "curated",
            "--source",
            "lols",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        (
            f"screener: error: {path}: line 5: YAML aliases (*a) are not allowed; write the "
            "value out in full"
        )
    ]
    assert time.monotonic() - start < 20  # start-up and the bundled list included


def test_merge_keys_need_aliases_and_are_refused_too() -> None:
    doc = "base: &base {country: cn}\nhik: {<<: *base, name: Hikvision}\n"
    with pytest.raises(InputError, match=r"^inline: line 2: YAML aliases \(\*base\)"):
        load_yaml(doc, where="inline")


def test_anchors_without_aliases_are_harmless_and_allowed() -> None:
    assert load_yaml("hik: &h {name: Hikvision, country: cn}\n") == {
        "hik": {"name": "Hikvision", "country": "cn"}
    }


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    line = b"- Hangzhou Hikvision Digital Technology Co., Ltd.\n"
    path.write_bytes(line * (MAX_BYTES // len(line) + 1))
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        load_yaml_file(path)
    assert str(caught.value) == f"{path}: larger than the 16 MB limit for a YAML file; refused"
    assert time.perf_counter() - start < 0.5


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(InputError, match=r"^deep.yaml: line 1: nested more than 64 levels"):
        load_yaml("- " * 100 + "Hikvision\n", where="deep.yaml")
    assert load_yaml("- " * 10 + "Hikvision\n") is not None


@pytest.mark.parametrize(
    "data, message",
    [
        (b"entities: [\n", "not valid YAML at line 2"),
        (b"name: \xff\xfe\n", "cannot read: not UTF-8 text"),
    ],
    ids=["unclosed", "not-utf8"],
)
def test_broken_files_are_one_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        load_yaml_file(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_python_tags_are_still_refused() -> None:
    with pytest.raises(InputError, match="not valid YAML"):
        load_yaml("!!python/object/apply:os.system ['true']\n")
