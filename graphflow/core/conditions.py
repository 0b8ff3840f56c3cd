"""Conditions are data, evaluated with three-valued (Kleene) logic. Never `eval`.

A condition is one of::

    {fact: ID, is: VALUE}          {fact: ID, in: [VALUES]}
    {fact: ID, lt|lte|gt|gte: N}   {all: [...]}  {any: [...]}  {not: COND}
    {fact: DATE-FACT, within: {years|months|days: N}}   (on or before the query date, and
                                                         at most N back from it)
    {fact: DATE-FACT, before: YYYY-MM-DD}   {fact: DATE-FACT, after: YYYY-MM-DD}
                                        (a date fact may be "none": it never happened)
    {fact: SET-FACT, any_in: [VALUES]}  (the set has one of them)
    {fact: SET-FACT, all_in: [VALUES]}  (every value of the set is one of them)
    {condition: ID}                     (a named condition of the pack)

A fact missing from the case is *unknown*; the result is True, False or None (unknown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphflow.core.dates import add_months, parse_date

Truth = bool | None

_COMPARATORS = ("is", "in", "lt", "lte", "gt", "gte", "within", "before", "after",
                "any_in", "all_in")
DATE_OPS = ("within", "before", "after")
NO_DATE = "none"  # a date fact's value when the event never happened
SET_OPS = ("any_in", "all_in")
_UNITS = ("years", "months", "days")


@lru_cache(maxsize=4096)
def as_date(value: Any) -> dt.date:
    """A date fact's value (YYYY, YYYY-MM or YYYY-MM-DD) as a date."""
    return parse_date(value)


def shift_back(day: dt.date, span: Mapping[str, int]) -> dt.date:
    """``day`` minus a span of years, months and days (a 29 February lands on the 28th)."""
    months = span.get("years", 0) * 12 + span.get("months", 0)
    return add_months(day, -months) - dt.timedelta(days=span.get("days", 0))


def span_text(span: Mapping[str, int]) -> str:
    parts = [f"{span[u]} {u if span[u] != 1 else u[:-1]}" for u in _UNITS if span.get(u)]
    return " ".join(parts) or "0 days"


@dataclass
class Outcome:
    """The value of a condition, which known facts decided it, and which facts were unknown."""

    value: Truth
    used: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def facts_in(cond: Any) -> Iterator[tuple[str, Any]]:
    """Yield (fact id, compared value(s)) for every fact test in a condition."""
    for fact, _op, operand in tests_in(cond):
        yield fact, operand


def tests_in(cond: Any) -> Iterator[tuple[str, str | None, Any]]:
    """Yield (fact id, operator, operand) for every fact test in a condition."""
    if not isinstance(cond, Mapping):
        return
    if "fact" in cond:
        op = next((k for k in _COMPARATORS if k in cond), None)
        yield cond["fact"], op, cond.get(op) if op else None
        return
    for key in ("all", "any"):
        for sub in cond.get(key, []) or []:
            yield from tests_in(sub)
    if "not" in cond:
        yield from tests_in(cond["not"])


def named_in(cond: Any) -> Iterator[str]:
    """Yield the id of every named condition a condition refers to (not transitively)."""
    if not isinstance(cond, Mapping):
        return
    if "condition" in cond:
        yield cond["condition"]
        return
    for key in ("all", "any"):
        for sub in cond.get(key, []) or []:
            yield from named_in(sub)
    if "not" in cond:
        yield from named_in(cond["not"])


def _test(cond: Mapping[str, Any], value: Any, as_of: dt.date | None) -> bool:
    if "within" in cond or "before" in cond or "after" in cond:
        if value == NO_DATE:  # it never happened: in no window, before and after nothing
            return False
        day = as_date(value)
        if "within" in cond:
            ref = as_of or dt.date.today()
            return shift_back(ref, cond["within"]) <= day <= ref
        if "before" in cond:
            return day < as_date(cond["before"])
        return day > as_date(cond["after"])
    if "any_in" in cond:
        return any(v in cond["any_in"] for v in value)
    if "all_in" in cond:
        return all(v in cond["all_in"] for v in value)
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


def evaluate(cond: Any, facts: Mapping[str, Any], as_of: dt.date | None = None,
             named: Mapping[str, Any] | None = None) -> Outcome:
    """Evaluate a condition against case facts with three-valued logic; ``as_of`` is the query
    date (for ``within``), ``named`` maps named-condition ids to their conditions."""
    if cond is None:
        return Outcome(True)
    if "fact" in cond:
        name = cond["fact"]
        if facts.get(name) is None:
            return Outcome(None, missing=[name])
        return Outcome(_test(cond, facts[name], as_of), used={name: facts[name]})
    if "condition" in cond:
        if named is None or cond["condition"] not in named:
            raise ValueError(f"unknown named condition {cond['condition']!r}")
        return evaluate(named[cond["condition"]], facts, as_of, named)
    if "not" in cond:
        inner = evaluate(cond["not"], facts, as_of, named)
        return Outcome(None if inner.value is None else not inner.value, inner.used, inner.missing)
    if "all" in cond or "any" in cond:
        is_all = "all" in cond
        parts = [evaluate(sub, facts, as_of, named) for sub in cond["all" if is_all else "any"]]
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


def describe(cond: Any, named: Mapping[str, Any] | None = None) -> str:
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
        if "within" in cond:
            return f"{name} within {span_text(cond['within'])} before the query date"
        if "before" in cond:
            return f"{name} before {cond['before']}"
        if "after" in cond:
            return f"{name} after {cond['after']}"
        if "any_in" in cond:
            return f"{name} includes any of ({', '.join(map(str, cond['any_in']))})"
        if "all_in" in cond:
            return f"{name} all within ({', '.join(map(str, cond['all_in']))})"
    if "condition" in cond:
        ref = cond["condition"]
        if named and ref in named:
            return f"{ref} [{describe(named[ref], named)}]"
        return ref
    if "not" in cond:
        return f"not ({describe(cond['not'], named)})"
    for key, word in (("all", " and "), ("any", " or ")):
        if key in cond:
            return "(" + word.join(describe(c, named) for c in cond[key]) + ")"
    return repr(cond)
