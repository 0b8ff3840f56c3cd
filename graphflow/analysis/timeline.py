"""The one timeline: each route's status and evidence state over time, and what changed them.

Change dates come only from the data: a rule (or amendment) entering or leaving force, an
effect's own dates, a flow's validity, an evidence boundary (a span plus the horizon running
out, ``unverified_after``), and the edges of a date fact's window (``within``, ``before``,
``after``) for the case's facts. Each route starts with its status *before* the first change
date; after that only the dates on which its status or evidence state changes are listed, each
with the causes that concern one of its flows. ``graphflow timeline`` and the HTML export's
timeline both call :func:`timeline`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from graphflow.audit import RouteQuery, run_query
from graphflow.core.conditions import as_date, shift_back, tests_in
from graphflow.core.evidence import add_months, effect_span, flow_span
from graphflow.core.model import Pack, Rule

ONE = dt.timedelta(days=1)
Cause = dict[str, Any]


def _rule_words(rule: Rule) -> str:
    if rule.supersedes:
        return f"{rule.name} (superseding {', '.join(rule.supersedes)})"
    if rule.amends:
        return f"{rule.name} (amending {', '.join(rule.amends)})"
    return rule.name


def _conditions(pack: Pack, flow_id: str) -> list[Any]:
    out = [pack.flows[flow_id].when]
    out += [e.when for e in pack.effects_on(flow_id)]
    named = list(pack.conditions.values())
    return [c for c in out if c is not None] + [n.when for n in named]


def change_causes(pack: Pack, flows: set[str], facts: dict[str, Any],
                  horizon: int | None = None) -> dict[dt.date, list[Cause]]:
    """Every date on which something that can change these flows' statuses or evidence
    happens, with what happens (each cause names the flows it concerns)."""
    months = pack.evidence_horizon_months if horizon is None else horizon
    out: dict[dt.date, list[Cause]] = {}

    def add(day: dt.date | None, cause: Cause) -> None:
        if day is not None:
            out.setdefault(day, []).append(cause)

    rules_seen: dict[str, set[str]] = {}
    for fid in sorted(flows):
        f = pack.flows[fid]
        add(f.valid_from, {"kind": "flow", "id": fid, "flows": [fid],
                           "text": f"flow {fid} begins ({f.valid_from})"})
        if f.valid_to:
            add(f.valid_to + ONE, {"kind": "flow", "id": fid, "flows": [fid],
                                   "text": f"flow {fid} ended on {f.valid_to}"})
        span = flow_span(pack, fid)
        if span.last:
            add(add_months(span.last, months) + ONE, {
                "kind": "evidence", "id": fid, "flows": [fid],
                "text": f"evidence for flow {fid} ends {span.last_text} (+{months} months)"})
        if span.first:
            add(add_months(span.first, -months), {
                "kind": "evidence", "id": fid, "flows": [fid],
                "text": f"evidence for flow {fid} begins {span.first_text} (-{months} months)"})
        if span.unverified_after:
            add(span.unverified_after + ONE, {
                "kind": "evidence", "id": fid, "flows": [fid],
                "text": f"flow {fid} unverified after {span.unverified_text}"})
        for eff in pack.effects_on(fid):
            rules_seen.setdefault(eff.rule, set()).add(fid)
            if eff.valid_from:
                add(eff.valid_from, {"kind": "effect", "id": eff.rule, "flows": [fid],
                                     "text": f"{pack.rules[eff.rule].name}: its effect on "
                                             f"{fid} begins"})
            if eff.valid_to:
                add(eff.valid_to + ONE, {"kind": "effect", "id": eff.rule, "flows": [fid],
                                         "text": f"{pack.rules[eff.rule].name}: its effect on "
                                                 f"{fid} ended on {eff.valid_to}"})
            if eff.effect != "does-not-touch":
                es = effect_span(pack, eff.rule, fid)
                if es.last:
                    add(add_months(es.last, months) + ONE, {
                        "kind": "evidence", "id": eff.rule, "flows": [fid],
                        "text": f"evidence for {eff.rule} on {fid} ends {es.last_text} "
                                f"(+{months} months)"})
        for cond in _conditions(pack, fid):
            for name, op, operand in tests_in(cond):
                value = facts.get(name)
                if op not in ("within", "before", "after"):
                    continue
                if op == "within" and value not in (None, "none"):
                    day = as_date(value)
                    add(day, {"kind": "fact", "id": name, "flows": [fid],
                              "text": f"{name} = {value}: the window opens"})
                    end = _last_in_window(day, operand)
                    add(end + ONE, {"kind": "fact", "id": name, "flows": [fid],
                                    "text": f"{name} = {value} is now more than "
                                            f"{_span(operand)} in the past"})
    # rules with their amendments: which rules touch which flows, through amendments too
    for rid, fids in rules_seen.items():
        rule = pack.rules[rid]
        linked = [rule, *(pack.rules[o] for o, _ in pack.overridden_by(rid) if o in pack.rules)]
        for r in linked:
            words = _rule_words(r)
            add(r.starts, {"kind": "amendment" if r.amends or r.supersedes else "rule",
                           "id": r.id, "flows": sorted(fids), "label": r.starts_text or None,
                           "text": f"{words} in force from {r.starts_text or r.starts}"})
            if r.ended:
                add(r.ended + ONE, {"kind": "rule", "id": r.id, "flows": sorted(fids),
                                    "text": f"{words} ended on {r.ended}"})
    return out


def _label(day: dt.date, causes: list[Cause]) -> str:
    """A change date as the pack wrote it when a rule gave only a year or a month ("1996"):
    no invented day."""
    texts = {c["label"] for c in causes if c.get("label") and len(c["label"]) < 10}
    if len(texts) == 1 and len(causes) == sum(1 for c in causes if c.get("label") in texts):
        return texts.pop()
    return day.isoformat()


def _span(span: dict[str, int]) -> str:
    from graphflow.core.conditions import span_text

    return span_text(span)


def _last_in_window(day: dt.date, span: dict[str, int]) -> dt.date:
    """The last query date D for which ``day`` is within ``span`` before D."""
    end = add_months(day, span.get("years", 0) * 12 + span.get("months", 0))
    end += dt.timedelta(days=span.get("days", 0))
    while shift_back(end + ONE, span) <= day:
        end += ONE
    while shift_back(end, span) > day:
        end -= ONE
    return end


def timeline(pack: Pack, engine: Any, query: RouteQuery, since: dt.date | None = None,
             route_ids: set[str] | None = None) -> dict[str, Any]:
    """Each route's story: its status (and evidence state) before the first change date, then
    each date on which it changes, with the causes. Every route of the query (statuses and
    limit ignored) unless ``route_ids`` narrows them."""
    every = replace(query, statuses=(), limit=None)
    base = [r for r in run_query(pack, engine, every).routes
            if route_ids is None or r.id in route_ids]
    flows = {f for r in base for f in r.flows}
    causes = change_causes(pack, flows, dict(query.facts), query.evidence_horizon)
    days = sorted(d for d in causes if since is None or d >= since)
    first = days[0] if days else query.as_of
    probe = [first - ONE, *days]
    states: dict[str, list[tuple[str, str]]] = {r.id: [] for r in base}
    for day in probe:
        for r in run_query(pack, engine, replace(every, as_of=day)).routes:
            if r.id in states:
                states[r.id].append((r.status.value, r.evidence.state))
    labels = {d: _label(d, causes[d]) for d in days}
    routes = []
    for r in base:
        seq = states[r.id]
        before = seq[0]
        mine = [d for d in days if any(set(c["flows"]) & set(r.flows) for c in causes[d])]
        until = mine[0] if mine else first
        changes = []
        prev = before
        for day, now in zip(days, seq[1:], strict=True):
            if now != prev:
                why = list(dict.fromkeys(c["text"] for c in causes[day]
                                         if set(c["flows"]) & set(r.flows)))
                changes.append({"date": labels[day], "status": now[0], "evidence": now[1],
                                "causes": why})
                prev = now
        routes.append({
            "route": r.id, "nodes": list(r.nodes),
            "before": {"until": labels.get(until, until.isoformat()), "status": before[0],
                       "evidence": before[1]},
            "changes": changes,
            "statuses": {day.isoformat(): st[0] for day, st in zip(probe, seq, strict=True)},
        })
    return {"first_change": first.isoformat() if days else None,
            "dates": [labels[d] for d in days], "routes": routes}


def status_on(row: dict[str, Any], date: str) -> str:
    """A timeline row's status on a date (ISO text, or a change date's label)."""
    status = row["before"]["status"]
    for c in row["changes"]:
        if c["date"] <= date:
            status = c["status"]
    return status
