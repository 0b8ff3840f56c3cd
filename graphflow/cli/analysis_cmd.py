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

    Example: graphflow cut --profile fare-evasion --controllable-by state --as-of 2017-03-01
    """
    result = _audit(data, backend).cut(
        include=include, controllable_by=who, weighted=weighted,
        allow_trigger_cut=allow_trigger_cut, as_of=parse_as_of(as_of), assume=assume,
        close=close, **_case(source, target, profile, sets, max_hops))
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
             backend, fmt):
    """Which data items reach the target, by which routes, how fast, how well sourced.

    Example: graphflow exposure --profile fare-evasion --as-of 2017-03-01
    """
    result = _audit(data, backend).exposure(
        statuses=status, as_of=parse_as_of(as_of), assume=assume, close=close,
        **_case(source, target, profile, sets, max_hops))
    _emit(result.to_dict(), fmt, "render_exposure")


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
    from graphflow.errors import GraphflowError

    if len(dates) != 2:
        raise GraphflowError(f"diff needs exactly two --as-of dates, got {len(dates)}",
                             hint="e.g. --as-of 2017-03-01 --as-of 2025-01-01")
    d1, d2 = (parse_as_of(d) for d in dates)
    result = _audit(data, backend).diff(d1, d2, **_case(source, target, profile, sets,
                                                        max_hops))
    _emit(result.to_dict(), fmt, "render_diff")


@click.command()
@pack_option
@case_options
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Ignore earlier dates.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date whose route statuses order the routes (default: today).")
@backend_option
@format_option
def timeline(data, source, target, profile, sets, max_hops, since, as_of, backend, fmt):
    """Each route's status before the first change date, then every change and its cause.

    Example: graphflow timeline --profile violent-felony-warrant --since 2014-01-01
    --as-of 2025-01-01
    """
    result = _audit(data, backend).timeline(
        since=parse_as_of(since, "--since") if since else None,
        as_of=parse_as_of(as_of) if as_of else None,
        **_case(source, target, profile, sets, max_hops))
    _emit(result.to_dict(), fmt, "render_timeline")
