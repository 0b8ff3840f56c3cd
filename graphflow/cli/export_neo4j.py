"""`graphflow export cypher` and `graphflow export neo4j-csv`: the Neo4j graph as files.

Both hold exactly what `graphflow neo4j load` writes (same rows, same statements), for
those who load it themselves: with cypher-shell, or with `neo4j-admin database import`.
The `export` group (graphflow/cli/export_cmd.py) attaches these two commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from graphflow.cli.options import MAX_HOPS_TYPE, pack_option
from graphflow.errors import GraphflowError


def _graph(data: str | None, with_statuses: bool, as_of: tuple[str, ...], max_hops: int):
    from graphflow.analysis.statuses import graph_with_statuses
    from graphflow.cli.options import parse_as_of
    from graphflow.packs.loader import load_pack

    if as_of and not with_statuses:
        raise GraphflowError("--as-of needs --with-statuses")
    dates = [parse_as_of(d) for d in as_of] or ([parse_as_of(None)] if with_statuses else [])
    return graph_with_statuses(load_pack(data), dates, max_hops)


def _status_options(f):
    f = click.option("--max-hops", type=MAX_HOPS_TYPE, default=8, show_default=True,
                     help="Longest route stored with --with-statuses.")(f)
    f = click.option("--as-of", "as_of", multiple=True, metavar="YYYY-MM-DD",
                     help="Date of the statuses (repeatable; default: today).")(f)
    f = click.option("--with-statuses", is_flag=True,
                     help="Include hop and route statuses, as `neo4j load --with-statuses`.")(f)
    return pack_option(f)


@click.command("cypher")
@_status_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="Script file ('-' for stdout).")
def cypher(data, with_statuses, as_of, max_hops, output):
    """A Cypher script that builds the same graph as `graphflow neo4j load`.

    Parameter-free statements, one per line: the schema, then one transaction (:begin /
    :commit) that replaces the pack. Run: cypher-shell -d neo4j -f nyc.cypher

    Example: graphflow export cypher -o nyc.cypher
    """
    from graphflow.store.script import cypher_script, write_script

    graph = _graph(data, with_statuses, as_of, max_hops)
    if output == "-":
        for line in cypher_script(graph):
            click.echo(line)
        return
    count = write_script(graph, Path(output))
    click.echo(f"wrote {output}: {count} statements for pack {graph.pack} "
               f"({graph.node_count()} nodes, {graph.rel_count()} relationships)", err=True)


@click.command("neo4j-csv")
@_status_options
@click.option("-o", "--output", type=click.Path(file_okay=False), required=True,
              help="Folder for the CSV files (created if missing).")
def neo4j_csv(data, with_statuses, as_of, max_hops, output):
    """CSV files for `neo4j-admin database import full` (nodes and relationships with :ID,
    :LABEL, :START_ID, :END_ID and :TYPE headers), with import.sh and constraints.cypher.

    Example: graphflow export neo4j-csv -o nyc-import
    """
    from graphflow.store.script import write_csv

    graph = _graph(data, with_statuses, as_of, max_hops)
    files, command = write_csv(graph, Path(output))
    click.echo(f"wrote {len(files)} CSV files to {output} for pack {graph.pack} "
               f"({graph.node_count()} nodes, {graph.rel_count()} relationships)", err=True)
    click.echo(command)
