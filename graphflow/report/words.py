"""Plain language for readers who are not programmers: conditions, reasons, dates, evidence.

Everything here reads the pack's structured data (a flow's or an effect's condition, the
facts that decided it, a rule's dates) and never parses the engine's technical reason text,
so the words stay right when that text changes. No Python reprs (``True``, ``None``), no
open-ended "… to now": a date range reads "since 2017-04-01", "until 2019-04-16" or
"from 2014-11-14 until 2019-04-16".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from graphflow.core.conditions import span_text, tests_in
from graphflow.core.model import Pack


def value_words(value: Any) -> str:
    """A fact value as a reader says it: yes/no, "custodial arrest", "a, b"."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "unknown"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(value_words(v) for v in value) or "none"
    return str(value).replace("-", " ")


def fact_words(fact: str) -> str:
    return fact.replace("-", " ")


def _or(values: Any) -> str:
    items = [value_words(v) for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


_TEST_WORDS: dict[str, Any] = {  # a fact test's operator and operand, after the fact's name
    "is": lambda v: f"is {value_words(v)}", "in": lambda v: f"is {_or(v)}",
    "lt": lambda v: f"below {v}", "lte": lambda v: f"at most {v}",
    "gt": lambda v: f"above {v}", "gte": lambda v: f"at least {v}",
    "within": lambda v: f"within the last {span_text(v)}",
    "before": lambda v: f"before {v}", "after": lambda v: f"after {v}",
    "any_in": lambda v: f"includes {_or(v)}", "all_in": lambda v: f"only {_or(v)}",
}


def cond_words(cond: Any, named: Mapping[str, Any] | None = None, *, top: bool = True) -> str:
    """A condition in words: "has court date", "arrest type is custodial arrest or desk
    appearance ticket", "last violent or serious conviction within the last 5 years"."""
    if cond is None:
        return "always"
    if "condition" in cond:
        inner = (named or {}).get(cond["condition"])
        return cond_words(inner, named, top=top) if inner is not None else \
            fact_words(cond["condition"])
    if "fact" in cond:
        # the operator as the engine finds it (core.conditions.tests_in), said in words
        fact, op, val = next(tests_in(cond))
        name = fact_words(fact)
        if op == "is" and isinstance(val, bool):
            return name if val else f"not {name}"
        said = _TEST_WORDS.get(op or "")
        return f"{name} {said(val)}" if said else name
    if "not" in cond:
        return f"not ({cond_words(cond['not'], named, top=False)})"
    for key, word in (("all", " and "), ("any", " or ")):
        if key in cond:
            text = word.join(cond_words(c, named, top=False) for c in cond[key])
            return text if top else f"({text})"
    return "a condition"


def _enum_every(cond: Any) -> str | None:
    """For a single enum test: "every custodial arrest or desk appearance ticket"."""
    if isinstance(cond, Mapping) and "fact" in cond:
        if "in" in cond:
            return "every " + _or(cond["in"])
        if "is" in cond and not isinstance(cond["is"], bool):
            return "every " + value_words(cond["is"])
    return None


def fires_words(cond: Any, named: Mapping[str, Any] | None = None) -> str:
    """When a flow fires, as a reader says it: "fires for every custodial arrest or desk
    appearance ticket", "fires when has court date", "fires every time (no condition)"."""
    if cond is None:
        return "fires every time (no condition)"
    every = _enum_every(cond)
    return f"fires for {every}" if every else f"fires when {cond_words(cond, named)}"


def when_words(cond: Any, named: Mapping[str, Any] | None = None) -> str | None:
    """A rule effect's condition in words ("only when judicial warrant and ..."), or None."""
    return None if cond is None else f"only when {cond_words(cond, named)}"


def this_person(facts: Mapping[str, Any]) -> str:
    """ "(this person: custodial arrest)" from the facts that decided a condition."""
    if not facts:
        return ""
    if len(facts) == 1:
        return f" (this person: {value_words(next(iter(facts.values())))})"
    return " (this person: " + "; ".join(f"{fact_words(k)}: {value_words(v)}"
                                         for k, v in facts.items()) + ")"


def unknown_words(missing: Any) -> str:
    return " (unknown for this person: " + ", ".join(fact_words(m) for m in missing) + ")"


def span_words(start: Any, stop: Any) -> str:
    """A validity range in words: "since X", "until Y", "from X until Y", "always"."""
    if start and stop:
        return f"from {start} until {stop}"
    if start:
        return f"since {start}"
    if stop:
        return f"until {stop}"
    return "at all times"


def rule_name(pack: Pack, rule_id: str | None) -> str:
    rule = pack.rules.get(rule_id) if rule_id else None
    return rule.name if rule is not None else str(rule_id)


def _effect_when(pack: Pack, flow_id: str, rule_id: str, as_of: dt.date | None) -> Any:
    effs = [e for e in pack.effects_on(flow_id) if e.rule == rule_id and e.when is not None]
    if as_of is not None:
        live = [e for e in effs if e.in_force_on(as_of)]
        effs = live or effs
    return effs[0].when if effs else None


# Reasons that say why something does NOT matter: shown only with --verbose.
QUIET_KINDS = ("rule-not-in-force",)


def is_quiet(reason: Mapping[str, Any]) -> bool:
    """Whether a reason only says that a rule does not apply (does not touch the flow, or is
    not in force on the date): the verbose view shows these, the others do not."""
    return reason.get("kind") in QUIET_KINDS or (
        reason.get("kind") == "rule" and reason.get("effect") == "does-not-touch")


def reason_words(pack: Pack, flow_id: str, reason: Mapping[str, Any],
                 as_of: dt.date | None = None) -> str:
    """One reason (a ``Reason.as_dict()``) in plain language."""
    kind, status = reason.get("kind"), reason.get("status")
    facts = reason.get("facts") or {}
    missing = reason.get("missing") or ()
    named = {k: c.when for k, c in pack.conditions.items()}
    if kind == "validity":
        flow = pack.flows.get(flow_id)
        if flow is None:
            return reason.get("text", "")
        return f"this channel does not exist on this date: it runs only " \
            f"{span_words(flow.valid_from, flow.valid_to)}"
    if kind == "condition":
        flow = pack.flows.get(flow_id)
        cond = flow.when if flow is not None else None
        every = _enum_every(cond)
        what = f"for {every}" if every else f"when {cond_words(cond, named)}"
        if status == "open":  # a yes/no fact that fired says nothing more about the person
            plain = all(isinstance(v, bool) for v in facts.values())
            return f"fires {what}{'' if plain else this_person(facts)}"
        if status == "not-triggered":
            return f"does not fire: it fires only {what}{this_person(facts)}"
        return f"may fire: it fires only {what}{unknown_words(missing)}"
    if kind == "rule-not-in-force":
        rule = pack.rules.get(reason.get("rule") or "")
        if rule is not None and as_of is not None and not rule.in_force_on(as_of):
            when = span_words(rule.starts, rule.ended)
            return f"{rule.name} does not apply on this date: it is in force {when}"
        return str(reason.get("text", ""))
    if kind == "rule":
        name = rule_name(pack, reason.get("rule"))
        effect = reason.get("effect")
        if effect == "blocks":
            return f"blocked by {name}"
        if effect == "allows-only-when":
            cond = _effect_when(pack, flow_id, reason.get("rule") or "", as_of)
            need = cond_words(cond, named)
            if status == "open":
                return f"allowed by {name}, whose condition is met: {need}{this_person(facts)}"
            if status == "blocked":
                return f"blocked by {name}, which allows it only when {need}" \
                    f"{this_person(facts)}"
            return f"may be blocked by {name}, which allows it only when {need}" \
                f"{unknown_words(missing)}"
        note = ""
        for eff in pack.effects_on(flow_id):
            if eff.rule == reason.get("rule") and eff.effect == "does-not-touch" and eff.note:
                note = ": " + " ".join(eff.note.split())
                break
        return f"{name} does not restrict this channel{note}"
    if kind == "practice":
        flow = pack.flows.get(flow_id)
        note = " ".join((flow.practice or "").split()) if flow is not None else ""
        return "but sources report it happening anyway" + (f": {note}" if note else "")
    return " ".join(str(reason.get("text", "")).split())


def short_name(name: str) -> str:
    """An actor's name without its parenthesised aside: "NYPD Central Booking"."""
    import re

    text = name
    while True:  # innermost " (...)" asides first; "287(g)" has no space and stays
        cut = re.sub(r" \([^()]*\)", "", text)
        if cut == text:
            break
        text = cut
    return " ".join(text.split()) or name


def actor_name(pack: Pack, actor_id: str) -> str:
    actor = pack.actors.get(actor_id)
    return short_name(actor.name) if actor is not None else actor_id


MECHANISM_WORDS = {
    "automatic": "automatic", "routine": "routine", "on-request": "on request",
    "discretionary": "at an official's discretion", "physical-presence": "in person",
    "custody-transfer": "custody transfer", "query": "by a database query",
    "public-record": "from a public record",
}


def evidence_words(evidence: Mapping[str, Any] | None, as_of: str) -> str:
    """The evidence *state* (how current the sources are for the date), never the grade:
    "evidence current", "evidence stale: ends 2002-12-31 (asked for 2017-03-01)",
    "evidence unverified: no cited source has a date"."""
    if not evidence or evidence.get("state") == "current":
        last = (evidence or {}).get("last_evidenced")
        return "evidence current" + (f" (latest source {last})" if last else "")
    if evidence["state"] == "stale":
        return f"evidence stale: it ends {evidence.get('last_evidenced')} (asked for {as_of})"
    return f"evidence unverified: {evidence.get('note') or 'no source covers this date'}"


GRADE_WORDS = {
    "verified": "sources verified",
    "secondary": "sources secondary",  # a research note that quotes the document
    "lead": "sources: a lead only",  # an unverified research note
}
