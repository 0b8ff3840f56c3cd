"""`graphflow neo4j load|schema|packs|drop`, `graphflow query list|show|run` and
`graphflow cypher`: the audit graph in a Neo4j server.

Connection settings come from NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE (a
missing password is asked for in a terminal), never from the command line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from graphflow.cli.options import FORMATS, MAX_HOPS_TYPE, dump_json, emit, pack_option
from graphflow.errors import GraphflowError

ENV_HELP = ("Connection: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD (asked for in a terminal if "
            "unset), NEO4J_DATABASE.")
RESULT_FORMATS = FORMATS  # table, json, csv, md


def _warn(text: str) -> None:
    click.echo(f"graphflow: warning: {text}", err=True)


def _note(text: str) -> None:
    """A progress or status line: on stderr, so that stdout holds only the data."""
    from graphflow.report.tables import terminal_safe

    click.echo(terminal_safe(text), err=True)


# -- output ------------------------------------------------------------------------------------


def _flat(value: Any) -> Any:
    """Nested values (maps, lists of maps) as JSON text for tables and CSV."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def render_result(columns: Sequence[str], rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Rows as a table, JSON (a list of objects) or CSV."""
    from graphflow.report.tables import render_rows

    if fmt == "json":
        return dump_json(list(rows))
    flat = [{c: _flat(r.get(c)) for c in columns} for r in rows]
    if fmt == "table" and not rows:
        return "(no rows)\n"
    text = render_rows(flat, list(columns), fmt)
    if fmt == "table":
        text += f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n"
    return text


def _parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """`k=v` pairs; a value is read as JSON when it parses (3, true, ["a"]), else as text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise GraphflowError(f"--param {pair!r} is not name=value",
                                 hint="e.g. --param id=ice or --param ids='[\"a\",\"b\"]'")
        key, raw = pair.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


def _run_and_print(driver: Any, settings: Any, text: str, params: dict[str, Any], fmt: str,
                   timeout: float | None) -> None:
    from graphflow.store.connection import translate
    from graphflow.store.readonly import run_read

    with translate(settings, deadline=False):  # run_read has the deadline: --timeout
        result = run_read(driver, settings.database, text, params, timeout=timeout or None)
    for note in result.notifications:
        _warn(note)
    emit(render_result(result.columns, result.rows, fmt))


def _timeout_option(f: Any) -> Any:
    return click.option("--timeout", type=float, default=120.0, show_default=True,
                        metavar="S", help="Give up after S seconds (0: no limit).")(f)


def _result_format(f: Any) -> Any:
    return click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table",
                        show_default=True, help="Output format (data on stdout).")(f)


# -- graphflow neo4j ---------------------------------------------------------------------------


@click.group("neo4j", epilog=ENV_HELP)
def neo4j_group() -> None:
    """Load the audit graph into a Neo4j database, and manage what is loaded."""


def _progress() -> tuple[Any, Any]:
    """A rich progress bar on stderr (silent when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    bar = Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, disable=not console.is_terminal)
    task = bar.add_task("loading", total=None)

    def update(done: int, total: int, what: str) -> None:
        bar.update(task, completed=done, total=total, description=what[:40])

    return bar, update


def _batch_size_option(f: Any) -> Any:
    from graphflow.store.load import BATCH_ROWS, MAX_BATCH

    return click.option("--batch-size", type=int, default=BATCH_ROWS, show_default=True,
                        help=f"Rows per UNWIND statement (and per transaction when batched; "
                             f"1..{MAX_BATCH:,}).")(f)


def _transaction_option(f: Any) -> Any:
    from graphflow.store.load import ONE_TX_MAX_ROWS, TRANSACTIONS

    return click.option("--transaction", type=click.Choice(TRANSACTIONS), default="auto",
                        show_default=True,
                        help=f"one: a single atomic transaction; batches: committed batches "
                             f"behind a 'loading' marker; auto: one up to {ONE_TX_MAX_ROWS:,} "
                             f"rows.")(f)


def _loaded_line(pack: str, where: str, result: Any) -> str:
    if result.transaction == "unchanged":
        return (f"Pack {pack} is already in {where}, unchanged ({result.rows} rows checked in "
                f"{result.seconds:.2f} s): nothing written; --force writes it again.")
    return (f"Loaded pack {pack} into {where} in {result.seconds:.2f} s "
            f"({result.rows} rows, {_how(result)}).")


def _how(result: Any) -> str:
    if result.transaction == "one":
        return "one transaction"
    return (f"{result.batches} committed transactions of up to {result.batch_size:,} rows")


@neo4j_group.command("load", epilog=ENV_HELP)
@pack_option
@click.option("--with-statuses", is_flag=True,
              help="Also write hop and route statuses for every profile of the pack.")
@click.option("--as-of", "as_of", multiple=True, metavar="YYYY-MM-DD",
              help="Date of the statuses (repeatable; default: today). Needs --with-statuses.")
@click.option("--max-hops", type=MAX_HOPS_TYPE, default=8, show_default=True,
              help="Longest route stored with --with-statuses.")
@_batch_size_option
@_transaction_option
@click.option("--force", is_flag=True,
              help="Write the pack even when the database already holds it unchanged.")
@_result_format
def load(data: str | None, with_statuses: bool, as_of: tuple[str, ...], max_hops: int,
         batch_size: int, transaction: str, force: bool, fmt: str) -> None:
    """Load (or reload) a pack, replacing the pack's data.

    A pack of up to 200,000 rows is replaced in one atomic transaction (other sessions see
    the old pack or the new one). A bigger one is written in committed batches: until the last
    one, graphflow's readers say the pack is being loaded (or that the load was interrupted:
    run it again). --transaction one forces one transaction (the server needs the memory for
    it), --transaction batches forces batches. Other packs and your own nodes are left alone;
    loading twice gives the same graph. A pack the database already holds unchanged (the same
    content hash and properties, every label and relationship type counted) is not written
    again (--force writes it anyway). The summary goes to stdout (--format csv|md: one row
    per label and relationship type), the progress to stderr.
    Example: NEO4J_URI=neo4j://localhost:7687 graphflow neo4j load --data nyc --with-statuses
    --as-of 2017-03-01
    """
    from graphflow.analysis.statuses import graph_with_statuses
    from graphflow.cli.options import parse_as_of
    from graphflow.packs.loader import load_pack
    from graphflow.store.connection import session_driver
    from graphflow.store.load import check_batch_size, load_graph
    from graphflow.store.model import NODE_BY_LABEL

    check_batch_size(batch_size)
    if as_of and not with_statuses:
        raise GraphflowError("--as-of needs --with-statuses")
    if max_hops < 1:
        raise GraphflowError(f"--max-hops must be at least 1, not {max_hops}")
    dates = [parse_as_of(d) for d in as_of] or ([parse_as_of(None)] if with_statuses else [])
    pack = load_pack(data)
    graph = graph_with_statuses(pack, dates, max_hops)
    with session_driver() as (driver, settings):
        bar, update = _progress()
        if bar.disable:
            _note(f"loading pack {pack.id}: {graph.node_count()} nodes, "
                  f"{graph.rel_count()} relationships into {settings.where}")
        with bar:
            result = load_graph(driver, settings.database, graph, batch_size=batch_size,
                                progress=update, transaction=transaction,
                                skip_unchanged=not force)
    expected = graph.counts()
    off = {k: (v, result.counts.get(k, 0)) for k, v in expected.items()
           if result.counts.get(k, 0) != v}
    for name, (want, got) in off.items():
        _warn(f"{name}: wrote {want}, the database has {got} for pack {pack.id!r}")
    if fmt == "json":
        emit(dump_json({"pack": pack.id, "database": settings.database, "uri": settings.uri,
                        "seconds": round(result.seconds, 3), "rows": result.rows,
                        "transaction": result.transaction, "statements": result.batches,
                        "batch_size": result.batch_size, "counts": result.counts,
                        "status_dates": [d.isoformat() for d in dates]}))
        return
    if fmt in ("csv", "md"):
        from graphflow.report.tables import render_rows

        _note(_loaded_line(pack.id, settings.where, result))
        rows = [{"pack": pack.id, "what": k, "count": v} for k, v in result.counts.items()]
        emit(render_rows(rows, ["pack", "what", "count"], fmt))
        return
    nodes = {k: v for k, v in result.counts.items() if k in NODE_BY_LABEL}
    rels = {k: v for k, v in result.counts.items() if k not in NODE_BY_LABEL}
    lines = [_loaded_line(pack.id, settings.where, result),
             "Nodes: " + ", ".join(f"{k} {v}" for k, v in nodes.items() if v),
             "Relationships: " + ", ".join(f"{k} {v}" for k, v in rels.items() if v)]
    if dates:
        lines.append(f"Statuses: {len(pack.profiles)} profile(s) on "
                     + ", ".join(d.isoformat() for d in dates))
    emit("\n".join(lines) + "\n")


@neo4j_group.command("schema", epilog=ENV_HELP)
@click.option("--print", "print_only", is_flag=True, help="Print the statements; do not connect.")
@_result_format
def schema(print_only: bool, fmt: str) -> None:
    """Apply the constraints and indexes (schema/neo4j/constraints.cypher); idempotent.

    --format table prints the Cypher file (--print) or what was applied; json, csv and md list
    the statements (name, kind, cypher), with the status line on stderr.
    Example: graphflow neo4j schema --print --format md
    """
    from graphflow.report.tables import render_rows
    from graphflow.store.connection import session_driver
    from graphflow.store.load import apply_schema, schema_entries, schema_path

    entries = schema_entries()
    if print_only and fmt == "table":
        emit(schema_path().read_text(encoding="utf-8"))
        return
    settings = None
    if not print_only:
        with session_driver() as (driver, settings):
            count = apply_schema(driver, settings.database)
        line = f"Applied {count} schema statements to {settings.where}."
        if fmt == "table":
            emit(line + "\n")
            return
        _note(line)
    if fmt == "json":
        emit(dump_json({"applied": settings is not None,
                        "database": settings.database if settings else None,
                        "uri": settings.uri if settings else None, "statements": entries}))
    else:
        emit(render_rows(entries, ["name", "kind", "cypher"], fmt, max_width=200))


@neo4j_group.command("packs", epilog=ENV_HELP)
@_result_format
def packs(fmt: str) -> None:
    """The packs loaded in the database, and any whose batched load or drop has not finished
    (state loading or dropping, with the time it started; a warning on stderr says so).

    Example: graphflow neo4j packs --format json
    """
    from graphflow.store.connection import session_driver, translate
    from graphflow.store.load import loaded_packs, unfinished, unfinished_hint

    with session_driver() as (driver, settings), translate(settings):
        rows = loaded_packs(driver, settings.database, timeout=settings.query_timeout)
    for row in rows:
        problem = unfinished(row["id"], row["state"], row["load_started_at"])
        if problem:
            _warn(f"{problem}: {unfinished_hint(row['id'], row['state'])}")
    emit(render_result(["id", "name", "state", "loaded_at", "load_started_at", "status_dates",
                        "model_version"], rows, fmt))


@neo4j_group.command("drop", epilog=ENV_HELP)
@click.option("--pack", "pack_id", required=True, metavar="ID", help="Id of the pack to remove.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_batch_size_option
@_transaction_option
@_result_format
def drop(pack_id: str, yes: bool, batch_size: int, transaction: str, fmt: str) -> None:
    """Remove one pack's graphflow nodes (other packs and your own nodes stay).

    A big pack (auto) is deleted in committed batches, its (:Pack) node marked 'dropping'
    first and deleted last, so an interrupted drop shows and can be run again. Says what was
    deleted, from the server's counters (--format csv|md: one row per label,
    then the relationships). The confirmation question goes to stderr.
    Example: graphflow neo4j drop --pack nyc --yes --format json
    """
    from graphflow.report.tables import render_rows
    from graphflow.store.connection import session_driver
    from graphflow.store.load import check_batch_size, drop_pack

    check_batch_size(batch_size)
    with session_driver() as (driver, settings):
        if not yes and not click.confirm(f"Remove pack {pack_id!r} from {settings.where}?",
                                         err=True):
            raise click.exceptions.Abort()
        dropped = drop_pack(driver, settings.database, pack_id, transaction=transaction,
                            batch_size=batch_size)
    if fmt == "json":
        emit(dump_json({"pack": pack_id, "database": settings.database, "uri": settings.uri,
                        "removed": dropped.node_count > 0, "transaction": dropped.transaction,
                        "nodes": dropped.nodes,
                        "relationships": dropped.relationships}))
    elif fmt == "table":
        if dropped.node_count:
            emit(f"Removed pack {pack_id} from {settings.where}: {dropped.node_count} nodes, "
                 f"{dropped.relationships} relationships.\n")
        else:
            emit(f"Pack {pack_id} has no graphflow nodes in {settings.where}: nothing "
                 "removed.\n")
    else:
        rows = [{"pack": pack_id, "what": label, "removed": n}
                for label, n in dropped.nodes.items()]
        rows.append({"pack": pack_id, "what": "relationships", "removed": dropped.relationships})
        emit(render_rows(rows, ["pack", "what", "removed"], fmt))


# -- graphflow query ---------------------------------------------------------------------------


@click.group("query", epilog=ENV_HELP)
def query_group() -> None:
    """The canned Cypher query library: list, show (with its Cypher) and run."""


@query_group.command("list")
@_result_format
def query_list(fmt: str) -> None:
    """Every canned query, with its parameters.

    Example: graphflow query list --format md
    """
    from graphflow.report.tables import render_rows
    from graphflow.store.queries import library

    rows = [{"id": q.id, "title": q.title,
             "parameters": ", ".join(p.name for p in q.parameters),
             "requires": ", ".join(q.requires)} for q in library().values()]
    emit(render_rows(rows, ["id", "title", "parameters", "requires"], fmt, max_width=70))


@query_group.command("show")
@click.argument("name")
@_result_format
def query_show(name: str, fmt: str) -> None:
    """A canned query's description, parameters and Cypher.

    --format json: the query as an object; md: a Markdown section (the Cypher in a fenced
    block); csv: one row (parameters as JSON text).
    Example: graphflow query show open-routes --format md
    """
    from graphflow.store.queries import get

    q = get(name)
    if fmt != "table":
        emit(_show_formatted(q, fmt))
        return
    lines = [f"{q.id}: {q.title}", "", q.description, ""]
    if q.requires:
        lines += [f"Requires: {', '.join(q.requires)} (graphflow neo4j load --with-statuses)",
                  ""]
    lines.append("Parameters:")
    for p in q.parameters:
        default = "required" if p.required else f"default {p.default}"
        lines.append(f"  {p.name} ({p.type}, {default}): {p.description}")
    lines += ["", "Cypher:", "", q.cypher, ""]
    if q.hop_bound:
        lines += [_hop_bound_note(q.hop_bound), ""]
    lines.append(f"Run: {q.run_example()}")
    emit("\n".join(lines) + "\n")


def _hop_bound_note(name: str) -> str:
    return (f"{{{{{name}}}}} is the hop bound: the value of {name} (a whole number from 1 to 32; "
            "Cypher cannot take it as a parameter), one query text per value.")


def _show_formatted(q: Any, fmt: str) -> str:
    """``query show`` as JSON, CSV (one row) or Markdown."""
    from graphflow.report.tables import render_rows

    info = q.as_dict()
    if fmt == "json":
        return dump_json(info)
    if fmt == "csv":  # one row; the Cypher keeps its lines (a quoted CSV field)
        import csv
        import io

        row = {**info, "requires": ", ".join(info["requires"]),
               "parameters": _flat(info["parameters"])}
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows([list(row), ["" if v is None else v for v in row.values()]])
        return buf.getvalue()
    params = [{"name": p.name, "type": p.type,
               "default": "required" if p.required else _flat(p.default),
               "description": p.description} for p in q.parameters]
    out = [f"## {q.id}: {q.title}", "", q.description, ""]
    if q.requires:
        out += [f"Requires: {', '.join(q.requires)} (`graphflow neo4j load --with-statuses`)",
                ""]
    if params:
        out += [render_rows(params, ["name", "type", "default", "description"], "md")]
    fence = "````" if "```" in q.cypher else "```"
    out += [f"{fence}cypher", q.cypher, fence, ""]
    if q.hop_bound:
        out += [_hop_bound_note(q.hop_bound), ""]
    out.append(f"Run: `{q.run_example()}`")
    return "\n".join(out) + "\n"


@query_group.command("run", epilog=ENV_HELP)
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter (repeatable); see `graphflow query show NAME`.")
@_result_format
@_timeout_option
def query_run(name: str, params: tuple[str, ...], fmt: str, timeout: float) -> None:
    """Run a canned query (read-only).

    Example: graphflow query run open-routes --param pack=nyc --param profile=fare-evasion
    --param as_of=2017-03-01
    """
    from graphflow.store.connection import session_driver
    from graphflow.store.queries import bind, check_requirements, get

    q = get(name)
    values = bind(q, params)
    q.text(values)  # a bad hop bound is an error before connecting
    with session_driver() as (driver, settings):
        check_requirements(driver, settings.database, q, values)
        _run_and_print(driver, settings, q.text(values), values, fmt, timeout)


# -- graphflow cypher --------------------------------------------------------------------------


@click.command("cypher", epilog=ENV_HELP)
@click.argument("text", metavar="QUERY")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter, $NAME in the query; VALUE is read as JSON if it parses "
                   "(3, true, [\"a\"]), else as text. Repeatable.")
@_result_format
@_timeout_option
def cypher(text: str, params: tuple[str, ...], fmt: str, timeout: float) -> None:
    """Run your own read-only Cypher (QUERY, or - to read it from stdin).

    The query is refused before anything runs unless it is read-only by construction (an
    allowlist of read clauses, functions and procedures) and the server's EXPLAIN classifies
    it as a read; then it runs in a READ session with a server-side timeout. A pack whose
    batched load or drop has not finished gets a warning on stderr (the query still runs).
    Example: graphflow cypher "MATCH (a:Actor {pack: \\$pack}) RETURN a.id, a.kind"
    --param pack=nyc
    """
    from graphflow.report.tables import terminal_safe
    from graphflow.store.connection import session_driver, translate
    from graphflow.store.readonly import check_read_only, unfinished_packs, unknown_names

    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise GraphflowError("empty query")
    text = check_read_only(text).text
    values = _parse_params(params)
    with session_driver() as (driver, settings):
        with translate(settings):
            problem = unknown_names(driver, settings.database, text)
        if problem is not None:
            raise problem
        with translate(settings, deadline=False):  # run_read has the deadline: --timeout
            warnings = unfinished_packs(driver, settings.database, timeout=timeout or None)
        for warning in warnings:  # the query still runs: it may look at that pack on purpose
            _warn(terminal_safe(warning))
        _run_and_print(driver, settings, text, values, fmt, timeout)
