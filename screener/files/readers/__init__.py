"""Read the file a user wants screened (see :mod:`.table`)."""

from screener.files.readers.table import (
    DEFAULT_CHUNK,
    INPUT_ROWS_ATTR,
    MAX_ROWS,
    NOTES_ATTR,
    SNIFF_BYTES,
    InputTable,
    open_input,
)

__all__ = [
    "DEFAULT_CHUNK",
    "INPUT_ROWS_ATTR",
    "MAX_ROWS",
    "NOTES_ATTR",
    "SNIFF_BYTES",
    "InputTable",
    "open_input",
]
