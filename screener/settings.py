"""The user's config file: download URL overrides, per-source limits, stale policy.

The file is TOML, read from ``$SCREENER_CONFIG`` when set, else ``config.toml`` in the
per-user config directory (``platformdirs.user_config_dir("screener")``, e.g.
``~/.config/screener/config.toml`` on Linux). A missing file means no overrides.
Every key is optional::

    # Refuse to report names as clear when a list is older than its max age
    # (as `screener check --fail-stale` does); default false: warn only.
    fail_stale = true

    # Give up on a download that has not finished after this many seconds, retries
    # included, however slowly the server keeps sending (default 300).
    download_deadline = 600

    [urls]
    # One URL, or a list: alternatives for a one-file source (tried in order),
    # the files of a multi-file source (OFAC), or a folder ending in "/" that
    # holds the official file names (sdn.csv, alt.csv, ...).
    csl = "https://mirror.example.org/csl/consolidated.csv"
    ofac-sdn = "https://mirror.example.org/ofac/"

    [sources.csl]
    min_entities = 8000   # refuse a download with fewer entries
    max_age_days = 3      # older than this is stale
    max_drop = 0.1        # refuse a download that drops more than 10% of the entries

    [report]
    # The jurisdiction whose national frameworks the committee report names (AU, US, UK
    # or EU; default US): `screener report --jurisdiction` and the batch's .html/.pdf.
    jurisdiction = "AU"

    [serve]
    # `screener serve` accepts writes (decisions, uploads, list updates) only from a
    # client that gives this token; without one it refuses every write. The
    # environment variable SCREENER_TOKEN, when set, is used instead.
    token = "a long random string: at least 16 characters, 10 of them different"
    max_upload_mb = 25    # the largest file a client may upload (default 25)
    # The server's public address: the reconciliation service's identity (its
    # identifierSpace, view and preview URLs) is built from it, never from the Host
    # header a client sends. Default: http://HOST:PORT as `screener serve` binds.
    base_url = "https://screener.example.org"
    # Origins whose pages may call the JSON API from a browser (CORS); default none.
    # The reconciliation API (/reconcile) allows every origin, as its spec requires.
    cors_origins = ["https://erp.example.org"]

``[sources.ID]`` values replace those of ``lists/sources.yaml`` for that source.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screener.errors import InputError

LIMIT_KEYS = {"min_entities": int, "max_age_days": (int, float), "max_drop": (int, float)}
DOWNLOAD_DEADLINE = 300.0  # seconds
MAX_UPLOAD_MB = 25.0
MIN_TOKEN_CHARS = 16  # a shorter token can be guessed
MIN_TOKEN_DISTINCT = 10  # nor a token of few characters repeated ("aaaa...", "abab...")
TOKEN_ENV = "SCREENER_TOKEN"
SERVE_KEYS = ("token", "max_upload_mb", "base_url", "cors_origins")
JURISDICTIONS = ("AU", "US", "UK", "EU")  # as screener.files.reports.verdicts names them


@dataclass
class Config:
    urls: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_stale: bool = False
    download_deadline: float = DOWNLOAD_DEADLINE
    path: Path | None = None
    token: str | None = None  # for writes through `screener serve`
    max_upload_mb: float = MAX_UPLOAD_MB
    base_url: str | None = None  # the server's public address ([serve] base_url)
    cors_origins: list[str] = field(default_factory=list)  # [serve] cors_origins
    jurisdiction: str | None = None  # the report's, [report] jurisdiction (None: US)


def config_path() -> Path:
    """``$SCREENER_CONFIG`` if set, else ``config.toml`` in the user config directory."""
    env = os.environ.get("SCREENER_CONFIG")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("screener", appauthor=False)) / "config.toml"


def load_config(path: Path | str | None = None) -> Config:
    """Read the config file (``path`` or :func:`config_path`); missing means empty.
    ``$SCREENER_TOKEN``, when set, is the server's token whatever the file says."""
    path = Path(path) if path else config_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        config = Config(path=None)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the config file: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: invalid TOML: {e}") from None
    else:
        config = parse_config(doc, path)
    env = os.environ.get(TOKEN_ENV)
    if env:
        config.token = _token(env, f"${TOKEN_ENV}")
    return config


def parse_config(doc: dict[str, Any], path: Path | None = None) -> Config:
    """Check a parsed config document and turn it into a :class:`Config`."""
    where = str(path or "config")
    unknown = set(doc) - {"urls", "sources", "fail_stale", "download_deadline", "serve", "report"}
    if unknown:
        raise InputError(f"{where}: unknown setting(s): {', '.join(sorted(unknown))}")
    urls: dict[str, list[str]] = {}
    for sid, value in (doc.get("urls") or {}).items():
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            raise InputError(f"{where}: [urls] {sid} must be a URL or a list of URLs")
        urls[sid] = list(values)
    sources: dict[str, dict[str, Any]] = {}
    for sid, limits in (doc.get("sources") or {}).items():
        if not isinstance(limits, dict):
            raise InputError(f"{where}: [sources.{sid}] must be a table")
        for key, value in limits.items():
            kind = LIMIT_KEYS.get(key)
            if kind is None:
                raise InputError(
                    f"{where}: [sources.{sid}] unknown key '{key}' (use {', '.join(LIMIT_KEYS)})"
                )
            if isinstance(value, bool) or not isinstance(value, kind) or value < 0:
                raise InputError(f"{where}: [sources.{sid}] {key} must be a number >= 0")
            if key == "max_drop" and value > 1:
                raise InputError(f"{where}: [sources.{sid}] max_drop is a share from 0 to 1")
        sources[sid] = dict(limits)
    fail_stale = doc.get("fail_stale", False)
    if not isinstance(fail_stale, bool):
        raise InputError(f"{where}: fail_stale must be true or false")
    deadline = doc.get("download_deadline", DOWNLOAD_DEADLINE)
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or deadline <= 0:
        raise InputError(f"{where}: download_deadline must be a number of seconds above 0")
    serve = doc.get("serve") or {}
    if not isinstance(serve, dict) or set(serve) - set(SERVE_KEYS):
        raise InputError(f"{where}: [serve] takes {', '.join(SERVE_KEYS)}")
    token = _token(serve["token"], f"{where}: [serve] token") if "token" in serve else None
    upload = serve.get("max_upload_mb", MAX_UPLOAD_MB)
    if isinstance(upload, bool) or not isinstance(upload, int | float) or upload <= 0:
        raise InputError(f"{where}: [serve] max_upload_mb must be a number of megabytes above 0")
    base_url = serve.get("base_url")
    if base_url is not None:
        base_url = _base_url(base_url, f"{where}: [serve] base_url")
    origins = serve.get("cors_origins", [])
    if not isinstance(origins, list) or not all(_is_origin(o) for o in origins):
        raise InputError(
            f"{where}: [serve] cors_origins must be a list of origins "
            '(e.g. ["https://erp.example.org"]) or ["*"]'
        )
    report = doc.get("report") or {}
    if not isinstance(report, dict) or set(report) - {"jurisdiction"}:
        raise InputError(f"{where}: [report] takes jurisdiction")
    jurisdiction = report.get("jurisdiction")
    if jurisdiction is not None and (
        not isinstance(jurisdiction, str) or jurisdiction.strip().upper() not in JURISDICTIONS
    ):
        raise InputError(
            f"{where}: [report] jurisdiction must be one of {', '.join(JURISDICTIONS)}"
        )
    return Config(
        urls=urls,
        sources=sources,
        fail_stale=fail_stale,
        download_deadline=float(deadline),
        path=path,
        token=token,
        max_upload_mb=float(upload),
        base_url=base_url,
        cors_origins=list(origins),
        jurisdiction=jurisdiction.strip().upper() if jurisdiction else None,
    )


def _base_url(value: object, where: str) -> str:
    """An http(s) URL without a query or fragment, without its trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise InputError(f"{where} must be an http(s) URL such as https://screener.example.org")
    return str(value).rstrip("/")


def _is_origin(value: object) -> bool:
    """``*``, or a scheme and host (and port) alone: https://erp.example.org."""
    if value == "*":
        return True
    try:
        url = _base_url(value, "")
    except InputError:
        return False
    return url == value and url.count("/") == 2


def _token(value: object, where: str) -> str:
    """A token long enough, and of characters varied enough, not to be guessed, without
    spaces around it."""
    if not isinstance(value, str) or len(value.strip()) < MIN_TOKEN_CHARS:
        raise InputError(f"{where} must be a string of at least {MIN_TOKEN_CHARS} characters")
    if len(set(value.strip())) < MIN_TOKEN_DISTINCT:
        raise InputError(
            f"{where} has fewer than {MIN_TOKEN_DISTINCT} different characters: it can be "
            "guessed; make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    return value.strip()
