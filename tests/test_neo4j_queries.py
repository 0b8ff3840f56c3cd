"""Every canned query runs against the loaded NYC pack (with statuses) and answers sensibly;
`graphflow query list|show|run`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from graphflow.analysis.statuses import graph_with_statuses
from graphflow.audit import make_query, run_query
from graphflow.store import queries
from graphflow.store.load import load_graph
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.conftest import MINI, SEED_DAY

pytestmark = pytest.mark.neo4j

DATES = (SEED_DAY, dt.date(2026, 12, 1))


@pytest.fixture(scope="module")
def db(request, nyc):
    from graphflow.packs.loader import load_pack

    db = neo4j_server.database(request, "queries")
    load_graph(db.driver, db.name, graph_with_statuses(nyc, DATES))
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


def test_every_canned_query_answers_with_its_defaults(run) -> None:
    """With its default parameters every canned query finds something in the NYC pack."""
    for q in queries.library().values():
        rows = run(q.id)
        assert rows and all(isinstance(r, dict) for r in rows), q.id


def test_every_canned_query_compiles_read_only_on_the_server(db) -> None:
    """EXPLAIN (plans, runs nothing) every canned query with its default parameters, a
    hop-bounded one at the bounds 1, 8 and 32 (its texts differ only in that number; every
    text is checked without a server in test_neo4j_model): the server's parser and planner
    accept it and classify it as read-only."""
    explained = set()
    for q in queries.library().values():
        params = queries.bind(q, {})
        texts = [q.text({**params, q.hop_bound: n}) for n in (1, 8, 32)] if q.hop_bound \
            else [q.cypher]
        for text in texts:
            summary = db.driver.execute_query("EXPLAIN " + text, params, database_=db.name,
                                              routing_="r").summary
            assert summary.query_type == "r", q.id
            assert summary.plan, q.id
            explained.add(text)
    hop_bounded = [q for q in queries.library().values() if q.hop_bound]
    assert len(hop_bounded) >= 3 and len(explained) == len(queries.library()) + 2 * len(
        hop_bounded)


def _core_routes(nyc, nyc_engine, profile: str, day: dt.date, max_hops: int = 8):
    query = make_query(nyc, source="nypd-arrest", target="ice", profile=profile, as_of=day,
                       max_hops=max_hops)
    return run_query(nyc, nyc_engine, query).routes


def _shape(rows) -> list[tuple]:
    return sorted((r["route"], tuple(r["flows"]), tuple(r["nodes"]), r["status"],
                   r["leak_kind"], tuple(r["hop_statuses"])) for r in rows)


def _expected(routes) -> list[tuple]:
    return sorted((r.id, r.flows, r.nodes, r.status.value, r.leak_kind,
                   tuple(h.status.value for h in r.hops)) for r in routes)


def test_routes_between_agrees_with_the_engine(run, nyc, nyc_engine) -> None:
    """For every profile on both stored dates: the same routes (flows, actors, id) as the
    embedded engine, with the route and hop statuses the domain core gives them."""
    for day in DATES:
        for profile in nyc.profiles:
            rows = run("routes-between", f"profile={profile}", f"as_of={day}", "max_hops=8")
            assert {r["as_of"] for r in rows} == {day.isoformat()}
            assert _shape(rows) == _expected(_core_routes(nyc, nyc_engine, profile, day)), (
                profile, day)
    both = run("routes-between", "profile=fare-evasion")  # no as_of: every stored date
    assert sorted({r["as_of"] for r in both}) == [d.isoformat() for d in DATES]


def test_routes_between_takes_its_hop_bound_from_max_hops(run, nyc, nyc_engine) -> None:
    for hops in (1, 3, 5):
        rows = run("routes-between", f"max_hops={hops}", f"as_of={SEED_DAY}")
        assert _shape(rows) == _expected(
            _core_routes(nyc, nyc_engine, "fare-evasion", SEED_DAY, hops)), hops
    three, eight = (run("routes-between", f"max_hops={n}", f"as_of={SEED_DAY}") for n in (3, 8))
    assert three and len(three) < len(eight) and max(r["hops"] for r in eight) > 3
    # longer than the stored routes (--max-hops 8 at load): found, but without a route status
    nine = run("routes-between", "max_hops=9", f"as_of={SEED_DAY}")
    assert {tuple(r["flows"]) for r in nine} == {
        tuple(f) for f in nyc_engine.routes("nypd-arrest", frozenset(_ice(nyc)), 9)}
    assert all((r["status"] is None) == (r["hops"] > 8) for r in nine)


def test_untouched_routes_agree_with_the_engine(run, nyc, nyc_engine) -> None:
    """Routes none of whose hops a sanctuary rule touches, for every profile on both dates:
    as the domain core's hop statuses say (HopStatus.touched_by), not as Cypher decides."""
    sanctuary = {r.id for r in nyc.rules.values()
                 if r.jurisdiction in set(nyc.sanctuary_jurisdictions)}
    assert sanctuary
    fewer = 0
    for day in DATES:
        for profile in nyc.profiles:
            routes = _core_routes(nyc, nyc_engine, profile, day)
            untouched = [r for r in routes
                         if not any(set(h.touched_by) & sanctuary for h in r.hops)]
            rows = run("routes-untouched-by-sanctuary", f"profile={profile}", f"as_of={day}")
            assert _shape(rows) == _expected(untouched), (profile, day)
            assert any("fbi-prints-to-dhs" in r["flows"] for r in rows), (profile, day)
            fewer += len(untouched) < len(routes)
    assert fewer == len(DATES) * len(nyc.profiles)  # sanctuary rules touch some route always


def test_statuses_for_a_date_not_stored(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db)
    code, _, err = run_cli("query", "run", "routes-between", "--param", "as_of=1990-01-01")
    assert code == 1 and "no statuses stored for 1990-01-01" in err
    assert "2017-03-01, 2026-12-01" in err and err.count("\n") == 1


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
    assert {r["as_of"] for r in rows} <= {"2017-03-01", "2026-12-01"}
    one_day = run("status-differences", "profile_a=fare-evasion",
                  "profile_b=violent-felony-warrant", "as_of=2026-12-01")
    assert one_day and {r["as_of"] for r in one_day} == {"2026-12-01"}
    assert not run("status-differences", "profile_a=fare-evasion", "profile_b=fare-evasion")


def test_open_routes_and_hop_statuses_agree_with_the_core(run, nyc, nyc_engine) -> None:
    from graphflow.core.status import Status

    for day in DATES:
        for profile in nyc.profiles:
            when = day.isoformat()
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


def test_run_formats(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db)
    code, out, err = run_cli("query", "run", "flow-sources", "--format", "csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert table and set(table[0]) >= {"source", "locator", "quote"}
    code, out, err = run_cli("query", "run", "rule-flows")
    assert code == 0 and "FLOW" in out and "row" in out, err
    code, _, err = run_cli("query", "run", "routes-between", "--param", "max_hops=lots")
    assert code == 1 and "is not an integer" in err
