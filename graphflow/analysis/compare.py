"""Compare route statuses between two evaluations (two dates, or before/after a what-if)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from graphflow.core.model import Pack
from graphflow.core.routes import Route
from graphflow.core.status import HopStatus


@dataclass(frozen=True)
class HopChange:
    flow: str
    before: str
    after: str
    why: tuple[str, ...]


@dataclass(frozen=True)
class RouteChange:
    route: str
    nodes: tuple[str, ...]
    before: str
    after: str
    hops: tuple[HopChange, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route, "nodes": list(self.nodes), "before": self.before,
            "after": self.after,
            "hops": [{"flow": h.flow, "before": h.before, "after": h.after, "why": list(h.why)}
                     for h in self.hops],
        }


def _reason_texts(hop: HopStatus) -> dict[str, str]:
    return {f"{r.kind}:{r.rule or ''}": f"[{r.status.value if r.status else '-'}] {r.text}"
            for r in hop.reasons}


def hop_why(before: HopStatus, after: HopStatus) -> tuple[str, ...]:
    """The reasons that differ between two evaluations of the same hop."""
    a, b = _reason_texts(before), _reason_texts(after)
    out = [f"now: {b[k]}" for k in b if a.get(k) != b[k]]
    out += [f"before: {a[k]}" for k in a if k not in b]
    return tuple(out)


def compare_routes(before: list[Route], after: list[Route]) -> list[RouteChange]:
    """Routes (matched by id) whose status differs, with the hops that changed and why."""
    old = {r.id: r for r in before}
    changes = []
    for new in after:
        prev = old.get(new.id)
        if prev is None or prev.status == new.status:
            continue
        hops = tuple(
            HopChange(h1.flow, h1.status.value, h2.status.value, hop_why(h1, h2))
            for h1, h2 in zip(prev.hops, new.hops, strict=True)
            if h1.status != h2.status or _reason_texts(h1) != _reason_texts(h2)
        )
        changes.append(RouteChange(new.id, new.nodes, prev.status.value, new.status.value, hops))
    return changes


def change_points(pack: Pack, flows: set[str]) -> list[dt.date]:
    """Every date on which a rule governing these flows, or a flow itself, changes."""
    days: set[dt.date] = set()
    one = dt.timedelta(days=1)
    for fid in flows:
        f = pack.flows[fid]
        if f.valid_from:
            days.add(f.valid_from)
        if f.valid_to:
            days.add(f.valid_to + one)
        for eff in pack.effects_on(fid):
            rule = pack.rules[eff.rule]
            if rule.starts:
                days.add(rule.starts)
            if rule.ended:
                days.add(rule.ended + one)
    return sorted(days)


def rules_changed_between(pack: Pack, flows: set[str], d1: dt.date, d2: dt.date) -> list[dict]:
    """Rules governing these flows that entered or left force between two dates."""
    lo, hi = min(d1, d2), max(d1, d2)
    out = []
    seen = set()
    for fid in sorted(flows):
        for eff in pack.effects_on(fid):
            rule = pack.rules[eff.rule]
            if rule.id in seen:
                continue
            if rule.in_force_on(lo) != rule.in_force_on(hi):
                seen.add(rule.id)
                out.append({
                    "rule": rule.id, "name": rule.name, "jurisdiction": rule.jurisdiction,
                    "in_force": f"{rule.starts or '…'} to {rule.ended or 'now'}",
                    "change": "entered into force" if rule.in_force_on(hi) else "ended",
                })
    for fid in sorted(flows):
        f = pack.flows[fid]
        if f.active_on(lo) != f.active_on(hi):
            out.append({"flow": fid, "valid": f"{f.valid_from or '…'} to {f.valid_to or 'now'}",
                        "change": "began" if f.active_on(hi) else "ended"})
    return out
