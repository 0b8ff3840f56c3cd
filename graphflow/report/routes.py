"""Route reports in the stable JSON shape, and their table / CSV / Markdown renderings."""

from __future__ import annotations

import csv
import io
from typing import Any

from graphflow.audit import RouteReport
from graphflow.core.model import GRADES, Pack
from graphflow.core.routes import Route
from graphflow.packs.references import citation_grade, flow_grade

JSON_VERSION = 1


def source_dict(pack: Pack, source_id: str) -> dict[str, Any]:
    """A source as the reader needs it to find the document: id, title, publisher, date, URL."""
    src = pack.sources.get(source_id)
    out: dict[str, Any] = {"id": source_id}
    if src is not None:
        out["title"] = src.title
        for key in ("publisher", "date", "url", "kind"):
            value = getattr(src, key)
            if value:
                out[key] = str(value)
    return out


def citation_dict(pack: Pack, cit: Any) -> dict[str, Any]:
    src = pack.sources.get(cit.source)
    out = {"source": cit.source, "locator": cit.locator, "quote": cit.quote}
    if src is not None:
        out["title"] = src.title
        for key in ("publisher", "date", "url", "file"):
            value = getattr(src, key)
            if value:
                out[key] = str(value)
    if getattr(cit, "date", None):
        out["date"] = cit.date  # the passage's own date (a compilation of older texts)
    if getattr(cit, "original", None):
        out["original"] = source_dict(pack, cit.original)
    out["grade"] = citation_grade(pack, cit)
    if getattr(cit, "shows", None):
        out["shows"] = cit.shows
    return out


def source_text(s: dict[str, Any], *, quote: bool = True) -> str:
    """One citation dict as one line: title, publisher, date, URL, locator, quote, grade, and
    the primary document behind research notes."""
    out = _ref_text(s, s["source"])
    out += f" ({s['locator']})"
    if quote:
        out += f': "{_short(s["quote"])}"'
    extra = [f"grade: {s['grade']}"] if s.get("grade") else []
    if s.get("shows"):
        extra.append(f"documents that the channel is {s['shows']}")
    if s.get("original"):
        extra.append("original: " + _ref_text(s["original"], s["original"]["id"]))
    return out + (f" [{'; '.join(extra)}]" if extra else "")


def _ref_text(s: dict[str, Any], ident: str) -> str:
    parts = [s.get("title") or ident]
    parts += [str(s[k]) for k in ("publisher", "date") if s.get(k)]
    text = ", ".join(parts) + f" [{ident}]"
    return text + (f" <{s['url']}>" if s.get("url") else "")


def hop_grade(pack: Pack, flow: Any) -> str:
    """The best grade of the evidence that the channel operates; "lead" when its citations only
    document that it is barred or not done."""
    return flow_grade(pack, flow.citations) or "lead"


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
            "grade": hop_grade(pack, flow),
        })
        shows = sorted({c.shows for c in flow.citations if c.shows})
        if shows:
            hops[-1]["documents"] = shows
        if flow.practice:
            hops[-1]["practice"] = {
                "note": flow.practice,
                "sources": [citation_dict(pack, c) for c in flow.practice_citations],
            }
    weakest = max(hops, key=lambda h: GRADES.index(h["grade"]))
    return {
        "id": route.id, "status": route.status.value, "confidence": route.confidence.value,
        "grade": weakest["grade"], "weakest_evidence": weakest["flow"],
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
                     f"confidence: {r['confidence']}, weakest evidence: {r['grade']})")
        if r["grade"] == "lead":
            lines.append(f"  EVIDENCE: hop {r['weakest_evidence']} rests only on a lead "
                         "(unverified research note); check it before relying on this route")
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
                         f"{h['confidence']}; evidence: {h['grade']}")
            if h.get("documents"):
                lines.append("       the sources document that this channel is "
                             f"{' or '.join(h['documents'])}, not that it operates")
            for reason in h["reasons"]:
                mark = f"[{reason['status']}] " if reason["status"] else ""
                lines.append(f"       - {mark}{_short(reason['text'])}")
            for src in h["sources"][:2]:
                lines.append(f"       source: {source_text(src)}")
            for src in h.get("practice", {}).get("sources", [])[:2]:
                lines.append(f"       practice source: {source_text(src)}")
    return "\n".join(lines) + "\n"


CSV_FIELDS = (
    "route", "route_status", "route_confidence", "leak_kind", "hop", "flow", "from", "to",
    "hop_status", "data", "mechanism", "reasons", "sources", "route_grade", "hop_grade",
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
                " | ".join(source_text(s) for s in h["sources"]), r["grade"], h["grade"],
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
        out += [f"Confidence {r['confidence']}; weakest evidence: {r['grade']} "
                f"(`{_md(r['weakest_evidence'])}`)"
                + (", which rests only on a lead (an unverified research note)."
                   if r["grade"] == "lead" else "."), ""]
        out += ["| # | hop | status | why | evidence |", "|---|---|---|---|---|"]
        for i, h in enumerate(r["hops"], 1):
            why = "<br>".join(_md(x["text"]) for x in h["reasons"]) or "-"
            ev = "<br>".join(_md(source_text(s)) for s in h["sources"][:2])
            out.append(f"| {i} | `{h['from']}` → `{h['to']}` ({_md(h['flow'])}) | {h['status']} "
                       f"| {why} | {ev} |")
    return "\n".join(out) + "\n"
