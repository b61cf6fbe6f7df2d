"""The OpenAPI document: valid OpenAPI 3.1 (openapi-spec-validator), every response of
every status declared with its body, and real answers of every route checked against
it (openapi-core), success and errors alike."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import yaml
from live_server import LiveServer
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate

from screener.api.app import ROUTES, openapi_doc
from screener.api.review import API_ROUTES

METHODS = ("get", "post", "put", "patch", "delete")


def test_the_document_is_valid_openapi() -> None:
    validate(openapi_doc())


def test_every_response_declares_its_body() -> None:
    doc = openapi_doc()
    responses = doc["components"]["responses"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "default" in op["responses"], f"{method} {path}"
            for status, r in op["responses"].items():
                r = responses[r["$ref"].rsplit("/", 1)[1]] if "$ref" in r else r
                if status not in ("204", "308"):
                    assert r.get("content"), f"{method.upper()} {path} {status} has no body"


def test_no_description_was_cut_into_keys() -> None:
    """An unquoted description with a comma in a flow mapping becomes two keys; the
    document is read as YAML and every key is a word."""
    from importlib import resources

    doc = yaml.safe_load(resources.files("screener.api").joinpath("openapi.yaml").read_text())

    def walk(x: Any, where: str) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                assert v is not None or k in ("example",), f"{where}/{k} is empty"
                assert " " not in str(k) or where.endswith("/paths"), f"{where}/{k}"
                walk(v, f"{where}/{k}")
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{where}[{i}]")

    walk(doc, "")


def check(api: OpenAPI, method: str, path: str, r: httpx.Response) -> tuple[str, str, int]:
    """``r`` against the document's response of its operation and status."""
    request = MockRequest(
        "http://127.0.0.1",
        method.lower(),
        path,
        content_type=r.request.headers.get("content-type", ""),
    )
    ctype = r.headers.get("content-type", "").split(";")[0]
    response = MockResponse(r.content, r.status_code, dict(r.headers), content_type=ctype)
    api.validate_response(request, response)
    return method.lower(), path, r.status_code


def wait(c: httpx.Client, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body: dict[str, Any] = c.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish")


def test_real_answers_of_every_route_follow_the_document(live: LiveServer) -> None:
    api = OpenAPI.from_dict(
        json.loads(json.dumps(openapi_doc())),
        config=Config(
            extra_media_type_deserializers={
                "application/problem+json": json.loads,
                "text/csv": lambda b: b.decode("utf-8-sig"),
                "application/x-ndjson": lambda b: b.decode("utf-8"),
            }
        ),
    )
    seen: set[tuple[str, str, int]] = set()
    hik = {"q": {"schema": "Company", "properties": {"name": ["Hikvision"]}}}
    bad = {"q": {"schema": "Company", "properties": {"registrationNumber": ["1"]}}}
    many = {"queries": {str(i): hik["q"] for i in range(101)}}
    with live.client() as c, live.authed() as a:
        calls: list[tuple[str, str, str, httpx.Response]] = [
            ("GET", "/healthz", "/healthz", c.get("/healthz")),
            ("GET", "/readyz", "/readyz", c.get("/readyz")),
            ("GET", "/lists", "/lists", c.get("/lists")),
            ("GET", "/check", "/check", c.get("/check", params={"name": "Dahua"})),
            ("GET", "/check", "/check", c.get("/check", params={"name": " "})),
            ("POST", "/match", "/match", c.post("/match", json={"queries": hik})),
            ("POST", "/match", "/match", c.post("/match", json=many)),
            (
                "POST",
                "/match/{dataset}",
                "/match/default",
                c.post("/match/default", json={"queries": hik}),
            ),
            (
                "POST",
                "/match/{dataset}",
                "/match/default",
                c.post("/match/default", json={"queries": bad}),
            ),
            (
                "POST",
                "/match/{dataset}",
                "/match/nothing",
                c.post("/match/nothing", json={"queries": hik}),
            ),
            (
                "POST",
                "/match/{dataset}",
                "/match/default",
                c.post("/match/default", content=b"q", headers={"content-type": "text/plain"}),
            ),
            (
                "GET",
                "/search/{dataset}",
                "/search/default",
                c.get("/search/default", params={"q": "Dahua"}),
            ),
            ("GET", "/search/{dataset}", "/search/default", c.get("/search/default")),
            ("GET", "/search/{dataset}", "/search/x", c.get("/search/x", params={"q": "Dahua"})),
            (
                "GET",
                "/entities/{entity_id}",
                "/entities/screener-surveillance.dahua",
                c.get("/entities/screener-surveillance.dahua"),
            ),
            ("GET", "/entities/{entity_id}", "/entities/dahua", c.get("/entities/dahua")),
            ("GET", "/entities/{entity_id}", "/entities/nothing", c.get("/entities/nothing")),
            ("GET", "/catalog", "/catalog", c.get("/catalog")),
            ("GET", "/algorithms", "/algorithms", c.get("/algorithms")),
            ("GET", "/reconcile", "/reconcile", c.get("/reconcile")),
            (
                "GET",
                "/reconcile",
                "/reconcile",
                c.get("/reconcile", params={"queries": '{"q0": {"query": "Dahua"}}'}),
            ),
            ("GET", "/reconcile", "/reconcile", c.get("/reconcile", params={"queries": "[]"})),
            (
                "POST",
                "/reconcile",
                "/reconcile",
                c.post("/reconcile", data={"queries": '{"q0": {"query": "Dahua"}}'}),
            ),
            (
                "POST",
                "/reconcile",
                "/reconcile",
                c.post(
                    "/reconcile", data={"queries": json.dumps({str(i): "x" for i in range(101)})}
                ),
            ),
            (
                "GET",
                "/reconcile/suggest/entity",
                "/reconcile/suggest/entity",
                c.get("/reconcile/suggest/entity", params={"prefix": "Dah"}),
            ),
            (
                "GET",
                "/reconcile/preview",
                "/reconcile/preview",
                c.get("/reconcile/preview", params={"id": "screener-surveillance.dahua"}),
            ),
            (
                "GET",
                "/reconcile/preview",
                "/reconcile/preview",
                c.get("/reconcile/preview", params={"id": "x"}),
            ),
            ("GET", "/openapi.json", "/openapi.json", c.get("/openapi.json")),
            ("POST", "/lists/update", "/lists/update", c.post("/lists/update", json={})),
            ("GET", "/batch/{job}", "/batch/" + "0" * 32, c.get("/batch/" + "0" * 32)),
            ("GET", "/batch/{job}", "/batch/" + "0" * 32, a.get("/batch/" + "0" * 32)),
            ("POST", "/batch", "/batch", a.post("/batch", files={"file": ("a.exe", b"MZ")})),
            ("POST", "/batch", "/batch", c.post("/batch", files={"file": ("a.csv", b"name\n")})),
            ("GET", "/decisions", "/decisions", a.get("/decisions")),
            ("GET", "/decisions", "/decisions", c.get("/decisions")),
            (
                "POST",
                "/decisions",
                "/decisions",
                a.post("/decisions", json={"party": "x"}),
            ),
            (
                "POST",
                "/decisions",
                "/decisions",
                a.post(
                    "/decisions",
                    json={
                        "party": "Dahua Electronics Corporation",
                        "entity_id": "dahua",
                        "source_id": "screener-surveillance",
                        "kind": "false-positive",
                        "reason": "a distributor in Flushing, NY",
                        "reviewer": "A. Reviewer",
                    },
                ),
            ),
        ]
        job = a.post(
            "/batch",
            files={"file": ("p.csv", b"name\nHikvision\nSiemens AG\n")},
            data={"format": "csv"},
        )
        calls.append(("POST", "/batch", "/batch", job))
        pending = a.get(job.json()["result_url"])
        if pending.status_code == 409:
            calls.append(("GET", "/batch/{job}/result", job.json()["result_url"], pending))
        wait(a, job.json()["status_url"])
        update = a.post("/lists/update", json={"sources": ["no-such-source"]})
        calls += [
            ("GET", "/batch/{job}", job.json()["status_url"], a.get(job.json()["status_url"])),
            (
                "GET",
                "/batch/{job}/result",
                job.json()["result_url"],
                a.get(job.json()["result_url"]),
            ),
            (
                "GET",
                "/batch/{job}/result",
                "/batch/" + "0" * 32 + "/result",
                a.get("/batch/" + "0" * 32 + "/result"),
            ),
            ("POST", "/lists/update", "/lists/update", update),
            (
                "GET",
                "/lists/update/{job}",
                update.json()["status_url"],
                a.get(update.json()["status_url"]),
            ),
            (
                "GET",
                "/lists/update/{job}",
                "/lists/update/" + "0" * 32,
                a.get("/lists/update/" + "0" * 32),
            ),
        ]
    for method, _pattern, path, r in calls:
        try:
            seen.add(check(api, method, path, r))
        except Exception as e:
            raise AssertionError(f"{method} {path} {r.status_code}: {e}\n{r.text[:500]}") from e
    documented = {(m, p) for p, ops in openapi_doc()["paths"].items() for m in ops if m in METHODS}
    exercised = {(m.lower(), pattern) for m, pattern, _, _ in calls}
    assert documented == exercised
    statuses = {s for *_, s in seen}
    assert {200, 201, 202, 308, 400, 401, 404, 413, 415} <= statuses


def test_documented_paths_are_the_json_routes() -> None:
    documented = set(openapi_doc()["paths"])
    routes = {r.path for r in [*ROUTES, *API_ROUTES]} - {"/docs"}
    assert documented == routes


@pytest.mark.parametrize("path", ["/docs"])
def test_the_reference_page_shows_every_operation(live: LiveServer, path: str) -> None:
    with live.client() as c:
        page = c.get(path)
    assert page.status_code == 200
    for p, ops in openapi_doc()["paths"].items():
        for m in ops:
            assert f"{m.upper()} {p}" in page.text
    assert "Retry-After" in page.text or "when to ask again" in page.text
