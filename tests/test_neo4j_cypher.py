"""`graphflow cypher` on a real Bolt server: read-only in two layers (a server that accepts
writes in read sessions must still not be written to), one-line errors, timeouts, formats."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from graphflow.errors import GraphflowError
from graphflow.store.connection import translate
from graphflow.store.load import load_graph
from graphflow.store.readonly import _run_tx, run_read
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.test_cypher_guard import BYPASSES
from tests.test_cypher_guard import WRITES as GUARD_WRITES

pytestmark = pytest.mark.neo4j

# 400 million rows: minutes of work, so a 1 s timeout must stop it (Neo4j's transaction monitor
# checks timeouts every 2 s by default: 36 million rows sometimes finished before it looked)
SLOW = ("UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
        "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS c")
SLOW_MARK = "range(1, 20000)"


@pytest.fixture(scope="module")
def db(request, nyc):
    db = neo4j_server.database(request, "cypher")
    load_graph(db.driver, db.name, build_graph(nyc))
    return db


@pytest.fixture()
def cli(db, run_cli, monkeypatch):
    neo4j_server.use_env(monkeypatch, db)
    return run_cli


def _names(db, query: str) -> list[str]:
    return sorted(r["x"] for r in db.rows(query))


def _state(db, labels: bool = True) -> tuple:
    """Everything a write could change: node and relationship counts, labels, relationship
    types, property keys, the number of properties, constraints and indexes."""
    return (db.totals(),
            _names(db, "CALL db.labels() YIELD label RETURN label AS x") if labels else [],
            _names(db, "CALL db.relationshipTypes() YIELD relationshipType "
                       "RETURN relationshipType AS x") if labels else [],
            _names(db, "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey AS x")
            if labels else [],
            db.value("MATCH (n) UNWIND keys(n) AS k RETURN count(k) AS c"),
            db.value("MATCH ()-[r]->() UNWIND keys(r) AS k RETURN count(k) AS c"),
            _names(db, "SHOW CONSTRAINTS YIELD name RETURN name AS x"),
            _names(db, "SHOW INDEXES YIELD name RETURN name AS x"))


ATTEMPTS = [text for text, fragment in BYPASSES + GUARD_WRITES if fragment is not None]


@pytest.mark.parametrize("text", ATTEMPTS)
def test_writes_are_refused_before_anything_runs(db, cli, text: str) -> None:
    """Issue 9's bypasses and every kind of write: refused in one line, nothing changed
    (counted on the server afterwards)."""
    before = _state(db)
    code, out, err = cli("cypher", text)
    assert code == 1 and out == ""
    assert err.startswith("graphflow: error: refused: "), err
    assert err.count("\n") == 1 and "rolled back" not in err
    assert _state(db) == before


def test_writes_through_the_library_are_refused_too(db) -> None:
    before = _state(db)
    for text in ATTEMPTS:
        with pytest.raises(GraphflowError, match="^refused: "):
            run_read(db.driver, db.name, text)
    assert _state(db) == before


@pytest.mark.parametrize("text", [
    "CREATE (:X {id: 1})",
    "MATCH (n:Actor {pack: 'nyc', id: 'ice'}) SET n.hacked = true RETURN n.id",
    "MATCH (n:Nobody) SET n.x = 1",
    "MATCH (n:Actor {pack: 'nyc', id: 'ice'}) DETACH DELETE n",
])
def test_second_layer_rolls_back_and_refuses(db, text: str) -> None:
    """The lexical check switched off: Neo4j's EXPLAIN classifies the query as a write and
    nothing runs; on ArcadeDB (whose EXPLAIN cannot tell) the READ transaction is never
    committed and the answer refused."""
    before = _state(db, labels=False)
    with pytest.raises(GraphflowError, match="refused"), translate(db.settings):
        run_read(db.driver, db.name, text, check=False)
    assert _state(db, labels=False) == before
    assert db.value("MATCH (n:Actor {pack: 'nyc', id: 'ice'}) RETURN n.hacked") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("MATCH (a:Actor {pack: 'nyc'}) WHERE a.name CONTAINS 'CREATE' OR a.id = 'ice' "
     "RETURN a.id AS id", [{"id": "ice"}]),
    ("RETURN 'MERGE (n) SET n.x = 1 // DELETE' AS text", [
        {"text": "MERGE (n) SET n.x = 1 // DELETE"}]),
    ("MATCH (a:Actor {pack: 'nyc', id: 'ice'}) // DROP everything\nRETURN a.kind AS kind",
     [{"kind": "agency"}]),
])
def test_reads_that_mention_write_words_run(cli, text: str, expected) -> None:
    code, out, err = cli("cypher", text, "--format", "json")
    assert code == 0, err
    assert json.loads(out) == expected


def test_params_formats_and_graph_values(cli, nyc) -> None:
    query = ("MATCH p = (a:Actor {pack: $pack, id: $id})-[r:FLOWS_TO]->(b:Actor) "
             "WHERE r.id = $flow RETURN a, r, p, b.id AS target")
    flow = nyc.flows["fbi-prints-to-dhs"]
    params = ["--param", "pack=nyc", "--param", f"id={flow.source}",
              "--param", "flow=fbi-prints-to-dhs"]
    code, out, err = cli("cypher", query, *params, "--format", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    assert "Actor" in row["a"]["labels"] and row["a"]["properties"]["id"] == flow.source
    assert row["r"]["type"] == "FLOWS_TO" and row["r"]["properties"]["data"] == list(flow.data)
    assert len(row["p"]["nodes"]) == 2 and row["target"] == flow.target
    code, out, _ = cli("cypher", query, *params, "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "a,r,p,target"
    code, out, _ = cli("cypher", "MATCH (a:Actor {pack: 'nyc'}) RETURN a.id AS id, "
                       "a.aliases AS aliases ORDER BY id LIMIT 3")
    assert code == 0 and out.splitlines()[0].startswith("ID") and "(3 rows)" in out
    code, out, _ = cli("cypher", "MATCH (a:Actor {pack: $p}) RETURN count(a) AS n",
                       "--param", "p=nyc", "--format", "json")
    assert json.loads(out) == [{"n": len(nyc.actors)}]
    code, out, _ = cli("cypher", "RETURN $xs AS xs, $n + 1 AS m", "--param", 'xs=["a","b"]',
                       "--param", "n=41", "--format", "json")
    assert json.loads(out) == [{"xs": ["a", "b"], "m": 42}]


def test_query_from_stdin(cli, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("RETURN 1 AS one"))
    code, out, err = cli("cypher", "-", "--format", "json")
    assert code == 0 and json.loads(out) == [{"one": 1}], err


def _one_line_error(cli, *args: str) -> str:
    code, out, err = cli(*args)
    assert code == 1 and out == "", err
    assert err.startswith("graphflow: error: ") and err.count("\n") == 1, err
    return err


def test_syntax_error(cli) -> None:
    err = _one_line_error(cli, "cypher", "MATCH (n RETURN n")
    assert "Cypher syntax error" in err


def test_unknown_label_and_relationship_type(cli) -> None:
    err = _one_line_error(cli, "cypher", "MATCH (n:Agnecy) RETURN n")
    assert "unknown label :Agnecy" in err and "did you mean 'Agency'" in err
    err = _one_line_error(cli, "cypher", "MATCH (:Actor)-[r:FLOWS_TOO]->() RETURN r")
    assert "unknown relationship type :FLOWS_TOO" in err and "'FLOWS_TO'" in err


def test_unknown_database(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db, NEO4J_DATABASE="nosuchdb")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "database 'nosuchdb' does not exist" in err and "NEO4J_DATABASE" in err


def test_server_down(db, run_cli, monkeypatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    neo4j_server.use_env(monkeypatch, db, NEO4J_URI=f"bolt://127.0.0.1:{port}")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "cannot reach the Neo4j server" in err and f"127.0.0.1:{port}" in err
    err = _one_line_error(run_cli, "query", "run", "rule-flows")
    assert "cannot reach the Neo4j server" in err


def test_wrong_credentials(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db, NEO4J_PASSWORD="wrong-password-123")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "authentication failed" in err and "wrong-password-123" not in err
    err = _one_line_error(run_cli, "neo4j", "load", "--data", "nyc")
    assert "authentication failed" in err


def test_missing_password_without_a_terminal(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db)
    monkeypatch.delenv("NEO4J_PASSWORD")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "NEO4J_PASSWORD is not set" in err


# -- timeouts: a server of their own, so that a runaway query slows nothing else --------------


@pytest.fixture(scope="module")
def slow(request, db):
    """A server that stops commands after 3 s (ArcadeDB ignores per-query timeouts)."""
    if not db.target.is_arcadedb:
        yield db, None
        return
    from tests.arcadedb_server import ArcadeDBServer

    server = ArcadeDBServer(database="slow", heap="512m",
                            properties={"arcadedb.command.timeout": 3000}).start()
    target = neo4j_server.Target("arcadedb", server.bolt_uri, server.user, server.password,
                                 server.database, server)
    with target.driver() as drv:
        try:
            yield neo4j_server.Database(target, server.database, drv), server
        finally:
            server.stop()


def _running(db, fragment: str) -> list[str]:
    """The queries of the server's open transactions that contain ``fragment`` (Neo4j)."""
    rows = db.rows("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery AS q")
    return [r["q"] for r in rows if fragment in (r["q"] or "") and "SHOW" not in r["q"]]


def _until(condition, limit: float = 60.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``limit`` seconds pass (False): a bound on
    a wait, not a measurement."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.05)
    return True


def test_server_side_timeout(slow, run_cli, monkeypatch) -> None:
    sdb, server = slow
    if server is None:  # Neo4j: the transaction timeout alone, no client-side deadline
        with pytest.raises(GraphflowError, match="timed out on the server"), \
                translate(sdb.settings, deadline=False):
            _run_tx(sdb.driver, sdb.name, SLOW, {}, 1.0)
        assert _until(lambda: not _running(sdb, SLOW_MARK))
        return
    neo4j_server.use_env(monkeypatch, sdb)
    err = _one_line_error(run_cli, "cypher", SLOW, "--timeout", "0")
    assert "timed out on the server" in err
    code, out, _ = run_cli("cypher", "RETURN 1 AS one", "--format", "json")
    assert code == 0 and json.loads(out) == [{"one": 1}]


def test_client_side_timeout(slow, run_cli, monkeypatch) -> None:
    """--timeout 1: a one-line error naming the 1 s deadline (or, on Neo4j, its own
    transaction timeout, 0.9 s, if it answers first), and the query does not keep running on
    the server afterwards."""
    sdb, _ = slow
    neo4j_server.use_env(monkeypatch, sdb)
    err = _one_line_error(run_cli, "cypher", SLOW, "--timeout", "1")
    # ArcadeDB ignores transaction timeouts: the client gives up; Neo4j may answer first
    assert "no answer from the Neo4j server within 1 s" in err or (
        not sdb.target.is_arcadedb and "timed out on the server" in err)
    if not sdb.target.is_arcadedb:
        assert _until(lambda: not _running(sdb, SLOW_MARK))
    code, out, _ = run_cli("cypher", "RETURN 1 AS one", "--format", "json")
    assert code == 0 and json.loads(out) == [{"one": 1}]


def test_a_servers_notification_is_one_graphflow_line_not_the_drivers_log(cli, db) -> None:
    """A deprecated function draws a server notification (a warning). graphflow prints it
    once, as its own line from the query's summary; the driver's own log record of it (a
    Python warning, printed on stderr when nothing configures logging) stays off the
    terminal, as it does for graphflow's own queries on a database that has never held a
    label or type they name."""
    # a process of its own: pytest's log capture would hide the driver's record in-process
    done = subprocess.run(
        [sys.executable, "-c", "from graphflow.cli.main import main; main()", "cypher",
         "MATCH (n:Pack) RETURN id(n) >= 0 AS ok LIMIT 1", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False)
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 0 and json.loads(out) == [{"ok": True}], err
    assert "Received notification" not in err
    if not db.target.is_arcadedb:  # ArcadeDB sends no notifications
        (line,) = [x for x in err.splitlines() if "deprecated" in x]
        assert "id" in line and len(line) < 400
