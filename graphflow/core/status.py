"""Hop status: what happens to one flow for one person on one day, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, partial
from typing import Any

from graphflow.core.conditions import describe, evaluate
from graphflow.core.evidence import Evidence, assess, effect_span, flow_span, weakest_evidence
from graphflow.core.model import Effect, EffectKind, Flow, Pack, Rule


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
BY_SEVERITY = {s.severity: s for s in Status}  # severity -> Status


def most_restrictive(statuses: list[Status]) -> Status:
    """inactive > blocked > not-triggered > conditional > open."""
    return max(statuses, key=lambda s: s.severity, default=Status.OPEN)


# Rule kinds whose text, while in force, is its own evidence of what the rule does: their
# effects do not age with the evidence horizon. The other kinds (memo, policy, protocol,
# directive) are agency practice, and their evidence ages like a flow's.
BINDING_KINDS = frozenset({"law", "regulation", "court-ruling", "executive-order"})

STOP = 2  # severities from here on stop the information: not-triggered, blocked, inactive


def fold_level(acc: int, level: int) -> int:
    """A route's level so far (``acc``) after one more hop of ``level``: the rule of where the
    information stops, on severities, one hop at a time. Once a hop at ``STOP`` or above is
    reached, later hops change nothing; before it, the highest level wins. This is the one
    definition: ``route_status`` folds it, and the engines' walkers inline it."""
    return level if acc < STOP and level > acc else acc


def route_status(statuses: Iterable[Status]) -> Status:
    """A route's status: that of its first hop, in path order, that stops the information
    (not-triggered, blocked or inactive); if none does, conditional when a hop is
    conditional, else open. Later hops cannot change what happened at the first stop."""
    lvl = 0
    for s in statuses:
        lvl = fold_level(lvl, s.severity)
    return BY_SEVERITY[lvl]


class ReasonKind(StrEnum):
    """Where a reason behind a hop's status comes from."""

    VALIDITY = "validity"  # the flow's own dates
    CONDITION = "condition"  # the flow's trigger condition
    RULE = "rule"  # a rule in force
    RULE_NOT_IN_FORCE = "rule-not-in-force"  # a rule that does not apply on the date
    PRACTICE = "practice"  # sources report the flow happening despite the rules


@dataclass(frozen=True)
class Reason:
    """One reason behind a hop's status."""

    kind: ReasonKind
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
    evidence_of: Callable[[], Evidence] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def evidence(self) -> Evidence:
        """The hop's evidence state on the query date (computed on first use)."""
        return self.evidence_of() if self.evidence_of else Evidence("current", None)

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(m for r in self.reasons for m in r.missing))

    @property
    def touched_by(self) -> list[str]:
        """Rules in force that block or condition this hop."""
        return [
            r.rule for r in self.reasons
            if r.kind == ReasonKind.RULE and r.rule
            and r.effect in (EffectKind.BLOCKS, EffectKind.ALLOWS_ONLY_WHEN)
        ]

    @property
    def practice_reported(self) -> bool:
        """Closed or conditional by rule, yet sources report the flow happening."""
        return any(r.kind == ReasonKind.PRACTICE for r in self.reasons)



def _fmt(facts: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_val(v)}" for k, v in facts.items())


def _val(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _rule_name(rule: Rule) -> str:
    """A rule's name, saying which rules it amends or supersedes."""
    out = rule.name
    if rule.amends:
        out += f" (amending {', '.join(rule.amends)})"
    if rule.supersedes:
        out += f" (superseding {', '.join(rule.supersedes)})"
    return out


def _dates(start: dt.date | None, stop: dt.date | None) -> str:
    """In words, as graphflow.report.words.span_words: since X, until Y, at all times."""
    if start and stop:
        return f"from {start} until {stop}"
    if start:
        return f"since {start}"
    return f"until {stop}" if stop else "at all times"


class _Dated:
    """What depends on the query date alone: whether an effect applies, and the evidence
    state of each flow (cached). Kept apart from the evaluator so that the hop statuses the
    evaluator caches point back to no evaluator (no reference cycle: a finished query's
    statuses are freed at once, not left to the cyclic GC)."""

    def __init__(self, pack: Pack, as_of: dt.date, horizon: int):
        self.pack = pack
        self.as_of = as_of
        self.horizon = horizon
        self._evidence: dict[str, Evidence] = {}

    def evidence(self, flow_id: str) -> Evidence:
        cached = self._evidence.get(flow_id)
        if cached is None:
            day, months = self.as_of, self.horizon
            items = [assess(flow_span(self.pack, flow_id), day, months, f"flow {flow_id}")]
            for eff in self.pack.effects_on(flow_id):
                if eff.effect == "does-not-touch" or not self.applies(eff)[0]:
                    continue
                if eff.evidence is None and self.pack.rules[eff.rule].kind in BINDING_KINDS:
                    continue  # a binding text in force is its own evidence (see evidence())
                items.append(assess(effect_span(self.pack, eff.rule, flow_id), day, months,
                                    f"rule {eff.rule}"))
            cached = self._evidence[flow_id] = weakest_evidence(_unique(items))
        return cached

    def applies(self, eff: Effect) -> tuple[bool, str]:
        rule = self.pack.rules[eff.rule]
        day = self.as_of
        if not rule.in_force_on(day):
            return False, (f"{rule.name} ({eff.effect}) is not in force on {day}: "
                           f"in force {_dates(rule.starts, rule.ended)}")
        if not eff.in_force_on(day):
            return False, (f"{rule.name} ({eff.effect}) applies to this flow only "
                           f"{_dates(eff.valid_from, eff.valid_to)}, not on {day}")
        for other_id, how in self.pack.overridden_by(rule.id):
            other = self.pack.rules.get(other_id)
            if other is None or not other.in_force_on(day):
                continue
            if how == "supersedes" or any(
                    e.flow == eff.flow and e.in_force_on(day) for e in other.effects):
                verb = "superseded" if how == "supersedes" else "amended"
                return False, (f"{rule.name} ({eff.effect}) was {verb} by {other.name}"
                               + (f" since {other.starts}" if other.starts else ""))
        return True, ""


def _unique(items: list[Evidence]) -> list[Evidence]:
    """One item per rule (a rule with several effects on a flow is assessed once)."""
    seen: set[str] = set()
    out = []
    for e in items:
        if e.about not in seen:
            seen.add(e.about)
            out.append(e)
    return out


class StatusEvaluator:
    """Computes hop statuses for one case (facts) on one day, with a per-flow cache."""

    def __init__(self, pack: Pack, facts: Mapping[str, Any], as_of: dt.date,
                 horizon_months: int | None = None):
        self.pack = pack
        self.facts = dict(facts)
        self.as_of = as_of
        self.horizon = pack.evidence_horizon_months if horizon_months is None else horizon_months
        self.named = {k: c.when for k, c in pack.conditions.items()}
        self._cache: dict[str, HopStatus] = {}
        self._dated = _Dated(pack, as_of, self.horizon)

    def evidence(self, flow_id: str) -> Evidence:
        """The weakest evidence of a flow and of the effects that restrict it on the query date.
        A rule's "does not touch" is a reading of the rule, not evidence that ages; and the
        effect of a binding text (``BINDING_KINDS``: a law, regulation, court ruling or
        executive order) counts as current for as long as the rule is in force and applies
        (not amended or superseded), unless the pack states that effect's evidence
        explicitly: the text in force says what it says. Memos, policies, protocols and
        directives are agency practice, and their evidence ages with the horizon."""
        return self._dated.evidence(flow_id)

    def _applies(self, eff: Effect) -> tuple[bool, str]:
        """Whether an effect applies on the query date, and why not if not."""
        return self._dated.applies(eff)

    def hop(self, flow_id: str) -> HopStatus:
        cached = self._cache.get(flow_id)
        if cached is None:
            cached = self._cache[flow_id] = self._compute(self.pack.flows[flow_id])
        return cached

    def _compute(self, flow: Flow) -> HopStatus:
        reasons: list[Reason] = []
        if not flow.active_on(self.as_of):
            reasons.append(Reason(
                ReasonKind.VALIDITY, Status.INACTIVE,
                f"flow exists only {_dates(flow.valid_from, flow.valid_to)}",
            ))
        if flow.when is not None:
            out = evaluate(flow.when, self.facts, self.as_of, self.named)
            cond = describe(flow.when, self.named)
            if out.value is False:
                reasons.append(Reason(
                    ReasonKind.CONDITION, Status.NOT_TRIGGERED,
                    f"fires only when {cond}; here {_fmt(out.used)}", facts=out.used,
                ))
            elif out.value is None:
                reasons.append(Reason(
                    ReasonKind.CONDITION, Status.CONDITIONAL,
                    f"fires only when {cond}; unknown: {', '.join(out.missing)}",
                    facts=out.used, missing=tuple(out.missing),
                ))
            else:
                reasons.append(Reason(
                    ReasonKind.CONDITION, Status.OPEN, f"fires: {cond} ({_fmt(out.used)})",
                    facts=out.used,
                ))
        for eff in self.pack.effects_on(flow.id):
            rule = self.pack.rules[eff.rule]
            jur = rule.jurisdiction
            applies, why = self._applies(eff)
            if not applies:
                reasons.append(Reason(
                    ReasonKind.RULE_NOT_IN_FORCE, None, why,
                    rule=rule.id, effect=eff.effect, jurisdiction=jur,
                ))
                continue
            rname = _rule_name(rule)
            if eff.effect == "blocks":
                reasons.append(Reason(
                    ReasonKind.RULE, Status.BLOCKED, f"blocked by {rname}",
                    rule=rule.id, effect=eff.effect, jurisdiction=jur,
                ))
            elif eff.effect == "allows-only-when":
                out = evaluate(eff.when, self.facts, self.as_of, self.named)
                cond = describe(eff.when, self.named)
                if out.value is False:
                    status, text = Status.BLOCKED, f"{rname} allows only when {cond}; " \
                        f"not met: {_fmt(out.used)}"
                elif out.value is None:
                    status, text = Status.CONDITIONAL, f"{rname} allows only when {cond}; " \
                        f"unknown: {', '.join(out.missing)}"
                else:
                    status, text = Status.OPEN, f"{rname} allows it: conditions met " \
                        f"({_fmt(out.used)})"
                reasons.append(Reason(
                    ReasonKind.RULE, status, text, rule=rule.id, effect=eff.effect,
                    jurisdiction=jur, facts=out.used, missing=tuple(out.missing),
                ))
            else:
                note = f": {eff.note}" if eff.note else ""
                reasons.append(Reason(
                    ReasonKind.RULE, None, f"{rname} does not touch this flow{note}",
                    rule=rule.id, effect=eff.effect, jurisdiction=jur,
                ))
        status = most_restrictive([r.status for r in reasons if r.status is not None])
        if flow.practice and status in (Status.BLOCKED, Status.CONDITIONAL) and any(
                r.kind == ReasonKind.RULE and r.status is status for r in reasons):
            reasons.append(Reason(
                ReasonKind.PRACTICE, None,
                f"but sources report it happening anyway: {flow.practice}",
            ))
        return HopStatus(flow.id, status, tuple(reasons), partial(self._dated.evidence, flow.id))
