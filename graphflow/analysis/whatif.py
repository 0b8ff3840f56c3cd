"""What-if scenarios: hypothetical rules and closed flows, compared with the pack as it is.

A hypothetical rule is written in the pack's own rule format; it may omit citations (it is
marked hypothetical in every output instead: its name carries "[hypothetical]"). Each of its
effects is checked for authority: a rule of jurisdiction J may block or condition a flow only
if J (or a part of J) controls that flow (``controlled_by``, else its sender's). An effect
outside that authority is flagged ("outside nyc's authority: controlled by nys") and left out
of the changed pack, unless ``ignore_authority``; then it is applied and still flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graphflow.core.dates import parse_optional
from graphflow.core.model import Pack, Rule
from graphflow.errors import GraphflowError, did_you_mean
from graphflow.packs.loader import build_rules
from graphflow.packs.references import check_rules
from graphflow.packs.schema import schema_problems
from graphflow.packs.yamlio import load_yaml

HYPOTHETICAL = "[hypothetical]"
_NO_CITATIONS = "'citations' is a required property"


@dataclass(frozen=True)
class Scenario:
    """The changes a user assumes: rule files and flows to close."""

    rule_files: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    ignore_authority: bool = False

    @property
    def empty(self) -> bool:
        return not self.rule_files and not self.closed

    def as_dict(self) -> dict[str, Any]:
        return {"assume_rules": list(self.rule_files), "close": list(self.closed)}


@dataclass(frozen=True)
class Finding:
    """One effect of a hypothetical rule on a flow its jurisdiction does not control."""

    rule: str
    flow: str
    effect: str
    jurisdiction: str
    controlled_by: tuple[str, ...]
    applied: bool
    where: str = ""

    @property
    def text(self) -> str:
        ctrl = ", ".join(self.controlled_by) or "no jurisdiction"
        done = ("applied anyway (--ignore-authority)" if self.applied
                else "not applied (use --ignore-authority to apply it)")
        return (f"{self.rule} on {self.flow}: outside {self.jurisdiction}'s authority: "
                f"controlled by {ctrl}; {done}")

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "flow": self.flow, "effect": self.effect,
                "jurisdiction": self.jurisdiction, "controlled_by": list(self.controlled_by),
                "applied": self.applied, "text": self.text}


@dataclass(frozen=True)
class Prepared:
    """A scenario made concrete: the changed pack, its hypothetical rules, and the authority
    findings."""

    scenario: Scenario
    pack: Pack
    rules: tuple[Rule, ...] = ()
    closed: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return self.scenario.empty

    @property
    def rule_files(self) -> tuple[str, ...]:
        return self.scenario.rule_files

    def as_dict(self) -> dict[str, Any]:
        """The scenario as given (rule files, closed flows)."""
        return self.scenario.as_dict()

    def details(self) -> dict[str, Any]:
        """Each hypothetical rule (marked hypothetical, cited or not) and every effect found
        outside its rule's authority (applied only with ``ignore_authority``)."""
        return {
            "ignore_authority": self.scenario.ignore_authority,
            "hypothetical_rules": [{
                "id": r.id, "name": r.name, "jurisdiction": r.jurisdiction,
                "hypothetical": True, "cited": bool(r.citations),
                "effects": [{"flow": e.flow, "effect": e.effect} for e in r.effects],
            } for r in self.rules],
            "outside_authority": [f.as_dict() for f in self.findings],
        }


def _without_missing_citations(problems: list[Any]) -> list[Any]:
    return [p for p in problems if not p.what.endswith(_NO_CITATIONS)]


def load_rule_file(pack: Pack, path: str) -> list[Rule]:
    """Hypothetical rules in the pack's own rule format, fully checked (file:line errors);
    citations may be left out. Each rule's name is marked "[hypothetical]"."""
    doc = load_yaml(Path(path))
    problems = _without_missing_citations(schema_problems("rules", doc))
    if problems:
        raise problems[0].as_error()

    def date(value: Any, d: Any, key: tuple, end: bool = False):
        return parse_optional(value, end=end, where=d.where(key))

    rules = []
    for rule in build_rules(doc, date, hypothetical=True).values():
        if rule.id in pack.rules:
            raise GraphflowError(f"hypothetical rule id {rule.id!r} already exists in the pack",
                                 where=rule.where, hint="give the hypothetical rule a new id")
        if rule.jurisdiction not in pack.jurisdictions:
            rule = _named_jurisdiction(pack, rule)
        if rule.jurisdiction not in pack.jurisdictions:
            raise GraphflowError(
                f"hypothetical rule {rule.id!r}: unknown jurisdiction {rule.jurisdiction!r}",
                where=rule.where,
                hint=did_you_mean(rule.jurisdiction, pack.jurisdictions)
                or "one of: " + ", ".join(pack.jurisdictions))
        rules.append(rule)
    problems = [p for p in check_rules(pack, rules) if p.severity == "error"]
    if problems:
        raise problems[0].as_error()
    marked = []
    for rule in rules:
        name = rule.name if HYPOTHETICAL in rule.name else f"{rule.name} {HYPOTHETICAL}"
        if not rule.citations:
            name += " (no citation)"
        marked.append(replace(rule, name=name))
    return marked


def _named_jurisdiction(pack: Pack, rule: Rule) -> Rule:
    """A rule whose jurisdiction is given by name or level ("New York City", "city")."""
    want = rule.jurisdiction.strip().lower()
    for j in pack.jurisdictions.values():
        if want == j.name.lower():
            return replace(rule, jurisdiction=j.id)
    level = [j for j in pack.jurisdictions.values() if j.level == want]
    return replace(rule, jurisdiction=level[0].id) if len(level) == 1 else rule


def check_closed(pack: Pack, closed: Sequence[str]) -> list[str]:
    """Flow ids for --close (ids or names), each checked to exist."""
    out = []
    names = {f.name.lower(): f.id for f in pack.flows.values() if f.name}
    for raw in closed:
        fid = raw.strip()
        if fid not in pack.flows:
            fid = names.get(fid.lower(), fid)
        if fid not in pack.flows:
            hint = did_you_mean(fid, pack.flows) or "see `graphflow list flows`"
            raise GraphflowError(f"--close: unknown flow {raw.strip()!r}", hint=hint)
        out.append(fid)
    return out


def authority(pack: Pack, rule: Rule, ignore: bool) -> tuple[Rule, list[Finding]]:
    """The rule with only the effects its jurisdiction has the authority to make (all of
    them with ``ignore``), and a finding for each effect outside that authority."""
    from graphflow.analysis.cuts import jurisdiction_parts

    mine = jurisdiction_parts(pack, rule.jurisdiction)
    kept, findings = [], []
    for eff in rule.effects:
        flow = pack.flows[eff.flow]
        ctrl = pack.controllers_of(flow)
        if eff.effect == "does-not-touch" or mine.intersection(ctrl):
            kept.append(eff)
            continue
        findings.append(Finding(rule.id, eff.flow, eff.effect, rule.jurisdiction, ctrl,
                                ignore, eff.where))
        if ignore:
            kept.append(eff)
    return replace(rule, effects=tuple(kept)), findings


def prepare(pack: Pack, scenario: Scenario) -> Prepared:
    """The scenario applied to a copy of the pack (the pack on disk and in memory is never
    changed), with the authority findings."""
    if scenario.empty:
        return Prepared(scenario, pack)
    rules = [r for f in scenario.rule_files for r in load_rule_file(pack, f)]
    closed = check_closed(pack, scenario.closed)
    applied, findings = [], []
    for rule in rules:
        kept, found = authority(pack, rule, scenario.ignore_authority)
        applied.append(kept)
        findings += found
    changed = pack.with_changes(extra_rules=applied, closed_flows=closed)
    return Prepared(scenario, changed, tuple(rules), tuple(closed), tuple(findings))


def apply(pack: Pack, scenario: Scenario) -> Pack:
    """A modified copy of the pack; the pack on disk and in memory is never changed."""
    return prepare(pack, scenario).pack
