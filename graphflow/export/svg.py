"""A static SVG picture of a route view, for print and news pages: opens without a browser.

Pure Python (ElementTree, so every text is escaped), from the same view dict and the same
deterministic layered positions as the HTML page: lanes by level, one ``<path class="hop">``
per flow on the routes (coloured and dashed by hop status, parallel flows curved apart), one
``<g class="actor">`` per actor, a legend, and the disclaimer, date, version and query.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

SVG_NS = "http://www.w3.org/2000/svg"
MARGIN = 150.0
HEAD = 90.0
FOOT = 60.0
_MD = re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__|`([^`]+)`")


def plain(text: Any) -> str:
    """Text without markdown emphasis markers (the SVG has no rich text)."""
    return _MD.sub(lambda m: m.group(1) or m.group(2) or m.group(3), str(text or ""))


def _wrap(text: str, width: int = 18, lines: int = 3) -> list[str]:
    words, out, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "…"
    return out


def _curve(a: tuple[float, float], b: tuple[float, float], smooth: dict | None) -> str:
    """SVG path data: straight, or a quadratic curve like vis-network's curvedCW/CCW."""
    (ax, ay), (bx, by) = a, b
    if not smooth:
        return f"M{ax:.1f},{ay:.1f} L{bx:.1f},{by:.1f}"
    dx, dy = bx - ax, ay - by
    radius = math.hypot(dx, dy)
    factor = float(smooth.get("roundness", 0.2))
    angle = math.atan2(dy, dx)
    if smooth.get("type") == "curvedCCW":
        my = angle + (factor * 0.5 - 0.5) * math.pi
    else:
        my = angle + (0.5 + factor * 0.5) * math.pi
    cx = ax + factor * 0.5 * radius * math.sin(my)
    cy = ay + factor * 0.5 * radius * math.cos(my)
    return f"M{ax:.1f},{ay:.1f} Q{cx:.1f},{cy:.1f} {bx:.1f},{by:.1f}"


def _shorten(a: tuple[float, float], b: tuple[float, float], r: float) -> tuple[float, float]:
    """End point ``r`` short of ``b`` (the arrow stops at the node's edge)."""
    (ax, ay), (bx, by) = a, b
    d = math.hypot(bx - ax, by - ay) or 1.0
    return bx - (bx - ax) * r / d, by - (by - ay) * r / d


def render_svg(view: dict[str, Any], *, generated: dt.date | None = None) -> bytes:
    """The view (with ``positions``; see graphflow.export.view.route_view) as SVG bytes."""
    from graphflow import __version__
    from graphflow.export.html import (
        DISCLAIMER,
        LEVEL_STYLES,
        STATUS_STYLES,
        _normalise,
        query_text,
    )

    data = _normalise(dict(view, layout="layered"))
    nodes, edges = data["nodes"], data["edges"]
    xs = [n["x"] for n in nodes] or [0.0]
    ys = [n["y"] for n in nodes] or [0.0]
    x0, y0 = min(xs) - MARGIN, min(ys) - MARGIN / 2 - HEAD
    width = max(xs) - min(xs) + 2 * MARGIN
    height = max(ys) - min(ys) + MARGIN + HEAD + FOOT
    ET.register_namespace("", SVG_NS)

    def q(tag: str) -> str:
        return f"{{{SVG_NS}}}{tag}"

    svg = ET.Element(q("svg"), {"version": "1.1", "width": f"{width:.0f}",
                                "height": f"{height:.0f}",
                                "viewBox": f"{x0:.1f} {y0:.1f} {width:.1f} {height:.1f}",
                                "font-family": "Helvetica, Arial, sans-serif"})
    ET.SubElement(svg, q("title")).text = plain(view.get("title")) or "graphflow"
    defs = ET.SubElement(svg, q("defs"))
    for key, st in STATUS_STYLES.items():
        m = ET.SubElement(defs, q("marker"), {"id": f"arrow-{key}", "viewBox": "0 0 10 10",
                                              "refX": "9", "refY": "5", "markerWidth": "7",
                                              "markerHeight": "7", "orient": "auto"})
        ET.SubElement(m, q("path"), {"d": "M0,0 L10,5 L0,10 z", "fill": st["color"]})
    ET.SubElement(svg, q("rect"), {"x": f"{x0:.1f}", "y": f"{y0:.1f}", "width": f"{width:.1f}",
                                   "height": f"{height:.1f}", "fill": "#ffffff"})
    for i, lane in enumerate(data["lanes"]):
        ET.SubElement(svg, q("rect"), {
            "class": "lane", "x": f"{x0 + 10:.1f}", "y": f"{lane['y0']:.1f}",
            "width": f"{width - 20:.1f}", "height": f"{lane['y1'] - lane['y0']:.1f}",
            "fill": "#f1f5f9" if i % 2 else "#f8fafc"})
        t = ET.SubElement(svg, q("text"), {"x": f"{x0 + 18:.1f}", "y": f"{lane['y0'] + 20:.1f}",
                                           "font-size": "15", "font-weight": "bold",
                                           "fill": "#64748b"})
        t.text = plain(lane["level"])
    head = ET.SubElement(svg, q("text"), {"x": f"{x0 + 18:.1f}", "y": f"{y0 + 30:.1f}",
                                          "font-size": "22", "font-weight": "bold"})
    head.text = plain(view.get("title"))
    sub = ET.SubElement(svg, q("text"), {"x": f"{x0 + 18:.1f}", "y": f"{y0 + 56:.1f}",
                                         "font-size": "14", "fill": "#374151"})
    sub.text = plain(view.get("subtitle"))
    pos = {n["id"]: (n["x"], n["y"]) for n in nodes}
    radius = 28.0
    hops = ET.SubElement(svg, q("g"), {"class": "hops"})
    for e in edges:
        key = e["status"] if e["status"] in STATUS_STYLES else "none"
        st = STATUS_STYLES[key]
        a, b = pos[e["from"]], pos[e["to"]]
        start = _shorten(b, a, radius)
        end = _shorten(a, b, radius + 4)
        attrs = {"class": "hop", "id": f"hop-{e['id']}", "d": _curve(start, end, e.get("smooth")),
                 "fill": "none", "stroke": st["color"], "stroke-width": str(st["width"]),
                 "marker-end": f"url(#arrow-{key})"}
        if st["dashes"]:
            attrs["stroke-dasharray"] = " ".join(map(str, st["dashes"]))
        path = ET.SubElement(hops, q("path"), attrs)
        ET.SubElement(path, q("title")).text = plain(
            f"{e['from']} → {e['to']} [{e['id']}]: {e['status'] or 'no status'}; {e['label']}")
    for n in nodes:
        lv = LEVEL_STYLES.get(n["level"], LEVEL_STYLES["other"])
        g = ET.SubElement(svg, q("g"), {"class": "actor", "id": f"actor-{n['id']}"})
        ET.SubElement(g, q("title")).text = plain(f"{n['label']} [{n['id']}]")
        ET.SubElement(g, q("circle"), {"cx": f"{n['x']:.1f}", "cy": f"{n['y']:.1f}",
                                       "r": f"{radius:.0f}", "fill": lv["background"],
                                       "stroke": lv["border"], "stroke-width": "2"})
        for k, line in enumerate(_wrap(plain(n["label"]))):
            t = ET.SubElement(g, q("text"), {"x": f"{n['x']:.1f}",
                                             "y": f"{n['y'] + radius + 16 + 15 * k:.1f}",
                                             "font-size": "13", "text-anchor": "middle"})
            t.text = line
    # legend and the notice
    ly = y0 + height - FOOT + 18
    lx = x0 + 18
    for key in ("open", "conditional", "blocked", "not-triggered", "inactive"):
        st = STATUS_STYLES[key]
        attrs = {"x1": f"{lx:.1f}", "y1": f"{ly - 4:.1f}", "x2": f"{lx + 30:.1f}",
                 "y2": f"{ly - 4:.1f}", "stroke": st["color"], "stroke-width": str(st["width"])}
        if st["dashes"]:
            attrs["stroke-dasharray"] = " ".join(map(str, st["dashes"]))
        ET.SubElement(svg, q("line"), attrs)
        t = ET.SubElement(svg, q("text"), {"x": f"{lx + 36:.1f}", "y": f"{ly:.1f}",
                                           "font-size": "12"})
        t.text = key
        lx += 140
    note = ET.SubElement(svg, q("text"), {"x": f"{x0 + 18:.1f}", "y": f"{ly + 24:.1f}",
                                          "font-size": "12", "fill": "#374151"})
    note.text = (f"{DISCLAIMER} Generated {(generated or dt.date.today()).isoformat()} by "
                 f"graphflow {__version__}. Query: {query_text(view.get('query'))}.")
    ET.indent(svg)
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True) + b"\n"
