"""Route reports in the stable JSON shape, and their table / CSV / Markdown renderings."""

from __future__ import annotations

import csv
import io
from typing import Any

from graphflow.audit import RouteReport
from graphflow.core.evidence import STATES, words
from graphflow.core.model import GRADES, Pack
from graphflow.core.routes import Route
from graphflow.packs.references import citation_grade, flow_grade

JSON_VERSION = 2  # 2: route ids of 64 bits (16 hex digits)


def source_dict(pack: Pack, source_id: str) -> dict[str, Any]:
    """A source as the reader needs it to find the document: id, title, publisher, date, URL."""
    src = pack.sources.get(source_id)
    out: dict[str, Any] = {"id": source_id}
    _add_source_fields(out, src, ("publisher", "date", "url", "kind"))
    return out


def _add_source_fields(out: dict[str, Any], src: Any, keys: tuple[str, ...]) -> None:
    """Copy a source's title and the given fields that are set into ``out``."""
    if src is None:
        return
    out["title"] = src.title
    for key in keys:
        value = getattr(src, key)
        if value:
            out[key] = str(value)


def citation_dict(pack: Pack, cit: Any) -> dict[str, Any]:
    src = pack.sources.get(cit.source)
    out = {"source": cit.source, "locator": cit.locator, "quote": cit.quote}
    _add_source_fields(out, src, ("publisher", "date", "url", "file"))
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
            "evidence": hop.evidence.as_dict(),
            "conflicts": pack.conflicts_on(flow_id),
            "caveat": flow.caveat or None,
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
        "touched_by": route.touched_by, "missing_facts": route.missing,
        "stopped_at": route.stop,
        "leak_evidence": (None if not route.is_leak else
                          "current" if route.evidence.current else "possible"),
        "evidence": route.evidence.as_dict(),
        "conflicts": list(dict.fromkeys(c for h in hops for c in h["conflicts"])),
        "hops": hops,
    }


def report_dict(pack: Pack, report: RouteReport) -> dict[str, Any]:
    q = report.query.as_dict()
    q["pack"] = pack.id
    q["engine"] = report.engine
    routes = [route_dict(pack, r) for r in report.routes]
    used = dict.fromkeys(c for r in routes for c in r["conflicts"])
    return {
        "version": JSON_VERSION,
        "query": q,
        "routes": routes,
        "summary": report.summary,
        "open_by_evidence": report.open_evidence,
        "leaks_shown": {k: sum(r["leak_evidence"] == k for r in routes)
                        for k in ("current", "possible")},
        "conflicts": {c: conflict_dict(pack, c) for c in used},
    }


def conflict_dict(pack: Pack, conflict_id: str) -> dict[str, Any]:
    c = pack.conflicts[conflict_id]
    return {"summary": " ".join(c.summary.split()), "about": list(c.about),
            "resolution": " ".join(c.resolution.split()) or None}


def status_words(route: dict[str, Any], as_of: str) -> str:
    """A route's status with its evidence caveat, e.g. "OPEN, but its evidence ends 2017-04
    (asked for 2026-12-01)"."""
    return words(route["status"], route.get("evidence"), as_of)


def _conflict_lines(data: dict[str, Any], r: dict[str, Any], indent: str) -> list[str]:
    out = []
    for cid in r.get("conflicts", []):
        c = data.get("conflicts", {}).get(cid)
        summary = _short(c["summary"]) if c else ""
        out.append(f"{indent}Sources disagree ({cid}): {summary}")
    return out


def _evidence_summary(data: dict[str, Any]) -> str | None:
    ev = data.get("open_by_evidence")
    if not ev:
        return None
    return "Open routes by evidence: " + ", ".join(f"{ev.get(s, 0)} {s}" for s in STATES)


_LEAK_TEXT = {
    "untouched": "LEAK: open, and no rule restricts any of its hops",
    "conditions-met": "LEAK: open, because the conditions of the rules that restrict it are met",
}


def _leak_text(r: dict[str, Any]) -> str:
    text = _LEAK_TEXT[r["leak_kind"]]
    if r.get("leak_evidence") == "possible":
        return "POSSIBLE " + text + f" (evidence {r['evidence']['state']})"
    return text


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
    ev = _evidence_summary(data)
    if ev:
        lines.append(ev)
    lines.append(f"Shown: {len(data['routes'])} route(s)")
    shown = data.get("leaks_shown") or {}
    if shown.get("possible"):
        lines.append(f"Leaks shown: {shown['current']} with current evidence, "
                     f"{shown['possible']} possible (open by the rules, evidence stale or "
                     "unverified for this date)")
    for r in data["routes"]:
        lines.append("")
        lines.append(f"Route {r['id']}  {status_words(r, q['as_of'])}  ({r['hops_count']} hops, "
                     f"confidence: {r['confidence']}, weakest evidence: {r['grade']})")
        if r["grade"] == "lead":
            lines.append(f"  EVIDENCE: hop {r['weakest_evidence']} rests only on a lead "
                         "(unverified research note); check it before relying on this route")
        lines.append("  " + " → ".join(r["nodes"]))
        if r.get("evidence", {}).get("state", "current") != "current" and r["evidence"]["note"]:
            lines.append(f"  Evidence: {_short(r['evidence']['note'])}"
                         + (f" ({r['evidence']['about']})" if r["evidence"].get("about") else ""))
        if r.get("stopped_at") is not None:
            h = r["hops"][r["stopped_at"]]
            lines.append(f"  Stops at hop {r['stopped_at'] + 1} ({h['flow']}: {h['status']})")
        lines += _conflict_lines(data, r, "  ")
        if r["leak_kind"]:
            lines.append("  " + _leak_text(r))
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
            hev = h.get("evidence") or {}
            if hev.get("state", "current") != "current":
                lines.append(f"       evidence {hev['state']}: ends {hev['last_evidenced'] or '?'}"
                             + (f"; {_short(hev['note'])}" if hev.get("note") else ""))
            if h.get("caveat"):
                lines.append(f"       caveat: {_short(h['caveat'])}")
            if h.get("conflicts"):
                lines.append(f"       sources disagree: {', '.join(h['conflicts'])}")
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
    "route_evidence", "route_in_words", "hop_evidence", "hop_last_evidenced", "evidence_note",
    "conflicts", "caveat", "leak_evidence",
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
                r.get("evidence", {}).get("state", ""),
                status_words(r, data["query"]["as_of"]),
                h.get("evidence", {}).get("state", ""),
                h.get("evidence", {}).get("last_evidenced") or "",
                h.get("evidence", {}).get("note") or "",
                " | ".join(f"{c}: {_short(data['conflicts'][c]['summary'])}"
                           if c in data.get("conflicts", {}) else c
                           for c in h.get("conflicts", [])),
                h.get("caveat") or "",
                r.get("leak_evidence") or "",
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
    ev = _evidence_summary(data)
    if ev:
        out += ["", ev]
    for r in data["routes"]:
        out += ["", f"## Route {r['id']}: {_md(status_words(r, q['as_of']))}", "",
                " → ".join(f"`{n}`" for n in r["nodes"]), ""]
        if r["leak_kind"]:
            out += [f"**{_md(_leak_text(r))}**", ""]
        out += [f"Confidence {r['confidence']}; weakest evidence: {r['grade']} "
                f"(`{_md(r['weakest_evidence'])}`)"
                + (", which rests only on a lead (an unverified research note)."
                   if r["grade"] == "lead" else "."), ""]
        rev = r.get("evidence") or {}
        if rev.get("state", "current") != "current" and rev.get("note"):
            out += [f"Evidence ({rev['state']}): {_md(rev['note'])}", ""]
        for line in _conflict_lines(data, r, ""):
            out += [f"- {_md(line)}"]
        if r.get("conflicts"):
            out += [""]
        out += ["| # | hop | status | why | evidence |", "|---|---|---|---|---|"]
        for i, h in enumerate(r["hops"], 1):
            why = "<br>".join(_md(x["text"]) for x in h["reasons"]) or "-"
            hev = h.get("evidence") or {}
            if hev.get("state", "current") != "current":
                why += f"<br>evidence {hev['state']}, ends {_md(hev['last_evidenced'] or '?')}"
            if h.get("caveat"):
                why += f"<br>caveat: {_md(h['caveat'])}"
            if h.get("conflicts"):
                why += f"<br>sources disagree: {_md(', '.join(h['conflicts']))}"
            ev = "<br>".join(_md(source_text(s)) for s in h["sources"][:2])
            out.append(f"| {i} | `{h['from']}` → `{h['to']}` ({_md(h['flow'])}) | {h['status']} "
                       f"| {why} | {ev} |")
    return "\n".join(out) + "\n"
