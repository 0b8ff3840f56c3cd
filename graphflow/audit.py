"""Route queries: the one place that joins an engine's routes with the core's statuses."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from graphflow.core.evidence import STATES as EVIDENCE_STATES
from graphflow.core.model import Pack
from graphflow.core.names import resolve_actor, resolve_profile
from graphflow.core.routes import ORDERS, Route, RouteBuilder, sort_key
from graphflow.core.status import (
    BY_SEVERITY,
    STATUS_NAMES,
    STOP,
    Status,
    StatusEvaluator,
    fold_level,
)
from graphflow.engines.base import HopLevel, RouteEngine, RouteWalker, Walked
from graphflow.errors import GraphflowError, did_you_mean
from graphflow.tuning import paused_gc

DEFAULT_MAX_HOPS = 8
MAX_HOPS_LIMIT = 32
"""The longest route any query may ask for, from the CLI or from Python (the store's own bound,
store/engine.MAX_HOPS_LIMIT, is the same; a test checks they agree)."""
_BY_SEVERITY = BY_SEVERITY


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
    evidence_horizon: int | None = None  # months; None: the pack's

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.source, "to": self.target, "profile": self.profile,
            "facts": self.facts, "as_of": self.as_of.isoformat(), "max_hops": self.max_hops,
            "status": [s.value for s in self.statuses] or None, "limit": self.limit,
            "order": self.order, "evidence_horizon_months": self.evidence_horizon,
        }


@dataclass
class RouteReport:
    """The answer: routes with statuses, and a summary count per status."""

    query: RouteQuery
    routes: list[Route]
    summary: dict[str, int]
    engine: str
    targets: frozenset[str]
    open_evidence: dict[str, int] | None = None  # open routes per evidence state


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
    if fact.type == "date":
        from graphflow.core.dates import parse_date

        if text.lower() != "none":
            parse_date(text, where=f"--set {name}")
        return text.lower() if text.lower() == "none" else text
    if fact.type == "set":
        values = [v.strip() for v in text.split(",") if v.strip()]
        bad = [v for v in values if fact.values and v not in fact.values]
        if bad:
            raise GraphflowError(f"{bad[0]!r} is not a value of fact {name!r}",
                                 hint=did_you_mean(bad[0], fact.values)
                                 or "values: " + ", ".join(fact.values))
        return values
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
    evidence_horizon: int | None = None,
) -> RouteQuery:
    """Validate user input (names, facts, bounds) into a RouteQuery."""
    if isinstance(max_hops, bool) or not isinstance(max_hops, int):
        raise GraphflowError(f"--max-hops must be a whole number, not {str(max_hops)[:40]!r}",
                             hint=f"the default is {DEFAULT_MAX_HOPS}")
    if max_hops < 1:
        raise GraphflowError(f"--max-hops must be at least 1, not {max_hops}",
                             hint=f"the default is {DEFAULT_MAX_HOPS}")
    if max_hops > MAX_HOPS_LIMIT:
        raise GraphflowError(f"--max-hops must be at most {MAX_HOPS_LIMIT}, not {max_hops}",
                             hint="longer routes are not searched; see docs/pack-format.md")
    if limit is not None and limit < 1:
        raise GraphflowError(f"--limit must be at least 1, not {limit}")
    if order not in ORDERS:
        raise GraphflowError(f"unknown order {order!r}", hint="one of: " + ", ".join(ORDERS))
    if evidence_horizon is not None and not 0 <= evidence_horizon <= 1200:
        raise GraphflowError(f"--evidence-horizon must be 0 to 1200 months, "
                             f"not {evidence_horizon}", hint="e.g. --evidence-horizon 24")
    pid, facts = case_facts(pack, profile, sets)
    return RouteQuery(
        source=resolve_actor(pack, source or pack.default_trigger, "--from"),
        target=resolve_actor(pack, target or pack.default_target, "--to"),
        profile=pid, facts=facts, as_of=as_of or dt.date.today(), max_hops=max_hops,
        statuses=tuple(statuses), limit=limit, order=order, evidence_horizon=evidence_horizon,
    )


def _levels(pack: Pack, query: RouteQuery) -> tuple[StatusEvaluator, HopLevel]:
    """The query's evaluator, and a hop's status severity as the engine's hop level."""
    evaluator = StatusEvaluator(pack, query.facts, query.as_of, query.evidence_horizon)
    hop = evaluator.hop

    def level(flow_id: str) -> int:
        return hop(flow_id).status.severity
    return evaluator, level


def _walk(engine: RouteEngine, query: RouteQuery, targets: frozenset[str], level: HopLevel,
          cap: int | None = None, length: int | None = None,
          make: RouteBuilder | None = None) -> Iterator[Walked]:
    """(flow ids, route severity, prefix fold) from an engine: its own walker when it has one
    (folding ``make``'s prefix along its stack), else its ``routes`` with the cap as the
    ``allow`` hook (and no prefix: ``make`` folds it per route)."""
    if isinstance(engine, RouteWalker):
        if make is None:
            return engine.walk(query.source, targets, query.max_hops, level, cap, length)
        return engine.walk(query.source, targets, query.max_hops, level, cap, length,
                           make.fold, make.seed(query.source))
    return _walk_routes(engine, query, targets, level, cap, length)


def _walk_routes(engine: RouteEngine, query: RouteQuery, targets: frozenset[str],
                 level: HopLevel, cap: int | None, length: int | None) -> Iterator[Walked]:
    # Below STOP every hop of a kept route is at most the cap, so branches can be cut there;
    # from STOP on, a hop after the first stop does not matter and nothing can be cut.
    allow = None if cap is None or cap >= STOP else (lambda f: level(f) <= cap)
    for flows in engine.routes(query.source, targets, query.max_hops, allow):
        if length is None or len(flows) == length:
            lvl = 0
            for f in flows:
                lvl = fold_level(lvl, level(f))
            if cap is None or lvl <= cap:
                yield tuple(flows), lvl, None


def _cap(query: RouteQuery) -> int | None:
    """The highest severity the query keeps: hops above it can be cut (statuses only grow)."""
    return max(s.severity for s in query.statuses) if query.statuses else None


def _walk_query(pack: Pack, engine: RouteEngine, query: RouteQuery) -> Iterator[Walked]:
    _, level = _levels(pack, query)
    targets = frozenset(pack.descendants(query.target))
    return _walk(engine, query, targets, level, _cap(query))


def walk_statuses(pack: Pack, engine: RouteEngine, query: RouteQuery,
                  ) -> Iterator[tuple[tuple[str, ...], Status]]:
    """Stream (flow ids, route status) for the routes the query keeps, statuses folded in
    along the search; no Route objects are built (bounded memory)."""
    keep = {s.severity for s in query.statuses} or set(_BY_SEVERITY)
    by = _BY_SEVERITY
    return ((flows, by[sev]) for flows, sev, _ in _walk_query(pack, engine, query)
            if sev in keep)


def iter_routes(pack: Pack, engine: RouteEngine, query: RouteQuery) -> Iterator[Route]:
    """Stream routes with statuses, in the engine's order (no sorting, bounded memory).
    Statuses are evaluated along the search, and when only some statuses are wanted, branches
    through a hop more restrictive than all of them are cut early."""
    evaluator, level = _levels(pack, query)
    make = RouteBuilder(pack, evaluator)
    targets = frozenset(pack.descendants(query.target))
    keep = {s.severity for s in query.statuses} or set(_BY_SEVERITY)
    walked = _walk(engine, query, targets, level, _cap(query), make=make)
    return (make(flows, acc) for flows, sev, acc in walked if sev in keep)


def count_routes(pack: Pack, engine: RouteEngine, query: RouteQuery) -> dict[str, int]:
    """Routes per status (the query's status filter applies), counted while streaming."""
    keep = {s.severity for s in query.statuses} or set(_BY_SEVERITY)
    counts = [0] * len(STATUS_NAMES)
    for _, sev, _ in _walk_query(pack, engine, query):
        counts[sev] += 1
    return {s.value: (counts[s.severity] if s.severity in keep else 0) for s in Status}


def top_routes(pack: Pack, engine: RouteEngine, query: RouteQuery, k: int) -> list[Route]:
    """The first k routes of the query's sorted list (as run_query sorts them), found level by
    level: by status then length ("status", "ranked"), or by length ("hops"). Only the routes
    of the levels before the k-th route are built; "confidence" and "impact" keep a heap of
    k."""
    if k < 1:
        return []
    evaluator, level = _levels(pack, query)
    make = RouteBuilder(pack, evaluator)
    targets = frozenset(pack.descendants(query.target))
    order = query.order
    keep = sorted({s.severity for s in query.statuses} or range(len(STATUS_NAMES)))

    def key(route: Route) -> tuple:
        return sort_key(route, order, pack)

    if order in ("confidence", "impact") or not isinstance(engine, RouteWalker):
        routes = (make(flows, acc) for flows, sev, acc in
                  _walk(engine, query, targets, level, _cap(query), make=make) if sev in keep)
        with paused_gc():
            return heapq.nsmallest(k, routes, key=key)
    if order == "hops":
        levels = [(length, keep[-1]) for length in range(1, query.max_hops + 1)]
    else:
        levels = [(length, s) for s in keep for length in range(1, query.max_hops + 1)]
    out: list[Route] = []
    with paused_gc():  # hop statuses and routes: long-lived, no cycles (when tuning is on)
        for length, cap in levels:
            bucket = [make(flows, acc) for flows, sev, acc in
                      _walk(engine, query, targets, level, cap, length, make)
                      if sev in keep and (order == "hops" or sev == cap)]
            bucket.sort(key=key)
            out.extend(bucket[: k - len(out)])
            if len(out) >= k:
                break
    return out


def run_query(pack: Pack, engine: RouteEngine, query: RouteQuery) -> RouteReport:
    """All routes for a query, sorted, with the summary over every status. With a limit, only
    the first routes are built (top_routes) and the summary is counted while streaming."""
    targets = frozenset(pack.descendants(query.target))
    if query.limit is not None:
        summary = count_routes(pack, engine, replace(query, statuses=()))
        kept = top_routes(pack, engine, query, query.limit)
        return RouteReport(query, kept, summary, engine.name, targets,
                           open_evidence_counts(pack, engine, query))
    evaluator, level = _levels(pack, query)
    make = RouteBuilder(pack, evaluator)
    summary = {s: 0 for s in STATUS_NAMES}
    keep = set(query.statuses)
    kept: list[Route] = []
    ev_counts = [0] * len(EVIDENCE_STATES)
    ev_rank = _evidence_rank(evidence_rank_of(evaluator))
    with paused_gc():  # many long-lived objects and no cycles (when tuning is on)
        for flows, sev, acc in _walk(engine, query, targets, level, make=make):
            status = _BY_SEVERITY[sev]
            summary[status.value] += 1
            if sev == 0:
                ev_counts[ev_rank(flows)] += 1
            if not keep or status in keep:
                kept.append(make(flows, acc))
        kept.sort(key=lambda r: sort_key(r, query.order, pack))
    return RouteReport(query, kept, summary, engine.name, targets,
                       dict(zip(EVIDENCE_STATES, ev_counts, strict=True)))


def evidence_rank_of(evaluator: StatusEvaluator) -> HopLevel:
    """A flow's evidence rank (0 current, 1 stale, 2 unverified), cached per flow."""
    ranks: dict[str, int] = {}

    def rank(flow_id: str) -> int:
        r = ranks.get(flow_id)
        if r is None:
            r = ranks[flow_id] = evaluator.evidence(flow_id).rank
        return r
    return rank


def _evidence_rank(rank: HopLevel) -> Callable[[tuple[str, ...]], int]:
    def route_rank(flows: tuple[str, ...]) -> int:
        return max(map(rank, flows))
    return route_rank


def open_evidence_counts(pack: Pack, engine: RouteEngine, query: RouteQuery) -> dict[str, int]:
    """Open routes per evidence state (current, stale, unverified), counted while streaming
    only the open routes (branches cut at the first hop that is not open)."""
    evaluator, level = _levels(pack, query)
    route_rank = _evidence_rank(evidence_rank_of(evaluator))
    targets = frozenset(pack.descendants(query.target))
    counts = [0] * len(EVIDENCE_STATES)
    for flows, _, _ in _walk(engine, query, targets, level, 0):
        counts[route_rank(flows)] += 1
    return dict(zip(EVIDENCE_STATES, counts, strict=True))


def summarise(routes: Sequence[Route]) -> Mapping[str, int]:
    counts = {s: 0 for s in STATUS_NAMES}
    for r in routes:
        counts[r.status.value] += 1
    return counts


@contextmanager
def open_engine(name: str, pack: Pack) -> Iterator[RouteEngine]:
    """The route engine by name: the embedded one, or a Neo4j store opened from the
    environment (closed after). Chosen here, above both, so that no engine imports a store."""
    if name == "embedded":
        from graphflow.engines.embedded import EmbeddedEngine

        yield EmbeddedEngine(pack)
        return
    if name == "neo4j":
        try:
            from graphflow.store.engine import Neo4jEngine
        except ModuleNotFoundError as exc:
            raise GraphflowError("the neo4j backend is not available in this build") from exc
        engine = Neo4jEngine.from_env(pack)
        try:
            yield engine
        finally:
            engine.close()
        return
    raise GraphflowError(f"unknown backend {name!r}", hint="embedded or neo4j")
