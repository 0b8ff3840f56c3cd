"""What-if scenarios: hypothetical rules and closed flows, compared with the pack as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphflow.core.dates import parse_optional
from graphflow.core.model import Pack
from graphflow.errors import GraphflowError, did_you_mean
from graphflow.packs.loader import build_rules
from graphflow.packs.references import check_rules
from graphflow.packs.schema import schema_problems
from graphflow.packs.yamlio import load_yaml


@dataclass(frozen=True)
class Scenario:
    """The changes a user assumes: rule files and flows to close."""

    rule_files: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.rule_files and not self.closed

    def as_dict(self) -> dict[str, Any]:
        return {"assume_rules": list(self.rule_files), "close": list(self.closed)}


def load_rule_file(pack: Pack, path: str) -> list[Any]:
    """Hypothetical rules in the pack's own rule format, fully checked (file:line errors)."""
    doc = load_yaml(Path(path))
    problems = schema_problems("rules", doc)
    if problems:
        raise problems[0].as_error()

    def date(value: Any, d: Any, key: tuple, end: bool = False):
        return parse_optional(value, end=end, where=d.where(key))

    rules = list(build_rules(doc, date, hypothetical=True).values())
    for rule in rules:
        if rule.id in pack.rules:
            raise GraphflowError(f"hypothetical rule id {rule.id!r} already exists in the pack",
                                 where=rule.where, hint="give the hypothetical rule a new id")
    problems = [p for p in check_rules(pack, rules) if p.severity == "error"]
    if problems:
        raise problems[0].as_error()
    return rules


def check_closed(pack: Pack, closed: Sequence[str]) -> list[str]:
    """Flow ids for --close, each checked to exist."""
    out = []
    for raw in closed:
        fid = raw.strip()
        if fid not in pack.flows:
            hint = did_you_mean(fid, pack.flows) or "see `graphflow list flows`"
            raise GraphflowError(f"--close: unknown flow {fid!r}", hint=hint)
        out.append(fid)
    return out


def apply(pack: Pack, scenario: Scenario) -> Pack:
    """A modified copy of the pack; the pack on disk and in memory is never changed."""
    if scenario.empty:
        return pack
    rules = [r for f in scenario.rule_files for r in load_rule_file(pack, f)]
    closed = check_closed(pack, scenario.closed)
    return pack.with_changes(extra_rules=rules, closed_flows=closed)
