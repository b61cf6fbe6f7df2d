"""Screening: the centre. Every caller (the CLI, the HTTP API, batches, re-screenings)
asks the service; the wings below it (matching, lists, db, files) never ask back.

    service.py      Screener: the store, the settings and a loaded matcher; check(),
                    screen(), batch(); one snapshot of the lists per call
    results.py      ScreenHit, CheckResult, BatchSummary: typed, rendered by every face
                    (their data shapes, and a batch's RowResult, in screener/shapes.py)
    stages.py       the steps after matching, in one ordered list: country evidence,
                    ownership, reviewers' decisions
    ownership.py    what ownership links mean: relations to listed owners, the OFAC 50%
                    and BIS Affiliates rules (numbers in data/ownership.yaml)
    decisions.py    what a reviewer's decision means later: suppressed, or to review
                    again when the listing changed
    executors.py    where names are screened (one protocol): this process, forked workers
    rows.py         a batch's rows made from the service's results, for both engines
    batch.py        readers -> service -> writers, as an overlapping pipeline
    dask_engine.py  the Dask engine: a cluster as the batch's executor
    index_cache.py  the index file beside the store, built again only when lists change
    rescreen.py     portfolios screened again: what changed since last time
    review.py       decisions to and from files (the spreadsheet loop)
    report.py       the committee report
"""
