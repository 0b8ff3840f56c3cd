"""Cross-checks a schema cannot do: references, duplicates, dates, facts in conditions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphflow.core.conditions import DATE_OPS, SET_OPS, named_in, tests_in
from graphflow.core.dates import parse_date, parse_optional
from graphflow.core.model import GRADE_CAP, GRADES, Citation, Confidence, Fact, Pack
from graphflow.errors import GraphflowError, did_you_mean
from graphflow.packs.problems import Problem
from graphflow.packs.yamlio import YamlDoc

_LISTS = {
    "facts": "facts", "data_items": "data_items", "sources": "sources", "actors": "actors",
    "flows": "flows", "rules": "rules", "profiles": "profiles", "conflicts": "conflicts",
    "conditions": "conditions",
}


def duplicates(docs: dict[str, YamlDoc]) -> list[Problem]:
    """Ids defined twice within one layer's files."""
    out = []
    for kind, key in _LISTS.items():
        doc = docs.get(kind)
        if doc is None:
            continue
        seen: dict[str, int] = {}
        for i, item in enumerate(doc.data[key]):
            ident = item["id"]
            if ident in seen:
                out.append(Problem(
                    doc.where((key, i, "id")),
                    f"duplicate {kind[:-1].replace('_', ' ')} id {ident!r} "
                    f"(first at line {doc.line((key, seen[ident], 'id'))})",
                    "ids must be unique within a pack",
                ))
            else:
                seen[ident] = i
    jur = docs["pack"].data.get("jurisdictions", ())
    ids = [j["id"] for j in jur]
    for i, j in enumerate(ids):
        if j in ids[:i]:
            out.append(Problem(docs["pack"].where(("jurisdictions", i)),
                               f"duplicate jurisdiction id {j!r}"))
    return out


def _ref(where: str, what: str, value: str, pool: Iterable[str]) -> Problem:
    pool = list(pool)
    return Problem(where, f"{what} {value!r} does not exist",
                   did_you_mean(value, pool) or f"{len(pool)} known ids; check the spelling")


def _check_value(fact: Fact, value: Any) -> str | None:
    if value is None:
        return None
    if fact.type == "boolean" and not isinstance(value, bool):
        return f"fact {fact.id!r} is boolean, got {value!r}"
    if fact.type == "integer" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"fact {fact.id!r} is an integer, got {value!r}"
    if fact.type == "enum" and value not in fact.values:
        return f"{value!r} is not a value of fact {fact.id!r}"
    if fact.type == "date" and value != "none":
        if isinstance(value, bool) or not isinstance(value, str | int):
            return f"fact {fact.id!r} is a date (YYYY-MM-DD, or none), got {value!r}"
        try:
            parse_date(value)
        except GraphflowError as exc:
            return f"fact {fact.id!r}: {exc.what}"
    if fact.type == "set":
        if not isinstance(value, list):
            return f"fact {fact.id!r} is a set (a list of values), got {value!r}"
        bad = [v for v in value if fact.values and v not in fact.values]
        if bad:
            return f"{bad[0]!r} is not a value of fact {fact.id!r}"
    return None


_OP_TYPES = {**{op: "date" for op in DATE_OPS}, **{op: "set" for op in SET_OPS}}


def _condition(pack: Pack, cond: Any, where: str, what: str) -> list[Problem]:
    out = []
    for ref in named_in(cond):
        if ref not in pack.conditions:
            out.append(_ref(where, f"{what} names unknown named condition", ref,
                            pack.conditions))
    for name, op, value in tests_in(cond):
        fact = pack.facts.get(name)
        if fact is None:
            p = _ref(where, f"{what} names unknown fact", name, pack.facts)
            out.append(p)
            continue
        need = _OP_TYPES.get(op or "")
        if need and fact.type != need:
            out.append(Problem(where, f"{what}: {op!r} needs a {need} fact, but {name!r} is "
                               f"{fact.type}", f"declare {name!r} with type: {need} in "
                               "facts.yaml, or use is/in" if need == "date" else None))
            continue
        if not need and fact.type in ("date", "set"):
            ops = ", ".join(DATE_OPS if fact.type == "date" else SET_OPS)
            out.append(Problem(where, f"{what}: {name!r} is a {fact.type} fact; {op!r} does "
                               f"not apply to it", f"use {ops}"))
            continue
        if op in ("before", "after"):
            try:
                parse_date(value)
            except GraphflowError as exc:
                out.append(Problem(where, f"{what}: {op}: {exc.what}", exc.hint))
            continue
        if op == "within":
            continue
        if fact.type == "set":
            for v in value or []:
                if fact.values and v not in fact.values:
                    out.append(Problem(where, f"{what}: {v!r} is not a value of fact {name!r}",
                                       did_you_mean(str(v), fact.values)
                                       or "values: " + ", ".join(fact.values)))
            continue
        for v in value if isinstance(value, list) else [value]:
            bad = _check_value(fact, v)
            if bad and fact.type == "enum":
                out.append(Problem(where, f"{what}: {bad}",
                                   did_you_mean(str(v), fact.values) or
                                   "values: " + ", ".join(fact.values)))
            elif bad:
                out.append(Problem(where, f"{what}: {bad}"))
    return out


def _citations(pack: Pack, cites: Iterable[Citation]) -> list[Problem]:
    out = []
    for c in cites:
        if c.source not in pack.sources:
            out.append(_ref(c.where, "citation source", c.source, pack.sources))
        if c.original is not None:
            if c.original not in pack.sources:
                out.append(_ref(c.where, "citation original", c.original, pack.sources))
            elif c.original == c.source:
                out.append(Problem(c.where, f"citation original {c.original!r} is its own source",
                                   "original names the document the cited notes quote"))
        if c.date is not None:
            try:
                parse_optional(c.date, where=c.where)
            except GraphflowError as exc:
                out.append(Problem(c.where, f"citation date: {exc.what}", exc.hint))
        src = pack.sources.get(c.source)
        if src is not None and src.kind == "research":
            missing = [k for k in ("original", "grade") if getattr(c, k) is None]
            if missing:
                out.append(Problem(
                    c.where, f"citation of research notes {c.source!r} has no "
                    + " or ".join(missing),
                    "name the primary document the note quotes (original:) and the note's "
                    "tag (grade: verified | secondary | lead)", severity="warning"))
    return out


def citation_grade(pack: Pack, c: Citation) -> str:
    """How well a citation's fact is verified: its own grade, else verified when the quote is
    from the source itself (not from research notes), else lead."""
    if c.grade:
        return c.grade
    src = pack.sources.get(c.source)
    return "lead" if src is not None and src.kind == "research" else "verified"


def flow_grade(pack: Pack, cites: Iterable[Citation]) -> str | None:
    """The best grade among citations that document the channel operating (None if none do)."""
    grades = [citation_grade(pack, c) for c in cites if not c.shows]
    return min(grades, key=GRADES.index, default=None)


def _confidence(pack: Pack, f: Any) -> list[Problem]:
    """A flow's confidence may not exceed its evidence."""
    best = flow_grade(pack, f.citations)
    if best is None:
        if f.confidence.value != "alleged" and f.citations:
            shows = sorted({c.shows for c in f.citations if c.shows})
            return [Problem(f.where, f"flow {f.id!r} is {f.confidence.value!r}, but its "
                            f"citations only document that it is {' or '.join(shows)}",
                            "set confidence: alleged (the channel itself is not evidenced)")]
        return []
    cap = Confidence(GRADE_CAP[best])
    if f.confidence.rank > cap.rank:
        return [Problem(f.where, f"flow {f.id!r} is {f.confidence.value!r}, but its best "
                        f"evidence is graded {best!r}", f"at most {cap.value!r}")]
    return []


def unused_sources(pack: Pack) -> list[Problem]:
    """Warnings for sources that no citation names (as source or original)."""
    from graphflow.packs.quotes import all_citations

    used: set[str] = set()
    for c in all_citations(pack):
        used.add(c.source)
        if c.original:
            used.add(c.original)
    lay = pack.layering
    own = (lambda s: lay.layer_of("sources", s) in (None, pack.id)) if lay is not None else (
        lambda s: True)  # a base's sources are checked when the base is validated
    return [Problem(s.where, f"source {s.id!r} is not cited anywhere",
                    "cite it (source: or original:) or remove it", severity="warning")
            for s in pack.sources.values() if s.id not in used and own(s.id)]


def _order(where: str, a: Any, b: Any, what: str) -> list[Problem]:
    if a and b and a > b:
        return [Problem(where, f"impossible dates: {what} ({a} after {b})")]
    return []


def cross_check(pack: Pack, docs: dict[str, YamlDoc]) -> list[Problem]:
    """Every referential and semantic problem in a built pack (duplicate ids within a file
    are found per layer by ``duplicates``, see packs/layers.py)."""
    out: list[Problem] = []
    man = docs["pack"]
    for ident, j in pack.jurisdictions.items():
        if j.parent and j.parent not in pack.jurisdictions:
            out.append(_ref(man.where(("jurisdictions",)), "jurisdiction parent", j.parent,
                            pack.jurisdictions))
        del ident
    for key, value in (("default_trigger", pack.default_trigger),
                       ("default_target", pack.default_target)):
        if value and value not in pack.actors:
            out.append(_ref(man.where((key,)), key, value, pack.actors))
    for j in pack.sanctuary_jurisdictions:
        if j not in pack.jurisdictions:
            out.append(_ref(man.where(("sanctuary_jurisdictions",)), "sanctuary jurisdiction", j,
                            pack.jurisdictions))
    for fact in pack.facts.values():
        if fact.type == "enum" and not fact.values:
            out.append(Problem(docs["facts"].where(("facts",)) if "facts" in docs else pack.path,
                               f"enum fact {fact.id!r} has no values"))
    for a in pack.actors.values():
        if a.part_of and a.part_of not in pack.actors:
            out.append(_ref(a.where, f"actor {a.id!r}: part_of", a.part_of, pack.actors))
        for j in (*([a.jurisdiction] if a.jurisdiction else []), *a.controlled_by):
            if j not in pack.jurisdictions:
                out.append(_ref(a.where, f"actor {a.id!r}: jurisdiction", j, pack.jurisdictions))
        out += _order(a.where, a.valid_from, a.valid_to, f"actor {a.id!r} valid_from > valid_to")
        out += _citations(pack, a.citations)
    for a in pack.actors.values():  # part_of cycles
        seen, cur = {a.id}, a.part_of
        while cur and cur in pack.actors:
            if cur in seen:
                out.append(Problem(a.where, f"actor {a.id!r}: part_of forms a cycle"))
                break
            seen.add(cur)
            cur = pack.actors[cur].part_of
    for f in pack.flows.values():
        for end, value in (("from", f.source), ("to", f.target)):
            if value not in pack.actors:
                out.append(_ref(f.where, f"flow {f.id!r}: {end}", value, pack.actors))
        if f.source == f.target:
            out.append(Problem(f.where, f"flow {f.id!r} goes from {f.source!r} to itself"))
        for d in f.data:
            if d not in pack.data_items:
                out.append(_ref(f.where, f"flow {f.id!r}: data item", d, pack.data_items))
        for j in f.controlled_by:
            if j not in pack.jurisdictions:
                out.append(_ref(f.where, f"flow {f.id!r}: controlled_by", j, pack.jurisdictions))
        out += _order(f.where, f.valid_from, f.valid_to, f"flow {f.id!r} valid_from > valid_to")
        out += _condition(pack, f.when, f.where, f"flow {f.id!r} condition")
        out += _citations(pack, f.citations)
        out += _citations(pack, f.practice_citations)
        out += _confidence(pack, f)
    out += check_rules(pack, pack.rules.values())
    out += _named_conditions(pack)
    for f in pack.flows.values():
        if f.evidence:
            out += _claim_order(f.where, f.evidence, f"flow {f.id!r}")
    for p in pack.profiles.values():
        for name, value in p.facts.items():
            fact = pack.facts.get(name)
            if fact is None:
                out.append(_ref(p.where, f"profile {p.id!r} sets unknown fact", name, pack.facts))
                continue
            bad = _check_value(fact, value)
            if bad:
                out.append(Problem(p.where, f"profile {p.id!r}: {bad}",
                                   did_you_mean(str(value), fact.values) if fact.values else None))
        out += _citations(pack, p.citations)
    known = {*pack.actors, *pack.flows, *pack.rules, *pack.profiles, *pack.sources}
    for c in pack.conflicts.values():
        where = docs["conflicts"].where(("conflicts",)) if "conflicts" in docs else pack.path
        for ident in c.about:
            if ident not in known:
                out.append(_ref(where, f"conflict {c.id!r}: about", ident, known))
        out += _citations(pack, (cit for _, cit in c.positions))
    out += unused_sources(pack)
    return out


def _claim_order(where: str, claim: Any, what: str) -> list[Problem]:
    try:
        a = parse_date(claim.observed_from) if claim.observed_from else None
        b = parse_date(claim.last_verified, end=True) if claim.last_verified else None
    except GraphflowError:
        return []  # reported where the date was read
    return _order(where, a, b, f"{what} evidence observed_from > last_verified")


def _named_conditions(pack: Pack) -> list[Problem]:
    """Named conditions: their facts, unknown references, and references back to themselves."""
    out = []
    for c in pack.conditions.values():
        out += _condition(pack, c.when, c.where, f"named condition {c.id!r}")
    for c in pack.conditions.values():
        path, stack = [c.id], [(c.id, iter(named_in(c.when)))]
        while stack:
            _, refs = stack[-1]
            nxt = next(refs, None)
            if nxt is None:
                stack.pop()
                path.pop()
                continue
            if nxt == c.id:
                loop = " -> ".join([*path, nxt])
                out.append(Problem(c.where, f"named condition {c.id!r} refers to itself "
                                   f"({loop})", "a named condition cannot use itself"))
                break
            if nxt in pack.conditions and nxt not in path and len(path) < 64:
                path.append(nxt)
                stack.append((nxt, iter(named_in(pack.conditions[nxt].when))))
    return out


def _rule_links(pack: Pack, rules: Iterable[Any]) -> list[Problem]:
    """amends / supersedes: known rules, no rule amending itself, no cycles."""
    out = []
    for r in rules:
        for how, targets in (("amends", r.amends), ("supersedes", r.supersedes)):
            for t in targets:
                if t not in pack.rules:
                    out.append(_ref(r.where, f"rule {r.id!r}: {how}", t, pack.rules))
        seen, todo = [r.id], list(dict.fromkeys((*r.amends, *r.supersedes)))
        while todo:
            cur = todo.pop()
            if cur == r.id:
                out.append(Problem(r.where, f"rule {r.id!r}: amends/supersedes forms a cycle "
                                   f"(back to {r.id!r})",
                                   "a rule cannot amend itself, directly or through others"))
                break
            if cur in seen or cur not in pack.rules:
                continue
            seen.append(cur)
            other = pack.rules[cur]
            todo.extend((*other.amends, *other.supersedes))
    return out


def check_rules(pack: Pack, rules: Iterable[Any]) -> list[Problem]:
    """Problems in rules (also used for hypothetical rule files)."""
    rules = list(rules)
    out = _rule_links(pack, rules)
    for r in rules:
        if r.jurisdiction not in pack.jurisdictions and not r.hypothetical:
            out.append(_ref(r.where, f"rule {r.id!r}: jurisdiction", r.jurisdiction,
                            pack.jurisdictions))
        out += _order(r.where, r.enacted, r.effective, f"rule {r.id!r} enacted > effective")
        out += _order(r.where, r.starts, r.ended, f"rule {r.id!r} in force > ended")
        out += _citations(pack, r.citations)
        for e in r.effects:
            if e.flow not in pack.flows:
                out.append(_ref(e.where, f"rule {r.id!r}: effect on flow", e.flow, pack.flows))
            out += _condition(pack, e.when, e.where, f"rule {r.id!r} condition")
            out += _citations(pack, e.citations)
            out += _order(e.where, e.valid_from, e.valid_to,
                          f"rule {r.id!r} effect on {e.flow!r} from > to")
            if e.evidence:
                out += _claim_order(e.where, e.evidence, f"rule {r.id!r} effect on {e.flow!r}")
    return out


# ------------------------------------------------------------------ citations as readers need them

def source_dict(pack: Pack, source_id: str) -> dict[str, Any]:
    """A source as the reader needs it to find the document: id, title, publisher, date, URL."""
    src = pack.sources.get(source_id)
    out: dict[str, Any] = {"id": source_id}
    _add_source_fields(out, src, ("publisher", "date", "url", "kind"))
    return out


def _add_source_fields(out: dict[str, Any], src: Any, keys: tuple[str, ...]) -> None:
    """Copy a source's title and the given fields that are set into ``out``."""
    if src is None:
        return
    out["title"] = src.title
    for key in keys:
        value = getattr(src, key)
        if value:
            out[key] = str(value)


def citation_dict(pack: Pack, cit: Any) -> dict[str, Any]:
    """A citation as the reader needs it, in every format: the source's id, title, publisher,
    date, URL and file, the locator and quote, the passage's own date, the primary document a
    research note quotes (with its own title, publisher, date and URL), the grade, and what the
    passage shows."""
    src = pack.sources.get(cit.source)
    out = {"source": cit.source, "locator": cit.locator, "quote": cit.quote}
    _add_source_fields(out, src, ("publisher", "date", "url", "file"))
    if getattr(cit, "date", None):
        out["date"] = cit.date  # the passage's own date (a compilation of older texts)
    if getattr(cit, "original", None):
        out["original"] = source_dict(pack, cit.original)
    out["grade"] = citation_grade(pack, cit)
    if getattr(cit, "shows", None):
        out["shows"] = cit.shows
    return out
