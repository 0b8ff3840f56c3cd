"""Routes: an ordered list of flows from a trigger to the target, with status and evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphflow.core.evidence import Evidence, weakest_evidence
from graphflow.core.model import Confidence, Pack
from graphflow.core.status import (
    BY_SEVERITY,
    STOP,
    HopStatus,
    Status,
    StatusEvaluator,
    fold_level,
)

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
        return next((i for i, h in enumerate(self.hops) if h.status.severity >= STOP), None)

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


# A route's prefix as the builder folds it: nodes, hops, weakest confidence rank, level.
Prefix = tuple[tuple[str, ...], tuple[HopStatus, ...], int, int]
_BY_RANK = {c.rank: c for c in Confidence}


class RouteBuilder:
    """The one way routes are built: from flow ids and the evaluator's hop statuses, with the
    per-flow parts (hop status, target, confidence rank, data, severity) looked up once.

    ``fold``/``seed`` fold a prefix (every flow but the last): a walker that carries the fold
    along its search stack (``engines.base.RouteWalker``) computes it once per prefix, not
    once per route; ``__call__`` without a prefix folds it itself. The route status is the
    ``core.status.fold_level`` fold of its hops' severities."""

    def __init__(self, pack: Pack, evaluator: StatusEvaluator):
        self.flows = pack.flows
        self.evaluator = evaluator
        self.parts: dict[str, tuple[HopStatus, str, int, tuple[str, ...], int]] = {}

    def _part(self, flow_id: str) -> tuple[HopStatus, str, int, tuple[str, ...], int]:
        part = self.parts.get(flow_id)
        if part is None:
            flow = self.flows[flow_id]
            hop = self.evaluator.hop(flow_id)
            part = (hop, flow.target, flow.confidence.rank, flow.data, hop.status.severity)
            self.parts[flow_id] = part
        return part

    @staticmethod
    def seed(source: str) -> Prefix:
        return (source,), (), Confidence.DOCUMENTED.rank, 0

    def fold(self, acc: Prefix, flow_id: str) -> Prefix:
        hop, target, rank, _, sev = self._part(flow_id)
        return ((*acc[0], target), (*acc[1], hop), rank if rank < acc[2] else acc[2],
                fold_level(acc[3], sev))

    def __call__(self, flows: tuple[str, ...], acc: Prefix | None = None) -> Route:
        if acc is None:
            acc = self.seed(self.flows[flows[0]].source)
            for f in flows[:-1]:
                acc = self.fold(acc, f)
        hop, target, rank, data, sev = self._part(flows[-1])
        return Route(
            id=route_id(flows),
            flows=flows,
            nodes=(*acc[0], target),
            hops=(*acc[1], hop),
            status=BY_SEVERITY[fold_level(acc[3], sev)],
            confidence=_BY_RANK[rank if rank < acc[2] else acc[2]],
            data=data,
        )


def build_route(pack: Pack, evaluator: StatusEvaluator, flow_ids: Sequence[str]) -> Route:
    """Assemble a route from its flow ids, using the evaluator's hop statuses."""
    return RouteBuilder(pack, evaluator)(tuple(flow_ids))


ORDERS = ("impact", "status", "hops", "confidence", "ranked")
DEFAULT_ORDER = "impact"
# Mechanisms that need no one's decision: the information moves by itself once triggered.
AUTOMATIC = frozenset({"automatic", "routine", "custody-transfer"})
_MANUAL = ("discretionary", "on-request", "physical-presence")


def impact_key(route: Route, pack: Pack) -> tuple[Any, ...]:
    """The "impact" order (the default; docs/ranking.md): the routes that matter most for the
    person come first. After the status (open first):

    1. evidence state: current, then stale, then unverified (do the sources speak for the
       date?);
    2. confidence: documented, then reported, then alleged (how well sourced);
    3. how many hops depend on the person's facts (a hop with a ``when`` condition): a route
       that fires for everyone with this trigger comes before one that needs a court date;
    4. how many hops need someone's decision or presence (not automatic, routine or a custody
       transfer): automatic routes first;
    5. length, then the route id (a total order: the same input, the same list)."""
    flows = [pack.flows[f] for f in route.flows]
    conditioned = sum(f.when is not None for f in flows)
    manual = sum(f.mechanism not in AUTOMATIC for f in flows)
    return (route.status.severity, route.evidence.rank, -route.confidence.rank, conditioned,
            manual, len(route.flows), route.id)


def sort_key(route: Route, order: str, pack: Pack) -> tuple[Any, ...]:
    """Sort keys: by impact (the default, see ``impact_key``), by status (open first), by
    length, by confidence, or "ranked" (open, short, automatic and best-sourced first)."""
    if order == "impact":
        return impact_key(route, pack)
    if order == "hops":
        return (len(route.flows), route.status.severity, route.id)
    if order == "confidence":
        return (-route.confidence.rank, route.status.severity, len(route.flows), route.id)
    if order == "ranked":
        manual = sum(pack.flows[f].mechanism in _MANUAL for f in route.flows)
        return (route.status.severity, len(route.flows), manual, -route.confidence.rank, route.id)
    return (route.status.severity, len(route.flows), route.id)
