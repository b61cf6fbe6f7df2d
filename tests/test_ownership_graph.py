"""The ownership graph in the store: the bundled links, screenable nodes, chains up and
down, and assess() with the OFAC 50% and BIS Affiliates rules."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from excerpts import excerpt

from screener.db import ownership as graph
from screener.db.ownership_graph import (
    Graph,
    child_keys,
    has_owners,
    list_code,
    owners,
    shadowed,
    subsidiaries,
)
from screener.db.store import Store
from screener.errors import InputError
from screener.lists import links
from screener.lists.bundled import open_store
from screener.lists.parsers import ownership as yaml_edges
from screener.matching.matcher import Matcher, screen
from screener.model import OwnershipLink, ParsedLinks
from screener.screening.ownership import assess
from screener.screening.service import Screener

CONS_DIR = excerpt("moov-watchman/ofac_non_sdn")
NODES = graph.NODE_SOURCE
CURATED = "screener-surveillance"
DAY = "2026-12-01"  # the day the bundled rule statuses were last checked
EZVIZ = graph.child_key("Hangzhou EZVIZ Network Co., Ltd.")
HIKROBOT = graph.child_key("Hangzhou Hikrobot Co., Ltd.")


def node(store: Store, name: str) -> str:
    """The node id of the bundled child called ``name`` (it must be a node)."""
    key = graph.child_key(name)
    assert store.entity(NODES, key) is not None, name
    return key


# -- the store -------------------------------------------------------------------------


def test_bundled_links_load_once_with_rules_and_curated_parents(store: Store) -> None:
    load = graph.active_load(store, graph.BUNDLED_ORIGIN_ID)
    assert load is not None and load["origin"] == "bundled" and load["status"] == "active"
    edges = yaml_edges.parse()
    meta = json.loads(load["meta"])
    assert (meta["edges_in_file"], load["edges"]) == (
        len(edges),
        len(edges) + meta["curated_parents"],
    )
    # Curated parents become links unless the file states them (hikvision -> cetc, 40.46%).
    parents = sum(1 for e in store.entities([CURATED]) if e.parent_id)
    assert 0 < meta["curated_parents"] < parents
    assert graph.stats(store)[graph.BUNDLED_ORIGIN_ID] == load["edges"]
    assert [r.id for r in graph.rules(store)] == ["ofac-50-percent-rule", "bis-affiliates-rule"]
    # Opening again loads nothing.
    before = store.conn.execute("select count(*) from ownership_versions").fetchone()[0]
    assert links.ensure_bundled_links(store) is None
    assert store.conn.execute("select count(*) from ownership_versions").fetchone()[0] == before


def test_unlisted_children_are_entities_of_the_node_source(store: Store) -> None:
    src = store.source(NODES)
    assert src is not None and src["kind"] == "ownership"
    ezviz = store.entity(NODES, EZVIZ)
    assert ezviz is not None and ezviz.extra["ownership_node"] is True
    assert {"EZVIZ", "萤石网络", "萤石"} <= {n.name for n in ezviz.names}
    assert ezviz.countries == ["cn"] and ezviz.parent_name == (
        "Hangzhou Hikvision Digital Technology Co., Ltd."
    )
    # A child that is itself a listed entry is not a node: Hikvision (-> CETC 40.46%).
    assert (
        store.entity(NODES, graph.child_key("Hangzhou Hikvision Digital Technology Co., Ltd."))
        is None
    )


@pytest.mark.parametrize("query", ["EZVIZ", "萤石网络", "杭州萤石网络股份有限公司"])
def test_the_matcher_finds_ownership_nodes(matcher: Matcher, query: str) -> None:
    hits = screen(matcher, query)
    assert hits and hits[0].entity.id == EZVIZ and hits[0].score == 1.0
    assert hits[0].entity.extra["ownership_node"] is True


def test_nodes_and_links_survive_a_reopen_and_track_the_bundled_file(
    db_path: Path, tmp_path: Path
) -> None:
    store = open_store(db_path)
    try:
        v = store.source(NODES)["active_version"]
        edited = tmp_path / "ownership.yaml"
        text = yaml_edges.bundled_path().read_text(encoding="utf-8")
        edited.write_text(
            text.replace("    - 萤石\n", "    - 萤石\n    - EZVIZ Network\n", 1), encoding="utf-8"
        )
        load = links.ensure_bundled_links(store, edited)
        assert load is not None and load["status"] == "loaded"
        assert store.source(NODES)["active_version"] != v
        assert "EZVIZ Network" in {n.name for n in store.entity(NODES, EZVIZ).names}
        assert len(graph.loads(store)) == 1  # the old load is superseded, not kept active
    finally:
        store.close()


def test_a_failed_load_leaves_the_store_as_it_was(store: Store) -> None:
    before = (graph.stats(store), store.source(NODES)["active_version"])
    good = OwnershipLink(
        child_key="x",
        child_name="Example Unit",
        kind="unit",
        source="https://example.org",
        owner_name="Example Parent",
    )
    bad = OwnershipLink(
        child_key="y", child_name="Y", kind="subsidiary", source="https://example.org"
    )  # no owner
    with pytest.raises(InputError, match="names no owner"):
        graph.replace_links(store, "mine", "user", ParsedLinks([good, bad]), sha256="1")
    assert (graph.stats(store), store.source(NODES)["active_version"]) == before

    def boom() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    original = graph.refresh_nodes
    try:  # fails after the links were written: they roll back with it
        graph.refresh_nodes = lambda *a, **k: boom()  # type: ignore[assignment]
        with pytest.raises(Exception, match="disk I/O error"):
            graph.replace_links(store, "mine", "user", ParsedLinks([good]), sha256="2")
    finally:
        graph.refresh_nodes = original  # type: ignore[assignment]
    assert (graph.stats(store), store.source(NODES)["active_version"]) == before
    assert graph.active_load(store, "mine") is None


def test_a_new_load_of_an_origin_replaces_its_links_only(store: Store) -> None:
    def link(name: str) -> OwnershipLink:
        return OwnershipLink(
            child_key=graph.child_key(name),
            child_name=name,
            kind="subsidiary",
            source="https://example.org",
            owner_source_id=CURATED,
            owner_entity_id="dahua",
            owner_name="Dahua",
            share=100,
        )

    bundled = graph.stats(store)[graph.BUNDLED_ORIGIN_ID]
    graph.replace_links(store, "mine", "user", ParsedLinks([link("Alpha Optics Ltd")]), sha256="a")
    graph.replace_links(store, "mine", "user", ParsedLinks([link("Beta Optics Ltd")]), sha256="b")
    assert (
        graph.stats(store)["mine"] == 1 and graph.stats(store)[graph.BUNDLED_ORIGIN_ID] == bundled
    )
    assert store.entity(NODES, "beta-optics-ltd") is not None
    assert store.entity(NODES, "alpha-optics-ltd") is None
    again = graph.replace_links(store, "mine", "user", ParsedLinks([]), sha256="b")
    assert again["status"] == "unchanged"


def test_loading_the_bundled_file_is_fast(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "t.db")
    try:
        from screener.lists.bundled import ensure_bundled

        ensure_bundled(store)
        graph.replace_links(
            store, graph.BUNDLED_ORIGIN_ID, "bundled", ParsedLinks([]), sha256="reset"
        )
        start = time.perf_counter()
        assert links.ensure_bundled_links(store) is not None
        assert time.perf_counter() - start < 5
    finally:
        store.close()


# -- chains and relations --------------------------------------------------------------


def test_ezviz_is_owned_by_hikvision_under_the_bis_affiliates_rule(store: Store) -> None:
    a = assess(store, NODES, EZVIZ, on=DAY)
    assert a.relation == "owned-by" and a.share is None and a.share_published is False
    assert [o.entity_id for o in a.owners] == ["hikvision"]
    assert "Entity List" in a.owners[0].lists
    first = a.chains[0].steps[0]
    assert (first.link.kind, first.link.controlled, first.link.source) == (
        "subsidiary",
        True,
        "https://q.stock.sohu.com/cn,gg,002415,6497726459.shtml",
    )
    assert any("share is not published" in n and "ownership, not control" in n for n in a.notes)
    [rule] = a.rules  # Hikvision is on the Entity List, not the SDN list
    assert (rule["id"], rule["applies"], rule["citation"]) == (
        "bis-affiliates-rule",
        True,
        "90 FR 47201",
    )
    assert rule["owners"][0] == "Hangzhou Hikvision Digital Technology Co., Ltd."


@pytest.mark.parametrize(
    ("day", "status", "citation"),
    [
        ("2025-10-15", "in force", "90 FR 47201"),
        ("2026-01-15", "suspended", "90 FR 50857"),
        ("2026-12-07", "in force by default", "90 FR 50857"),  # restored 2026-11-10
    ],
)
def test_the_rule_status_comes_from_the_dated_periods(
    store: Store, day: str, status: str, citation: str | None
) -> None:
    [rule] = assess(store, NODES, EZVIZ, on=day).rules
    assert (rule["status"]["status"], rule["status"]["citation"]) == (status, citation)
    bis = next(r for r in yaml_edges.parse_rules() if r.id == "bis-affiliates-rule")
    assert rule["status"]["source"] == bis.status_on(day).source  # type: ignore[union-attr]


def test_hikrobot_is_60_percent_owned_by_hikvision(store: Store) -> None:
    a = assess(store, NODES, HIKROBOT, on=DAY)
    assert (a.relation, a.share, a.share_published) == ("owned-by", 60.0, True)
    up = owners(store, NODES, HIKROBOT, on=DAY)
    by_top = {c.top.entity_id: c for c in up}
    assert by_top["hikvision"].effective_share == 60.0
    # On to CETC through Hikvision: 60% x 40.46% = 24.276% along the chain.
    assert by_top["cetc"].effective_share == pytest.approx(24.276)
    assert [s.child.name for s in by_top["cetc"].steps] == [
        "Hangzhou Hikrobot Co., Ltd.",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
    ]


def test_hikvision_is_related_to_cetc_at_40_46_percent(store: Store) -> None:
    a = assess(store, CURATED, "hikvision", on=DAY)
    assert (a.relation, a.share) == ("related", 40.46)
    assert [o.entity_id for o in a.owners] == ["cetc"]
    assert a.chains[0].steps[0].link.source.startswith("http://m.52xujie.com/")
    assert a.rules == []  # CETC is on no list the two rules name (NS-CMIC, 1260H)


def test_assessments_through_one_shared_graph_are_those_made_alone(store: Store) -> None:
    """The ownership stage assesses every company it meets through one graph of the day
    (an owner read once for all it owns): each assessment is the one made alone, in any
    order, Hikvision's companies and Hikvision itself alike."""
    companies = [(NODES, EZVIZ), (NODES, HIKROBOT), (CURATED, "hikvision"), (NODES, EZVIZ)]
    alone = [assess(store, s, e, on=DAY).as_dict() for s, e in companies]
    shared = Graph(store, DAY)
    assert [assess(store, s, e, graph=shared).as_dict() for s, e in companies] == alone
    shared = Graph(store, DAY)
    backwards = [assess(store, s, e, graph=shared).as_dict() for s, e in reversed(companies)]
    assert backwards == alone[::-1]
    assert alone[1]["share"] == 60.0 and alone[2]["relation"] == "related"


def test_futurewei_is_related_to_huawei_share_unknown(store: Store) -> None:
    fw = node(store, "Futurewei Technologies, Inc.")
    a = assess(store, NODES, fw, on=DAY)
    assert (a.relation, a.share) == ("related", None)
    assert [o.entity_id for o in a.owners] == ["huawei"]
    [rule] = a.rules
    assert (rule["id"], rule["applies"], rule["relation"]) == (
        "bis-affiliates-rule",
        False,
        "related",
    )


def test_nanjing_les_is_owned_by_cetc_28th_institute(store: Store) -> None:
    les = node(store, "Nanjing LES Information Technology Co., Ltd.")
    a = assess(store, NODES, les, on=DAY)
    assert a.relation == "owned-by" and [o.entity_id for o in a.owners] == ["cetc-28"]
    assert a.chains[0].steps[0].link.source == (
        "https://aijingu.com/notices/688631/AN202306261591363354.html"
    )


def test_dahua_technology_usa_ended_and_counts_no_more(store: Store) -> None:
    usa = node(store, "Dahua Technology USA Inc.")
    a = assess(store, NODES, usa, on=DAY)
    assert (a.relation, a.owners, a.chains, a.rules) == (None, [], [], [])
    assert [s.link.end_date for s in a.ended] == ["2024-01"]
    assert any("ended on 2024-01 and no longer counts" in n for n in a.notes)
    # Before the sale it was a wholly owned subsidiary.
    assert assess(store, NODES, usa, on="2023-06-30").relation == "owned-by"
    # owners() still shows the ended link unless asked for current links only.
    assert len(owners(store, NODES, usa)) == 1
    assert owners(store, NODES, usa, on=DAY, current_only=True) == []


def test_a_two_step_chain_through_an_unlisted_company(store: Store) -> None:
    korea = node(store, "Huaray Technology Korea Company Limited")
    a = assess(store, NODES, korea, on=DAY)
    # 100% of Huaray, which Dahua controls (share not published): owned by Dahua.
    assert a.relation == "owned-by"
    [chain] = a.chains
    assert [(s.child.name, s.owner.name) for s in chain.steps] == [
        ("Huaray Technology Korea Company Limited", "Zhejiang Huaray Technology Co., Ltd."),
        ("Zhejiang Huaray Technology Co., Ltd.", "Zhejiang Dahua Technology Co., Ltd."),
    ]
    assert chain.top.entity_id == "dahua" and chain.effective_share is None
    assert any("Huaray" in n and "not published" in n for n in a.notes)


def test_subsidiaries_run_down_from_a_listed_owner(store: Store) -> None:
    down = subsidiaries(store, CURATED, "dahua", on=DAY)
    names = {c.steps[-1].child.name for c in down}
    assert {
        "Zhejiang Huaray Technology Co., Ltd.",
        "Dahua Technology USA Inc.",
        "Huaray Technology Korea Company Limited",
    } <= names
    korea = next(c for c in down if c.steps[-1].child.name.startswith("Huaray Technology Korea"))
    assert [s.owner.name for s in korea.steps] == [
        "Zhejiang Dahua Technology Co., Ltd.",
        "Zhejiang Huaray Technology Co., Ltd.",
    ]
    cetc = {c.steps[-1].child.name for c in subsidiaries(store, CURATED, "cetc")}
    assert "Hangzhou Hikvision Digital Technology Co., Ltd." in cetc
    assert "Hangzhou EZVIZ Network Co., Ltd." in cetc  # through Hikvision


def test_a_unit_and_a_brand(store: Store, tmp_path: Path) -> None:
    unit = node(store, "China Mobile Research Institute")
    assert assess(store, NODES, unit, on=DAY).relation == "unit"
    links.import_links(
        store,
        _csv(
            tmp_path,
            [
                "Imou,dahua,,https://example.org/brand,brand",
                "Old Dahua Name Co,dahua,,https://example.org/former,former-name",
            ],
        ),
        "ownership-csv",
        "brands",
        match=Screener(store).entity_named,
    )
    assert assess(store, NODES, "imou", on=DAY).relation == "brand"
    assert assess(store, NODES, "old-dahua-name-co", on=DAY).relation == "brand"


def test_named_owners_resolve_once_their_list_is_loaded(store: Store) -> None:
    """The NS-CMIC list (OFAC non-SDN, real files): owners the bundled file names by
    their NS-CMIC spelling resolve to its entries, and children that are NS-CMIC
    entries themselves stop being nodes."""
    from screener.lists import catalog

    before = graph.stats(store)["nodes"]
    catalog.import_file(store, CONS_DIR, "ofac", "ofac-non-sdn")
    after = graph.stats(store)["nodes"]
    assert after < before  # some children are NS-CMIC entries
    avic_children = [
        lk
        for lk in graph.all_links(store)
        if lk.owner_name == "AVIATION INDUSTRY CORPORATION OF CHINA, LTD."
    ]
    assert len(avic_children) >= 10
    lk = next(x for x in avic_children if store.entity(NODES, x.child_key) is not None)
    a = assess(store, NODES, lk.child_key, on=DAY)
    assert a.relation in ("owned-by", "related")
    assert [o.source_id for o in a.owners] == ["ofac-non-sdn"]
    assert "NS-CMIC" in list_code(a.owners[0].lists[0])
    assert a.rules == []  # NS-CMIC is neither SDN nor Entity List


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    p = tmp_path / "links.csv"
    p.write_text("child,parent,share,source,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_parallel_chains_add_up(store: Store, tmp_path: Path) -> None:
    """A synthetic graph: 30% held by Hikvision directly and 25% through a company
    Dahua owns outright: 55% in the aggregate, so owned-by; 30% + 15% is only related."""
    src = "https://example.org/filing"
    links.import_links(
        store,
        _csv(
            tmp_path,
            [
                f"Alpha Vision Ltd,screener-surveillance:hikvision,30,{src},subsidiary",
                f"Alpha Vision Ltd,Beta Holdings Ltd,25,{src},subsidiary",
                f"Beta Holdings Ltd,screener-surveillance:dahua,100,{src},subsidiary",
                f"Gamma Vision Ltd,hikvision,30,{src},subsidiary",
                f"Gamma Vision Ltd,dahua,15,{src},subsidiary",
                f"Delta Vision Ltd,dahua,5,{src},subsidiary",
            ],
        ),
        "ownership-csv",
        "test-links",
        match=Screener(store).entity_named,
    )
    alpha = assess(store, NODES, "alpha-vision-ltd", on=DAY)
    assert (alpha.relation, alpha.share) == ("owned-by", 55.0)
    assert {o.entity_id for o in alpha.owners} == {"hikvision", "dahua"}
    assert sorted(c.effective_share for c in alpha.chains if c.top.entity_id != "cetc") == [
        25.0,
        30.0,
    ]
    [rule] = alpha.rules
    assert rule["applies"] and set(rule["owners"]) >= {
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "Zhejiang Dahua Technology Co., Ltd.",
    }
    gamma = assess(store, NODES, "gamma-vision-ltd", on=DAY)
    assert (gamma.relation, gamma.share) == ("related", 45.0)
    assert assess(store, NODES, "delta-vision-ltd", on=DAY).relation is None


def test_ofac_faq_401_indirect_ownership_counts_in_full(store: Store, tmp_path: Path) -> None:
    """OFAC FAQ 401, example 1, on a real SDN entry (XPCC): it owns 50% of A, A owns 50%
    of B; B is blocked (50%, not 25%), under OFAC's rule and, XPCC being an SDN, not
    the Entity List, under no BIS rule unless its program is one 744.8 names."""
    src = "https://example.org/filing"
    links.import_links(
        store,
        _csv(
            tmp_path,
            [
                f"Entity A Trading Co,xpcc,50,{src},subsidiary",
                f"Entity B Trading Co,Entity A Trading Co,50,{src},subsidiary",
            ],
        ),
        "ownership-csv",
        "faq-401",
        match=Screener(store).entity_named,
    )
    b = assess(store, NODES, "entity-b-trading-co", on=DAY)
    assert (b.relation, b.share) == ("owned-by", 50.0)
    assert {c.top.entity_id for c in b.chains} == {"xpcc"}
    assert b.chains[0].effective_share == 25.0  # what multiplying alone would say
    ofac = next(r for r in b.rules if r["id"] == "ofac-50-percent-rule")
    assert ofac["applies"] and ofac["status"]["status"] == "in force"
    assert ofac["status"]["citation"] == "79 FR 47726"


def test_a_cycle_does_not_loop(store: Store, tmp_path: Path) -> None:
    src = "https://example.org/filing"
    links.import_links(
        store,
        _csv(
            tmp_path,
            [
                f"Loop One Ltd,Loop Two Ltd,60,{src},subsidiary",
                f"Loop Two Ltd,Loop One Ltd,60,{src},subsidiary",
                f"Loop Two Ltd,dahua,20,{src},subsidiary",
            ],
        ),
        "ownership-csv",
        "loops",
        match=Screener(store).entity_named,
    )
    a = assess(store, NODES, "loop-one-ltd", on=DAY)
    assert a.relation == "related"
    assert len(subsidiaries(store, NODES, "loop-one-ltd")) <= 4


def test_node_hits_that_echo_their_owner_are_shadowed(store: Store) -> None:
    usa = node(store, "Dahua Technology USA Inc.")
    hits = [(CURATED, "dahua", 1.0), (NODES, usa, 0.92)]
    assert shadowed(store, hits) == {(NODES, usa)}
    assert shadowed(store, [(CURATED, "dahua", 0.9), (NODES, usa, 1.0)]) == set()


def test_a_check_naming_the_owner_gets_one_hit_on_it(store: Store) -> None:
    from screener.screening.service import Screener

    # "Hikvision" also scores 0.94 on the node "Hikvision USA, Inc.": its echo is dropped
    hits = Screener(store).check("Hikvision").hits
    assert [(h.entity_id, h.relation, h.score) for h in hits] == [("hikvision", "same", 1.0)]
    usa = Screener(store).check("Hikvision USA, Inc.").hits
    assert usa[0].entity_id == "hikvision" and usa[0].relation == "owned-by"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Entity List", "EL"),
        ("Entity List (EL)", "EL"),
        ("SDN List", "SDN"),
        ("Specially Designated Nationals (SDN)", "SDN"),
        ("MEU List", "MEU"),
        ("Military End User (MEU) List", "MEU"),
        ("MIEU List", "MIEU"),
        ("NS-CMIC List", "NS-CMIC"),
        ("Non-SDN Chinese Military-Industrial Complex Companies List (CMIC)", "NS-CMIC"),
        ("SDN List (programs in 15 CFR 744.8(a)(1))", "SDN"),
    ],
)
def test_list_codes(name: str, code: str) -> None:
    assert list_code(name) == code


def test_assess_refuses_an_unknown_entity(store: Store) -> None:
    with pytest.raises(InputError, match="no entity 'nope'"):
        assess(store, CURATED, "nope")


def test_a_version_2_store_upgrades_to_3_and_gets_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.db import schema

    path = tmp_path / "v2.db"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        m.setattr(schema, "SCHEMA_VERSION", 2)
        old = Store.open(path)
        tables = {r[0] for r in old.conn.execute("select name from sqlite_master")}
        assert "ownership_edges" not in tables
        old.close()
    assert schema.SCHEMA_VERSION >= 3
    store = open_store(path)  # migrates, then loads the bundled lists and links
    try:
        log = [r["version"] for r in store.query("select version from migrations order by 1")]
        assert log[:3] == [1, 2, 3] and log == [m.version for m in schema.MIGRATIONS]
        indexes = {
            r[0] for r in store.conn.execute("select name from sqlite_master where type = 'index'")
        }
        assert {"idx_ownership_keys_key", "idx_names_name_nocase"} <= indexes
        assert graph.stats(store)["nodes"] > 100
        plan = " ".join(
            r[3]
            for r in store.conn.execute(
                "explain query plan select entity_id from names where name collate nocase in (?)",
                ["EZVIZ"],
            )
        )
        assert "idx_names_name_nocase" in plan
    finally:
        store.close()


def test_has_owners_is_the_cheap_test_before_assess(store: Store) -> None:
    assert has_owners(store, NODES, EZVIZ)
    assert has_owners(store, CURATED, "hikvision")  # -> CETC, 40.46%
    assert not has_owners(store, CURATED, "cetc")
    assert not has_owners(store, CURATED, "nope")


def test_has_owners_against_the_child_keys_held_answers_as_the_store_does(store: Store) -> None:
    # the screening stage reads the graph's child keys once (child_keys) and tests each
    # entity against them: the same answer as the store's lookup, for every entity
    children = child_keys(store)
    assert children is not None and f"e:{NODES}:{EZVIZ}" in children
    refs = [(r["source_id"], r["id"]) for r in store.query("select source_id, id from entities")]
    refs += [(CURATED, "nope"), (NODES, "nope")]
    found = [ref for ref in refs if has_owners(store, *ref, children)]
    assert found == [ref for ref in refs if has_owners(store, *ref)]
    assert (CURATED, "hikvision") in found and (CURATED, "cetc") not in found
