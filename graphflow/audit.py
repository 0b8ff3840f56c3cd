"""Route queries: the one place that joins an engine's routes with the core's statuses."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphflow.core.model import Pack
from graphflow.core.names import resolve_actor, resolve_profile
from graphflow.core.routes import ORDERS, Route, build_route, sort_key
from graphflow.core.status import STATUS_NAMES, Status, StatusEvaluator
from graphflow.engines.base import RouteEngine
from graphflow.errors import GraphflowError, did_you_mean

DEFAULT_MAX_HOPS = 8


@dataclass
class RouteQuery:
    """What a user asks: from where to where, for whom, when, and which statuses to keep."""

    source: str
    target: str
    profile: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    as_of: dt.date = field(default_factory=dt.date.today)
    max_hops: int = DEFAULT_MAX_HOPS
    statuses: tuple[Status, ...] = ()
    limit: int | None = None
    order: str = "status"

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.source, "to": self.target, "profile": self.profile,
            "facts": self.facts, "as_of": self.as_of.isoformat(), "max_hops": self.max_hops,
            "status": [s.value for s in self.statuses] or None, "limit": self.limit,
            "order": self.order,
        }


@dataclass
class RouteReport:
    """The answer: routes with statuses, and a summary count per status."""

    query: RouteQuery
    routes: list[Route]
    summary: dict[str, int]
    engine: str
    targets: frozenset[str]


def parse_fact_value(pack: Pack, name: str, raw: str) -> Any:
    """Convert a `--set fact=value` string to the fact's type."""
    fact = pack.facts[name]
    text = raw.strip()
    if text.lower() in ("unknown", "null", "none", "?"):
        return None
    if fact.type == "boolean":
        low = text.lower()
        if low in ("true", "yes", "1", "y"):
            return True
        if low in ("false", "no", "0", "n"):
            return False
        raise GraphflowError(f"fact {name!r} is true or false, not {raw!r}",
                             hint="use true, false or unknown")
    if fact.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise GraphflowError(f"fact {name!r} is a whole number, not {raw!r}") from None
    if text not in fact.values:
        raise GraphflowError(f"{raw!r} is not a value of fact {name!r}",
                             hint=did_you_mean(text, fact.values)
                             or "values: " + ", ".join(fact.values))
    return text


def case_facts(pack: Pack, profile: str | None, sets: Sequence[str] = ()) -> tuple[
        str | None, dict[str, Any]]:
    """The facts of a case: a profile's facts overridden by `fact=value` settings."""
    facts: dict[str, Any] = {}
    pid = None
    if profile:
        pid = resolve_profile(pack, profile)
        facts.update(pack.profiles[pid].facts)
    for item in sets:
        if "=" not in item:
            raise GraphflowError(f"--set {item!r} is not fact=value",
                                 hint="e.g. --set judicial-warrant=true")
        name, raw = item.split("=", 1)
        name = name.strip()
        if name not in pack.facts:
            hint = did_you_mean(name, pack.facts) or "see `graphflow list facts`"
            raise GraphflowError(f"unknown fact {name!r}", hint=hint)
        facts[name] = parse_fact_value(pack, name, raw)
    return pid, {k: v for k, v in facts.items() if v is not None}


def parse_statuses(text: str | None) -> tuple[Status, ...]:
    """`open,conditional` -> (Status.OPEN, Status.CONDITIONAL)."""
    if not text:
        return ()
    out = []
    for part in text.split(","):
        name = part.strip().lower()
        if name not in STATUS_NAMES:
            raise GraphflowError(f"unknown status {part!r}",
                                 hint=did_you_mean(name, STATUS_NAMES)
                                 or "one of: " + ", ".join(STATUS_NAMES))
        out.append(Status(name))
    return tuple(out)


def make_query(
    pack: Pack, *, source: str | None, target: str | None, profile: str | None = None,
    sets: Sequence[str] = (), as_of: dt.date | None = None, max_hops: int = DEFAULT_MAX_HOPS,
    statuses: Sequence[Status] = (), limit: int | None = None, order: str = "status",
) -> RouteQuery:
    """Validate user input (names, facts, bounds) into a RouteQuery."""
    if max_hops < 1:
        raise GraphflowError(f"--max-hops must be at least 1, not {max_hops}",
                             hint=f"the default is {DEFAULT_MAX_HOPS}")
    if limit is not None and limit < 1:
        raise GraphflowError(f"--limit must be at least 1, not {limit}")
    if order not in ORDERS:
        raise GraphflowError(f"unknown order {order!r}", hint="one of: " + ", ".join(ORDERS))
    pid, facts = case_facts(pack, profile, sets)
    return RouteQuery(
        source=resolve_actor(pack, source or pack.default_trigger),
        target=resolve_actor(pack, target or pack.default_target),
        profile=pid, facts=facts, as_of=as_of or dt.date.today(), max_hops=max_hops,
        statuses=tuple(statuses), limit=limit, order=order,
    )


def iter_routes(pack: Pack, engine: RouteEngine, query: RouteQuery) -> Iterator[Route]:
    """Stream routes with statuses, in the engine's order (no sorting, bounded memory).
    When only open routes are wanted, branches through a non-open hop are cut early."""
    evaluator = StatusEvaluator(pack, query.facts, query.as_of)
    targets = frozenset(pack.descendants(query.target))
    allow = None
    if query.statuses and set(query.statuses) == {Status.OPEN}:
        def allow(flow_id: str) -> bool:
            return evaluator.hop(flow_id).status is Status.OPEN
    for flows in engine.routes(query.source, targets, query.max_hops, allow):
        route = build_route(pack, evaluator, flows)
        if not query.statuses or route.status in query.statuses:
            yield route


def run_query(pack: Pack, engine: RouteEngine, query: RouteQuery) -> RouteReport:
    """All routes for a query, sorted, with the summary over every status."""
    evaluator = StatusEvaluator(pack, query.facts, query.as_of)
    targets = frozenset(pack.descendants(query.target))
    summary = {s: 0 for s in STATUS_NAMES}
    kept: list[Route] = []
    for flows in engine.routes(query.source, targets, query.max_hops):
        route = build_route(pack, evaluator, flows)
        summary[route.status.value] += 1
        if not query.statuses or route.status in query.statuses:
            kept.append(route)
    kept.sort(key=lambda r: sort_key(r, query.order, pack))
    if query.limit is not None:
        kept = kept[: query.limit]
    return RouteReport(query, kept, summary, engine.name, targets)


def first_routes(pack: Pack, engine: RouteEngine, query: RouteQuery, n: int) -> list[Route]:
    """The first n streamed routes (no global sort)."""
    return list(itertools.islice(iter_routes(pack, engine, query), n))


def summarise(routes: Sequence[Route]) -> Mapping[str, int]:
    counts = {s: 0 for s in STATUS_NAMES}
    for r in routes:
        counts[r.status.value] += 1
    return counts
