"""JSON Schema validation of pack files, reported as file:line problems."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from graphflow.errors import did_you_mean
from graphflow.packs.locate import schema_root
from graphflow.packs.problems import Problem
from graphflow.packs.yamlio import YamlDoc


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(schema_root().glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator for one file kind (pack, actors, flows, ...)."""
    reg = _registry()
    schema = reg.contents(f"{kind}.schema.json")
    return Draft202012Validator(schema, registry=reg)


def _hint(err: ValidationError) -> str | None:
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        for key in extra:
            hint = did_you_mean(str(key), allowed)
            if hint:
                return hint
        return "allowed keys: " + ", ".join(allowed)
    if err.validator == "enum" and isinstance(err.instance, str):
        options = [str(v) for v in err.validator_value if v is not None]
        return did_you_mean(err.instance, options) or "one of: " + ", ".join(options)
    if err.validator == "pattern":
        if "\\d{4}" in str(err.validator_value):
            return "dates are YYYY-MM-DD (or YYYY-MM, YYYY)"
        return "ids are kebab-case: lower-case letters, digits and single hyphens"
    if err.validator == "required":
        return "see docs/pack-format.md"
    return None


def _leaf(err: ValidationError) -> ValidationError:
    while err.context:
        err = best_match(err.context)
    return err


def schema_problems(kind: str, doc: YamlDoc) -> list[Problem]:
    """Every schema violation in a document, with file:line and a hint."""
    problems = []
    for err in sorted(validator(kind).iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        leaf = _leaf(err)
        path = tuple(leaf.absolute_path)
        where = doc.where(path)
        loc = "/".join(map(str, path)) or "(top level)"
        message = leaf.message
        if len(message) > 160:
            message = message[:157] + "..."
        problems.append(Problem(where, f"{loc}: {message}", _hint(leaf)))
    return problems


def validate_data(kind: str, data: Any) -> list[str]:
    """Plain schema messages for data that did not come from a file."""
    return [_leaf(e).message for e in validator(kind).iter_errors(data)]
