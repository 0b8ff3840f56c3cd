"""Differential fuzz test of the Cypher guard against the real server.

Queries are generated from Cypher fragments (reads, every kind of write, procedures),
comments, every line terminator, strings with escapes, backticked names and unicode. Every
query the guard lets through must be classified read-only ('r') by the server's EXPLAIN (on
Neo4j; ArcadeDB's EXPLAIN cannot tell), and running it through ``run_read`` must change
nothing: nodes, relationships, labels, relationship types, property keys, properties,
indexes and constraints are counted before and after. Derandomized and bounded, so CI time
stays small; the counts are printed at the end (pytest -s)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j.exceptions import Neo4jError

from graphflow.errors import GraphflowError
from graphflow.store.load import load_graph
from graphflow.store.readonly import check, classify, run_read
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.test_neo4j_cypher import _state

pytestmark = pytest.mark.neo4j

READS = ["MATCH (n)", "MATCH (n:Actor)", "MATCH (a:Actor)-[r:FLOWS_TO]->(b)", "RETURN 1",
         "RETURN n", "RETURN count(*) AS c", "WITH 1 AS x", "UNWIND [1, 2] AS i", "RETURN i",
         "WHERE n.id = 'ice'", "LIMIT 1", "ORDER BY 1", "OPTIONAL MATCH (n)-->(m)",
         "CALL db.labels() YIELD label", "RETURN label", "SHOW INDEXES", "RETURN n.set",
         "RETURN {set: 1}", "MATCH (`Junk`)", "RETURN x", "UNION", "CALL { RETURN 2 AS y }",
         "RETURN y", "WITH n", "RETURN $p", "MATCH (n:`Junk`)"]
WRITES = ["CREATE (:Junk)", "MERGE (:Junk {x: 1})", "SET n.x = 1", "SET n:Junk", "DELETE n",
          "DETACH DELETE n", "REMOVE n.name", "REMOVE n:Actor",
          "LOAD CSV FROM 'file:///etc/passwd' AS l", "CALL db.createLabel('Junk')",
          "CALL db.createProperty('junk')", "CALL { CREATE (:Junk) }",
          "CALL { CREATE (:Junk) } IN TRANSACTIONS", "FOREACH (i IN [1] | CREATE (:Junk))",
          "DROP INDEX graphflow_actor_kind IF EXISTS",
          "DROP CONSTRAINT graphflow_actor_key IF EXISTS",
          "CREATE INDEX junk_idx IF NOT EXISTS FOR (n:Junk) ON (n.x)", "INSERT (:Junk)",
          "SHOW USERS", "CALL apoc.create.node(['Junk'], {})", "USING PERIODIC COMMIT"]
SEPARATORS = [" ", "\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\t", "\u00a0", "\v", ""]
COMMENTS = ["// c", "// c'", "//", "/* c */", "/* ' */", "/* // */", "// `", "/**/"]
STRINGS = ["'x'", "'\\''", '"//"', "'/*'", "'\\\\'", "'a\\\"b'", '"\\""']
NAMES = ["`Junk`", "`a``b`", "`CREATE`", "`//`"]
UNICODE = ["ſet", "ñ", "\u200b", "é", "ＣＲＥＡＴＥ", "\ufeff"]
PUNCT = ["(", ")", "{", "}", "[", "]", ":", ",", "|", "'", "`", '"', ";", "*/", "/*"]

fragment = st.one_of(
    st.sampled_from(READS), st.sampled_from(READS), st.sampled_from(READS),
    st.sampled_from(WRITES), st.sampled_from(COMMENTS), st.sampled_from(STRINGS),
    st.sampled_from(NAMES), st.sampled_from(UNICODE), st.sampled_from(PUNCT))
query = st.lists(st.tuples(fragment, st.sampled_from(SEPARATORS)), min_size=1, max_size=7).map(
    lambda parts: "".join(f + s for f, s in parts))

TALLY = {"run": 0, "passed": 0, "changed": 0, "classified_r": 0, "ran": 0}


@pytest.fixture(scope="module")
def db(request, nyc):
    db = neo4j_server.database(request, "fuzz")
    load_graph(db.driver, db.name, build_graph(nyc))
    return db


def test_guard_against_the_server(db) -> None:
    baseline = _state(db)

    @settings(max_examples=300, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(query)
    def one(text: str) -> None:
        TALLY["run"] += 1
        try:
            checked = check(text)
        except GraphflowError:
            return
        TALLY["passed"] += 1
        neo = not db.target.is_arcadedb
        if neo:
            try:
                with db.driver.session(database=db.name) as session:
                    kind, _ = classify(session, checked.text, {"p": 1}, 10.0)
            except Neo4jError:  # a syntax error: nothing can run
                kind = None
            if kind is not None:
                assert kind == "r", (text, kind)
                TALLY["classified_r"] += 1
        try:
            run_read(db.driver, db.name, text, {"p": 1}, timeout=20.0)
            TALLY["ran"] += 1
        except (GraphflowError, Neo4jError):  # refused, or the server's syntax error
            pass
        after = _state(db)
        if after != baseline:
            TALLY["changed"] += 1
        assert after == baseline, text

    one()
    print(f"\nguard fuzz: {TALLY['run']} queries, {TALLY['passed']} passed by the guard, "
          f"{TALLY['classified_r']} classified 'r' by EXPLAIN, {TALLY['ran']} ran, "
          f"{TALLY['changed']} changed anything")
    assert TALLY["run"] >= 250 and TALLY["passed"] >= 30 and TALLY["changed"] == 0
