"""`graphflow export`: an interactive HTML page, or GraphML / GEXF / JSON / CSV for other tools.

Every subcommand exports either the whole pack (every actor and flow; flow statuses only when
--profile, --set or --as-of is given) or, with --from / --to / --routes / --timeline, only the
actors and flows on one query's routes, with hop statuses. Files are written atomically;
progress goes to stderr, never stdout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from graphflow.cli.options import evidence_horizon, pack_option, parse_as_of, query_options


@dataclass
class Target:
    """A loaded pack and what to export from it: a route report, or the whole pack."""

    pack: Any
    report: Any = None          # graphflow.audit.RouteReport for a route query
    facts: dict | None = None   # whole pack with a case
    profile: str | None = None
    as_of: Any = None
    engine_name: str = "embedded"
    query: Any = None


def selection_options(f):
    """--data, the query options, --routes, --status and --backend."""
    f = click.option("--backend", type=click.Choice(["embedded", "neo4j"]), default="embedded",
                     show_default=True, help="Route engine for route queries.")(f)
    f = click.option("--status", "status", default=None, metavar="LIST",
                     help="Route query: keep routes with these statuses, e.g. open,conditional "
                          "(the summary still counts all).")(f)
    f = click.option("--routes", "routes_mode", is_flag=True,
                     help="Export the routes of the pack's default query (its default trigger "
                          "and target) instead of the whole pack; implied by --from / --to.")(f)
    f = query_options(f)
    return pack_option(f)


def output_option(help_text: str):
    return click.option("-o", "--output", required=True, metavar="FILE", help=help_text)


def resolve(data, source, target, profile, sets, as_of, max_hops, routes_mode, status,
            backend, *, force_routes: bool = False) -> Target:
    """Load the pack and run the query (route mode) or prepare the case (whole-pack mode)."""
    from graphflow.audit import case_facts, make_query, open_engine, parse_statuses, run_query
    from graphflow.packs.loader import load_pack

    pack = load_pack(data)
    if source or target or routes_mode or force_routes:
        query = make_query(pack, source=source, target=target, profile=profile, sets=sets,
                           as_of=parse_as_of(as_of), max_hops=max_hops,
                           statuses=parse_statuses(status),
                           evidence_horizon=evidence_horizon())
        _log(f"routes {query.source} → {query.target}, profile {query.profile or '(none)'}, "
             f"as of {query.as_of}, at most {query.max_hops} hops")
        with open_engine(backend, pack) as engine:
            report = run_query(pack, engine, query)
        if not report.routes:
            _log("no route matches this query: the export has no actors or flows")
        return Target(pack, report=report, engine_name=backend, query=query)
    if status:
        from graphflow.errors import GraphflowError

        raise GraphflowError("--status filters routes, and this is a whole-pack export",
                             where="--status", hint="add --from/--to or --routes")
    case = bool(profile or sets or as_of)
    if not case:
        return Target(pack)
    pid, facts = case_facts(pack, profile, sets)
    return Target(pack, facts=facts, profile=pid, as_of=parse_as_of(as_of))


def _log(text: str) -> None:
    click.echo(f"graphflow: {text}", err=True)


def _done(path, what: str, size: int) -> None:
    where = "stdout" if path is None else str(path)
    _log(f"wrote {where}: {what}, {size:,} bytes")


def _selection(t: Target):
    from graphflow.export.formats import select_pack, select_report

    if t.report is not None:
        return select_report(t.pack, t.report)
    return select_pack(t.pack, facts=t.facts, as_of=t.as_of, profile=t.profile)


def _counts(sel) -> str:
    text = f"{len(sel.actors)} actors, {len(sel.flows)} flows"
    return text + (f", {len(sel.routes)} routes" if sel.routes else "")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def export() -> None:
    """Export the graph: an interactive HTML page, a static SVG, or GraphML, GEXF, JSON or CSV.

    Without --from/--to every actor and flow of the pack is exported (with each flow's own
    status when --profile, --set or --as-of is given); with them, only the routes of that query.

    Example: graphflow export html -o arrest-to-ice.html --from nypd-arrest --to ice
    --profile fare-evasion --as-of 2017-03-01
    """


@export.command("html")
@selection_options
@output_option("HTML file to write ('-' for stdout).")
@click.option("--layout",
              type=click.Choice(["auto", "clustered", "layered", "hierarchical", "physics"]),
              default="auto", show_default=True,
              help="auto: layered for routes (left to right from the trigger, lanes by level, "
                   "fixed positions: the same query always gives the same picture), "
                   "clustered for the whole pack (one band per jurisdiction, sub-units folded "
                   "into their parent until clicked, fixed positions); hierarchical is an "
                   "alias of layered; physics is force-directed.")
@click.option("--timeline", is_flag=True,
              help="Add a table of each route's status from each date on which a rule or "
                   "flow change altered it (implies a route query).")
@click.option("--since", default=None, metavar="YYYY-MM-DD",
              help="With --timeline: leave out earlier dates.")
@click.option("--title", default=None, metavar="TEXT", help="Page title (default: the query).")
def html(data, source, target, profile, sets, as_of, max_hops, routes_mode, status, backend,
         output, layout, timeline, since, title):
    """A single self-contained HTML page: opens offline, from a file, in any modern browser.

    It makes no network request, runs no code from the data (all text is escaped), and shows
    the routes, each hop's status and the quoted evidence in tooltips.

    Example: graphflow export html -o case.html --profile fare-evasion --as-of 2017-03-01
    --from nypd-arrest --to ice
    """
    from graphflow.errors import GraphflowError
    from graphflow.export.formats import write_bytes
    from graphflow.export.html import render_html
    from graphflow.export.view import pack_view, route_view, timeline_data

    if since and not timeline:
        raise GraphflowError("--since only applies to --timeline", where="--since",
                             hint="add --timeline")
    t = resolve(data, source, target, profile, sets, as_of, max_hops, routes_mode, status,
                backend, force_routes=timeline)
    if t.report is not None:
        tl = None
        if timeline:
            from graphflow.audit import open_engine

            start = parse_as_of(since, "--since") if since else None
            from graphflow.analysis.timeline import timeline as compute_timeline

            with open_engine(backend, t.pack) as engine:  # the library computes, view renders
                result = compute_timeline(t.pack, engine, t.query, since=start,
                                          route_ids={r.id for r in t.report.routes})
            tl = timeline_data(result, t.report.routes, t.query.as_of)
            _log(f"timeline: {len(tl['rows'])} routes on {len(tl['dates'])} dates")
        view = route_view(t.pack, t.report,
                          layout="physics" if layout == "physics" else "layered",
                          timeline=tl)
    else:
        view = pack_view(t.pack, facts=t.facts, as_of=t.as_of, profile=t.profile,
                         layout=layout)
    if title:
        view["title"] = title
    payload = render_html(view).encode("utf-8")
    path = write_bytes(payload, output)
    what = f"{len(view['nodes'])} actors, {len(view['edges'])} flows, {len(view['routes'])} routes"
    _done(path, what, len(payload))


@export.command("svg")
@selection_options
@output_option("SVG file to write ('-' for stdout).")
def svg(data, source, target, profile, sets, as_of, max_hops, routes_mode, status, backend,
        output):
    """A static SVG picture of one query's routes (for print and news pages): the same
    layered layout as the HTML page, opens in any viewer without a browser.

    Example: graphflow export svg -o route.svg --from nypd-arrest --to ice
    --profile fare-evasion --as-of 2017-03-01
    """
    from graphflow.export.formats import write_bytes
    from graphflow.export.svg import render_svg
    from graphflow.export.view import route_view

    t = resolve(data, source, target, profile, sets, as_of, max_hops, routes_mode, status,
                backend, force_routes=True)
    view = route_view(t.pack, t.report, layout="layered")
    payload = render_svg(view)
    path = write_bytes(payload, output)
    _done(path, f"{len(view['nodes'])} actors, {len(view['edges'])} flows, "
                f"{len(view['routes'])} routes", len(payload))


@export.command("graphml")
@selection_options
@output_option("GraphML file to write ('-' for stdout).")
def graphml(data, source, target, profile, sets, as_of, max_hops, routes_mode, status, backend,
            output):
    """GraphML (yEd, Cytoscape, networkx): actors as nodes, flows as edges keyed by flow id.

    Lists are joined with '; ', citations with ' | '.

    Example: graphflow export graphml -o nyc.graphml --as-of 2017-03-01
    """
    _write_one("graphml", data, source, target, profile, sets, as_of, max_hops, routes_mode,
               status, backend, output)


@export.command("gexf")
@selection_options
@output_option("GEXF file to write ('-' for stdout).")
def gexf(data, source, target, profile, sets, as_of, max_hops, routes_mode, status, backend,
         output):
    """GEXF (Gephi): actors as nodes labelled by name, flows as edges with the flow id as id.

    Example: graphflow export gexf -o nyc.gexf --profile fare-evasion --as-of 2017-03-01
    """
    _write_one("gexf", data, source, target, profile, sets, as_of, max_hops, routes_mode,
               status, backend, output)


@export.command("json")
@selection_options
@output_option("JSON file to write ('-' for stdout).")
def json_cmd(data, source, target, profile, sets, as_of, max_hops, routes_mode, status,
             backend, output):
    """Node-link JSON with every attribute, the citations (quotes, source titles) and, for a
    route query, the hop statuses with their reasons and the routes.

    Read it back with networkx.node_link_graph(data, edges="edges").

    Example: graphflow export json -o routes.json --from nypd-arrest --to ice
    --profile fare-evasion --as-of 2017-03-01
    """
    _write_one("json", data, source, target, profile, sets, as_of, max_hops, routes_mode,
               status, backend, output)


def _write_one(kind, data, source, target, profile, sets, as_of, max_hops, routes_mode, status,
               backend, output):
    """Select, serialise as GraphML / GEXF / JSON, and write atomically (or to stdout)."""
    from graphflow.export import formats

    sel = _selection(resolve(data, source, target, profile, sets, as_of, max_hops,
                             routes_mode, status, backend))
    payload = getattr(formats, f"{kind}_bytes")(sel)
    _done(formats.write_bytes(payload, output), _counts(sel), len(payload))


@export.command("csv")
@selection_options
@output_option("Folder to write nodes.csv and edges.csv into (created if missing).")
def csv_cmd(data, source, target, profile, sets, as_of, max_hops, routes_mode, status, backend,
            output):
    """nodes.csv (one row per actor) and edges.csv (one row per flow) in a folder.

    For `neo4j-admin database import` files (the graph exactly as `graphflow neo4j load`
    writes it), use `graphflow export neo4j-csv -o FOLDER`.

    Example: graphflow export csv -o nyc-csv --as-of 2017-03-01
    """
    from graphflow.export.formats import csv_files, write_folder

    sel = _selection(resolve(data, source, target, profile, sets, as_of, max_hops,
                             routes_mode, status, backend))
    files = csv_files(sel)
    path = write_folder(files, output)
    _done(path, _counts(sel) + " (nodes.csv, edges.csv)", sum(map(len, files.values())))


# --- Neo4j exports -----------------------------------------------------------------------------
# The same graph `graphflow neo4j load` writes, as a Cypher script or neo4j-admin CSV files.
from graphflow.cli.export_neo4j import cypher, neo4j_csv  # noqa: E402

export.add_command(cypher, "cypher")
export.add_command(neo4j_csv, "neo4j-csv")
