"""Exposure: which data items reach the target, by which routes, how fast, how well sourced."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core.model import Pack
from graphflow.core.routes import Route


def route_latency(pack: Pack, route: Route) -> float | None:
    """Hours along a route when every hop records a latency, else None (unknown)."""
    total = 0.0
    for fid in route.flows:
        hours = pack.flows[fid].latency_hours
        if hours is None:
            return None
        total += hours
    return total


def exposure(pack: Pack, routes: Sequence[Route]) -> list[dict[str, Any]]:
    """One entry per data item that reaches the target on the last hop of some route."""
    items: dict[str, list[Route]] = {}
    for r in routes:
        for d in r.data:
            items.setdefault(d, []).append(r)
    out = []
    for item, rs in sorted(items.items()):
        latencies = [x for x in (route_latency(pack, r) for r in rs) if x is not None]
        statuses = sorted({r.status.value for r in rs})
        best = max(rs, key=lambda r: (-r.status.severity, r.confidence.rank, -len(r.flows)))
        di = pack.data_items.get(item)
        notes = sorted({pack.flows[f].latency for r in rs for f in r.flows
                        if pack.flows[f].latency})
        out.append({
            "data": item, "name": di.name if di else item, "routes": len(rs),
            "statuses": statuses, "route_ids": [r.id for r in rs],
            "fastest_hours": min(latencies) if latencies else None,
            "latency_notes": notes,
            "weakest_confidence": min(rs, key=lambda r: r.confidence.rank).confidence.value,
            "best_route": best.id, "best_route_status": best.status.value,
            "best_route_confidence": best.confidence.value,
            "best_route_nodes": list(best.nodes),
        })
    return out
