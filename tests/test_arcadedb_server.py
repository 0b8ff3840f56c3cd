"""A real Bolt server (ArcadeDB, from the PyPI package arcadedb-embedded) for the Neo4j store.

These tests start one ArcadeDB server for the module (see tests/arcadedb_server.py),
talk to it with the official ``neo4j`` driver over Bolt, and pin the behaviour the Neo4j
store relies on, including the places where ArcadeDB differs from Neo4j 5
(docs/arcadedb-notes.md). If one of the "differs" tests starts failing after an
ArcadeDB upgrade, update the notes and the store, not only the test.

Without arcadedb-embedded the tests are skipped (loudly); with the environment variable
``CI`` set they fail instead, so CI cannot silently lose them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.arcadedb_server import (
    ArcadeDBServer,
    ArcadeDBServerError,
    _free_port,
    arcadedb_available,
)

pytestmark = pytest.mark.neo4j

AVAILABLE, WHY = arcadedb_available()
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_arcadedb() -> None:
    if AVAILABLE:
        return
    message = (
        f"ArcadeDB Bolt server NOT AVAILABLE, Neo4j-store integration tests cannot run: {WHY}. "
        "Install it with: pip install 'graphflow[test]'  (or: pip install arcadedb-embedded neo4j)"
    )
    if IN_CI:
        pytest.fail(message + "  [CI is set, so this is a failure, not a skip]", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server() -> Iterator[ArcadeDBServer]:
    _require_arcadedb()
    with ArcadeDBServer(database="graphflow") as srv:
        yield srv


@pytest.fixture(scope="module")
def driver(server: ArcadeDBServer) -> Iterator[Any]:
    with server.driver() as drv:
        yield drv


@pytest.fixture()
def db(server: ArcadeDBServer, driver: Any) -> str:
    """The database name, emptied before the test."""
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=server.database)
    return server.database


def _rows(driver: Any, query: str, db: str, **params: Any) -> list[dict[str, Any]]:
    return [record.data() for record in driver.execute_query(query, params, database_=db).records]


# -- the server itself ------------------------------------------------------------------------


def test_available_reports_a_reason() -> None:
    ok, why = arcadedb_available()
    assert isinstance(ok, bool)
    assert why


def test_server_speaks_bolt(server: ArcadeDBServer, driver: Any) -> None:
    assert server.bolt_uri.startswith("bolt://127.0.0.1:")
    assert server.running and server.pid
    assert server.startup_seconds is not None
    driver.verify_connectivity()
    info = driver.get_server_info()
    assert "ArcadeDB" in info.agent
    records, summary, keys = driver.execute_query(
        "RETURN $p AS p, 1 + 1 AS two", p="hi", database_=server.database
    )
    assert keys == ["p", "two"]
    assert records[0].data() == {"p": "hi", "two": 2}
    assert summary.query_type == "r"


def test_http_api(server: ArcadeDBServer) -> None:
    assert server.command("SELECT 1 AS one") == [{"one": 1}]
    result = server.command("RETURN $x AS x", language="cypher", x=5)
    assert result == [{"x": 5}]
    with pytest.raises(ArcadeDBServerError, match="HTTP 400"):
        server.command("SELEKT nothing")


def test_start_failure_shows_the_log() -> None:
    _require_arcadedb()
    srv = ArcadeDBServer(heap="not-a-size")
    with pytest.raises(ArcadeDBServerError, match="(?s)exited with code.*Invalid maximum heap"):
        srv.start(timeout=60)
    assert not srv.running


def test_stop_ends_the_jvm_and_removes_files() -> None:
    _require_arcadedb()
    srv = ArcadeDBServer(database="scratch").start()
    root: Path = srv.root_path
    process = srv._process
    assert root.is_dir() and (root / "server.log").is_file()
    srv.stop()
    srv.stop()  # idempotent
    assert process is not None and process.poll() is not None
    assert not root.exists()
    with pytest.raises(ArcadeDBServerError, match="not been started"):
        _ = srv.bolt_uri


# -- writes the store needs -------------------------------------------------------------------


def test_unwind_merge_set_properties(driver: Any, db: str) -> None:
    rows = [
        {"id": "a1", "props": {"name": "Alpha", "tags": ["x", "y"], "since": "2019-01"}},
        {"id": "a2", "props": {"name": "Beta", "tags": [], "until": None}},
    ]
    load = "UNWIND $rows AS row MERGE (n:Actor {id: row.id}) SET n += row.props"
    summary = driver.execute_query(load, rows=rows, database_=db).summary
    assert summary.counters.nodes_created == 2
    summary = driver.execute_query(load, rows=rows, database_=db).summary  # idempotent
    assert summary.counters.nodes_created == 0
    driver.execute_query(
        "UNWIND $rows AS row MATCH (n:Actor {id: row.id}) SET n.x = row.x, n.name = row.name",
        rows=[{"id": "a1", "x": 5, "name": None}],
        database_=db,
    )
    got = _rows(driver, "MATCH (n:Actor) RETURN n.id AS id, properties(n) AS p ORDER BY id", db)
    assert got == [
        {"id": "a1", "p": {"id": "a1", "tags": ["x", "y"], "since": "2019-01", "x": 5}},
        {"id": "a2", "p": {"id": "a2", "name": "Beta", "tags": []}},  # null = absent
    ]


def test_multiple_labels(driver: Any, db: str) -> None:
    driver.execute_query("CREATE (:Actor:Agency {id: 'nypd'})", database_=db)
    driver.execute_query(
        "UNWIND $ids AS id MERGE (n:Actor {id: id}) SET n:Court", ids=["court"], database_=db
    )
    got = _rows(driver, "MATCH (n:Actor) RETURN n.id AS id, labels(n) AS labels ORDER BY id", db)
    assert [(r["id"], sorted(r["labels"])) for r in got] == [
        ("court", ["Actor", "Court"]),
        ("nypd", ["Actor", "Agency"]),
    ]
    assert _rows(driver, "MATCH (n:Agency) RETURN n.id AS id", db) == [{"id": "nypd"}]
    # MERGE on one label finds a node that has more labels
    summary = driver.execute_query("MERGE (n:Actor {id: 'nypd'})", database_=db).summary
    assert summary.counters.nodes_created == 0


def test_relationship_merge_with_list_properties(driver: Any, db: str) -> None:
    driver.execute_query("UNWIND ['a', 'b'] AS id CREATE (:Actor {id: id})", database_=db)
    merge = (
        "MATCH (a {id: $x}), (b {id: $y}) "
        "MERGE (a)-[r:FLOWS_TO {id: $fid}]->(b) SET r += $props RETURN r.id AS id"
    )
    props = {"data_items": ["fingerprints", "court-date"], "start": "2019-05-01", "end": None}
    for _ in range(2):
        records = driver.execute_query(
            merge, x="a", y="b", fid="f1", props=props, database_=db
        ).records
        assert [r["id"] for r in records] == ["f1"]
    got = _rows(driver, "MATCH (:Actor)-[r:FLOWS_TO]->(:Actor) RETURN properties(r) AS p", db)
    assert got == [
        {"p": {"id": "f1", "data_items": ["fingerprints", "court-date"], "start": "2019-05-01"}}
    ]


def test_unique_constraint_if_not_exists(driver: Any, db: str) -> None:
    import neo4j.exceptions

    ddl = "CREATE CONSTRAINT uq_rule_id IF NOT EXISTS FOR (n:UqRule) REQUIRE n.id IS UNIQUE"
    try:
        driver.execute_query(ddl, database_=db)
        driver.execute_query(ddl, database_=db)  # IF NOT EXISTS: no error the second time
        names = [r["name"] for r in driver.execute_query("SHOW CONSTRAINTS", database_=db).records]
        assert "uq_rule_id" in names
        driver.execute_query("CREATE (:UqRule {id: 'r1'})", database_=db)
        with pytest.raises(neo4j.exceptions.ConstraintError, match="Duplicated key"):
            driver.execute_query("CREATE (:UqRule:Memo {id: 'r1'})", database_=db)
    finally:
        driver.execute_query("DROP CONSTRAINT uq_rule_id IF EXISTS", database_=db)


def test_differs_label_added_in_the_creating_transaction_breaks_unique_index(
    driver: Any, db: str
) -> None:
    """ArcadeDB stores a label set as a vertex type ("Actor~Agency"), so SET n:Label
    rewrites the vertex. Under a unique constraint that fails for a node created in the
    same transaction (Neo4j accepts it). Put every label in the CREATE/MERGE pattern."""
    import neo4j.exceptions

    ddl = "CREATE CONSTRAINT uq_lbl_id IF NOT EXISTS FOR (n:LblActor) REQUIRE n.id IS UNIQUE"
    try:
        driver.execute_query(ddl, database_=db)
        with pytest.raises(neo4j.exceptions.ConstraintError):
            driver.execute_query("MERGE (n:LblActor {id: 'q'}) SET n:Agency", database_=db)
        # what works on both servers: all labels in the pattern, one query per label set
        driver.execute_query(
            "UNWIND $rows AS row MERGE (n:LblActor:Agency {id: row.id}) SET n += row.props",
            rows=[{"id": "q", "props": {"name": "Q"}}],
            database_=db,
        )
        # and adding a label in a later transaction works too
        driver.execute_query("MATCH (n:LblActor {id: 'q'}) SET n:Court", database_=db)
        got = _rows(driver, "MATCH (n:LblActor) RETURN n.id AS id, labels(n) AS l", db)
        assert [(r["id"], sorted(r["l"])) for r in got] == [("q", ["Agency", "Court", "LblActor"])]
    finally:
        driver.execute_query("DROP CONSTRAINT uq_lbl_id IF EXISTS", database_=db)


# -- reads the store needs --------------------------------------------------------------------

EDGES = [
    ("f1", "a", "b"),
    ("f2", "b", "c"),
    ("f3", "c", "a"),  # cycle back to the start
    ("f4", "a", "d"),
    ("f5", "c", "d"),
    ("f6", "b", "b"),  # self-loop
]


@pytest.fixture()
def cyclic(driver: Any, db: str) -> str:
    driver.execute_query(
        "UNWIND ['a', 'b', 'c', 'd'] AS id CREATE (:Actor {id: id, w: 1})", database_=db
    )
    driver.execute_query(
        "UNWIND $edges AS e MATCH (x:Actor {id: e[1]}), (y:Actor {id: e[2]}) "
        "CREATE (x)-[:FLOWS_TO {id: e[0], w: 1}]->(y)",
        edges=[list(e) for e in EDGES],
        database_=db,
    )
    return db


def test_variable_length_paths_are_relationship_unique_not_simple(driver: Any, cyclic: str) -> None:
    """Like Neo4j: no relationship repeats in a path, but nodes may (a->b->c->a->d)."""
    query = (
        "MATCH p = (s {id: $s})-[:FLOWS_TO*1..5]->(t) WHERE t.id IN $targets "
        "RETURN [r IN relationships(p) | r.id] AS flows"
    )
    got = _rows(driver, query, cyclic, s="a", targets=["d"])
    assert sorted(tuple(r["flows"]) for r in got) == [
        ("f1", "f2", "f3", "f4"),
        ("f1", "f2", "f5"),
        ("f1", "f6", "f2", "f3", "f4"),
        ("f1", "f6", "f2", "f5"),
        ("f4",),
    ]


def test_simple_path_filter(driver: Any, cyclic: str) -> None:
    query = (
        "MATCH p = (s:Actor {id: $s})-[:FLOWS_TO*1..5]->(t:Actor) "
        "WHERE t.id IN $targets AND all(n IN nodes(p) WHERE single(m IN nodes(p) WHERE m = n)) "
        "RETURN [r IN relationships(p) | r.id] AS flows, size(relationships(p)) AS hops, "
        "reduce(acc = 0, r IN relationships(p) | acc + r.w) AS weight "
        "ORDER BY hops, flows"
    )
    got = _rows(driver, query, cyclic, s="a", targets=["d"])
    assert got == [
        {"flows": ["f4"], "hops": 1, "weight": 1},
        {"flows": ["f1", "f2", "f5"], "hops": 3, "weight": 3},
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "MATCH (n:Actor) WHERE none(x IN [n.id] WHERE x STARTS WITH 'c') "
            "RETURN collect(DISTINCT n.id) AS v",
            {"v": ["a", "b", "d"]},
        ),
        (
            "MATCH (n:Actor {id: 'a'}) OPTIONAL MATCH (n)<-[:FLOWS_TO]-(m {id: 'zzz'}) "
            "RETURN coalesce(m.id, 'none') AS v",
            {"v": "none"},
        ),
        (
            "MATCH (n:Actor) CALL (n) { MATCH (n)-[r:FLOWS_TO]->() RETURN count(r) AS deg } "
            "WITH n.id AS id, deg ORDER BY id RETURN collect(toString(deg)) AS v",
            {"v": ["2", "2", "2", "0"]},
        ),
        (
            "MATCH (n:Actor) CALL { WITH n MATCH (n)-[r:FLOWS_TO]->() RETURN count(r) AS deg } "
            "WITH n, deg ORDER BY n.id DESC LIMIT 1 RETURN deg AS v",
            {"v": 0},
        ),
        ("MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS v", {"v": 6}),
        (
            "MATCH (n:Actor) WHERE EXISTS { (n)-[:FLOWS_TO]->(:Actor {id: 'd'}) } "
            "WITH n ORDER BY n.id RETURN collect(n.id) AS v",
            {"v": ["a", "c"]},
        ),
        (
            "MATCH (n:Actor) WHERE any(x IN ['a', 'b'] WHERE x = n.id) RETURN count(*) AS v",
            {"v": 2},
        ),
    ],
)
def test_cypher_features(driver: Any, cyclic: str, query: str, expected: dict[str, Any]) -> None:
    assert _rows(driver, query, cyclic) == [expected]


def test_detach_delete(driver: Any, cyclic: str) -> None:
    summary = driver.execute_query("MATCH (n:Actor {id: 'd'}) DETACH DELETE n", database_=cyclic)
    assert summary.summary.counters.nodes_deleted == 1
    assert summary.summary.counters.relationships_deleted == 2


# -- transactions, read-only, errors ----------------------------------------------------------


class _Boom(Exception):
    pass


def test_failed_write_transaction_rolls_back(server: ArcadeDBServer, driver: Any, db: str) -> None:
    def work(tx: Any) -> None:
        tx.run("CREATE (:Actor {id: 't1'})").consume()
        tx.run("UNWIND ['t2', 't3'] AS id CREATE (:Actor {id: id})").consume()
        raise _Boom

    with driver.session(database=db) as session, pytest.raises(_Boom):
        session.execute_write(work)
    assert _rows(driver, "MATCH (n) RETURN count(n) AS c", db) == [{"c": 0}]


def test_uncommitted_writes_are_invisible_to_other_sessions(driver: Any, db: str) -> None:
    with driver.session(database=db) as writer, driver.session(database=db) as reader:
        tx = writer.begin_transaction()
        tx.run("UNWIND range(1, 3) AS i CREATE (:Actor {id: toString(i)})").consume()
        assert reader.run("MATCH (n) RETURN count(n) AS c").single()["c"] == 0
        assert tx.run("MATCH (n) RETURN count(n) AS c").single()["c"] == 3
        tx.commit()
        assert reader.run("MATCH (n) RETURN count(n) AS c").single()["c"] == 3


def test_differs_read_sessions_accept_writes(driver: Any, db: str) -> None:
    """ArcadeDB ignores READ access mode (Neo4j refuses writes there). The store must
    guard read-only queries itself: run them in a transaction, look at the summary and
    roll back (see the next test)."""
    import neo4j

    with driver.session(database=db, default_access_mode=neo4j.READ_ACCESS) as session:
        session.execute_read(lambda tx: tx.run("CREATE (:Actor {id: 'ro'})").consume())
    assert _rows(driver, "MATCH (n {id: 'ro'}) RETURN count(n) AS c", db) == [{"c": 1}]


def test_guard_by_summary_and_rollback(driver: Any, db: str) -> None:
    def guarded(query: str) -> tuple[str, bool]:
        with driver.session(database=db) as session:
            tx = session.begin_transaction()
            try:
                summary = tx.run(query).consume()
                return summary.query_type, summary.counters.contains_updates
            finally:
                tx.rollback()

    assert guarded("MATCH (n) RETURN count(n) AS c") == ("r", False)
    assert guarded("CREATE (:Actor {id: 'sneaky'})") == ("w", True)
    # a write clause that happens to change nothing is still typed 'w'
    assert guarded("MATCH (n:Nobody) SET n.x = 1") == ("w", False)
    assert _rows(driver, "MATCH (n) RETURN count(n) AS c", db) == [{"c": 0}]


def test_differs_explain_is_not_a_classifier(driver: Any, db: str) -> None:
    """EXPLAIN works, but every query is typed 'w' (Neo4j says 'r' for reads)."""
    with driver.session(database=db) as session:
        result = session.run("EXPLAIN MATCH (n) RETURN n")
        assert list(result) == []
        summary = result.consume()
    assert summary.plan is not None
    assert summary.query_type == "w"


def test_errors_map_to_driver_exceptions(server: ArcadeDBServer, driver: Any, db: str) -> None:
    import neo4j
    import neo4j.exceptions as ne

    with pytest.raises(ne.CypherSyntaxError):
        driver.execute_query("MATCH (n RETURN n", database_=db)
    with pytest.raises(ne.ClientError) as info:
        driver.execute_query("RETURN 1", database_="nope")
    assert info.value.code == "Neo.ClientError.Database.DatabaseNotFound"
    with (
        neo4j.GraphDatabase.driver(server.bolt_uri, auth=(server.user, "wrong-pass")) as bad,
        pytest.raises(ne.AuthError),
    ):
        bad.verify_connectivity()
    with (
        neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{_free_port()}", auth=server.auth) as down,
        pytest.raises(ne.ServiceUnavailable),
    ):
        down.verify_connectivity()


def test_default_database_is_the_created_one(server: ArcadeDBServer) -> None:
    """A fresh connection without database= lands in the server's default database. (Pass
    database= anyway: a pooled ArcadeDB connection keeps the last database it used.)"""
    with server.driver() as fresh:
        fresh.execute_query("MATCH (n) DETACH DELETE n", database_=server.database)
        fresh.execute_query("CREATE (:Marker {id: 'here'})", database_=server.database)
    with server.driver() as fresh:
        records = fresh.execute_query("MATCH (n:Marker) RETURN n.id AS id").records
    assert [r["id"] for r in records] == ["here"]
