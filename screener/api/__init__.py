"""`screener serve`: the HTTP API and the reviewers' pages over the screening service.

app.py         the ASGI application and its JSON routes
server.py      what every handler shares (the one Screener, the threads, templates)
yente.py       yente's routes: /match/{dataset}, /search, /entities, /catalog, /algorithms
match.py       /match's queries (fail closed), filters and ScoredEntityResponse results
entities.py    listed entities as FollowTheMoney entities; their ids (the party layer's door)
datasets.py    the datasets: each loaded list and the collections (data/datasets.yaml)
reconcile.py   the reconciliation API 0.2 for OpenRefine
problems.py    errors as RFC 9457 problem documents; the one error -> status mapping
operations.py  request ids, CORS, gzip, the last-resort 404/405/500
uploads.py     uploaded files screened as jobs
jobs.py        the jobs thread
background.py  the list watcher (atomic reloads) and the audit writer
security.py    token, CSRF, body limits, security headers
pages.py       the reviewers' pages (templates/, static/)
serve.py       runs the application on uvicorn, in one process or --workers N
"""
