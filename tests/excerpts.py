"""The official lists the tests read: excerpts committed under fixtures/excerpts.

``fixtures/excerpts/make_fixtures.py`` cuts them from the full reference copies in
../shared/data (which stay there for the benchmarks), at the same relative paths, so a
test runs on a fresh clone. fixtures/README.md gives each file's licence and attribution.

The few tests that need a file which cannot be committed (OpenSanctions' transcriptions,
CC BY-NC 4.0; Canada's list, whose copy states no licence) read ../shared/data through
:func:`shared`, are marked ``shared_data``, and skip, saying why, where it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXCERPTS = ROOT / "fixtures" / "excerpts"
DATA = EXCERPTS / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def excerpt(rel: str) -> Path:
    """The excerpt of ``../shared/data/<rel>``."""
    path = DATA / rel
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such excerpt; see fixtures/excerpts/make_fixtures.py")
    return path


def shared(rel: str) -> Path:
    """``../shared/data/<rel>`` itself, or a skip where it is absent (a fresh clone)."""
    path = SHARED_DATA / rel
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{rel}, which is not committed (see fixtures/README.md)")
    return path
