"""Errors raised by screener, and the exit code each one maps to.

    ScreenerError            base class; exit code 2 unless a subclass says otherwise
    ├── InputError           a user's file, format name or option is unusable (exit 2)
    ├── ListsError           lists missing, stale or unreadable: fail closed (exit 3)
    └── UpdateError          a list download or update failed; the previous version stays active (exit 4)
    Terminated               SIGTERM asked the run to stop (exit 143); like Ctrl-C
                             (KeyboardInterrupt, exit 130) it is not an Exception, so
                             that nothing catches it on the way out

The CLI prints ``screener: error: <message>`` on one line and exits with ``exit_code``;
it never shows a traceback for these.
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


class InputError(ScreenerError):
    """A file, format, column or option given by the user cannot be used."""

    exit_code = EXIT_INPUT


class ListsError(ScreenerError):
    """The lists needed to screen are missing, stale or unreadable."""

    exit_code = EXIT_LISTS


class UpdateError(ScreenerError):
    """Downloading or importing a new list version failed."""

    exit_code = EXIT_UPDATE


class Terminated(BaseException):
    """SIGTERM asked the run to stop; the output is not written and the run is recorded
    as interrupted."""

    exit_code = EXIT_TERMINATED
