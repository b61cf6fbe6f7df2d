"""Running the CLI in-process and checking its one-line errors, for the CLI tests."""

from __future__ import annotations

import sys

import pytest

from screener.cli import main


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``screener.cli.main`` (the real entry point) in-process: (exit code, out, err)."""
    monkeypatch.setattr(sys, "argv", ["screener", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out, err


def assert_one_line_error(err: str, *words: str) -> None:
    """``err`` is one ``screener: error:`` line naming every one of ``words``."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("screener: error: "), err
    for w in words:
        assert w in lines[0], err
