"""How the Neo4j engine fetches a search's sub-graph, against the real server: one read query
per search (counted at the real driver), the same flows as the ring-by-ring method and as a
breadth-first search over the pack files, a plan that does not enumerate paths, and routes
that a bigger sub-graph (a superset) never changes."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from graphflow.audit import make_query, run_query
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.errors import GraphflowError
from graphflow.packs.loader import load_pack
from graphflow.store.engine import MAX_HOPS_LIMIT, Neo4jEngine, SubGraph, _Flow, reach_query
from graphflow.store.load import load_graph
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.conftest import MINI, SEED_DAY
from tests.counting import CountingDriver

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def db(request, nyc):
    return neo4j_server.loaded(request, "fetch", nyc)


@pytest.fixture(scope="module")
def generated(db, tmp_path_factory):
    return neo4j_server.load_generated(db, tmp_path_factory.mktemp("gen5"))


def expected_flows(pack, source: str, targets: frozenset[str], max_hops: int) -> list[str]:
    """From the pack files: the flows out of the actors the source reaches within
    ``max_hops - 1`` flows without passing a target, in pack order."""
    if source in targets:
        return []
    out: dict[str, list[str]] = {}
    for f in pack.flows.values():
        out.setdefault(f.source, []).append(f.target)
    depth = {source: 0}
    queue = deque([source])
    while queue:
        a = queue.popleft()
        if depth[a] == max_hops - 1:
            continue
        for b in out.get(a, ()):
            if b not in depth and b not in targets:
                depth[b] = depth[a] + 1
                queue.append(b)
    return [fid for fid, f in pack.flows.items() if f.source in depth]


def test_a_search_is_one_query(db, nyc, nyc_engine) -> None:
    counting = CountingDriver(db.driver)
    store = Neo4jEngine(counting, db.settings, nyc)
    assert len(counting.queries) == 1 and "topology_hash" in counting.queries[0]  # check_loaded
    assert store.method == ("rings" if db.target.is_arcadedb else "reach")
    for hops in (8, MAX_HOPS_LIMIT):
        query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                           as_of=SEED_DAY, max_hops=hops)
        before = len(counting.queries)
        report = run_query(nyc, store, query)
        asked = counting.queries[before:]
        assert [r.id for r in report.routes] == \
            [r.id for r in run_query(nyc, nyc_engine, query).routes]
        assert len(report.routes) > 0
        if store.method == "reach":
            assert asked == [reach_query(hops)], hops
        else:  # ArcadeDB: a query per ring, never more than the hop bound
            assert 1 <= len(asked) <= hops
        run_query(nyc, store, query)  # the same search again: the kept sub-graph
        assert len(counting.queries) == before + len(asked)
        store.clear_cache()
        run_query(nyc, store, query)  # forgotten: asked again, as often
        assert len(counting.queries) == before + 2 * len(asked)
    assert counting.other == []  # nothing but queries (no server info)
    assert counting.modes == ["READ"]  # one session, kept, in read access mode


def test_one_query_however_many_rings(db, generated) -> None:
    pack = generated
    targets = frozenset(pack.descendants(pack.default_target))
    counting = CountingDriver(db.driver)
    store = Neo4jEngine(counting, db.settings, pack)
    before = len(counting.queries)
    rings = store.fetch(pack.default_trigger, targets, 10, method="rings")
    ring_queries = len(counting.queries) - before
    assert ring_queries >= 5  # the ring method asks once per breadth-first ring
    before = len(counting.queries)
    reach = store.fetch(pack.default_trigger, targets, 10, method="reach")
    assert len(counting.queries) - before == 1
    assert list(reach.flows.items()) == list(rings.flows.items())


@pytest.mark.parametrize("method", ["reach", "rings"])
def test_fetch_gives_the_reachable_flows_in_pack_order(db, nyc, generated, method) -> None:
    checked = 0
    for pack, hop_bounds in ((nyc, (1, 2, 3, 5, 8, 12)), (generated, (1, 2, 4, 6, 8, 10))):
        store = Neo4jEngine(db.driver, db.settings, pack)
        triggers = sorted(a.id for a in pack.actors.values() if a.kind == "event")
        for target in (pack.default_target, next(iter(sorted(pack.actors)))):
            targets = frozenset(pack.descendants(target))
            for source in triggers[:6]:
                for hops in hop_bounds:
                    sub = store.fetch(source, targets, hops, method=method)
                    want = expected_flows(pack, source, targets, hops)
                    assert list(sub.flows) == want, (pack.id, source, target, hops)
                    assert all(sub.flows[f] == (pack.flows[f].source, pack.flows[f].target)
                               for f in want)
                    checked += len(want)
    assert checked > 1000


def test_fetch_refuses_a_bad_bound_or_method(db, nyc) -> None:
    store = Neo4jEngine(db.driver, db.settings, nyc)
    for bad in (0, -1, MAX_HOPS_LIMIT + 1, 2.5, "3", True):
        with pytest.raises(GraphflowError, match="--max-hops must be"):
            store.fetch("nypd-arrest", frozenset({"ice"}), bad)  # type: ignore[arg-type]
        with pytest.raises(GraphflowError, match="--max-hops must be"):
            reach_query(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method must be one of"):
        store.fetch("nypd-arrest", frozenset({"ice"}), 3, method="paths")


def test_reach_query_is_a_pruning_expand(db) -> None:
    """Neo4j plans the one query as a breadth-first pruning expand: each actor reached once,
    no path enumerated (the plan's operators, from EXPLAIN on the server)."""
    if db.target.is_arcadedb:
        pytest.skip("ArcadeDB fetches ring by ring (its plan enumerates trails)")
    _, summary, _ = db.driver.execute_query(
        "EXPLAIN " + reach_query(8), {"pack": "nyc", "source": "nypd-arrest",
                                      "targets": ["ice"]}, database_=db.name, routing_="r")

    def operators(plan: dict[str, Any]) -> list[str]:
        return [plan["operatorType"], *(o for c in plan.get("children", ())
                                        for o in operators(c))]

    ops = operators(summary.plan)
    expands = [o for o in ops if o.startswith("VarLengthExpand")]
    assert expands and all("Pruning" in o for o in expands), ops


def test_a_superset_never_changes_routes(db, generated) -> None:
    pack = generated
    embedded = EmbeddedEngine(pack)
    store = Neo4jEngine(db.driver, db.settings, pack)
    targets = frozenset(pack.descendants(pack.default_target))
    source = pack.default_trigger
    everything = SubGraph(pack.id, {fid: _Flow(f.source, f.target)
                                    for fid, f in pack.flows.items()})
    bigger = 0
    for hops in range(1, 11):
        exact = store.fetch(source, targets, hops)
        # supersets from the server: more hops, and no stop at the targets
        supersets = [store.fetch(source, targets, min(hops + 3, MAX_HOPS_LIMIT)),
                     store.fetch(source, frozenset(), hops), everything]
        want = list(embedded.routes(source, targets, hops))
        for sup in supersets:
            assert set(exact.flows) <= set(sup.flows)
            bigger += len(sup.flows) > len(exact.flows)
            got = list(EmbeddedEngine(sup).routes(source, targets, hops))  # type: ignore[arg-type]
            assert got == want, (hops, len(sup.flows))
    assert bigger >= 20  # most supersets hold flows no route can use


def test_a_flow_the_files_do_not_have_is_an_error(db, mini_copy) -> None:
    """The fetched flows' ends are taken from the pack files, so a database whose flows differ
    (here an engine told not to check) stops with a one-line error, not other routes."""
    load_graph(db.driver, db.name, build_graph(load_pack(str(MINI))))
    for name in ("flows.yaml", "rules.yaml"):  # the same flow under another id
        path = mini_copy / name
        path.write_text(path.read_text().replace("prints-to-state", "prints-to-the-state"))
    renamed = load_pack(str(mini_copy))
    assert "prints-to-the-state" in renamed.flows and "prints-to-state" not in renamed.flows
    with pytest.raises(GraphflowError, match="other actors or flows than the pack files"):
        Neo4jEngine(db.driver, db.settings, renamed)
    store = Neo4jEngine(db.driver, db.settings, renamed, check=False)
    targets = frozenset(renamed.descendants(renamed.default_target))
    with pytest.raises(GraphflowError, match="flow 'prints-to-state' of pack 'mini' in the "
                                             "database is not in the pack files"):
        store.fetch(renamed.default_trigger, targets, 4, method="reach")
