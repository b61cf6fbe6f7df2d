"""Headless Chromium: prints the HTML report to PDF and takes screenshots of it.

Chromium (Debian's ``chromium`` package, or Google Chrome) is found as
``$SCREENER_CHROMIUM``, else ``chromium``, ``chromium-browser``, ``google-chrome`` or
``google-chrome-stable`` on the PATH. It runs headless with a throw-away profile, no
sandbox (it may run as root in a container), no GPU, no background networking, no
component updates and no first-run tasks; the report itself loads nothing external
(its Content-Security-Policy forbids it). Each run gets its own process group, killed
when it overruns :data:`TIMEOUT` or the caller is interrupted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from screener.errors import InputError

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0  # seconds for one page; a report of thousands of parties takes a few
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)


def find() -> str | None:
    """The Chromium binary to use, or None."""
    env = os.environ.get("SCREENER_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require() -> str:
    found = find()
    if found is None:
        raise InputError(
            "PDF output needs Chromium (install the 'chromium' package, or set "
            "SCREENER_CHROMIUM to a Chrome or Chromium binary); or write .html"
        )
    return found


def print_pdf(html_path: Path, pdf_path: Path, scratch: Path) -> None:
    """Print ``html_path`` to ``pdf_path`` (A4, no browser header or footer)."""
    _run(
        [f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", "--print-to-pdf-no-header"],
        html_path,
        scratch,
    )
    if not pdf_path.exists() or pdf_path.read_bytes()[:5] != b"%PDF-":
        raise InputError(f"{html_path}: Chromium wrote no PDF")


def screenshot(
    html_path: Path, png_path: Path, scratch: Path, width: int = 1280, height: int = 1800
) -> None:
    """A PNG of the top ``width`` x ``height`` pixels of ``html_path``."""
    _run([f"--screenshot={png_path}", f"--window-size={width},{height}"], html_path, scratch)
    if not png_path.exists() or png_path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise InputError(f"{html_path}: Chromium wrote no screenshot")


def _run(args: list[str], html_path: Path, scratch: Path) -> None:
    binary = require()
    profile = scratch / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args, html_path.resolve().as_uri()]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "HOME": str(scratch)},
    )
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise InputError(f"{html_path}: Chromium took longer than {TIMEOUT:.0f} s") from None
    finally:  # on success too: Chromium's helper processes may outlive it
        _kill_group(proc)
    if proc.returncode != 0:
        last = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise InputError(f"{html_path}: Chromium failed (exit {proc.returncode}): {last[0][:200]}")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End what is left of the Chromium process group (helpers outlive the browser)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
