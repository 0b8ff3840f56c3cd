"""`graphflow compare`: one question asked across packs (graphflow/analysis/across.py)."""

from __future__ import annotations

import click

from graphflow.cli.options import MAX_HOPS, MAX_HOPS_TYPE, dump_json, emit, parse_as_of

FORMATS = ("table", "json", "csv", "md", "html")


@click.command()
@click.option("--data", "datas", multiple=True, required=True, metavar="PACK",
              help="A pack (bundled id or folder); repeat for each jurisdiction.")
@click.option("--profile", default=None, metavar="ID",
              help="A case profile of any of the packs; its facts apply to every pack that "
                   "defines them.")
@click.option("--profile-facts", "settings", multiple=True, metavar="FACT=VALUE[,...]",
              help="Case facts (repeatable, or comma-separated), applied by fact id.")
@click.option("--to", "target", default=None, metavar="ACTOR",
              help="Target actor in every pack. Default: each pack's.")
@click.option("--max-hops", type=MAX_HOPS_TYPE, default=8, show_default=True,
              help=f"Longest route, in flows (1 to {MAX_HOPS}).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date to evaluate rules and validity at. Default: today.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format (html: an offline page).")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write to FILE (atomically) instead of stdout.")
def compare(datas, profile, settings, target, max_hops, as_of, fmt, output):
    """Per flow kind, the status and evidence in each pack, with the deciding rule and its
    source. The case is matched across packs by fact id; facts a pack does not define are
    named.

    Example: graphflow compare --data nyc --data connecticut --profile-facts
    arrest-type=custodial-arrest,judicial-warrant=false,detainer-lodged=true --as-of 2017-03-01
    """
    from graphflow.analysis.across import Case, flat_rows, parse_settings
    from graphflow.analysis.across import compare as run
    from graphflow.packs.loader import load_pack

    day = parse_as_of(as_of)
    packs = [load_pack(d) for d in datas]
    result = run(packs, Case(profile, parse_settings(settings)), day, max_hops, target)
    if fmt == "json":
        text = dump_json(result)
    elif fmt == "html":
        from graphflow.export.compare import render_html

        text = render_html(result)
    elif fmt == "csv":
        from graphflow.report.tables import render_rows

        rows = flat_rows(result)
        text = render_rows(rows, list(rows[0]) if rows else ["kind", "pack", "status"], "csv")
    else:
        from graphflow.report.compare import render_text

        text = render_text(result, fmt)
    if output:
        from graphflow.outfile import write_bytes

        write_bytes(text.encode("utf-8"), output)
        click.echo(f"wrote {output}", err=True)
    else:
        emit(text)
