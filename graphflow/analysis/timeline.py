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
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from graphflow.audit import RouteQuery
from graphflow.core.conditions import as_date, shift_back, tests_in
from graphflow.core.evidence import add_months, effect_span, flow_span
from graphflow.core.model import Pack, Rule
from graphflow.core.status import Status, fold_level

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
                "text": f"the latest evidence for flow {fid} ({span.last_text}) is now more "
                        f"than {months} months old"})
        if span.first:
            add(add_months(span.first, -months), {
                "kind": "evidence", "id": fid, "flows": [fid],
                "text": f"the earliest evidence for flow {fid} ({span.first_text}) is now "
                        f"within {months} months"})
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
                        "text": f"the latest evidence for {eff.rule} on {fid} ({es.last_text}) "
                                f"is now more than {months} months old"})
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


SORT_LIMIT = 20_000  # up to this many routes, rows come sorted as `routes` sorts them


class _Timelines:
    """Interned state sequences: one id per distinct tuple of (severity, evidence rank) over
    the probe dates, and the route fold of two sequences, memoised by id pair."""

    def __init__(self, length: int):
        self.seqs: list[tuple[tuple[int, int], ...]] = []
        self.ids: dict[tuple[tuple[int, int], ...], int] = {}
        self.memo: dict[tuple[int, int], int] = {}
        self.seed = self.intern(((0, 0),) * length)

    def intern(self, seq: tuple[tuple[int, int], ...]) -> int:
        got = self.ids.get(seq)
        if got is None:
            got = self.ids[seq] = len(self.seqs)
            self.seqs.append(seq)
        return got

    def fold(self, a: int, b: int) -> int:
        key = (a, b)
        got = self.memo.get(key)
        if got is None:
            seq = tuple((fold_level(sa, sb), ra if ra > rb else rb)
                        for (sa, ra), (sb, rb) in zip(self.seqs[a], self.seqs[b], strict=True))
            got = self.memo[key] = self.intern(seq)
        return got


def _flow_states(pack: Pack, query: RouteQuery, flows: set[str], probe: list[dt.date],
                 changing: list[set[str]]) -> dict[str, list[tuple[int, int]]]:
    """Each flow's (severity, evidence rank) on every probe date. The first date evaluates
    every flow; each later date re-evaluates only the flows a cause on it concerns."""
    from graphflow.core.status import StatusEvaluator

    facts = dict(query.facts)
    ev = StatusEvaluator(pack, facts, probe[0], query.evidence_horizon)
    now = {f: (ev.hop(f).status.severity, ev.evidence(f).rank) for f in flows}
    out = {f: [state] for f, state in now.items()}
    for day, todo in zip(probe[1:], changing, strict=True):
        if todo:
            ev = StatusEvaluator(pack, facts, day, query.evidence_horizon)
            for f in todo:
                now[f] = (ev.hop(f).status.severity, ev.evidence(f).rank)
        for f, seq in out.items():
            seq.append(now[f])
    return out


def _walk_all(pack: Pack, engine: Any, query: RouteQuery, fold: Any, seed: Any
              ) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(flow ids, fold over all but the last flow) for every route, statuses ignored: the
    engine folds along its search stack when it can, else the fold is done per route."""
    from graphflow.audit import _walk
    from graphflow.engines.base import RouteWalker

    targets = frozenset(pack.descendants(query.target))

    def level(_flow: str) -> int:
        return 0

    if isinstance(engine, RouteWalker):
        for flows, _sev, acc in engine.walk(query.source, targets, query.max_hops, level,
                                            None, None, fold, seed):
            yield tuple(flows), acc
        return
    for walked in _walk(engine, query, targets, level):
        flows = walked[0]
        acc = seed
        for f in flows[:-1]:
            acc = fold(acc, f)
        yield tuple(flows), acc


def timeline_stream(pack: Pack, engine: Any, query: RouteQuery, since: dt.date | None = None,
                    route_ids: set[str] | None = None
                    ) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The timeline's head (first change, dates, order) and its routes, streamed: one walk
    over the routes; each flow's states computed once per probe date (only the flows whose
    status can change on a date are re-evaluated), each route's states folded from its
    flows' (memoised), nothing kept per route. Up to ``SORT_LIMIT`` routes are sorted as
    ``graphflow routes`` sorts them (status on the query date, length, id); beyond that
    they come in the engine's order (``order`` says which)."""
    from graphflow.audit import walk_statuses
    from graphflow.core.evidence import STATES
    from graphflow.core.routes import route_id

    every = replace(query, statuses=(), limit=None)
    flows: set[str] = set()
    count = 0
    for path, _ in walk_statuses(pack, engine, every):
        flows.update(path)
        count += 1
    causes = change_causes(pack, flows, dict(query.facts), query.evidence_horizon)
    days = sorted(d for d in causes if since is None or d >= since)
    first = days[0] if days else query.as_of
    probe = [first - ONE, *days]
    changing = [{f for c in causes[d] for f in c["flows"] if f in flows} for d in days]
    states = _flow_states(pack, query, flows, probe, changing)
    tl = _Timelines(len(probe))
    flow_tl = {f: tl.intern(tuple(seq)) for f, seq in states.items()}
    big = len(days)
    first_idx: dict[str, int] = {}
    for i, d in enumerate(days):
        for c in causes[d]:
            for f in c["flows"]:
                if first_idx.get(f, big) > i:
                    first_idx[f] = i
    day_causes: list[dict[str, list[tuple[int, str]]]] = []  # per day: flow -> causes
    for d in days:
        index: dict[str, list[tuple[int, str]]] = {}
        for n, c in enumerate(causes[d]):
            for f in c["flows"]:
                index.setdefault(f, []).append((n, c["text"]))
        day_causes.append(index)
    labels = [_label(d, causes[d]) for d in days]
    probe_iso = [d.isoformat() for d in probe]
    at = sum(1 for d in probe if d <= query.as_of) - 1 if query.as_of >= probe[0] else 0
    names = {s.severity: s.value for s in Status}
    per_tl: dict[int, tuple] = {}

    def shape(tid: int) -> tuple:
        got = per_tl.get(tid)
        if got is None:
            seq = tl.seqs[tid]
            moves = [i for i in range(1, len(seq)) if seq[i] != seq[i - 1]]
            statuses = {probe_iso[i]: names[st[0]] for i, st in enumerate(seq)}
            got = per_tl[tid] = (seq, moves, statuses)
        return got

    def fold(acc: tuple[int, int], f: str) -> tuple[int, int]:
        i = first_idx.get(f, big)
        return tl.fold(acc[0], flow_tl[f]), (i if i < acc[1] else acc[1])

    seed = (tl.seed, big)

    def row(path: tuple[str, ...], acc: tuple[int, int]) -> dict[str, Any] | None:
        last = path[-1]
        tid, until_i = fold(acc, last)
        rid = route_id(path)
        if route_ids is not None and rid not in route_ids:
            return None
        seq, moves, statuses = shape(tid)
        changes = []
        for m in moves:
            now = seq[m]
            index = day_causes[m - 1]
            hits = sorted({x for f in path for x in index.get(f, ())})
            why = list(dict.fromkeys(t for _, t in hits))
            changes.append({"date": labels[m - 1], "status": names[now[0]],
                            "evidence": STATES[now[1]], "causes": why})
        until = labels[until_i] if until_i < big else first.isoformat()
        nodes = (pack.flows[path[0]].source, *(pack.flows[f].target for f in path))
        return {
            "route": rid, "nodes": list(nodes),
            "before": {"until": until, "status": names[seq[0][0]],
                       "evidence": STATES[seq[0][1]]},
            "changes": changes, "statuses": statuses,
            "_key": (seq[at][0], len(path), rid),
        }

    def rows() -> Iterator[dict[str, Any]]:
        made = (row(p, a) for p, a in _walk_all(pack, engine, every, fold, seed))
        made = (r for r in made if r is not None)
        if count <= SORT_LIMIT:
            made = iter(sorted(made, key=lambda r: r["_key"]))
        for r in made:
            del r["_key"]
            yield r

    head = {"first_change": first.isoformat() if days else None, "dates": labels,
            "routes_count": count if route_ids is None else None,
            "order": "status" if count <= SORT_LIMIT else "engine"}
    return head, rows()


def timeline(pack: Pack, engine: Any, query: RouteQuery, since: dt.date | None = None,
             route_ids: set[str] | None = None) -> dict[str, Any]:
    """Each route's story: its status (and evidence state) before the first change date, then
    each date on which it changes, with the causes. Every route of the query (statuses and
    limit ignored) unless ``route_ids`` narrows them. (A list: see ``timeline_stream`` for
    large packs.)"""
    head, rows = timeline_stream(pack, engine, query, since, route_ids)
    return {**head, "routes": list(rows)}


def status_on(row: dict[str, Any], date: str) -> str:
    """A timeline row's status on a date (ISO text, or a change date's label)."""
    status = row["before"]["status"]
    for c in row["changes"]:
        if c["date"] <= date:
            status = c["status"]
    return status
