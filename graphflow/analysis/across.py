"""One question asked across packs: per flow kind, the status and evidence in each jurisdiction,
with the deciding rule and its source (`graphflow compare`).

The case is given once (a profile id and/or fact settings) and applied to every pack by shared
fact ids: a pack gets the facts it defines, and the facts it does not define are named. For each
pack the routes from its default trigger to its default target are walked; for each flow kind,
the pack's answer is its most open route that uses a flow of that kind (then the best
evidenced, then fewer hops, then route id). The deciding hop is the first hop that stops
or conditions the route, or for an open route the first hop of that kind; the deciding rule is
the rule whose reason gives that hop its status (none when no rule restricts it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphflow.audit import iter_routes, make_query
from graphflow.core.model import Pack
from graphflow.core.routes import Route
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.errors import GraphflowError, did_you_mean
from graphflow.packs.references import citation_dict

VERSION = 2  # 2: deciding.source is a full citation; its original is a source, not an id
DISCLAIMER = "Research tool, not legal advice."
MAX_PACKS = 1000
UNCLASSIFIED = "(no kind)"  # routes through flows that have no kind: are compared under this


@dataclass
class Case:
    """The question: a profile (from any pack that has it) and fact settings."""

    profile: str | None = None
    settings: dict[str, str] = field(default_factory=dict)  # fact -> raw text


def _raw(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def parse_settings(items: Sequence[str]) -> dict[str, str]:
    """``fact=value`` items (each may hold several, comma-separated only when every part has
    an '=') into {fact: raw value}."""
    out: dict[str, str] = {}
    for item in items:
        parts = [p for p in item.split(",")] if all("=" in p for p in item.split(",")) \
            else [item]
        for part in parts:
            if "=" not in part:
                raise GraphflowError(f"--profile-facts {part!r} is not fact=value",
                                     hint="e.g. --profile-facts judicial-warrant=false")
            name, value = part.split("=", 1)
            out[name.strip()] = value.strip()
    return out


def _case_facts(packs: Sequence[Pack], case: Case) -> tuple[dict[str, str], str | None]:
    """The case's facts as raw settings (profile facts, then the settings), and the pack whose
    profile was used."""
    facts: dict[str, str] = {}
    origin = None
    if case.profile:
        for p in packs:
            if case.profile in p.profiles:
                origin = p.id
                for k, v in p.profiles[case.profile].facts.items():
                    raw = _raw(v)
                    if raw is not None:
                        facts[k] = raw
                break
        else:
            pool = sorted({i for p in packs for i in p.profiles})
            raise GraphflowError(f"--profile {case.profile!r}: no pack given has that profile",
                                 hint=did_you_mean(case.profile, pool)
                                 or "profiles: " + ", ".join(pool))
    facts.update(case.settings)
    known = {f for p in packs for f in p.facts}
    for name in facts:
        if name not in known:
            raise GraphflowError(f"fact {name!r} is defined by none of the packs given",
                                 hint=did_you_mean(name, known) or "see `graphflow list facts`")
    return facts, origin


_EVIDENCE = {"current": 0, "stale": 1, "unverified": 2}


def _order(route: Route) -> tuple[Any, ...]:
    """Most open first; then best evidenced, fewer hops, route id."""
    return (route.status.severity, _EVIDENCE.get(route.evidence.state, 3), len(route.flows),
            route.id)


def _deciding_hop(pack: Pack, route: Route, kind: str) -> int:
    if route.status.severity > 0:
        for i, h in enumerate(route.hops):
            if h.status is route.status:
                return i
    return next(i for i, f in enumerate(route.flows)
                if (pack.flows[f].kind or UNCLASSIFIED) == kind)


def _source(pack: Pack, rule_id: str, flow_id: str) -> dict[str, Any] | None:
    cites = [c for e in pack.effects_on(flow_id) if e.rule == rule_id for c in e.citations]
    cites = cites or list(pack.rules[rule_id].citations)
    if not cites:
        return None
    c = cites[0]
    # the full citation, with the keys this JSON has always had (id; title and url even unset)
    return {"id": c.source, "title": None, "url": None, **citation_dict(pack, c),
            "quote": " ".join(c.quote.split())}


def _cell(pack: Pack, route: Route, kind: str) -> dict[str, Any]:
    i = _deciding_hop(pack, route, kind)
    hop = route.hops[i]
    flow = route.flows[i]
    deciding = None
    reason_text = None
    for r in hop.reasons:
        if r.status is hop.status and (r.kind == "rule" or r.status.severity > 0):
            reason_text = r.text
            if r.kind == "rule" and r.rule:
                rule = pack.rules[r.rule]
                deciding = {"rule": rule.id, "name": rule.name, "jurisdiction": rule.jurisdiction,
                            "effect": r.effect, "source": _source(pack, rule.id, flow)}
            break
    untouched = sorted({r.rule for h in route.hops for r in h.reasons
                        if r.kind == "rule" and r.effect == "does-not-touch" and r.rule})
    ev = route.evidence
    return {
        "status": route.status.value, "route": route.id, "hops": len(route.flows),
        "flows": list(route.flows), "evidence": ev.state, "last_evidenced": ev.last_evidenced,
        "deciding_flow": flow, "deciding": deciding,
        "reason": reason_text or ("no rule restricts it" if route.status.severity == 0
                                  else None),
        "untouched_by": untouched,
    }


def compare(packs: Sequence[Pack], case: Case, as_of: dt.date, max_hops: int = 8,
            target: str | None = None) -> dict[str, Any]:
    """The comparison as a JSON-ready dict (see the module docstring)."""
    if not packs:
        raise GraphflowError("compare needs at least one pack", hint="--data nyc --data ...")
    if len(packs) > MAX_PACKS:
        raise GraphflowError(f"compare takes at most {MAX_PACKS} packs, not {len(packs)}")
    ids = [p.id for p in packs]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise GraphflowError(f"pack {dup!r} is given twice", hint="give each pack once")
    facts, origin = _case_facts(packs, case)
    out_packs: list[dict[str, Any]] = []
    best: dict[str, dict[str, Route]] = {}
    for pack in packs:
        applied = {k: v for k, v in facts.items() if k in pack.facts}
        undefined = sorted(k for k in facts if k not in pack.facts)
        query = make_query(pack, source=None, target=target, as_of=as_of, max_hops=max_hops,
                           sets=[f"{k}={v}" for k, v in applied.items()])
        mine: dict[str, Route] = {}
        for route in iter_routes(pack, EmbeddedEngine(pack), query):
            for kind in {pack.flows[f].kind or UNCLASSIFIED for f in route.flows}:
                have = mine.get(kind)
                if have is None or _order(route) < _order(have):
                    mine[kind] = route
        best[pack.id] = mine
        out_packs.append({"id": pack.id, "name": pack.name, "path": pack.path,
                          "from": query.source, "to": query.target, "facts": applied,
                          "facts_undefined": undefined,
                          "layers": [x["id"] for x in pack.layering.layers]
                          if pack.layering is not None else [pack.id]})
    kinds = sorted({k for mine in best.values() for k in mine})
    by_id = {p.id: p for p in packs}
    rows = [{"kind": k, "packs": {pid: (_cell(by_id[pid], best[pid][k], k)
                                        if k in best[pid] else None) for pid in ids}}
            for k in kinds]
    return {"version": VERSION, "as_of": as_of.isoformat(), "max_hops": max_hops,
            "profile": case.profile, "profile_from": origin, "facts": facts,
            "packs": out_packs, "kinds": rows, "disclaimer": DISCLAIMER}


def flat_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (flow kind, pack), for csv and the like."""
    rows = []
    for row in result["kinds"]:
        for pid, cell in row["packs"].items():
            d = (cell or {}).get("deciding") or {}
            src = d.get("source") or {}
            rows.append({
                "kind": row["kind"], "pack": pid,
                "status": cell["status"] if cell else "no route",
                "evidence": cell["evidence"] if cell else None,
                "route": cell["route"] if cell else None,
                "hops": cell["hops"] if cell else None,
                "deciding_flow": cell["deciding_flow"] if cell else None,
                "deciding_rule": d.get("rule"), "rule_jurisdiction": d.get("jurisdiction"),
                "reason": cell["reason"] if cell else None,
                "source": src.get("id"), "locator": src.get("locator"),
                "quote": src.get("quote"),
            })
    return rows
