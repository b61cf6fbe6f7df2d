"""What every request goes through before its route: request ids, CORS, gzip, and
errors that no route caught.

* **Request ids.** A client's ``X-Request-ID`` (up to 128 characters of
  ``[A-Za-z0-9._:/+=@-]``) is kept, else one is made; a W3C ``traceparent`` is kept
  when well formed. Both are echoed on the response, recorded in the run of a
  screening request (its options) and named in the log line of a failure.
* **CORS.** ``/reconcile`` and everything under it allow every origin, on answers,
  errors and preflight (``OPTIONS``) alike, as the reconciliation API requires. The
  rest of the API allows the origins of ``[serve] cors_origins`` (none by default).
* **gzip.** Answers over 500 bytes are compressed for clients that accept gzip, as
  yente's are.
* **Errors.** A path that is no route (404) or a method a route does not take (405)
  is a problem document (:mod:`screener.api.problems`), or the error page for a
  browser asking for HTML; an exception no route caught is a 500 problem naming the
  request id, never a traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screener.api.problems import problem

log = logging.getLogger("screener.serve")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=@-]{1,128}$")
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
GZIP_MIN = 500  # bytes
GZIP_LEVEL = 5  # most of level 9's gain on JSON at a third of its CPU
RECONCILE = "/reconcile"
PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type, x-request-id, traceparent"),
    (b"access-control-max-age", b"600"),
]


def request_ids(request: Request) -> dict[str, str]:
    """The request's id (and traceparent, if the client sent one), for a run's record."""
    state = request.scope.get("state", {})
    return {k: state[k] for k in ("request_id", "traceparent") if state.get(k)}


class RequestIds:
    """ASGI middleware: request ids (see the module docstring), and the last resort for
    exceptions no route caught."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1").strip()
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        trace = headers.get(b"traceparent", b"").decode("latin-1").strip().lower()
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        echo = [(b"x-request-id", rid.encode())]
        if TRACEPARENT.match(trace):
            state["traceparent"] = trace
            echo.append((b"traceparent", trace.encode()))
        started = False

        async def with_ids(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *echo]}
            await send(message)

        try:
            await self.app(scope, receive, with_ids)
        except Exception:
            log.exception("request %s (%s %s) failed", rid, scope["method"], scope["path"])
            if started:
                raise
            await problem(
                500,
                f"the server failed on this request; quote request id {rid} when reporting it",
                request_id=rid,
            )(scope, receive, with_ids)


class Cors:
    """ASGI middleware: CORS for the reconciliation API always, for the rest of the API
    from ``origins`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, origins: list[str]):
        self.app = app
        self.api = (
            CORSMiddleware(
                app,
                allow_origins=origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["authorization", "content-type", "x-request-id", "traceparent"],
                expose_headers=["x-request-id", "retry-after"],
            )
            if origins
            else app
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path != RECONCILE and not path.startswith(RECONCILE + "/"):
            await self.api(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": PREFLIGHT_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"access-control-allow-origin"
                ]
                headers += [
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", b"x-request-id, retry-after"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cors)


def gzip(app: ASGIApp) -> ASGIApp:
    return GZipMiddleware(app, minimum_size=GZIP_MIN, compresslevel=GZIP_LEVEL)


async def http_error(request: Request, exc: Exception) -> Response:
    """A route-level HTTP error (404 no such path, 405 method not allowed): a problem
    document, or the error page for a browser that asks for HTML."""
    assert isinstance(exc, HTTPException)
    headers: dict[str, Any] = dict(exc.headers or {})
    detail = {
        404: f"no such path: {request.url.path[:200]}",
        405: f"{request.method} is not allowed here; use {headers.get('Allow', 'another method')}",
    }.get(exc.status_code, str(exc.detail))
    if "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        RECONCILE
    ):
        from screener.api.pages import render

        title = "No such page" if exc.status_code == 404 else "Not allowed"
        response = render(request, "error.html", exc.status_code, title=title, message=detail)
        response.headers.update(headers)
        return response
    return problem(
        exc.status_code, detail, headers, request_id=request_ids(request).get("request_id")
    )
