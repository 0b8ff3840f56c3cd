"""The vocabulary is defined once, as StrEnums in graphflow.core, and the JSON Schema of the
packs lists exactly the same values (read from schema/*.json, not copied here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphflow.core import model
from graphflow.core.status import ReasonKind, Status

SCHEMA = Path(__file__).resolve().parent.parent / "schema"


def _enum(file: str, *path: str) -> list:
    node = json.loads((SCHEMA / file).read_text(encoding="utf-8"))
    for key in path:
        node = node[key]
    return node["enum"]


@pytest.mark.parametrize("enum, file, path", [
    (model.ActorKind, "actors.schema.json",
     ("properties", "actors", "items", "properties", "kind")),
    (model.Level, "defs.schema.json", ("$defs", "level")),
    (model.Mechanism, "flows.schema.json",
     ("properties", "flows", "items", "properties", "mechanism")),
    (model.Basis, "flows.schema.json", ("properties", "flows", "items", "properties", "basis")),
    (model.FlowKind, "flows.schema.json", ("properties", "flows", "items", "properties", "kind")),
    (model.Confidence, "flows.schema.json",
     ("properties", "flows", "items", "properties", "confidence")),
    (model.EffectKind, "rules.schema.json", ("properties", "rules", "items", "properties",
                                             "effects", "items", "properties", "effect")),
    (model.RuleKind, "rules.schema.json", ("properties", "rules", "items", "properties", "kind")),
    (model.FactType, "facts.schema.json", ("properties", "facts", "items", "properties", "type")),
    (model.Grade, "defs.schema.json", ("$defs", "citation", "properties", "grade")),
])
def test_each_vocabulary_matches_its_schema_enum(enum, file, path):
    values = _enum(file, *path)
    assert sorted(e.value for e in enum) == sorted(values)
    assert len(values) == len(set(values))


def test_the_tuples_are_the_enums():
    assert tuple(model.ActorKind) == model.ACTOR_KINDS
    assert tuple(model.Level) == model.LEVELS
    assert tuple(model.Mechanism) == model.MECHANISMS
    assert tuple(model.Basis) == model.BASES
    assert tuple(model.EffectKind) == model.EFFECTS
    assert tuple(model.RuleKind) == model.RULE_KINDS
    assert tuple(model.Grade) == model.GRADES


def test_every_reason_and_status_on_nyc_is_in_the_vocabulary(nyc):
    """Computed over every hop of the NYC pack on two dates and every profile."""
    import datetime as dt

    from graphflow.core.status import StatusEvaluator

    kinds, statuses = set(), set()
    for day in (dt.date(2017, 3, 1), dt.date(2026, 12, 1)):
        for profile in nyc.profiles.values():
            ev = StatusEvaluator(nyc, {k: v for k, v in profile.facts.items() if v is not None},
                                 day)
            for f in nyc.flows:
                hop = ev.hop(f)
                statuses.add(hop.status)
                kinds.update(type(r.kind) for r in hop.reasons)
    assert kinds == {ReasonKind}
    assert statuses <= set(Status) and len(statuses) >= 3
