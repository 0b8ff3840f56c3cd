"""Route reports in the stable JSON shape, and their table / CSV / Markdown renderings."""

from __future__ import annotations

import csv
import io
from typing import Any

from graphflow.audit import RouteReport
from graphflow.core.model import Pack
from graphflow.core.routes import Route

JSON_VERSION = 1


def citation_dict(pack: Pack, cit: Any) -> dict[str, Any]:
    src = pack.sources.get(cit.source)
    out = {"source": cit.source, "locator": cit.locator, "quote": cit.quote}
    if src is not None:
        out["title"] = src.title
        if src.url:
            out["url"] = src.url
        if src.file:
            out["file"] = src.file
    return out


def rule_citations(pack: Pack, rule_id: str) -> list[dict[str, Any]]:
    rule = pack.rules.get(rule_id)
    return [citation_dict(pack, c) for c in rule.citations] if rule else []


def route_dict(pack: Pack, route: Route) -> dict[str, Any]:
    """One route in the documented JSON shape."""
    hops = []
    for flow_id, hop in zip(route.flows, route.hops, strict=True):
        flow = pack.flows[flow_id]
        reasons = [r.as_dict() for r in hop.reasons]
        for r, reason in zip(hop.reasons, reasons, strict=True):
            if r.rule:
                effect_cites = [
                    citation_dict(pack, c)
                    for e in pack.effects_on(flow_id) if e.rule == r.rule for c in e.citations
                ]
                reason["sources"] = effect_cites or rule_citations(pack, r.rule)
        hops.append({
            "flow": flow_id, "name": flow.name, "from": flow.source, "to": flow.target,
            "status": hop.status.value, "reasons": reasons, "data": list(flow.data),
            "mechanism": flow.mechanism, "confidence": flow.confidence.value,
            "sources": [citation_dict(pack, c) for c in flow.citations],
        })
        if flow.practice:
            hops[-1]["practice"] = {
                "note": flow.practice,
                "sources": [citation_dict(pack, c) for c in flow.practice_citations],
            }
    return {
        "id": route.id, "status": route.status.value, "confidence": route.confidence.value,
        "leak": route.is_leak, "leak_kind": route.leak_kind,
        "practice_leak": route.practice_leak, "nodes": list(route.nodes),
        "flows": list(route.flows), "hops_count": len(route.flows), "data": list(route.data),
        "touched_by": route.touched_by, "missing_facts": route.missing, "hops": hops,
    }


def report_dict(pack: Pack, report: RouteReport) -> dict[str, Any]:
    q = report.query.as_dict()
    q["pack"] = pack.id
    q["engine"] = report.engine
    return {
        "version": JSON_VERSION,
        "query": q,
        "routes": [route_dict(pack, r) for r in report.routes],
        "summary": report.summary,
    }


_LEAK_TEXT = {
    "untouched": "LEAK: open, and no rule restricts any of its hops",
    "conditions-met": "LEAK: open, because the conditions of the rules that restrict it are met",
}


def _short(text: str) -> str:
    """One line of text; quotes are never shortened (a cut quote is not a quote)."""
    return " ".join(str(text).split())


def _v(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def render_table(pack: Pack, data: dict[str, Any]) -> str:
    """A readable, hop-by-hop text report: one block per route."""
    q = data["query"]
    lines = [
        f"Routes from {q['from']} to {q['to']} (pack {q['pack']}, as of {q['as_of']}, "
        f"profile {q['profile'] or '(none)'}, max {q['max_hops']} hops)",
    ]
    if q["facts"]:
        lines.append("Case facts: " + ", ".join(f"{k}={_v(v)}" for k, v in q["facts"].items()))
    s = data["summary"]
    lines.append("Summary: " + ", ".join(f"{n} {k}" for k, n in s.items()))
    lines.append(f"Shown: {len(data['routes'])} route(s)")
    for r in data["routes"]:
        lines.append("")
        lines.append(f"Route {r['id']}  {r['status'].upper()}  ({r['hops_count']} hops, "
                     f"confidence: {r['confidence']})")
        lines.append("  " + " → ".join(r["nodes"]))
        if r["leak_kind"]:
            lines.append("  " + _LEAK_TEXT[r["leak_kind"]])
        if r["practice_leak"]:
            lines.append("  PRACTICE LEAK: closed by rule, but sources report it happening anyway")
        lines.append(f"  Reaches {r['nodes'][-1]} with: {', '.join(r['data'])}")
        if r["missing_facts"]:
            lines.append(f"  Depends on unknown facts: {', '.join(r['missing_facts'])}")
        for i, h in enumerate(r["hops"], 1):
            lines.append(f"  {i}. {h['from']} → {h['to']}  [{h['status']}]  {h['flow']}"
                         + (f": {h['name']}" if h["name"] else ""))
            lines.append(f"       carries {', '.join(h['data'])}; {h['mechanism']}; "
                         f"{h['confidence']}")
            for reason in h["reasons"]:
                mark = f"[{reason['status']}] " if reason["status"] else ""
                lines.append(f"       - {mark}{_short(reason['text'])}")
            for src in h["sources"][:2]:
                lines.append(f"       source: {src['source']} ({src['locator']}): "
                             f"\"{_short(src['quote'])}\"")
            for src in h.get("practice", {}).get("sources", [])[:2]:
                lines.append(f"       practice source: {src['source']} ({src['locator']}): "
                             f"\"{_short(src['quote'])}\"")
    return "\n".join(lines) + "\n"


CSV_FIELDS = (
    "route", "route_status", "route_confidence", "leak_kind", "hop", "flow", "from", "to",
    "hop_status", "data", "mechanism", "reasons", "sources",
)


def render_csv(data: dict[str, Any]) -> str:
    """One row per hop."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in data["routes"]:
        for i, h in enumerate(r["hops"], 1):
            w.writerow([
                r["id"], r["status"], r["confidence"], r["leak_kind"] or "", i, h["flow"],
                h["from"], h["to"], h["status"], ";".join(h["data"]), h["mechanism"],
                " | ".join(x["text"] for x in h["reasons"]),
                " | ".join(f"{s['source']} ({s['locator']}): {s['quote']}" for s in h["sources"]),
            ])
    return buf.getvalue()


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_md(data: dict[str, Any]) -> str:
    """Markdown, for pasting into a story draft or a brief."""
    q = data["query"]
    out = [f"# Routes from `{q['from']}` to `{q['to']}`", "",
           f"Pack `{q['pack']}`, as of {q['as_of']}, profile `{q['profile'] or '(none)'}`, "
           f"at most {q['max_hops']} hops.", "",
           "| status | routes |", "|---|---|"]
    out += [f"| {k} | {n} |" for k, n in data["summary"].items()]
    for r in data["routes"]:
        out += ["", f"## Route {r['id']}: {r['status']}", "",
                " → ".join(f"`{n}`" for n in r["nodes"]), ""]
        if r["leak_kind"]:
            out += [f"**{_LEAK_TEXT[r['leak_kind']]}**", ""]
        out += ["| # | hop | status | why | evidence |", "|---|---|---|---|---|"]
        for i, h in enumerate(r["hops"], 1):
            why = "<br>".join(_md(x["text"]) for x in h["reasons"]) or "-"
            ev = "<br>".join(f"{_md(s['source'])} ({_md(s['locator'])}): “{_md(s['quote'])}”"
                             for s in h["sources"][:2])
            out.append(f"| {i} | `{h['from']}` → `{h['to']}` ({_md(h['flow'])}) | {h['status']} "
                       f"| {why} | {ev} |")
    return "\n".join(out) + "\n"
