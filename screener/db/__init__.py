"""The store: one SQLite database, and nothing above it (no import from matching, lists,
files or screening; what it needs to know, such as a party's key, its callers give it).

    store.py            Store: sources, versions, entities, names; opened with sqlite3
                        alone so that a check starts quickly
    schema.py           the schema and its migrations (SCHEMA_VERSION, applied on open)
    tables.py           the tables through sqlite-utils: imports, updates, migrations,
                        exports
    runs.py             the audit record of every run and request
    decisions.py        reviewers' decisions, append-only
    portfolios.py       named party sets and their last screening
    ownership.py        the ownership graph's links and nodes
    ownership_graph.py  the walk: chains up to listed owners and down
    http_cache.py       ETag / Last-Modified per URL
"""
