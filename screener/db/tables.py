"""The store's tables through sqlite-utils, for the paths that write or reshape them:
list imports and updates, schema migrations and exports.

    from screener.db.tables import tables
    db = tables(store.conn)          # the same connection, in the caller's transaction
    db.table("versions").insert({...})

sqlite-utils is the store's library for everything but reading: the store is an
ordinary SQLite database that ``sqlite-utils`` and Datasette open as they find it. It
imports pandas, which costs about as much as a whole ``check``; so it is imported here
only, on those paths, and ``check`` opens the store with the standard library's sqlite3.

A :class:`sqlite_utils.Database` made over a connection already in a transaction writes
in that transaction (its own ``atomic()`` blocks become savepoints), so an import stays
one transaction: all of it or nothing.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database


def tables(conn: sqlite3.Connection) -> Database:
    """The store's connection as a sqlite-utils database (plugins not run: the store
    behaves the same wherever it is opened)."""
    return Database(conn, execute_plugins=False)
