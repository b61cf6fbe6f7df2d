"""Three errors that used to mislead now say what is wrong: a CSV header line over
64 KB, a password-protected workbook, and a store in a folder that is not writable."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from screener.api.problems import NotFound, TooLarge, Unsupported, error_response
from screener.api.security import Forbidden
from screener.errors import InputError, ListsError, Terminated, UpdateError, http_status
from screener.files.readers import SNIFF_BYTES, open_input

ENCRYPTED = (
    "is password-protected (an encrypted Excel workbook); remove the password in "
    "Excel (File > Info > Protect Workbook) and save it again, or save it as .csv"
)


# -- a CSV header line over 64 KB ----------------------------------------------------
def test_a_header_line_over_64_kb_is_reported_as_too_long(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(["name", "country"] + [f"extra_column_{i}" for i in range(5000)])
    assert len(header) > SNIFF_BYTES
    path.write_text(header + "\nHangzhou Hikvision Digital Technology Co., Ltd.,CN\n")
    with pytest.raises(InputError) as caught:
        open_input(path)
    assert str(caught.value) == (
        f"{path}: the header line is longer than 64 KB, the most "
        "screener reads; is the first line really the header row?"
    )


def test_a_wide_header_under_64_kb_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(["name", "country"] + [f"c{i}" for i in range(3000)])
    assert 16_000 < len(header) < SNIFF_BYTES
    path.write_text(header + "\n" + "Zhejiang Dahua Technology Co., Ltd.,CN\n" * 3)
    table = open_input(path)
    assert table.name_column == "name" and len(table.columns) == 3002


def test_an_empty_first_line_still_says_no_header_row(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(",,\nHikvision,CN,\n")
    with pytest.raises(InputError, match="has no header row"):
        open_input(path)


# -- a password-protected workbook ---------------------------------------------------
@pytest.fixture(scope="module")
def encrypted_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real workbook encrypted with a password, as Excel's "Encrypt with Password" does."""
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["name", "country"])
    wb.active.append(["Hangzhou Hikvision Digital Technology Co., Ltd.", "CN"])
    plain = io.BytesIO()
    wb.save(plain)
    plain.seek(0)
    path = tmp_path_factory.mktemp("xlsx") / "partners.xlsx"
    with open(path, "wb") as out:
        ooxml.OOXMLFile(plain).encrypt("Passw0rd", out)
    return path


def test_a_password_protected_xlsx_says_so(encrypted_xlsx: Path) -> None:
    assert encrypted_xlsx.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # a compound file, not a ZIP
    with pytest.raises(InputError) as caught:
        open_input(encrypted_xlsx)
    assert str(caught.value) == f"{encrypted_xlsx}: {ENCRYPTED}"


def test_a_password_protected_workbook_renamed_csv_says_so(
    encrypted_xlsx: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "partners.csv"
    shutil.copyfile(encrypted_xlsx, renamed)
    with pytest.raises(InputError, match="is password-protected"):
        open_input(renamed)


def test_an_old_xls_named_xlsx_is_not_called_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    with pytest.raises(InputError) as caught:
        open_input(path)
    assert str(caught.value) == (
        f"{path}: is an old Excel .xls (OLE) file, not an .xlsx workbook; save it as .xlsx or .csv"
    )


# -- a store in a read-only folder ---------------------------------------------------
def _unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root ignores them)."""
    if os.name == "nt":
        pytest.skip("POSIX permissions")
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a folder cannot be made read-only")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "lists"
    folder.mkdir()
    conn_path = folder / "existing.db"
    from screener.db.store import Store

    Store.open(conn_path).close()  # a store that was made while the folder was writable
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def _screener(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *_unprivileged(),
            sys.executable,
            "-c",
            "from screener.cli import main; main()",
            "--db",
            str(db),
            "lists",
            "show",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


HINT = "; make it writable, or choose another store with --db or $SCREENER_DB"


@pytest.mark.parametrize(
    "name, what",
    [
        ("new.db", "cannot create the list store"),
        ("existing.db", "cannot use the list store"),
    ],
    ids=["new-store", "existing-store"],
)
def test_a_store_in_a_read_only_folder_says_the_folder_is_not_writable(
    read_only: Path, name: str, what: str
) -> None:
    db = read_only / name
    proc = _screener(db)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines() == [
        (
            f"screener: error: {db}: {what}: the folder {read_only} is not writable (SQLite "
            f"keeps {name}-wal and {name}-shm beside the store){HINT}"
        )
    ]


def test_a_store_folder_that_cannot_be_created_says_so(read_only: Path) -> None:
    db = read_only / "sub" / "s.db"
    proc = _screener(db)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines() == [
        f"screener: error: {db}: cannot create the folder {db.parent}: permission denied{HINT}"
    ]


# -- each error knows its faces ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "exit_code", "status"),
    [
        (InputError("no such column 'Company'"), 2, 400),
        (ListsError("no lists loaded"), 3, 503),
        (UpdateError("the CSL download timed out"), 4, 502),
        (Forbidden(403, "the token is wrong"), 2, 403),
        (Forbidden(401, "no token given"), 2, 401),
        (Terminated(), 143, 503),
        (NotFound("no dataset 'eu'"), 2, 404),
        (TooLarge("more than 100 queries"), 2, 413),
        (Unsupported("the body is 'text/plain'"), 2, 415),
        (ValueError("a bug"), None, 500),
    ],
    ids=[
        "input",
        "lists",
        "update",
        "forbidden",
        "unauthorized",
        "terminated",
        "not-found",
        "too-large",
        "unsupported",
        "a-bug",
    ],
)
def test_each_error_carries_its_exit_code_and_http_status(
    error: BaseException, exit_code: int | None, status: int
) -> None:
    assert getattr(error, "exit_code", None) == exit_code
    assert http_status(error) == status
    assert error_response(error).status_code == status
