"""`graphflow compare --format html`: an offline page with no script, nothing loaded, every
value escaped, and a CSP that allows only its own inline style."""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup, escape

from graphflow.report.compare import header_lines

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
    parts += [f"<li>{e(x)}</li>" for x in header_lines(result)]
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
                url = src.get("url") or (src.get("original") or {}).get("url") or ""
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
