"""The embedded engine: the pack in memory, searched depth-first with tight bounds (the default).

A search first takes the *ball* of actors the source reaches within the hop bound, then the
hops from each of them to the nearest target inside that ball (a reverse breadth-first
bound); the depth-first enumeration only takes a hop when the target is still reachable
within the remaining hops. Hop levels (statuses) are folded in along the search, so a branch
stops as soon as it goes over a cap, and routes stream out as a generator.
"""

from __future__ import annotations

from array import array
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from operator import attrgetter
from typing import Any

import networkx as nx

from graphflow.core.model import Pack
from graphflow.core.status import STOP
from graphflow.engines.base import Fold, HopFilter, HopLevel, Walked


def pack_graph(pack: Pack) -> nx.MultiDiGraph:
    """Actors as nodes, flows as keyed edges (key = flow id), with their main attributes."""
    g = nx.MultiDiGraph(pack=pack.id)
    for a in pack.actors.values():
        g.add_node(a.id, name=a.name, kind=a.kind, level=a.level, part_of=a.part_of or "")
    for f in pack.flows.values():
        g.add_edge(f.source, f.target, key=f.id, data=list(f.data), mechanism=f.mechanism,
                   confidence=f.confidence.value)
    return g


def _zero(flow_id: str) -> int:
    return 0


# Per useful actor: hops into a target (flow, level), then hops to other useful actors
# (flow, actor, level, hops from that actor to the nearest target), nearest first.
Adjacency = tuple[list[tuple[str, int]], list[tuple[str, int, int, int]]]


@dataclass
class Search:
    """A prepared search: the useful part of the graph for one source, target set and bound."""

    source: int
    max_hops: int
    adjacency: dict[int, Adjacency]
    nodes: int

    @property
    def flows(self) -> int:
        """How many hops the search can take (the size of the pruned graph)."""
        return sum(len(t) + len(i) for t, i in self.adjacency.values())


def _starts(ends: list[int], nodes: range) -> array:
    """Where each actor's run begins in the flows sorted by ``ends``: entry u is how many
    flows have an end below u (one more entry than actors, so u + 1 closes u's run)."""
    counts = Counter(ends)
    return array("l", accumulate(map(counts.__getitem__, nodes[:-1]), initial=0))


class EmbeddedEngine:
    """Bounded depth-first enumeration with forward-ball and reverse-BFS distance bounds."""

    name = "embedded"

    def __init__(self, pack: Pack):
        self.pack = pack
        # The graph as flat lists built by C-level map/sort calls (a handful of objects for
        # the garbage collector, not one list per actor and one tuple per flow): flow k goes
        # from actor index _src[k] to _dst[k]; _out_order lists the flows by source (pack
        # order within one source) and _out_at where each source's run begins; _in_order and
        # _in_at the same by target.
        names = list(pack.actors)
        index = {a: i for i, a in enumerate(names)}
        flows = pack.flows.values()
        source, target, at = attrgetter("source"), attrgetter("target"), index.__getitem__
        try:  # one C-level pass per end, no intermediate list of names
            src = list(map(at, map(source, flows)))
            dst = list(map(at, map(target, flows)))
        except KeyError:  # a flow whose end is no actor (a hand-made pack): index it too
            ends = set(map(source, flows)).union(map(target, flows))
            for end in sorted(ends.difference(index)):
                index[end] = len(names)
                names.append(end)
            src = list(map(at, map(source, flows)))
            dst = list(map(at, map(target, flows)))
        self._nodes = len(names)
        self._index = index
        # Integer arrays, and tuples of strings (untracked after their first collection), are
        # never rescanned by the cyclic GC: no collection walks the graph.
        self._fids = tuple(pack.flows)  # flow index -> id (the pack's key)
        self._src = array("l", src)
        self._dst = array("l", dst)
        ks = range(len(src))
        nodes = range(len(names) + 1)
        # flows out of actor u: _out_order[_out_at[u]:_out_at[u + 1]] (into: the same)
        # (a stable sort keeps pack order within one actor; the run starts are the running
        # sums of the per-actor counts, counted by Counter's C loop)
        self._out_order = array("l", sorted(ks, key=src.__getitem__))
        self._out_at = _starts(src, nodes)
        self._in_order = array("l", sorted(ks, key=dst.__getitem__))
        self._in_at = _starts(dst, nodes)
        self._cache: dict[tuple, Search | None] = {}

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The pack as a networkx multigraph (built on first use)."""
        return pack_graph(self.pack)

    def prepare(self, source: str, targets: frozenset[str], max_hops: int,
                level: HopLevel = _zero) -> Search | None:
        """The pruned graph for a search (cached for the last few searches), or None when
        no route can exist."""
        key = (source, targets, max_hops, level)
        if key in self._cache:
            return self._cache[key]
        src = self._index.get(source)
        if src is None or source in targets:
            return None
        tset = {self._index[t] for t in targets if t in self._index}
        search: Search | None = self._prepare(src, tset, max_hops, level)
        if search is not None and src not in search.adjacency:
            search = None  # no target within reach
        if len(self._cache) >= 4:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = search
        return search

    def _prepare(self, src: int, tset: set[int], max_hops: int, level: HopLevel) -> Search:
        dst, source_of, fids = self._dst, self._src, self._fids
        out_order, out_at, in_order, in_at = (self._out_order, self._out_at, self._in_order,
                                              self._in_at)
        # 1. the ball: actors reachable from the source within max_hops (not through targets)
        fwd = {src: 0}
        frontier = [src]
        for depth in range(1, max_hops + 1):
            if not frontier:
                break  # nothing left to reach: a huge max_hops costs nothing more
            nxt = []
            for u in frontier:
                for k in out_order[out_at[u]:out_at[u + 1]]:
                    v = dst[k]
                    if v not in fwd:
                        fwd[v] = depth
                        if v not in tset:
                            nxt.append(v)
            frontier = nxt
        # 2. hops to the nearest target inside the ball, kept only where fwd + dist <= bound
        dist = {t: 0 for t in tset if t in fwd}
        queue = deque(dist)
        while queue:
            node = queue.popleft()
            d = dist[node] + 1
            for k in in_order[in_at[node]:in_at[node + 1]]:
                p = source_of[k]
                if p not in dist and p not in tset:
                    fp = fwd.get(p)
                    if fp is not None and fp + d <= max_hops:
                        dist[p] = d
                        queue.append(p)
        # 3. per useful actor, its useful hops with their levels, nearest target first
        adjacency: dict[int, Adjacency] = {}
        for u in dist:
            if u in tset:
                continue
            room = max_hops - fwd[u] - 1
            into_t: list[tuple[str, int]] = []
            inner: list[tuple[str, int, int, int]] = []
            for k in out_order[out_at[u]:out_at[u + 1]]:
                v = dst[k]
                fid = fids[k]
                if v in tset:
                    into_t.append((fid, level(fid)))
                elif v != src:
                    dv = dist.get(v)
                    if dv is not None and dv <= room:
                        inner.append((fid, v, level(fid), dv))
            inner.sort(key=lambda e: e[3])
            adjacency[u] = (into_t, inner)
        return Search(src, max_hops, adjacency, self._nodes)

    def walk(
        self, source: str, targets: frozenset[str], max_hops: int, level: HopLevel = _zero,
        cap: int | None = None, length: int | None = None, fold: Fold | None = None,
        seed: Any = None,
    ) -> Iterator[Walked]:
        """Yield (flow ids, route level, prefix fold) for every simple route; see RouteWalker."""
        search = self.prepare(source, targets, max_hops, level)
        if search is None or (length is not None and not 1 <= length <= max_hops):
            return iter(())
        return walk_search(search, 1 << 30 if cap is None else cap, length, fold, seed)

    def routes(
        self, source: str, targets: frozenset[str], max_hops: int,
        allow: HopFilter | None = None,
    ) -> Iterator[list[str]]:
        if allow is None:
            walked = self.walk(source, targets, max_hops)
        else:
            def level(flow_id: str) -> int:
                return 0 if allow(flow_id) else 1
            walked = self.walk(source, targets, max_hops, level, cap=0)
        for flows, _, _ in walked:
            yield list(flows)


def walk_search(search: Search, cap: int, length: int | None, fold: Fold | None = None,
                seed: Any = None) -> Iterator[Walked]:
    """The depth-first enumeration over a prepared search (an explicit stack, no recursion).

    At depth ``depth`` (flows taken so far) a hop to a non-target actor ``v`` is taken only
    when ``depth + 1 + dist(v) <= bound``, which the nearest-first order turns into an early
    ``break``; routes into targets are emitted at once from each actor. The route level is
    folded along the stack (``core.status.fold_level``: the first stopping hop's level, else
    the highest), and so is ``fold(acc, flow id)`` when given: each route comes with the fold
    over every flow but its last, computed once per prefix, not once per route (``seed``
    without a fold)."""
    adjacency = search.adjacency
    stop = STOP  # a local: read in the innermost loop
    bound = search.max_hops if length is None else length
    emit_at = length  # None: emit at every depth
    on = bytearray(search.nodes)
    node = search.source
    on[node] = 1
    prefix: tuple[str, ...] = ()
    lvl = 0
    depth = 0
    acc = seed
    into_t, inner = adjacency[node]
    if emit_at is None or emit_at == 1:
        for fid, fl in into_t:
            if fl <= cap:
                yield (fid,), fl, acc
    edges = iter(inner) if bound > 1 else iter(())
    stack: list[tuple] = []
    while True:
        room = bound - depth - 1  # hops left after the next one
        found = False
        for fid, v, fl, dv in edges:  # noqa: B007 (fid is used after the break)
            if dv > room:
                break
            if on[v] or (fl > cap and lvl < stop):
                continue
            found = True
            break
        if not found:
            if not stack:
                return
            on[node] = 0
            node, edges, prefix, lvl, acc = stack.pop()
            depth -= 1
            continue
        stack.append((node, edges, prefix, lvl, acc))
        node = v
        on[v] = 1
        prefix = (*prefix, fid)
        if fold is not None:
            acc = fold(acc, fid)
        if fl > lvl and lvl < stop:
            lvl = fl
        depth += 1
        into_t, inner = adjacency[v]
        if emit_at is None or emit_at == depth + 1:
            for tf, tl in into_t:
                if tl <= cap or lvl >= stop:
                    yield (*prefix, tf), (tl if tl > lvl and lvl < stop else lvl), acc
        edges = iter(inner) if depth + 1 < bound else iter(())
