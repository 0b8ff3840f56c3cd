"""graphflow's public Python API: open a pack, ask it questions, get typed answers.

    >>> import graphflow
    >>> audit = graphflow.open_pack("nyc")
    >>> leaks = audit.leaks("nypd-arrest", "ice", profile="fare-evasion", as_of="2017-03-01")
    >>> leaks.summary["open"] > 0
    True

Every answer is a frozen dataclass with ``to_dict()`` (exactly what the matching command prints
with ``--format json``), ``to_dataframe()`` (pandas, the optional extra
``pip install 'graphflow[dataframe]'``) and ``to_networkx()`` (the routes as a
``networkx.MultiDiGraph``: actors as nodes, one edge per flow, keyed by flow id). The command
line (``graphflow.cli``) only parses options, calls this module and formats what it returns;
the query logic (practice leaks, what-if comparisons, counts, trigger protection) lives here,
once. A research tool, not legal advice.

Layering: this module is the library's face. It sits on ``audit`` and ``analysis``, and uses
``report`` only for the documented JSON shape (``report.routes.report_dict`` and friends), so
``to_dict()`` and the CLI's JSON cannot drift apart; nothing below it imports it, and it imports
nothing from ``cli``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graphflow.audit import (
    DEFAULT_MAX_HOPS,
    RouteQuery,
    RouteReport,
    count_routes,
    make_query,
    open_evidence_counts,
    parse_statuses,
    run_query,
)
from graphflow.core.model import Pack
from graphflow.core.routes import DEFAULT_ORDER, Route
from graphflow.core.status import Status
from graphflow.errors import GraphflowError

__all__ = [
    "Audit", "Counts", "Cut", "Diff", "Explanation", "Exposure", "Routes", "Timeline",
    "WhatIf", "open_pack",
]

BACKENDS = ("embedded", "neo4j")
Track = Callable[[Iterator[Any]], Iterator[Any]]
PRACTICE_STATUSES = (Status.OPEN, Status.CONDITIONAL, Status.BLOCKED)
KEEP_ROUTES = 20_000  # routes a cut keeps for to_networkx (beyond that: streamed, none kept)


def open_pack(pack: str | Path | Pack = "nyc", *, backend: str = "embedded",
              track: Track | None = None) -> Audit:
    """Open a pack by bundled name ("nyc", "connecticut") or folder, for route questions.

    ``backend`` is "embedded" (in memory, the default) or "neo4j" (a store opened from
    NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE for each question). ``track``,
    if given, sees every stream of walked routes (the CLI counts them for its progress line).
    """
    if backend not in BACKENDS:
        from graphflow.errors import did_you_mean

        raise GraphflowError(f"unknown backend {backend!r}",
                             hint=did_you_mean(backend, BACKENDS) or "embedded or neo4j")
    if not isinstance(pack, Pack):
        from graphflow.packs.loader import load_pack

        pack = load_pack(pack)
    return Audit(pack, backend, track)


# ----------------------------------------------------------------------------- results


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise GraphflowError(
            "to_dataframe() needs pandas, which is not installed",
            hint="pip install 'graphflow[dataframe]' (or pip install pandas)") from None
    return pandas


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> Any:
    return _pandas().DataFrame(rows, columns=list(columns))


def _route_row(route: Route) -> dict[str, Any]:
    return {
        "route": route.id, "status": route.status.value, "evidence": route.evidence.state,
        "confidence": route.confidence.value, "hops": len(route.flows),
        "leak": route.is_leak, "practice_leak": route.practice_leak,
        "from": route.nodes[0], "to": route.nodes[-1], "path": " → ".join(route.nodes),
        "flows": list(route.flows), "data": list(route.data),
    }


ROUTE_COLUMNS = ("route", "status", "evidence", "confidence", "hops", "leak", "practice_leak",
                 "from", "to", "path", "flows", "data")


def routes_graph(pack: Pack, routes: Iterable[Route], /, **graph: Any) -> Any:
    """The actors and flows of some routes as a ``networkx.MultiDiGraph``.

    Nodes carry ``name``, ``kind`` and ``level``; each flow is one edge keyed by its id, with
    ``data``, ``mechanism``, ``status`` (its hop status on the first route through it) and
    ``routes`` (the ids of the routes through it). ``graph["routes"]`` lists each route's id,
    status, evidence state and flows."""
    import networkx as nx

    g = nx.MultiDiGraph(**graph)
    listed = []
    for route in routes:
        listed.append({"id": route.id, "status": route.status.value,
                       "evidence": route.evidence.state, "flows": list(route.flows)})
        for node in route.nodes:
            if node not in g:
                a = pack.actors[node]
                g.add_node(node, name=a.name, kind=a.kind, level=a.level)
        for fid, hop in zip(route.flows, route.hops, strict=True):
            f = pack.flows[fid]
            if g.has_edge(f.source, f.target, key=fid):
                g.edges[f.source, f.target, fid]["routes"].append(route.id)
            else:
                g.add_edge(f.source, f.target, key=fid, data=list(f.data),
                           mechanism=f.mechanism, status=hop.status.value, routes=[route.id])
    g.graph["routes"] = listed
    return g


@dataclass(frozen=True)
class Routes:
    """Routes from a trigger to a target for one case on one date (``graphflow routes`` and
    ``graphflow leaks``). With a what-if scenario, also the pack's own summary and the routes
    whose status the scenario changes."""

    pack: Pack
    report: RouteReport
    scenario: Any = None  # analysis.whatif.Scenario, when one was given
    before_summary: Mapping[str, int] | None = None
    changes: tuple[Any, ...] = ()  # analysis.compare.RouteChange
    deciders: tuple[Any, ...] = ()  # analysis.unknowns.Decider: what would change the answer
    trigger_hint: Mapping[str, Any] | None = None  # when the case cannot fire the trigger

    @property
    def routes(self) -> list[Route]:
        return self.report.routes

    @property
    def query(self) -> RouteQuery:
        return self.report.query

    @property
    def summary(self) -> dict[str, int]:
        """Routes per status, over every status (whatever the status filter and limit)."""
        return dict(self.report.summary)

    @property
    def open_by_evidence(self) -> dict[str, int] | None:
        """Open routes per evidence state (current, stale, unverified)."""
        ev = self.report.open_evidence
        return None if ev is None else dict(ev)

    def __len__(self) -> int:
        return len(self.report.routes)

    def __iter__(self) -> Iterator[Route]:
        return iter(self.report.routes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``graphflow routes|leaks --format json`` (JSON ``version`` 2)."""
        from graphflow.report.routes import hint_words, report_dict

        out = report_dict(self.pack, self.report)
        out["what_would_change"] = [d.as_dict() for d in self.deciders]
        hint = None
        if self.trigger_hint is not None:
            hint = dict(self.trigger_hint)
            hint["message"] = hint_words(self.pack, hint, self.query.as_of)
        out["trigger_hint"] = hint
        if self.scenario is not None and not self.scenario.empty:
            out["scenario"] = self.scenario.as_dict()
            if hasattr(self.scenario, "details"):
                out["what_if"] = self.scenario.details()
            out["before_summary"] = dict(self.before_summary or {})
            out["changes"] = [c.as_dict() for c in self.changes]
        return out

    def to_dataframe(self) -> Any:
        """One row per route: id, status, evidence state, confidence, hops, path, flows."""
        return _frame([_route_row(r) for r in self.routes], ROUTE_COLUMNS)

    def to_networkx(self) -> Any:
        return routes_graph(self.pack, self.routes, pack=self.pack.id,
                            as_of=self.query.as_of.isoformat())


@dataclass(frozen=True)
class WhatIf:
    """A scenario (assumed rules, closed flows) against the pack as it is: the same question
    asked of both, and every route whose status or evidence state the scenario changes."""

    before: Routes
    after: Routes

    @property
    def changes(self) -> tuple[Any, ...]:
        return self.after.changes

    @property
    def scenario(self) -> Any:
        return self.after.scenario

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``graphflow routes --assume-rule/--close ... --format json``: the
        routes after the scenario, ``before_summary`` and ``changes``."""
        return self.after.to_dict()

    def to_dataframe(self) -> Any:
        """One row per changed route: before and after status and evidence, and the hops
        that changed."""
        rows = [{"route": c.route, "path": " → ".join(c.nodes), "before": c.before,
                 "after": c.after, "evidence_before": c.evidence_before,
                 "evidence_after": c.evidence_after, "hops_changed": [h.flow for h in c.hops]}
                for c in self.changes]
        return _frame(rows, ("route", "path", "before", "after", "evidence_before",
                             "evidence_after", "hops_changed"))

    def to_networkx(self) -> Any:
        """The routes after the scenario; edges of closed flows carry ``closed=True``."""
        g = self.after.to_networkx()
        closed = set(self.scenario.closed) if self.scenario else set()
        for _, _, key, attrs in g.edges(keys=True, data=True):
            attrs["closed"] = key in closed
        return g


@dataclass(frozen=True)
class Counts:
    """Routes per status, counted while streaming (``graphflow routes --count``)."""

    pack: Pack
    query: RouteQuery
    engine: str
    summary: Mapping[str, int]
    open_by_evidence: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.summary.values())

    def to_dict(self) -> dict[str, Any]:
        from graphflow.report.routes import JSON_VERSION

        q = self.query.as_dict()
        q["pack"], q["engine"] = self.pack.id, self.engine
        return {"version": JSON_VERSION, "query": q, "summary": dict(self.summary),
                "open_by_evidence": dict(self.open_by_evidence), "total": self.total}

    def to_dataframe(self) -> Any:
        return _frame([{"status": k, "routes": n} for k, n in self.summary.items()],
                      ("status", "routes"))

    def to_networkx(self) -> Any:
        raise GraphflowError("counts keep no routes, so they have no graph",
                             hint="use Audit.routes(...) for the routes themselves")


def _head(pack: Pack, query: RouteQuery, scenario: Any) -> dict[str, Any]:
    q = query.as_dict()
    q["pack"] = pack.id
    out = {"query": q,
           "scenario": None if scenario is None or scenario.empty else scenario.as_dict()}
    if out["scenario"] is not None and hasattr(scenario, "details"):
        out["what_if"] = scenario.details()
    return out


@dataclass(frozen=True)
class _Scenarios:
    """An analysis run on the pack ("before") and, with a what-if, on the changed pack."""

    pack: Pack
    query: RouteQuery
    scenario: Any
    routes: Mapping[str, tuple[Route, ...]]  # "before"/"after" -> the routes analysed

    def to_networkx(self) -> Any:
        label = "after" if "after" in self.routes else "before"
        return routes_graph(self.pack, self.routes[label], pack=self.pack.id, scenario=label,
                            as_of=self.query.as_of.isoformat())


@dataclass(frozen=True)
class Cut(_Scenarios):
    """The fewest (or cheapest) flows whose closure stops every open (and, if asked,
    conditional) route (``graphflow cut``). ``results["before"]`` (and ``["after"]`` with a
    what-if) are ``analysis.cuts.CutResult``."""

    results: Mapping[str, Any] = field(default_factory=dict)
    include: tuple[str, ...] = ("open",)
    weighted: bool = False
    protected: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def before(self) -> Any:
        return self.results["before"]

    @property
    def after(self) -> Any:
        return self.results.get("after")

    def to_dict(self) -> dict[str, Any]:
        from graphflow.analysis.cuts import cut_dict

        out = _head(self.pack, self.query, self.scenario)
        out["include"] = list(self.include)
        for label, result in self.results.items():
            out[label] = cut_dict(self.pack, result, self.weighted, self.protected[label])
        return out

    def to_dataframe(self) -> Any:
        """One row per cut flow (or per route that no cut can stop), per scenario."""
        rows = []
        for label, c in self.results.items():
            rows += [{"scenario": label, "exists": True, "flow": f, "route": None}
                     for f in c.flows]
            rows += [{"scenario": label, "exists": False, "flow": None, "route": r.id}
                     for r in c.remaining]
        return _frame(rows, ("scenario", "exists", "flow", "route"))

    def to_networkx(self) -> Any:
        """The routes to stop; edges of the cut flows carry ``cut=True``."""
        g = super().to_networkx()
        label = g.graph["scenario"]
        cut = set(self.results[label].flows)
        for _, _, key, attrs in g.edges(keys=True, data=True):
            attrs["cut"] = key in cut
        return g


@dataclass(frozen=True)
class Exposure(_Scenarios):
    """Which data items reach the target, by how many routes, how fast, how well sourced
    (``graphflow exposure``). ``items["before"]`` (and ``["after"]``) list one dict per item."""

    items: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = _head(self.pack, self.query, self.scenario)
        out.update({label: list(items) for label, items in self.items.items()})
        return out

    def to_dataframe(self) -> Any:
        cols = ("scenario", "data", "name", "routes", "statuses", "fastest_hours",
                "weakest_confidence", "best_route", "best_route_status")
        rows = [{"scenario": label, **{k: e[k] for k in cols[1:]}}
                for label, items in self.items.items() for e in items]
        return _frame(rows, cols)


@dataclass(frozen=True)
class Diff:
    """Routes whose status or evidence state changed between two dates, and the rules or
    flows that changed between them (``graphflow diff``)."""

    pack: Pack
    query: RouteQuery  # at the first date
    dates: tuple[dt.date, dt.date]
    before: tuple[Route, ...]
    after: tuple[Route, ...]
    changes: tuple[Any, ...]  # analysis.compare.RouteChange
    causes: tuple[dict[str, Any], ...]
    scenario: Any = None  # with a what-if: analysis.whatif.Prepared
    whatif: Diff | None = None  # with a what-if: the same diff of the changed pack

    def _body(self) -> dict[str, Any]:
        from graphflow.audit import summarise

        d1, d2 = (d.isoformat() for d in self.dates)
        return {
            "summary": {d1: summarise(self.before), d2: summarise(self.after)},
            "changed": [c.as_dict() for c in self.changes],
            "causes": [self._sourced(c) for c in self.causes],
        }

    def _sourced(self, cause: Mapping[str, Any]) -> dict[str, Any]:
        """A cause with the first citations of its rule or flow."""
        from graphflow.packs.references import citation_dict

        out = dict(cause)
        item = (self.pack.rules.get(cause.get("rule") or "")
                or self.pack.flows.get(cause.get("flow") or ""))
        out["sources"] = [citation_dict(self.pack, c) for c in (item.citations[:2] if item else ())]
        return out

    def to_dict(self) -> dict[str, Any]:
        out = _head(self.pack, self.query, self.scenario)
        out["query"]["as_of"] = [d.isoformat() for d in self.dates]
        if self.scenario is None:
            del out["scenario"]
        out.update(self._body())
        if self.whatif is not None:
            out["after"] = self.whatif._body()
        return out

    def to_dataframe(self) -> Any:
        d1, d2 = (d.isoformat() for d in self.dates)
        rows = [{"route": c.route, "path": " → ".join(c.nodes), d1: c.before, d2: c.after,
                 "evidence_" + d1: c.evidence_before, "evidence_" + d2: c.evidence_after,
                 "hops_changed": [h.flow for h in c.hops]} for c in self.changes]
        return _frame(rows, ("route", "path", d1, d2, "evidence_" + d1, "evidence_" + d2,
                             "hops_changed"))

    def to_networkx(self) -> Any:
        """The routes at the second date; edges carry ``status`` then, ``status_before``."""
        g = routes_graph(self.pack, self.after, pack=self.pack.id,
                         as_of=self.dates[1].isoformat())
        first = {f: h.status.value for r in self.before for f, h in zip(r.flows, r.hops,
                                                                        strict=True)}
        for _, _, key, attrs in g.edges(keys=True, data=True):
            attrs["status_before"] = first.get(key)
        return g


@dataclass(frozen=True)
class Timeline:
    """Each route's status before the first change date, then every change and its causes
    (``graphflow timeline``; the HTML export's timeline comes from the same function,
    ``analysis.timeline.timeline``)."""

    pack: Pack
    query: RouteQuery
    as_of_given: bool
    result: Mapping[str, Any]
    routes: tuple[Route, ...]
    scenario: Any = None  # with a what-if: analysis.whatif.Prepared
    after: Mapping[str, Any] | None = None  # with a what-if: the changed pack's timeline

    @property
    def dates(self) -> list[str]:
        return list(self.result["dates"])

    def to_dict(self) -> dict[str, Any]:
        out = _head(self.pack, self.query, self.scenario)
        if not self.as_of_given:
            out["query"]["as_of"] = None
        out.update(self.result)
        if self.after is not None:
            out["after"] = dict(self.after)
        return out

    def to_dataframe(self) -> Any:
        """One row per route and probed date (the day before the first change, then each
        change date): its status then."""
        rows = [{"route": r["route"], "path": " → ".join(r["nodes"]), "date": day,
                 "status": status}
                for r in self.result["routes"] for day, status in r["statuses"].items()]
        return _frame(rows, ("route", "path", "date", "status"))

    def to_networkx(self) -> Any:
        g = routes_graph(self.pack, self.routes, pack=self.pack.id)
        g.graph["dates"] = self.dates
        return g


@dataclass(frozen=True)
class Explanation:
    """One route, flow, rule, actor, profile, source or conflict with its evidence
    (``graphflow explain``)."""

    pack: Pack
    kind: str
    id: str
    data: Mapping[str, Any]
    route: Route | None = None

    def to_dict(self) -> dict[str, Any]:
        import copy

        return copy.deepcopy(dict(self.data))

    def to_dataframe(self) -> Any:
        """The sources cited (for a route: per hop)."""
        if self.route is not None:
            rows = [{"hop": i, "flow": h["flow"], "source": s["source"],
                     "locator": s["locator"], "quote": s["quote"], "grade": s.get("grade")}
                    for i, h in enumerate(self.data["hops"], 1) for s in h["sources"]]
        else:
            rows = [{"hop": None, "flow": self.id if self.kind == "flow" else None,
                     "source": s["source"], "locator": s["locator"], "quote": s["quote"],
                     "grade": s.get("grade")}
                    for s in self.data.get("sources", []) if "locator" in s]
        return _frame(rows, ("hop", "flow", "source", "locator", "quote", "grade"))

    def to_networkx(self) -> Any:
        """A route's actors and flows; a flow's two actors and the flow; else an error."""
        if self.route is not None:
            return routes_graph(self.pack, [self.route], pack=self.pack.id)
        if self.kind == "flow":
            import networkx as nx

            f = self.pack.flows[self.id]
            g = nx.MultiDiGraph(pack=self.pack.id)
            for node in (f.source, f.target):
                a = self.pack.actors[node]
                g.add_node(node, name=a.name, kind=a.kind, level=a.level)
            g.add_edge(f.source, f.target, key=f.id, data=list(f.data), mechanism=f.mechanism)
            return g
        raise GraphflowError(f"a {self.kind} has no graph", hint="explain a route or a flow")


# ----------------------------------------------------------------------------- the audit


def _fact_text(value: Any) -> str:
    """A Python fact value as the CLI's ``--set`` text (the same checks then apply)."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(str(v) for v in value)
    return str(value)


def _statuses(value: str | Status | Iterable[str | Status] | None) -> tuple[Status, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, Status)):
        value = [value]
    return parse_statuses(",".join(str(v.value if isinstance(v, Status) else v) for v in value))


def _date(value: dt.date | str | None, where: str = "as_of") -> dt.date | None:
    if value is None:
        return None
    from graphflow.core.dates import parse_date

    return parse_date(value, where=where)


class _Tracked:
    """An engine whose route streams (any method returning an iterator) pass through
    ``track``; everything else is the engine's own."""

    def __init__(self, engine: Any, track: Track):
        self._engine = engine
        for name in dir(engine):
            if name.startswith("_"):
                continue
            value = getattr(engine, name)
            setattr(self, name, self._wrap(value, track) if callable(value) else value)

    @staticmethod
    def _wrap(method: Callable[..., Any], track: Track) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            out = method(*args, **kwargs)
            return track(out) if isinstance(out, Iterator) else out
        return call


class Audit:
    """Questions about one pack. Every question takes the same case arguments:

    ``source``/``target`` (actor id, name or alias; default: the pack's trigger and target),
    ``profile`` (a case profile id), ``facts`` (``{"judicial-warrant": True, ...}``, which
    override the profile's; ``None`` means unknown), ``sets`` (the CLI's ``"fact=value"``
    texts), ``as_of`` (a date or ``"YYYY-MM-DD"``; pass it: the default is today),
    ``max_hops`` (default 8) and ``evidence_horizon`` (months; default: the pack's)."""

    def __init__(self, pack: Pack, backend: str = "embedded", track: Track | None = None):
        self.pack = pack
        self.backend = backend
        self.track = track
        self._embedded: Any = None

    def __repr__(self) -> str:
        return f"Audit(pack={self.pack.id!r}, backend={self.backend!r})"

    # -- plumbing

    @contextmanager
    def engine(self) -> Iterator[Any]:
        """The route engine (the embedded one is built once per Audit; a Neo4j store is
        opened for each question and closed after)."""
        if self.backend == "embedded":
            if self._embedded is None:
                from graphflow.engines.embedded import EmbeddedEngine

                self._embedded = EmbeddedEngine(self.pack)
            yield self._tracked(self._embedded)
            return
        from graphflow.audit import open_engine

        with open_engine(self.backend, self.pack) as engine:
            yield self._tracked(engine)

    def _tracked(self, engine: Any) -> Any:
        return engine if self.track is None else _Tracked(engine, self.track)

    def query(self, source: str | None = None, target: str | None = None, *,
              profile: str | None = None, facts: Mapping[str, Any] | None = None,
              sets: Sequence[str] = (), as_of: dt.date | str | None = None,
              max_hops: int = DEFAULT_MAX_HOPS, statuses: Any = None, limit: int | None = None,
              order: str = DEFAULT_ORDER, evidence_horizon: int | None = None) -> RouteQuery:
        """A checked RouteQuery (names resolved, facts typed, bounds checked)."""
        texts = list(sets) + [f"{k}={_fact_text(v)}" for k, v in (facts or {}).items()]
        return make_query(
            self.pack, source=source, target=target, profile=profile, sets=texts,
            as_of=_date(as_of), max_hops=max_hops, statuses=_statuses(statuses), limit=limit,
            order=order, evidence_horizon=evidence_horizon)

    def scenario(self, assume: Sequence[str | Path] = (), close: Sequence[str] = (),
                 ignore_authority: bool = False) -> tuple[Any, Pack]:
        """A what-if scenario (``analysis.whatif.Prepared``) and the changed pack (the pack
        itself is never modified). A hypothetical rule's effect on a flow outside its
        jurisdiction's control is flagged and left out unless ``ignore_authority``."""
        from graphflow.analysis.whatif import Scenario, prepare

        sc = prepare(self.pack, Scenario(tuple(str(p) for p in assume), tuple(close),
                                         ignore_authority))
        return sc, sc.pack

    # -- routes

    def routes(self, source: str | None = None, target: str | None = None, *,
               profile: str | None = None, facts: Mapping[str, Any] | None = None,
               sets: Sequence[str] = (), as_of: dt.date | str | None = None,
               max_hops: int = DEFAULT_MAX_HOPS, statuses: Any = None,
               limit: int | None = None, order: str = DEFAULT_ORDER,
               evidence_horizon: int | None = None, assume: Sequence[str | Path] = (),
               close: Sequence[str] = (),
              ignore_authority: bool = False) -> Routes:
        """Every route from a trigger to a target with each hop's status and evidence,
        sorted by ``order`` ("impact", the default, docs/ranking.md; "status", "hops",
        "confidence", "ranked"), the first ``limit``
        of them (found without building the others), only the given ``statuses``."""
        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, statuses=statuses, limit=limit,
                           order=order, evidence_horizon=evidence_horizon)
        return self._routes(query, *self.scenario(assume, close, ignore_authority))

    def leaks(self, source: str | None = None, target: str | None = None, *,
              profile: str | None = None, facts: Mapping[str, Any] | None = None,
              sets: Sequence[str] = (), as_of: dt.date | str | None = None,
              max_hops: int = DEFAULT_MAX_HOPS, limit: int | None = None,
              order: str = DEFAULT_ORDER, evidence_horizon: int | None = None,
              practice: bool = False, assume: Sequence[str | Path] = (),
              close: Sequence[str] = (),
              ignore_authority: bool = False) -> Routes:
        """The open routes (information that reaches the target for this case on this date),
        those with current evidence first. With ``practice``, also the practice leaks: routes
        closed only by rules that sources say are not followed."""
        statuses = PRACTICE_STATUSES if practice else (Status.OPEN,)
        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, statuses=statuses,
                           limit=None if practice else limit, order=order,
                           evidence_horizon=evidence_horizon)
        return self._routes(query, *self.scenario(assume, close, ignore_authority), leaks=True,
                            practice_limit=limit if practice else None, practice=practice)

    def _routes(self, query: RouteQuery, scenario: Any, after: Pack, *, leaks: bool = False,
                practice: bool = False, practice_limit: int | None = None) -> Routes:
        with self.engine() as engine:
            report = run_query(after, engine, query)
            found = self._would_change(after, engine, query)
            routes = report.routes
            if practice:
                kept = [r for r in routes if r.is_leak or r.practice_leak]
                routes = kept[:practice_limit] if practice_limit else kept
            if leaks:  # leaks with current evidence first, then the possible ones
                routes = sorted(routes, key=lambda r: not (r.is_leak and r.evidence.current))
            report = replace(report, routes=routes)
            if scenario.empty:
                return Routes(after, report, **found)
            changes, before_summary = self._compare(engine, after, query)
        return Routes(after, report, scenario, before_summary, tuple(changes), **found)

    @staticmethod
    def _would_change(pack: Pack, engine: Any, query: RouteQuery) -> dict[str, Any]:
        """What would change the answer (analysis.unknowns): the unknown facts that decide
        conditional routes, and the other triggers when the case cannot fire this one."""
        from graphflow.analysis.unknowns import deciding_facts, trigger_hint

        return {"deciders": tuple(deciding_facts(pack, engine, query)),
                "trigger_hint": trigger_hint(pack, engine, query)}

    def _compare(self, engine: Any, after: Pack, query: RouteQuery
                 ) -> tuple[list[Any], dict[str, int]]:
        """Every route whose status or evidence state the scenario changes, and why; the
        pack's own summary."""
        from graphflow.analysis.compare import compare_routes

        everything = replace(query, statuses=(), limit=None)
        before = run_query(self.pack, engine, everything)
        now = run_query(after, engine, everything)
        return compare_routes(before.routes, now.routes), before.summary

    def whatif(self, source: str | None = None, target: str | None = None, *,
               assume: Sequence[str | Path] = (), close: Sequence[str] = (),
               profile: str | None = None, facts: Mapping[str, Any] | None = None,
               sets: Sequence[str] = (), as_of: dt.date | str | None = None,
               max_hops: int = DEFAULT_MAX_HOPS, statuses: Any = None,
               limit: int | None = None, order: str = DEFAULT_ORDER,
               evidence_horizon: int | None = None, ignore_authority: bool = False) -> WhatIf:
        """The same route question asked of the pack as it is and with hypothetical rules
        (``assume``: rule files in the pack's format) and closed flows (``close``)."""
        if not assume and not close:
            raise GraphflowError("a what-if needs assumed rules or closed flows",
                                 hint="e.g. whatif(close=['warrant-check-contacts-ice'])")
        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, statuses=statuses, limit=limit,
                           order=order, evidence_horizon=evidence_horizon)
        scenario, after = self.scenario(assume, close, ignore_authority)
        with self.engine() as engine:
            before = Routes(self.pack, run_query(self.pack, engine, query),
                            **self._would_change(self.pack, engine, query))
        return WhatIf(before, self._routes(query, scenario, after))

    def count(self, source: str | None = None, target: str | None = None, *,
              profile: str | None = None, facts: Mapping[str, Any] | None = None,
              sets: Sequence[str] = (), as_of: dt.date | str | None = None,
              max_hops: int = DEFAULT_MAX_HOPS, statuses: Any = None,
              evidence_horizon: int | None = None, assume: Sequence[str | Path] = (),
              close: Sequence[str] = (),
              ignore_authority: bool = False) -> Counts:
        """Routes per status and open routes per evidence state, counted while streaming
        (no route kept: bounded memory on any pack). Statuses left out count 0."""
        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, statuses=statuses,
                           evidence_horizon=evidence_horizon)
        _, after = self.scenario(assume, close, ignore_authority)
        with self.engine() as engine:
            counts = count_routes(after, engine, query)
            if query.statuses and Status.OPEN not in query.statuses:
                from graphflow.core.evidence import STATES

                evidence = dict.fromkeys(STATES, 0)
            else:
                evidence = open_evidence_counts(after, engine, query)
            name = engine.name
        return Counts(after, query, name, counts, evidence)

    # -- policy analysis

    def _analysed(self, query: RouteQuery, scenario: Any, after: Pack,
                  wanted: set[Status]) -> Iterator[tuple[str, Pack, list[Route]]]:
        """("before", pack, routes) and, for a what-if, ("after", changed pack, routes); only
        the routes whose status is in ``wanted``."""
        with self.engine() as engine:
            for label, pack in (("before", self.pack), ("after", after)):
                if label == "after" and scenario.empty:
                    return
                yield label, pack, [r for r in run_query(pack, engine, query).routes
                                    if r.status in wanted]

    def cut(self, source: str | None = None, target: str | None = None, *,
            include: str = "open", controllable_by: str | None = None, weighted: bool = True,
            allow_trigger_cut: bool = False, profile: str | None = None,
            facts: Mapping[str, Any] | None = None, sets: Sequence[str] = (),
            as_of: dt.date | str | None = None, max_hops: int = DEFAULT_MAX_HOPS,
            evidence_horizon: int | None = None, assume: Sequence[str | Path] = (),
            close: Sequence[str] = (), ignore_authority: bool = False,
            allow_essential: bool = False, budget: int | None = None) -> Cut:
        """The fewest flows (``weighted``: the cheapest, discretionary practice before
        mandates) whose closure stops every open route (``include="conditional"``: and every
        conditional one), only among flows ``controllable_by`` a jurisdiction, level or actor
        can regulate. The trigger's own flows (the arrest itself being processed) are the
        premise of the question and are never cut unless ``allow_trigger_cut``; essential
        flows (bringing an arrestee before a judge) unless ``allow_essential``. Weights follow
        the flow's basis unless ``weighted=False``. The cut is an exact minimum for the
        routes found, or says it is an upper bound (``budget``: search nodes). Routes are
        streamed; up to ``KEEP_ROUTES`` of them are kept for ``to_networkx``."""
        from graphflow.analysis.cuts import DEFAULT_BUDGET, minimum_cut, resolve_controller
        from graphflow.audit import iter_routes

        if include not in ("open", "conditional"):
            raise GraphflowError(f"include is 'open' or 'conditional', not {include!r}")
        wanted = (Status.OPEN,) + ((Status.CONDITIONAL,) if include == "conditional" else ())
        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, evidence_horizon=evidence_horizon)
        query = replace(query, statuses=wanted)
        scenario, after = self.scenario(assume, close, ignore_authority)
        controller = resolve_controller(self.pack, controllable_by)
        results: dict[str, Any] = {}
        protected: dict[str, frozenset[str]] = {}
        routes: dict[str, tuple[Route, ...]] = {}
        with self.engine() as engine:
            for label, pack in (("before", self.pack), ("after", after)):
                if label == "after" and scenario.empty:
                    break
                protected[label] = frozenset() if allow_trigger_cut else trigger_flows(
                    pack, query.source)
                kept: list[Route] = []

                def keep(stream: Iterable[Route], kept: list[Route] = kept) -> Iterator[Route]:
                    for r in stream:
                        if len(kept) <= KEEP_ROUTES:
                            kept.append(r)
                        yield r
                results[label] = minimum_cut(
                    pack, keep(iter_routes(pack, engine, query)), controller, weighted,
                    protected[label], allow_essential, budget or DEFAULT_BUDGET)
                routes[label] = tuple(kept) if len(kept) <= KEEP_ROUTES else ()
        return Cut(self.pack, query, scenario, routes, results,
                   tuple(sorted(s.value for s in wanted)), weighted, protected)

    def exposure(self, source: str | None = None, target: str | None = None, *,
                 statuses: Any = ("open", "conditional"), profile: str | None = None,
                 facts: Mapping[str, Any] | None = None, sets: Sequence[str] = (),
                 as_of: dt.date | str | None = None, max_hops: int = DEFAULT_MAX_HOPS,
                 evidence_horizon: int | None = None, assume: Sequence[str | Path] = (),
                 close: Sequence[str] = (),
              ignore_authority: bool = False) -> Exposure:
        """Which data items reach the target on routes with these statuses, by how many
        routes, how fast and how well sourced."""
        from graphflow.analysis.exposure import exposure as compute

        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, evidence_horizon=evidence_horizon)
        scenario, after = self.scenario(assume, close, ignore_authority)
        wanted = set(_statuses(statuses))
        items: dict[str, list[dict[str, Any]]] = {}
        routes: dict[str, tuple[Route, ...]] = {}
        for label, pack, found in self._analysed(query, scenario, after, wanted):
            items[label] = compute(pack, found)
            routes[label] = tuple(found)
        return Exposure(self.pack, query, scenario, routes, items)

    def diff(self, first: dt.date | str, second: dt.date | str, source: str | None = None,
             target: str | None = None, *, profile: str | None = None,
             facts: Mapping[str, Any] | None = None, sets: Sequence[str] = (),
             max_hops: int = DEFAULT_MAX_HOPS, evidence_horizon: int | None = None,
             assume: Sequence[str | Path] = (), close: Sequence[str] = (),
             ignore_authority: bool = False) -> Diff:
        """Routes whose status changed between two dates, and the rules or flows that
        changed between them; with a what-if, the same diff of the changed pack (``after``)."""
        d1, d2 = _date(first, "--as-of"), _date(second, "--as-of")
        if d1 == d2:
            raise GraphflowError(f"both --as-of dates are {d1}", hint="give two different dates")
        query = self.query(source, target, profile=profile, facts=facts, sets=sets, as_of=d1,
                           max_hops=max_hops, evidence_horizon=evidence_horizon)
        scenario, changed = self.scenario(assume, close, ignore_authority)
        with self.engine() as engine:
            out = self._diff(engine, self.pack, query, d1, d2)
            if scenario.empty:
                return out
            return replace(out, scenario=scenario,
                           whatif=self._diff(engine, changed, query, d1, d2))

    @staticmethod
    def _diff(engine: Any, pack: Pack, query: RouteQuery, d1: dt.date, d2: dt.date) -> Diff:
        from graphflow.analysis.compare import compare_routes, rules_changed_between

        before = run_query(pack, engine, query).routes
        after = run_query(pack, engine, replace(query, as_of=d2)).routes
        flows = {f for r in before for f in r.flows}
        return Diff(pack, query, (d1, d2), tuple(before), tuple(after),
                    tuple(compare_routes(before, after)),
                    tuple(rules_changed_between(pack, flows, d1, d2)))

    def timeline(self, source: str | None = None, target: str | None = None, *,
                 since: dt.date | str | None = None, as_of: dt.date | str | None = None,
                 profile: str | None = None, facts: Mapping[str, Any] | None = None,
                 sets: Sequence[str] = (), max_hops: int = DEFAULT_MAX_HOPS,
                 evidence_horizon: int | None = None, assume: Sequence[str | Path] = (),
                 close: Sequence[str] = (), ignore_authority: bool = False) -> Timeline:
        """Each route's status (and evidence state) before the first change date, then every
        date on which it changes, with the causes. ``as_of`` only orders the routes (by
        their status then; default today); ``since`` ignores earlier change dates. With a
        what-if, the changed pack's timeline too (``after``)."""
        from graphflow.analysis.timeline import timeline as compute

        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, evidence_horizon=evidence_horizon)
        start = _date(since, "--since")
        scenario, changed = self.scenario(assume, close, ignore_authority)
        with self.engine() as engine:
            result = compute(self.pack, engine, query, since=start)
            shown = {r["route"] for r in result["routes"]}
            routes = tuple(r for r in run_query(self.pack, engine, query).routes
                           if r.id in shown)
            after = None if scenario.empty else compute(changed, engine, query, since=start)
        return Timeline(self.pack, query, as_of is not None, result, routes,
                        None if scenario.empty else scenario, after)

    def timeline_stream(self, source: str | None = None, target: str | None = None, *,
                        since: dt.date | str | None = None, as_of: dt.date | str | None = None,
                        profile: str | None = None, facts: Mapping[str, Any] | None = None,
                        sets: Sequence[str] = (), max_hops: int = DEFAULT_MAX_HOPS,
                        evidence_horizon: int | None = None,
                        assume: Sequence[str | Path] = (), close: Sequence[str] = (),
                        ignore_authority: bool = False
                        ) -> Iterator[tuple[str, dict[str, Any], Iterator[dict[str, Any]]]]:
        """The timeline for packs of any size: ("before", head, routes) and, with a what-if,
        ("after", head, routes); the routes are streamed (nothing kept per route). The head
        is ``Timeline.to_dict()`` without ``routes``; each route is one of its rows."""
        from graphflow.analysis.timeline import timeline_stream

        query = self.query(source, target, profile=profile, facts=facts, sets=sets,
                           as_of=as_of, max_hops=max_hops, evidence_horizon=evidence_horizon)
        start = _date(since, "--since")
        scenario, changed = self.scenario(assume, close, ignore_authority)
        with self.engine() as engine:
            for label, pack in (("before", self.pack), ("after", changed)):
                if label == "after" and scenario.empty:
                    return
                head, rows = timeline_stream(pack, engine, query, since=start)
                out = _head(self.pack, query, None if scenario.empty else scenario)
                if as_of is None:
                    out["query"]["as_of"] = None
                out.update(head)
                yield label, out, rows

    def explain(self, ident: str, source: str | None = None, target: str | None = None, *,
                profile: str | None = None, facts: Mapping[str, Any] | None = None,
                sets: Sequence[str] = (), as_of: dt.date | str | None = None,
                max_hops: int = DEFAULT_MAX_HOPS,
                evidence_horizon: int | None = None, assume: Sequence[str | Path] = (),
                close: Sequence[str] = (), ignore_authority: bool = False) -> Explanation:
        """A route (``r-...``: found for this case and date), flow, rule, actor, profile,
        source or conflict, with its citations and the source conflicts about it. With a
        what-if, the same item explained in the changed pack (``after``)."""
        if assume or close:
            scenario, changed = self.scenario(assume, close, ignore_authority)
            before = self.explain(ident, source, target, profile=profile, facts=facts,
                                  sets=sets, as_of=as_of, max_hops=max_hops,
                                  evidence_horizon=evidence_horizon)
            after = Audit(changed, self.backend).explain(
                ident, source, target, profile=profile, facts=facts, sets=sets, as_of=as_of,
                max_hops=max_hops, evidence_horizon=evidence_horizon)
            data = dict(before.data)
            data["scenario"] = scenario.as_dict()
            data["what_if"] = scenario.details()
            data["after"] = after.data
            return replace(before, data=data)
        from graphflow.report.explain import EXPLAINERS, conflicts_about, explain_simple

        if ident.startswith("r-"):
            return self._explain_route(ident, source, target, profile=profile, facts=facts,
                                       sets=sets, as_of=as_of, max_hops=max_hops,
                                       evidence_horizon=evidence_horizon)
        from graphflow.core.names import resolve_any

        kind, real = resolve_any(self.pack, ident)
        out = EXPLAINERS[kind](self.pack, real) if kind in EXPLAINERS else explain_simple(
            self.pack, kind, real)
        out["conflicts"] = conflicts_about(self.pack, real)
        from graphflow.packs.layers import layer_notes

        out.update(layer_notes(self.pack, kind, real))
        return Explanation(self.pack, kind, real, out)

    def _explain_route(self, ident: str, source: str | None, target: str | None,
                       **case: Any) -> Explanation:
        from graphflow.errors import did_you_mean
        from graphflow.report.routes import report_dict

        query = self.query(source, target, **case)
        with self.engine() as engine:
            report = run_query(self.pack, engine, query)
        data = report_dict(self.pack, report)
        match = [r for r in data["routes"] if r["id"] == ident]
        if not match:
            raise GraphflowError(
                f"no route {ident!r} from {query.source} to {query.target} within "
                f"{query.max_hops} hops",
                hint=did_you_mean(ident, [r["id"] for r in data["routes"]])
                or "route ids come from `graphflow routes` with the same --from/--to",
            )
        data["routes"] = match
        route = next(r for r in report.routes if r.id == ident)
        return Explanation(self.pack, "route", ident,
                           {"type": "route", "id": ident, "report": data, **match[0]}, route)


def trigger_flows(pack: Pack, source: str) -> frozenset[str]:
    """The trigger's own flows (the arrest itself being processed): the premise of a cut
    question, never cut unless asked."""
    return frozenset(f.id for f in pack.flows.values() if f.source == source)
