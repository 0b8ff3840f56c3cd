"""Conditions are data, evaluated with three-valued (Kleene) logic. Never `eval`.

A condition is one of::

    {fact: ID, is: VALUE}          {fact: ID, in: [VALUES]}
    {fact: ID, lt|lte|gt|gte: N}   {all: [...]}  {any: [...]}  {not: COND}

A fact missing from the case is *unknown*; the result is True, False or None (unknown).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Truth = bool | None

_COMPARATORS = ("is", "in", "lt", "lte", "gt", "gte")


@dataclass
class Outcome:
    """The value of a condition, which known facts decided it, and which facts were unknown."""

    value: Truth
    used: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def facts_in(cond: Any) -> Iterator[tuple[str, Any]]:
    """Yield (fact id, compared value(s)) for every fact test in a condition."""
    if not isinstance(cond, Mapping):
        return
    if "fact" in cond:
        op = next((k for k in _COMPARATORS if k in cond), None)
        yield cond["fact"], cond.get(op) if op else None
        return
    for key in ("all", "any"):
        for sub in cond.get(key, []) or []:
            yield from facts_in(sub)
    if "not" in cond:
        yield from facts_in(cond["not"])


def _test(cond: Mapping[str, Any], value: Any) -> bool:
    if "is" in cond:
        return value == cond["is"]
    if "in" in cond:
        return value in cond["in"]
    if "lt" in cond:
        return value < cond["lt"]
    if "lte" in cond:
        return value <= cond["lte"]
    if "gt" in cond:
        return value > cond["gt"]
    if "gte" in cond:
        return value >= cond["gte"]
    raise ValueError(f"condition on {cond.get('fact')!r} has no comparator")


def evaluate(cond: Any, facts: Mapping[str, Any]) -> Outcome:
    """Evaluate a condition against case facts with three-valued logic."""
    if cond is None:
        return Outcome(True)
    if "fact" in cond:
        name = cond["fact"]
        if facts.get(name) is None:
            return Outcome(None, missing=[name])
        return Outcome(_test(cond, facts[name]), used={name: facts[name]})
    if "not" in cond:
        inner = evaluate(cond["not"], facts)
        return Outcome(None if inner.value is None else not inner.value, inner.used, inner.missing)
    if "all" in cond or "any" in cond:
        is_all = "all" in cond
        parts = [evaluate(sub, facts) for sub in cond["all" if is_all else "any"]]
        decisive = not is_all
        hits = [p for p in parts if p.value is decisive]
        if hits:  # one decisive part settles it; report only what decided it
            used: dict[str, Any] = {}
            for p in hits:
                used.update(p.used)
            return Outcome(decisive, used)
        unknown = [p for p in parts if p.value is None]
        used = {}
        for p in parts:
            used.update(p.used)
        if unknown:
            missing = list(dict.fromkeys(m for p in unknown for m in p.missing))
            return Outcome(None, used, missing)
        return Outcome(not decisive, used)
    raise ValueError(f"not a condition: {cond!r}")


def describe(cond: Any) -> str:
    """A short human reading of a condition."""
    if cond is None:
        return "always"
    if "fact" in cond:
        name = cond["fact"]
        if "is" in cond:
            val = cond["is"]
            if val is True:
                return name
            if val is False:
                return f"not {name}"
            return f"{name} = {val}"
        if "in" in cond:
            return f"{name} in ({', '.join(map(str, cond['in']))})"
        for op, sym in (("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">=")):
            if op in cond:
                return f"{name} {sym} {cond[op]}"
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    for key, word in (("all", " and "), ("any", " or ")):
        if key in cond:
            return "(" + word.join(describe(c) for c in cond[key]) + ")"
    return repr(cond)
