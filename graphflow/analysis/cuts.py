"""Cuts: the cheapest set of flows whose closure stops every route of a bounded route set.

A route is stopped when one of its flows is closed, so a cut of the routes found (at most
``max_hops`` long, with the statuses asked for) is a *hitting set* of their flow sets. The
cut is computed on exactly those routes, not on the union graph of their flows (whose
minimum edge cut is only an upper bound: it also blocks paths that are not routes of the
query). The search is exact (branch and bound over the distinct minimal flow sets, with a
disjoint-sets lower bound) within a node budget; when the budget runs out, the best cut found
(greedy, improved by the search so far) is reported as an *upper bound*, with the lower
bound proved.

Which flows may be cut:
- only those the chosen jurisdiction, level or actor can regulate (``--controllable-by``:
  the flows whose ``controlled_by`` is that jurisdiction or one of its parts; for an actor,
  its own and its parts' outgoing flows that its jurisdiction controls, so the NYPD's answer
  is part of the city's);
- never an ``essential`` flow (bringing an arrestee before a judge), unless asked;
- never the trigger's own flows (the premise of the question), unless asked.

Weights follow the flow's basis: closing discretionary practice is cheaper than changing a
mandate (``BASIS_WEIGHTS``); unweighted, every flow counts 1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graphflow.core.model import Pack
from graphflow.core.routes import Route
from graphflow.core.status import Status
from graphflow.errors import GraphflowError, did_you_mean
from graphflow.packs.references import citation_dict

# Weights (default): closing discretionary practice is cheaper than changing a mandate.
BASIS_WEIGHTS = {"discretionary": 1, "routine-practice": 2, "unknown": 3, "mandated": 5}
DEFAULT_BUDGET = 200_000  # search nodes before the exact search gives up (upper bound then)
KEEP_REMAINING = 50  # routes no cut can stop, kept for display (all are counted)


# ------------------------------------------------------------------ who can regulate a flow

@dataclass(frozen=True)
class Controller:
    """What ``--controllable-by`` named, resolved: a level, a jurisdiction or an actor.

    ``jurisdictions`` are the jurisdiction(s) named and all their parts; for an actor, its
    own jurisdiction and that jurisdiction's parts, and ``actors`` the actor and its parts."""

    typed: str
    kind: str  # level | jurisdiction | actor
    id: str
    name: str
    jurisdictions: frozenset[str]
    actors: frozenset[str] | None = None

    def __str__(self) -> str:
        return self.id

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"typed": self.typed, "kind": self.kind, "id": self.id,
                               "name": self.name, "jurisdictions": sorted(self.jurisdictions)}
        if self.actors is not None:
            out["actors"] = sorted(self.actors)
        return out


def jurisdiction_parts(pack: Pack, jid: str) -> set[str]:
    """A jurisdiction and every jurisdiction whose parent chain reaches it."""
    out = {jid}
    changed = True
    while changed:
        changed = False
        for j in pack.jurisdictions.values():
            if j.id not in out and j.parent in out:
                out.add(j.id)
                changed = True
    return out


def actor_jurisdiction(pack: Pack, actor_id: str) -> str | None:
    """The jurisdiction an actor belongs to (its own, else the nearest whole it is part of)."""
    seen: set[str] = set()
    actor = pack.actors.get(actor_id)
    while actor is not None and actor.id not in seen:
        seen.add(actor.id)
        if actor.jurisdiction:
            return actor.jurisdiction
        actor = pack.actors.get(actor.part_of) if actor.part_of else None
    return None


def resolve_controller(pack: Pack, who: str | Controller | None) -> Controller | None:
    """``--controllable-by``: a level (city, state, federal), a jurisdiction or an actor, by
    id, name or alias, in any case."""
    if who is None or isinstance(who, Controller):
        return who
    typed = who.strip()
    low = typed.lower()
    if not low:
        raise GraphflowError("--controllable-by must not be empty",
                             hint="a level (city, state, federal), jurisdiction or actor")
    for j in pack.jurisdictions.values():
        if low in (j.id.lower(), j.name.lower()):
            return Controller(typed, "jurisdiction", j.id, j.name,
                              frozenset(jurisdiction_parts(pack, j.id)))
    levels = [j for j in pack.jurisdictions.values() if j.level == low]
    if levels:
        parts = set().union(*(jurisdiction_parts(pack, j.id) for j in levels))
        top = [j for j in levels if j.parent not in parts]
        ident = top[0].id if len(top) == 1 else low
        name = top[0].name if len(top) == 1 else f"every {low} jurisdiction"
        return Controller(typed, "level", ident, name, frozenset(parts))
    for a in pack.actors.values():
        if low in (a.id.lower(), a.name.lower(), *(x.lower() for x in a.aliases)):
            jid = actor_jurisdiction(pack, a.id)
            jurs = frozenset(jurisdiction_parts(pack, jid)) if jid else frozenset()
            return Controller(typed, "actor", a.id, a.name, jurs,
                              frozenset(pack.descendants(a.id)))
    words = [w for j in pack.jurisdictions.values() for w in (j.id, j.name, j.level)]
    words += [w for a in pack.actors.values() for w in (a.id, a.name, *a.aliases)]
    options = sorted({j.level for j in pack.jurisdictions.values()} | set(pack.jurisdictions))
    raise GraphflowError(
        f"--controllable-by {typed!r}: no jurisdiction, level or actor of that id, name or "
        f"alias in pack {pack.id}",
        hint=did_you_mean(typed, words) or "e.g. " + ", ".join(options),
    )


def controllable(pack: Pack, flow_id: str, who: str | Controller | None) -> bool:
    """Can ``who`` regulate this flow? (One meaning everywhere: see the module doc.)"""
    ctrl = resolve_controller(pack, who)
    if ctrl is None:
        return True
    flow = pack.flows[flow_id]
    if ctrl.actors is not None and flow.source not in ctrl.actors:
        return False
    return bool(ctrl.jurisdictions.intersection(pack.controllers_of(flow)))


def _ancestors(pack: Pack, actor: str) -> set[str]:
    out, cur = set(), pack.actors[actor].part_of
    while cur and cur not in out:
        out.add(cur)
        cur = pack.actors[cur].part_of if cur in pack.actors else None
    return out


def flow_weight(pack: Pack, flow_id: str, weighted: bool = True) -> int:
    return BASIS_WEIGHTS.get(pack.flows[flow_id].basis, 3) if weighted else 1


def why_not_cuttable(pack: Pack, fid: str, who: Controller | None, protect: frozenset[str],
                     allow_essential: bool) -> str | None:
    """Why a flow may not be cut here (None if it may)."""
    flow = pack.flows[fid]
    if fid in protect:
        return "the trigger's own flow (the premise of the question)"
    if flow.essential and not allow_essential:
        return f"essential: {flow.essential_reason or 'marked essential by the pack'}"
    if not controllable(pack, fid, who):
        ctrl = ", ".join(pack.controllers_of(flow)) or "no jurisdiction"
        if who is not None and who.actors is not None and flow.source not in who.actors:
            return f"sent by {flow.source}, not by {who.id}; controlled by {ctrl}"
        return f"controlled by {ctrl}"
    return None


# ------------------------------------------------------------------ the search

@dataclass
class CutResult:
    """A cut (or the proof there is none) for a bounded set of routes."""

    exists: bool
    flows: list[str]
    cost: float
    routes_to_stop: int = 0
    stopped: dict[str, int] = field(default_factory=dict)  # flow -> routes it stops
    remaining: list[Route] = field(default_factory=list)  # routes no cut can stop (first few)
    remaining_count: int = 0
    controllable_by: Controller | None = None
    weighted: bool = True
    allow_essential: bool = False
    exact: bool = True  # a proved minimum of the routes given; else an upper bound
    lower_bound: float = 0.0
    method: str = "exact"  # exact | upper-bound (search budget ran out)
    search: dict[str, int] = field(default_factory=dict)
    protected: frozenset[str] = frozenset()
    blocked_by: dict[str, str] = field(default_factory=dict)  # flow -> why it may not be cut

    @property
    def routes(self) -> int:  # kept for callers that used the route list's length
        return self.routes_to_stop


class _Budget(Exception):
    pass


def _minimal_sets(sets: Iterable[frozenset[str]]) -> list[frozenset[str]]:
    """The sets that contain no other set (hitting those hits all). Each kept set is indexed
    under its rarest element, which any superset must contain, so the buckets stay small."""
    unique = set(sets)
    freq: dict[str, int] = {}
    for s in unique:
        for e in s:
            freq[e] = freq.get(e, 0) + 1
    ordered = sorted(unique, key=lambda s: (len(s), sorted(s)))
    kept: list[frozenset[str]] = []
    by_elem: dict[str, list[frozenset[str]]] = {}
    for s in ordered:
        if any(t <= s for e in s for t in by_elem.get(e, ())):
            continue
        kept.append(s)
        by_elem.setdefault(min(s, key=lambda e: (freq[e], e)), []).append(s)
    return kept


def _greedy(sets: list[frozenset[str]], weight: Mapping[str, float]) -> list[str]:
    """Greedy hitting set (cheapest per set hit), then drop picks that became redundant."""
    left = list(sets)
    chosen: list[str] = []
    while left:
        counts: dict[str, int] = {}
        for s in left:
            for e in s:
                counts[e] = counts.get(e, 0) + 1
        best = min(sorted(counts), key=lambda e: weight[e] / counts[e])
        chosen.append(best)
        left = [s for s in left if best not in s]
    for e in sorted(chosen, key=lambda e: -weight[e]):
        rest = set(chosen) - {e}
        if all(rest & s for s in sets):
            chosen.remove(e)
    return sorted(chosen)


def _lower_bound(sets: list[frozenset[str]], weight: Mapping[str, float]) -> float:
    """Sum of the cheapest element of pairwise disjoint sets: each needs its own pick."""
    used: set[str] = set()
    total = 0.0
    for s in sorted(sets, key=len):
        if used.isdisjoint(s):
            used |= s
            total += min(weight[e] for e in s)
    return total


def hitting_set(sets: list[frozenset[str]], weight: Mapping[str, float],
                budget: int = DEFAULT_BUDGET, minimal: bool = False
                ) -> tuple[list[str], float, bool, float, int]:
    """A minimum-weight set of elements meeting every set: (elements, cost, exact, lower
    bound, search nodes). ``exact`` is False when ``budget`` nodes did not finish the search;
    the result is then the best found (an upper bound)."""
    if not minimal:
        sets = _minimal_sets(sets)
    if not sets:
        return [], 0.0, True, 0.0, 0
    best = _greedy(sets, weight)
    best_cost = sum(weight[e] for e in best)
    root_lb = _lower_bound(sets, weight)
    nodes = 0

    def dfs(cost: float, unhit: list[frozenset[str]], chosen: list[str]) -> None:
        nonlocal best, best_cost, nodes
        nodes += 1
        if nodes > budget:
            raise _Budget
        if not unhit:
            if cost < best_cost:
                best, best_cost = sorted(chosen), cost
            return
        if cost + _lower_bound(unhit, weight) >= best_cost:
            return
        pivot = min(unhit, key=len)  # unhit keeps the sets' sorted order: deterministic
        excluded: set[str] = set()
        for e in sorted(pivot, key=lambda e: (weight[e], e)):
            rest = [s - excluded if excluded else s for s in unhit if e not in s]
            if all(rest):
                dfs(cost + weight[e], rest, [*chosen, e])
            excluded.add(e)

    if best_cost > root_lb:
        try:
            dfs(0.0, sets, [])
        except _Budget:
            return best, best_cost, False, root_lb, nodes - 1
    return best, best_cost, True, best_cost, nodes


def minimum_cut(pack: Pack, routes: Iterable[Route | tuple[tuple[str, ...], Status]],
                who: str | Controller | None = None, weighted: bool = True,
                protect: frozenset[str] = frozenset(), allow_essential: bool = False,
                budget: int = DEFAULT_BUDGET,
                make_route: Callable[[tuple[str, ...], Status], Route] | None = None
                ) -> CutResult:
    """The cheapest set of flows whose closure stops every route given (streamed once: Route
    objects, or (flow ids, status) pairs with ``make_route`` to build the few routes that no
    cut can stop). Flows ``who`` cannot regulate, essential flows (unless
    ``allow_essential``) and flows in ``protect`` are never cut."""
    ctrl = resolve_controller(pack, who)
    blocked = {}
    for fid in pack.flows:
        why = why_not_cuttable(pack, fid, ctrl, protect, allow_essential)
        if why:
            blocked[fid] = why
    cuttable = frozenset(f for f in pack.flows if f not in blocked)
    counter: dict[frozenset[str], int] = {}
    remaining: list[Route] = []
    remaining_count = total = 0
    for item in routes:
        if isinstance(item, Route):
            flows, route = item.flows, item
        else:
            flows, route = item[0], None
        total += 1
        key = cuttable.intersection(flows)
        if key:
            counter[key] = counter.get(key, 0) + 1
            continue
        remaining_count += 1
        if len(remaining) < KEEP_REMAINING:
            if route is None and make_route is not None:
                route = make_route(flows, item[1])
            if route is not None:
                remaining.append(route)
    weight = {f: flow_weight(pack, f, weighted) for f in cuttable}
    common = dict(routes_to_stop=total, controllable_by=ctrl, weighted=weighted,
                  allow_essential=allow_essential, protected=protect, blocked_by=blocked)
    if remaining_count:
        return CutResult(False, [], float("inf"), remaining=remaining,
                         remaining_count=remaining_count, exact=True,
                         lower_bound=float("inf"), method="none",
                         search={"route_sets": len(counter)}, **common)
    minimal = _minimal_sets(counter)
    chosen, cost, exact, lower, nodes = hitting_set(minimal, weight, budget, minimal=True)
    stopped = dict.fromkeys(chosen, 0)
    for s, n in counter.items():
        for f in s.intersection(chosen):
            stopped[f] += n
    return CutResult(True, chosen, cost, stopped=stopped, exact=exact, lower_bound=lower,
                     method="exact" if exact else "upper-bound",
                     search={"route_sets": len(counter), "minimal_sets": len(minimal),
                             "nodes": nodes, "budget": budget}, **common)


# ------------------------------------------------------------------ what a cut means

_VERBS = {
    "automatic": "automatically send {data} to {to}",
    "routine": "routinely pass {data} to {to}",
    "on-request": "pass {data} to {to} on request",
    "discretionary": "pass {data} to {to} at its own discretion",
    "physical-presence": "give {to} access to the person in person",
    "custody-transfer": "hand the person over to {to}",
    "query": "let {to} query {data}",
    "public-record": "make {data} available to {to} as a public record",
}


def _name(pack: Pack, actor_id: str) -> str:
    a = pack.actors.get(actor_id)
    return a.name if a else actor_id


def closing_meaning(pack: Pack, fid: str) -> str:
    """One sentence: what closing this flow would mean."""
    f = pack.flows[fid]
    data = ", ".join(pack.data_items[d].name.lower() if d in pack.data_items else d
                     for d in f.data)
    verb = _VERBS.get(f.mechanism, "pass {data} to {to}").format(data=data,
                                                                  to=_name(pack, f.target))
    what = f" ({f.name})" if f.name else ""
    return f"If {fid} were closed, {_name(pack, f.source)} would no longer {verb}{what}."


def _where(where: str) -> str:
    path, _, line = where.rpartition(":")
    if path and os.path.isabs(path):
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            path = rel
    return f"{path}:{line}" if path else where


def power(pack: Pack, fid: str, who: Controller | None) -> list[dict[str, Any]]:
    """Who has the power to close a flow (within ``who`` when given), and the source of that
    power: a rule of theirs that already governs the flow, else one governing a flow of the
    same kind, else the pack's ``controlled_by`` with the flow's own evidence."""
    flow = pack.flows[fid]
    holders = [j for j in pack.controllers_of(flow)
               if who is None or j in who.jurisdictions]
    out = []
    for jid in holders:
        jur = pack.jurisdictions.get(jid)
        name = jur.name if jur else jid
        entry: dict[str, Any] = {"jurisdiction": jid, "name": name}
        mine = [r for r in pack.rules.values() if r.jurisdiction == jid and not r.hypothetical]
        direct = [(r, e) for r in mine for e in r.effects
                  if e.flow == fid and e.effect != "does-not-touch"]
        same_kind = [(r, e) for r in mine for e in r.effects
                     if flow.kind and e.flow != fid and e.effect != "does-not-touch"
                     and pack.flows.get(e.flow) is not None
                     and pack.flows[e.flow].kind == flow.kind]
        if direct:
            r, e = direct[0]
            entry.update(basis="rule", rule=r.id, rule_name=r.name,
                         text=f"it already regulates this flow: {r.name} ({e.effect})")
            cits = e.citations or r.citations
        elif same_kind:
            r, e = same_kind[0]
            entry.update(basis="same-kind-rule", rule=r.id, rule_name=r.name,
                         text=f"it regulates a flow of the same kind ({flow.kind}): {r.name} "
                              f"on {e.flow}")
            cits = e.citations or r.citations
        else:
            entry.update(basis="pack", text=f"the pack gives it control of this flow "
                                            f"(controlled_by at {_where(flow.where)})")
            cits = flow.citations
        entry["source"] = citation_dict(pack, cits[0]) if cits else None
        out.append(entry)
    return out


def power_sentence(meaning: str, holders: list[dict[str, Any]]) -> str:
    if not holders:
        return meaning + " No jurisdiction in the pack is recorded as able to close it."
    parts = [f"{h['name']} has the power: {h['text']}" for h in holders]
    return meaning + " " + "; ".join(parts) + "."


# ------------------------------------------------------------------ precedents

@cache
def _bundled(name: str) -> Pack | None:
    from graphflow.packs.loader import load_pack

    try:
        return load_pack(name)
    except GraphflowError:
        return None


def precedents(pack: Pack, fid: str) -> list[dict[str, Any]]:
    """Rules in the other bundled packs that govern a flow of the same kind (a Connecticut
    rule on detainer holds for a New York detainer hold). Rules the pack holds itself (a
    layered pack's parents) are left out."""
    from graphflow.packs.locate import bundled_packs

    kind = pack.flows[fid].kind
    if not kind:
        return []
    out = []
    for name in bundled_packs():
        other = _bundled(name)
        if other is None or other.id == pack.id:
            continue
        for rule in other.rules.values():
            if rule.id in pack.rules:
                continue
            for eff in rule.effects:
                f = other.flows.get(eff.flow)
                if f is None or f.kind != kind or eff.effect == "does-not-touch":
                    continue
                cits = eff.citations or rule.citations
                jur = other.jurisdictions.get(rule.jurisdiction)
                out.append({
                    "pack": other.id, "rule": rule.id, "name": rule.name,
                    "jurisdiction": jur.name if jur else rule.jurisdiction,
                    "in_force": [str(rule.starts) if rule.starts else None,
                                 str(rule.ended) if rule.ended else None],
                    "flow": f.id, "flow_name": f.name, "effect": eff.effect,
                    "source": citation_dict(other, cits[0]) if cits else None,
                })
    return out


# ------------------------------------------------------------------ the report

def cut_dict(pack: Pack, result: CutResult, weighted: bool | None = None,
             protect: frozenset[str] | None = None) -> dict[str, Any]:
    """JSON-able cut report: each flow's weight, what closing it means, who has the power and
    its source, the routes it stops, its evidence and precedents in other packs."""
    ctrl = result.controllable_by
    flows = []
    for fid in result.flows:
        f = pack.flows[fid]
        meaning = closing_meaning(pack, fid)
        holders = power(pack, fid, ctrl)
        flows.append({
            "flow": fid, "name": f.name, "kind": f.kind or None, "from": f.source,
            "to": f.target, "data": list(f.data), "basis": f.basis,
            "weight": flow_weight(pack, fid, result.weighted),
            "controlled_by": list(pack.controllers_of(f)),
            "routes_stopped": result.stopped.get(fid, 0),
            "meaning": meaning, "power": holders,
            "sentence": power_sentence(meaning, holders),
            "essential": f.essential,
            "sources": [citation_dict(pack, c) for c in f.citations],
            "precedents": precedents(pack, fid),
        })
    remaining = []
    for r in result.remaining:
        remaining.append({
            "route": r.id, "status": r.status.value, "nodes": list(r.nodes),
            "why": [f"{fid}: {result.blocked_by.get(fid, 'may be cut')}" for fid in r.flows],
        })
    essential_needed = sorted({fid for r in result.remaining for fid in r.flows
                               if pack.flows[fid].essential and fid not in result.protected
                               and controllable(pack, fid, ctrl)})
    return {
        "exists": result.exists,
        "controllable_by": ctrl.id if ctrl else None,
        "controller": ctrl.as_dict() if ctrl else None,
        "weighted": result.weighted,
        "weights": dict(BASIS_WEIGHTS) if result.weighted else None,
        "cost": None if not result.exists else result.cost,
        "exact": result.exact if result.exists else None,
        "method": result.method,
        "lower_bound": result.lower_bound if result.exists else None,
        "search": result.search,
        "routes_to_stop": result.routes_to_stop,
        "protected": sorted(result.protected),
        "allow_essential": result.allow_essential,
        "cut": flows,
        "remaining": remaining,
        "remaining_count": result.remaining_count,
        "essential_needed": essential_needed,
    }
