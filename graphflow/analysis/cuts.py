"""Cuts: the fewest (or cheapest) flows whose closure stops every open route.

The cut is a minimum s-t edge cut (networkx max-flow) in the graph formed by the flows of the
routes to stop. Flows the chosen jurisdiction cannot regulate get infinite capacity; if every
cut would need one of them, no cut exists, and the routes that stay open are named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graphflow.core.model import Pack
from graphflow.core.routes import Route
from graphflow.errors import GraphflowError, did_you_mean

# Weights for --weighted: closing discretionary practice is cheaper than changing a mandate.
BASIS_WEIGHTS = {"discretionary": 1, "routine-practice": 2, "unknown": 3, "mandated": 5}
_SINK = "\x00sink"


@dataclass
class CutResult:
    """A cut (or the proof there is none) for a set of routes."""

    exists: bool
    flows: list[str]
    cost: float
    routes: list[Route]
    remaining: list[Route] = field(default_factory=list)
    controllable_by: str | None = None


def controllable(pack: Pack, flow_id: str, who: str | None) -> bool:
    """Can jurisdiction (or actor) ``who`` regulate this flow?"""
    if who is None:
        return True
    flow = pack.flows[flow_id]
    if who in pack.actors:
        return flow.source == who or who in _ancestors(pack, flow.source)
    return who in pack.controllers_of(flow)


def _ancestors(pack: Pack, actor: str) -> set[str]:
    out, cur = set(), pack.actors[actor].part_of
    while cur and cur not in out:
        out.add(cur)
        cur = pack.actors[cur].part_of if cur in pack.actors else None
    return out


def resolve_controller(pack: Pack, who: str | None) -> str | None:
    """A jurisdiction id, level name (city/state/federal) or actor id for --controllable-by."""
    if not who:
        return None
    low = who.strip().lower()
    if low in pack.jurisdictions or low in pack.actors:
        return low
    levels = [j.id for j in pack.jurisdictions.values() if j.level == low]
    if len(levels) == 1:
        return levels[0]
    used = {j for f in pack.flows.values() for j in pack.controllers_of(f)}
    options = sorted(used) + sorted({j.level for j in pack.jurisdictions.values()})
    raise GraphflowError(
        f"--controllable-by {who!r}: no jurisdiction, level or actor of that name in pack "
        f"{pack.id}", hint=did_you_mean(who, options) or "one of: " + ", ".join(options),
    )


def flow_weight(pack: Pack, flow_id: str, weighted: bool) -> int:
    return BASIS_WEIGHTS.get(pack.flows[flow_id].basis, 3) if weighted else 1


def minimum_cut(pack: Pack, routes: Sequence[Route], who: str | None = None,
                weighted: bool = False, protect: frozenset[str] = frozenset()) -> CutResult:
    """A minimum set of flows that disconnects every route given.
    Flows in ``protect`` (e.g. the trigger event's own flows: the premise) are never cut."""
    def cuttable(fid: str) -> bool:
        return fid not in protect and controllable(pack, fid, who)

    if not routes:
        return CutResult(True, [], 0, [], controllable_by=who)
    g = nx.DiGraph()
    pair_flows: dict[tuple[str, str], set[str]] = {}
    for route in routes:
        for fid in route.flows:
            f = pack.flows[fid]
            pair_flows.setdefault((f.source, f.target), set()).add(fid)
        g.add_edge(route.nodes[-1], _SINK)  # no capacity attribute = infinite
    for (u, v), fids in pair_flows.items():
        if all(cuttable(fid) for fid in fids):
            g.add_edge(u, v, capacity=sum(flow_weight(pack, fid, weighted) for fid in fids))
        else:
            g.add_edge(u, v)
    source = routes[0].nodes[0]
    try:
        cost, (reach, _) = nx.minimum_cut(g, source, _SINK)
    except nx.NetworkXUnbounded:
        remaining = [r for r in routes if not any(cuttable(f) for f in r.flows)]
        if remaining:
            return CutResult(False, [], float("inf"), list(routes), remaining, who)
        # every route has a flow we may close, but the union graph has an uncloseable bypass
        # that is not itself a route here: fall back to a greedy hitting set of the routes
        return _greedy(pack, routes, cuttable, weighted, who)
    cut = sorted(
        fid for (u, v), fids in pair_flows.items() if u in reach and v not in reach
        for fid in fids
    )
    return CutResult(True, cut, cost, list(routes), [], who)


def cut_dict(pack: Pack, result: CutResult, weighted: bool,
             protect: frozenset[str] = frozenset()) -> dict[str, Any]:
    """JSON-able cut report with each flow's evidence and the routes it stops."""
    from graphflow.report.routes import citation_dict

    flows = []
    for fid in result.flows:
        f = pack.flows[fid]
        flows.append({
            "flow": fid, "name": f.name, "from": f.source, "to": f.target,
            "data": list(f.data), "basis": f.basis, "weight": flow_weight(pack, fid, weighted),
            "controlled_by": list(pack.controllers_of(f)),
            "routes_stopped": sum(fid in r.flows for r in result.routes),
            "sources": [citation_dict(pack, c) for c in f.citations],
        })
    remaining = []
    for r in result.remaining:
        remaining.append({
            "route": r.id, "status": r.status.value, "nodes": list(r.nodes),
            "why": [_why(pack, fid, protect) for fid in r.flows],
        })
    return {
        "exists": result.exists, "controllable_by": result.controllable_by,
        "weighted": weighted, "weights": BASIS_WEIGHTS if weighted else None,
        "cost": None if not result.exists else result.cost,
        "routes_to_stop": len(result.routes), "protected": sorted(protect),
        "cut": flows, "remaining": remaining,
    }


def _why(pack: Pack, fid: str, protect: frozenset[str]) -> str:
    ctrl = ", ".join(pack.controllers_of(pack.flows[fid])) or "no jurisdiction"
    extra = " (the trigger's own flow: not cut)" if fid in protect else ""
    return f"{fid}: controlled by {ctrl}{extra}"


def _greedy(pack: Pack, routes: Sequence[Route], cuttable, weighted: bool,
            who: str | None) -> CutResult:
    """Greedy hitting set: repeatedly close the cheapest flow stopping the most routes."""
    left = list(routes)
    chosen: list[str] = []
    cost = 0.0
    while left:
        counts: dict[str, int] = {}
        for r in left:
            for fid in set(r.flows):
                if cuttable(fid):
                    counts[fid] = counts.get(fid, 0) + 1
        best = max(sorted(counts), key=lambda f: counts[f] / flow_weight(pack, f, weighted))
        chosen.append(best)
        cost += flow_weight(pack, best, weighted)
        left = [r for r in left if best not in r.flows]
    return CutResult(True, sorted(chosen), cost, list(routes), [], who)
