"""Explain one thing in a pack (flow, rule, actor, source, profile, route) with its evidence."""

from __future__ import annotations

from typing import Any

from graphflow.core.model import Pack
from graphflow.packs.references import citation_dict
from graphflow.report.routes import NOTICE, source_text
from graphflow.report.words import fires_words, span_words, when_words


def _cites(pack: Pack, cites: Any) -> list[dict[str, Any]]:
    return [citation_dict(pack, c) for c in cites]


def _named(pack: Pack) -> dict[str, Any]:
    return {k: c.when for k, c in pack.conditions.items()}


def explain_flow(pack: Pack, ident: str) -> dict[str, Any]:
    """A flow: ``fires_when`` and each rule's ``when`` in words; ``condition`` holds the
    pack's condition as written (None: always), for programs."""
    f = pack.flows[ident]
    named = _named(pack)
    governed = []
    for eff in pack.effects_on(ident):
        rule = pack.rules[eff.rule]
        governed.append({
            "rule": rule.id, "name": rule.name, "jurisdiction": rule.jurisdiction,
            "effect": eff.effect, "when": when_words(eff.when, named),
            "condition": eff.when, "in_force": span_words(rule.starts, rule.ended),
            "note": eff.note,
            "sources": _cites(pack, eff.citations or rule.citations),
        })
    return {
        "type": "flow", "id": f.id, "name": f.name, "from": f.source, "to": f.target,
        "data": list(f.data), "trigger": f.trigger, "mechanism": f.mechanism, "basis": f.basis,
        "fires_when": fires_words(f.when, named), "condition": f.when,
        "valid": span_words(f.valid_from, f.valid_to),
        "confidence": f.confidence.value, "latency": f.latency,
        "controlled_by": list(pack.controllers_of(f)), "description": f.description,
        "rules": governed, "sources": _cites(pack, f.citations),
    }


def explain_rule(pack: Pack, ident: str) -> dict[str, Any]:
    r = pack.rules[ident]
    named = _named(pack)
    return {
        "type": "rule", "id": r.id, "name": r.name, "jurisdiction": r.jurisdiction,
        "kind": r.kind, "enacted": r.enacted, "effective": r.effective, "ended": r.ended,
        "description": r.description,
        "effects": [{"flow": e.flow, "effect": e.effect,
                     "when": when_words(e.when, named), "condition": e.when, "note": e.note,
                     "sources": _cites(pack, e.citations)} for e in r.effects],
        "sources": _cites(pack, r.citations),
    }


def explain_actor(pack: Pack, ident: str) -> dict[str, Any]:
    a = pack.actors[ident]
    return {
        "type": "actor", "id": a.id, "name": a.name, "aliases": list(a.aliases),
        "kind": a.kind, "level": a.level, "part_of": a.part_of,
        "parts": sorted(pack.descendants(a.id) - {a.id}),
        "jurisdiction": a.jurisdiction, "controlled_by": list(a.controlled_by),
        "valid": span_words(a.valid_from, a.valid_to),
        "description": a.description,
        "flows_out": [f.id for f in pack.flows.values() if f.source == ident],
        "flows_in": [f.id for f in pack.flows.values() if f.target == ident],
        "sources": _cites(pack, a.citations),
    }


def explain_source(pack: Pack, ident: str) -> dict[str, Any]:
    from graphflow.packs.quotes import all_citations

    s = pack.sources[ident]
    used = [c for c in all_citations(pack) if c.source == ident]
    return {
        "type": "source", "id": s.id, "title": s.title, "publisher": s.publisher,
        "date": s.date, "url": s.url, "file": s.file, "kind": s.kind,
        "citations": [{"locator": c.locator, "quote": c.quote, "where": c.where} for c in used],
        "cited_as_original": [
            {"source": c.source, "locator": c.locator, "quote": c.quote, "where": c.where,
             "grade": c.grade}
            for c in all_citations(pack) if c.original == ident],
    }


def explain_profile(pack: Pack, ident: str) -> dict[str, Any]:
    p = pack.profiles[ident]
    return {
        "type": "profile", "id": p.id, "name": p.name, "description": p.description,
        "facts": p.facts, "unknown_facts": sorted(set(pack.facts) - set(p.facts)),
        "sources": _cites(pack, p.citations),
    }


def explain_simple(pack: Pack, kind: str, ident: str) -> dict[str, Any]:
    if kind == "conflict":
        out = _conflict(pack, ident)
        return {"type": "conflict", "id": ident, "about": list(pack.conflicts[ident].about),
                **{k: v for k, v in out.items() if k != "conflict"}}
    if kind == "fact":
        f = pack.facts[ident]
        return {"type": "fact", "id": f.id, "fact_type": f.type, "values": list(f.values),
                "description": f.description}
    d = pack.data_items[ident]
    return {"type": "data-item", "id": d.id, "name": d.name, "description": d.description,
            "carried_by": [f.id for f in pack.flows.values() if ident in f.data]}


def _conflict(pack: Pack, ident: str) -> dict[str, Any]:
    c = pack.conflicts[ident]
    return {"conflict": c.id, "summary": c.summary, "resolution": c.resolution,
            "sources": [dict(citation_dict(pack, cit), says=says) for says, cit in c.positions]}


def conflicts_about(pack: Pack, ident: str) -> list[dict[str, Any]]:
    """Recorded disagreements between sources that concern this id."""
    return [_conflict(pack, c.id) for c in pack.conflicts.values() if ident in c.about]


EXPLAINERS = {
    "flow": explain_flow, "rule": explain_rule, "actor": explain_actor,
    "source": explain_source, "profile": explain_profile,
}


MACHINE = ("condition",)  # the pack's condition as written: JSON only
SENTENCES = ("fires_when", "when")  # values that read as words on their own


def _say(value: Any) -> str:
    """A value as the text views print it: yes/no for a yes-or-no value (never Python's
    True/False); anything else as written, so an id stays the id to type."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def _plain(key: str, value: Any) -> str:
    text = _say(value)
    return text if key in SENTENCES else f"{key.replace('_', ' ')}: {text}"


def _is_citation(item: Any) -> bool:
    return isinstance(item, dict) and {"source", "locator", "quote"} <= item.keys() \
        and "title" in item


def _item_head(item: dict[str, Any]) -> str:
    return "; ".join(_plain(k, v) for k, v in item.items()
                    if not isinstance(v, list | dict) and k != "quote" and k not in MACHINE
                    and v)


def render_explain(data: dict[str, Any]) -> str:
    """Readable text: scalar fields first, then lists and evidence; conditions in words."""
    lines = [f"{data['type'].upper()} {data['id']}"]
    for key, value in data.items():
        if key in ("type", "id") or key in MACHINE or isinstance(value, list | dict) \
                or value in (None, ""):
            continue
        text = _say(value)
        lines.append(f"  {text}" if key in SENTENCES else f"  {key}: {text}")
    for key, value in data.items():
        if key in MACHINE:
            continue
        if isinstance(value, dict) and value:
            lines.append(f"  {key}:")
            lines += [f"    {k}: {_say(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value:
            lines.append(f"  {key}:")
            for item in value:
                if _is_citation(item):
                    lines.append(f"    - {source_text(item)}")  # a citation, fully named
                elif isinstance(item, dict):
                    lines.append(f"    - {_item_head(item)}")
                    if item.get("quote"):
                        lines.append(f"      \"{' '.join(item['quote'].split())}\"")
                    for src in item.get("sources", []) or []:
                        says = f" says {src['says']!r}" if src.get("says") else ""
                        lines.append(f"      source{says}: {source_text(src)}")
                else:
                    lines.append(f"    - {item}")
    lines += ["", NOTICE]
    return "\n".join(lines) + "\n"


def render_explain_md(data: dict[str, Any]) -> str:
    """Markdown: the fields, the lists, each citation numbered, a numbered bibliography."""
    from graphflow.report.routes import Bibliography, _code, _md

    bib = Bibliography()
    title = data.get("name") or data.get("title") or ""
    out = [f"# {data['type'].capitalize()} {_code(data['id'])}"
           + (f": {_md(title)}" if title else ""), ""]
    for key, value in data.items():
        if key in ("type", "id", "name") or key in MACHINE or isinstance(value, list | dict) \
                or value in (None, ""):
            continue
        out.append(f"- {_md(_say(value))}" if key in SENTENCES
                   else f"- **{_md(key)}:** {_md(_say(value))}")
    for key, value in data.items():
        if key in MACHINE or not value or not isinstance(value, list | dict):
            continue
        head = "Quoted evidence" if key == "sources" else key.replace("_", " ").capitalize()
        out += ["", f"## {_md(head)}", ""]
        if isinstance(value, dict):
            out += [f"- **{_md(k)}:** {_md(_say(v))}" for k, v in value.items()]
            continue
        for item in value:
            if _is_citation(item):
                out.append(f"- {bib.cite(item)}")
            elif isinstance(item, dict):
                out.append(f"- {_md(_item_head(item))}")
                if item.get("quote"):
                    out.append(f"  “{_md(item['quote'])}”")
                for src in item.get("sources", []) or []:
                    says = f"says “{_md(src['says'])}”: " if src.get("says") else ""
                    out.append(f"  - {says}{bib.cite(src)}")
            else:
                out.append(f"- {_md(item)}")
    if bib.entries:
        out += ["", "## Sources", ""] + bib.lines()
    out += ["", f"*{NOTICE}*"]
    return "\n".join(out) + "\n"


EXPLAIN_CSV = ("field", "item", "value")


def explain_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per field, list item and citation: field, item number (lists), value in words."""
    rows: list[dict[str, Any]] = []
    for key, value in data.items():
        if key in MACHINE or value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            rows += [{"field": f"{key}.{k}", "item": "", "value": v} for k, v in value.items()]
        elif isinstance(value, list):
            for i, item in enumerate(value, 1):
                if _is_citation(item):
                    text = source_text(item)
                elif isinstance(item, dict):
                    text = _item_head(item)
                    if item.get("quote"):
                        text += f" \"{item['quote']}\""
                    text += "".join(f" | source: {source_text(src)}"
                                    for src in item.get("sources", []) or [])
                else:
                    text = item
                rows.append({"field": key, "item": i, "value": text})
        else:
            rows.append({"field": key, "item": "", "value": value})
    return rows
