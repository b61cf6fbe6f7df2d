"""Errors raised by screener, and what each one means to the CLI and to the HTTP API.

                             exit  HTTP
    ScreenerError            2     400   base class
    ├── InputError           2     400   a user's file, format name or option is unusable
    ├── ListsError           3     503   lists missing, stale or unreadable: fail closed
    └── UpdateError          4     502   a list download or update failed; the previous
                                         version stays active
    Terminated               143   503   SIGTERM asked the run to stop; like Ctrl-C
                                         (KeyboardInterrupt, exit 130) it is not an
                                         Exception, so that nothing catches it on the way out

Each class carries both: ``exit_code`` and ``http_status``. The CLI prints ``screener:
error: <message>`` on one line and exits with ``exit_code``, never with a traceback; the
HTTP API answers with ``http_status`` (:func:`http_status`). A subclass elsewhere says
its own (the API's ``Forbidden``: 401 or 403).
"""

from __future__ import annotations

EXIT_CLEAR = 0
EXIT_HIT = 1
EXIT_INPUT = 2
EXIT_LISTS = 3
EXIT_UPDATE = 4
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # SIGTERM


class ScreenerError(Exception):
    """Base class of every error screener reports to a user."""

    exit_code = EXIT_INPUT
    http_status = 400


class InputError(ScreenerError):
    """A file, format, column or option given by the user cannot be used."""

    exit_code = EXIT_INPUT


class ListsError(ScreenerError):
    """The lists needed to screen are missing, stale or unreadable."""

    exit_code = EXIT_LISTS
    http_status = 503  # the service cannot screen now; try again once lists are loaded


class UpdateError(ScreenerError):
    """Downloading or importing a new list version failed."""

    exit_code = EXIT_UPDATE
    http_status = 502  # the publisher's server failed us, not the request


class Terminated(BaseException):
    """SIGTERM asked the run to stop; the output is not written and the run is recorded
    as interrupted."""

    exit_code = EXIT_TERMINATED
    http_status = 503


def http_status(e: BaseException) -> int:
    """The HTTP status of an error: its class's ``http_status``; 500 for one screener does
    not know (a bug, never the user's fault)."""
    status = getattr(e, "http_status", None)
    return status if isinstance(status, int) else 500
