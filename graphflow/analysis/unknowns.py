"""What would change the answer: the unknown facts that decide routes, and other triggers.

``deciding_facts`` walks only the query's *conditional* routes (routes already open or closed
cannot be changed by a fact the case does not know: it only ever asks about routes that are
not settled), and for every unknown fact they depend on, tries each value the fact can take
(true/false, the values of an enum) and counts the routes that value settles: open, or closed
(not triggered, blocked). Facts whose values cannot be listed (dates, numbers, sets) count as
deciding the routes whose conditions test them. The list is ranked by how many routes a fact
decides.

``trigger_hint`` says when a case cannot fire the query's trigger at all (every flow out of
it is not triggered or inactive for these facts), and which other trigger events of the pack
fire for the same case and have routes to the target.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from typing import Any

from graphflow.audit import RouteQuery, iter_routes
from graphflow.core.model import Pack
from graphflow.core.status import STOP, Status, StatusEvaluator, route_status
from graphflow.engines.base import RouteEngine

NAMED_ROUTES = 12  # routes named per fact (the count is always complete)


@dataclass
class Decider:
    """One unknown fact and the conditional routes it decides."""

    fact: str
    count: int = 0
    routes: list[str] = field(default_factory=list)  # the NAMED_ROUTES smallest route ids
    flows: dict[str, list[str]] = field(default_factory=dict)  # route id -> hops needing it
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)  # value -> status -> n
    tested: bool = True  # False: the values cannot be listed (date, number, set)

    def as_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "decides": self.count, "routes": list(self.routes),
                "via": {r: self.flows[r] for r in self.routes if r in self.flows},
                "if": self.outcomes if self.tested else None}


def _values(pack: Pack, fact_id: str) -> list[Any] | None:
    fact = pack.facts.get(fact_id)
    if fact is None:
        return None
    if fact.type == "boolean":
        return [True, False]
    if fact.type == "enum" and fact.values:
        return list(fact.values)
    return None


def _key(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def deciding_facts(pack: Pack, engine: RouteEngine, query: RouteQuery) -> list[Decider]:
    """The unknown facts that decide at least one of the query's conditional routes, most
    routes first (then by fact id). Computed from the pack's conditions, never from text."""
    conditional = replace(query, statuses=(Status.CONDITIONAL,), limit=None)
    horizon = query.evidence_horizon
    evaluators: dict[tuple[str, str], StatusEvaluator] = {}
    found: dict[str, Decider] = {}
    for route in iter_routes(pack, engine, conditional):
        for fact in route.missing:
            dec = found.setdefault(fact, Decider(fact))
            values = _values(pack, fact)
            if values is None:
                dec.tested = False
                settles = True
            else:
                settles = False
                for value in values:
                    key = (fact, _key(value))
                    ev = evaluators.get(key)
                    if ev is None:
                        ev = evaluators[key] = StatusEvaluator(
                            pack, {**query.facts, fact: value}, query.as_of, horizon)
                    status = route_status(ev.hop(f).status for f in route.flows)
                    word = "open" if status is Status.OPEN else (
                        "conditional" if status is Status.CONDITIONAL else "closed")
                    tally = dec.outcomes.setdefault(_key(value), {})
                    tally[word] = tally.get(word, 0) + 1
                    settles = settles or status is not Status.CONDITIONAL
            if not settles:
                continue
            dec.count += 1
            # name the routes with the smallest ids: the same names whatever order the engine
            # streams the routes in (embedded and Neo4j agree)
            if len(dec.routes) < NAMED_ROUTES or route.id < dec.routes[-1]:
                bisect.insort(dec.routes, route.id)
                dec.flows[route.id] = [h.flow for h in route.hops if fact in h.missing]
                if len(dec.routes) > NAMED_ROUTES:
                    dec.flows.pop(dec.routes.pop())
    # a fact counted only on routes it does not settle alone decides nothing by itself
    out = [d for d in found.values() if d.count]
    out.sort(key=lambda d: (-d.count, d.fact))
    return out


def trigger_hint(pack: Pack, engine: RouteEngine, query: RouteQuery) -> dict[str, Any] | None:
    """When the case cannot fire the query's trigger: why (the first flows' statuses and
    reasons), and the pack's other trigger events that do fire for the same case, with their
    routes to the target per status: first those with the most routes that a known fact of
    the case decides (the case's facts matter there), then the most open. None when the
    trigger can fire."""
    evaluator = StatusEvaluator(pack, query.facts, query.as_of, query.evidence_horizon)
    first = [f.id for f in pack.flows.values() if f.source == query.source]
    if not first:
        return None
    hops = [evaluator.hop(f) for f in first]
    if any(h.status.severity < STOP for h in hops):
        return None
    triggers = []
    events = [a.id for a in pack.actors.values() if a.kind == "event" and a.id != query.source]
    for actor in sorted(events):
        fires = [f.id for f in pack.flows.values() if f.source == actor
                 and evaluator.hop(f.id).status.severity < STOP]
        if not fires:
            continue
        counts = dict.fromkeys((st.value for st in Status), 0)
        known = 0  # routes whose status a known fact of the case decides
        for route in iter_routes(pack, engine, replace(query, source=actor, statuses=(),
                                                       limit=None)):
            counts[route.status.value] += 1
            known += any(r.facts for h in route.hops for r in h.reasons)
        if sum(counts.values()):
            triggers.append({"from": actor, "routes": counts, "decided_by_case": known})
    triggers.sort(key=lambda t: (-t["decided_by_case"], -t["routes"]["open"],
                                 -t["routes"]["conditional"], -sum(t["routes"].values()),
                                 t["from"]))
    return {"from": query.source, "profile": query.profile,
            "first_hops": [{"flow": h.flow, "status": h.status.value,
                            "reasons": [r.as_dict() for r in h.reasons]} for h in hops],
            "try": triggers}
