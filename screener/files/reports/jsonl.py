"""JSON Lines output: one object per input row, in input order, each hit dict as it came.

Each line is ``{"row", "query", "country", "status", "reason", "hits"}`` and then
any further keys the result carries, in the result's order (so stages added
after matching, such as decisions, reach the output without a change here). ``row`` is the input
row as its spreadsheet numbers it (see :mod:`screener.files.reports.base`).

Speed: the lines are exactly what ``json.dumps(record, ensure_ascii=False)``
writes, but built from parts. Rows without hits (most of a batch) need only
their query and country encoded; a hit list is encoded once and reused for every
row that shares it (the batch gives every row with the same name and country the
same list), and each hit dict once for every list it appears in. So a hit list
or hit dict must not be changed after it was written (the batch never does).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from screener.files.reports.base import Writer
from screener.shapes import HitDict, RowResult

if TYPE_CHECKING:
    import pandas as pd

FIELDS = ("row", "query", "country", "status", "reason", "hits")
_FIELD_SET = frozenset(FIELDS)
CACHE_CHARS = 32 << 20  # encoded hit lists kept for reuse; the cache restarts beyond this

_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _value(value: Any) -> str:
    """``value`` as JSON, as json.dumps(..., ensure_ascii=False) writes it."""
    if value.__class__ is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    return _encode(value)


class JsonlWriter(Writer):
    """One JSON object per input row, with every hit field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(object) -> (object, its JSON); the object is kept so that its id stays its own
        self._lists: dict[int, tuple[object, str]] = {}
        self._hits: dict[int, tuple[object, str]] = {}
        self._cached = 0

    def _write(self, df: pd.DataFrame, results: list[RowResult]) -> None:
        assert self._stream is not None
        small: dict[Any, str] = {None: "null"}  # countries, statuses and reasons repeat
        lines = []
        get = small.get
        for result, row in zip(results, self.input_rows(df, results)):
            row_json = str(row) if row.__class__ is int else _value(row)
            query = result.get("query")
            query_json = encode_basestring(query) if query.__class__ is str else _value(query)
            country, status = result.get("country"), result.get("status")
            reason = result.get("reason")
            country_json = get(country) or small.setdefault(country, _value(country))
            status_json = get(status) or small.setdefault(status, _value(status))
            reason_json = get(reason) or small.setdefault(reason, _value(reason))
            hits = result.get("hits")
            line = (
                f'{{"row": {row_json}, "query": {query_json}, "country": {country_json}, '
                f'"status": {status_json}, "reason": {reason_json}, '
                f'"hits": {self._hit_list(hits) if hits else "[]"}'
            )
            if len(result) > 5 and not result.keys() <= _FIELD_SET:
                line += "".join(
                    f", {_value(k)}: {_value(v)}" for k, v in result.items() if k not in _FIELD_SET
                )
            lines.append(line + "}\n")
        self._stream.write("".join(lines))

    def _hit_list(self, hits: list[HitDict]) -> str:
        cached = self._lists.get(id(hits))
        if cached is not None and cached[0] is hits:
            return cached[1]
        if self._cached > CACHE_CHARS:
            self._lists.clear()
            self._hits.clear()
            self._cached = 0
        parts = []
        for hit in hits:
            one = self._hits.get(id(hit))
            if one is None or one[0] is not hit:
                one = self._hits[id(hit)] = (hit, _encode(hit))
                self._cached += len(one[1])
            parts.append(one[1])
        encoded = "[" + ", ".join(parts) + "]"
        self._lists[id(hits)] = (hits, encoded)
        self._cached += len(encoded)
        return encoded
