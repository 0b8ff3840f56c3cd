"""The lexical guard on researchers' Cypher (graphflow/store/readonly.py), without a server:
the bypasses found by the security review, every kind of write, and reads that must pass.
The same queries run against the real server in tests/test_neo4j_cypher.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphflow.errors import GraphflowError
from graphflow.store import readonly
from graphflow.store.queries import library

ROOT = Path(__file__).resolve().parent.parent

# (query, a fragment the one-line reason must contain)
BYPASSES = [
    # issue 9, item 1: a // comment ended at \r by the server, at \n by the old check
    ("// x\rLOAD CSV FROM 'file:///etc/passwd' AS row RETURN row LIMIT 3", "LOAD CSV"),
    ("// x\rLOAD CSV FROM 'file:///proc/self/cmdline' AS row RETURN row", "LOAD CSV"),
    ("// x\rDROP CONSTRAINT graphflow_flow_key IF EXISTS", "DROP CONSTRAINT"),
    ("// x\rDROP INDEX graphflow_actor_kind IF EXISTS", "DROP INDEX"),
    ("// x\rCREATE INDEX evil FOR (n:Actor) ON (n.level)", "CREATE INDEX"),
    ("// x\rCREATE CONSTRAINT evil FOR (n:Junk) REQUIRE n.x IS UNIQUE", "CREATE CONSTRAINT"),
    ("// x\rCREATE (:Junk)", "CREATE"),
    ("// x\rMERGE (:Junk {x: 1})", "MERGE"),
    ("// x\rFOREACH (i IN [1] | CREATE (:Junk))", "FOREACH"),
    ("MATCH (n) // x\r\nDETACH DELETE n", "DETACH"),
    # the other line terminators the server accepts
    ("RETURN 1 // x\u2028CREATE (:Junk)", "CREATE"),
    ("RETURN 1 // x\u2029CREATE (:Junk)", "CREATE"),
    ("RETURN 1 // x\u0085CREATE (:Junk)", "CREATE"),
    # a line end some parsers honour and some do not: the query is ambiguous, refused
    ("RETURN 1 // x\v' \n CREATE (:Junk) //'", "U+000B"),
    ("RETURN 1 // x\f CREATE (:Junk)", "U+000C"),
    # issue 9, item 2: INSERT, and a backticked label
    ("INSERT (:`Junk` {x: 1})", "INSERT"),
    ("MATCH (n) INSERT (n)-[:`R`]->(:`Junk`)", "INSERT"),
    # strings, escapes, comments, backticks
    ("RETURN 'a\\'b' AS x CREATE (:X)", "CREATE"),
    ('RETURN "a\\"b" AS x CREATE (:X)', "CREATE"),
    ("RETURN 'a\\\\' AS x CREATE (:X)", "CREATE"),
    ("match (n) /* sneaky */ create (:X)", "CREATE"),
    ("MATCH (n) /* a */ SET /* b */ n.x = 1", "SET"),
    ("MATCH (`a``b`) SET `a``b`.x = 1", "SET"),
    ("RETURN 1CREATE (:X)", "CREATE"),
    ("RETURN 0x1 CREATE (:X)", "CREATE"),
    # unicode: a keyword that only looks different to a careless reader
    ("MATCH (n) ſet n.x = 1", "SET"),
    ("MATCH (n)\u00a0SET\u3000n.x = 1", "SET"),
    ("MATCH (n) SE\u200bT n.x = 1", "unknown word"),
    # several statements
    ("MATCH (n) RETURN n /* harmless */ ; CREATE (:X)", "several statements"),
    ("RETURN 1; RETURN 2", "several statements"),
    ("RETURN 1;;", "several statements"),
    # unterminated: the server would read the rest differently
    ("RETURN 'abc", "unterminated string"),
    ("RETURN `abc", "unterminated `name`"),
    ("RETURN 1 /* CREATE (:X)", "unterminated /*"),
]

WRITES = [
    ("CREATE (n:X)", "CREATE"),
    ("match (n) set n.x = 1", "SET"),
    ("MATCH (n) SET n += {x: 1}", "SET"),
    ("MATCH (n) SET n:Junk", "SET"),
    ("MATCH (n) WITH n CALL { CREATE (:X) } RETURN 1", "CREATE"),
    ("MATCH (n) CALL (n) { SET n.x = 1 } RETURN 1", "SET"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n) NODETACH DELETE n", "NODETACH"),
    ("MATCH (n) DELETE n", "DELETE"),
    ("MATCH (n) REMOVE n:Actor", "REMOVE"),
    ("MATCH (n) REMOVE n.name", "REMOVE"),
    ("MERGE (n:X {id: 1})", "MERGE"),
    ("MATCH (a), (b) MERGE (a)-[:R]->(b)", "MERGE"),
    ("DROP CONSTRAINT graphflow_actor_key", "DROP CONSTRAINT"),
    ("CREATE INDEX x FOR (n:X) ON (n.y)", "CREATE INDEX"),
    ("CREATE OR REPLACE DATABASE x", "CREATE"),
    ("CREATE RANGE INDEX x FOR (n:X) ON (n.y)", "CREATE INDEX"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LOAD CSV"),
    ("LOAD CSV WITH HEADERS FROM 'http://example.org/x.csv' AS l RETURN l", "LOAD CSV"),
    ("UNWIND [1] AS i FOREACH (x IN [1] | MERGE (:X))", "FOREACH"),
    ("MATCH (n) CALL { WITH n RETURN n AS m } IN TRANSACTIONS RETURN m", "IN TRANSACTIONS"),
    ("UNWIND [1] AS i CALL (i) { RETURN i AS j } IN 2 CONCURRENT TRANSACTIONS RETURN j",
     "IN TRANSACTIONS"),
    ("USING PERIODIC COMMIT LOAD CSV FROM 'file:///x' AS l RETURN l", "USING"),
    ("MATCH (n:Actor) USING INDEX n:Actor(id) RETURN n", "USING"),
    ("CALL db.createLabel('X')", "procedure db.createLabel"),
    ("CALL db.createProperty('x')", "procedure db.createProperty"),
    ("CALL db.clearQueryCaches()", "procedure db.clearQueryCaches"),
    ("CALL dbms.setConfigValue('db.logs.query.enabled', 'OFF')", "procedure dbms.setConfig"),
    ("CALL dbms.security.createUser('x', 'y', false)", "procedure dbms.security.createUser"),
    ("CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})", "apoc.periodic"),
    ("CALL apoc.create.node(['X'], {})", "procedure apoc.create.node"),
    ("CALL apoc.cypher.doIt('CREATE (n)', {})", "apoc.cypher.doIt"),
    ("RETURN apoc.cypher.runFirstColumnSingle('CREATE (n) RETURN n', {})",
     "function apoc.cypher.runFirstColumnSingle"),
    ("CALL `db`.`createLabel`('X')", "procedure db.createLabel"),
    ("CALL `db.createLabel`('X')", "procedure db.createLabel"),
    ("CALL db.labels() YIELD label CALL db.createLabel(label) RETURN 1", "db.createLabel"),
    ("CALL db.labels", None),  # standalone, no parentheses: passes
    ("RETURN 'it\\'s' AS a, 1 AS b CREATE (:X)", "CREATE"),
    ("STOP DATABASE neo4j", "unknown word 'STOP'"),
    ("START DATABASE neo4j", "unknown word 'START'"),
    ("ALTER USER neo4j SET PASSWORD 'x'", "ALTER"),
    ("GRANT ROLE admin TO neo4j", "GRANT"),
    ("TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ("SHOW USERS", "SHOW USERS is not allowed"),
    ("SHOW CURRENT USER", "user accounts"),
    ("SHOW DATABASES", "SHOW DATABASES is not allowed"),
    ("SHOW TRANSACTIONS", "SHOW TRANSACTIONS is not allowed"),
    ("SHOW SETTINGS", "SHOW SETTINGS is not allowed"),
    ("MATCH (n) SHOW INDEXES", "SHOW INDEXES is not allowed"),
    ("EXPLAIN CREATE INDEX evil2 IF NOT EXISTS FOR (n:Actor) ON (n.kind)", "EXPLAIN"),
    ("PROFILE MATCH (n) RETURN n", "EXPLAIN and PROFILE"),
    ("CYPHER runtime=slotted MATCH (n) RETURN n", "query options"),
    ("USE system SHOW USERS", "USE"),
    ("MATCH (n) CALL { USE other MATCH (m) RETURN m } RETURN n", "USE"),
    ("MATCH (set) RETURN set", "variable 'set'"),
    ("WITH 1 AS create RETURN create", "variable 'create'"),
    ("RETURN myplugin.write(1)", "function myplugin.write"),
    ("FINISH", "unknown word 'FINISH'"),
    ("UPSERT (n)", "function UPSERT"),
]

READS = [
    "MATCH (n:Actor) WHERE n.name CONTAINS 'CREATE' RETURN n.id",
    'RETURN "MERGE; DELETE \\" SET" AS s',
    "MATCH (n) // DELETE everything\nRETURN count(n)",
    "MATCH (n) // DELETE everything\rRETURN count(n)",
    "MATCH (n) // DELETE everything\r\nRETURN count(n)",
    "MATCH (n) // DELETE everything\u2028RETURN count(n)",
    "MATCH (n) /* DROP */ RETURN count(n)",
    "MATCH (n:`CREATE`) RETURN n",
    "MATCH (n) RETURN n.set, n.offset, n.created_at, n.`delete`",
    "MATCH (n) RETURN {set: 1, delete: 2} AS m",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.labels() YIELD label AS l WHERE l STARTS WITH 'A' RETURN l ORDER BY l",
    "CALL db.relationshipTypes()",
    "CALL db.schema.visualization()",
    "CALL dbms.components() YIELD name, versions RETURN name, versions",
    "MATCH (a) CALL { WITH a RETURN a.id AS x } RETURN x",
    "MATCH (a) CALL (a) { RETURN a.id AS x } RETURN x",
    "SHOW INDEXES",
    "SHOW CONSTRAINTS YIELD name RETURN name",
    "SHOW RANGE INDEXES YIELD name, labelsOrTypes WHERE name STARTS WITH 'graphflow' "
    "RETURN name",
    "SHOW FUNCTIONS YIELD name RETURN count(name) AS n",
    "SHOW PROCEDURES",
    "MATCH (start:Actor)-[:FLOWS_TO]->(stop) RETURN start, stop",
    "MATCH (n:Actor) RETURN n.id AS id; ",
    "MATCH (n) WHERE n:Actor|Agency RETURN [x IN [n] WHERE x:Actor | x.id] AS ids",
    "MATCH (n:!Rule) RETURN count(n) AS c",
    "MATCH ()-[r:FLOWS_TO|PART_OF]->() RETURN count(r) AS c",
    "MATCH ()-[r:FLOWS_TO|:PART_OF]->() RETURN count(r) AS c",
    "RETURN reduce(acc = 0, x IN [1, 2] | acc + x) AS s",
    "MATCH (n) RETURN n {.id, .name, k: 1} AS m",
    "MATCH (n) RETURN count { (n)-->() } AS c, exists { (n)<--() } AS e",
    "MATCH (n) RETURN collect { MATCH (n)-->(m) RETURN m.id } AS ids",
    "RETURN date.truncate('month', date('2017-03-15')) AS d, 1 IS :: INTEGER AS i",
    "RETURN duration.between(date('2017-01-01'), date('2017-03-01')) AS d, 1.5e3, 0x1F, .5",
    "UNWIND range(1, 3) AS i RETURN i ORDER BY i DESC SKIP 1 LIMIT 1",
    "MATCH (a:Actor) RETURN a.id UNION ALL MATCH (b:Rule) RETURN b.id",
    "MATCH p = SHORTEST 1 (a:Actor)-[:FLOWS_TO]->+(b:Actor) RETURN length(p) AS n",
    "MATCH ((a)-[:FLOWS_TO]->(b)){1,3} RETURN count(*) AS n",
    "MATCH (n) RETURN CASE WHEN n.id IS NULL THEN 'none' ELSE n.id END AS id",
    "MATCH (ñandú:Actor) RETURN ñandú.id AS `the id`",
    "MATCH (n) RETURN n.id AS profile ORDER BY profile",
    "MATCH (n) WHERE n.id =~ 'ice.*' AND NOT n.id IN ['x'] XOR n.x <> 1 RETURN n",
    "RETURN $pack AS p, $`odd name` AS q, $0 AS r",
]


@pytest.mark.parametrize(("text", "fragment"), BYPASSES + WRITES)
def test_refused_with_a_one_line_reason(text: str, fragment: str | None) -> None:
    reason = readonly.refusal(text)
    if fragment is None:
        assert reason is None, (text, reason)
        return
    assert reason and fragment in reason, (text, reason)
    with pytest.raises(GraphflowError, match=r"^refused: ") as info:
        readonly.check(text)
    assert "\n" not in info.value.one_line() and "\r" not in info.value.one_line()


@pytest.mark.parametrize("text", READS)
def test_reads_pass(text: str) -> None:
    assert readonly.refusal(text) is None, text


def test_reason_says_where() -> None:
    assert readonly.refusal("MATCH (n)\r\n  // x\u2028  SET n.x = 1") == \
        "this query would write (SET at 3:3)"
    assert readonly.refusal("RETURN 1 /* \n */ ; RETURN 2").startswith(
        "several statements (';' at 2:5)")


def test_trailing_semicolon_is_cut_off() -> None:
    assert readonly.check("RETURN 1 AS one; // done\n").text == "RETURN 1 AS one"


def test_canned_queries_and_documented_examples_pass() -> None:
    for q in library().values():
        for _, text in q.texts or ((0, q.cypher),):  # every hop bound's text
            assert readonly.refusal(text) is None, q.id
    doc = (ROOT / "docs" / "neo4j.md").read_text(encoding="utf-8")
    blocks = doc.split("```cypher\n")[1:]
    assert blocks
    for block in blocks:
        text = block.split("```", 1)[0]
        if text.lstrip().upper().startswith(("CREATE", "DROP")):
            continue  # the schema, shown as documentation
        assert readonly.refusal(text) is None, text


def test_labels_and_types_are_collected_backticks_included() -> None:
    found = readonly.check(
        "MATCH (a:Actor:Agnecy)-[r:FLOWS_TO|PART_OFF*1..3]->(:`Ju``nk`), (x {id: 'y:Z'}) "
        "WHERE a.name = 'q' AND x:Event RETURN count(x)")
    assert found.labels == ["Actor", "Agnecy", "Ju`nk"]
    assert found.types == ["FLOWS_TO", "PART_OFF"]
    assert found.either == ["Event"]
    assert readonly.used_labels("MATCH (n:`Junk`) RETURN n") == (["Junk"], [])
