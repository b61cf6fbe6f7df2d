"""Who may write, and what a request may carry.

* **Token.** Writes (decisions, uploads, list updates) need the server's token,
  from ``$SCREENER_TOKEN`` or ``[serve] token`` in the config file
  (:mod:`screener.settings`). A client sends it as ``Authorization: Bearer TOKEN``;
  a reviewer signs in on the page once, and a session cookie (an HMAC of the token,
  never the token) stands for it. Without a configured token every write is refused
  with 403, saying how to set one. Tokens are compared in constant time.
* **CSRF.** A form posted with the session cookie must carry the page's CSRF token:
  an HMAC, under a key made when the server starts, of a random cookie the page set
  (a signed double-submit cookie, so a cookie planted by another site on the same
  host cannot be paired with a valid token). A request whose ``Origin`` is another
  site is refused. Cookies are ``HttpOnly`` and ``SameSite=Strict``.
* **Size.** :class:`BodyLimit` cuts every request body: ``max_upload_mb`` for the
  upload routes, :data:`MAX_BODY` for the others; 413 past it, before the body is read
  whole when a ``Content-Length`` says so.
* **Headers.** Every response says ``nosniff`` and a ``same-origin`` referrer policy
  (``no-referrer`` would make browsers send ``Origin: null`` with the page's own
  forms, which the origin check refuses); pages get a
  Content-Security-Policy without any script, and may not be framed (the
  reconciliation preview excepted: OpenRefine shows it in a frame).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 1024 * 1024  # bytes: a /match request of 100 queries is a few kilobytes
SESSION_COOKIE = "screener_session"
CSRF_COOKIE = "screener_csrf"
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# the batch report is a self-contained document with its styles inline, and no script
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
)
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"
NO_TOKEN = (
    "writes are disabled: this server has no token; set SCREENER_TOKEN or [serve] token "
    "in the config file and start it again"
)


class Forbidden(Exception):
    """A write without the right credentials: ``status`` 401 or 403 and a message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Guard:
    """The server's token and CSRF key; one per server process."""

    def __init__(self, token: str | None):
        self.token = token
        self._key = secrets.token_bytes(32)  # a new one at each start: old forms expire

    @property
    def writes_enabled(self) -> bool:
        return bool(self.token)

    def session_value(self) -> str:
        """The session cookie's value: it proves the token was given, without holding it."""
        assert self.token
        return hmac.new(self.token.encode(), b"screener-session", hashlib.sha256).hexdigest()

    def token_ok(self, given: str | None) -> bool:
        return bool(self.token and given) and hmac.compare_digest(
            (given or "").encode(), (self.token or "").encode()
        )

    def signed_in(self, request: Request) -> bool:
        value = request.cookies.get(SESSION_COOKIE)
        return bool(self.token and value) and hmac.compare_digest(value or "", self.session_value())

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self._key, cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, form: Mapping[str, Any]) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE)
        given = form.get("csrf")
        return (
            isinstance(given, str)
            and bool(cookie)
            and hmac.compare_digest(given, self.csrf_token(cookie or ""))
        )

    def authorize(self, request: Request) -> str:
        """How the client proved it holds the token (``token``: the header; ``session``:
        the page's cookie), or :class:`Forbidden`. Checked before a body is read."""
        if not self.writes_enabled:
            raise Forbidden(403, NO_TOKEN)
        if not same_origin(request):
            raise Forbidden(403, "the request comes from another site")
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() == "bearer":
            if self.token_ok(given.strip()):
                return "token"
            raise Forbidden(403, "the token is wrong")
        if self.signed_in(request):
            return "session"
        raise Forbidden(
            401,
            "this needs the server's token: send Authorization: Bearer TOKEN, "
            "or sign in on the page",
        )

    def require_write(self, request: Request, form: Mapping[str, Any] | None = None) -> str:
        """:meth:`authorize`, and for a page's session the form's CSRF token."""
        how = self.authorize(request)
        if how == "session" and (form is None or not self.csrf_ok(request, form)):
            raise Forbidden(
                403,
                "the form has expired or did not come from this page; "
                "open the page again and resubmit",
            )
        return how

    def require_reader(self, request: Request) -> str:
        """Reading a job (a client's data) needs the token or a signed-in page, like a
        write, but no form."""
        return self.authorize(request)


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (``Origin``, else
    ``Referer``); True when neither header is there (a client that is not a browser)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    parts = urlsplit(origin)
    return parts.netloc.lower() == request.headers.get("host", "").lower()


def safe_next(value: str | None) -> str:
    """A page of this site to go back to, never another site (``//evil``, ``https://``)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body larger than its route's limit gets 413."""

    def __init__(self, app: ASGIApp, upload_limit: int, upload_paths: tuple[str, ...]):
        self.app, self.upload_limit, self.upload_paths = app, upload_limit, upload_paths

    def limit(self, path: str) -> int:
        return self.upload_limit if path in self.upload_paths else MAX_BODY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    from screener.api.problems import PROBLEM_TYPE, problem_body

    detail = f"the request body is larger than {limit // (1024 * 1024) or 1} MB"
    body = json.dumps(problem_body(413, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """ASGI middleware: the headers every response gets (see the module docstring)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if b"content-security-policy" not in names:
                    ctype = dict(headers).get(b"content-type", b"")
                    if ctype.startswith(b"text/html"):
                        extra += [
                            (b"content-security-policy", PAGE_CSP.encode()),
                            (b"x-frame-options", b"DENY"),
                        ]
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, with_headers)
