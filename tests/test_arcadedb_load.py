"""The load statements on ArcadeDB's Bolt plugin, in the normal (Neo4j) run too: the
one-transaction load, the batched load behind the (:Pack) marker and the fused flow statement
(``load.flow_statement``) write the graph of the pack files, node for node and relationship for
relationship; an interrupted batched load is refused by the route engine, and a rerun fixes it.

The module starts its own ArcadeDB server (tests/arcadedb_server.py), or uses the session's
when the suite targets ArcadeDB (GRAPHFLOW_TEST_BOLT=arcadedb). The expected graph is the rows
of ``rows.build_graph`` (what the pack files say, before any statement is made of them) and a
sample of values read from the pack itself; the database is read back with plain Cypher."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from graphflow.analysis.statuses import graph_with_statuses
from graphflow.errors import GraphflowError
from graphflow.store.engine import Neo4jEngine
from graphflow.store.load import fuse_flows, load_graph, loaded_packs, replace_in_batches
from graphflow.store.rows import GraphData
from tests import neo4j_server
from tests.arcadedb_server import ArcadeDBServer, arcadedb_available

pytestmark = pytest.mark.neo4j

AS_OF = dt.date(2017, 3, 1)


@pytest.fixture(scope="module")
def db(request) -> Iterator[neo4j_server.Database]:
    import os

    if os.environ.get(neo4j_server.ENV_BOLT, "").strip().lower() == "arcadedb":
        yield neo4j_server.database(request, "arcadedb_load")  # the session's server
        return
    ok, why = arcadedb_available()
    neo4j_server.require(ok, why)
    with ArcadeDBServer(database="graphflow", heap="1g") as server:
        tgt = neo4j_server.Target("arcadedb", server.bolt_uri, server.user, server.password,
                                  server.database, server)
        with tgt.driver() as driver:
            tgt.agent = driver.get_server_info().agent
            assert "ArcadeDB" in tgt.agent, tgt.agent
            database = neo4j_server.Database(tgt, tgt.make_database("gf_arcadedb_load"), driver)
            database.wipe()
            yield database


@pytest.fixture()
def env(db, monkeypatch):
    neo4j_server.use_env(monkeypatch, db)
    return db


@pytest.fixture(scope="module")
def graph(nyc) -> GraphData:
    """The NYC pack with its statuses and routes as of 2017-03-01: every label and type."""
    return graph_with_statuses(nyc, [AS_OF])


def _freeze(props: dict[str, Any]) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in props.items()
                        if k != "loaded_at"))  # the Pack node's: the time of the load


def _expected(data: GraphData) -> tuple[Counter, Counter]:
    """The nodes (labels, properties) and relationships (type, start node, end node,
    properties) that the rows stand for."""
    nodes: Counter = Counter()
    by_key: dict[tuple, tuple] = {}
    for batch in data.nodes:
        for row in batch.rows:
            node = (tuple(sorted(batch.labels)), _freeze({**row["k"], **row["p"]}))
            nodes[node] += 1
            by_key[(batch.spec.label, _freeze(row["k"]))] = node
    rels: Counter = Counter()
    for batch in data.rels:
        for row in batch.rows:
            rels[(batch.spec.type, by_key[(batch.spec.start, _freeze(row["s"]))],
                  by_key[(batch.spec.end, _freeze(row["t"]))],
                  _freeze({**row["k"], **row["p"]}))] += 1
    return nodes, rels


def _in_database(db, pack: str) -> tuple[Counter, Counter]:
    def node(labels: list[str], props: dict[str, Any]) -> tuple:
        return (tuple(sorted(labels)), _freeze(props))

    nodes = Counter(node(r["labels"], r["props"]) for r in db.rows(
        "MATCH (n) WHERE n.pack = $pack RETURN labels(n) AS labels, properties(n) AS props",
        pack=pack))
    rels = Counter((r["type"], node(r["la"], r["pa"]), node(r["lb"], r["pb"]),
                    _freeze(r["props"])) for r in db.rows(
        "MATCH (a)-[r]->(b) WHERE r.pack = $pack RETURN type(r) AS type, "
        "properties(r) AS props, labels(a) AS la, properties(a) AS pa, labels(b) AS lb, "
        "properties(b) AS pb", pack=pack))
    return nodes, rels


def _assert_the_pack(db, nyc, graph: GraphData) -> None:
    want_nodes, want_rels = _expected(graph)
    got_nodes, got_rels = _in_database(db, "nyc")
    # counts per label set and per type first (a readable failure), then everything
    assert Counter(n[0] for n in got_nodes.elements()) == Counter(
        n[0] for n in want_nodes.elements())
    assert Counter(r[0] for r in got_rels.elements()) == Counter(
        r[0] for r in want_rels.elements())
    assert got_nodes == want_nodes and got_rels == want_rels
    # a sample read from the pack itself, not from the rows
    assert db.value("MATCH (a:Actor {pack: 'nyc'}) RETURN count(a)") == len(nyc.actors)
    for rel in ("SENDS", "DELIVERS_TO", "FLOWS_TO"):
        assert db.value(f"MATCH ()-[r:{rel} {{pack: 'nyc'}}]->() RETURN count(r)") == len(
            nyc.flows), rel
    assert db.value("MATCH (:Flow {pack: 'nyc'})-[r:CARRIES]->(:DataItem) RETURN count(r)") \
        == sum(len(f.data) for f in nyc.flows.values())
    flow = nyc.flows["fbi-prints-to-dhs"]
    (row,) = db.rows("MATCH (a:Actor {pack: 'nyc'})-[:SENDS]->(f:Flow {id: $id})"
                     "-[:DELIVERS_TO]->(b:Actor) MATCH (a)-[r:FLOWS_TO {id: $id}]->(b) "
                     "OPTIONAL MATCH (f)-[:CARRIES]->(d:DataItem) "
                     "RETURN a.id AS a, b.id AS b, r.mechanism AS m, r.confidence AS c, "
                     "f.name AS name, collect(d.id) AS data", id=flow.id)
    assert sorted(row.pop("data")) == sorted(flow.data)
    assert row == {"a": flow.source, "b": flow.target, "m": flow.mechanism,
                   "c": flow.confidence.value, "name": flow.name}


def test_the_flows_go_through_the_fused_statement(graph, nyc) -> None:
    _, fused, _ = fuse_flows(graph)
    assert sorted(f[2] for f in fused) == sorted(nyc.flows)  # so the loads below use it


def test_one_transaction_load_writes_the_pack(env, nyc, graph) -> None:
    result = load_graph(env.driver, env.name, graph, transaction="one")
    assert result.transaction == "one"
    _assert_the_pack(env, nyc, graph)
    (pack,) = [p for p in loaded_packs(env.driver, env.name) if p["id"] == "nyc"]
    assert pack["state"] == "loaded"
    Neo4jEngine(env.driver, env.settings, nyc)  # complete: the engine takes it


def test_batched_load_writes_the_same_pack(env, nyc, graph) -> None:
    load_graph(env.driver, env.name, graph, transaction="one")
    totals = env.totals()
    result = load_graph(env.driver, env.name, graph, transaction="batches", batch_size=37)
    assert result.transaction == "batches" and result.batches > graph.node_count() // 37
    assert env.totals() == totals  # the old pack was deleted first
    _assert_the_pack(env, nyc, graph)
    node = env.value("MATCH (p:Pack {pack: 'nyc', id: 'nyc'}) RETURN properties(p)")
    assert node["state"] == "loaded" and "load_started_at" not in node
    assert "load_batches" not in node


class Interrupted(Exception):
    pass


def test_an_interrupted_batched_load_is_refused_by_the_route_engine(env, run_cli, nyc,
                                                                    graph) -> None:
    load_graph(env.driver, env.name, graph, transaction="one")
    totals = env.totals()

    def half_way(done: int, total: int, what: str) -> None:
        if done > total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        replace_in_batches(env.driver, env.name, graph, batch_size=40, progress=half_way)
    node = env.value("MATCH (p:Pack {pack: 'nyc', id: 'nyc'}) RETURN properties(p)")
    assert node["state"] == "loading" and node["load_started_at"]
    assert env.totals()[1] < totals[1]  # half written: the engine must not take it
    says = ("pack 'nyc' is being loaded, or its load was interrupted (a batched load started "
            f"at {node['load_started_at']} has not finished)")
    with pytest.raises(GraphflowError) as caught:
        Neo4jEngine(env.driver, env.settings, nyc)
    assert says in str(caught.value)
    code, out, err = run_cli("routes", "--backend", "neo4j", "--profile", "fare-evasion",
                             "--as-of", AS_OF.isoformat())
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert says in err and "graphflow neo4j load --data" in err and "Traceback" not in err
    # run again: the leftovers go and the pack is whole
    replace_in_batches(env.driver, env.name, graph, batch_size=40)
    _assert_the_pack(env, nyc, graph)
    Neo4jEngine(env.driver, env.settings, nyc)
