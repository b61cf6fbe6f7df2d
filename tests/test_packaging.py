"""A non-editable install carries every data file the package reads (the README's first
command installs screener so; a file left out of the wheel fails the first screening)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_of_the_package_is_in_its_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]
    missing = []
    for path in sorted((ROOT / "screener").rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        covered = False
        for package, patterns in globs.items():
            base = package.replace(".", "/") + "/"
            if rel.startswith(base) and any(fnmatch.fnmatch(rel[len(base) :], p) for p in patterns):
                covered = True
        if not covered:
            missing.append(rel)
    assert missing == [], "add these to [tool.setuptools.package-data] in pyproject.toml"
