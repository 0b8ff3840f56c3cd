"""The Bolt server behind the Neo4j-store tests: one per test session.

By default the tests start a real Neo4j Community 5.26 (tests/neo4j_launcher: jars fetched with
Maven into .cache/neo4j/, an embedded DBMS with Bolt on a free 127.0.0.1 port, auth on with a
random password) and stop it at the end of the session. Neo4j Community has one user database,
``neo4j``: each test module wipes it before use.

Other targets:

- GRAPHFLOW_TEST_NEO4J_URI, GRAPHFLOW_TEST_NEO4J_USER and GRAPHFLOW_TEST_NEO4J_PASSWORD (and
  optionally GRAPHFLOW_TEST_NEO4J_DATABASE, default ``neo4j``): your own Neo4j. Its database is
  WIPED by the tests: point it at a throw-away server (docs/neo4j.md).
- GRAPHFLOW_TEST_BOLT=arcadedb: ArcadeDB's Bolt plugin (from arcadedb-embedded,
  tests/arcadedb_server.py), each module in a database of its own. Optional, not what CI proves.

Without a server the tests are skipped loudly; with ``CI`` set they fail instead.

Test modules use it through a module-scoped fixture::

    @pytest.fixture(scope="module")
    def db(request):
        return neo4j_server.database(request, "load")
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from graphflow.store.connection import Settings

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
ENV_URI = "GRAPHFLOW_TEST_NEO4J_URI"
ENV_BOLT = "GRAPHFLOW_TEST_BOLT"


def require(ok: bool, why: str) -> None:
    """Skip (loudly) or, under CI, fail when no Bolt server is available."""
    if ok:
        return
    message = (f"NO BOLT SERVER, the Neo4j-store tests cannot run: {why}. Fetch Neo4j "
               "(python -m tests.neo4j_launcher fetch: needs mvn and Java 17) or set "
               "GRAPHFLOW_TEST_NEO4J_URI, GRAPHFLOW_TEST_NEO4J_USER and "
               "GRAPHFLOW_TEST_NEO4J_PASSWORD")
    if IN_CI:
        pytest.fail(message + "  [CI is set: a failure, not a skip]", pytrace=False)
    pytest.skip(message)


@dataclass
class Target:
    """A running Bolt server: Neo4j or ArcadeDB started here, or a Neo4j from the environment."""

    kind: str  # "neo4j" | "arcadedb"
    uri: str
    user: str
    password: str = field(repr=False)
    database: str
    server: Any = None
    created: set[str] = field(default_factory=set)
    agent: str = "?"
    origin: str = ""

    @property
    def is_arcadedb(self) -> bool:
        return self.kind == "arcadedb"

    def make_database(self, name: str) -> str:
        """A database for one test module: a new one on ArcadeDB; the (wiped) configured one
        on Neo4j, where Community edition has only one user database."""
        if not self.is_arcadedb:
            return self.database
        if name not in self.created:
            self.server.server_command(f"create database {name}")
            self.created.add(name)
        return name

    def driver(self) -> Any:
        import neo4j

        return neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password))

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


_TARGET: Target | None = None
_FAILED: str | None = None


def _start_target() -> Target:
    if os.environ.get(ENV_URI):
        user = os.environ.get("GRAPHFLOW_TEST_NEO4J_USER", "neo4j")
        password = os.environ.get("GRAPHFLOW_TEST_NEO4J_PASSWORD")
        require(password is not None, "GRAPHFLOW_TEST_NEO4J_PASSWORD is not set")
        tgt = Target("neo4j", os.environ[ENV_URI], user, password or "",
                     os.environ.get("GRAPHFLOW_TEST_NEO4J_DATABASE", "neo4j"),
                     origin=f"{ENV_URI}")
    elif os.environ.get(ENV_BOLT, "neo4j").strip().lower() == "arcadedb":
        from tests.arcadedb_server import ArcadeDBServer, arcadedb_available

        ok, why = arcadedb_available()
        require(ok, why)
        server = ArcadeDBServer(database="graphflow", heap="1g").start()
        tgt = Target("arcadedb", server.bolt_uri, server.user, server.password, server.database,
                     server, origin=f"{ENV_BOLT}=arcadedb")
    else:
        from tests import neo4j_launcher

        try:
            server = neo4j_launcher.Neo4jServer(heap="1g").start()
        except neo4j_launcher.Neo4jServerError as exc:
            require(False, f"Neo4j did not start: {exc}")
            raise
        tgt = Target("neo4j", server.uri or "", server.user, server.password, server.database,
                     server, origin=f"tests/neo4j_launcher, started in "
                                    f"{server.startup_seconds:.1f} s")
    with tgt.driver() as drv:
        tgt.agent = drv.get_server_info().agent
    return tgt


def start_for_session(config: pytest.Config) -> Target:
    """The session's server, started on first use and stopped when pytest ends."""
    global _TARGET, _FAILED
    if _FAILED is not None:
        require(False, _FAILED)
    if _TARGET is None:
        try:
            _TARGET = _start_target()
        except BaseException as exc:  # not started: say why once per test, retry never
            _FAILED = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise
        config.add_cleanup(_stop)
    return _TARGET


def header(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """The pytest header line naming the Bolt server (started here when tests need it)."""
    if not any(item.get_closest_marker("neo4j") for item in items):
        return []
    try:
        tgt = start_for_session(config)
    except BaseException as exc:  # noqa: BLE001 - the tests report it (skip, or fail in CI)
        return [f"bolt server: NONE ({str(exc).splitlines()[0] if str(exc) else exc!r})"]
    return [f"bolt server: {tgt.agent} at {tgt.uri} ({tgt.origin})"]


def target(request: pytest.FixtureRequest) -> Target:
    """The session's server, started on first use and stopped when pytest ends."""
    return start_for_session(request.config)


def _stop() -> None:
    global _TARGET
    if _TARGET is not None:
        _TARGET.stop()
        _TARGET = None


@dataclass
class Database:
    """One test module's database on the session's server, with a driver."""

    target: Target
    name: str
    driver: Any

    @property
    def settings(self) -> Settings:
        return Settings(self.target.uri, self.target.user, self.name, self.target.password)

    def env(self, **overrides: str) -> dict[str, str]:
        """NEO4J_* variables for the command line."""
        out = {"NEO4J_URI": self.target.uri, "NEO4J_USER": self.target.user,
               "NEO4J_PASSWORD": self.target.password, "NEO4J_DATABASE": self.name}
        out.update(overrides)
        return out

    def rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.name)
        return [r.data() for r in records]

    def value(self, query: str, **params: Any) -> Any:
        rows = self.rows(query, **params)
        return next(iter(rows[0].values())) if rows else None

    def wipe(self) -> None:
        self.driver.execute_query("MATCH (n) DETACH DELETE n", database_=self.name)

    def totals(self) -> tuple[int, int]:
        """All nodes and all relationships in the database."""
        return (self.value("MATCH (n) RETURN count(n) AS c"),
                self.value("MATCH ()-[r]->() RETURN count(r) AS c"))


def database(request: pytest.FixtureRequest, name: str) -> Database:
    """A wiped database for a test module (closed when the module ends)."""
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise ValueError(name)
    tgt = target(request)
    db_name = tgt.make_database(f"gf_{name}")
    driver = tgt.driver()
    request.addfinalizer(driver.close)
    db = Database(tgt, db_name, driver)
    db.wipe()
    return db


def use_env(monkeypatch: pytest.MonkeyPatch, db: Database, **overrides: str) -> None:
    """Point the NEO4J_* variables at the test database for one test."""
    for key, value in db.env(**overrides).items():
        monkeypatch.setenv(key, value)


def graph_dump(db: Database, pack: str) -> tuple[list[Any], list[Any]]:
    """A pack's nodes and relationships as sorted, comparable tuples (the Pack node's
    ``loaded_at`` left out: it is the time of the load)."""
    from graphflow.store.model import NODE_BY_LABEL

    def freeze(props: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                            for k, v in props.items() if k not in ("loaded_at",)))

    def ident(labels: list[str], props: dict[str, Any]) -> tuple[Any, ...]:
        main = next(label for label in labels if label in NODE_BY_LABEL)
        return (main, *(props.get(k) for k in NODE_BY_LABEL[main].key))

    nodes = sorted(
        (tuple(sorted(r["labels"])), freeze(r["props"]))
        for r in db.rows("MATCH (n) WHERE n.pack = $pack RETURN labels(n) AS labels, "
                         "properties(n) AS props", pack=pack)
    )
    rels = sorted(
        (r["type"], ident(r["la"], r["pa"]), ident(r["lb"], r["pb"]), freeze(r["props"]))
        for r in db.rows("MATCH (a)-[r]->(b) WHERE r.pack = $pack RETURN type(r) AS type, "
                         "properties(r) AS props, labels(a) AS la, properties(a) AS pa, "
                         "labels(b) AS lb, properties(b) AS pb", pack=pack)
    )
    return nodes, rels


def loaded(request: pytest.FixtureRequest, name: str, pack: Any) -> Database:
    """A wiped database for a test module with one pack loaded (``graphflow neo4j load``)."""
    from graphflow.store.load import load_graph
    from graphflow.store.rows import build_graph

    db = database(request, name)
    load_graph(db.driver, db.name, build_graph(pack))
    return db


def load_generated(db: Database, folder: Any, counties: int = 5, seed: int = 3) -> Any:
    """Generate a pack (benchmarks.generate) into ``folder``, load it into ``db``, return it."""
    from benchmarks.generate import Shape, write_pack
    from graphflow.packs.loader import load_pack
    from graphflow.store.load import load_graph
    from graphflow.store.rows import build_graph

    write_pack(folder, Shape(counties=counties), seed=seed)
    pack = load_pack(str(folder))
    load_graph(db.driver, db.name, build_graph(pack))
    return pack
