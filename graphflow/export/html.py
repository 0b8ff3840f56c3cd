"""Self-contained, offline, XSS-safe interactive HTML view of a flow graph.

The page inlines vis-network 9.1.2 (shipped inside pyvis 0.3.2), embeds the data as escaped
JSON read with ``JSON.parse``, builds every data-derived DOM node with ``textContent`` and
carries a Content-Security-Policy that allows only its own (hashed) inline scripts.

The view contract (plain dicts; every value is text to the page, never markup), built by
``graphflow.export.view``:

* ``title``, ``subtitle``: header text. ``query``: mapping shown in the header (keys ``from``,
  ``to``, ``profile``, ``facts``, ``as_of``, ``max_hops``, ``status``; empty ones omitted) or None.
* ``summary``: ``{status: count}`` badges (empty: no badges); ``summary_of``: what is counted
  (``"routes"`` by default, ``"flows"`` for a whole-pack view).
* ``nodes``: ``[{id, label, kind, level, tooltip: [line, ...]}]``.
* ``edges``: ``[{id, from, to, label, status (or None), tooltip: [line, ...]}]``.
* ``routes``: ``[{id, status, label, edges: [edge id, ...]}]`` for the routes panel.
* ``nodes`` may carry ``part_of`` (a node id): whole-pack (physics) views fold sub-units into
  their top-level parent until "Show sub-units" (``fold_parts: False`` turns this off).
* ``edges`` may carry ``card`` (``graphflow.export.view.hop_card``): shown in the route card.
* ``layout``: ``"layered"`` (alias ``"hierarchical"``): fixed positions with physics off, from
  ``positions`` (``graphflow.export.layout.Layout.as_dict()``) or else computed here by the
  layered layout (columns from ``ranks``: ``{node id: int}`` when given); or ``"physics"``;
  or ``"clustered"`` (whole pack, ``graphflow.export.view.clustered_positions``): fixed
  ``positions`` for every node and ``folded`` ones for the top-level nodes, lanes with a
  ``label`` (the jurisdiction), sub-units folded until clicked.
* The page prints the disclaimer, the generation date, graphflow's version and the query.
* ``timeline`` (optional): ``{dates: [...], current: date, rows: [{route, label,
  statuses: {date: status}}]}``, drawn as an HTML table under the graph.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import re
from collections import deque
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

VIS_DIR = "lib/vis-9.1.2"
STATUSES = ("open", "conditional", "blocked", "not-triggered", "inactive")
LEVELS = ("city", "county", "state", "federal", "other")
BIG_NODES = 300  # above this: no smooth curves, no improvedLayout, no edge labels
BIG_EDGES = 600
SAFE_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.I)
DISCLAIMER = "Research tool, not legal advice."

# Edge look per route status; "none" is for edges without a status (context only).
STATUS_STYLES: dict[str, dict[str, Any]] = {
    "open": {"color": "#d62728", "width": 3, "dashes": False,
             "text": "open: information reaches"},
    "conditional": {"color": "#e69500", "width": 2.5, "dashes": [8, 5],
                    "text": "conditional: reaches if a condition holds"},
    "blocked": {"color": "#4f7a68", "width": 1.5, "dashes": [2, 5],
                "text": "blocked: a rule stops it"},
    "not-triggered": {"color": "rgba(110,110,110,0.45)", "width": 1, "dashes": False,
                      "text": "not triggered for this profile"},
    "inactive": {"color": "rgba(150,150,150,0.2)", "width": 1, "dashes": False,
                 "text": "inactive at this date"},
    "none": {"color": "#8a8a8a", "width": 1.2, "dashes": False, "text": "no status (context)"},
}
LEVEL_STYLES: dict[str, dict[str, str]] = {
    "city": {"background": "#dbeafe", "border": "#2563eb"},
    "county": {"background": "#fef3c7", "border": "#b45309"},
    "state": {"background": "#dcfce7", "border": "#15803d"},
    "federal": {"background": "#ede9fe", "border": "#6d28d9"},
    "other": {"background": "#f1f5f9", "border": "#64748b"},
}
KIND_SHAPES: dict[str, str] = {
    "agency": "box", "office": "ellipse", "system": "database", "program": "hexagon",
    "court": "diamond", "facility": "square", "role": "dot", "organization": "triangle",
    "event": "star",
}


def _s(value: Any) -> str:
    """Any value as text ('' for None)."""
    return "" if value is None else str(value)


def _lines(value: Any) -> list[str]:
    """Tooltip value (None, str or list) as a list of text lines."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [_s(v) for v in value]


@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """vis-network JS and CSS from the pinned pyvis package, checked safe to inline."""
    base = resources.files("pyvis").joinpath(VIS_DIR)
    js = base.joinpath("vis-network.min.js").read_text("utf-8")
    css = base.joinpath("vis-network.css").read_text("utf-8")
    js, css = (t.replace("\r\n", "\n").replace("\r", "\n") for t in (js, css))
    if "</script" in js.lower() or "<!--" in js or "</style" in css.lower():
        raise RuntimeError("vis-network assets cannot be inlined safely")
    return js, css


def _csp_hash(text: str) -> Markup:
    """CSP source expression allowing exactly this inline script text."""
    digest = base64.b64encode(hashlib.sha256(str(text).encode("utf-8")).digest()).decode("ascii")
    return Markup(f"'sha256-{digest}'")  # safe: base64 alphabet only


def _json_for_script(data: Any) -> str:
    """JSON that cannot end or confuse its <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _fill_ranks(
    ids: list[str], edges: list[dict[str, Any]], ranks: dict[str, Any]
) -> dict[str, int]:
    """A rank for every node: given ones kept, others from neighbours (BFS), else roots at 0."""
    out: dict[str, int] = {}
    for i in ids:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            out[i] = int(ranks[i])
    succ: dict[str, list[str]] = {i: [] for i in ids}
    pred: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        succ[e["from"]].append(e["to"])
        pred[e["to"]].append(e["from"])
    if not out:
        out = {i: 0 for i in ids if not pred[i]} or ({ids[0]: 0} if ids else {})
    for nbrs, step in ((succ, 1), (pred, -1)):
        queue = deque(out)
        while queue:
            cur = queue.popleft()
            for nxt in nbrs[cur]:
                if nxt not in out:
                    out[nxt] = out[cur] + step
                    queue.append(nxt)
    low = min(out.values(), default=0)
    return {i: out.get(i, low) - low for i in ids}


def _svg(shape: str, fill: str = "#f1f5f9", stroke: str = "#475569") -> Markup:
    """Small inline SVG legend symbol for a vis-network node shape (trusted constants only)."""
    def poly(n: int, r: float, start: float = -90.0, inner: float | None = None) -> str:
        pts = []
        for k in range(n * (2 if inner else 1)):
            rad = (r if not inner or k % 2 == 0 else inner)
            a = math.radians(start + k * 360 / (n * (2 if inner else 1)))
            pts.append(f"{12 + rad * math.cos(a):.1f},{10 + rad * math.sin(a):.1f}")
        return f'<polygon points="{" ".join(pts)}"/>'

    body = {
        "box": '<rect x="2" y="4" width="20" height="12" rx="3"/>',
        "ellipse": '<ellipse cx="12" cy="10" rx="10" ry="6"/>',
        "database": '<path d="M4 5v10c0 3 16 3 16 0V5c0-3-16-3-16 0c0 3 16 3 16 0"/>',
        "hexagon": poly(6, 8, 0),
        "diamond": poly(4, 8),
        "square": '<rect x="5" y="3" width="14" height="14"/>',
        "dot": '<circle cx="12" cy="10" r="6"/>',
        "triangle": poly(3, 8),
        "star": poly(5, 9, inner=4),
    }.get(shape, '<ellipse cx="12" cy="10" rx="10" ry="6"/>')
    return Markup(  # safe: built only from the constants above
        f'<svg width="24" height="20" viewBox="0 0 24 20" aria-hidden="true">'
        f'<g fill="{fill}" stroke="{stroke}" stroke-width="1.5">{body}</g></svg>'
    )


def _edge_svg(style: dict[str, Any]) -> Markup:
    """Inline SVG line showing an edge status style (trusted constants only)."""
    dash = style["dashes"]
    dash_attr = f' stroke-dasharray="{" ".join(map(str, dash))}"' if dash else ""
    return Markup(  # safe: built only from STATUS_STYLES
        f'<svg width="44" height="12" viewBox="0 0 44 12" aria-hidden="true">'
        f'<line x1="2" y1="6" x2="36" y2="6" stroke="{style["color"]}" '
        f'stroke-width="{style["width"]}"{dash_attr}/>'
        f'<path d="M35 2l7 4l-7 4z" fill="{style["color"]}"/></svg>'
    )


def _status_key(status: Any) -> str:
    """Known status name, or 'none'."""
    return status if status in STATUS_STYLES else "none"


def _timeline(value: Any, route_ids: set[str]) -> dict[str, Any] | None:
    """Validated copy of an optional timeline: dates (str), the current date, and one row per
    route with a status (or '') per date. Rows of routes shown in the panel are clickable."""
    if not value:
        return None
    dates = [_s(d) for d in value.get("dates") or []]
    current = _s(value.get("current"))
    rows = []
    for row in value.get("rows") or []:
        statuses = row.get("statuses") or {}
        rid = _s(row.get("route"))
        rows.append({
            "id": rid, "label": _s(row.get("label")) or rid, "linked": rid in route_ids,
            "cells": [(_s(statuses.get(d) or ""), _status_key(statuses.get(d)),
                       _STATUS_ABBR.get(_s(statuses.get(d)), _s(statuses.get(d))))
                      for d in dates],
        })
    return {"dates": dates, "current": current, "rows": rows}


_STATUS_ABBR = {"open": "open", "conditional": "cond.", "blocked": "blocked",
                "not-triggered": "n/t", "inactive": "inactive", "": "–"}


def _card(value: Any) -> dict[str, Any] | None:
    """Validated copy of an edge's route-card data (see graphflow.export.view.hop_card)."""
    if not isinstance(value, dict):
        return None
    cites = []
    for c in value.get("cites") or []:
        url = _s(c.get("url"))
        cites.append({k: _s(c.get(k)) for k in ("source", "quote", "locator", "title",
                                                "publisher", "date")}
                     | {"url": url if SAFE_URL.match(url) else ""})
    try:
        other = int(value.get("other_reasons") or 0)
    except (TypeError, ValueError):
        other = 0
    return {"name": _s(value.get("name")), "data": _s(value.get("data")),
            "mechanism": _s(value.get("mechanism")), "confidence": _s(value.get("confidence")),
            "reasons": _lines(value.get("reasons")), "other_reasons": other, "cites": cites}


def _smooth(value: Any) -> dict[str, Any] | None:
    """A vis-network curve for one edge (curvedCW/curvedCCW with a roundness), or None."""
    if not isinstance(value, dict) or value.get("type") not in ("curvedCW", "curvedCCW"):
        return None
    try:
        roundness = float(value.get("roundness", 0.2))
    except (TypeError, ValueError):
        return None
    if not math.isfinite(roundness):
        return None
    return {"type": value["type"], "roundness": max(0.0, min(1.0, roundness))}


def _ancestors(nodes: list[dict[str, Any]], parents: dict[str, str]) -> dict[str, str]:
    """Each sub-unit's top-level ancestor among the view's nodes (part_of chains, cycles
    cut), for folding sub-units into their parent."""
    out: dict[str, str] = {}
    for n in nodes:
        cur, seen = n["id"], {n["id"]}
        while cur in parents and parents[cur] not in seen:
            cur = parents[cur]
            seen.add(cur)
        if cur != n["id"]:
            out[n["id"]] = cur
    return out


def _positions(view: dict[str, Any], nodes: list[dict[str, Any]],
               edges: list[dict[str, Any]]) -> dict[str, Any]:
    """Fixed positions: the view's own (``positions``), else the layered layout computed
    here (by ``ranks`` when given)."""
    from graphflow.export.layout import layered_layout

    given = view.get("positions")
    ids = [n["id"] for n in nodes]
    if isinstance(given, dict) and isinstance(given.get("positions"), dict):
        pos = given["positions"]
        try:
            xy = {i: (float(pos[i][0]), float(pos[i][1])) for i in ids}
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"view positions incomplete or not numbers: {exc}") from None
        if not all(math.isfinite(v) for p in xy.values() for v in p):
            raise ValueError("view positions must be finite numbers")
        lanes = [{"level": _s(ln.get("level")), "label": _s(ln.get("label") or ln.get("level")),
                  "y0": float(ln.get("y0", 0)), "y1": float(ln.get("y1", 0))}
                 for ln in given.get("lanes") or [] if isinstance(ln, dict)]
        smooth = given.get("smooth") or {}
        radius = float(given.get("radius") or 45)
    else:
        ranks = view.get("ranks")
        columns = _fill_ranks(ids, edges, ranks) if ranks else None
        lay = layered_layout([(n["id"], n["level"]) for n in nodes],
                             [(e["id"], e["from"], e["to"]) for e in edges], columns=columns)
        xy, lanes, smooth, radius = lay.positions, lay.lanes, lay.smooth, lay.radius
    return {"xy": xy, "lanes": lanes, "smooth": smooth, "radius": radius}


def _normalise(view: dict[str, Any]) -> dict[str, Any]:
    """Plain, validated copy of the view's graph part (all text as str)."""
    nodes = [{"id": _s(n["id"]), "label": _s(n.get("label", n["id"])), "kind": _s(n.get("kind")),
              "level": _s(n.get("level")) if n.get("level") in LEVELS else "other",
              "tooltip": _lines(n.get("tooltip"))} for n in view.get("nodes") or []]
    edges = [{"id": _s(e["id"]), "from": _s(e["from"]), "to": _s(e["to"]),
              "label": _s(e.get("label")), "status": _s(e["status"]) if e.get("status") else None,
              "tooltip": _lines(e.get("tooltip")), "card": _card(e.get("card"))}
             for e in view.get("edges") or []]
    routes = [{"id": _s(r["id"]), "status": _s(r.get("status")), "label": _s(r.get("label")),
               "edges": [_s(x) for x in r.get("edges") or []]} for r in view.get("routes") or []]
    node_ids = [n["id"] for n in nodes]
    edge_ids = {e["id"] for e in edges}
    if len(set(node_ids)) != len(node_ids) or len(edge_ids) != len(edges):
        raise ValueError("duplicate node or edge id in view")
    known = set(node_ids)
    bad = [e["id"] for e in edges if e["from"] not in known or e["to"] not in known]
    bad += [r["id"] for r in routes if not edge_ids.issuperset(r["edges"])]
    if len({r["id"] for r in routes}) != len(routes):
        bad.append("duplicate route id")
    if bad:
        raise ValueError(f"view references unknown nodes/edges: {bad[:5]!r}")
    clustered = view.get("layout") == "clustered"
    fixed = clustered or view.get("layout") in ("layered", "hierarchical")
    lanes: list[dict[str, Any]] = []
    folded_lanes: list[dict[str, Any]] = []
    radius = 0.0
    if fixed:
        lay = _positions(view, nodes, edges)
        for n in nodes:
            n["x"], n["y"] = lay["xy"][n["id"]]
        for e in edges:
            e["smooth"] = _smooth(lay["smooth"].get(e["id"]))
        lanes, radius = lay["lanes"], lay["radius"]
    parents = {_s(n["id"]): _s(n["part_of"]) for n in view.get("nodes") or []
               if n.get("part_of") and _s(n["part_of"]) in known}
    foldable = (clustered or not fixed) and view.get("fold_parts", True)
    fold = _ancestors(nodes, parents) if foldable else {}
    for n in nodes:
        if n["id"] in fold:
            n["fold"] = fold[n["id"]]
    if clustered:  # the folded picture: top-level actors only, at their own positions
        tops = [n for n in nodes if n["id"] not in fold]
        flay = _positions({"positions": view.get("folded")}, tops, [])
        for n in tops:
            n["fx"], n["fy"] = flay["xy"][n["id"]]
        folded_lanes = flay["lanes"]
    big = len(nodes) > BIG_NODES or len(edges) > BIG_EDGES
    size = len(nodes) + len(edges)
    return {
        "nodes": nodes, "edges": edges, "routes": routes,
        "layout": "fixed" if fixed else "physics", "clustered": clustered, "big": big,
        "lanes": lanes, "folded_lanes": folded_lanes, "radius": radius,
        # bounded stabilisation: fewer iterations for bigger graphs, never unbounded
        "iterations": max(80, min(600, 150_000 // max(size, 1))),
        "styles": {"status": STATUS_STYLES, "level": LEVEL_STYLES, "shape": KIND_SHAPES},
    }


@lru_cache(maxsize=1)
def _env() -> Environment:
    """Jinja environment with autoescaping on and a CSP-hash filter."""
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).with_name("templates"))),
        autoescape=True, keep_trailing_newline=True,
    )
    env.filters["csp_hash"] = _csp_hash
    return env


def query_text(query: dict[str, Any] | None) -> str:
    """The query on one line, for the printed page ("from X to Y, profile P, as of D")."""
    if not query:
        return "whole pack"
    parts = []
    for key, label in (("from", "from"), ("to", "to"), ("profile", "profile"),
                       ("facts", "facts"), ("as_of", "as of"), ("max_hops", "max hops"),
                       ("status", "showing")):
        if query.get(key):
            parts.append(f"{label} {_s(query[key])}")
    return ", ".join(parts) or "whole pack"


def render_html(view: dict[str, Any], *, generated: dt.date | None = None) -> str:
    """Render a view dict (see module contract) to one self-contained HTML page.

    ``generated`` (default: today) is the date printed with the version and disclaimer."""
    from graphflow import __version__

    data = _normalise(view)
    vis_js, vis_css = _vis_assets()
    query = view.get("query") or None
    summary = view.get("summary") or {}
    order = (list(STATUSES) + [k for k in summary if k not in STATUSES]) if summary else []
    routes = [dict(r, cls=_status_key(r["status"])) for r in data["routes"]]
    timeline = _timeline(view.get("timeline"), {r["id"] for r in routes})
    levels = [(lv, LEVEL_STYLES[lv]) for lv in LEVELS]
    return _env().get_template("graph.html.j2").render(
        title=_s(view.get("title")) or "graphflow",
        subtitle=_s(view.get("subtitle")),
        query=None if query is None else {k: _s(v) for k, v in query.items()},
        summary=[(_s(k), _s(summary.get(k, 0)), _status_key(k)) for k in order],
        summary_of=_s(view.get("summary_of")) or "routes",
        timeline=timeline,
        routes=routes,
        n_nodes=len(data["nodes"]), n_edges=len(data["edges"]),
        kinds=[(k, _svg(shape)) for k, shape in KIND_SHAPES.items()],
        levels=[(lv, _svg("box", st["background"], st["border"])) for lv, st in levels],
        statuses=[(k, st["text"], _edge_svg(st)) for k, st in STATUS_STYLES.items()],
        level_styles=LEVEL_STYLES, status_styles=STATUS_STYLES,
        data_json=Markup(_json_for_script(data)),  # safe: escaped by _json_for_script
        vis_js=Markup(vis_js), vis_css=Markup(vis_css),  # safe: pinned vendor asset
        vis_hash=_csp_hash(vis_js),
        disclaimer=DISCLAIMER, version=__version__,
        generated=(generated or dt.date.today()).isoformat(),
        query_line=query_text(query),
        fixed=data["layout"] == "fixed",
        folded=sum(1 for n in data["nodes"] if "fold" in n), clustered=data["clustered"],
    )


def write_html(view: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Render ``view`` and write it to ``path`` atomically (temp file + os.replace)."""
    from graphflow.export.formats import write_bytes

    target = write_bytes(render_html(view).encode("utf-8", errors="replace"), path)
    assert target is not None
    return target
