"""Every canned query runs against the loaded NYC pack (with statuses) and answers sensibly;
`graphflow query list|show|run`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from graphflow.store import queries
from graphflow.store.load import load_graph
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.conftest import MINI, SEED_DAY, TODAY

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def db(request, nyc):
    from graphflow.packs.loader import load_pack

    db = neo4j_server.database(request, "queries")
    load_graph(db.driver, db.name, build_graph(nyc, status_dates=[SEED_DAY, TODAY]))
    load_graph(db.driver, db.name, build_graph(load_pack(str(MINI))))  # no statuses
    return db


@pytest.fixture()
def run(db, run_cli, monkeypatch):
    neo4j_server.use_env(monkeypatch, db)

    def go(name: str, *params: str) -> list[dict]:
        args = [a for p in params for a in ("--param", p)]
        code, out, err = run_cli("query", "run", name, *args, "--format", "json")
        assert code == 0, err
        return json.loads(out)

    return go


def _ice(nyc) -> set[str]:
    return nyc.descendants("ice")


def test_every_canned_query_runs(run) -> None:
    for q in queries.library().values():
        assert isinstance(run(q.id), list), q.id


def test_every_canned_query_compiles_read_only_on_the_server(db) -> None:
    """EXPLAIN (plans, runs nothing) every canned query with its default parameters: the
    server's parser and planner accept it and classify it as read-only."""
    for q in queries.library().values():
        params = queries.bind(q, {})
        summary = db.driver.execute_query("EXPLAIN " + q.cypher, params, database_=db.name,
                                          routing_="r").summary
        assert summary.query_type == "r", q.id
        assert summary.plan, q.id


def test_routes_between_matches_the_engine(run, nyc, nyc_engine) -> None:
    rows = run("routes-between", "max_hops=8")
    expected = sorted(nyc_engine.routes("nypd-arrest", frozenset(_ice(nyc)), 8))
    assert sorted(r["flows"] for r in rows) == expected
    assert all(r["nodes"][-1] in _ice(nyc) for r in rows)
    short = run("routes-between", "max_hops=3")
    assert short and len(short) < len(rows) and all(r["hops"] <= 3 for r in short)


def test_untouched_routes_include_the_fingerprint_route(run, nyc) -> None:
    rows = run("routes-untouched-by-sanctuary")
    assert any("fbi-prints-to-dhs" in r["flows"] for r in rows)
    everything = run("routes-between")
    assert 0 < len(rows) < len(everything)
    sanctuary = set(nyc.sanctuary_jurisdictions)
    restricted = {e.flow for r in nyc.rules.values() if r.jurisdiction in sanctuary
                  for e in r.effects if e.effect != "does-not-touch"}
    assert not any(set(r["flows"]) & restricted for r in rows)
    # at a date before any sanctuary rule, nothing is touched yet
    early = run("routes-untouched-by-sanctuary", "as_of=1990-01-01")
    assert len(early) == len(everything)


def test_rule_flows(run, nyc) -> None:
    rule = nyc.rules["nyc-ll59-2014"]
    rows = run("rule-flows", "rule=nyc-ll59-2014")
    assert [(r["flow"], r["effect"]) for r in rows] == [(e.flow, e.effect) for e in rule.effects]
    assert all(r["sender"] == nyc.flows[r["flow"]].source for r in rows)


def test_flow_sources(run, nyc) -> None:
    rows = run("flow-sources", "flow=fbi-prints-to-dhs")
    cites = nyc.flows["fbi-prints-to-dhs"].citations
    assert [(r["source"], r["locator"], r["quote"]) for r in rows] == [
        (c.source, c.locator, c.quote) for c in cites]
    assert all(r["title"] for r in rows)


def test_fingerprints_reach_ice_downstream_of_an_arrest(run, nyc) -> None:
    rows = run("data-reach", "item=fingerprints", "source=nypd-arrest")
    reached = {r["actor"] for r in rows}
    assert reached & _ice(nyc), reached
    assert "nys-dcjs" in reached
    hops = [r["hops"] for r in rows]
    assert hops == sorted(hops)
    assert not run("data-reach", "item=no-such-item")


def test_status_differences_between_two_profiles(run) -> None:
    rows = run("status-differences", "profile_a=fare-evasion", "profile_b=violent-felony-warrant")
    assert rows and all(r["status_a"] != r["status_b"] for r in rows)
    assert {r["as_of"] for r in rows} <= {"2017-03-01", "2026-11-25"}
    one_day = run("status-differences", "profile_a=fare-evasion",
                  "profile_b=violent-felony-warrant", "as_of=2026-11-25")
    assert {r["as_of"] for r in one_day} <= {"2026-11-25"}
    assert not run("status-differences", "profile_a=fare-evasion", "profile_b=fare-evasion")


def test_open_routes_and_hop_statuses_agree_with_the_core(run, nyc, nyc_engine) -> None:
    from graphflow.audit import make_query, run_query
    from graphflow.core.status import Status

    for day, when in ((SEED_DAY, "2017-03-01"), (TODAY, "2026-11-25")):
        for profile in nyc.profiles:
            rows = run("open-routes", f"profile={profile}", f"as_of={when}")
            query = make_query(nyc, source="nypd-arrest", target="ice", profile=profile,
                               as_of=day, statuses=(Status.OPEN,))
            expected = sorted(r.id for r in run_query(nyc, nyc_engine, query).routes)
            assert sorted(r["route"] for r in rows) == expected, (profile, when)
    assert run("open-routes", "profile=fare-evasion", "as_of=2017-03-01")
    hops = run("hop-statuses", "flow=nypd-detainer-custody-transfer")
    assert len(hops) == 2 * len(nyc.profiles)
    fare = next(h for h in hops if h["profile"] == "fare-evasion" and h["as_of"] == "2017-03-01")
    assert fare["status"] == "blocked" and fare["reasons"]


def test_actor_flows(run, nyc) -> None:
    rows = run("actor-flows", "actor=nys-dcjs")
    expected = {(f.id, "out" if f.source == "nys-dcjs" else "in") for f in nyc.flows.values()
                if "nys-dcjs" in (f.source, f.target)}
    assert {(r["flow"], r["direction"]) for r in rows} == expected


def test_statuses_required(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db)
    code, _, err = run_cli("query", "run", "status-differences", "--param", "pack=mini")
    assert code == 1 and "needs stored statuses" in err and "--with-statuses" in err
    code, _, err = run_cli("query", "run", "rule-flows", "--param", "pack=nope")
    assert code == 1 and "pack 'nope' is not loaded" in err


def test_list_show_and_formats(db, run_cli, monkeypatch) -> None:
    code, out, _ = run_cli("query", "list")
    assert code == 0
    for q in queries.library().values():
        assert q.id in out
    code, out, _ = run_cli("query", "show", "data-reach")
    assert code == 0 and queries.get("data-reach").cypher in out
    assert "item (string, default fingerprints)" in out
    code, _, err = run_cli("query", "show", "data-rech")
    assert code == 1 and "did you mean 'data-reach'" in err
    neo4j_server.use_env(monkeypatch, db)
    code, out, err = run_cli("query", "run", "flow-sources", "--format", "csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert table and set(table[0]) >= {"source", "locator", "quote"}
    code, out, err = run_cli("query", "run", "rule-flows")
    assert code == 0 and "FLOW" in out and "row" in out, err
    code, _, err = run_cli("query", "run", "routes-between", "--param", "max_hops=lots")
    assert code == 1 and "is not an integer" in err
