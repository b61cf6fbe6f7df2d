"""The HTTP API against a real uvicorn server on 127.0.0.1 (tests/live_server.py)."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
from live_server import TOKEN, LiveServer

from screener.api.app import ROUTES, openapi_doc
from screener.api.review import API_ROUTES
from screener.db import runs
from screener.db.store import Store
from screener.lists.parsers import curated
from screener.lists.registry import bundled_dir

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "fixtures" / "inputs"
HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."


def match(live: LiveServer, queries: dict[str, object], **params: object) -> httpx.Response:
    with live.client() as c:
        return c.post("/match", json={"queries": queries}, params=params)


def company(*names: str, country: str | None = None) -> dict[str, object]:
    props: dict[str, list[str]] = {"name": list(names)}
    if country:
        props["country"] = [country]
    return {"schema": "Company", "properties": props}


# -- health ------------------------------------------------------------------------------


def test_healthz_and_readyz_say_the_lists_are_loaded(live: LiveServer) -> None:
    with live.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and body["problems"] == []
    assert "screener-surveillance" in {x["source_id"] for x in body["lists"]}


def test_readyz_names_a_stale_list_as_a_problem_with_its_data_date(db_path: Path) -> None:
    with LiveServer(db_path) as server, server.client() as c:
        server.screener.settings.sources["screener-surveillance"] = {"max_age_days": 0}
        time.sleep(1.1)  # older than 0 days now
        r = c.get("/readyz")
        server.screener.settings.fail_stale = True  # then every check refuses: not ready
        refusing = c.get("/readyz")
    assert r.status_code == 200  # checks still answer, with a warning
    body = r.json()
    assert body["ready"] is True
    published = str(curated.parse(bundled_dir() / "surveillance.yaml").published)
    assert any(
        "screener-surveillance" in p and f"data of {published}" in p for p in body["problems"]
    )
    (stale,) = body["stale"]
    assert (stale["source_id"], stale["data_date"], stale["data_date_basis"]) == (
        "screener-surveillance",
        published,
        "file",
    )
    assert stale["loaded_at"]
    assert refusing.status_code == 503 and refusing.json()["ready"] is False


# -- /match ------------------------------------------------------------------------------


def test_match_answers_each_query_by_the_clients_id_in_yentes_shape(live: LiveServer) -> None:
    r = match(live, {"row-17": company("HIKVISION", country="cn"), "row-18": company("Siemens AG")})
    assert r.status_code == 200
    body = r.json()
    assert set(body["responses"]) == {"row-17", "row-18"}
    hik = body["responses"]["row-17"]
    assert hik["status"] == 200
    assert hik["query"] == company("HIKVISION", country="cn")
    assert hik["total"] == {"value": len(hik["results"]), "relation": "eq"}
    top = hik["results"][0]
    assert (top["id"], top["caption"], top["schema"], top["match"]) == (
        "screener-surveillance.hikvision",
        HIK,
        "Organization",
        True,
    )
    assert (top["datasets"], top["referents"], top["target"]) == (
        ["screener_surveillance"],
        [],
        True,
    )
    assert top["score"] == 1.0
    assert top["explanations"]["country"] == {"score": 0.03, "detail": "country CN agrees (+0.03)"}
    assert top["explanations"]["name"]["score"] == 0.97
    assert {"export.control", "invest.ban", "mil"} <= set(top["properties"]["topics"])
    hit = top["screener"]
    assert (hit["status"], hit["relation"]) == ("hit", "same")
    assert hit["lists"][:2] == ["Entity List", "NS-CMIC List"]
    entity_list = hit["listings"][0]
    assert (entity_list["citation"], entity_list["listed_on"]) == ("84 FR 54002", "2019-10-09")
    assert entity_list["source_url"].startswith("https://www.federalregister.gov/")
    assert "country CN agrees" in hit["explanation"]
    assert hit["source_id"] == "screener-surveillance" and hit["version_id"] == 1
    assert body["responses"]["row-18"]["results"] == []
    assert body["responses"]["row-18"]["total"]["value"] == 0
    assert "screener-surveillance" in {x["source_id"] for x in body["lists"]}
    assert (body["threshold"], body["limit"]) == (0.7, 5) and body["run_id"]


def test_match_a_bad_query_refuses_the_whole_request_naming_each(live: LiveServer) -> None:
    r = match(
        live,
        {
            "ok": company("Dahua Technology"),
            "empty": company(" "),
            "where": company("Dahua Technology", country="Narnia"),
            "kind": {"schema": "Address", "properties": {"full": ["Dahua"]}},
        },
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    errors = r.json()["errors"]
    assert set(errors) == {"empty", "where", "kind"}
    assert errors["empty"].startswith("no name to screen")
    assert "'Narnia' is not a country" in errors["where"]
    assert "schema 'Address' is not a party" in errors["kind"]
    assert "3 queries cannot be screened, so none was" in r.json()["detail"]


def test_match_names_and_aliases_of_one_party_give_each_entity_once(live: LiveServer) -> None:
    q = {"schema": "Company", "properties": {"name": ["Hikvision"], "alias": ["海康威视", HIK]}}
    results = match(live, {"q": q}).json()["responses"]["q"]["results"]
    found = [(x["id"], x["screener"]["relation"]) for x in results]
    assert found[0] == ("screener-surveillance.hikvision", "same")
    assert len(found) == len(set(found))
    # "Hikvision" scores 0.94 on Hikvision USA, Inc. too (a company Hikvision owns): an
    # echo of the owner the query names at 1.00, not a finding of its own
    assert ("screener-surveillance.hikvision", "owned-by") not in found


def test_match_cutoff_and_limit(live: LiveServer) -> None:
    q = {"q": company("Hikvision Digital Solutions")}
    strict = match(live, q, threshold=0.99).json()["responses"]["q"]
    loose = match(live, q, threshold=0.99, cutoff=0.5).json()["responses"]["q"]
    assert strict["results"] == []
    assert loose["results"] and all(not x["match"] for x in loose["results"])
    assert all(x["score"] >= 0.5 for x in loose["results"])
    one = match(live, q, threshold=0.99, cutoff=0.5, limit=1).json()["responses"]["q"]
    assert len(one["results"]) == 1 and one["total"]["value"] == loose["total"]["value"]


@pytest.mark.parametrize(
    ("params", "body", "message"),
    [
        ({}, b"not json", "the body is not JSON"),
        ({}, b'{"queries": []}', '"queries": {"id": {...}}'),
        (
            {},
            json.dumps({"queries": {str(i): company("x") for i in range(101)}}).encode(),
            "send at most 100",
        ),
        ({"threshold": "nan"}, b'{"queries": {"a": {}}}', "not a number between 0 and 1"),
        ({"limit": "0"}, b'{"queries": {"a": {}}}', "limit must be"),
        ({"limit": "501"}, b'{"queries": {"a": {}}}', "from 1 to 500"),
        ({"algorithm": "logic-v2"}, b'{"queries": {"a": {}}}', "'logic-v2' is not served"),
        ({"fuzzy": "true"}, b'{"queries": {"a": {}}}', "unknown parameter fuzzy"),
        ({}, b'{"queries": {"a": {}}, "weights": {"name_literal": 1}}', "weights ['name_literal']"),
        ({"include_dataset": "nope"}, b'{"queries": {"a": {}}}', "'nope' is not a dataset"),
    ],
    ids=[
        "not-json",
        "no-queries",
        "too-many",
        "nan-threshold",
        "limit",
        "limit-over-500",
        "algorithm",
        "unknown-parameter",
        "weights",
        "unknown-dataset",
    ],
)
def test_match_refuses_a_bad_request_with_400(
    live: LiveServer, params: dict[str, str], body: bytes, message: str
) -> None:
    with live.client() as c:
        r = c.post(
            "/match", content=body, params=params, headers={"content-type": "application/json"}
        )
    assert r.status_code == (413 if "at most 100" in message else 400)
    assert message in r.json()["detail"]


def test_match_a_body_over_a_megabyte_is_413(live: LiveServer) -> None:
    big = json.dumps({"queries": {"a": company("x" * (1024 * 1024))}})
    with live.client() as c:
        r = c.post("/match", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "the request body is larger than 1 MB"


def test_match_requests_are_recorded_as_runs(live: LiveServer) -> None:
    run_id = match(live, {"a": company("Megvii"), "b": company("Siemens AG")}).json()["run_id"]
    store = Store(live.db_path)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                r = runs.run(store, run_id)
                break
            except Exception:
                assert time.monotonic() < deadline, "the run was not recorded"
                time.sleep(0.1)
    finally:
        store.close()
    assert (r["command"], r["status"], r["rows"], r["hit_rows"], r["exit_code"]) == (
        "match",
        "done",
        2,
        1,
        1,
    )
    assert [h["entity_id"] for h in r["hit_list"]] == ["megvii"]
    assert "screener-surveillance" in {x["source_id"] for x in r["lists"]}


# -- /check and /lists -------------------------------------------------------------------


def test_check_one_name(live: LiveServer) -> None:
    with live.client() as c:
        hit = c.get("/check", params={"name": "ZHEJIANG DAHUA TECH CO LTD"}).json()
        clear = c.get("/check", params={"name": "Siemens AG", "country": "DE"}).json()
        empty = c.get("/check", params={"name": "  "})
        bad = c.get("/check", params={"name": "Dahua", "threshold": "1.5"})
    assert hit["status"] == "hit" and hit["hits"][0]["entity_id"] == "dahua"
    assert hit["hits"][0]["citation"] == "84 FR 54002" and hit["run_id"]
    assert (clear["status"], clear["country"], clear["hits"]) == ("clear", "DE", [])
    # a clear names what it covered: the bundled entries are a subset of each list they cite
    coverage = {x["list"]: x for x in clear["coverage"]}
    assert coverage["Entity List"]["status"] == "subset"
    assert coverage["Entity List"]["text"].startswith("Entity List: curated subset only (")
    assert empty.status_code == 400 and empty.json()["detail"] == "the name to check is empty"
    assert bad.status_code == 400 and "between 0 and 1" in bad.json()["detail"]


def test_lists_shows_what_is_loaded_and_what_is_active(live: LiveServer) -> None:
    with live.client() as c:
        body = c.get("/lists").json()
    assert body["loaded"] == body["active"]
    assert "screener-surveillance" in {x["source_id"] for x in body["loaded"]}
    assert body["reloading"] is False
    assert any("never loaded" in w for w in body["warnings"])
    statuses = {x["list"]: x["status"] for x in body["coverage"]}
    assert statuses["DoD 1260H List"] == "subset" and statuses["SDN List"] == "subset"
    assert body["stale"] == []


# -- a list update while serving ---------------------------------------------------------


def test_a_list_update_while_serving_switches_over_at_once(db_path: Path) -> None:
    """Requests go on succeeding on the old lists while the new ones load, then all see
    the new ones; no answer mixes the two."""
    import threading

    from screener.lists import catalog

    queries = {"a": company("XPCC PSB"), "b": company("Hikvision")}
    seen: list[tuple[bool, tuple[bool, bool]]] = []  # own list in "lists"; own hits a, b
    failures: list[object] = []
    stop = threading.Event()

    with LiveServer(db_path, reload_interval=0.1) as server:

        def ask() -> None:
            with server.client() as c:
                while not stop.is_set():
                    r = c.post("/match", json={"queries": queries})
                    if r.status_code != 200:
                        failures.append(r.status_code)
                        continue
                    body = r.json()
                    own = tuple(
                        any("own" in x["datasets"] for x in body["responses"][k]["results"])
                        for k in ("a", "b")
                    )
                    listed = "own" in {x["source_id"] for x in body["lists"]}
                    seen.append((listed, own))

        clients = [threading.Thread(target=ask) for _ in range(4)]
        for t in clients:
            t.start()
        time.sleep(0.3)
        store = Store(db_path)
        catalog.import_file(
            store, ROOT / "fixtures" / "lists" / "own_denylist.csv", "simple", "own"
        )
        store.close()
        deadline = time.monotonic() + 30
        while not any(n for n, _ in seen[-20:]) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        stop.set()
        for t in clients:
            t.join()
    assert not failures
    assert set(seen) == {(False, (False, False)), (True, (True, True))}
    switched = next(i for i, (n, _) in enumerate(seen) if n)
    assert all(n for n, _ in seen[switched + len(clients) :])


def test_post_lists_update_downloads_and_the_server_switches(db_path: Path, tmp_path: Path) -> None:
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

    shutil.copyfile(ROOT / "fixtures" / "lists" / "official" / "un_mini.xml", tmp_path / "un.xml")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/un.xml"
    try:
        with LiveServer(
            db_path, urls={"un-sc": [url]}, sources={"un-sc": {"min_entities": 1}}
        ) as server:
            with server.client() as anon:
                assert anon.post("/lists/update", json={"sources": ["un-sc"]}).status_code == 401
            with server.authed() as c:
                job = c.post("/lists/update", json={"sources": ["un-sc"]})
                assert job.status_code == 202
                status = _wait(c, job.json()["status_url"])
                assert status["status"] == "done", status
                assert status["summary"]["sources"][0]["status"] == "loaded"
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    loaded = {x["source_id"] for x in c.get("/lists").json()["loaded"]}
                    if "un-sc" in loaded:
                        break
                    time.sleep(0.1)
                assert "un-sc" in loaded
                hits = c.get("/check", params={"name": "Example P. One"}).json()["hits"]
                assert hits[0]["source_id"] == "un-sc"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _wait(c: httpx.Client, url: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, object] = c.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish")


# -- /batch ------------------------------------------------------------------------------


def test_batch_upload_then_download_the_results(live: LiveServer) -> None:
    data = (INPUTS / "deal_parties.csv").read_bytes()
    with live.authed() as c:
        r = c.post(
            "/batch",
            files={"file": ("deal parties.csv", data, "text/csv")},
            data={"format": "csv", "country_column": "country"},
        )
        assert r.status_code == 202
        job = r.json()
        assert job["status"] in ("queued", "running", "done") and job["input"] == "deal parties.csv"
        done = _wait(c, job["status_url"])
        assert done["status"] == "done", done
        summary = done["summary"]
        assert (summary["rows"], summary["hit_rows"] > 0) == (11, True)
        assert "output" not in summary  # the server's own path is not the client's business
        result = c.get(job["result_url"])
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/csv")
    assert "deal%20parties.screened.csv" in result.headers["content-disposition"]
    lines = result.text.splitlines()
    assert "screen_status" in lines[0]
    hik = next(line for line in lines if line.startswith("Hangzhou Hikvision"))
    assert "hit" in hik and "84 FR 54002" in hik


def test_batch_an_xlsx_upload_gives_the_html_report(live: LiveServer) -> None:
    data = (INPUTS / "partners.xlsx").read_bytes()
    with live.authed() as c:
        job = c.post(
            "/batch", files={"file": ("partners.xlsx", data)}, data={"sheet": "Partners"}
        ).json()
        done = _wait(c, job["status_url"])
        assert done["status"] == "done", done
        report = c.get(job["result_url"])
    assert report.headers["content-type"].startswith("text/html")
    assert "inline" in report.headers["content-disposition"]
    assert "script-src" not in report.headers["content-security-policy"]
    assert "<h2 id=parties>Parties, in input order</h2>" in report.text
    assert "Hangzhou Hikvision" in report.text


def test_batch_an_unreadable_file_fails_without_showing_server_paths(live: LiveServer) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Supplier", "Country"])
    wb.active.append(["Hikvision", "CN"])
    buf = io.BytesIO()
    wb.save(buf)
    with live.authed() as c:
        job = c.post(
            "/batch",
            files={"file": ("C:\\Users\\me\\suppliers.xlsx", buf.getvalue())},
            data={"column": "Company"},
        ).json()
        done = _wait(c, job["status_url"])
    assert done["status"] == "failed" and done["input"] == "suppliers.xlsx"
    assert "suppliers.xlsx" in done["error"] and "Company" in done["error"]
    assert "screener-serve-" not in done["error"] and "/tmp" not in done["error"]


def test_batch_needs_the_token(live: LiveServer) -> None:
    files = {"file": ("a.csv", b"name\nHikvision\n")}
    with live.client() as c:
        anon = c.post("/batch", files=files)
        wrong = c.post("/batch", files=files, headers={"Authorization": "Bearer nope"})
        foreign = c.post(
            "/batch",
            files=files,
            headers={"Authorization": f"Bearer {TOKEN}", "Origin": "https://evil.example"},
        )
        job = c.get("/batch/" + "0" * 32)
    assert anon.status_code == 401 and "Bearer" in anon.json()["detail"]
    assert wrong.status_code == 403 and foreign.status_code == 403
    assert job.status_code == 401


@pytest.mark.parametrize("job", ["0" * 32, "..%2F..%2Fetc%2Fpasswd", "ABC"])
def test_batch_unknown_jobs_are_404_and_never_a_path(live: LiveServer, job: str) -> None:
    with live.authed() as c:
        assert c.get(f"/batch/{job}").status_code == 404
        assert c.get(f"/batch/{job}/result").status_code in (404,)


def test_batch_refuses_unknown_file_types_and_formats(live: LiveServer) -> None:
    with live.authed() as c:
        exe = c.post("/batch", files={"file": ("tool.exe", b"MZ")})
        fmt = c.post("/batch", files={"file": ("a.csv", b"name\nx\n")}, data={"format": "pdf"})
        none = c.post("/batch", data={"format": "csv"})
    assert exe.status_code == 400 and "unknown file type" in exe.json()["detail"]
    assert fmt.status_code == 400 and "unknown output format" in fmt.json()["detail"]
    assert none.status_code == 400 and '"file"' in none.json()["detail"]


def test_without_a_token_every_write_is_refused_and_says_why(db_path: Path) -> None:
    with LiveServer(db_path, token=None) as server, server.client() as c:
        upload = c.post(
            "/batch",
            files={"file": ("a.csv", b"name\nx\n")},
            headers={"Authorization": "Bearer anything-at-all-here"},
        )
        update = c.post("/lists/update")
        read = c.post("/match", json={"queries": {"a": company("Hikvision")}})
    for r in (upload, update):
        assert r.status_code == 403
        assert "SCREENER_TOKEN" in r.json()["detail"]
    assert read.status_code == 200


def test_uploads_over_the_size_limit_are_413(db_path: Path) -> None:
    with LiveServer(db_path, max_upload_mb=0.01) as server, server.authed() as c:
        r = c.post("/batch", files={"file": ("big.csv", b"name\n" + b"Hikvision\n" * 2000)})
    assert r.status_code == 413


# -- reconciliation ----------------------------------------------------------------------


def test_reconcile_manifest(live: LiveServer) -> None:
    with live.client() as c:
        m = c.get("/reconcile").json()
    assert "0.2" in m["versions"] and m["name"].startswith("screener")
    assert m["defaultTypes"][0]["id"] == "LegalEntity"
    assert m["view"]["url"] == f"{live.url}/entity?id={{{{id}}}}"
    assert m["preview"]["url"] == f"{live.url}/reconcile/preview?id={{{{id}}}}"
    assert m["identifierSpace"] and m["schemaSpace"]


def test_reconcile_queries_by_get_and_post(live: LiveServer) -> None:
    queries = {
        "q0": {"query": "Hikvision"},
        "q1": {"query": "SenseTime", "limit": 1, "properties": [{"pid": "country", "v": "CN"}]},
        "q2": {"query": "Siemens AG"},
    }
    with live.client() as c:
        got = c.get("/reconcile", params={"queries": json.dumps(queries)})
        posted = c.post("/reconcile", data={"queries": json.dumps(queries)})
    assert got.json() == posted.json()
    assert got.headers["access-control-allow-origin"] == "*"
    out = posted.json()
    top = out["q0"]["result"][0]
    assert (top["id"], top["name"], top["score"], top["match"]) == (
        "screener-surveillance.hikvision",
        HIK,
        100.0,
        True,
    )
    assert top["type"] == [{"id": "Organization", "name": "Listed organization"}]
    assert "84 FR 54002" in top["description"]
    assert len(out["q1"]["result"]) == 1 and out["q1"]["result"][0]["name"].startswith("SenseTime")
    assert out["q2"]["result"] == []


def test_reconcile_jsonp_and_bad_input(live: LiveServer) -> None:
    with live.client() as c:
        jsonp = c.get("/reconcile", params={"callback": "cb_1"})
        evil = c.get("/reconcile", params={"callback": "alert(1)//"})
        bad = c.get("/reconcile", params={"queries": "[1, 2]"})
    assert jsonp.text.startswith("/**/cb_1({") and jsonp.text.endswith("});")
    assert jsonp.headers["content-type"].startswith("application/javascript")
    assert evil.status_code == 400 and bad.status_code == 400


def test_reconcile_preview_is_escaped_html_and_may_be_framed(live: LiveServer) -> None:
    with live.client() as c:
        ok = c.get("/reconcile/preview", params={"id": "screener-surveillance:hikvision"})
        missing = c.get("/reconcile/preview", params={"id": "<script>x</script>"})
    assert (
        ok.status_code == 200 and "<h1>Hangzhou Hikvision" in ok.text and "84 FR 54002" in ok.text
    )
    assert "frame-ancestors" not in ok.headers["content-security-policy"]
    assert "x-frame-options" not in ok.headers
    assert missing.status_code == 404 and "<script>x" not in missing.text


# -- documentation and headers -----------------------------------------------------------


def test_openapi_documents_every_json_route_and_nothing_else(live: LiveServer) -> None:
    with live.client() as c:
        served = c.get("/openapi.json").json()
        docs = c.get("/docs")
    documented = set(served["paths"])
    routes = {r.path for r in [*ROUTES, *API_ROUTES]} - {"/docs"}
    assert documented == routes
    assert served == json.loads(json.dumps(openapi_doc()))
    assert docs.status_code == 200 and "POST /match" in docs.text


def test_security_headers(live: LiveServer) -> None:
    with live.client() as c:
        page = c.get("/")
        api = c.get("/healthz")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "server" not in api.headers
