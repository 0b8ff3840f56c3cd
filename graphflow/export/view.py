"""Build the HTML renderer's view dict (see ``graphflow.export.html``) from a pack or a query.

Two views:

* :func:`pack_view`: the whole pack, every actor and every flow. Without a case (profile,
  ``--set`` facts or a date) edges carry no status; with one, each flow gets its hop status from
  :class:`graphflow.core.status.StatusEvaluator`.
* :func:`route_view`: only the actors and flows on the routes of one query (a
  :class:`graphflow.audit.RouteReport`), edges coloured by hop status, a routes panel with a
  route card per route (hops, deciding reasons, quotes, sources), and fixed positions from the
  deterministic layered layout (left to right by hop, lanes by level). :func:`timeline_data` adds a
  route x change-date status grid.

Every string stays plain text here; the renderer escapes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphflow.audit import RouteReport
from graphflow.core.conditions import describe
from graphflow.core.model import Actor, Citation, Flow, Pack
from graphflow.core.status import STATUS_NAMES, HopStatus, StatusEvaluator
from graphflow.packs.references import citation_grade

QUOTE_MAX = 1000  # characters of a quote shown in a tooltip (pack quotes are far shorter)


def _dates(start: dt.date | None, stop: dt.date | None) -> str:
    """ "since X", "until Y", "from X until Y" (never "… to now")."""
    from graphflow.report.words import span_words

    return span_words(start, stop)


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def citation_line(pack: Pack, cit: Citation, prefix: str = "source") -> str:
    """One citation as a text line: title, locator, quote, source id."""
    src = pack.sources.get(cit.source)
    line = (f"{prefix}: {_source_ref(pack, cit.source)} ({cit.locator}): "
            f"“{_short(cit.quote, QUOTE_MAX)}”")
    extra = [f"grade: {citation_grade(pack, cit)}"]
    if cit.date and (src is None or str(src.date) != cit.date):
        extra.append(f"passage dated {cit.date}")
    if cit.shows:
        extra.append(f"documents that the channel is {cit.shows}")
    if cit.original:
        extra.append(f"original: {_source_ref(pack, cit.original)}")
    return line + " [" + "; ".join(extra) + "]"


def _source_ref(pack: Pack, ident: str) -> str:
    """A source as title, publisher, date, URL and id."""
    src = pack.sources.get(ident)
    if src is None:
        return ident
    parts = [src.title] + [str(v) for v in (src.publisher, src.date) if v]
    return ", ".join(parts) + f" [{ident}]" + (f" <{src.url}>" if src.url else "")


def _citation_lines(pack: Pack, cites: Iterable[Citation], prefix: str = "source") -> list[str]:
    return [citation_line(pack, c, prefix) for c in cites]


def _jurisdiction(pack: Pack, jid: str | None) -> str:
    if not jid:
        return ""
    j = pack.jurisdictions.get(jid)
    return f"{j.name} ({jid})" if j else jid


def actor_tooltip(pack: Pack, actor: Actor) -> list[str]:
    """Text lines: name, kind, level, jurisdiction, hierarchy, validity, description, sources."""
    lines = [f"name: {actor.name}"]
    if actor.aliases:
        lines.append("also: " + ", ".join(actor.aliases))
    lines.append(f"kind: {actor.kind}; level: {actor.level}")
    if actor.jurisdiction:
        lines.append("jurisdiction: " + _jurisdiction(pack, actor.jurisdiction))
    if actor.part_of:
        parent = pack.actors.get(actor.part_of)
        lines.append(f"part of: {parent.name if parent else actor.part_of} [{actor.part_of}]")
    if actor.controlled_by:
        lines.append("controlled by: " + ", ".join(actor.controlled_by))
    if actor.valid_from or actor.valid_to:
        lines.append("exists: " + _dates(actor.valid_from, actor.valid_to))
    if actor.kind == "event":
        lines.append("trigger: routes start at events")
    if actor.description:
        lines.append(_short(actor.description, 800))
    lines += _citation_lines(pack, actor.citations)
    return lines


def _data_names(pack: Pack, flow: Flow) -> str:
    return ", ".join(pack.data_items[d].name if d in pack.data_items else d for d in flow.data)


def _reason_lines(pack: Pack, flow: Flow, hop: HopStatus) -> list[str]:
    lines = []
    for r in hop.reasons:
        mark = f"[{r.status.value}] " if r.status else ""
        lines.append(f"why: {mark}{r.text}")
        if r.rule:
            cites = [c for e in pack.effects_on(flow.id) if e.rule == r.rule
                     for c in e.citations]
            rule = pack.rules.get(r.rule)
            if not cites and rule is not None:
                cites = list(rule.citations)
            lines += _citation_lines(pack, cites, prefix="  rule source")
    return lines


def flow_tooltip(pack: Pack, flow: Flow, hop: HopStatus | None = None) -> list[str]:
    """Text lines: flow name, data items, mechanism, confidence, validity, reasons, sources."""
    lines = []
    if flow.name:
        lines.append(f"flow: {flow.name}")
    lines.append(f"data: {_data_names(pack, flow)}")
    lines.append(f"mechanism: {flow.mechanism}; basis: {flow.basis}")
    if flow.trigger:
        lines.append(f"trigger: {flow.trigger}")
    if flow.when is not None:
        lines.append(f"fires when: {describe(flow.when)}")
    lines.append(f"confidence: {flow.confidence.value}")
    lines.append("valid: " + _dates(flow.valid_from, flow.valid_to))
    if flow.latency:
        lines.append(f"latency: {flow.latency}")
    if hop is not None:
        lines.append(f"status: {hop.status.value}")
        ev = hop.evidence
        if not ev.current:
            lines.append(f"evidence {ev.state}: ends {ev.last_evidenced or '?'}"
                         + (f"; {ev.note}" if ev.note else ""))
        lines += _reason_lines(pack, flow, hop)
    else:  # no status asked for (the whole pack): the rules on it, as written
        for eff in pack.effects_on(flow.id):
            rule = pack.rules[eff.rule]
            cond = f" when {describe(eff.when)}" if eff.when else ""
            lines.append(f"rule: {rule.name} [{rule.id}] {eff.effect}{cond}; in force "
                         f"{_dates(rule.starts, rule.ended)}")
    if flow.caveat:
        lines.append(f"caveat: {flow.caveat}")
    for cid in pack.conflicts_on(flow.id):
        lines.append(f"sources disagree ({cid}): {_short(pack.conflicts[cid].summary, 300)}")
    if flow.description:
        lines.append(_short(flow.description, 800))
    lines += _citation_lines(pack, flow.citations)
    return lines


def short_name(actor: Actor, width: int = 40) -> str:
    """A node label: the name without parentheses; if still long, a short alias such as an
    acronym (the full name is in the tooltip)."""
    name = re.sub(r"\s+\([^)]*\)", "", actor.name).strip() or actor.name
    if len(name) <= width:
        return name
    for alias in actor.aliases:
        if 2 <= len(alias) <= 24 and any(c.isupper() for c in alias):
            return alias
    return name


def _node(pack: Pack, actor_id: str) -> dict[str, Any]:
    a = pack.actors[actor_id]
    return {"id": a.id, "label": short_name(a), "kind": a.kind, "level": a.level,
            "part_of": a.part_of, "tooltip": actor_tooltip(pack, a)}


def _edge(pack: Pack, flow: Flow, hop: HopStatus | None) -> dict[str, Any]:
    return {"id": flow.id, "from": flow.source, "to": flow.target, "label": ", ".join(flow.data),
            "status": hop.status.value if hop is not None else None,
            "tooltip": flow_tooltip(pack, flow, hop)}


def cite_card(pack: Pack, cit: Citation) -> dict[str, str]:
    """A citation for the route card: quote, locator and the source's title, publisher, date
    and URL (plain text; the renderer links only http(s) URLs)."""
    src = pack.sources.get(cit.source)
    return {"source": cit.source, "quote": _short(cit.quote, QUOTE_MAX), "locator": cit.locator,
            "title": src.title if src else cit.source,
            "publisher": (src.publisher or "") if src else "",
            "date": (src.date or "") if src else "", "url": (src.url or "") if src else ""}


def hop_card(pack: Pack, flow: Flow, hop: HopStatus) -> dict[str, Any]:
    """One hop of a route card: the flow, its status, the reasons that decide it (reasons
    without a status, such as rules that do not touch the flow or are not in force, are only
    counted) and its quotes with their sources."""
    deciding = [r for r in hop.reasons if r.status is not None]
    cites = [cite_card(pack, c) for c in flow.citations]
    for r in deciding:
        if r.rule:
            rc = [c for e in pack.effects_on(flow.id) if e.rule == r.rule for c in e.citations]
            rule = pack.rules.get(r.rule)
            if not rc and rule is not None:
                rc = list(rule.citations)
            cites += [cite_card(pack, c) for c in rc]
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for c in cites:
        key = (c["source"], c["locator"], c["quote"])
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return {"name": flow.name or flow.id, "data": _data_names(pack, flow),
            "mechanism": flow.mechanism, "confidence": flow.confidence.value,
            "reasons": [f"{r.status.value}: {r.text}" for r in deciding],
            "other_reasons": len(hop.reasons) - len(deciding), "cites": unique}


def layered_positions(pack: Pack, nodes: list[str], flows: list[Flow], source: str | None,
                      targets: Iterable[str]) -> dict[str, Any]:
    """Fixed positions (see :mod:`graphflow.export.layout`) for the view's ``layout`` key."""
    from graphflow.export.layout import layered_layout

    lay = layered_layout([(n, pack.actors[n].level) for n in nodes],
                         [(f.id, f.source, f.target) for f in flows],
                         sources=[source] if source else [], targets=targets)
    return lay.as_dict()


def _query_head(pack: Pack, query: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: query.get(k) for k in ("from", "to", "profile", "as_of", "max_hops")}
    if query.get("status"):
        out["status"] = ", ".join(query["status"]) + " routes only"
    facts = query.get("facts") or {}
    if facts:
        out["facts"] = ", ".join(f"{k}={_fact(v)}" for k, v in facts.items())
    return out


def _fact(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def pack_ranks(pack: Pack) -> dict[str, int]:
    """Columns for a left-to-right whole-pack layout: hops from the nearest trigger event along
    flows; actors without flows next to their parent or sub-units; the rest left unranked."""
    succ: dict[str, list[str]] = {}
    for f in pack.flows.values():
        succ.setdefault(f.source, []).append(f.target)
    ranks = {a.id: 0 for a in pack.actors.values() if a.kind == "event"}
    queue = deque(ranks)
    while queue:
        cur = queue.popleft()
        for nxt in succ.get(cur, ()):
            if nxt not in ranks:
                ranks[nxt] = ranks[cur] + 1
                queue.append(nxt)
    linked = set(succ) | {f.target for f in pack.flows.values()}
    for a in pack.actors.values():
        if a.id in ranks or a.id in linked:
            continue
        kin = [a.part_of] if a.part_of else []
        kin += [b.id for b in pack.actors.values() if b.part_of == a.id]
        near = [ranks[k] for k in kin if k in ranks]
        if near:
            ranks[a.id] = min(near)
    # actors with no flow and no ranked kin: into the emptiest columns, to keep the page wide
    # rather than tall (their column means nothing)
    loose = [a for a in pack.actors if a not in ranks and a not in linked]
    if ranks and loose:
        width = max(ranks.values()) + 1
        fill = [0] * width
        for r in ranks.values():
            fill[r] += 1
        for a in loose:
            col = min(range(width), key=lambda c: (fill[c], c))
            ranks[a] = col
            fill[col] += 1
    return ranks


def pack_view(
    pack: Pack, *, facts: Mapping[str, Any] | None = None, as_of: dt.date | None = None,
    profile: str | None = None, layout: str = "auto",
) -> dict[str, Any]:
    """Every actor and flow of a pack; hop statuses only when a case or date is given."""
    evaluator = None
    if facts or profile or as_of is not None:
        evaluator = StatusEvaluator(pack, facts or {}, as_of or dt.date.today())
    nodes = [_node(pack, a) for a in pack.actors]
    edges = [_edge(pack, f, evaluator.hop(f.id) if evaluator else None)
             for f in pack.flows.values()]
    summary: dict[str, int] = {}
    subtitle = f"Whole pack: {len(nodes)} actors, {len(edges)} flows."
    query = None
    if evaluator is not None:
        summary = {s: 0 for s in STATUS_NAMES}
        for e in edges:
            summary[e["status"]] += 1
        subtitle += " Arrows coloured by each flow's own status for this case (not by route)."
        query = {"profile": profile, "as_of": evaluator.as_of.isoformat()}
        if facts:
            query["facts"] = ", ".join(f"{k}={_fact(v)}" for k, v in facts.items())
    else:
        subtitle += " No case or date given: arrows carry no status."
    view = {
        "title": f"graphflow: {pack.name} ({pack.id})",
        "subtitle": subtitle,
        "query": query,
        "summary": summary,
        "summary_of": "flows",
        "nodes": nodes, "edges": edges, "routes": [],
        "layout": ("layered" if layout in ("layered", "hierarchical") else
                   "physics" if layout == "physics" else "clustered"),
        "ranks": pack_ranks(pack),
    }
    if view["layout"] == "clustered":
        view.update(clustered_positions(pack))
    return view


def top_parts(pack: Pack) -> dict[str, str]:
    """Each sub-unit's top-level ancestor (``part_of`` chains; cycles cut)."""
    out: dict[str, str] = {}
    for a in pack.actors:
        cur, seen = a, {a}
        while True:
            parent = pack.actors[cur].part_of
            if not parent or parent not in pack.actors or parent in seen:
                break
            cur = parent
            seen.add(cur)
        if cur != a:
            out[a] = cur
    return out


def jurisdiction_bands(pack: Pack) -> list[tuple[str, str]]:
    """(id, label) of the jurisdictions that hold actors, by level (city, county, state,
    federal) then pack order; actors without a jurisdiction in a last "other" band."""
    order = {lv: i for i, lv in enumerate(("city", "county", "state", "federal"))}
    used = dict.fromkeys(a.jurisdiction or "" for a in pack.actors.values())
    known = [j for j in pack.jurisdictions.values() if j.id in used]
    known.sort(key=lambda j: order.get(j.level, len(order)))
    bands = [(j.id, f"{j.name} ({j.id})") for j in known]
    if any(j not in pack.jurisdictions for j in used):
        bands.append(("", "no jurisdiction"))
    return bands


CLUSTER_COLUMN = 220.0  # whole-pack bands: closer than route views (no edge labels drawn)
CLUSTER_ROW = 110.0


def clustered_positions(pack: Pack) -> dict[str, Any]:
    """Fixed positions for a whole-pack view, one band per jurisdiction
    (:func:`graphflow.export.layout.grouped_layout`), twice: ``folded`` for the top-level
    actors alone (sub-units folded into them, the default view) and ``positions`` for every
    actor (once a sub-unit is shown). Same pack, same picture."""
    from graphflow.export.layout import grouped_layout

    tops = top_parts(pack)
    bands = jurisdiction_bands(pack)
    groups = [b for b, _ in bands]
    labels = dict(bands)

    def group(a: Actor) -> str:
        return a.jurisdiction if a.jurisdiction in pack.jurisdictions else ""

    sources = [a.id for a in pack.actors.values() if a.kind == "event"]
    targets = [pack.default_target] if pack.default_target in pack.actors else []
    full = grouped_layout([(a.id, group(a)) for a in pack.actors.values()],
                          [(f.id, f.source, f.target) for f in pack.flows.values()],
                          groups=groups, sources=sources, targets=targets,
                          column=CLUSTER_COLUMN, row=CLUSTER_ROW)
    top_ids = [a for a in pack.actors if a not in tops]
    folded = grouped_layout([(a, group(pack.actors[a])) for a in top_ids],
                            [(f.id, tops.get(f.source, f.source), tops.get(f.target, f.target))
                             for f in pack.flows.values()],
                            groups=groups, sources=[s for s in sources if s not in tops],
                            targets=[tops.get(t, t) for t in targets],
                            column=CLUSTER_COLUMN, row=CLUSTER_ROW)
    out = {"positions": full.as_dict(), "folded": folded.as_dict()}
    for lay in out.values():
        for ln in lay["lanes"]:
            ln["label"] = labels.get(str(ln["level"]), str(ln["level"]))
    return out


def route_label(route: Any, twins: Iterable[Any] = ()) -> str:
    """A route as text: its actor ids and hop count; for routes through the same actors
    (``twins``), also the flows that tell them apart."""
    text = f"{' → '.join(route.nodes)} ({len(route.flows)} hops)"
    others = [t for t in twins if t.id != route.id]
    if others:
        own = [f for i, f in enumerate(route.flows) if any(t.flows[i] != f for t in others)]
        text += " via " + ", ".join(own)
    return text


def route_labels(routes: Iterable[Any]) -> dict[str, str]:
    """Labels for a list of routes, unique where their actors are the same."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for r in routes:
        groups.setdefault(tuple(r.nodes), []).append(r)
    return {r.id: route_label(r, g) for g in groups.values() for r in g}


def route_ranks(report: RouteReport) -> dict[str, int]:
    """Hop index from the trigger (the smallest over all routes); targets in the last column."""
    ranks: dict[str, int] = {}
    for route in report.routes:
        for i, node in enumerate(route.nodes):
            if node not in ranks or i < ranks[node]:
                ranks[node] = i
    if ranks:
        last = max(ranks.values())
        for node in ranks:
            if node in report.targets:
                ranks[node] = last
    return ranks


def _route_notes(pack: Pack, route: Any, as_of: dt.date) -> str:
    """The evidence caveat and source conflicts of a route, in words, for its label."""
    from graphflow.core.evidence import words

    out = ""
    ev = route.evidence
    if not ev.current:
        out += " — " + words(route.status.value, ev.as_dict(), as_of.isoformat())
    for cid in dict.fromkeys(c for f in route.flows for c in pack.conflicts_on(f)):
        out += f" — sources disagree ({cid}): {_short(pack.conflicts[cid].summary, 160)}"
    return out


def route_view(
    pack: Pack, report: RouteReport, *, layout: str = "layered",
    timeline: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Only the actors and flows on the query's routes, edges coloured by hop status."""
    hops: dict[str, HopStatus] = {}
    node_ids: dict[str, None] = {}
    for route in report.routes:
        for flow_id, hop in zip(route.flows, route.hops, strict=True):
            hops.setdefault(flow_id, hop)
        node_ids.update(dict.fromkeys(route.nodes))
    q = report.query.as_dict()
    head = _query_head(pack, q)
    subtitle = (f"Every route from {pack.actors[report.query.source].name} to "
                f"{pack.actors[report.query.target].name} (or its parts) in pack {pack.id}, "
                f"at most {report.query.max_hops} hops.")
    if not report.routes:
        subtitle += " No route found."
    labels = route_labels(report.routes)
    edges = [_edge(pack, pack.flows[f], h) for f, h in hops.items()]
    for e, (f, h) in zip(edges, hops.items(), strict=True):
        e["card"] = hop_card(pack, pack.flows[f], h)
    view = {
        "title": f"graphflow: {report.query.source} → {report.query.target}",
        "subtitle": subtitle,
        "query": head,
        "summary": dict(report.summary),
        "summary_of": "routes",
        "nodes": [_node(pack, n) for n in node_ids],
        "edges": edges,
        "routes": [{"id": r.id, "status": r.status.value,
                    "label": labels[r.id] + _route_notes(pack, r, report.query.as_of),
                    "edges": list(r.flows)} for r in report.routes],
        "layout": layout,
        "ranks": route_ranks(report),
    }
    if layout == "layered":
        view["positions"] = layered_positions(
            pack, list(node_ids), [pack.flows[f] for f in hops], report.query.source,
            report.targets)
    if timeline is not None:
        view["timeline"] = timeline
    return view


def timeline_data(result: Mapping[str, Any], shown: Sequence[Any],
                  as_of: dt.date) -> dict[str, Any]:
    """The timeline table of a route view, from results the library computed (this module runs
    no query): ``result`` is ``graphflow.analysis.timeline.timeline(...)`` for the ``shown``
    routes (the same change dates as ``graphflow timeline``). A "before <first change>"
    column, every date on which a shown route's status changes, and the query's date:
    ``{"dates": [...], "current": date, "rows": [{route, label, statuses: {date: status}}]}``."""
    from graphflow.analysis.timeline import status_on

    rows = result["routes"]
    first = min((row["before"]["until"] for row in rows), default=None)
    before = f"before {first}" if first else None
    changes = {c["date"] for row in rows for c in row["changes"]}
    current = as_of.isoformat()
    dates = sorted(changes | {current})
    labels = route_labels(shown)
    out_rows = []
    for row in rows:
        statuses = {d: status_on(row, d) for d in dates}
        if before:
            statuses[before] = row["before"]["status"]
        out_rows.append({"route": row["route"], "label": labels.get(row["route"], row["route"]),
                         "statuses": statuses})
    return {"dates": ([before] if before else []) + dates, "current": current,
            "rows": out_rows}
