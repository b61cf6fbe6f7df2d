"""Regular expressions compiled on first use.

A pattern over Chinese-script ranges is slow to compile; a check of a Latin name never
needs most of them, and start-up time is a check's main cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

# the pattern's methods that a LazyRe holds once compiled
_METHODS = ("findall", "finditer", "fullmatch", "match", "search", "split", "sub", "subn")


class LazyRe:
    """``re.compile(pattern, flags)``, done when a method is first called. The compiled
    pattern's methods are then attributes of this object: a call costs what the pattern's
    own costs (a screened name makes a few such calls)."""

    __slots__ = ("_args", "_re", *_METHODS)

    # set by compiled(); until then reading one compiles (__getattr__)
    findall: Callable[..., list[Any]]
    finditer: Callable[..., Iterator[re.Match[str]]]
    fullmatch: Callable[..., re.Match[str] | None]
    match: Callable[..., re.Match[str] | None]
    search: Callable[..., re.Match[str] | None]
    split: Callable[..., list[Any]]
    sub: Callable[..., str]
    subn: Callable[..., tuple[str, int]]

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._re: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        r = self._re
        if r is None:
            r = self._re = re.compile(*self._args)
            for name in _METHODS:
                setattr(self, name, getattr(r, name))
        return r

    def __getattr__(self, name: str) -> Any:
        # an attribute not set: a method before the first compile, or the pattern's own
        return getattr(self.compiled(), name)
