"""Hop status: what happens to one flow for one person on one day, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from graphflow.core.conditions import describe, evaluate
from graphflow.core.model import Flow, Pack


class Status(StrEnum):
    """Hop and route statuses, least restrictive first."""

    OPEN = "open"
    CONDITIONAL = "conditional"
    NOT_TRIGGERED = "not-triggered"
    BLOCKED = "blocked"
    INACTIVE = "inactive"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Status.OPEN: 0,
    Status.CONDITIONAL: 1,
    Status.NOT_TRIGGERED: 2,
    Status.BLOCKED: 3,
    Status.INACTIVE: 4,
}
STATUS_NAMES = tuple(s.value for s in Status)


def most_restrictive(statuses: list[Status]) -> Status:
    """inactive > blocked > not-triggered > conditional > open."""
    return max(statuses, key=lambda s: s.severity, default=Status.OPEN)


@dataclass(frozen=True)
class Reason:
    """One reason behind a hop's status."""

    kind: str  # validity | condition | rule | rule-not-in-force | practice
    status: Status | None
    text: str
    rule: str | None = None
    effect: str | None = None
    jurisdiction: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text}
        out["status"] = self.status.value if self.status else None
        if self.rule:
            out["rule"] = self.rule
            out["effect"] = self.effect
            out["jurisdiction"] = self.jurisdiction
        if self.facts:
            out["facts"] = dict(self.facts)
        if self.missing:
            out["missing"] = list(self.missing)
        return out


@dataclass(frozen=True)
class HopStatus:
    """The status of one flow for a case on a day, with its reasons."""

    flow: str
    status: Status
    reasons: tuple[Reason, ...]

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(m for r in self.reasons for m in r.missing))

    @property
    def touched_by(self) -> list[str]:
        """Rules in force that block or condition this hop."""
        return [
            r.rule for r in self.reasons
            if r.kind == "rule" and r.effect in ("blocks", "allows-only-when") and r.rule
        ]

    @property
    def practice_reported(self) -> bool:
        """Closed or conditional by rule, yet sources report the flow happening."""
        return any(r.kind == "practice" for r in self.reasons)

    @property
    def conditions_met(self) -> bool:
        return any(
            r.kind == "rule" and r.effect == "allows-only-when" and r.status is Status.OPEN
            for r in self.reasons
        )


def _fmt(facts: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_val(v)}" for k, v in facts.items())


def _val(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _dates(start: dt.date | None, stop: dt.date | None) -> str:
    return f"{start or '…'} to {stop or 'now'}"


class StatusEvaluator:
    """Computes hop statuses for one case (facts) on one day, with a per-flow cache."""

    def __init__(self, pack: Pack, facts: Mapping[str, Any], as_of: dt.date):
        self.pack = pack
        self.facts = dict(facts)
        self.as_of = as_of
        self._cache: dict[str, HopStatus] = {}

    def hop(self, flow_id: str) -> HopStatus:
        cached = self._cache.get(flow_id)
        if cached is None:
            cached = self._cache[flow_id] = self._compute(self.pack.flows[flow_id])
        return cached

    def _compute(self, flow: Flow) -> HopStatus:
        reasons: list[Reason] = []
        if not flow.active_on(self.as_of):
            reasons.append(Reason(
                "validity", Status.INACTIVE,
                f"flow exists only {_dates(flow.valid_from, flow.valid_to)}",
            ))
        if flow.when is not None:
            out = evaluate(flow.when, self.facts)
            cond = describe(flow.when)
            if out.value is False:
                reasons.append(Reason(
                    "condition", Status.NOT_TRIGGERED,
                    f"fires only when {cond}; here {_fmt(out.used)}", facts=out.used,
                ))
            elif out.value is None:
                reasons.append(Reason(
                    "condition", Status.CONDITIONAL,
                    f"fires only when {cond}; unknown: {', '.join(out.missing)}",
                    facts=out.used, missing=tuple(out.missing),
                ))
            else:
                reasons.append(Reason(
                    "condition", Status.OPEN, f"fires: {cond} ({_fmt(out.used)})", facts=out.used,
                ))
        for eff in self.pack.effects_on(flow.id):
            rule = self.pack.rules[eff.rule]
            jur = rule.jurisdiction
            if not rule.in_force_on(self.as_of):
                reasons.append(Reason(
                    "rule-not-in-force", None,
                    f"{rule.name} ({eff.effect}) is not in force on {self.as_of}: "
                    f"in force {_dates(rule.starts, rule.ended)}",
                    rule=rule.id, effect=eff.effect, jurisdiction=jur,
                ))
                continue
            if eff.effect == "blocks":
                reasons.append(Reason(
                    "rule", Status.BLOCKED, f"blocked by {rule.name}",
                    rule=rule.id, effect=eff.effect, jurisdiction=jur,
                ))
            elif eff.effect == "allows-only-when":
                out = evaluate(eff.when, self.facts)
                cond = describe(eff.when)
                if out.value is False:
                    status, text = Status.BLOCKED, f"{rule.name} allows only when {cond}; " \
                        f"not met: {_fmt(out.used)}"
                elif out.value is None:
                    status, text = Status.CONDITIONAL, f"{rule.name} allows only when {cond}; " \
                        f"unknown: {', '.join(out.missing)}"
                else:
                    status, text = Status.OPEN, f"{rule.name} allows it: conditions met " \
                        f"({_fmt(out.used)})"
                reasons.append(Reason(
                    "rule", status, text, rule=rule.id, effect=eff.effect, jurisdiction=jur,
                    facts=out.used, missing=tuple(out.missing),
                ))
            else:
                note = f": {eff.note}" if eff.note else ""
                reasons.append(Reason(
                    "rule", None, f"{rule.name} does not touch this flow{note}",
                    rule=rule.id, effect=eff.effect, jurisdiction=jur,
                ))
        status = most_restrictive([r.status for r in reasons if r.status is not None])
        if flow.practice and status in (Status.BLOCKED, Status.CONDITIONAL) and any(
                r.kind == "rule" and r.status is status for r in reasons):
            reasons.append(Reason(
                "practice", None, f"but sources report it happening anyway: {flow.practice}",
            ))
        return HopStatus(flow.id, status, tuple(reasons))
