"""The Neo4j route engine: path enumeration in the database, statuses in the domain core.

``routes()`` finds, in the database, the actors a route can use (a forward breadth-first
search from the source and a backward one from the targets, one Cypher query per hop), then
grows the routes hop by hop in Cypher (simple paths, only onto actors from which a target is
still within reach), a bounded number of partial routes per query, depth first. It yields
each route's flow ids; ``graphflow.audit`` evaluates them exactly as for the embedded engine,
so both give the same route ids, statuses and reasons.

A single variable-length match (``-[:FLOWS_TO*1..8]->``, as in the canned queries) gives the
same routes, but it enumerates every trail from the source before filtering: on a 110k-flow
pack it took 9 s at 7 hops and grows about sevenfold per hop. The pruned expansion does work
in proportion to the routes found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from graphflow.core.model import Pack
from graphflow.errors import GraphflowError
from graphflow.store.connection import Settings, connect, translate
from graphflow.store.rows import topology_hash

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

HopFilter = Callable[[str], bool]
"""As graphflow.engines.base.HopFilter (the store does not import the engines)."""

MAX_HOPS_LIMIT = 32
"""Longest route the store enumerates."""

CHUNK = 1000
"""Partial routes sent to the database per expansion query (the bounded frontier)."""

# Breadth-first rings, one query per hop: forward from the source, backward from the targets.
# Both patterns start at the given actors: ArcadeDB plans a pattern from its first node, and
# `(a:Actor)-[r]->(b {id: id})` scanned every actor (15 s for 72 ids on a 110k-flow pack).
_FORWARD = ("UNWIND $ids AS id MATCH (a:Actor {pack: $pack, id: id})-[r:FLOWS_TO]->(b:Actor) "
            "WHERE r.pack = $pack RETURN DISTINCT b.id AS id")
_BACKWARD = ("UNWIND $ids AS id MATCH (b:Actor {pack: $pack, id: id})<-[r:FLOWS_TO]-(a:Actor) "
             "WHERE r.pack = $pack RETURN DISTINCT a.id AS id")
# One hop more for each partial route (its actors, source first): simple, and only onto
# actors from which a target is still within the hops left ($room: actor -> latest depth).
# The room test sits after a WITH: ArcadeDB gets `$room[b.id] >= size(nodes)` wrong in the
# MATCH's own WHERE (it filters out every row).
_EXPAND = ("UNWIND range(0, size($paths) - 1) AS i WITH i, $paths[i] AS nodes "
           "MATCH (a:Actor {pack: $pack, id: last(nodes)})-[r:FLOWS_TO]->(b:Actor) "
           "WHERE r.pack = $pack AND NOT b.id IN nodes "
           "WITH i, r, b, $room[b.id] AS room, size(nodes) AS depth WHERE room >= depth "
           "RETURN i, r.id AS flow, b.id AS next")


def check_max_hops(max_hops: int) -> None:
    """The hop bound must be a whole number from 1 to MAX_HOPS_LIMIT."""
    if not isinstance(max_hops, int) or not 1 <= max_hops <= MAX_HOPS_LIMIT:
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
        if self._owns:
            self.driver.close()

    def __enter__(self) -> Neo4jEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, query: str, **params: Any) -> list[Any]:
        with translate(self.settings):
            records, _, _ = self.driver.execute_query(
                query, params, database_=self.database, routing_="r")
        return records

    def check_loaded(self) -> None:
        """The pack must be loaded, with the same actors and flows as the files."""
        found = self._read("MATCH (p:Pack {pack: $pack, id: $pack}) "
                           "RETURN p.topology_hash AS topo, p.loaded_at AS at", pack=self.pack.id)
        hint = f"run: graphflow neo4j load --data {self.pack.path or self.pack.id}"
        if not found:
            raise GraphflowError(f"pack {self.pack.id!r} is not loaded", where=self.settings.where,
                                 hint=hint)
        if found[0]["topo"] != topology_hash(self.pack):
            raise GraphflowError(
                f"pack {self.pack.id!r} in the database (loaded {found[0]['at']}) has other "
                "actors or flows than the pack files", where=self.settings.where, hint=hint)

    def _ring(self, query: str, ids: Iterable[str]) -> set[str]:
        return {r["id"] for r in self._read(query, pack=self.pack.id, ids=sorted(ids))}

    def room(self, source: str, targets: frozenset[str], max_hops: int) -> dict[str, int]:
        """For each actor on some route: the latest depth it may appear at (max_hops minus
        its hops to the nearest target), from a forward and a backward breadth-first search
        in the database; routes stop at their first target, so neither passes one."""
        ball, ring = {source: 0}, {source}
        for depth in range(1, max_hops + 1):
            ring = self._ring(_FORWARD, ring - targets) - ball.keys()
            if not ring:
                break
            ball.update(dict.fromkeys(ring, depth))
        dist = {t: 0 for t in targets if t in ball}
        ring = set(dist)
        for depth in range(1, max_hops + 1):
            ring = {a for a in self._ring(_BACKWARD, ring) & ball.keys()
                    if a not in dist and a not in targets and ball[a] + depth <= max_hops}
            if not ring:
                break
            dist.update(dict.fromkeys(ring, depth))
        return {a: max_hops - d for a, d in dist.items()}

    def routes(self, source: str, targets: frozenset[str], max_hops: int,
               allow: HopFilter | None = None) -> Iterator[list[str]]:
        """Every simple route from ``source`` ending at its first node in ``targets``,
        extended hop by hop in the database (depth first, CHUNK partial routes a query)."""
        check_max_hops(max_hops)
        if source in targets or not targets:
            return
        room = self.room(source, targets, max_hops)
        if source not in room:
            return
        stack: list[list[tuple[list[str], list[str]]]] = [[([], [source])]]
        while stack:
            paths = stack.pop()
            records = self._read(_EXPAND, pack=self.pack.id, room=room,
                                 paths=[nodes for _, nodes in paths])
            grown: list[tuple[list[str], list[str]]] = []
            for record in records:
                flows, nodes = paths[record["i"]]
                flow, nxt = record["flow"], record["next"]
                if allow is not None and not allow(flow):
                    continue
                if nxt in targets:
                    yield [*flows, flow]
                elif len(nodes) < max_hops:
                    grown.append(([*flows, flow], [*nodes, nxt]))
            stack.extend(grown[i: i + CHUNK] for i in range(0, len(grown), CHUNK))
