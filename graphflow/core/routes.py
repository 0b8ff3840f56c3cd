"""Routes: an ordered list of flows from a trigger to the target, with status and evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphflow.core.evidence import Evidence, weakest_evidence
from graphflow.core.model import Confidence, Pack, weakest
from graphflow.core.status import HopStatus, Status, StatusEvaluator, route_status

ROUTE_ID_BITS = 64  # 40 bits collided on the national pack at 9 hops (2.3 million routes)


def route_id(flow_ids: Sequence[str]) -> str:
    """A stable id for a route, the same on every engine: "r-" and the first 64 bits of the
    SHA-1 of its flow ids joined by "/" (16 hex digits). The only place route ids are made."""
    return "r-" + hashlib.sha1("/".join(flow_ids).encode()).hexdigest()[: ROUTE_ID_BITS // 4]


@dataclass(frozen=True)
class Route:
    """One route with its per-hop statuses."""

    id: str
    flows: tuple[str, ...]
    nodes: tuple[str, ...]
    hops: tuple[HopStatus, ...]
    status: Status
    confidence: Confidence
    data: tuple[str, ...]

    @property
    def touched_by(self) -> list[str]:
        return list(dict.fromkeys(r for h in self.hops for r in h.touched_by))

    @cached_property
    def evidence(self) -> Evidence:
        """The route's evidence state: its weakest hop's (orthogonal to its status)."""
        return weakest_evidence([h.evidence for h in self.hops])

    @property
    def stop(self) -> int | None:
        """The index of the first hop that stops the information, if any."""
        return next((i for i, h in enumerate(self.hops) if h.status.severity >= 2), None)

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(m for h in self.hops for m in h.missing))

    @property
    def is_leak(self) -> bool:
        return self.status is Status.OPEN

    @property
    def practice_leak(self) -> bool:
        """Blocked or conditional only by rules that sources say are not followed: every hop
        that is not open has a reported practice of the flow happening anyway."""
        if self.status not in (Status.BLOCKED, Status.CONDITIONAL):
            return False
        closed = [h for h in self.hops if h.status is not Status.OPEN]
        return all(h.practice_reported for h in closed)

    @property
    def leak_kind(self) -> str | None:
        """Why an open route is open: no rule touches it, or its rules' conditions are met."""
        if not self.is_leak:
            return None
        return "conditions-met" if self.touched_by else "untouched"


def build_route(pack: Pack, evaluator: StatusEvaluator, flow_ids: Sequence[str]) -> Route:
    """Assemble a route from its flow ids, using the evaluator's hop statuses."""
    flows = [pack.flows[f] for f in flow_ids]
    hops = tuple(evaluator.hop(f) for f in flow_ids)
    nodes = (flows[0].source, *(f.target for f in flows))
    return Route(
        id=route_id(flow_ids),
        flows=tuple(flow_ids),
        nodes=nodes,
        hops=hops,
        status=route_status([h.status for h in hops]),
        confidence=weakest([f.confidence for f in flows]),
        data=flows[-1].data,
    )


ORDERS = ("status", "hops", "confidence", "ranked")


def sort_key(route: Route, order: str, pack: Pack) -> tuple[Any, ...]:
    """Sort keys: by status (open first), by length, by confidence, or a ranked blend."""
    if order == "hops":
        return (len(route.flows), route.status.severity, route.id)
    if order == "confidence":
        return (-route.confidence.rank, route.status.severity, len(route.flows), route.id)
    if order == "ranked":
        manual = sum(
            pack.flows[f].mechanism in ("discretionary", "on-request", "physical-presence")
            for f in route.flows
        )
        return (route.status.severity, len(route.flows), manual, -route.confidence.rank, route.id)
    return (route.status.severity, len(route.flows), route.id)
