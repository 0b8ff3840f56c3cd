"""Route reports in the stable JSON shape, and their table / CSV / Markdown renderings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from typing import Any

from graphflow.audit import RouteReport
from graphflow.core.evidence import STATES, words
from graphflow.core.model import GRADES, Pack
from graphflow.core.routes import Route
from graphflow.packs.references import citation_dict, flow_grade
from graphflow.report.words import (
    GRADE_WORDS,
    MECHANISM_WORDS,
    actor_name,
    fact_words,
    is_quiet,
    reason_words,
    short_name,
    value_words,
)

JSON_VERSION = 2  # 2: route ids of 64 bits (16 hex digits)


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


def route_dict(pack: Pack, route: Route, as_of: dt.date | None = None) -> dict[str, Any]:
    """One route in the documented JSON shape. Every reason has its plain-language ``words``
    (report.words) next to its technical ``text``."""
    hops = []
    for flow_id, hop in zip(route.flows, route.hops, strict=True):
        flow = pack.flows[flow_id]
        reasons = [r.as_dict() for r in hop.reasons]
        for r, reason in zip(hop.reasons, reasons, strict=True):
            reason["words"] = reason_words(pack, flow_id, reason, as_of)
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
    routes = [route_dict(pack, r, report.query.as_of) for r in report.routes]
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


def conflict_words(data: dict[str, Any], cid: str) -> str:
    """ "Sources disagree (id): one-line summary" (the id alone if the report lacks it)."""
    c = data.get("conflicts", {}).get(cid)
    return f"Sources disagree ({cid})" + (f": {_short(c['summary'])}" if c else "")


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


WIDTH = 100  # the text views wrap here (quotes wrap, they are never cut)
NOTICE = "graphflow is a research tool, not legal advice."


def wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    """Text wrapped at the text views' width, later lines at ``indent``, the first at
    ``first`` (default: ``indent``); ids and URLs are never broken."""
    head = indent if first is None else first
    return textwrap.wrap(" ".join(str(text).split()), WIDTH, initial_indent=head,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [head]


def wrap_items(items: list[str], first: str, indent: str) -> list[str]:
    """Items joined by "; " and wrapped between items, so no "fact: value" is split."""
    lines, line = [], first
    for n, item in enumerate(items):
        piece = item + (";" if n < len(items) - 1 else "")
        if line.strip() and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = indent + piece
        else:
            line += ("" if line == first else " ") + piece
    return [*lines, line]


def _path_words(pack: Pack, nodes: list[str]) -> str:
    return " → ".join(actor_name(pack, n) for n in nodes)


def siblings_via(routes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """For routes that pass through the same actors as another route, the flows that tell
    them apart ("via court-calendar-lookup"): the positions where the group's flows differ."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in routes:
        groups.setdefault(tuple(r["nodes"]), []).append(r)
    out: dict[str, list[str]] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        differ = [i for i in range(len(group[0]["flows"]))
                  if len({r["flows"][i] for r in group}) > 1]
        for r in group:
            out[r["id"]] = [r["flows"][i] for i in differ]
    return out


def headline(route: dict[str, Any]) -> dict[str, Any] | None:
    """The route's headline quote: from the hop nearest the target whose source is verified
    and documents the channel operating (not a bar), else the first quote there is."""
    for grade in ("verified", "secondary", "lead"):
        for h in reversed(route["hops"]):
            for src in h["sources"]:
                if src.get("grade", "verified") == grade and not src.get("shows"):
                    return src
    return next((s for h in route["hops"] for s in h["sources"]), None)


def cite_words(src: dict[str, Any], locator: bool = False) -> str:
    """A citation's source in a few words: publisher and date (of the original document for a
    research note), the source id, and the URL (the source's, else its original's)."""
    orig = src.get("original") or {}
    base = orig if orig and not src.get("url") else src
    parts = [short_name(base.get("publisher") or base.get("title") or src["source"])]
    if base.get("date"):
        parts.append(str(base["date"]))
    ident = src["source"] + (f", {src['locator']}" if locator else "")
    if base is orig:
        ident = f"via {ident}"
    text = ", ".join(parts) + f" [{ident}]"
    url = src.get("url") or orig.get("url")
    return text + (f" <{url}>" if url else "")


def _header(pack: Pack, data: dict[str, Any], facts: bool = True, order_note: str = ""
            ) -> list[str]:
    q = data["query"]
    prof = pack.profiles.get(q["profile"]) if q.get("profile") else None
    lines = [f"Routes from {actor_name(pack, q['from'])} ({q['from']}) to "
             f"{actor_name(pack, q['to'])} ({q['to']})",
             f"Pack {q['pack']}, as of {q['as_of']}, "
             + (f"profile {q['profile']} ({prof.name})" if prof else
                f"profile {q['profile'] or '(none)'}") + f", at most {q['max_hops']} hops"]
    if q["facts"] and facts:
        lines += wrap_items([f"{fact_words(k)}: {value_words(v)}" for k, v in q["facts"].items()],
                            "  Case: ", "    ")
    s = data["summary"]
    ev = data.get("open_by_evidence") or {}
    opened = f"{s.get('open', 0)} open"
    if s.get("open") and ev:
        opened += " (" + ", ".join(
            f"{ev.get(k, 0)} {'current evidence' if k == 'current' else k}"
            for k in STATES) + ")"
    rest = "".join(f", {n} {k.replace('-', ' ')}" for k, n in s.items() if k != "open" and n)
    lines += wrap(f"{sum(s.values())} routes: {opened}{rest}. Shown: {len(data['routes'])}"
                   f"{order_note}", "  ")
    return lines


def _status_line(r: dict[str, Any], as_of: str) -> str:
    ev = r.get("evidence") or {}
    if ev.get("state") == "unverified":
        head = f"{r['status'].upper()}, but its evidence is unverified: " \
            f"{(ev.get('note') or 'no source covers this date').rstrip('. ')}"
    else:
        head = status_words(r, as_of)
    sep = "; " if ev.get("state") == "unverified" else ", "  # the note may hold commas
    if r["leak_kind"] == "untouched":
        head += sep + "no rule restricts it"
    elif r["leak_kind"] == "conditions-met":
        head += sep + "the conditions of the rules that restrict it are met"
    if r["practice_leak"]:
        head += "; PRACTICE LEAK: closed by rule, but sources report it happening anyway"
    return head


def _mechanisms(r: dict[str, Any]) -> str:
    manual = [h for h in r["hops"] if h["mechanism"] not in ("automatic", "routine",
                                                              "custody-transfer")]
    if not manual:
        return "all automatic or routine"
    by: dict[str, list[str]] = {}
    for h in manual:
        by.setdefault(MECHANISM_WORDS.get(h["mechanism"], h["mechanism"]), []).append(h["flow"])
    return "needs " + "; ".join(f"{', '.join(flows)} ({how})" for how, flows in by.items())


def _grade_line(r: dict[str, Any]) -> str | None:
    if r["grade"] == "lead":
        return (f"EVIDENCE: hop {r['weakest_evidence']} rests only on a lead; check it before "
                "relying on this route")
    return None


def _conditions_met(r: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(
        x["words"] for h in r["hops"] for x in h["reasons"]
        if x.get("status") == "open" and x.get("kind") in ("condition", "rule") and "words" in x))


def _stop_words(r: dict[str, Any]) -> str | None:
    i = r.get("stopped_at")
    if i is None:
        if r["status"] == "conditional":
            why = [x["words"] for h in r["hops"] for x in h["reasons"]
                   if x.get("status") == "conditional" and "words" in x]
            return "undecided: " + "; ".join(dict.fromkeys(why)) if why else None
        return None
    h = r["hops"][i]
    why = [x["words"] for x in h["reasons"] if x.get("status") == h["status"] and "words" in x]
    return f"stops at hop {i + 1} ({h['flow']}): " + ("; ".join(why) or h["status"])


def _shared_conditions(routes: list[dict[str, Any]]) -> list[str]:
    """Conditions met on every shown open route (the trigger's, usually): said once."""
    sets = [set(_conditions_met(r)) for r in routes if r["status"] == "open"]
    if len(sets) < 2:
        return []
    common = set.intersection(*sets)
    return [c for c in _conditions_met(next(r for r in routes if r["status"] == "open"))
            if c in common]


def render_summary(pack: Pack, data: dict[str, Any]) -> str:
    """The default text view: one short block per route, most important first."""
    q = data["query"]
    note = ", most important first (see --order)" if q.get("order") == "impact" and \
        data["routes"] else ""
    lines = _header(pack, data, facts=False, order_note=note)
    if data.get("trigger_hint"):
        lines += [""] + wrap(data["trigger_hint"].get("message")
                                 or hint_words(pack, data["trigger_hint"]), "  ")
    shared = _shared_conditions(data["routes"])
    if shared:
        lines += wrap("Each " + "; ".join(shared) + ".", "  ")
    via = siblings_via(data["routes"])
    numbers = {r["id"]: i for i, r in enumerate(data["routes"], 1)}
    quoted: dict[tuple[str, str], int] = {}
    for n, r in enumerate(data["routes"], 1):
        lines.append("")
        lines += wrap(_status_line(r, q["as_of"]), "   ", f"{n}. ")
        lines += wrap(_path_words(pack, r["nodes"]), "     ", "   ")
        if r["id"] in via:
            lines += wrap("via " + ", ".join(
                f"{f} ({pack.flows[f].name})" if f in pack.flows and pack.flows[f].name else f
                for f in via[r["id"]]), "     ", "   ")
        rev = r.get("evidence") or {}
        facts = [r["id"], f"{r['hops_count']} hops", f"confidence {r['confidence']}"]
        if rev.get("state", "current") == "current":
            facts.insert(1, "evidence current")
        if r["grade"] != "lead":
            facts.append(GRADE_WORDS.get(r["grade"], r["grade"]))
        stop = _stop_words(r)
        if not stop and r["status"] == "open":
            met = [c for c in _conditions_met(r) if c not in shared]
            facts[-1] += "; " + ("also " + "; ".join(met) + "; " if met else "") + \
                _mechanisms(r)
        quote = headline(r) if r["status"] == "open" else None
        key = (quote["source"], quote["quote"]) if quote else None
        if key in quoted:
            facts[-1] += f"; quote as #{quoted[key]}"
        lines += wrap(" · ".join(facts), "     ", "   ")
        note = rev.get("note") or ""
        if rev.get("state", "current") != "current" and note and note not in \
                _status_line(r, q["as_of"]) and not note.startswith("evidence ends"):
            lines += wrap(f"evidence {rev['state']}: {note}", "     ", "   ")
        grade = _grade_line(r)
        if grade:
            lines += wrap(grade, "     ", "   ")
        if stop:
            lines += wrap(stop, "     ", "   ")
        for h in r["hops"]:
            if h.get("caveat"):
                lines += wrap(f"caveat: {h['caveat']}", "     ", "   ")
        if quote and key not in quoted:
            quoted[key] = n
            lines += wrap(f'"{_short(quote["quote"])}" {cite_words(quote)}', "     ", "   ")
    used = list(dict.fromkeys(c for r in data["routes"] for c in r.get("conflicts", [])))
    if used:
        parts = []
        for cid in used:
            on = [f"#{numbers[r['id']]}" for r in data["routes"] if cid in r.get("conflicts", [])]
            where = "every route shown" if len(on) == len(numbers) else "routes " + ", ".join(on)
            c = data.get("conflicts", {}).get(cid)
            parts.append(f"Sources disagree ({cid}) on {where}"
                         + (f": {_short(c['summary'])}" if c else ""))
        lines.append("")
        for part in parts:
            lines += wrap(part, "    ")
    lines += _unknowns_lines(data)
    lines.append("--detail: hop by hop. " + NOTICE)  # the footer's last line (80-line view)
    return "\n".join(lines) + "\n"


def hint_words(pack: Pack, hint: dict[str, Any], as_of: dt.date | None = None) -> str:
    """ "victim-witness never starts at Arrest by the NYPD: ...; try --from police-contact"."""
    who = hint.get("profile") or "This case"
    why = list(dict.fromkeys(
        x.get("words") or reason_words(pack, h["flow"], x, as_of)
        for h in hint["first_hops"] for x in h["reasons"]
        if x.get("status") in ("not-triggered", "inactive")))
    text = (f"{who} never starts at {actor_name(pack, hint['from'])} ({hint['from']}): "
            + ("; ".join(why) or "no flow out of it fires") + ".")
    if hint["try"]:
        text += " Try " + ", or ".join(
            f"--from {t['from']} ("
            + ", ".join(f"{n} {k.replace('-', ' ')}" for k, n in t["routes"].items() if n) + ")"
            for t in hint["try"][:3]) + "."
    else:
        text += " No other trigger of the pack fires for this case."
    return text


def decider_words(d: dict[str, Any], numbers: dict[str, int]) -> str:
    """One deciding fact: "has court date: decides 4 routes (if yes: 4 open; if no: 4
    closed): #5, #6 ..."."""
    n = d["decides"]
    text = f"{fact_words(d['fact'])}: decides {n} route{'s' if n != 1 else ''}"
    if d.get("if"):
        text += " (" + "; ".join(
            f"if {value_words(True if v == 'true' else False if v == 'false' else v)}: "
            + ", ".join(f"{c} {k}" for k, c in sorted(t.items()))
            for v, t in d["if"].items()) + ")"
    names = [f"#{numbers[r]}" if r in numbers else r for r in d["routes"]]
    more = n - len(names)
    return text + ": " + ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _unknowns_lines(data: dict[str, Any]) -> list[str]:
    found = data.get("what_would_change")
    if found is None:
        return []
    if not found:
        return ["", "What would change the answer: no unknown fact; the known facts settle "
                "every route."]
    numbers = {r["id"]: i for i, r in enumerate(data["routes"], 1)}
    out = ["", "What would change the answer (unknown facts, by how many routes they decide; "
           "#N is a route above):"]
    for d in found:
        out += wrap(decider_words(d, numbers), "    ", "  - ")
    return out


def _same_prefix(r: dict[str, Any], before: list[dict[str, Any]]) -> tuple[int, int]:
    """The longest run of first hops this route shares with a route printed before it:
    (number of hops, that route's position, 1-based)."""
    best, where = 0, 0
    for n, o in enumerate(before, 1):
        k = 0
        for a, b in zip(r["flows"], o["flows"], strict=False):
            if a != b:
                break
            k += 1
        k = min(k, len(r["flows"]) - 1)  # always print the last hop
        if k > best:
            best, where = k, n
    return best, where


def render_table(pack: Pack, data: dict[str, Any], verbose: bool = False) -> str:
    """The detail view: hop by hop, hops shared with a route printed before folded into one
    line; "does not restrict" and "not in force" reasons only when verbose."""
    q = data["query"]
    lines = _header(pack, data)
    shown = data.get("leaks_shown") or {}
    if shown.get("possible"):
        lines += wrap(f"Leaks shown: {shown['current']} with current evidence, "
                       f"{shown['possible']} possible (open by the rules, evidence stale or "
                       "unverified for this date)", "  ")
    if data.get("trigger_hint"):
        lines += [""] + wrap(data["trigger_hint"].get("message")
                                 or hint_words(pack, data["trigger_hint"]), "  ")
    via = siblings_via(data["routes"])
    for n, r in enumerate(data["routes"], 1):
        lines.append("")
        lines += wrap(f"Route {r['id']}  {_status_line(r, q['as_of'])}  ({r['hops_count']} "
                       f"hops, confidence {r['confidence']}, "
                       f"{GRADE_WORDS.get(r['grade'], r['grade'])})", "    ", f"{n}. ")
        grade = _grade_line(r)
        if grade:
            lines += wrap(grade, "    ", "  ")
        lines += wrap(" → ".join(r["nodes"]), "    ", "  ")
        if r["id"] in via:
            lines.append("  via " + ", ".join(via[r["id"]]))
        rev = r.get("evidence") or {}
        if rev.get("state", "current") != "current" and rev.get("note"):
            lines += wrap(f"Evidence {rev['state']}: {rev['note']}"
                           + (f" ({rev['about']})" if rev.get("about") else ""), "    ", "  ")
        stop = _stop_words(r)
        if stop:
            lines += wrap(stop[0].upper() + stop[1:], "    ", "  ")
        for line in _conflict_lines(data, r, ""):
            lines += wrap(line, "    ", "  ")
        lines.append(f"  Reaches {r['nodes'][-1]} with: {', '.join(r['data'])}")
        if r["missing_facts"] and r["status"] in ("open", "conditional"):
            lines.append("  Depends on unknown facts: "
                         + ", ".join(fact_words(m) for m in r["missing_facts"]))
        folded, where = _same_prefix(r, data["routes"][: n - 1])
        if folded:
            lines += wrap(f"1–{folded}. as in route {where}: "
                           + " → ".join(r["nodes"][: folded + 1]), "       ", "  ")
        for i, h in enumerate(r["hops"][folded:], folded + 1):
            lines += wrap(f"{i}. {h['from']} → {h['to']}  [{h['status']}]  {h['flow']}"
                           + (f": {h['name']}" if h["name"] else ""), "       ", "  ")
            ind = "       "
            lines += wrap(f"carries {', '.join(h['data'])}; "
                           f"{MECHANISM_WORDS.get(h['mechanism'], h['mechanism'])}; confidence "
                           f"{h['confidence']}; source grade {h['grade']}", ind, ind)
            if h.get("documents"):
                lines += wrap("the sources document that this channel is "
                               f"{' or '.join(h['documents'])}, not that it operates", ind, ind)
            hev = h.get("evidence") or {}
            if hev.get("state", "current") != "current":
                lines += wrap(f"evidence {hev['state']}: ends {hev['last_evidenced'] or '?'}"
                               + (f"; {hev['note']}" if hev.get("note") else ""), ind, ind)
            if h.get("caveat"):
                lines += wrap(f"caveat: {h['caveat']}", ind, ind)
            for cid in h.get("conflicts", []):
                text = conflict_words(data, cid)
                lines += wrap(text[0].lower() + text[1:], ind + "  ", ind)
            for reason in h["reasons"]:
                if is_quiet(reason) and not verbose:
                    continue
                lines += wrap(reason.get("words") or reason["text"], ind + "  ", ind + "- ")
            for src in h["sources"][:2]:
                lines += wrap(f"source: {source_text(src)}", ind + "  ", ind)
            for src in h.get("practice", {}).get("sources", [])[:2]:
                lines += wrap(f"practice source: {source_text(src)}", ind + "  ", ind)
    lines += _unknowns_lines(data)
    lines += ["", NOTICE]
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
    """One line of Markdown text: pipes and HTML brackets escaped (pack text is data)."""
    text = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;")
    text = text.replace(">", "&gt;").replace("|", "\\|")
    for ch in "*_`[]":
        text = text.replace(ch, "\\" + ch)
    return text


def _code(text: str) -> str:
    """An id as a Markdown code span (no backtick or line break can end it early)."""
    return "`" + " ".join(str(text).replace("`", "'").split()).replace("|", "\\|") + "`"


def _md_url(url: str) -> str:
    safe = "".join(ch for ch in str(url) if ch > " " and ch not in "<>\"'`|")
    return f"<{safe}>"


_CITATION_ONLY = ("original", "quote", "locator", "grade", "shows", "says")


class Bibliography:
    """Numbered sources in order of first citation; research notes and the original documents
    they quote each get a number."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def number(self, ref: dict[str, Any], ident: str) -> int:
        if ident not in self.entries:
            self.entries[ident] = ref
        return list(self.entries).index(ident) + 1

    def cite(self, src: dict[str, Any]) -> str:
        """A citation as Markdown: [n] locator, quote, URL; the original's number too."""
        n = self.number({k: v for k, v in src.items() if k not in _CITATION_ONLY}, src["source"])
        text = f"[{n}] {_md(src['locator'])}: “{_md(src['quote'])}”"
        orig = src.get("original")
        if orig:
            text += f" (original: {_md(orig.get('title') or orig['id'])} " \
                f"[{self.number(orig, orig['id'])}])"
        url = src.get("url") or (orig or {}).get("url")
        if url:
            text += " " + _md_url(url)
        if src.get("grade"):
            text += f" grade: {src['grade']}"
        return text

    def lines(self) -> list[str]:
        return [source_entry_md(i, ident, s)
                for i, (ident, s) in enumerate(self.entries.items(), 1)]


def source_entry_md(n: int, ident: str, s: dict[str, Any]) -> str:
    """One numbered bibliography entry: title, publisher and date, URL, id and file."""
    parts = [f"{n}. {_md(s.get('title') or ident)}."]
    who = ", ".join(_md(s[k]) for k in ("publisher", "date") if s.get(k))
    if who:
        parts.append(who + ".")
    if s.get("url"):
        parts.append(_md_url(s["url"]))
    parts.append(_code(ident) + (f", file {_code(s['file'])}" if s.get("file") else ""))
    return " ".join(parts)


def render_md(data: dict[str, Any], pack: Pack | None = None) -> str:
    """Markdown, for pasting into a story draft or a brief: every citation numbered, with
    its URL, and a numbered bibliography at the end."""
    q = data["query"]
    bib = Bibliography()

    def name(actor: str) -> str:
        return f"{_md(actor_name(pack, actor))} (`{actor}`)" if pack else f"`{actor}`"

    out = [f"# Routes from `{q['from']}` to `{q['to']}`", "",
           f"Pack `{q['pack']}`, as of {q['as_of']}, profile `{q['profile'] or '(none)'}`, "
           f"at most {q['max_hops']} hops.", "",
           "| status | routes |", "|---|---|"]
    out += [f"| {k} | {n} |" for k, n in data["summary"].items()]
    ev = _evidence_summary(data)
    if ev:
        out += ["", ev]
    hint = data.get("trigger_hint")
    if hint and hint.get("message"):
        out += ["", f"**{_md(hint['message'])}**"]
    for n, r in enumerate(data["routes"], 1):
        out += ["", f"## {n}. Route {r['id']}: {_md(_status_line(r, q['as_of']))}", "",
                " → ".join(name(x) for x in r["nodes"]), ""]
        out += [f"Confidence {r['confidence']}; {GRADE_WORDS.get(r['grade'], r['grade'])} "
                f"(weakest hop `{_md(r['weakest_evidence'])}`)"
                + (", which rests only on a lead (an unverified research note)."
                   if r["grade"] == "lead" else "."), ""]
        rev = r.get("evidence") or {}
        if rev.get("state", "current") != "current" and rev.get("note"):
            out += [f"Evidence {rev['state']}: {_md(rev['note'])}", ""]
        for line in _conflict_lines(data, r, ""):
            out += [f"- {_md(line)}"]
        if r.get("conflicts"):
            out += [""]
        out += ["| # | hop | status | why | sources |", "|---|---|---|---|---|"]
        for i, h in enumerate(r["hops"], 1):
            why = "<br>".join(_md(x.get("words") or x["text"]) for x in h["reasons"]
                              if not is_quiet(x)) or "-"
            hev = h.get("evidence") or {}
            if hev.get("state", "current") != "current":
                why += f"<br>evidence {hev['state']}, " + (
                    f"ends {_md(hev['last_evidenced'])}" if hev.get("last_evidenced")
                    else "no dated source")
            if h.get("caveat"):
                why += f"<br>caveat: {_md(h['caveat'])}"
            for cid in h.get("conflicts", []):
                text = conflict_words(data, cid)
                why += f"<br>{_md(text[0].lower() + text[1:])}"
            cites = "<br>".join(bib.cite(s) for s in h["sources"]) or "-"
            out.append(f"| {i} | `{h['from']}` → `{h['to']}` ({_md(h['flow'])}) | {h['status']} "
                       f"| {why} | {cites} |")
    found = data.get("what_would_change")
    if found:
        numbers = {r["id"]: i for i, r in enumerate(data["routes"], 1)}
        out += ["", "## What would change the answer", ""]
        out += [f"- {_md(decider_words(d, numbers))}" for d in found]
    if bib.entries:
        out += ["", "## Sources", ""] + bib.lines()
    out += ["", f"*{NOTICE}*"]
    return "\n".join(out) + "\n"
