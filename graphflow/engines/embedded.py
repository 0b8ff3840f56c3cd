"""The embedded engine: the pack in memory as a networkx multigraph (the default)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import networkx as nx

from graphflow.core.model import Pack
from graphflow.engines.base import HopFilter


def pack_graph(pack: Pack) -> nx.MultiDiGraph:
    """Actors as nodes, flows as keyed edges (key = flow id), with their main attributes."""
    g = nx.MultiDiGraph(pack=pack.id)
    for a in pack.actors.values():
        g.add_node(a.id, name=a.name, kind=a.kind, level=a.level, part_of=a.part_of or "")
    for f in pack.flows.values():
        g.add_edge(f.source, f.target, key=f.id, data=list(f.data), mechanism=f.mechanism,
                   confidence=f.confidence.value)
    return g


class EmbeddedEngine:
    """Bounded depth-first enumeration with a reverse breadth-first distance bound."""

    name = "embedded"

    def __init__(self, pack: Pack):
        self.pack = pack
        self.graph = pack_graph(pack)
        # adjacency as plain lists: (flow id, target), in pack order for stable output
        self._out: dict[str, list[tuple[str, str]]] = {n: [] for n in self.graph}
        self._in: dict[str, list[str]] = {n: [] for n in self.graph}
        for f in pack.flows.values():
            self._out[f.source].append((f.id, f.target))
            self._in[f.target].append(f.source)

    def distance_to(self, targets: frozenset[str], limit: int) -> dict[str, int]:
        """Hops from each actor to the nearest target, up to ``limit`` (reverse BFS).
        Paths through other targets do not count, since routes stop at their first target."""
        dist = {t: 0 for t in targets if t in self._in}
        queue = deque(dist)
        while queue:
            node = queue.popleft()
            d = dist[node] + 1
            if d > limit:
                continue
            for prev in self._in[node]:
                if prev not in dist:
                    dist[prev] = d
                    queue.append(prev)
        return dist

    def routes(
        self, source: str, targets: frozenset[str], max_hops: int,
        allow: HopFilter | None = None,
    ) -> Iterator[list[str]]:
        if source not in self._out:
            return
        dist = self.distance_to(targets, max_hops)
        if source not in dist or source in targets:
            return
        out = self._out
        path: list[str] = []
        on_path = {source}
        stack = [(source, iter(out[source]))]
        while stack:
            node, edges = stack[-1]
            advanced = False
            for flow_id, nxt in edges:
                if nxt in on_path:
                    continue
                remaining = max_hops - len(path) - 1
                d = dist.get(nxt)
                if d is None or d > remaining:
                    continue
                if allow is not None and not allow(flow_id):
                    continue
                if nxt in targets:
                    yield [*path, flow_id]
                    continue
                path.append(flow_id)
                on_path.add(nxt)
                stack.append((nxt, iter(out[nxt])))
                advanced = True
                break
            if not advanced:
                stack.pop()
                if path:
                    path.pop()
                on_path.discard(node)
