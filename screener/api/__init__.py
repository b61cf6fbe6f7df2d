"""`screener serve`: the HTTP API and the reviewers' pages over the screening service.

app.py         the ASGI application and its JSON routes
server.py      what every handler shares (the one Screener, the threads, templates)
match.py       POST /match in yente's shape
reconcile.py   the reconciliation API 0.2 for OpenRefine
uploads.py     uploaded files screened as jobs
jobs.py        the jobs thread
background.py  the list watcher (atomic reloads) and the audit writer
security.py    token, CSRF, body limits, security headers
pages.py       the reviewers' pages (templates/, static/)
serve.py       runs the application on uvicorn
"""
