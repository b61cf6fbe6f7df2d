"""Load YAML safely, with limits: every YAML file screener reads goes through here.

``yaml.safe_load`` refuses Python objects, but not the "billion laughs": a few
lines of anchors and aliases (``&a [*b, *b, ...]``) stand for a document of
billions of nodes, and anything that walks it (``str()``, a parser's loops) runs
out of memory or time. So :func:`load_yaml`

1. refuses more than ``max_bytes`` (16 MB by default) before parsing;
2. scans the parser's events (no document is built yet) and refuses the first
   alias (``*name``; so also merge keys ``<<: *name``) and any nesting deeper than
   ``max_depth`` (64) levels. Anchors alone (``&name``) are harmless and allowed;
3. only then builds the document with the safe constructor.

Both passes use libyaml (``CSafeLoader``) when PyYAML has it, which is also about
eight times faster than the pure-Python loader; else the pure-Python one.
Every problem is one :class:`~screener.errors.InputError` line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from screener.errors import InputError

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def load_yaml_file(
    path: Path | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any:
    """The document in the YAML file ``path`` (see the module docstring for the limits)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = b"".join(_blocks(f, max_bytes + 1))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a YAML file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return load_yaml(data, where=str(path), max_bytes=max_bytes, max_depth=max_depth)


def _blocks(f: Any, limit: int) -> Any:
    """The file's bytes in 1 MB blocks, stopping past ``limit`` (no buffer of ``limit``)."""
    got = 0
    while got < limit and (block := f.read(min(1 << 20, limit - got))):
        got += len(block)
        yield block


def load_yaml(
    data: bytes | str,
    *,
    where: str = "YAML document",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """The document in ``data``; ``where`` names it in error messages."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise InputError(
            f"{where}: larger than the {max_bytes // (1024 * 1024)} MB limit "
            "for a YAML file; refused"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{where}: cannot read: not UTF-8 text ({e.reason} at byte {e.start})"
        ) from None
    try:
        _check_events(text, where, max_depth)
        return yaml.load(text, Loader=_LOADER)  # a safe loader (see _LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise InputError(f"{where}: not valid YAML{at}") from None


def _check_events(text: str, where: str, max_depth: int) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                f"{where}: line {_line(event)}: YAML aliases "
                f"(*{event.anchor}) are not allowed; write the value out in full"
            )
        if isinstance(event, _OPEN):
            depth += 1
            if depth > max_depth:
                raise InputError(
                    f"{where}: line {_line(event)}: nested more "
                    f"than {max_depth} levels deep; refused"
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


def _line(event: yaml.Event) -> str:
    mark = event.start_mark
    return str(mark.line + 1) if mark is not None else "?"
