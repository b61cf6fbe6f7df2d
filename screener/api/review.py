"""Reviewers' decisions and portfolios over HTTP: the API routes and the pages.

    POST /decisions               record a decision (token; JSON)
    GET  /decisions               every decision (token), ?party= for one party's
    POST /decide                  the page's decision form on a hit (signed in, CSRF);
                                  back to the search, where the hit shows its new status
    GET  /reviews                 the page of decisions
    GET  /portfolios              the portfolios and their last screening
    GET  /portfolios/{name}       one portfolio: each party as last screened
    POST /portfolios/{name}/rescreen   screen it again (signed in, CSRF; a job), then
                                  /rescreens/{job} shows what changed for its parties

Decisions are recorded by :func:`screener.screening.review.decide` (the listing kept
with each is the one the active list version holds); a later screening applies them
(the decisions stage: ``suppressed`` or ``review-again``). A re-screening is
:func:`screener.screening.rescreen.rescreen`, through the same Screener.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from screener.api.jobs import Job
from screener.api.pages import REVIEWER_COOKIE, for_readers, problem, render
from screener.api.problems import error_response
from screener.api.security import Forbidden, safe_next
from screener.api.server import json_body, json_response, server
from screener.db import decisions, portfolios
from screener.errors import InputError, ScreenerError

DECISION_FIELDS = ("party", "entity_id", "source_id", "kind", "reason", "reviewer")


def _decide(srv: Any, fields: dict[str, Any]) -> dict[str, Any]:
    from screener.screening.review import decide

    missing = [
        k
        for k in ("party", "entity_id", "kind", "reason", "reviewer")
        if not str(fields.get(k) or "").strip()
    ]
    if missing:
        raise InputError(f"a decision needs {', '.join(missing)}")
    return decide(
        srv.s.store,
        str(fields["party"]),
        str(fields["entity_id"]),
        str(fields["kind"]),
        str(fields["reason"]),
        str(fields["reviewer"]),
        source_id=str(fields.get("source_id") or "").strip() or None,
    )


# -- API ---------------------------------------------------------------------------------


async def post_decision(request: Request) -> Response:
    """Record a reviewer's decision on a party and a listed entity (token)."""
    srv = server(request)
    try:
        srv.guard.require_write(request)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise InputError(f"send a JSON object with {', '.join(DECISION_FIELDS)}")
        row = await run_in_threadpool(_decide, srv, body)
    except (ScreenerError, Forbidden) as e:
        return error_response(e)
    return json_response(row, 201)


async def get_decisions(request: Request) -> Response:
    """Every decision (of one party with ``party=``), oldest first (token)."""
    srv = server(request)
    try:
        srv.guard.require_reader(request)
        party = request.query_params.get("party") or None
        rows = await run_in_threadpool(decisions.all_decisions, srv.s.store, party)
    except (ScreenerError, Forbidden) as e:
        return error_response(e)
    return json_response({"decisions": rows, "kinds": list(decisions.KINDS)})


# -- pages -------------------------------------------------------------------------------


async def decide_page(request: Request) -> Response:
    """The decision form of a hit: record it, then back to where it was made."""
    srv = server(request)
    try:
        srv.guard.authorize(request)
        async with request.form(max_files=0, max_fields=20) as form:
            srv.guard.require_write(request, form)
            fields = {k: str(form.get(k) or "") for k in (*DECISION_FIELDS, "next")}
        row = await run_in_threadpool(_decide, srv, fields)
    except (ScreenerError, Forbidden) as e:
        return problem(request, e, "The decision was not recorded")
    back = safe_next(fields["next"])
    sep = "&" if "?" in back else "?"
    response = RedirectResponse(f"{back}{sep}decided={row['id']}", 303)
    response.set_cookie(
        REVIEWER_COOKIE,
        quote(row["reviewer"]),
        httponly=True,
        samesite="strict",
        max_age=90 * 24 * 3600,
    )
    return response


@for_readers("Sign in to see the decisions")
async def reviews_page(request: Request) -> Response:
    """Every decision, newest first; ``party=`` for one party's."""
    srv = server(request)
    party = request.query_params.get("party", "").strip()
    rows = await run_in_threadpool(decisions.all_decisions, srv.s.store, party or None)
    return render(request, "decisions.html", rows=list(reversed(rows)), party=party)


@for_readers("Sign in to see the portfolios")
async def portfolios_page(request: Request) -> Response:
    """The portfolios, with when each was last screened."""
    srv = server(request)
    rows = await run_in_threadpool(portfolios.all_portfolios, srv.s.store)
    return render(request, "portfolios.html", rows=rows)


@for_readers("Sign in to see this portfolio")
async def portfolio_page(request: Request) -> Response:
    """One portfolio: each party as last screened, and a button to screen it again."""
    srv = server(request)
    name = request.path_params["name"]

    def look() -> tuple[Any, Any]:
        return portfolios.get(srv.s.store, name), portfolios.last_screening(srv.s.store, name)

    p, last = await run_in_threadpool(look)
    if p is None:
        return render(
            request,
            "error.html",
            404,
            title="No such portfolio",
            message=f"There is no portfolio named “{name}”.",
        )
    return render(request, "portfolio.html", p=p, last=last)


async def rescreen_page(request: Request) -> Response:
    """Screen a portfolio again, as a job; its page then shows what changed."""
    from screener.screening.rescreen import rescreen

    srv = server(request)
    name = request.path_params["name"]
    try:
        srv.guard.authorize(request)
        async with request.form(max_files=0, max_fields=5) as form:
            srv.guard.require_write(request, form)
        srv.snapshot_or_503()
        if await run_in_threadpool(portfolios.get, srv.s.store, name) is None:
            raise InputError(f"there is no portfolio named {name!r}")
    except (ScreenerError, Forbidden) as e:
        return problem(request, e, "Not screened again")

    def work(job: Job) -> dict[str, Any]:
        return rescreen(srv.s, name).to_dict()

    assert srv.jobs is not None
    job = srv.jobs.submit(srv.jobs.new("rescreen", work, input_name=name))
    return RedirectResponse(f"/rescreens/{job.id}", 303)


@for_readers("Sign in to see this re-screening")
async def rescreen_job_page(request: Request) -> Response:
    """A re-screening: running (the page refreshes itself), then what changed."""
    srv = server(request)
    job = srv.jobs.get(request.path_params["job"], "rescreen") if srv.jobs else None
    if job is None:
        return render(
            request,
            "error.html",
            404,
            title="No such re-screening",
            message="This re-screening is not known (the server keeps the last 100 jobs).",
        )
    return render(request, "rescreen_job.html", job=job)


API_ROUTES = [
    Route("/decisions", post_decision, methods=["POST"]),
    Route("/decisions", get_decisions, methods=["GET"]),
]
PAGE_ROUTES = [
    Route("/decide", decide_page, methods=["POST"]),
    Route("/reviews", reviews_page),
    Route("/portfolios", portfolios_page),
    Route("/portfolios/{name}", portfolio_page),
    Route("/portfolios/{name}/rescreen", rescreen_page, methods=["POST"]),
    Route("/rescreens/{job}", rescreen_job_page),
]
