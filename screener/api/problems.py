"""Errors as HTTP answers: one status per kind of error, one body shape everywhere.

Every error the JSON API gives is an RFC 9457 problem (``application/problem+json``)::

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "query 'q2': properties.name holds no name", "request_id": "..."}

``detail`` is what yente and its clients read (FastAPI's ``{"detail": ...}``); members
a route adds (``errors``: each bad query by its key) come after. A 503 says when to try
again (``Retry-After``).

:func:`status_of` is the one place where an error becomes a status:

    Forbidden (screener.api.security)   its own status, 401 or 403
    NotFound                            404
    TooLarge                            413 (more queries than a request may hold)
    Unsupported                         415 (a body that is not JSON, or not a form)
    ListsError                          503 (lists loading, missing or stale under fail_stale)
    any other ScreenerError             400
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import orjson
from starlette.responses import Response

from screener.errors import InputError, ListsError, ScreenerError

RETRY_AFTER = "5"  # seconds: the lists of a starting server load in a few
PROBLEM_TYPE = "application/problem+json"


class NotFound(InputError):
    """What the request names does not exist here (a dataset, an entity, a job)."""


class TooLarge(InputError):
    """More queries than one request may hold."""


class Unsupported(InputError):
    """A body of a media type the route does not read."""


def status_of(e: BaseException) -> int:
    """The HTTP status of an error (see the module docstring)."""
    from screener.api.security import Forbidden

    if isinstance(e, Forbidden):
        return e.status
    if isinstance(e, NotFound):
        return 404
    if isinstance(e, TooLarge):
        return 413
    if isinstance(e, Unsupported):
        return 415
    if isinstance(e, ListsError):
        return 503
    if isinstance(e, ScreenerError):
        return 400
    return 500


def problem_body(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem document of ``status`` with ``detail`` and extension members."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """A problem response; a 503 carries ``Retry-After``."""
    headers = dict(headers or {})
    if status == 503:
        headers.setdefault("retry-after", RETRY_AFTER)
    body = orjson.dumps(problem_body(status, detail, **extra), default=str)
    return Response(body, status, headers, media_type=PROBLEM_TYPE)


def error_response(e: BaseException, **extra: Any) -> Response:
    """The problem response of an error (its status from :func:`status_of`)."""
    errors = getattr(e, "errors", None)
    if errors:
        extra.setdefault("errors", errors)
    return problem(status_of(e), str(e), **extra)


T = TypeVar("T")


def parse_each(queries: dict[Any, Any], parse_one: Callable[[Any], T]) -> dict[str, T]:
    """Each query parsed by its key, or :class:`QueryErrors` naming every query that
    ``parse_one`` refused (an InputError): the request is refused whole."""
    out: dict[str, T] = {}
    errors: dict[str, str] = {}
    for key, q in queries.items():
        try:
            out[str(key)] = parse_one(q)
        except InputError as e:
            errors[str(key)] = str(e)
    if errors:
        raise QueryErrors(errors)
    return out


class QueryErrors(InputError):
    """Queries of one request that cannot be screened: the whole request is refused
    (an answer never holds a query that was not screened). ``errors`` maps each bad
    query's key to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        shown = "; ".join(f"query {k!r}: {v}" for k, v in list(errors.items())[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        n = len(errors)
        super().__init__(
            f"{n} quer{'y' if n == 1 else 'ies'} cannot be screened, so none was: {shown}{more}"
        )
