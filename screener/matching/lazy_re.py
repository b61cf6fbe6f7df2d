"""Regular expressions compiled on first use.

A pattern over Chinese-script ranges is slow to compile; a check of a Latin name never
needs most of them, and start-up time is a check's main cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class LazyRe:
    """``re.compile(pattern, flags)``, done when a method is first called."""

    __slots__ = ("_args", "_re")

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._re: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        r = self._re
        if r is None:
            r = self._re = re.compile(*self._args)
        return r

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)
