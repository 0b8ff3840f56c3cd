"""`graphflow brief`: one document for a case or a story (data and Markdown).

``brief_data`` turns a routes answer (``api.Routes.to_dict()``, every status) into the brief's
content: a headline sentence, the open routes with every step cited, the evidence age and the
conflicts, the facts that would change the answer, the rules in force on the date, a numbered
bibliography, the notice, the generation date, graphflow's version and the pack's content hash.
``render_brief_md`` writes it as Markdown; ``graphflow.export.brief`` as HTML and PDF. Both
read only this dict, so the formats cannot say different things.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from graphflow.core.model import Pack
from graphflow.packs.references import citation_dict
from graphflow.report.routes import (
    NOTICE,
    _md,
    _md_url,
    _status_line,
    decider_words,
    hint_words,
    source_entry_md,
)
from graphflow.report.words import (
    GRADE_WORDS,
    MECHANISM_WORDS,
    actor_name,
    fact_words,
    is_quiet,
    span_words,
    value_words,
)

PACK_FILES = (".yaml", ".yml", ".json")
_CITATION_ONLY = ("original", "quote", "locator", "grade", "shows", "says")


def content_hash(pack: Pack) -> str | None:
    """sha256 over the pack's data files (relative path and bytes, in path order): the same
    files give the same hash on any machine. None when the pack has no folder."""
    root = Path(pack.path) if pack.path else None
    if root is None or not root.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in PACK_FILES):
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


class Sources:
    """A numbered bibliography, in order of first citation. A research note and the original
    document it quotes each get a number."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def number(self, ref: dict[str, Any], ident: str) -> int:
        if ident not in self.entries:
            self.entries[ident] = {k: v for k, v in ref.items() if k not in _CITATION_ONLY}
            self.entries[ident]["id"] = ident
        return list(self.entries).index(ident) + 1

    def cite(self, src: dict[str, Any]) -> dict[str, Any]:
        """A citation with its bibliography number (and the original's), and the URL to
        follow: the source's own, else its original's."""
        out = {"n": self.number(src, src["source"]), "source": src["source"],
               "locator": src.get("locator"), "quote": src.get("quote"),
               "grade": src.get("grade"), "title": src.get("title"),
               "publisher": src.get("publisher"), "date": src.get("date")}
        orig = src.get("original")
        if orig:
            out["original"] = {"n": self.number(orig, orig["id"]), "id": orig["id"],
                               "title": orig.get("title")}
        out["url"] = src.get("url") or (orig or {}).get("url")
        return out

    def listing(self) -> list[dict[str, Any]]:
        return [dict(entry, n=i) for i, entry in enumerate(self.entries.values(), 1)]


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text[:1].upper() + text[1:]


def _age(last: str | None, as_of: dt.date) -> str | None:
    """ "3 years 2 months before the date asked" from an ISO date (or year, year-month)."""
    if not last:
        return None
    parts = str(last).split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 12
    except ValueError:
        return None
    months = (as_of.year - year) * 12 + as_of.month - month
    if months <= 0:
        return "from the month asked"
    years, rest = divmod(months, 12)
    words = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if rest:
        words.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(words) + " before the date asked"


def _rules_in_force(pack: Pack, flows: set[str], as_of: dt.date) -> list[dict[str, Any]]:
    """The pack's rules in force on the date that restrict (or allow) a flow of the query's
    routes, with their citations."""
    out = []
    for rule in sorted(pack.rules.values(), key=lambda r: (r.starts or dt.date.min, r.id)):
        if rule.hypothetical or not rule.in_force_on(as_of):
            continue
        effects = [e for e in rule.effects if e.flow in flows and e.in_force_on(as_of)
                   and e.effect != "does-not-touch"]
        if not effects:
            continue
        jur = pack.jurisdictions.get(rule.jurisdiction)
        out.append({
            "id": rule.id, "name": rule.name,
            "jurisdiction": jur.name if jur is not None else rule.jurisdiction,
            "in_force": span_words(rule.starts, rule.ended),
            "effects": [{"flow": e.flow, "effect": e.effect.replace("-", " ")}
                        for e in effects],
            "citations": [citation_dict(pack, c) for c in rule.citations],
        })
    return out


def _headline(pack: Pack, data: dict[str, Any], who: str) -> str:
    q, s = data["query"], data["summary"]
    target = actor_name(pack, q["to"])
    opened = [r for r in data["routes"] if r["status"] == "open"]
    if data.get("trigger_hint"):
        return hint_words(pack, data["trigger_hint"])
    if not opened:
        cond = s.get("conditional", 0)
        return (f"On {q['as_of']}, no route takes information about {who} from "
                f"{actor_name(pack, q['from'])} to {target}"
                + (f"; {cond} route{'s' if cond != 1 else ''} depend on facts not known."
                   if cond else "."))
    ev = data.get("open_by_evidence") or {}
    current = ev.get("current", 0)
    first = opened[0]
    return (f"On {q['as_of']}, information about {who} can reach {target} by "
            f"{len(opened)} open route{'s' if len(opened) != 1 else ''} ({current} with "
            f"current evidence). The most important: "
            + " → ".join(actor_name(pack, n) for n in first["nodes"]) + ".")


def brief_data(pack: Pack, data: dict[str, Any], *, generated: dt.date, version: str
               ) -> dict[str, Any]:
    """The brief's content from a routes answer over every status (``api.Routes.to_dict()``
    of ``audit.routes(...)`` without a status filter)."""
    q = data["query"]
    as_of = dt.date.fromisoformat(q["as_of"])
    prof = pack.profiles.get(q["profile"]) if q.get("profile") else None
    who = f"a person in the case \"{prof.name}\"" if prof else "a person with these facts"
    bib = Sources()
    opened = [r for r in data["routes"] if r["status"] == "open"]
    numbers = {r["id"]: i for i, r in enumerate(opened, 1)}
    routes = []
    for n, r in enumerate(opened, 1):
        steps = []
        for h in r["hops"]:
            steps.append({
                "flow": h["flow"], "name": h.get("name") or h["flow"],
                "from": actor_name(pack, h["from"]), "to": actor_name(pack, h["to"]),
                "how": MECHANISM_WORDS.get(h["mechanism"], h["mechanism"]),
                "confidence": h["confidence"],
                "why": [_sentence(x.get("words") or x["text"]) for x in h["reasons"]
                        if not is_quiet(x)],
                "caveat": h.get("caveat"),
                "cites": [bib.cite(s) for s in h["sources"]],
            })
        ev = r.get("evidence") or {}
        routes.append({
            "n": n, "id": r["id"], "status": _status_line(r, q["as_of"]),
            "path": [actor_name(pack, x) for x in r["nodes"]],
            "confidence": r["confidence"], "grade": GRADE_WORDS.get(r["grade"], r["grade"]),
            "evidence": {"state": ev.get("state", "current"),
                         "last": ev.get("last_evidenced"),
                         "age": _age(ev.get("last_evidenced"), as_of),
                         "note": ev.get("note")},
            "conflicts": list(r.get("conflicts", [])), "steps": steps,
        })
    used = list(dict.fromkeys(c for r in opened for c in r.get("conflicts", [])))
    conflicts = [{"id": c, "summary": data["conflicts"][c]["summary"],
                  "resolution": data["conflicts"][c].get("resolution"),
                  "routes": [numbers[r["id"]] for r in opened if c in r.get("conflicts", [])]}
                 for c in used if c in data["conflicts"]]
    all_numbers = {r["id"]: f"#{numbers[r['id']]}" for r in opened}
    deciders = [decider_words(d, {}) for d in data.get("what_would_change") or []]
    flows = {f for r in data["routes"] for f in r["flows"]}
    rules = _rules_in_force(pack, flows, as_of)
    for rule in rules:
        rule["cites"] = [bib.cite(c) for c in rule.pop("citations")]
    facts = [f"{fact_words(k)}: {value_words(v)}" for k, v in q["facts"].items()]
    return {
        "title": f"Case brief: {prof.name}" if prof else "Case brief",
        "headline": _headline(pack, data, who),
        "query": {"pack": q["pack"], "from": actor_name(pack, q["from"]),
                  "to": actor_name(pack, q["to"]), "profile": q.get("profile"),
                  "as_of": q["as_of"], "max_hops": q["max_hops"], "facts": facts},
        "summary": data["summary"], "routes": routes, "route_numbers": all_numbers,
        "conflicts": conflicts, "would_change": deciders, "rules": rules,
        "sources": bib.listing(), "notice": NOTICE,
        "generated": generated.isoformat(), "version": version,
        "pack_hash": content_hash(pack),
    }


def _cite_md(c: dict[str, Any]) -> str:
    text = f"[{c['n']}]"
    if c.get("locator"):
        text += f" {_md(c['locator'])}"
    if c.get("quote"):
        text += f": “{_md(c['quote'])}”"
    if c.get("original"):
        o = c["original"]
        text += f" (original: {_md(o.get('title') or o['id'])} [{o['n']}])"
    if c.get("url"):
        text += " " + _md_url(c["url"])
    return text


def source_line_md(s: dict[str, Any]) -> str:
    return source_entry_md(s["n"], s["id"], s)


def render_brief_md(b: dict[str, Any]) -> str:
    q = b["query"]
    out = [f"# {_md(b['title'])}", "", f"*{b['notice']}*", "", f"**{_md(b['headline'])}**", "",
           f"From {_md(q['from'])} to {_md(q['to'])}, pack `{q['pack']}`, as of {q['as_of']}, "
           f"at most {q['max_hops']} hops."]
    if q["facts"]:
        out += ["", "Case facts: " + "; ".join(_md(f) for f in q["facts"]) + "."]
    out += ["", "Routes: " + ", ".join(f"{n} {k.replace('-', ' ')}"
                                       for k, n in b["summary"].items()) + "."]
    out += ["", "## Open routes"]
    if not b["routes"]:
        out += ["", "None."]
    for r in b["routes"]:
        ev = r["evidence"]
        out += ["", f"### {r['n']}. {_md(' → '.join(r['path']))}", "",
                f"`{r['id']}`: {_md(r['status'])}. Confidence {r['confidence']}; "
                f"{_md(r['grade'])}. Evidence {ev['state']}"
                + (f", latest source {ev['last']} ({ev['age']})" if ev.get("last") else "")
                + (f": {_md(ev['note'])}" if ev.get("note") else "") + ".", ""]
        for i, s in enumerate(r["steps"], 1):
            why = "; ".join(_md(w) for w in s["why"])
            out.append(f"{i}. **{_md(s['from'])} → {_md(s['to'])}**: {_md(s['name'])} "
                       f"({_md(s['how'])}, {s['confidence']})" + (f". {why}" if why else "")
                       + (f". Caveat: {_md(s['caveat'])}" if s.get("caveat") else ""))
            for c in s["cites"]:
                out.append(f"   - {_cite_md(c)}")
    out += ["", "## Evidence and disagreements", ""]
    for r in b["routes"]:
        ev = r["evidence"]
        out.append(f"- Route {r['n']}: evidence {ev['state']}"
                   + (f", latest source {ev['last']} ({ev['age']})" if ev.get("last") else
                      ", no dated source"))
    if b["conflicts"]:
        out.append("")
        for c in b["conflicts"]:
            out.append(f"- Sources disagree ({c['id']}), routes "
                       + ", ".join(str(n) for n in c["routes"]) + f": {_md(c['summary'])}"
                       + (f" Resolution: {_md(c['resolution'])}" if c.get("resolution") else ""))
    out += ["", "## What would change the answer", ""]
    out += [f"- {_md(d)}" for d in b["would_change"]] or [
        "No unknown fact: the known facts settle every route."]
    out += ["", "## Rules in force on " + q["as_of"], ""]
    for rule in b["rules"]:
        flows = ", ".join(f"{e['flow']} ({e['effect']})" for e in rule["effects"])
        cites = " ".join(f"[{c['n']}]" for c in rule["cites"])
        out.append(f"- **{_md(rule['name'])}** ({_md(rule['jurisdiction'])}, in force "
                   f"{_md(rule['in_force'])}): {_md(flows)}" + (f" {cites}" if cites else ""))
    if not b["rules"]:
        out.append("No rule of the pack restricts these routes on this date.")
    out += ["", "## Sources", ""] + [source_line_md(s) for s in b["sources"]]
    out += ["", "---", "",
            f"{b['notice']} Generated {b['generated']} by graphflow {b['version']}; pack "
            f"`{q['pack']}`" + (f" ({b['pack_hash']})" if b.get("pack_hash") else "") + "."]
    return "\n".join(out) + "\n"
