"""yente's contract, proven with yente's own client: a real `screener serve` (uvicorn on
127.0.0.1) driven by the official ``yente-client`` package, every result read back as a
FollowTheMoney entity (followthemoney's ``model.get_proxy``).

The store holds the bundled list and ``fixtures/lists/own_denylist.csv`` as the source
``own`` (a user's own deny list naming Hikvision, Dahua, SenseTime, Megvii and the XPCC
PSB), so that a name is on two datasets and ``include_dataset`` has something to narrow.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from followthemoney import model
from followthemoney.dataset.util import dataset_name_check
from live_server import LiveServer
from yente_client import Client
from yente_client.entities import Airplane, Company, Person, Vessel
from yente_client.exceptions import BadRequestError, NotFoundError

from screener.db.store import Store
from screener.lists import catalog

ROOT = Path(__file__).resolve().parents[1]
HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."


@pytest.fixture(scope="module")
def server(master_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    target = tmp_path_factory.mktemp("yente") / "s.db"
    shutil.copyfile(master_db, target)
    store = Store(target)
    catalog.import_file(store, ROOT / "fixtures" / "lists" / "own_denylist.csv", "simple", "own")
    store.close()
    with LiveServer(target) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[Client]:
    with Client(base_url=server.url, app_name="screener-tests") as c:
        yield c


def parses_as_ftm(result: Any) -> None:
    """A result is a FollowTheMoney entity of its schema, with every property valid."""
    data = (
        result.model_dump(by_alias=True, mode="json") if hasattr(result, "model_dump") else result
    )
    proxy = model.get_proxy(
        {"id": data["id"], "schema": data["schema"], "properties": data["properties"]},
        cleaned=False,
    )
    assert proxy.schema.name == data["schema"]
    assert proxy.id == data["id"]
    for prop, values in data["properties"].items():
        assert proxy.schema.get(prop) is not None, f"{prop} is not a property of {data['schema']}"
        assert sorted(proxy.get(prop)) == sorted(values), prop


# -- match with yente's client -----------------------------------------------------------


def test_yentes_documented_example_queries_are_screened(client: Client) -> None:
    """The two example queries of yente's /match documentation: a person with a date of
    birth and a nationality, a company with a jurisdiction and a registration number."""
    person = client.match(Person(name=["John Doe"], birthDate=["1975-04-21"], nationality=["us"]))
    company = client.match(
        Company(
            name=["Brilliant Amazing Limited"],
            jurisdiction=["hk"],
            registrationNumber=["84BA99810"],
        )
    )
    assert person.results == [] and person.total.value == 0
    assert company.results == [] and company.total.value == 0
    assert person.query["properties"]["name"] == ["John Doe"]
    assert company.query["properties"]["registrationNumber"] == ["84BA99810"]


def test_match_with_yente_client_finds_the_listed_party(client: Client) -> None:
    found = client.match(Company(name=["HIKVISION"], jurisdiction=["cn"]))
    top = found.top
    assert top is not None and top.match
    assert (top.id, top.caption, top.schema_, top.score) == (
        "screener-surveillance.hikvision",
        HIK,
        "Organization",
        1.0,
    )
    # the own list's entry of the same name and country is a record of the same party
    assert top.datasets == ["screener_surveillance", "own"] and top.target
    assert top.referents == ["own.own-hikvision"]
    assert top.first_seen is not None and top.last_seen is not None
    assert set(top.explanations) == {"name", "country", "birth_date"}
    assert top.explanations["country"].score == 0.03
    assert round(sum(f.score for f in top.explanations.values()), 4) == top.score
    assert "own.own-hikvision" not in {r.id for r in found.results}  # one result per party
    assert found.limit == 5


def test_every_result_parses_as_a_followthemoney_entity(client: Client) -> None:
    names = ["Hikvision", "Dahua Technology", "SenseTime", "Chen Quanguo", "Megvii", "XPCC PSB"]
    seen = 0
    for name in names:
        for r in client.match(Company(name=[name]), limit=20, threshold=0.5).results:
            parses_as_ftm(r)
            seen += 1
    assert seen >= 10


def test_include_dataset_narrows_the_results(client: Client) -> None:
    everywhere = {r.id for r in client.match(Company(name=["Hikvision"])).results}
    own_only = client.match(Company(name=["Hikvision"]), datasets=["default", "own"]).results
    curated_only = client.match(Company(name=["Hikvision"]), datasets=["surveillance"]).results
    by_source = client.match(
        Company(name=["Hikvision"]), datasets=["screener-surveillance"]
    ).results
    assert [r.id for r in by_source] == [r.id for r in curated_only]
    assert "screener-surveillance.hikvision" in everywhere
    assert "own.own-hikvision" not in everywhere  # a record of the Hikvision party
    # the party is on the own list through its own record: found there, by its id
    assert [r.id for r in own_only] == ["screener-surveillance.hikvision"]
    assert all("own" in r.datasets for r in own_only)
    assert curated_only and all("screener_surveillance" in r.datasets for r in curated_only)
    left = client.match(Company(name=["Hikvision"]), exclude_datasets=["own"]).results
    assert left and "own.own-hikvision" not in {r.id for r in left}
    assert not any(r.datasets == ["own"] for r in left)


def test_exclude_entity_ids_takes_an_id_in_any_form(client: Client) -> None:
    """The party's id, an older form of it, the store's party id, or the id of another
    of its records (a referent) excludes the party; another party stays."""
    both = Company(name=["Hikvision", "Dahua"])
    assert {"screener-surveillance.hikvision", "screener-surveillance.dahua"} <= {
        r.id for r in client.match(both).results
    }
    for given in (
        "screener-surveillance.hikvision",
        "screener-surveillance:hikvision",
        "hikvision",
        "own.own-hikvision",
    ):
        found = client.match(both, exclude_entities=[given]).results
        ids = [r.id for r in found]
        assert "screener-surveillance.hikvision" not in ids, given
        assert "screener-surveillance.dahua" in ids, given
        assert not any("own.own-hikvision" in r.referents for r in found), given


def test_exclude_schema_topics_and_changed_since(server: LiveServer) -> None:
    def ids(**params: Any) -> list[str]:
        with server.client() as c:
            r = c.post(
                "/match/default",
                params=params,
                json={
                    "queries": {
                        "q": {"schema": "LegalEntity", "properties": {"name": ["Chen Quanguo"]}}
                    }
                },
            )
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["responses"]["q"]["results"]]

    people = ids()
    assert people and people[0] == "screener-surveillance.chen-quanguo"
    assert ids(exclude_schema="Person") == [x for x in people if x.startswith("own.")]
    assert ids(topics="sanction") == ["screener-surveillance.chen-quanguo"]
    assert ids(topics="invest.ban") == []
    assert ids(changed_since="2000-01-01") == people
    assert ids(changed_since="2999-01-01") == []


def test_cutoff_above_the_threshold_is_lowered_and_limit_goes_to_500(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post(
            "/match/default",
            params={"threshold": "0.9", "cutoff": "0.95", "limit": "500"},
            json={"queries": {"q": {"schema": "Company", "properties": {"name": ["Hikvision"]}}}},
        )
    body = r.json()
    assert r.status_code == 200 and (body["threshold"], body["cutoff"], body["limit"]) == (
        0.9,
        0.9,
        500,
    )


# -- fail closed -------------------------------------------------------------------------


def test_a_person_given_by_first_and_last_name_is_screened(client: Client) -> None:
    found = client.match(Person(firstName=["Quanguo"], lastName=["Chen"], nationality=["cn"]))
    assert found.top is not None and found.top.id == "screener-surveillance.chen-quanguo"


@pytest.mark.parametrize(
    ("entity", "why"),
    [
        (Company(registrationNumber=["91330000733796106P"]), "no name to screen"),
        (Company(name=["Dahua Technology"], jurisdiction=["zz"]), "'zz' is not a country"),
        (Person(birthDate=["1956-11-01"]), "no name to screen"),
    ],
    ids=["registration-number-only", "country-zz", "birth-date-only"],
)
def test_a_query_that_cannot_be_screened_is_never_zero_matches(
    client: Client, entity: Any, why: str
) -> None:
    with pytest.raises(BadRequestError) as e:
        client.match(entity)
    assert why in e.value.detail and "query 'q'" in e.value.detail


@pytest.mark.parametrize("kind", [Vessel, Airplane], ids=["vessel", "airplane"])
def test_vessels_and_aircraft_are_screened_on_their_names(client: Client, kind: Any) -> None:
    found = client.match(kind(name=["Hikvision"]))
    assert found.top is not None and found.top.id.endswith("hikvision")


def test_one_bad_query_refuses_the_batch_and_names_it(server: LiveServer) -> None:
    queries = {
        "good": {"schema": "Company", "properties": {"name": ["Megvii"]}},
        "bad": {"schema": "Company", "properties": {"registrationNumber": ["123"]}},
        "global": {"schema": "Company", "properties": {"name": ["Megvii"], "country": ["zz"]}},
    }
    with server.client() as c:
        r = c.post("/match/default", json={"queries": queries})
    assert r.status_code == 400
    assert set(r.json()["errors"]) == {"bad", "global"}
    assert "responses" not in r.json()


def test_a_dataset_with_no_list_loaded_is_refused(client: Client) -> None:
    with pytest.raises(NotFoundError) as e:
        client.match(Company(name=["Hikvision"]), datasets=["sanctions"])
    assert "none of its lists is loaded" in e.value.detail
    with pytest.raises(NotFoundError) as e:
        client.match(Company(name=["Hikvision"]), datasets=["ofac-sdn"])
    assert "not loaded on this server" in e.value.detail


# -- entities, search, catalog, algorithms, health ---------------------------------------


def test_every_result_id_resolves_at_entities(client: Client, server: LiveServer) -> None:
    results = client.match(Company(name=["Hikvision"]), limit=20, threshold=0.5).results
    assert results
    for r in results:
        fetched = client.fetch(r.id)
        assert (fetched.id, fetched.caption, fetched.schema_) == (r.id, r.caption, r.schema_)
    with server.client() as c:
        old = c.get("/entities/screener-surveillance:hikvision")
        bare = c.get("/entities/chen-quanguo")
        nested = c.get("/entities/screener-surveillance.hikvision").json()
        flat = c.get("/entities/screener-surveillance.hikvision", params={"nested": "false"}).json()
    assert (old.status_code, old.headers["location"]) == (
        308,
        "/entities/screener-surveillance.hikvision",
    )
    assert bare.headers["location"] == "/entities/screener-surveillance.chen-quanguo"
    assert nested["screener"]["listings"][0]["citation"] == "84 FR 54002"
    assert "screener" not in flat
    assert client.fetch("screener-surveillance:hikvision").id == "screener-surveillance.hikvision"
    with pytest.raises(NotFoundError):
        client.fetch("no-such-entity")


def test_search_catalog_algorithms_and_health(client: Client) -> None:
    found = client.search("Hikvision", limit=3)
    assert found.results[0].id == "screener-surveillance.hikvision" and len(found.results) <= 3
    assert "own.own-hikvision" in found.results[0].referents  # one party, two lists
    assert "own.own-hikvision" not in {r.id for r in found.results}
    assert "datasets" in found.facets
    own = client.search("Hikvision", datasets=["own"])
    assert [r.id for r in own.results] == ["screener-surveillance.hikvision"]
    cat = client.datasets()
    names = {d.name for d in cat.datasets}
    assert {"default", "screener", "sanctions", "export_controls", "surveillance", "own"} <= names
    assert "screener_surveillance" in names and "screener_ownership" not in names
    assert {"export_controls", "export-controls"} & names == {"export_controls"}
    for d in cat.datasets:  # FollowTheMoney's rule for dataset names, as yente's catalog has it
        assert dataset_name_check(d.name) == d.name
    algos = client.algorithms()
    assert algos.default == algos.best == "screener-names"
    assert client.readyz().status == "ok" and client.healthz().status == "ok"


def test_match_results_carry_screeners_evidence_and_the_run(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post(
            "/match/default",
            json={
                "queries": {
                    "q": {
                        "schema": "Company",
                        "properties": {"name": ["Dahua"], "registrationNumber": ["x"]},
                    }
                }
            },
        )
    body = r.json()
    q = body["responses"]["q"]
    assert q["screener"] == {
        "names": ["Dahua"],
        "countries": [],
        "birth_date": None,
        "unused": ["registrationNumber"],
    }
    listed = {x["id"]: x["screener"] for x in q["results"]}
    curated = listed["screener-surveillance.dahua"]
    assert (curated["entity_id"], curated["citation"]) == ("dahua", "84 FR 54002")
    # the own list's Dahua is a record of the same party, not a result of its own
    assert "own.own-dahua" not in listed
    records = [(r["source_id"], r["entity_id"]) for r in curated["party"]["records"]]
    assert ("own", "own-dahua") in records
    assert {"own", "csl"} & {x.get("source_id") for x in curated["listings"]} >= {"own"}
    assert body["run_id"] and any("never loaded" in w for w in body["warnings"])


def test_search_refuses_a_parameter_it_does_not_honour(server: LiveServer) -> None:
    with server.client() as c:
        r = c.get("/search/default", params={"q": "Hikvision", "sort": "score"})
        empty = c.get("/search/default", params={"q": " "})
    assert r.status_code == 400 and "unknown parameter sort" in r.json()["detail"]
    assert empty.status_code == 400


def test_unknown_entity_is_a_json_404(server: LiveServer) -> None:
    with server.client() as c:
        r = c.get("/entities/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert isinstance(httpx.Response(200, json=r.json()).json()["detail"], str)


def test_dates_come_from_the_list_versions(db_path: Path, tmp_path: Path) -> None:
    """first_seen: the first version holding the entry; last_change: the first since which
    its record is as now; last_seen: the version in use."""
    import time

    own = (ROOT / "fixtures" / "lists" / "own_denylist.csv").read_text(encoding="utf-8")
    store = Store(db_path)
    catalog.import_file(store, ROOT / "fixtures" / "lists" / "own_denylist.csv", "simple", "own")
    time.sleep(1.1)  # versions are dated to the second
    changed = tmp_path / "own_denylist.csv"  # the list is named after its file
    changed.write_text(
        own.replace("Dahua Technology;Dahua;", "Dahua Technology;Dahua;DH;"), "utf-8"
    )
    catalog.import_file(store, changed, "simple", "own")
    versions = store.versions("own")
    store.close()
    first, second = (v["loaded_at"].replace("Z", "") for v in versions[-2:])
    with LiveServer(db_path) as live, live.client() as c:
        moved = c.get("/entities/own.own-dahua")  # a record of the Dahua party
        dahua = c.get(moved.headers["location"]).json()
        hik = c.get("/entities/own.own-hikvision", follow_redirects=True).json()
    assert (moved.status_code, moved.headers["location"]) == (
        308,
        "/entities/screener-surveillance.dahua",
    )
    records = {r["id"]: r for p in (dahua, hik) for r in p["screener"]["records"]}
    own_hik, own_dahua = records["own.own-hikvision"], records["own.own-dahua"]
    assert (own_hik["first_seen"], own_hik["last_change"], own_hik["last_seen"]) == (
        first,
        first,
        second,
    )
    assert (own_dahua["first_seen"], own_dahua["last_change"], own_dahua["last_seen"]) == (
        first,
        second,
        second,
    )
    # a party's dates: its records' earliest sighting, their latest change and load
    assert dahua["first_seen"] < first and (dahua["last_change"], dahua["last_seen"]) == (
        second,
        second,
    )
