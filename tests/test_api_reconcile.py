"""The reconciliation service API, checked against the Reconciliation API's own JSON
schemas (versions 0.1 and 0.2, reference copies in ../shared/specs: read there, never
copied into the project; the schema tests skip without them), on a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer

from screener.api.app import create_app
from screener.screening.service import Screener
from screener.settings import Config

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs" / "reconciliation-api"
HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."


def validator(version: str, name: str) -> Callable[[Any], None]:
    """Validate an instance against ``<version>/<name>.json`` (draft 7, as the spec's CI
    does), its references resolved among the version's own files."""
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    folder = SPECS / version
    if not folder.is_dir():
        pytest.skip(f"the reconciliation API schemas are not in {folder}")
    registry = Registry()
    for f in folder.glob("*.json"):
        doc = json.loads(f.read_text(encoding="utf-8"))
        resource = Resource.from_contents(doc, default_specification=DRAFT7)
        registry = registry.with_resource(doc.get("$id", f.name).rstrip("#"), resource)
        registry = registry.with_resource(f.name, resource)
    schema = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    v = jsonschema.Draft7Validator(schema, registry=registry)

    def check(instance: Any) -> None:
        errors = sorted(v.iter_errors(instance), key=str)
        assert not errors, "\n".join(e.message for e in errors[:5])

    return check


def asgi_get(app: Any, path: str, **params: str) -> httpx.Response:
    """GET from the application itself, without a server and without its lifespan (so
    the lists are never loaded)."""
    import asyncio

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(path, params=params)

    return asyncio.run(get())


def reconcile(live: LiveServer, queries: dict[str, Any], **kw: Any) -> httpx.Response:
    with live.client() as c:
        return c.post("/reconcile", data={"queries": json.dumps(queries), **kw})


QUERIES = {
    "q0": {"query": "Hikvision"},
    "q1": {"query": "SenseTime", "limit": 1, "properties": [{"pid": "country", "v": "CN"}]},
    "q2": {"query": "Siemens AG"},
    "q3": {"properties": [{"pid": "name", "v": "Megvii"}]},
    "q4": {"query": "Chen Quanguo", "type": ["Organization", "Person"], "type_strict": "any"},
    "q5": {"query": "Chen Quanguo", "type": "Organization"},
}


@pytest.mark.parametrize("version", ["0.1", "0.2"])
def test_manifest_and_answers_follow_the_schemas(live: LiveServer, version: str) -> None:
    with live.client() as c:
        manifest = c.get("/reconcile").json()
    validator(version, "manifest")(manifest)
    validator(version, "reconciliation-query-batch")(
        {k: v for k, v in QUERIES.items() if version == "0.2" or "query" in v}
    )
    answer = reconcile(live, QUERIES)
    assert answer.status_code == 200
    validator(version, "reconciliation-result-batch")(answer.json())
    with live.client() as c:
        suggestions = c.get("/reconcile/suggest/entity", params={"prefix": "Hikv"}).json()
    validator(version, "suggest-entities-response")(suggestions)


def test_queries_without_query_and_with_type_arrays(live: LiveServer) -> None:
    out = reconcile(live, QUERIES).json()
    assert out["q3"]["result"][0]["id"] == "screener-surveillance.megvii"  # no "query": a property
    assert out["q4"]["result"][0]["id"] == "screener-surveillance.chen-quanguo"  # a type array
    assert all(r["type"][0]["id"] != "Person" for r in out["q5"]["result"])  # a hard filter


def test_the_identity_comes_from_the_base_url_never_the_host_header(live: LiveServer) -> None:
    with live.client() as c:
        m = c.get("/reconcile", headers={"Host": "evil.example"}).json()
    assert m["identifierSpace"] == f"{live.url}/entities/"
    assert m["view"]["url"] == f"{live.url}/entity?id={{{{id}}}}"
    assert m["preview"]["url"] == f"{live.url}/reconcile/preview?id={{{{id}}}}"
    assert m["suggest"]["entity"] == {
        "service_url": live.url,
        "service_path": "/reconcile/suggest/entity",
    }
    assert m["batchSize"] == 100


def test_base_url_from_the_config(db_path: Path) -> None:
    s = Screener.open(db_path, Config(base_url="https://screener.example.org"), auto_reload=False)
    try:
        m = asgi_get(create_app(s, base_url="http://127.0.0.1:9"), "/reconcile").json()
    finally:
        s.close()
    assert m["identifierSpace"] == "https://screener.example.org/entities/"


def test_cors_on_answers_errors_and_preflight(live: LiveServer) -> None:
    origin = {"Origin": "https://openrefine.example"}
    with live.client(headers=origin) as c:
        answers = [
            c.get("/reconcile"),
            c.get("/reconcile", params={"queries": "[1]"}),
            c.get("/reconcile/preview", params={"id": "nothing"}),
            c.get("/reconcile/suggest/entity", params={"prefix": "Dahua"}),
            c.post("/reconcile", content=b"<xml/>", headers={"content-type": "text/xml"}),
        ]
        preflight = c.request(
            "OPTIONS",
            "/reconcile",
            headers={"Access-Control-Request-Method": "POST", **origin},
        )
    assert [r.status_code for r in answers] == [200, 400, 404, 200, 415]
    assert all(r.headers["access-control-allow-origin"] == "*" for r in answers)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_jsonp_wraps_answers_and_errors(live: LiveServer) -> None:
    with live.client() as c:
        ok = c.get("/reconcile", params={"callback": "cb_1"})
        bad = c.get("/reconcile", params={"callback": "cb_2", "queries": '{"q": {"query": " "}}'})
        evil = c.get("/reconcile", params={"callback": "alert(1)//"})
    assert ok.text.startswith("/**/cb_1({") and ok.text.endswith("});")
    assert ok.headers["content-type"].startswith("application/javascript")
    assert bad.status_code == 400 and bad.text.startswith("/**/cb_2({")
    body = json.loads(bad.text[len("/**/cb_2(") : -2])
    assert body["status"] == 400 and "no name to screen" in body["errors"]["q"]
    assert evil.status_code == 400 and "alert" not in evil.text.split("detail")[0]


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ({"query": "Dahua", "limit": 2.5}, "limit must be a whole number"),
        ({"query": "Dahua", "limit": "5"}, "limit must be a whole number"),
        (
            {"query": "Dahua", "properties": [{"pid": "country", "v": "Narnia"}]},
            "'Narnia' is not a country",
        ),
        ({"query": "Dahua", "type": "Spaceship"}, "unknown type"),
        ({"properties": [{"pid": "country", "v": "CN"}]}, "no name to screen"),
    ],
    ids=["limit-fraction", "limit-string", "country", "type", "no-name"],
)
def test_a_query_that_cannot_be_screened_refuses_the_batch(
    live: LiveServer, query: dict[str, Any], why: str
) -> None:
    r = reconcile(live, {"good": {"query": "Hikvision"}, "bad": query})
    assert r.status_code == 400
    assert set(r.json()["errors"]) == {"bad"} and why in r.json()["errors"]["bad"]


def test_a_batch_over_batch_size_is_413_and_a_json_body_is_read(live: LiveServer) -> None:
    many = {f"q{i}": {"query": "Dahua"} for i in range(101)}
    with live.client() as c:
        big = c.post("/reconcile", data={"queries": json.dumps(many)})
        as_json = c.post("/reconcile", json={"queries": {"q0": {"query": "Dahua Technology"}}})
    assert big.status_code == 413 and "batchSize" in big.json()["detail"]
    assert as_json.json()["q0"]["result"][0]["id"] == "screener-surveillance.dahua"


def test_suggest_by_prefix_then_by_screening(live: LiveServer) -> None:
    with live.client() as c:
        prefix = c.get("/reconcile/suggest/entity", params={"prefix": "Hangzhou Hikv"}).json()
        chinese = c.get("/reconcile/suggest/entity", params={"prefix": "海康"}).json()
        none = c.get("/reconcile/suggest/entity", params={"prefix": ""}).json()
    assert prefix["result"][0] == {
        "id": "screener-surveillance.hikvision",
        "name": HIK,
        "description": "Entity List · 84 FR 54002",
        "notable": [{"id": "Organization", "name": "Listed organization"}],
    }
    assert "screener-surveillance.hikvision" in {x["id"] for x in chinese["result"]}
    assert none == {"result": []}


def test_preview_is_503_while_the_lists_load(db_path: Path) -> None:
    s = Screener.open(db_path, Config(), auto_reload=False)
    try:
        app = create_app(s)
        r = asgi_get(app, "/reconcile/preview", id="screener-surveillance.hikvision")
        q = asgi_get(app, "/reconcile", queries='{"q": {"query": "Dahua"}}')
    finally:
        s.close()
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "The lists are loading" in r.text
    assert r.headers["access-control-allow-origin"] == "*"
    assert q.status_code == 503 and q.headers["retry-after"]


def test_the_view_url_shows_the_entity(live: LiveServer) -> None:
    with live.client() as c:
        view = c.get("/reconcile").json()["view"]["url"]
        page = c.get(view.replace("{{id}}", "screener-surveillance.hikvision"))
        older = c.get("/entity", params={"id": "screener-surveillance:hikvision"})
    assert page.status_code == 200 and HIK in page.text and "84 FR 54002" in page.text
    assert older.status_code == 200 and HIK in older.text
