"""Lists: where list data comes from, into the store. Below the screening service, never
calling it (a step that needs matching, such as resolving an ownership file's parents,
is handed the function by its caller).

    registry.py    importers by format, and the sources registry (lists/sources.yaml)
    parsers/       one module per official format
    bundled.py     the bundled lists loaded on first use and again when they change
    catalog.py     import / show / export (`screener lists ...`)
    update.py      download plan, fetch, checks, import (`screener lists update`)
    download.py    httpx, deadlines, retries
    checks.py      refusal rules for a copy (HTML, truncation, drop share)
    diff.py        two versions compared
    freshness.py   how old each list is (no httpx import)
    data_date.py   the date of a list's data
    coverage.py    what a run checked, list by list
    links.py       ownership links: the bundled file, GLEIF, a user's CSV
    csl_links.py   the links the CSL's own entries state
"""
