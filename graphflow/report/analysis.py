"""Table / CSV / Markdown renderings of cut, exposure, diff and timeline results.

Every format names the query (pack, from, to, profile, facts, date, hops) and the what-if
(assumed rules, each marked hypothetical, closed flows, and every effect found outside its
rule's authority); Markdown adds tables with names and the sources behind each answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from graphflow.report.routes import source_text, wrap, wrap_items
from graphflow.report.tables import render_rows
from graphflow.report.words import fact_words, span_words, value_words

DISCLAIMER = "graphflow is a research tool, not legal advice."


# ------------------------------------------------------------------ query and what-if header

def _fact_items(q: dict[str, Any]) -> list[str]:
    """The case facts as a reader says them: "arrest type: custodial arrest", "has court
    date: yes" (never Python's True/False)."""
    facts = q.get("facts") or {}
    return [f"{fact_words(k)}: {value_words(v)}" for k, v in sorted(facts.items())]


def _facts(q: dict[str, Any]) -> str:
    return "; ".join(_fact_items(q)) or "(none)"


def _query_lines(q: dict[str, Any], what: str, tail: str) -> list[str]:
    """The query in a few short lines: what, from, to, pack and profile, then the case."""
    lines = wrap(f"{what}: {q['from']} → {q['to']}, pack {q['pack']}, profile "
                  f"{q.get('profile') or '(none)'}{tail}", "  ", "")
    if q.get("facts"):
        lines += wrap_items(_fact_items(q), "  Case: ", "    ")
    return lines


def _as_of(q: dict[str, Any]) -> str:
    value = q.get("as_of")
    if isinstance(value, list):
        return " and ".join(map(str, value))
    return str(value) if value else "every change date"


def whatif_lines(out: dict[str, Any]) -> list[str]:
    """The what-if in words: rules assumed (hypothetical), flows closed, authority flags."""
    s = out.get("scenario")
    if not s:
        return []
    w = out.get("what_if") or {}
    lines = [f"What-if: rules from {', '.join(s['assume_rules']) or '-'}; "
             f"closed flows: {', '.join(s['close']) or '-'}"]
    for r in w.get("hypothetical_rules", []):
        cited = "" if r.get("cited") else ", no citation"
        effects = ", ".join(f"{e['effect']} {e['flow']}" for e in r["effects"]) or "no effects"
        lines.append(f"  hypothetical rule {r['id']} ({r['jurisdiction']}{cited}): {effects}")
    for f in w.get("outside_authority", []):
        lines.append(f"  ! {f['text']}")
    return lines


def head_lines(out: dict[str, Any], what: str) -> list[str]:
    q = out["query"]
    lines = _query_lines(q, what, f", as of {_as_of(q)}, at most {q['max_hops']} hops")
    return lines + whatif_lines(out)


def md_head(out: dict[str, Any], what: str, extra: Iterable[tuple[str, Any]] = ()) -> str:
    """A Markdown title, the query as a table, and the what-if."""
    q = out["query"]
    rows = [("Pack", q["pack"]), ("From", q["from"]), ("To", q["to"]),
            ("Profile", q.get("profile") or "(none)"), ("Facts", _facts(q)),
            ("As of", _as_of(q)), ("Max hops", q["max_hops"]), *extra]
    text = f"# {what}: {q['from']} → {q['to']}\n\n"
    text += render_rows([{"Query": k, "Value": v} for k, v in rows], ["Query", "Value"], "md")
    wl = whatif_lines(out)
    if wl:
        text += "\n## What-if\n\n" + "".join(f"- {_md(x.strip())}\n" for x in wl)
    return text + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def _sources_md(title: str, cites: list[tuple[str, dict[str, Any]]]) -> str:
    if not cites:
        return ""
    lines = [f"\n### {title}\n"]
    seen = set()
    for about, c in cites:
        line = f"- {about}: {source_text(c)}"
        if line not in seen:
            seen.add(line)
            lines.append(_md(line))
    return "\n".join(lines) + "\n"


def _foot() -> str:
    return f"\n_{DISCLAIMER}_\n"


def _whatif_row(out: dict[str, Any]) -> dict[str, Any]:
    """CSV columns that carry the what-if on every row."""
    w = out.get("what_if") or {}
    return {"hypothetical": bool(out.get("scenario")),
            "outside_authority": [f["text"] for f in w.get("outside_authority", [])]}


# ------------------------------------------------------------------ cut

def _method(c: dict[str, Any]) -> str:
    if c["method"] == "exact":
        return "exact minimum for these routes"
    if c["method"] == "upper-bound":
        return (f"upper bound (search budget ran out; no cut costs less than "
                f"{c['lower_bound']:g})")
    return c["method"]


def _weights(c: dict[str, Any]) -> str:
    if not c.get("weights"):
        return "unweighted: every flow counts 1"
    return "weights by basis: " + ", ".join(f"{k} {v}" for k, v in c["weights"].items())


def _cut_text(label: str, c: dict[str, Any]) -> list[str]:
    who = f" within {c['controllable_by']}" if c["controllable_by"] else ""
    lines = wrap(f"[{label}] routes to stop: {c['routes_to_stop']}; {_weights(c)}", "  ", "")
    if not c["exists"]:
        lines.append(f"  No cut exists{who}: {c['remaining_count']} route(s) stay open because "
                     "none of their flows can be closed there:")
        for r in c["remaining"]:
            lines.append(f"  - {r['route']} [{r['status']}]: {' → '.join(r['nodes'])}")
            lines += [f"      {w}" for w in r["why"]]
        if c["remaining_count"] > len(c["remaining"]):
            lines.append(f"  ... and {c['remaining_count'] - len(c['remaining'])} more")
        if c.get("essential_needed"):
            lines.append("  A cut would need an essential flow ("
                         f"{', '.join(c['essential_needed'])}): see --allow-essential")
        return lines
    if not c["cut"]:
        lines.append("  Nothing to cut: no route to stop.")
        return lines
    lines.append(f"  Close these {len(c['cut'])} flow(s){who} (cost {c['cost']:g}; "
                 f"{_method(c)}):")
    for f in c["cut"]:
        ctrl = ", ".join(f["controlled_by"]) or "?"
        ess = "; ESSENTIAL (--allow-essential)" if f.get("essential") else ""
        lines += wrap(f"{f['flow']}: {f['from']} → {f['to']} ({', '.join(f['data'])}); "
                       f"basis {f['basis']}, weight {f['weight']}; controlled by {ctrl}; "
                       f"stops {f['routes_stopped']} route(s){ess}", "    ", "  - ")
        lines += wrap(f["sentence"], "      ")
        # each citation once, with every role it plays (the flow's source, a jurisdiction's
        # power over it): the same quote often proves both
        roles: dict[str, list[str]] = {}
        for s in f["sources"][:2]:
            roles.setdefault(source_text(s), []).append("source")
        for p in f["power"]:
            if p.get("source"):
                roles.setdefault(source_text(p["source"]), []).append(
                    f"power of {p['jurisdiction']}")
        for text, who in roles.items():
            lines += wrap(f"{', '.join(who)}: {text}", "        ", "      ")
        for p in f["precedents"]:
            lines.append(f"      precedent ({p['pack']}): {p['name']} ({p['jurisdiction']}) "
                         f"{p['effect']} {p['flow']}")
    return lines


def _cut_md(label: str, c: dict[str, Any]) -> str:
    who = f" within {c['controllable_by']}" if c["controllable_by"] else ""
    text = f"## {label.capitalize()}\n\nRoutes to stop: {c['routes_to_stop']}. {_weights(c)}.\n\n"
    if not c["exists"]:
        text += (f"**No cut exists{who}**: {c['remaining_count']} route(s) stay open because "
                 "none of their flows can be closed there.\n\n")
        rows = [{"Route": r["route"], "Status": r["status"], "Path": " → ".join(r["nodes"]),
                 "Why no flow can be closed": "; ".join(r["why"])} for r in c["remaining"]]
        text += render_rows(rows, ["Route", "Status", "Path", "Why no flow can be closed"],
                            "md")
        if c.get("essential_needed"):
            text += (f"\nA cut would need an essential flow "
                     f"({', '.join(c['essential_needed'])}): see `--allow-essential`.\n")
        return text
    if not c["cut"]:
        return text + "Nothing to cut: no route to stop.\n"
    text += (f"Close these {len(c['cut'])} flow(s){who}: cost {c['cost']:g}, "
             f"{_method(c)}.\n\n")
    rows = [{"Flow": f["flow"], "Name": f["name"], "Kind": f.get("kind") or "",
             "Basis": f["basis"], "Weight": f["weight"],
             "Controlled by": ", ".join(f["controlled_by"]),
             "Routes stopped": f["routes_stopped"], "What closing it means": f["sentence"]}
            for f in c["cut"]]
    text += render_rows(rows, list(rows[0]), "md", )
    cites = [(f"{f['flow']}", s) for f in c["cut"] for s in f["sources"][:2]]
    cites += [(f"power of {p['jurisdiction']} over {f['flow']}", p["source"])
              for f in c["cut"] for p in f["power"] if p.get("source")]
    text += _sources_md("Sources", cites)
    prec = [{"Cut flow": f["flow"], "Pack": p["pack"], "Rule": p["name"],
             "Jurisdiction": p["jurisdiction"], "Effect": p["effect"], "On flow": p["flow"]}
            for f in c["cut"] for p in f["precedents"]]
    if prec:
        text += "\n### Precedents in other packs (same kind of flow)\n\n"
        text += render_rows(prec, list(prec[0]), "md")
        text += _sources_md("Precedent sources",
                            [(p["rule"], p["source"]) for f in c["cut"]
                             for p in f["precedents"] if p.get("source")])
    return text


def render_cut(out: dict[str, Any], fmt: str) -> str:
    labels = [label for label in ("before", "after") if out.get(label)]
    if fmt == "csv":
        rows = []
        for label in labels:
            c = out[label]
            for f in c["cut"]:
                rows.append({"scenario": label, "exists": True, "method": c["method"],
                             "flow": f["flow"], "name": f["name"], "from": f["from"],
                             "to": f["to"], "controlled_by": f["controlled_by"],
                             "basis": f["basis"], "weight": f["weight"],
                             "routes_stopped": f["routes_stopped"], "route": "",
                             "meaning": f["sentence"], **_whatif_row(out)})
            for r in c["remaining"]:
                rows.append({"scenario": label, "exists": False, "method": c["method"],
                             "flow": "", "route": r["route"], "from": r["nodes"][0],
                             "to": r["nodes"][-1], "meaning": "; ".join(r["why"]),
                             **_whatif_row(out)})
        cols = ["scenario", "exists", "method", "flow", "name", "from", "to", "controlled_by",
                "basis", "weight", "routes_stopped", "route", "meaning", "hypothetical",
                "outside_authority"]
        return render_rows(rows, cols, fmt)
    if fmt == "md":
        who = out["before"]["controller"] if out.get("before") else None
        extra = [("Stopping routes with status", ", ".join(out["include"])),
                 ("Controllable by", f"{who['name']} ({who['kind']} {who['id']})"
                  if who else "anyone")]
        text = md_head(out, "Cut", extra)
        for label in labels:
            text += _cut_md(label, out[label]) + "\n"
        return text + _foot()
    lines = head_lines(out, "Cut")
    lines.append(f"Stopping routes with status: {', '.join(out['include'])}")
    for label in labels:
        lines += _cut_text(label, out[label])
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ exposure

def _fastest(r: dict[str, Any]) -> str:
    if r.get("fastest_hours") is not None:
        return f"{r['fastest_hours']:g}"
    return "unknown"


def render_exposure(out: dict[str, Any], fmt: str) -> str:
    labels = [label for label in ("before", "after") if label in out]
    if fmt == "csv":
        cols = ["scenario", "data", "name", "routes", "statuses", "fastest_hours",
                "fastest_route", "latency_unknown_why", "weakest_confidence", "best_route",
                "best_route_status", "best_route_confidence", "latency_notes", "hypothetical",
                "outside_authority"]
        rows = [{**r, "scenario": label, **_whatif_row(out)}
                for label in labels for r in out[label]]
        return render_rows(rows, cols, fmt)
    if fmt == "md":
        text = md_head(out, "Exposure")
        for label in labels:
            rows = [{"Data item": r["data"], "Name": r["name"], "Routes": r["routes"],
                     "Statuses": ", ".join(r["statuses"]), "Fastest hours": _fastest(r),
                     "Why unknown": r.get("latency_unknown_why") or "",
                     "Weakest confidence": r["weakest_confidence"],
                     "Best route": f"{r['best_route']} ({r['best_route_status']}): "
                                   + " → ".join(r["best_route_nodes"])} for r in out[label]]
            text += f"## {label.capitalize()}\n\n"
            text += render_rows(rows, list(rows[0]), "md") if rows else "No data item reaches "\
                "the target on these routes.\n"
            text += _sources_md(f"Sources ({label}: each best route's hops)",
                                [(f"{r['data']} via {s['flow']}", s) for r in out[label]
                                 for s in r.get("sources", [])])
            text += "\n"
        return text + _foot()
    cols = ["data", "name", "routes", "statuses", "fastest_hours", "weakest_confidence",
            "best_route", "best_route_status"]
    parts = []
    for label in labels:
        rows = [{**r, "fastest_hours": _fastest(r)} for r in out[label]]
        text = f"[{label}]\n" + render_rows(rows, cols, fmt)
        # why a latency is unknown is a sentence: printed whole under the table, never cut
        why = [line for r in out[label] if r.get("latency_unknown_why")
               for line in wrap(f"{r['data']}: {r['latency_unknown_why']}", "    ", "  ")]
        if why:
            text += "Why no latency is known:\n" + "\n".join(why) + "\n"
        parts.append(text)
    return "\n".join(head_lines(out, "Exposure")) + "\n" + "\n".join(parts)


# ------------------------------------------------------------------ diff

def _diff_rows(out: dict[str, Any], d1: str, d2: str) -> list[dict[str, Any]]:
    return [{"route": c["route"], d1: c["before"], d2: c["after"],
             "hops": [f"{h['flow']}:{h['before']}->{h['after']}" for h in c["hops"]],
             "why": [w for h in c["hops"] for w in h["why"]]} for c in out["changed"]]


def _span_words(span: Any) -> str:
    """A JSON span ("2017-04-01 to now", "… to 2014-12-13") in words ("since 2017-04-01",
    "until 2014-12-13"): the two ends read back, then said as every other view says them."""
    start, sep, stop = str(span or "").partition(" to ")
    if not sep:
        return str(span or "")
    return span_words(None if start == "…" else start, None if stop == "now" else stop)


def _diff_block(out: dict[str, Any], label: str | None) -> list[str]:
    lines = []
    pre = f"[{label}] " if label else ""
    for day, s in out["summary"].items():
        lines.append(f"  {pre}{day}: " + ", ".join(f"{n} {k}" for k, n in s.items()))
    lines.append(f"{pre}Routes whose status or evidence changed: {len(out['changed'])}")
    for c in out["changed"]:
        lines.append(f"- {c['route']}: {c['before']} → {c['after']}")
        lines += wrap(" → ".join(c["nodes"]), "      ", "    ")
        ev = c.get("evidence") or {}
        if ev.get("before") != ev.get("after"):
            lines.append(f"    evidence: {ev.get('before')} → {ev.get('after')}")
        for h in c["hops"]:
            hev = h.get("evidence") or {}
            extra = (f" (evidence {hev.get('before')} → {hev.get('after')})"
                     if hev.get("before") != hev.get("after") else "")
            lines.append(f"    {h['flow']}: {h['before']} → {h['after']}{extra}")
            lines += [line for w in h["why"] for line in wrap(w, "        ", "      ")]
    lines.append(f"{pre}Rules and flows that changed between the dates:")
    for cause in out["causes"]:
        name = cause.get("name") or cause.get("flow")
        span = cause.get("in_force") or cause.get("valid")
        how = "".join(f", {k} {', '.join(cause[k])}" for k in ("amends", "supersedes")
                      if cause.get(k))
        lines += wrap(f"{cause.get('rule') or cause.get('flow')}: {name} "
                       f"{cause['change']} ({_span_words(span)}{how})", "    ", "  - ")
    return lines


def render_diff(out: dict[str, Any], fmt: str) -> str:
    d1, d2 = out["query"]["as_of"]
    blocks = [(None, out)] + ([("after", out["after"])] if out.get("after") else [])
    if fmt == "csv":
        rows = []
        for label, block in blocks:
            rows += [{"scenario": label or "before", **r, **_whatif_row(out)}
                     for r in _diff_rows(block, d1, d2)]
        return render_rows(rows, ["scenario", "route", d1, d2, "hops", "why", "hypothetical",
                                  "outside_authority"], fmt)
    if fmt == "md":
        text = md_head(out, "Diff")
        for label, block in blocks:
            text += f"## {(label or 'before').capitalize()}\n\n"
            text += render_rows([{"Date": d, **s} for d, s in block["summary"].items()],
                                ["Date", *next(iter(block["summary"].values()))], "md")
            rows = [{"Route": c["route"], "Path": " → ".join(c["nodes"]), d1: c["before"],
                     d2: c["after"], "Why": "; ".join(w for h in c["hops"] for w in h["why"])}
                    for c in block["changed"]]
            text += f"\nRoutes whose status or evidence changed: {len(rows)}\n\n"
            if rows:
                text += render_rows(rows, list(rows[0]), "md")
            causes = [{"Rule or flow": c.get("rule") or c.get("flow"),
                       "Name": c.get("name") or c.get("flow"), "Change": c["change"],
                       "In force / valid": c.get("in_force") or c.get("valid")}
                      for c in block["causes"]]
            if causes:
                text += "\n### Rules and flows that changed between the dates\n\n"
                text += render_rows(causes, list(causes[0]), "md")
            text += _sources_md("Sources", [(c.get("rule") or c.get("flow"), s)
                                            for c in block["causes"]
                                            for s in c.get("sources", [])[:1]])
            text += "\n"
        return text + _foot()
    q = out["query"]
    lines = [f"Diff {d1} → {d2}: {q['from']} → {q['to']} (pack {q['pack']}, profile "
             f"{q['profile'] or '(none)'})", *whatif_lines(out)]
    for label, block in blocks:
        lines += _diff_block(block, label)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ timeline

def _timeline_rows(routes: Iterable[dict[str, Any]], label: str = "before",
                   extra: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    extra = extra or {}
    for r in routes:
        b = r["before"]
        yield {**extra, "scenario": label, "route": r["route"], "path": " → ".join(r["nodes"]),
               "date": f"before {b['until']}", "status": b["status"],
               "evidence": b["evidence"], "causes": ""}
        for c in r["changes"]:
            yield {**extra, "scenario": label, "route": r["route"],
                   "path": " → ".join(r["nodes"]), "date": c["date"],
                   "status": c["status"], "evidence": c["evidence"], "causes": c["causes"]}


TIMELINE_COLS = ["scenario", "route", "path", "date", "status", "evidence", "causes"]
TIMELINE_CSV = [*TIMELINE_COLS, "hypothetical", "outside_authority"]


def timeline_head(out: dict[str, Any], fmt: str) -> str:
    """What comes before the routes (for streaming)."""
    if fmt == "csv":
        return render_rows([], TIMELINE_CSV, "csv")
    if fmt == "md":
        dates = ", ".join(out["dates"]) or "(none)"
        label = out.get("scenario_label")
        title = f"Timeline ({label})" if label else "Timeline"
        return (md_head(out, title, [("Change dates", dates)])
                + "| " + " | ".join(TIMELINE_COLS) + " |\n|" + "---|" * len(TIMELINE_COLS)
                + "\n")
    q = out["query"]
    return "\n".join([*_query_lines(q, "Timeline", f", {len(out['dates'])} change dates"),
                      *whatif_lines(out)]) + "\n"


def timeline_route(r: dict[str, Any], fmt: str, label: str = "before",
                   head: dict[str, Any] | None = None) -> str:
    """One route of a timeline (for streaming; ``head`` carries the what-if for CSV)."""
    if fmt in ("csv", "md"):
        extra = _whatif_row(head) if head and fmt == "csv" else None
        cols = TIMELINE_CSV if fmt == "csv" else TIMELINE_COLS
        text = render_rows(list(_timeline_rows([r], label, extra)), cols, fmt)
        return text.split("\n", 2 if fmt == "md" else 1)[-1]
    lines = [f"- {r['route']}", *wrap(" → ".join(r["nodes"]), "      ", "    ")]
    b = r["before"]
    lines.append(f"    before {b['until']}: {b['status']} (evidence {b['evidence']})")
    for c in r["changes"]:
        lines.append(f"    from {c['date']}: {c['status']} (evidence {c['evidence']})")
        lines += [line for why in c["causes"]
                  for line in wrap(f"because {why}", "        ", "      ")]
    return "\n".join(lines) + "\n"


def render_timeline(out: dict[str, Any], fmt: str) -> str:
    text = timeline_head(out, fmt)
    text += "".join(timeline_route(r, fmt, "before", out) for r in out["routes"])
    if out.get("after"):
        after = {**out, **out["after"], "scenario_label": "after"}
        if fmt != "csv":
            text += "\n" + timeline_head(after, fmt)
        text += "".join(timeline_route(r, fmt, "after", out) for r in out["after"]["routes"])
    if fmt == "md":
        text += _foot()
    return text


def render_whatif(out: dict[str, Any]) -> str:
    """The before/after block printed above a what-if route report."""
    sc = out["scenario"]
    lines = [f"What-if: rules from {', '.join(sc['assume_rules']) or '-'}; "
             f"closed flows: {', '.join(sc['close']) or '-'}"]
    lines += whatif_lines(out)[1:]
    lines += ["  before: " + ", ".join(f"{n} {k}" for k, n in out["before_summary"].items()),
              "  after:  " + ", ".join(f"{n} {k}" for k, n in out["summary"].items()),
              f"  routes whose status changes: {len(out['changes'])}"]
    for c in out["changes"]:
        lines.append(f"  - {c['route']}: {c['before']} → {c['after']}  {' → '.join(c['nodes'])}")
        for h in c["hops"]:
            lines += [f"      {h['flow']}: {w}" for w in h["why"]]
    return "\n".join(lines) + "\n\n"
