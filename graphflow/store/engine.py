"""The Neo4j route engine: the sub-graph from the database, the walk in the one walker.

A search needs only the flows out of the actors a route can pass through: those the source
reaches within ``max_hops - 1`` flows without passing a target (a route stops at its first
target). ``Neo4jEngine`` fetches exactly those flows in ONE read query (``reach_query``): a
variable-length match ``(s)-[:FLOWS_TO*0..max_hops-1]->(a)`` whose nodes are all non-targets,
``DISTINCT`` on its far end (Neo4j 5.26 plans it as a pruning breadth-first expand,
``VarLengthExpand(Pruning,BFS,All)``: each actor is reached once, no path is enumerated), then
the ids of the flows out of those actors, as one list in one record (far cheaper to decode
than a record per flow; their ends are the pack files', which ``check_loaded`` has compared
with the database's). The hop bound is the only thing put into the query text, a
validated integer (``check_max_hops``); the pack, source and targets are parameters. A search
therefore costs one read query whatever the hop bound and the number of routes (the
constructor's ``check_loaded`` is one more, once per engine), sent as an auto-commit query in
a READ session the engine keeps (one round trip; ``_read``). It then walks that sub-graph with
the embedded engine's walker (``graphflow.engines.embedded``: forward ball, reverse bound,
depth first, hop levels folded in), so both engines find the same routes in the same order,
and ``graphflow.audit`` evaluates them with the domain core exactly as for the embedded
engine: the store decides no status.

ArcadeDB's Bolt plugin (an optional test target) walks every trail of a variable-length match
before ``DISTINCT`` (41.5 s at 8 hops on a 15k-flow pack, docs/arcadedb-notes.md), so on it
(recognised from the server agent of the first answer) the engine asks ring by ring instead
(``_RING``: one query per breadth-first ring, at most ``max_hops``; 0.11 s there). Both give
the same flows (tests/test_neo4j_fetch.py checks it on each server).

The fetched sub-graph of the last few searches is kept (``clear_cache()`` forgets it): one
``run_query`` walks the same search several times (counts, the kept routes, evidence counts).
It depends only on the pack's actors and flows, which ``check_loaded`` has compared with the
pack's files (the topology hash).

History: the store first grew routes hop by hop in Cypher (a query per 1,000 partial routes):
339,489 routes on the 3,000-county pack took 33.5 s against the embedded engine's 2.3 s; then
it fetched the sub-graph one ring a query (NYC 8 hops: 0.040 s against 0.0022 s embedded, the
ring queries' round trips). A variable-length match that returns the routes themselves
(``-[:FLOWS_TO*1..8]->``, as in the canned queries) enumerates every trail in the server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NamedTuple

from graphflow.core.model import Pack
from graphflow.engines.base import Fold, HopFilter, HopLevel, Walked
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.errors import GraphflowError
from graphflow.store.connection import Settings, connect, translate
from graphflow.store.load import load_command, require_finished
from graphflow.store.rows import topology_hash

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

MAX_HOPS_LIMIT = 32
"""Longest route the store enumerates."""

CACHE = 4
"""Fetched sub-graphs kept per engine (the last searches)."""

# The whole sub-graph of a search in one query (see the module docstring). ``{depth}`` is the
# only text put in: max_hops - 1, a validated integer (a variable-length bound cannot be a
# parameter). The predicates on nodes(p) and relationships(p) are folded into the expand by
# the planner (the path itself is never built); the source is no target (``_search`` asks
# nothing then), so "every node of the path is no target" is "the path passes no target".
_REACH = ("MATCH (s:Actor {{pack: $pack, id: $source}}) "
          "MATCH p = (s)-[:FLOWS_TO*0..{depth}]->(a:Actor) "
          "WHERE all(n IN nodes(p) WHERE NOT n.id IN $targets) "
          "AND all(x IN relationships(p) WHERE x.pack = $pack) "
          "WITH DISTINCT a "
          "MATCH (a)-[r:FLOWS_TO]->() WHERE r.pack = $pack "
          "RETURN collect(r.id) AS flows")

# One breadth-first ring (the ArcadeDB fallback): the flows out of the given actors, as three
# parallel lists. The pattern starts at the given actors: ArcadeDB plans a pattern from its
# first node, and `(a:Actor)-[r]->(b {id: id})` scanned every actor (15 s for 72 ids on a
# 110k-flow pack).
_RING = ("UNWIND $ids AS id MATCH (a:Actor {pack: $pack, id: id})-[r:FLOWS_TO]->(b:Actor) "
         "WHERE r.pack = $pack "
         "RETURN collect(r.id) AS flows, collect(a.id) AS starts, collect(b.id) AS ends")

METHODS = ("reach", "rings")
"""How a sub-graph is fetched: one variable-length query, or one query per ring."""


def reach_query(max_hops: int) -> str:
    """The one query that fetches a search's sub-graph, for a validated hop bound."""
    check_max_hops(max_hops)
    return _REACH.format(depth=int(max_hops) - 1)


class _Flow(NamedTuple):
    source: str
    target: str


class SubGraph:
    """Fetched flows as the embedded engine indexes a pack: ``actors`` (ids) and ``flows``
    (id -> source and target), in the pack's flow order."""

    def __init__(self, pack: str, flows: dict[str, _Flow]) -> None:
        self.id = pack
        self.flows = flows
        self.actors = dict.fromkeys(sorted({a for f in flows.values() for a in f}))


def check_max_hops(max_hops: int) -> None:
    """The hop bound must be a whole number from 1 to MAX_HOPS_LIMIT."""
    if (isinstance(max_hops, bool) or not isinstance(max_hops, int)
            or not 1 <= max_hops <= MAX_HOPS_LIMIT):
        raise GraphflowError(f"--max-hops must be 1..{MAX_HOPS_LIMIT} on the neo4j backend, "
                             f"not {max_hops}")


class Neo4jEngine:
    """Routes from a Bolt server holding the pack (loaded with ``graphflow neo4j load``)."""

    name = "neo4j"

    def __init__(self, driver: neo4j.Driver, settings: Settings, pack: Pack, *,
                 owns_driver: bool = False, check: bool = True) -> None:
        self.driver = driver
        self.settings = settings
        self.database = settings.database
        self.pack = pack
        self._owns = owns_driver
        self._cache: dict[tuple[str, frozenset[str], int], EmbeddedEngine] = {}
        self._flow_order: dict[str, int] | None = None
        self._agent: str | None = None  # the server's agent, from the first answer
        self._local = threading.local()  # one READ session per thread (sessions are not
        self._sessions: list[Any] = []  # thread-safe), all closed by close()
        if check:
            self.check_loaded()

    @classmethod
    def from_env(cls, pack: Pack, settings: Settings | None = None) -> Neo4jEngine:
        """Connect with NEO4J_* settings and check that the pack there matches the files."""
        settings = settings or Settings.from_env()
        driver = connect(settings)
        try:
            return cls(driver, settings, pack, owns_driver=True)
        except BaseException:
            driver.close()
            raise

    def close(self) -> None:
        sessions, self._sessions = self._sessions, []
        for session in sessions:
            with suppress(Exception):
                session.close()
        if self._owns:
            self.driver.close()

    def __enter__(self) -> Neo4jEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> neo4j.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            import neo4j

            # READ: a cluster routes it to a reader, and Neo4j refuses a write in it; the
            # bookmark manager of execute_query, so that a search sees what this driver wrote
            session = self.driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS,
                bookmark_manager=self.driver.execute_query_bookmark_manager)
            self._local.session = session
            self._sessions.append(session)
        return session

    def _forget_session(self) -> None:
        session = getattr(self._local, "session", None)
        self._local.session = None
        if session is not None:
            self._sessions.remove(session)
            with suppress(Exception):
                session.close()

    def _read(self, query: str, **params: Any) -> list[Any]:
        """One auto-commit read in this thread's READ session: one round trip (RUN and PULL
        together; a managed transaction adds BEGIN and COMMIT, 1.75 against 1.23 ms a search
        on NYC), with the server-side transaction timeout and the client-side deadline. A
        connection the server or the cluster dropped is retried once, in a new session."""
        import neo4j
        import neo4j.exceptions as ne

        text = neo4j.Query(query, timeout=self.settings.query_timeout)
        with translate(self.settings):
            for attempt in (1, 2):
                try:
                    result = self._session().run(text, params)
                    records = list(result)
                    summary = result.consume()
                    break
                except (ne.ServiceUnavailable, ne.SessionExpired):
                    self._forget_session()
                    if attempt == 2:
                        raise
        if self._agent is None:
            self._agent = summary.server.agent or ""
        return records

    @property
    def method(self) -> str:
        """How this engine fetches a sub-graph: ``reach`` (one query), or ``rings`` on
        ArcadeDB (known from the agent of an answer the engine already had; asked once if
        there was none)."""
        if self._agent is None:
            with translate(self.settings):
                self._agent = self.driver.get_server_info().agent or ""
        return "rings" if "arcadedb" in self._agent.lower() else "reach"

    def _load_hint(self) -> str:
        return "run: " + load_command(self.pack.id, str(self.pack.path) if self.pack.path else None)

    def check_loaded(self) -> None:
        """The pack must be loaded, with the same actors and flows as the files."""
        found = self._read("MATCH (p:Pack {pack: $pack, id: $pack}) "
                           "RETURN p.topology_hash AS topo, p.loaded_at AS at, "
                           "p.state AS state, p.load_started_at AS started", pack=self.pack.id)
        hint = self._load_hint()
        if not found:
            raise GraphflowError(f"pack {self.pack.id!r} is not loaded", where=self.settings.where,
                                 hint=hint)
        require_finished(self.pack.id, found[0]["state"], found[0]["started"],
                         source=str(self.pack.path or self.pack.id), where=self.settings.where)
        if found[0]["topo"] != topology_hash(self.pack):
            raise GraphflowError(
                f"pack {self.pack.id!r} in the database (loaded {found[0]['at']}) has other "
                "actors or flows than the pack files", where=self.settings.where, hint=hint)

    # -- the sub-graph -------------------------------------------------------------------

    def clear_cache(self) -> None:
        """Forget the fetched sub-graphs (the next search asks the database again)."""
        self._cache.clear()

    def _order(self) -> dict[str, int]:
        if self._flow_order is None:
            self._flow_order = {f: i for i, f in enumerate(self.pack.flows)}
        return self._flow_order

    def fetch(self, source: str, targets: frozenset[str], max_hops: int,
              method: str | None = None) -> SubGraph:
        """The flows a search may take, from the database: those out of the actors the source
        reaches within ``max_hops - 1`` flows without passing a target, in pack order.
        ``method``: ``reach`` (one query) or ``rings`` (one query per ring); default
        ``self.method``. Both give the same flows."""
        check_max_hops(max_hops)
        method = method or self.method
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
        found: list[tuple[str, str, str]] = []
        if source in targets:
            pass  # no route leaves a target
        elif method == "reach":
            # only the flow ids travel: their ends are the pack files' (check_loaded has
            # compared every flow's id and ends with the database's, the topology hash)
            records = self._read(reach_query(max_hops), pack=self.pack.id, source=source,
                                 targets=sorted(targets))
            flows = self.pack.flows
            for fid in records[0]["flows"] if records else ():
                flow = flows.get(fid)
                if flow is None:
                    raise GraphflowError(
                        f"flow {fid!r} of pack {self.pack.id!r} in the database is not in the "
                        "pack files", where=self.settings.where,
                        hint=self._load_hint())
                found.append((fid, flow.source, flow.target))
        else:
            seen, ring = {source}, [source]
            for _ in range(max_hops):
                ring = [a for a in ring if a not in targets]
                if not ring:
                    break
                records = self._read(_RING, pack=self.pack.id, ids=ring)
                rec = records[0] if records else {"flows": [], "starts": [], "ends": []}
                found.extend(zip(rec["flows"], rec["starts"], rec["ends"], strict=True))
                ring = [b for b in dict.fromkeys(rec["ends"]) if b not in seen]
                seen.update(ring)
        order = self._order()
        last = len(order)
        found.sort(key=lambda e: (order.get(e[0], last), e[0]))
        return SubGraph(self.pack.id, {f: _Flow(a, b) for f, a, b in found})

    def _search(self, source: str, targets: frozenset[str], max_hops: int) -> EmbeddedEngine:
        check_max_hops(max_hops)
        key = (source, targets, max_hops)
        engine = self._cache.get(key)
        if engine is None:
            empty = source in targets or not targets  # no route: ask nothing
            graph = SubGraph(self.pack.id, {}) if empty else self.fetch(source, targets, max_hops)
            # the embedded engine reads only a pack's actor ids and flows' ends (SubGraph's)
            engine = EmbeddedEngine(graph)  # type: ignore[arg-type]
            if len(self._cache) >= CACHE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = engine
        return engine

    # -- RouteEngine and RouteWalker --------------------------------------------------------

    def walk(self, source: str, targets: frozenset[str], max_hops: int, level: HopLevel,
             cap: int | None = None, length: int | None = None, fold: Fold | None = None,
             seed: Any = None) -> Iterator[Walked]:
        """As ``EmbeddedEngine.walk`` (see ``engines.base.RouteWalker``), on the sub-graph
        fetched from the database."""
        return self._search(source, targets, max_hops).walk(
            source, targets, max_hops, level, cap, length, fold, seed)

    def routes(self, source: str, targets: frozenset[str], max_hops: int,
               allow: HopFilter | None = None) -> Iterator[list[str]]:
        """Every simple route from ``source`` ending at its first node in ``targets``."""
        return self._search(source, targets, max_hops).routes(source, targets, max_hops, allow)
