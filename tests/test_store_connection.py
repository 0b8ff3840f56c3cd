"""Deadlines and one-line errors for every store call, against real sockets: a port that
accepts TCP and stays silent, one that answers HTTP, TLS against a plain Bolt server, a
closed port, a wrong password, and the real server frozen or cut off during a query (through
a TCP proxy in front of it). No mocks of the driver."""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import suppress
from urllib.parse import quote

import pytest

from graphflow.errors import GraphflowError
from graphflow.store.connection import Settings, connect, redact, split_credentials, translate
from tests import neo4j_server


class _Server:
    """A TCP server on 127.0.0.1 that accepts and then runs ``handle`` for each client."""

    def __init__(self, handle) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handle = handle
        self.clients: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(conn)
            threading.Thread(target=self.handle, args=(self, conn), daemon=True).start()

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        for c in self.clients:
            c.close()


def _silent(server: _Server, conn: socket.socket) -> None:
    server.stopped.wait()


def _http(server: _Server, conn: socket.socket) -> None:
    conn.recv(1024)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    server.stopped.wait()


@pytest.fixture()
def silent() -> Iterator[_Server]:
    s = _Server(_silent)
    yield s
    s.close()


@pytest.fixture()
def http() -> Iterator[_Server]:
    s = _Server(_http)
    yield s
    s.close()


def _one_line_error(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 1 and out == "", err
    assert err.startswith("graphflow: error: ") and err.count("\n") == 1, err
    return err


def _env(monkeypatch, uri: str, password: str = "pw-not-used-1") -> None:
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_USER", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    monkeypatch.setenv("NEO4J_DATABASE", "neo4j")


def test_a_silent_port_gives_no_bolt_handshake(silent, run_cli, monkeypatch) -> None:
    _env(monkeypatch, f"bolt://127.0.0.1:{silent.port}")
    monkeypatch.setenv("GRAPHFLOW_NEO4J_CONNECT_TIMEOUT", "1")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert f"no Bolt handshake from 127.0.0.1:{silent.port} within 1 s" in err
    err = _one_line_error(run_cli, "query", "run", "rule-flows", "--param", "rule=x")
    assert "no Bolt handshake" in err


def test_a_silent_port_fails_within_the_default_5_s(silent, run_cli, monkeypatch) -> None:
    _env(monkeypatch, f"neo4j://127.0.0.1:{silent.port}")
    monkeypatch.delenv("GRAPHFLOW_NEO4J_CONNECT_TIMEOUT", raising=False)
    err = _one_line_error(run_cli, "neo4j", "packs")
    assert "no Bolt handshake" in err and "within 5 s" in err


def test_http_on_a_bolt_port(http, run_cli, monkeypatch) -> None:
    _env(monkeypatch, f"bolt://127.0.0.1:{http.port}")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "HTTP on a Bolt port" in err and "7687" in err


def test_tls_against_a_plain_server(request, run_cli, monkeypatch) -> None:
    target = neo4j_server.target(request)
    plain = target.uri.split("://", 1)[1]
    _env(monkeypatch, f"bolt+ssc://{plain}", target.password)
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "TLS mismatch" in err and "bolt://" in err


def test_tls_against_a_silent_port(silent, run_cli, monkeypatch) -> None:
    _env(monkeypatch, f"neo4j+s://127.0.0.1:{silent.port}")
    monkeypatch.setenv("GRAPHFLOW_NEO4J_CONNECT_TIMEOUT", "1")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "no TLS handshake" in err


def test_server_down(run_cli, monkeypatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _env(monkeypatch, f"bolt://127.0.0.1:{port}")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "cannot reach the Neo4j server" in err and f"127.0.0.1:{port}" in err


def test_wrong_password_and_credentials_in_the_uri(request, run_cli, monkeypatch) -> None:
    target = neo4j_server.target(request)
    host = target.uri.split("://", 1)[1]
    _env(monkeypatch, f"bolt://{target.user}:Wrong-Secret-77@{host}")
    monkeypatch.delenv("NEO4J_PASSWORD")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "authentication failed" in err and "Wrong-Secret-77" not in err
    # the password in the address is used when NEO4J_PASSWORD is not set
    _env(monkeypatch, f"bolt://{target.user}:{quote(target.password, safe='')}@{host}")
    monkeypatch.delenv("NEO4J_PASSWORD")
    monkeypatch.delenv("NEO4J_USER")
    monkeypatch.setenv("NEO4J_DATABASE", target.make_database("gf_conn"))
    code, out, err = run_cli("cypher", "RETURN 1 AS one", "--format", "json")
    assert code == 0, err
    assert target.password not in out + err


def test_credentials_in_the_uri_never_reach_a_message(silent, run_cli, monkeypatch) -> None:
    _env(monkeypatch, f"bolt://someone:Hunter-Secret-42@127.0.0.1:{silent.port}")
    monkeypatch.setenv("GRAPHFLOW_NEO4J_CONNECT_TIMEOUT", "1")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "Hunter-Secret-42" not in err and "someone:" not in err
    _env(monkeypatch, "http://someone:Hunter-Secret-42@127.0.0.1:1")
    err = _one_line_error(run_cli, "cypher", "RETURN 1")
    assert "invalid NEO4J_URI" in err and "Hunter-Secret-42" not in err


def test_uri_credentials_are_split_and_redacted() -> None:
    assert split_credentials("neo4j://u:p%40ss@h:7687/x") == ("neo4j://h:7687/x", "u", "p@ss")
    assert split_credentials("neo4j://h:7687") == ("neo4j://h:7687", None, None)
    assert Settings("bolt://u:pw@h:1", "u", "d", "pw").uri == "bolt://h:1"
    assert redact("failed bolt://a:bcd@h:1 with bcd", "bcd") == "failed bolt://***@h:1 with ***"


def test_bad_timeout_settings_are_one_line_errors() -> None:
    for raw in ("soon", "0", "-1", "1e9"):
        with pytest.raises(GraphflowError, match="GRAPHFLOW_NEO4J_CONNECT_TIMEOUT"):
            Settings.from_env({"NEO4J_PASSWORD": "p", "GRAPHFLOW_NEO4J_CONNECT_TIMEOUT": raw})
    s = Settings.from_env({"NEO4J_PASSWORD": "p", "GRAPHFLOW_NEO4J_QUERY_TIMEOUT": "7.5"})
    assert (s.connect_timeout, s.query_timeout) == (5.0, 7.5)


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("NEO4J_DATABASE", "neo4j\x1b[31m", r"NEO4J_DATABASE='neo4j\\x1b\[31m' holds the character "
                                        r"'\\x1b'"),
    ("NEO4J_DATABASE", "my db", r"NEO4J_DATABASE='my db' holds the character ' '"),
    ("NEO4J_DATABASE", "x" * 300, r"NEO4J_DATABASE='x{40}'\.\.\. is 300 characters long"),
    ("NEO4J_USER", "neo4j\n", r"NEO4J_USER='neo4j\\n' holds the character '\\n'"),
])
def test_hostile_user_and_database_names_are_refused_before_connecting(
        variable, value, says) -> None:
    with pytest.raises(GraphflowError, match=says) as caught:
        Settings.from_env({"NEO4J_PASSWORD": "p", variable: value})
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)
    assert Settings.from_env({"NEO4J_PASSWORD": "p", "NEO4J_DATABASE": "gf_db-1.x",
                              "NEO4J_USER": "Ana Lopez"}).database == "gf_db-1.x"


def test_a_hostile_database_name_is_one_escaped_line_from_the_cli() -> None:
    import subprocess
    import sys

    env = {**os.environ, "NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_PASSWORD": "p",
           "NEO4J_DATABASE": "neo4j\x1b]0;owned\x07"}
    done = subprocess.run([sys.executable, "-m", "graphflow", "neo4j", "packs"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "\x1b" not in done.stderr
    assert "NEO4J_DATABASE='neo4j\\x1b]0;owned\\x07' holds the character '\\x1b'" in done.stderr
    assert "Traceback" not in done.stderr


# -- the real server frozen, or cut off, during a query -----------------------------------------


class _Proxy:
    """A TCP proxy to the real server that can freeze (forward nothing, keep the sockets
    open, as a SIGSTOPped server does) or cut every connection (as a killed one does)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.frozen = threading.Event()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.server = _Server(self._handle)
        self.port = self.server.port

    def _handle(self, server: _Server, conn: socket.socket) -> None:
        up = socket.create_connection(self.upstream)
        self.pairs.append((conn, up))
        threading.Thread(target=self._pump, args=(up, conn), daemon=True).start()
        self._pump(conn, up)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if self.frozen.is_set():
                    self.server.stopped.wait()
                    return
                dst.sendall(data)
        except OSError:
            return

    def cut(self) -> None:
        for a, b in self.pairs:
            for s in (a, b):
                with suppress(OSError):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.close()
        self.server.close()


@pytest.fixture()
def proxy(request) -> Iterator[tuple[_Proxy, neo4j_server.Database]]:
    db = neo4j_server.database(request, "conn")
    host, port = db.target.uri.split("://", 1)[1].rsplit(":", 1)
    p = _Proxy(host, int(port))
    yield p, db
    p.cut()


def _settings(p: _Proxy, db, **kw) -> Settings:
    return Settings(f"bolt://127.0.0.1:{p.port}", db.target.user, db.name, db.target.password,
                    **kw)


def test_a_frozen_server_hits_the_query_deadline(proxy) -> None:
    p, db = proxy
    settings = _settings(p, db, query_timeout=2.0)
    driver = connect(settings)
    with translate(settings):
        assert driver.execute_query("RETURN 1 AS one", database_=db.name)[0][0]["one"] == 1
    p.frozen.set()
    with pytest.raises(GraphflowError, match=r"no answer from the Neo4j server within 2 s"), \
            translate(settings):
        driver.execute_query("RETURN 2 AS two", database_=db.name)


def test_a_frozen_server_stops_graphflow_cypher(proxy, run_cli, monkeypatch) -> None:
    from graphflow.store.readonly import run_read

    p, db = proxy
    settings = _settings(p, db)
    driver = connect(settings)
    p.frozen.set()
    with pytest.raises(GraphflowError, match=r"within 2 s"), translate(settings):
        run_read(driver, db.name, "RETURN 1 AS one", timeout=2.0)


def test_a_server_cut_off_during_a_query(proxy) -> None:
    p, db = proxy
    settings = _settings(p, db, query_timeout=30.0)
    driver = connect(settings)
    p.frozen.set()
    box: dict[str, BaseException] = {}

    def query() -> None:
        try:
            with translate(settings):
                driver.execute_query("RETURN 1", database_=db.name)
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=query)
    worker.start()
    while not any(len(pair) for pair in p.pairs):  # pragma: no cover - already connected
        threading.Event().wait(0.01)
    p.cut()
    worker.join(60)
    assert not worker.is_alive()
    error = box["error"]
    assert isinstance(error, GraphflowError) and "\n" not in error.one_line()
    assert "cannot reach the Neo4j server" in error.one_line(), error.one_line()


def test_one_deadline_thread_fires_the_due_watchdog_and_never_a_cancelled_one() -> None:
    # the shared deadline thread (graphflow.store.connection._Deadlines), with real threads
    import threading

    from graphflow.store.connection import _DEADLINES, _Watchdog

    class Closable:
        def __init__(self) -> None:
            self.closed = threading.Event()

        def close(self) -> None:
            self.closed.set()

    cancelled = [Closable() for _ in range(500)]
    for target in cancelled:  # due at once, but cancelled before the thread can get to them
        _Watchdog(target, 0.2).cancel()
    due = Closable()
    dog = _Watchdog(due, 0.05)
    assert due.closed.wait(10), "the due watchdog never fired"
    assert dog.fired
    assert not any(t.closed.is_set() for t in cancelled)
    dog.cancel()  # after firing: nothing happens
    assert len(_DEADLINES._heap) <= 500  # cancelled entries are dropped, not kept forever
    threads = [t for t in threading.enumerate() if t.name == "graphflow-deadlines"]
    assert len(threads) == 1
