"""`graphflow cut`, `exposure`, `diff` and `timeline`: policy analysis over route queries."""

from __future__ import annotations

import click

from graphflow.cli.options import (
    case_options,
    dump_json,
    emit,
    evidence_horizon,
    format_option,
    pack_option,
    parse_as_of,
    query_options,
    whatif_options,
)


def backend_option(f):
    return click.option("--backend", type=click.Choice(["embedded", "neo4j"]),
                        default="embedded", show_default=True, help="Route engine.")(f)


def _emit(out: dict, fmt: str, renderer: str) -> None:
    """JSON as is; other formats through graphflow.report.analysis.<renderer>."""
    if fmt == "json":
        emit(dump_json(out))
        return
    from graphflow.report import analysis

    emit(getattr(analysis, renderer)(out, fmt))


class Context:
    """A loaded pack, its what-if variant, a query and an open engine."""

    def __init__(self, data, source, target, profile, sets, as_of, max_hops, assume=(),
                 close=()):
        from graphflow.analysis.whatif import Scenario, apply
        from graphflow.audit import make_query
        from graphflow.packs.loader import load_pack

        self.pack = load_pack(data)
        self.scenario = Scenario(tuple(assume), tuple(close))
        self.after = apply(self.pack, self.scenario)
        self.query = make_query(self.pack, source=source, target=target, profile=profile,
                                sets=sets, as_of=parse_as_of(as_of), max_hops=max_hops,
                                evidence_horizon=evidence_horizon())

    def routes(self, engine, pack=None, query=None):
        from graphflow.audit import run_query

        return run_query(pack or self.pack, engine, query or self.query).routes

    def scenarios(self, engine, wanted):
        """("before", pack, routes) and, for a what-if, ("after", changed pack, routes);
        only routes whose status is in ``wanted``."""
        for label, pack in (("before", self.pack), ("after", self.after)):
            if label == "after" and self.scenario.empty:
                return
            yield label, pack, [r for r in self.routes(engine, pack) if r.status in wanted]

    def head(self) -> dict:
        q = self.query.as_dict()
        q["pack"] = self.pack.id
        return {"query": q, "scenario": None if self.scenario.empty else self.scenario.as_dict()}


@click.command()
@pack_option
@query_options
@click.option("--include", type=click.Choice(["open", "conditional"]), default="open",
              show_default=True, help="Also stop the conditional routes.")
@click.option("--controllable-by", "who", default=None, metavar="JURISDICTION",
              help="Only cut flows this jurisdiction (id, level or actor) can regulate.")
@click.option("--weighted", is_flag=True,
              help="Prefer closing discretionary practice over mandated flows "
                   "(weights: discretionary 1, routine-practice 2, unknown 3, mandated 5).")
@click.option("--allow-trigger-cut", is_flag=True,
              help="Allow cutting the trigger's own flows (e.g. not booking an arrestee at all).")
@whatif_options
@backend_option
@format_option
def cut(data, source, target, profile, sets, as_of, max_hops, include, who, weighted,
        allow_trigger_cut, assume, close, backend, fmt):
    """The fewest flows whose closure stops every open route for this case on this date.

    The trigger's own flows (the arrest itself being processed) are the premise of the
    question and are not cut unless --allow-trigger-cut is given.
    """
    from graphflow.analysis.cuts import cut_dict, minimum_cut, resolve_controller
    from graphflow.core.status import Status
    from graphflow.engines.select import open_engine

    ctx = Context(data, source, target, profile, sets, as_of, max_hops, assume, close)
    controller = resolve_controller(ctx.pack, who)
    wanted = {Status.OPEN} | ({Status.CONDITIONAL} if include == "conditional" else set())
    out = ctx.head()
    out.update({"include": sorted(s.value for s in wanted)})
    with open_engine(backend, ctx.pack) as engine:
        for label, pack, routes in ctx.scenarios(engine, wanted):
            protect = frozenset() if allow_trigger_cut else frozenset(
                f.id for f in pack.flows.values() if f.source == ctx.query.source)
            result = minimum_cut(pack, routes, controller, weighted, protect)
            out[label] = cut_dict(pack, result, weighted, protect)
    _emit(out, fmt, "render_cut")


@click.command()
@pack_option
@query_options
@click.option("--status", "status", default="open,conditional", show_default=True,
              help="Count routes with these statuses.")
@whatif_options
@backend_option
@format_option
def exposure(data, source, target, profile, sets, as_of, max_hops, status, assume, close,
             backend, fmt):
    """Which data items reach the target, by which routes, how fast, how well sourced."""
    from graphflow.analysis.exposure import exposure as compute
    from graphflow.audit import parse_statuses
    from graphflow.engines.select import open_engine

    ctx = Context(data, source, target, profile, sets, as_of, max_hops, assume, close)
    wanted = set(parse_statuses(status))
    out = ctx.head()
    with open_engine(backend, ctx.pack) as engine:
        for label, pack, routes in ctx.scenarios(engine, wanted):
            out[label] = compute(pack, routes)
    _emit(out, fmt, "render_exposure")


@click.command()
@pack_option
@case_options
@click.option("--as-of", "dates", multiple=True, metavar="YYYY-MM-DD",
              help="Give exactly two dates.")
@backend_option
@format_option
def diff(data, source, target, profile, sets, dates, max_hops, backend, fmt):
    """Routes whose status changed between two dates, and the rule or date that changed them.

    Example: graphflow diff --as-of 2017-03-01 --as-of 2025-01-01 --profile fare-evasion
    """
    from graphflow.analysis.compare import compare_routes, rules_changed_between
    from graphflow.audit import summarise
    from graphflow.engines.select import open_engine
    from graphflow.errors import GraphflowError

    if len(dates) != 2:
        raise GraphflowError(f"diff needs exactly two --as-of dates, got {len(dates)}",
                             hint="e.g. --as-of 2017-03-01 --as-of 2025-01-01")
    d1, d2 = (parse_as_of(d) for d in dates)
    if d1 == d2:
        raise GraphflowError(f"both --as-of dates are {d1}", hint="give two different dates")
    ctx = Context(data, source, target, profile, sets, d1.isoformat(), max_hops)
    with open_engine(backend, ctx.pack) as engine:
        before = ctx.routes(engine)
        ctx.query.as_of = d2
        after = ctx.routes(engine)
    changes = compare_routes(before, after)
    flows = {f for r in before for f in r.flows}
    out = ctx.head()
    out["query"]["as_of"] = [d1.isoformat(), d2.isoformat()]
    out.update({
        "summary": {d1.isoformat(): summarise(before), d2.isoformat(): summarise(after)},
        "changed": [c.as_dict() for c in changes],
        "causes": rules_changed_between(ctx.pack, flows, d1, d2),
    })
    _emit(out, fmt, "render_diff")


@click.command()
@pack_option
@case_options
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Ignore earlier dates.")
@backend_option
@format_option
def timeline(data, source, target, profile, sets, max_hops, since, backend, fmt):
    """Each route's status before the first change date, then every change and its cause.

    Example: graphflow timeline --profile violent-felony-warrant --since 2014-01-01
    """
    from graphflow.analysis.timeline import timeline as compute
    from graphflow.engines.select import open_engine

    ctx = Context(data, source, target, profile, sets, None, max_hops)
    start = parse_as_of(since, "--since") if since else None
    with open_engine(backend, ctx.pack) as engine:
        result = compute(ctx.pack, engine, ctx.query, since=start)
    out = ctx.head()
    out["query"]["as_of"] = None
    out.update(result)
    _emit(out, fmt, "render_timeline")
