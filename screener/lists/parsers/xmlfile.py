"""Reading an official XML list file safely, with one clear error for a bad one.

Every XML importer goes through :func:`check_head` and then :func:`records` (streamed,
for the large consolidated lists) or :func:`parse` (whole tree, for a Federal
Register document). Between them they turn each way a download goes wrong into one
:class:`~screener.errors.InputError` line:

* an empty file, an HTML page (an error or login page served with status 200), or
  text that is not XML at all;
* the wrong root element (another list's file, or another XML document);
* a file cut off in the middle (``no element found`` / ``unclosed token``), reported
  with the line and column where the XML stops.

Safety: the standard library's parser (expat) never fetches external entities, and
expat 2.4.1 or later (bundled with Python 3.11) limits entity expansion ("billion
laughs"). On top of that, a document type declaration that defines entities is
refused outright: no official list uses one, so defusedxml is not needed.

Tags are compared by local name, so ``{http://eu.europa.ec/fpi/fsd/export}export``
is ``export``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from screener.errors import InputError

HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_ENTITY_DECL = re.compile(rb"<!DOCTYPE[^>]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL)


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def check_head(path: Path, what: str) -> None:
    """Refuse a missing, empty, HTML, non-XML or entity-defining file before parsing."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; give the {what} XML file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not start:
        raise InputError(f"{path}: file is empty")
    if start.startswith(HTML_STARTS):
        raise InputError(
            f"{path}: is an HTML page, not the {what} XML file (an error or login page?)"
        )
    if not start.startswith(b"<"):
        raise InputError(f"{path}: is not XML; expected the {what} XML file")
    if _ENTITY_DECL.search(head):
        raise InputError(f"{path}: declares XML entities, which no {what} file does; refused")


def _malformed(path: Path, exc: ET.ParseError) -> InputError:
    line, column = exc.position
    cut = (
        " (the file looks truncated)"
        if "no element found" in str(exc) or ("unclosed token" in str(exc))
        else ""
    )
    reason = str(exc).split(":")[0]
    return InputError(f"{path}: malformed XML at line {line}, column {column}: {reason}{cut}")


def _check_root(path: Path, tag: str, roots: tuple[str, ...], what: str) -> None:
    if local(tag) not in roots:
        expected = " or ".join(f"<{r}>" for r in roots)
        raise InputError(
            f"{path}: root element is <{local(tag)}>, not {expected}; not a {what} file"
        )


def records(
    path: Path, roots: tuple[str, ...], record: tuple[str, ...], what: str
) -> tuple[dict[str, str], Iterator[ET.Element]]:
    """The root's attributes, and each element named in ``record``, streamed.

    The root element is checked before this returns. The caller reads each element
    before asking for the next: it is cleared then, so a large list never sits in
    memory whole.
    """
    check_head(path, what)
    source = open(path, "rb")  # noqa: SIM115 -- closed by elements() or on an error
    events = ET.iterparse(source, events=("start", "end"))
    try:
        _, root = next(events)
        _check_root(path, root.tag, roots, what)
    except ET.ParseError as exc:
        source.close()
        raise _malformed(path, exc) from None
    except InputError:
        source.close()
        raise

    def elements() -> Iterator[ET.Element]:
        try:
            for event, elem in events:
                if event == "end" and local(elem.tag) in record:
                    yield elem
                    elem.clear()
        except ET.ParseError as exc:
            raise _malformed(path, exc) from None
        finally:
            source.close()

    return dict(root.attrib), elements()


def parse(path: Path, roots: tuple[str, ...], what: str) -> ET.Element:
    """The whole document's root element, checked."""
    check_head(path, what)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise _malformed(path, exc) from None
    _check_root(path, root.tag, roots, what)
    return root


def text(elem: ET.Element | None, child: str | None = None) -> str:
    """Whitespace-collapsed text of ``elem`` (or of its first ``child`` by local name)."""
    if elem is not None and child is not None:
        elem = next((c for c in elem if local(c.tag) == child), None)
    if elem is None or elem.text is None:
        return ""
    return " ".join(elem.text.split())


def children(elem: ET.Element, name: str) -> list[ET.Element]:
    """Direct children with local name ``name``."""
    return [c for c in elem if local(c.tag) == name]
