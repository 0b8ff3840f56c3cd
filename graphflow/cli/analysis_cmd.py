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


def _audit(data, backend):
    from graphflow.api import open_pack

    return open_pack(data, backend=backend)


def _case(source, target, profile, sets, max_hops) -> dict:
    """The case options as API arguments."""
    return {"source": source, "target": target, "profile": profile, "sets": sets,
            "max_hops": max_hops, "evidence_horizon": evidence_horizon()}


@click.command()
@pack_option
@query_options
@click.option("--include", type=click.Choice(["open", "conditional"]), default="open",
              show_default=True, help="Also stop the conditional routes.")
@click.option("--controllable-by", "who", default=None, metavar="WHO",
              help="Only cut flows WHO can regulate: a level (city, state, federal), a "
                   "jurisdiction or an actor, by id, name or alias (e.g. nypd, \"New York "
                   "State\", DCJS). Means the flows whose controlled_by is that jurisdiction "
                   "or one of its parts; an actor's: those it sends that its jurisdiction "
                   "controls (so nypd's cut is within the city's).")
@click.option("--weighted/--unweighted", default=True, show_default=True,
              help="Weights follow each flow's basis (discretionary 1, routine-practice 2, "
                   "unknown 3, mandated 5); --unweighted counts flows.")
@click.option("--allow-essential", is_flag=True,
              help="Allow cutting flows the pack marks essential (e.g. bringing an arrestee "
                   "before a judge).")
@click.option("--allow-trigger-cut", is_flag=True,
              help="Allow cutting the trigger's own flows (e.g. not booking an arrestee at all).")
@whatif_options
@backend_option
@format_option
def cut(data, source, target, profile, sets, as_of, max_hops, include, who, weighted,
        allow_essential, allow_trigger_cut, assume, close, ignore_authority, backend, fmt):
    """The cheapest flows whose closure stops every open route for this case on this date.

    The cut is an exact minimum for the routes found (at most --max-hops long), or is
    labelled an upper bound. Each flow comes with what closing it would mean, who has the
    power and that power's source, and rules on the same kind of flow in other packs.
    Essential flows and the trigger's own flows (the premise of the question) are not cut
    unless --allow-essential / --allow-trigger-cut is given.

    Example: graphflow cut --profile fare-evasion --controllable-by state --as-of 2017-03-01
    """
    result = _audit(data, backend).cut(
        include=include, controllable_by=who, weighted=weighted,
        allow_trigger_cut=allow_trigger_cut, allow_essential=allow_essential,
        as_of=parse_as_of(as_of), assume=assume, close=close,
        ignore_authority=ignore_authority, **_case(source, target, profile, sets, max_hops))
    _emit(result.to_dict(), fmt, "render_cut")


@click.command()
@pack_option
@query_options
@click.option("--status", "status", default="open,conditional", show_default=True,
              help="Count routes with these statuses.")
@whatif_options
@backend_option
@format_option
def exposure(data, source, target, profile, sets, as_of, max_hops, status, assume, close,
             ignore_authority, backend, fmt):
    """Which data items reach the target, by which routes, how fast, how well sourced.

    Example: graphflow exposure --profile fare-evasion --as-of 2017-03-01
    """
    result = _audit(data, backend).exposure(
        statuses=status, as_of=parse_as_of(as_of), assume=assume, close=close,
        ignore_authority=ignore_authority, **_case(source, target, profile, sets, max_hops))
    _emit(result.to_dict(), fmt, "render_exposure")


@click.command()
@pack_option
@case_options
@click.option("--as-of", "dates", multiple=True, metavar="YYYY-MM-DD",
              help="Give exactly two dates.")
@whatif_options
@backend_option
@format_option
def diff(data, source, target, profile, sets, dates, max_hops, assume, close, ignore_authority,
         backend, fmt):
    """Routes whose status changed between two dates, and the rule or date that changed them.

    Example: graphflow diff --as-of 2017-03-01 --as-of 2025-01-01 --profile fare-evasion
    """
    from graphflow.errors import GraphflowError

    if len(dates) != 2:
        raise GraphflowError(f"diff needs exactly two --as-of dates, got {len(dates)}",
                             hint="e.g. --as-of 2017-03-01 --as-of 2025-01-01")
    d1, d2 = (parse_as_of(d) for d in dates)
    result = _audit(data, backend).diff(d1, d2, assume=assume, close=close,
                                        ignore_authority=ignore_authority,
                                        **_case(source, target, profile, sets, max_hops))
    _emit(result.to_dict(), fmt, "render_diff")


@click.command()
@pack_option
@case_options
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Ignore earlier dates.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date whose route statuses order the routes (default: today).")
@whatif_options
@backend_option
@format_option
def timeline(data, source, target, profile, sets, max_hops, since, as_of, assume, close,
             ignore_authority, backend, fmt):
    """Each route's status before the first change date, then every change and its cause.

    Routes are streamed as they are found (bounded memory on any pack); with a what-if, the
    changed pack's timeline follows ("after").

    Example: graphflow timeline --profile violent-felony-warrant --since 2014-01-01
    --as-of 2025-01-01
    """
    from graphflow.report import analysis

    parts = _audit(data, backend).timeline_stream(
        since=parse_as_of(since, "--since") if since else None,
        as_of=parse_as_of(as_of) if as_of else None, assume=assume, close=close,
        ignore_authority=ignore_authority, **_case(source, target, profile, sets, max_hops))
    if fmt == "json":
        _timeline_json(parts)
        return
    for n, (label, head, rows) in enumerate(parts):
        if head.get("scenario"):
            head["scenario_label"] = label
        if not (n and fmt == "csv"):  # one CSV header: the scenario column tells them apart
            emit(analysis.timeline_head(head, fmt))
        for row in rows:
            emit(analysis.timeline_route(row, fmt, label, head))
        if fmt == "md":
            emit("\n")
    if fmt == "md":
        emit(f"_{analysis.DISCLAIMER}_\n")


def _timeline_json(parts) -> None:
    """The JSON of ``Timeline.to_dict()``, written as the routes stream in: one route per line
    (no list kept). Rows sharing a status sequence share its text (dates and status names,
    nothing from the pack, so no escaping needed); the rest goes through the terminal-safe
    pass like every output."""
    import json

    from graphflow.report.tables import terminal_safe

    shared: dict[int, tuple[object, str]] = {}

    def row_text(row: dict) -> str:
        statuses = row["statuses"]
        got = shared.get(id(statuses))
        if got is None or got[0] is not statuses:
            got = shared[id(statuses)] = (statuses, json.dumps(statuses))
        rest = {k: v for k, v in row.items() if k != "statuses"}
        body = terminal_safe(json.dumps(rest, ensure_ascii=False, default=str))
        return body[:-1] + ', "statuses": ' + got[1] + "}"

    def dumped(value: object, indent: int) -> str:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        return text.replace("\n", "\n" + " " * indent)

    def routes(rows, indent: int) -> None:
        emit('"routes": [')
        pad = "\n" + " " * (indent + 2)
        batch: list[str] = []
        first = True
        for row in rows:
            batch.append(("" if first else ",") + pad + row_text(row))
            first = False
            if len(batch) >= 500:
                click.echo("".join(batch), nl=False)
                batch.clear()
        click.echo("".join(batch), nl=False)
        emit("]" if first else "\n" + " " * indent + "]")

    for label, head, rows in parts:
        if label == "before":
            emit("{\n" + "".join(f"  {json.dumps(k)}: {dumped(v, 2)},\n"
                                  for k, v in head.items()) + "  ")
            routes(rows, 2)
        else:
            body = {k: v for k, v in head.items() if k not in ("query", "scenario", "what_if")}
            emit(',\n  "after": {\n' + "".join(f"    {json.dumps(k)}: {dumped(v, 4)},\n"
                                                for k, v in body.items()) + "    ")
            routes(rows, 4)
            emit("\n  }")
    emit("\n}\n")
