"""`graphflow routes` and `graphflow leaks`."""

from __future__ import annotations

import click

from graphflow.cli.options import (
    dump_json,
    emit,
    format_option,
    pack_option,
    parse_as_of,
    query_options,
)


def _run(data, fmt, source, target, profile, sets, as_of, max_hops, status, limit, order,
         backend, only_open=False):
    from graphflow.audit import make_query, parse_statuses, run_query
    from graphflow.core.status import Status
    from graphflow.engines.select import open_engine
    from graphflow.packs.loader import load_pack
    from graphflow.report.routes import render_csv, render_md, render_table, report_dict

    pack = load_pack(data)
    statuses = (Status.OPEN,) if only_open else parse_statuses(status)
    query = make_query(
        pack, source=source, target=target, profile=profile, sets=sets,
        as_of=parse_as_of(as_of), max_hops=max_hops, statuses=statuses, limit=limit, order=order,
    )
    with open_engine(backend, pack) as engine:
        report = run_query(pack, engine, query)
    out = report_dict(pack, report)
    if fmt == "json":
        emit(dump_json(out))
    elif fmt == "csv":
        emit(render_csv(out))
    elif fmt == "md":
        emit(render_md(out))
    else:
        emit(render_table(pack, out))


def _common(f):
    f = click.option("--backend", type=click.Choice(["embedded", "neo4j"]), default="embedded",
                     show_default=True, help="Route engine: in memory, or a Neo4j store "
                     "(NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).")(f)
    f = click.option("--order", type=click.Choice(["status", "hops", "confidence", "ranked"]),
                     default="status", show_default=True, help="Sort order of routes.")(f)
    f = click.option("--limit", type=int, default=None, help="Show at most N routes.")(f)
    f = format_option(f)
    f = query_options(f)
    return pack_option(f)


@click.command()
@_common
@click.option("--status", default=None, metavar="LIST",
              help="Keep routes with these statuses, e.g. open,conditional.")
def routes(data, fmt, source, target, profile, sets, as_of, max_hops, status, limit, order,
           backend):
    """Every route from a trigger to a target, with each hop's status and evidence.

    Example: graphflow routes --from nypd-arrest --to ice --profile fare-evasion
    --as-of 2017-03-01
    """
    _run(data, fmt, source, target, profile, sets, as_of, max_hops, status, limit, order,
         backend)


@click.command()
@_common
def leaks(data, fmt, source, target, profile, sets, as_of, max_hops, limit, order, backend):
    """Only the open routes: information that reaches the target for this case on this date."""
    _run(data, fmt, source, target, profile, sets, as_of, max_hops, None, limit, order, backend,
         only_open=True)
