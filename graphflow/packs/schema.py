"""JSON Schema validation of pack files, reported as file:line problems.

Validation is done by jsonschema-rs (a maintained, compiled validator). Only a document it
refuses is walked again by the ``jsonschema`` package, whose errors and ``best_match`` give the
messages and hints; if that finds nothing (the two disagree, e.g. on a mapping key that is not
text), jsonschema-rs's own messages are reported, so a refused document always has problems.
Before either runs, conditions nested deeper than ``MAX_CONDITION_DEPTH`` are refused with
their line (both validators recurse on them).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from graphflow.errors import did_you_mean
from graphflow.packs.locate import schema_root
from graphflow.packs.problems import Problem
from graphflow.packs.yamlio import YamlDoc

MAX_CONDITION_DEPTH = 64  # all/any/not levels in one `when:`


@cache
def _schemas() -> dict[str, dict]:
    docs = {}
    for path in sorted(schema_root().glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        docs[doc["$id"]] = doc
    return docs


@cache
def _registry() -> Registry:
    return Registry().with_resources(
        (uri, Resource.from_contents(doc)) for uri, doc in _schemas().items())


@cache
def _rs_validator(kind: str) -> Any:
    docs = _schemas()
    registry = jsonschema_rs.Registry(list(docs.items()))
    return jsonschema_rs.validator_for(docs[f"{kind}.schema.json"], registry=registry)


def is_valid(kind: str, data: Any) -> bool:
    """True if ``data`` is valid against the schema of ``kind`` (jsonschema-rs)."""
    try:
        return bool(_rs_validator(kind).is_valid(data))
    except (ValueError, TypeError, OverflowError):  # e.g. a mapping key that is not text
        return False


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator for one file kind (pack, actors, flows, ...)."""
    reg = _registry()
    schema = reg.contents(f"{kind}.schema.json")
    return Draft202012Validator(schema, registry=reg)


def _extra_keys(err: ValidationError) -> list[str]:
    """The keys an ``additionalProperties`` error is about (none for other errors)."""
    if err.validator != "additionalProperties" or not isinstance(err.instance, dict):
        return []
    allowed = err.schema.get("properties", {})
    return [k for k in err.instance if k not in allowed]


def _hint(err: ValidationError) -> str | None:
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(err.schema.get("properties", {}))
        extra = _extra_keys(err)
        for key in extra:
            hint = did_you_mean(str(key), allowed)
            if hint:
                return hint
        return "allowed keys: " + ", ".join(allowed)
    if err.validator == "enum" and isinstance(err.instance, str):
        options = [str(v) for v in err.validator_value if v is not None]
        return did_you_mean(err.instance, options) or "one of: " + ", ".join(options)
    if err.validator == "pattern":
        if "https?" in str(err.validator_value):
            return "a url starts with http:// or https:// and has no spaces"
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


def _conditions(kind: str, data: Any) -> list[tuple[tuple, Any]]:
    """The `when:` conditions of a flows, rules or named-conditions document, by path (any shape
    accepted)."""
    items = data.get(kind) if isinstance(data, dict) else None
    if kind not in ("flows", "rules", "conditions") or not isinstance(items, list):
        return []
    found = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if kind in ("flows", "conditions"):
            found.append(((kind, i, "when"), item.get("when")))
        elif isinstance(item.get("effects"), list):
            found += [((kind, i, "effects", j, "when"), e.get("when"))
                      for j, e in enumerate(item["effects"]) if isinstance(e, dict)]
    return found


def deep_conditions(kind: str, doc: YamlDoc) -> list[Problem]:
    """A problem for each condition nested deeper than MAX_CONDITION_DEPTH, at the line where
    it goes too deep (walked without recursion)."""
    problems = []
    for key, cond in _conditions(kind, doc.data):
        todo = [(cond, 1, key)]
        while todo:
            node, depth, at = todo.pop()
            if depth > MAX_CONDITION_DEPTH:
                problems.append(Problem(
                    doc.where(at), f"condition nested more than {MAX_CONDITION_DEPTH} levels "
                    "deep", "simplify it (see docs/pack-format.md, Limits)"))
                break
            if not isinstance(node, dict):
                continue
            for op in ("all", "any"):
                if isinstance(node.get(op), list):
                    todo += [(c, depth + 1, (*at, op, n)) for n, c in enumerate(node[op])]
            if "not" in node:
                todo.append((node["not"], depth + 1, (*at, "not")))
    return problems


def _rs_problems(kind: str, doc: YamlDoc) -> list[Problem]:
    try:
        errors = list(_rs_validator(kind).iter_errors(doc.data))
    except (ValueError, TypeError, OverflowError) as exc:
        return [Problem(doc.where(()), f"not JSON-compatible data: {exc}",
                        "mapping keys must be text")]
    return [Problem(doc.where(tuple(e.instance_path)),
                    f"{'/'.join(map(str, e.instance_path)) or '(top level)'}: {e.message}"[:160])
            for e in errors]


def schema_problems(kind: str, doc: YamlDoc) -> list[Problem]:
    """Every schema violation in a document, with file:line and a hint (none if valid)."""
    deep = deep_conditions(kind, doc)
    if deep:
        return deep
    if is_valid(kind, doc.data):
        return []
    problems = []
    try:
        errors = sorted(validator(kind).iter_errors(doc.data),
                        key=lambda e: list(map(str, e.path)))
    except (RecursionError, TypeError, ValueError):
        errors = []
    for err in errors:
        leaf = _leaf(err)
        path = tuple(leaf.absolute_path)
        where = doc.where((*path, *_extra_keys(leaf)[:1]))  # an unknown key: at its own line
        loc = "/".join(map(str, path)) or "(top level)"
        message = leaf.message
        if len(message) > 160:
            message = message[:157] + "..."
        problems.append(Problem(where, f"{loc}: {message}", _hint(leaf)))
    return problems or _rs_problems(kind, doc)
