"""Table / CSV / Markdown renderings of cut, exposure, diff and timeline results."""

from __future__ import annotations

from typing import Any

from graphflow.report.routes import source_text
from graphflow.report.tables import render_rows


def _head(out: dict[str, Any], what: str) -> list[str]:
    q = out["query"]
    lines = [f"{what}: {q['from']} → {q['to']} (pack {q['pack']}, profile "
             f"{q['profile'] or '(none)'}, as of {q['as_of']}, max {q['max_hops']} hops)"]
    if out.get("scenario"):
        s = out["scenario"]
        lines.append(f"What-if: rules from {', '.join(s['assume_rules']) or '-'}; "
                     f"closed flows: {', '.join(s['close']) or '-'}")
    return lines


def _cut_text(label: str, c: dict[str, Any]) -> list[str]:
    who = f" within {c['controllable_by']}" if c["controllable_by"] else ""
    lines = [f"[{label}] routes to stop: {c['routes_to_stop']}"]
    if not c["exists"]:
        lines.append(f"  No cut exists{who}: {len(c['remaining'])} route(s) stay open because "
                     "none of their flows can be regulated there:")
        for r in c["remaining"]:
            lines.append(f"  - {r['route']} [{r['status']}]: {' → '.join(r['nodes'])}")
            lines += [f"      {w}" for w in r["why"]]
        return lines
    if not c["cut"]:
        lines.append("  Nothing to cut: no route to stop.")
        return lines
    lines.append(f"  Close these {len(c['cut'])} flow(s){who} (cost {c['cost']}):")
    for f in c["cut"]:
        ctrl = ", ".join(f["controlled_by"]) or "?"
        lines.append(f"  - {f['flow']}: {f['from']} → {f['to']} ({', '.join(f['data'])}); "
                     f"basis {f['basis']}, weight {f['weight']}; controlled by {ctrl}; "
                     f"stops {f['routes_stopped']} route(s)")
        for s in f["sources"][:2]:
            lines.append(f"      source: {source_text(s)}")
    return lines


def render_cut(out: dict[str, Any], fmt: str) -> str:
    if fmt in ("csv", "md"):
        rows = []
        for label in ("before", "after"):
            c = out.get(label)
            if not c:
                continue
            for f in c["cut"]:
                rows.append({"scenario": label, "exists": True, "flow": f["flow"],
                             "from": f["from"], "to": f["to"], "controlled_by": f["controlled_by"],
                             "basis": f["basis"], "weight": f["weight"],
                             "routes_stopped": f["routes_stopped"], "route": ""})
            for r in c["remaining"]:
                rows.append({"scenario": label, "exists": False, "flow": "", "route": r["route"],
                             "from": r["nodes"][0], "to": r["nodes"][-1]})
        cols = ["scenario", "exists", "flow", "from", "to", "controlled_by", "basis", "weight",
                "routes_stopped", "route"]
        return render_rows(rows, cols, fmt)
    lines = _head(out, "Cut")
    lines.append(f"Stopping routes with status: {', '.join(out['include'])}")
    for label in ("before", "after"):
        if out.get(label):
            lines += _cut_text(label, out[label])
    return "\n".join(lines) + "\n"


def render_exposure(out: dict[str, Any], fmt: str) -> str:
    cols = ["data", "routes", "statuses", "fastest_hours", "weakest_confidence", "best_route",
            "best_route_status", "best_route_confidence", "latency_notes"]
    parts = []
    for label in ("before", "after"):
        if label not in out:
            continue
        rows = [dict(r) for r in out[label]]
        if fmt != "table":
            for r in rows:
                r["scenario"] = label
            parts.append(render_rows(rows, ["scenario", *cols], fmt))
        else:
            parts.append(f"[{label}]\n" + render_rows(rows, cols, fmt))
    if fmt == "table":
        return "\n".join(_head(out, "Exposure")) + "\n" + "\n".join(parts)
    return "".join(parts)


def render_diff(out: dict[str, Any], fmt: str) -> str:
    d1, d2 = out["query"]["as_of"]
    if fmt in ("csv", "md"):
        rows = [{"route": c["route"], d1: c["before"], d2: c["after"],
                 "hops": [f"{h['flow']}:{h['before']}->{h['after']}" for h in c["hops"]],
                 "why": [w for h in c["hops"] for w in h["why"]]} for c in out["changed"]]
        return render_rows(rows, ["route", d1, d2, "hops", "why"], fmt)
    q = out["query"]
    lines = [f"Diff {d1} → {d2}: {q['from']} → {q['to']} (pack {q['pack']}, profile "
             f"{q['profile'] or '(none)'})"]
    for day, s in out["summary"].items():
        lines.append(f"  {day}: " + ", ".join(f"{n} {k}" for k, n in s.items()))
    lines.append(f"Routes whose status or evidence changed: {len(out['changed'])}")
    for c in out["changed"]:
        lines.append(f"- {c['route']}: {c['before']} → {c['after']}  {' → '.join(c['nodes'])}")
        ev = c.get("evidence") or {}
        if ev.get("before") != ev.get("after"):
            lines.append(f"    evidence: {ev.get('before')} → {ev.get('after')}")
        for h in c["hops"]:
            hev = h.get("evidence") or {}
            extra = (f" (evidence {hev.get('before')} → {hev.get('after')})"
                     if hev.get("before") != hev.get("after") else "")
            lines.append(f"    {h['flow']}: {h['before']} → {h['after']}{extra}")
            lines += [f"      {w}" for w in h["why"]]
    lines.append("Rules and flows that changed between the dates:")
    for cause in out["causes"]:
        name = cause.get("name") or cause.get("flow")
        span = cause.get("in_force") or cause.get("valid")
        how = "".join(f", {k} {', '.join(cause[k])}" for k in ("amends", "supersedes")
                      if cause.get(k))
        lines.append(f"  - {cause.get('rule') or cause.get('flow')}: {name} "
                     f"{cause['change']} ({span}{how})")
    return "\n".join(lines) + "\n"


def render_timeline(out: dict[str, Any], fmt: str) -> str:
    if fmt in ("csv", "md"):
        rows = []
        for r in out["routes"]:
            b = r["before"]
            rows.append({"route": r["route"], "path": " → ".join(r["nodes"]),
                         "date": f"before {b['until']}", "status": b["status"],
                         "evidence": b["evidence"], "causes": ""})
            for c in r["changes"]:
                rows.append({"route": r["route"], "path": " → ".join(r["nodes"]),
                             "date": c["date"], "status": c["status"],
                             "evidence": c["evidence"], "causes": c["causes"]})
        return render_rows(rows, ["route", "path", "date", "status", "evidence", "causes"], fmt)
    q = out["query"]
    lines = [f"Timeline: {q['from']} → {q['to']} (pack {q['pack']}, profile "
             f"{q['profile'] or '(none)'}), {len(out['dates'])} change dates"]
    for r in out["routes"]:
        lines.append(f"- {r['route']}  {' → '.join(r['nodes'])}")
        b = r["before"]
        lines.append(f"    before {b['until']}: {b['status']} (evidence {b['evidence']})")
        for c in r["changes"]:
            lines.append(f"    from {c['date']}: {c['status']} (evidence {c['evidence']})")
            lines += [f"      because {why}" for why in c["causes"]]
    return "\n".join(lines) + "\n"


def render_whatif(out: dict[str, Any]) -> str:
    """The before/after block printed above a what-if route report."""
    sc = out["scenario"]
    lines = [f"What-if: rules from {', '.join(sc['assume_rules']) or '-'}; "
             f"closed flows: {', '.join(sc['close']) or '-'}",
             "  before: " + ", ".join(f"{n} {k}" for k, n in out["before_summary"].items()),
             "  after:  " + ", ".join(f"{n} {k}" for k, n in out["summary"].items()),
             f"  routes whose status changes: {len(out['changes'])}"]
    for c in out["changes"]:
        lines.append(f"  - {c['route']}: {c['before']} → {c['after']}  {' → '.join(c['nodes'])}")
        for h in c["hops"]:
            lines += [f"      {h['flow']}: {w}" for w in h["why"]]
    return "\n".join(lines) + "\n\n"
