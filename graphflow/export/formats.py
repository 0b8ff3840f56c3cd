"""Graph exports for other tools: GraphML, GEXF (Gephi), JSON (node-link) and CSV.

An export is a :class:`Selection`: the actors and flows of a whole pack, or of one query's
routes, with each flow's hop status when a case (profile, facts, date) is given. Every writer
goes through :func:`graphflow.outfile.atomic_output` (re-exported here as ``write_bytes``), which
writes atomically (temp file in the same folder, fsync, ``os.replace``), only to a regular file
or a new path, and never leaves a half-written file; ``-`` writes to stdout.

GraphML, GEXF and CSV hold flat values only: lists are joined with ``"; "``, citations become
``source (locator): "quote"`` text joined with ``" | "``. The JSON export keeps everything
structured: lists, citations with quotes and source titles, rule reasons, routes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from graphflow.audit import RouteReport
from graphflow.core.conditions import describe
from graphflow.core.model import Actor, Citation, Flow, Pack
from graphflow.core.routes import Route
from graphflow.core.status import STATUS_NAMES, HopStatus, StatusEvaluator
from graphflow.errors import GraphflowError
from graphflow.outfile import atomic_output, write_bytes
from graphflow.packs.references import citation_dict
from graphflow.report.routes import source_text

__all__ = ["write_bytes", "write_folder"]

JSON_VERSION = 1
SEP = "; "
CITE_SEP = " | "
NODE_FIELDS = (
    "id", "label", "kind", "level", "jurisdiction", "part_of", "aliases", "controlled_by",
    "valid_from", "valid_to", "description", "citations",
)
EDGE_FIELDS = (
    "id", "from", "to", "label", "data", "mechanism", "basis", "confidence", "trigger", "when",
    "valid_from", "valid_to", "latency", "latency_hours", "controlled_by", "rules",
    "description", "citations",
)
STATUS_FIELDS = ("status", "reasons", "missing_facts")


@dataclass
class Selection:
    """What to export: actor ids, flow ids, and (for a case) each flow's hop status."""

    pack: Pack
    actors: list[str]
    flows: list[str]
    hops: dict[str, HopStatus] = field(default_factory=dict)
    query: dict[str, Any] | None = None
    routes: list[Route] = field(default_factory=list)
    summary: dict[str, int] | None = None

    @property
    def has_status(self) -> bool:
        return bool(self.hops)


def select_pack(pack: Pack, *, facts: Mapping[str, Any] | None = None,
                as_of: dt.date | None = None, profile: str | None = None) -> Selection:
    """Every actor and flow; hop statuses when a case or date is given."""
    sel = Selection(pack, list(pack.actors), list(pack.flows))
    if facts or profile or as_of is not None:
        ev = StatusEvaluator(pack, facts or {}, as_of or dt.date.today())
        sel.hops = {f: ev.hop(f) for f in pack.flows}
        sel.query = {"profile": profile, "facts": dict(facts or {}),
                     "as_of": ev.as_of.isoformat(), "pack": pack.id}
        sel.summary = {s: 0 for s in STATUS_NAMES}
        for hop in sel.hops.values():
            sel.summary[hop.status.value] += 1
    return sel


def select_report(pack: Pack, report: RouteReport) -> Selection:
    """Only the actors and flows on a query's routes, with their hop statuses."""
    actors: dict[str, None] = {}
    hops: dict[str, HopStatus] = {}
    for route in report.routes:
        actors.update(dict.fromkeys(route.nodes))
        for flow_id, hop in zip(route.flows, route.hops, strict=True):
            hops.setdefault(flow_id, hop)
    query = report.query.as_dict()
    query.update(pack=pack.id, engine=report.engine)
    return Selection(pack, list(actors), list(hops), hops, query, list(report.routes),
                     dict(report.summary))


# --- attributes ---------------------------------------------------------------------------

def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _cite_text(cites: Iterable[Citation], pack: Pack | None = None) -> str:
    """Citations as one flat string; with the pack, each names its source's title, publisher,
    date and URL, its grade and the original document behind research notes."""
    if pack is None:
        return CITE_SEP.join(f'{c.source} ({c.locator}): "{" ".join(c.quote.split())}"'
                             for c in cites)
    return CITE_SEP.join(source_text(citation_dict(pack, c)) for c in cites)


def actor_record(pack: Pack, a: Actor, *, flat: bool) -> dict[str, Any]:
    """An actor's attributes: flat strings (GraphML, GEXF, CSV) or structured (JSON)."""
    rec: dict[str, Any] = {
        "id": a.id, "label": a.name, "kind": a.kind, "level": a.level,
        "jurisdiction": a.jurisdiction or "", "part_of": a.part_of or "",
        "aliases": list(a.aliases), "controlled_by": list(a.controlled_by),
        "valid_from": _date(a.valid_from), "valid_to": _date(a.valid_to),
        "description": a.description,
    }
    if flat:
        rec["aliases"] = SEP.join(a.aliases)
        rec["controlled_by"] = SEP.join(a.controlled_by)
        rec["citations"] = _cite_text(a.citations, pack)
    else:
        rec["citations"] = [citation_dict(pack, c) for c in a.citations]
    return rec


def _rules(pack: Pack, flow: Flow, *, flat: bool) -> Any:
    out = []
    for eff in pack.effects_on(flow.id):
        rule = pack.rules[eff.rule]
        item = {"rule": rule.id, "name": rule.name, "jurisdiction": rule.jurisdiction,
                "effect": eff.effect, "when": describe(eff.when) if eff.when else None,
                "in_force": f"{rule.starts or '…'} to {rule.ended or 'now'}", "note": eff.note,
                "sources": [citation_dict(pack, c) for c in (eff.citations or rule.citations)]}
        out.append(item)
    if flat:
        return SEP.join(f"{r['rule']}:{r['effect']}" for r in out)
    return out


def flow_record(pack: Pack, f: Flow, hop: HopStatus | None, *, flat: bool) -> dict[str, Any]:
    """A flow's attributes (and its hop status when given), flat or structured."""
    rec: dict[str, Any] = {
        "id": f.id, "from": f.source, "to": f.target, "label": f.name or f.id,
        "data": list(f.data), "mechanism": f.mechanism, "basis": f.basis,
        "confidence": f.confidence.value, "trigger": f.trigger,
        "when": describe(f.when) if f.when is not None else "",
        "valid_from": _date(f.valid_from), "valid_to": _date(f.valid_to),
        "latency": f.latency or "", "latency_hours": f.latency_hours,
        "controlled_by": list(pack.controllers_of(f)),
        "rules": _rules(pack, f, flat=flat), "description": f.description,
    }
    if flat:
        rec["data"] = SEP.join(f.data)
        rec["controlled_by"] = SEP.join(rec["controlled_by"])
        rec["citations"] = _cite_text(f.citations, pack)
        if rec["latency_hours"] is not None:
            rec["latency_hours"] = float(rec["latency_hours"])
    else:
        rec["citations"] = [citation_dict(pack, c) for c in f.citations]
    if hop is not None:
        rec["status"] = hop.status.value
        if flat:
            rec["reasons"] = CITE_SEP.join(
                (f"[{r.status.value}] " if r.status else "") + r.text for r in hop.reasons)
            rec["missing_facts"] = SEP.join(hop.missing)
        else:
            rec["reasons"] = [r.as_dict() for r in hop.reasons]
            rec["missing_facts"] = hop.missing
    return rec


# --- networkx, GraphML, GEXF -------------------------------------------------------------

def to_networkx(sel: Selection) -> nx.MultiDiGraph:
    """A MultiDiGraph with flat attributes: actors as nodes, flows as edges keyed by flow id."""
    pack = sel.pack
    g = nx.MultiDiGraph(pack=pack.id, name=pack.name)
    if sel.query:
        for key in ("profile", "as_of", "from", "to"):
            if sel.query.get(key):
                g.graph[key] = str(sel.query[key])
    for aid in sel.actors:
        rec = actor_record(pack, pack.actors[aid], flat=True)
        g.add_node(rec.pop("id"), **rec)
    for fid in sel.flows:
        rec = flow_record(pack, pack.flows[fid], sel.hops.get(fid), flat=True)
        if rec["latency_hours"] is None:
            del rec["latency_hours"]
        src, dst = rec.pop("from"), rec.pop("to")
        g.add_edge(src, dst, key=fid, **rec)
    return g


def graphml_bytes(sel: Selection) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(to_networkx(sel), buf, encoding="utf-8")
    return buf.getvalue()


GEXF_NS = "http://gexf.net/1.3"
GEXF_VIZ = "http://gexf.net/1.3/viz"
# viz:shape per actor kind (GEXF node shapes: disc, square, triangle, diamond)
GEXF_KIND_SHAPES = {"agency": "square", "office": "disc", "system": "diamond",
                    "program": "triangle", "court": "diamond", "facility": "square",
                    "role": "disc", "organization": "triangle", "event": "triangle"}
# viz:shape per hop status (GEXF edge shapes: solid, dotted, dashed, double)
GEXF_STATUS_SHAPES = {"open": "solid", "conditional": "dashed", "blocked": "dotted",
                      "not-triggered": "solid", "inactive": "dotted"}


def _rgba(color: str) -> tuple[int, int, int, float]:
    """'#rrggbb' or 'rgba(r,g,b,a)' as numbers."""
    color = color.strip()
    if color.startswith("#") and len(color) == 7:
        return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 1.0
    parts = color[color.index("(") + 1:color.rindex(")")].split(",")
    r, g, b = (int(float(x)) for x in parts[:3])
    return r, g, b, float(parts[3]) if len(parts) > 3 else 1.0


def _spell_days(pack: Pack, flow: Flow) -> list[dt.date]:
    """The dates on which a flow starts or ends, or a rule on it comes into or out of force."""
    days = {d for d in (flow.valid_from, flow.valid_to) if d}
    for eff in pack.effects_on(flow.id):
        rule = pack.rules[eff.rule]
        days |= {d for d in (rule.starts, rule.ended) if d}
    return sorted(days)


def gexf_bytes(sel: Selection) -> bytes:
    """GEXF 1.3 for Gephi: actors and flows with their flat attributes (no internal keys),
    viz:color by level (actors) and by hop status (flows, or by confidence without a case),
    viz:shape by kind and status, and time spells: actors and flows from their validity
    dates, and each flow's ``rules_in_force`` as a dynamic attribute between the dates on which
    a rule on it comes into or out of force (so Gephi's timeline shows the rules changing)."""
    import xml.etree.ElementTree as ET

    from graphflow import __version__
    from graphflow.export.html import LEVEL_STYLES, STATUS_STYLES

    pack = sel.pack
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("viz", GEXF_VIZ)
    q, v = (lambda t: f"{{{GEXF_NS}}}{t}"), (lambda t: f"{{{GEXF_VIZ}}}{t}")
    root = ET.Element(q("gexf"), {"version": "1.3"})
    meta = ET.SubElement(root, q("meta"))
    ET.SubElement(meta, q("creator")).text = f"graphflow {__version__}"
    desc = f"pack {pack.id}: {pack.name}"
    if sel.query:
        desc += "; " + ", ".join(f"{k} {sel.query[k]}" for k in ("from", "to", "profile", "as_of")
                                 if sel.query.get(k))
    ET.SubElement(meta, q("description")).text = desc
    graph = ET.SubElement(root, q("graph"), {"defaultedgetype": "directed", "mode": "dynamic",
                                             "timeformat": "date"})
    actors = [actor_record(pack, pack.actors[a], flat=True) for a in sel.actors]
    flows = [(pack.flows[f], flow_record(pack, pack.flows[f], sel.hops.get(f), flat=True))
             for f in sel.flows]
    skip_node = {"id", "label", "valid_from", "valid_to"}
    skip_edge = {"id", "from", "to", "label", "valid_from", "valid_to"}
    node_keys = [k for k in (actors[0] if actors else {}) if k not in skip_node]
    edge_keys = list(dict.fromkeys(k for _, r in flows for k in r if k not in skip_edge))

    def declare(cls: str, mode: str, keys: list[str], types: dict[str, str]) -> None:
        el = ET.SubElement(graph, q("attributes"), {"class": cls, "mode": mode})
        for k in keys:
            ET.SubElement(el, q("attribute"), {"id": k, "title": k,
                                                "type": types.get(k, "string")})

    declare("node", "static", node_keys, {})
    declare("edge", "static", edge_keys, {"latency_hours": "double"})
    declare("edge", "dynamic", ["rules_in_force"], {})

    def spells(el: ET.Element, start: str, end: str) -> None:
        if start or end:
            sp = ET.SubElement(ET.SubElement(el, q("spells")), q("spell"))
            if start:
                sp.set("start", start)
            if end:
                sp.set("end", end)

    nodes_el = ET.SubElement(graph, q("nodes"))
    for rec in actors:
        n = ET.SubElement(nodes_el, q("node"), {"id": rec["id"], "label": rec["label"]})
        vals = ET.SubElement(n, q("attvalues"))
        for k in node_keys:
            ET.SubElement(vals, q("attvalue"), {"for": k, "value": str(rec[k] or "")})
        spells(n, rec["valid_from"], rec["valid_to"])
        r, g, b, a = _rgba(LEVEL_STYLES.get(rec["level"], LEVEL_STYLES["other"])["border"])
        ET.SubElement(n, v("color"), {"r": str(r), "g": str(g), "b": str(b), "a": f"{a:g}"})
        ET.SubElement(n, v("size"), {"value": "10"})
        ET.SubElement(n, v("shape"), {"value": GEXF_KIND_SHAPES.get(rec["kind"], "disc")})

    confidence_colors = {"documented": "#1f2937", "reported": "#6b7280", "inferred": "#a1a1aa"}
    edges_el = ET.SubElement(graph, q("edges"))
    for flow, rec in flows:
        e = ET.SubElement(edges_el, q("edge"), {"id": rec["id"], "source": rec["from"],
                                                 "target": rec["to"], "label": rec["label"]})
        vals = ET.SubElement(e, q("attvalues"))
        for k in edge_keys:
            if rec.get(k) is not None:
                ET.SubElement(vals, q("attvalue"), {"for": k, "value": str(rec[k])})
        days = _spell_days(pack, flow)
        bounds = [None, *days, None]
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            probe = lo or (hi - dt.timedelta(days=1) if hi else dt.date(1970, 1, 1))
            if not flow.active_on(probe):
                continue
            in_force = sorted(eff.rule for eff in pack.effects_on(flow.id)
                              if pack.rules[eff.rule].in_force_on(probe))
            av = ET.SubElement(vals, q("attvalue"), {"for": "rules_in_force",
                                                     "value": SEP.join(in_force) or "none"})
            if lo:
                av.set("start", lo.isoformat())
            if hi:
                av.set("end", (hi - dt.timedelta(days=1)).isoformat())
        spells(e, rec["valid_from"], rec["valid_to"])
        status = rec.get("status")
        color = (STATUS_STYLES[status]["color"] if status in STATUS_STYLES
                 else confidence_colors.get(rec["confidence"], "#6b7280"))
        r, g, b, a = _rgba(color)
        ET.SubElement(e, v("color"), {"r": str(r), "g": str(g), "b": str(b), "a": f"{a:g}"})
        ET.SubElement(e, v("thickness"), {"value": str(
            STATUS_STYLES[status]["width"] if status in STATUS_STYLES else 1.5)})
        ET.SubElement(e, v("shape"), {"value": GEXF_STATUS_SHAPES.get(status or "", "solid")})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --- JSON ----------------------------------------------------------------------------------

def json_dict(sel: Selection) -> dict[str, Any]:
    """Node-link JSON (readable by ``networkx.node_link_graph(data, edges="edges")``)."""
    pack = sel.pack
    edges = []
    for fid in sel.flows:
        rec = flow_record(pack, pack.flows[fid], sel.hops.get(fid), flat=False)
        rec["source"], rec["target"], rec["key"] = rec.pop("from"), rec.pop("to"), fid
        edges.append(rec)
    out: dict[str, Any] = {
        "version": JSON_VERSION, "directed": True, "multigraph": True,
        "graph": {"pack": pack.id, "name": pack.name, "query": sel.query,
                  "summary": sel.summary},
        "nodes": [actor_record(pack, pack.actors[a], flat=False) for a in sel.actors],
        "edges": edges,
    }
    if sel.routes:
        out["routes"] = [{"id": r.id, "status": r.status.value, "confidence": r.confidence.value,
                          "leak_kind": r.leak_kind, "nodes": list(r.nodes),
                          "flows": list(r.flows)} for r in sel.routes]
    return out


def json_bytes(sel: Selection) -> bytes:
    text = json.dumps(json_dict(sel), indent=2, ensure_ascii=False, default=str) + "\n"
    return text.encode("utf-8")


# --- CSV -----------------------------------------------------------------------------------

def _csv(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for row in rows:
        w.writerow({k: "" if row.get(k) is None else row.get(k) for k in fields})
    return buf.getvalue().encode("utf-8")


def csv_files(sel: Selection) -> dict[str, bytes]:
    """``nodes.csv`` and ``edges.csv`` (one row per actor / flow)."""
    pack = sel.pack
    edge_fields = EDGE_FIELDS + (STATUS_FIELDS if sel.has_status else ())
    nodes = [actor_record(pack, pack.actors[a], flat=True) for a in sel.actors]
    edges = [flow_record(pack, pack.flows[f], sel.hops.get(f), flat=True) for f in sel.flows]
    return {"nodes.csv": _csv(nodes, NODE_FIELDS), "edges.csv": _csv(edges, edge_fields)}


# --- atomic writing: graphflow.outfile, the one writer ------------------------------------

def write_folder(files: Mapping[str, bytes], folder: str | os.PathLike[str]) -> Path:
    """Write several files into ``folder`` (created if missing, its parent must exist): all
    temp files first, then each renamed into place, so no file is ever half-written."""
    target = Path(folder)
    if str(folder) == "-":
        raise GraphflowError("CSV export needs a folder, not stdout", where="--output",
                             hint="e.g. -o nyc-csv/")
    if target.exists() and not target.is_dir():
        raise GraphflowError(f"cannot write into {target}: it is a file", where="--output",
                             hint="give a folder for nodes.csv and edges.csv")
    if not target.exists():
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise GraphflowError(f"cannot write {target}: folder {parent} does not exist",
                                 where="--output", hint="create the folder first")
        try:
            target.mkdir()
        except OSError as exc:
            raise GraphflowError(f"cannot create {target}: {exc.strerror or exc}",
                                 where="--output") from None
    with ExitStack() as stack:
        for name, payload in files.items():
            stack.enter_context(atomic_output(target / name)).write(payload)
    return target
