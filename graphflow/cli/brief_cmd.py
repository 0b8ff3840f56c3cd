"""`graphflow brief`: one self-contained, printable document for a case or a story."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from graphflow.cli.options import evidence_horizon, pack_option, parse_as_of, query_options

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".pdf": "pdf"}


@click.command()
@pack_option
@query_options
@click.option("-o", "--output", required=True, metavar="FILE.html|FILE.md|FILE.pdf",
              help="Where to write the brief; the extension picks the format ('-': Markdown "
                   "on stdout). PDF needs headless Chromium.")
@click.option("--paper", type=click.Choice(["letter", "a4"]), default="letter",
              show_default=True, help="PDF paper size (HTML and Markdown print on both).")
def brief(data: str | None, source: str | None, target: str | None, profile: str | None,
          sets: tuple[str, ...], max_hops: int, as_of: str | None, output: str,
          paper: str) -> None:
    """One document for a case or a story: a headline, the open routes with every step cited,
    the evidence age and disagreements, the facts that would change the answer, the rules in
    force, a bibliography. A research tool, not legal advice.

    Example: graphflow brief --profile fare-evasion --as-of 2017-03-01 -o brief.html
    """
    from graphflow import __version__
    from graphflow.api import open_pack
    from graphflow.errors import GraphflowError
    from graphflow.export.formats import write_bytes
    from graphflow.packs.loader import load_pack
    from graphflow.report.brief import brief_data, render_brief_md

    fmt = "md" if output == "-" else FORMATS.get(Path(output).suffix.lower())
    if fmt is None:
        raise GraphflowError(f"cannot tell the format of {output}", where="--output",
                             hint="end the file name in .html, .md or .pdf")
    if fmt == "pdf":  # fail before any work when Chromium is missing
        from graphflow.export.brief import chromium_path

        exe = chromium_path()
        if not Path(exe).is_file():
            raise GraphflowError(
                f"cannot write a PDF: no Chromium at {exe}", where="--output",
                hint="install Chromium (apt-get install chromium) or set GRAPHFLOW_CHROMIUM; "
                     "or write -o FILE.html and print it from a browser")
    pack = load_pack(data)
    answer = open_pack(pack).routes(
        source, target, profile=profile, sets=sets, as_of=parse_as_of(as_of),
        max_hops=max_hops, evidence_horizon=evidence_horizon())
    content = brief_data(answer.pack, answer.to_dict(), generated=dt.date.today(),
                         version=__version__)
    payload: Any
    if fmt == "md":
        payload = render_brief_md(content).encode("utf-8")
    else:
        from graphflow.export.brief import render_brief_html, render_pdf

        html = render_brief_html(content)
        payload = render_pdf(html, paper) if fmt == "pdf" else html.encode("utf-8")
    path = write_bytes(payload, output)
    if path is not None:
        click.echo(f"graphflow: wrote {path}: brief, {len(content['routes'])} open route(s), "
                   f"{len(content['sources'])} sources, {len(payload):,} bytes", err=True)
