"""`graphflow compare`: one question asked across packs (graphflow/analysis/across.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from markupsafe import Markup, escape

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
        text = render_html(result)
    elif fmt == "csv":
        from graphflow.report.tables import render_rows

        rows = flat_rows(result)
        text = render_rows(rows, list(rows[0]) if rows else ["kind", "pack", "status"], "csv")
    else:
        text = render_text(result, fmt)
    if output:
        from graphflow.outfile import write_bytes

        write_bytes(text.encode("utf-8"), output)
        click.echo(f"wrote {output}", err=True)
    else:
        emit(text)


def _cell_text(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "-"
    rule = (cell.get("deciding") or {}).get("rule")
    return f"{cell['status']} ({cell['evidence']}){': ' + rule if rule else ''}"


def _header(result: dict[str, Any]) -> list[str]:
    lines = [f"Compare as of {result['as_of']}"
             + (f", profile {result['profile']} (from {result['profile_from']})"
                if result["profile"] else "")]
    facts = ", ".join(f"{k}={v}" for k, v in result["facts"].items()) or "(none)"
    lines.append(f"Facts: {facts}")
    for p in result["packs"]:
        und = ", ".join(p["facts_undefined"])
        lines.append(f"{p['id']}: {p['from']} -> {p['to']}; layers "
                     f"{' <- '.join(p['layers'])}"
                     + (f"; does not define: {und}" if und else ""))
    return lines


def render_text(result: dict[str, Any], fmt: str) -> str:
    """table or md: one row per flow kind, one column per pack, then the deciding rules."""
    from graphflow.report.tables import render_rows

    ids = [p["id"] for p in result["packs"]]
    rows = [{"kind": r["kind"], **{i: _cell_text(r["packs"][i]) for i in ids}}
            for r in result["kinds"]]
    head = _header(result)
    notes = []
    for r in result["kinds"]:
        for i in ids:
            cell = r["packs"][i]
            d = (cell or {}).get("deciding")
            if d and d.get("source"):
                s = d["source"]
                notes.append(f"{r['kind']} / {i}: {d['rule']} ({d['jurisdiction']}) on "
                             f"{cell['deciding_flow']}: {s['title'] or s['id']} "
                             f"({s['locator']}): \"{s['quote']}\"")
    if fmt == "md":
        out = "\n".join(f"- {x}" for x in head) + "\n\n" + render_rows(rows, ["kind", *ids], "md",
                                                                         max_width=200)
        if notes:
            out += "\nDeciding rules:\n\n" + "".join(f"- {n}\n" for n in notes)
        return out + f"\n_{result['disclaimer']}_\n"
    out = "\n".join(head) + "\n\n" + render_rows(rows, ["kind", *ids], "table", max_width=48)
    if notes:
        out += "\nDeciding rules:\n" + "".join(f"  {n}\n" for n in notes)
    return out + result["disclaimer"] + "\n"


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:1200px;color:#111}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #cbd5e1;padding:.35em .5em;
vertical-align:top;text-align:left}th{background:#f1f5f9}.open{background:#fee2e2}
.conditional{background:#fef9c3}.blocked{background:#dcfce7}.not-triggered,.inactive{
background:#f1f5f9}.q{color:#334155;font-style:italic}.small{font-size:12px;color:#475569}
""".strip()


def render_html(result: dict[str, Any], generated: dt.date | None = None) -> str:
    """An offline page: no script, nothing loaded, every value escaped, a CSP that allows only
    its own inline style (the export package's CSP hash helper)."""
    from graphflow import __version__
    from graphflow.export.html import SAFE_URL, _csp_hash

    e = escape
    ids = [p["id"] for p in result["packs"]]
    csp = (f"default-src 'none'; style-src {_csp_hash(_STYLE)}; img-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    parts: list[str] = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">",  # constant text
        "<meta name=\"referrer\" content=\"no-referrer\">",
        f"<title>{e('graphflow compare ' + ' vs '.join(ids))}</title>",
        f"<style>{Markup(_STYLE)}</style></head><body>",
        f"<h1>{e('Compare: ' + ', '.join(ids))}</h1>",
        f"<p><strong>{e(result['disclaimer'])}</strong></p><ul>",
    ]
    parts += [f"<li>{e(x)}</li>" for x in _header(result)]
    parts.append("</ul><table><thead><tr><th>flow kind</th>")
    parts += [f"<th>{e(i)}</th>" for i in ids]
    parts.append("</tr></thead><tbody>")
    for r in result["kinds"]:
        parts.append(f"<tr><th>{e(r['kind'])}</th>")
        for i in ids:
            cell = r["packs"][i]
            if cell is None:
                parts.append("<td>no route</td>")
                continue
            d = cell.get("deciding") or {}
            src = d.get("source") or {}
            body = [f"<strong>{e(cell['status'])}</strong> (evidence {e(cell['evidence'])})",
                    f"<div class=\"small\">route {e(cell['route'])}, {e(cell['hops'])} hops; "
                    f"deciding hop {e(cell['deciding_flow'])}</div>"]
            if cell.get("reason"):
                body.append(f"<div>{e(cell['reason'])}</div>")
            if d:
                title = e(src.get("title") or src.get("id") or "")
                url = src.get("url") or ""
                link = (f"<a href=\"{e(url)}\" rel=\"noreferrer noopener\">{title}</a>"
                        if url and SAFE_URL.match(url) else title)
                body.append(f"<div>rule <strong>{e(d['rule'])}</strong> "
                            f"({e(d['jurisdiction'])}): {e(d['name'])}</div>")
                if src:
                    body.append(f"<div class=\"small\">{link} ({e(src.get('locator'))})</div>"
                                f"<div class=\"q\">\u201c{e(src.get('quote'))}\u201d</div>")
            parts.append(f"<td class=\"{e(cell['status'])}\">{''.join(body)}</td>")
        parts.append("</tr>")
    day = (generated or dt.date.today()).isoformat()
    parts.append(f"</tbody></table><p class=\"small\">{e(result['disclaimer'])} Generated "
                 f"{e(day)} by graphflow {e(__version__)}.</p></body></html>\n")
    return "".join(str(p) for p in parts)
