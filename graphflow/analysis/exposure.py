"""Exposure: which data items reach the target, by which routes, how fast, how well sourced.

"How fast" is the fastest recorded latency: the total of a route's hop latencies
(``latency_hours``) when every hop of the route records one. When no route carrying an item
records a latency on every hop, the item's fastest latency is unknown and the entry says why:
which hops record none, and the hop latencies that are recorded (a lower bound is never passed
off as the latency).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphflow.core.model import Pack
from graphflow.core.routes import Route

MAX_NAMED = 5  # hops without a latency named in the explanation


def route_latency(pack: Pack, route: Route) -> float | None:
    """Hours along a route when every hop records a latency, else None (unknown)."""
    total = 0.0
    for fid in route.flows:
        hours = pack.flows[fid].latency_hours
        if hours is None:
            return None
        total += hours
    return total


def _latency_why(pack: Pack, rs: list[Route]) -> str:
    unknown = sorted({f for r in rs for f in r.flows if pack.flows[f].latency_hours is None})
    recorded = sorted({f for r in rs for f in r.flows
                       if pack.flows[f].latency_hours is not None})
    named = ", ".join(unknown[:MAX_NAMED]) + (f" and {len(unknown) - MAX_NAMED} more"
                                             if len(unknown) > MAX_NAMED else "")
    text = (f"no route carrying it records a latency on every hop; {len(unknown)} hop(s) "
            f"record none ({named})")
    if recorded:
        text += "; recorded: " + ", ".join(
            f"{f} {pack.flows[f].latency_hours:g} h" for f in recorded)
    return text


def exposure(pack: Pack, routes: Iterable[Route]) -> list[dict[str, Any]]:
    """One entry per data item that reaches the target on the last hop of some route."""
    items: dict[str, list[Route]] = {}
    for r in routes:
        for d in r.data:
            items.setdefault(d, []).append(r)
    out = []
    for item, rs in sorted(items.items()):
        timed = [(x, r.id) for r in rs if (x := route_latency(pack, r)) is not None]
        statuses = sorted({r.status.value for r in rs})
        best = max(rs, key=lambda r: (-r.status.severity, r.confidence.rank, -len(r.flows)))
        di = pack.data_items.get(item)
        notes = sorted({pack.flows[f].latency for r in rs for f in r.flows
                        if pack.flows[f].latency})
        fastest = min(timed) if timed else None
        out.append({
            "data": item, "name": di.name if di else item, "routes": len(rs),
            "statuses": statuses, "route_ids": [r.id for r in rs],
            "fastest_hours": fastest[0] if fastest else None,
            "fastest_route": fastest[1] if fastest else None,
            "latency_unknown_why": None if fastest else _latency_why(pack, rs),
            "latency_notes": notes,
            "weakest_confidence": min(rs, key=lambda r: r.confidence.rank).confidence.value,
            "best_route": best.id, "best_route_status": best.status.value,
            "best_route_confidence": best.confidence.value,
            "best_route_nodes": list(best.nodes),
            "sources": _sources(pack, best),
        })
    return out


def _sources(pack: Pack, route: Route) -> list[dict[str, Any]]:
    """The first citation of each hop of the item's best route."""
    from graphflow.packs.references import citation_dict

    out = []
    for fid in route.flows:
        cits = pack.flows[fid].citations
        if cits:
            out.append({"flow": fid, **citation_dict(pack, cits[0])})
    return out
