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
    evidence_before: str = ""
    evidence_after: str = ""


@dataclass(frozen=True)
class RouteChange:
    route: str
    nodes: tuple[str, ...]
    before: str
    after: str
    hops: tuple[HopChange, ...]
    evidence_before: str = ""
    evidence_after: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route, "nodes": list(self.nodes), "before": self.before,
            "after": self.after,
            "evidence": {"before": self.evidence_before, "after": self.evidence_after},
            "hops": [{"flow": h.flow, "before": h.before, "after": h.after, "why": list(h.why),
                      "evidence": {"before": h.evidence_before, "after": h.evidence_after}}
                     for h in self.hops],
        }


def _reason_texts(hop: HopStatus) -> dict[str, str]:
    return {f"{r.kind}:{r.rule or ''}": f"[{r.status.value if r.status else '-'}] {r.text}"
            for r in hop.reasons if r.effect != "does-not-touch"}


def hop_why(before: HopStatus, after: HopStatus) -> tuple[str, ...]:
    """The reasons that differ between two evaluations of the same hop. A rule that does not
    touch the flow explains nothing, whether or not it is in force on either side, so it is
    never one of them."""
    a, b = _reason_texts(before), _reason_texts(after)
    out = [f"now: {b[k]}" for k in b if a.get(k) != b[k]]
    out += [f"before: {a[k]}" for k in a if k not in b]
    return tuple(out)


def _upto(route: Route) -> int:
    """Hops that matter: up to and including the first that stops the information."""
    return len(route.hops) if route.stop is None else route.stop + 1


def compare_routes(before: list[Route], after: list[Route]) -> list[RouteChange]:
    """Routes (matched by id) whose status or evidence state differs, with the hops whose
    status or evidence state changed, up to the hop where the information stops (a change
    beyond that point changes nothing), and why."""
    old = {r.id: r for r in before}
    changes = []
    for new in after:
        prev = old.get(new.id)
        if prev is None:
            continue
        if prev.status == new.status and prev.evidence.state == new.evidence.state:
            continue
        upto = max(_upto(prev), _upto(new))
        hops = tuple(
            HopChange(h1.flow, h1.status.value, h2.status.value, hop_why(h1, h2),
                      h1.evidence.state, h2.evidence.state)
            for h1, h2 in list(zip(prev.hops, new.hops, strict=True))[:upto]
            if h1.status != h2.status or h1.evidence.state != h2.evidence.state
        )
        changes.append(RouteChange(new.id, new.nodes, prev.status.value, new.status.value, hops,
                                   prev.evidence.state, new.evidence.state))
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
    """Rules (and amendments) governing these flows that entered or left force between two
    dates, in date order, then flows that began or ended."""
    lo, hi = min(d1, d2), max(d1, d2)
    out = []
    seen = set()
    for fid in sorted(flows):
        for eff in pack.effects_on(fid):
            for rid in (eff.rule, *(o for o, _ in pack.overridden_by(eff.rule))):
                rule = pack.rules.get(rid)
                if rule is None or rule.id in seen:
                    continue
                if rule.in_force_on(lo) != rule.in_force_on(hi):
                    seen.add(rule.id)
                    entry = {
                        "rule": rule.id, "name": rule.name, "jurisdiction": rule.jurisdiction,
                        "in_force": f"{rule.starts or '…'} to {rule.ended or 'now'}",
                        "change": "entered into force" if rule.in_force_on(hi) else "ended",
                        "date": str((rule.starts if rule.in_force_on(hi) else rule.ended) or ""),
                    }
                    if rule.amends:
                        entry["amends"] = list(rule.amends)
                    if rule.supersedes:
                        entry["supersedes"] = list(rule.supersedes)
                    out.append(entry)
    out.sort(key=lambda e: e["date"])
    for fid in sorted(flows):
        f = pack.flows[fid]
        if f.active_on(lo) != f.active_on(hi):
            out.append({"flow": fid, "valid": f"{f.valid_from or '…'} to {f.valid_to or 'now'}",
                        "change": "began" if f.active_on(hi) else "ended"})
    return out
