"""Load a pack folder into the domain model, collecting every problem with file:line.

Every item of every file is checked against the JSON Schema by jsonschema-rs (see
``packs/schema.py``); a path that is there but is not a regular file (a folder, a FIFO) is an
error, never skipped.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphflow.core.dates import parse_optional
from graphflow.core.evidence import DEFAULT_HORIZON_MONTHS
from graphflow.core.model import (
    Actor,
    Citation,
    Confidence,
    Conflict,
    DataItem,
    Effect,
    EvidenceClaim,
    Fact,
    Flow,
    Jurisdiction,
    NamedCondition,
    Pack,
    Profile,
    Rule,
    Source,
)
from graphflow.errors import GraphflowError
from graphflow.packs.locate import pack_path
from graphflow.packs.problems import Problem
from graphflow.packs.references import cross_check
from graphflow.packs.schema import is_valid, schema_problems
from graphflow.packs.yamlio import YamlDoc, load_yaml
from graphflow.tuning import CACHE_SIZE, freeze, paused_gc
from graphflow.tuning import enabled as tuned

_CONFIDENCES = {c.value: c for c in Confidence}
FILES = (
    ("pack", "pack.yaml", True),
    ("facts", "facts.yaml", True),
    ("data_items", "data_items.yaml", True),
    ("sources", "sources.yaml", True),
    ("actors", "actors.yaml", True),
    ("flows", "flows.yaml", True),
    ("rules", "rules.yaml", True),
    ("profiles", "profiles.yaml", True),
    ("conflicts", "conflicts.yaml", False),
    ("conditions", "conditions.yaml", False),
)


@dataclass
class CheckResult:
    """The outcome of reading and checking a pack."""

    path: Path
    pack: Pack | None
    problems: list[Problem] = field(default_factory=list)
    docs: dict[str, YamlDoc] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _citations(items: Any, doc: YamlDoc, key: tuple) -> tuple[Citation, ...]:
    return tuple(
        Citation(c["source"], c["locator"], c["quote"], doc.where((*key, i)),
                 c.get("original"), c.get("grade"),
                 str(c["date"]) if c.get("date") is not None else None, c.get("shows"))
        for i, c in enumerate(items or [])
    )


def _claim(value: Any) -> EvidenceClaim | None:
    """An explicit evidence claim (dates stay texts; build_pack checks them)."""
    if not value:
        return None
    return EvidenceClaim(
        *(str(value[k]) if value.get(k) is not None else None
          for k in ("observed_from", "last_verified", "unverified_after")),
        note=value.get("note", ""),
    )


def _check_claim(value: Any, doc: YamlDoc, key: tuple, date: Any) -> None:
    """Report impossible dates in an evidence claim (file:line)."""
    for k in ("observed_from", "last_verified", "unverified_after"):
        if value and value.get(k) is not None:
            date(value[k], doc, (*key, "evidence", k))


def read_docs(folder: Path) -> tuple[dict[str, YamlDoc], list[Problem]]:
    """Parse and schema-check every file of a pack. A pack that ``extends:`` others needs only
    its pack.yaml; its other files are optional."""
    docs: dict[str, YamlDoc] = {}
    problems: list[Problem] = []
    layered = False
    for kind, name, required in FILES:
        path = folder / name
        if not path.exists() and not path.is_symlink():
            if required and not layered:
                problems.append(Problem(str(path), "missing file", "see docs/pack-format.md"))
            continue
        try:
            doc = load_yaml(path)
        except GraphflowError as exc:
            problems.append(Problem(exc.where or str(path), exc.what, exc.hint))
            continue
        found = schema_problems(kind, doc)
        problems.extend(found)
        if not found:
            docs[kind] = doc
            if kind == "pack":
                layered = bool(doc.data.get("extends"))
    return docs, problems


def _items(docs: dict[str, YamlDoc], kind: str) -> list[tuple[int, Any]]:
    doc = docs.get(kind)
    return list(enumerate(doc.data[kind])) if doc is not None else []


def build_pack(folder: Path, docs: dict[str, YamlDoc],
               selectors: dict[str, list[Any]] | None = None,
               added: list[tuple[str, Any]] | None = None) -> tuple[Pack, list[Problem]]:
    """Turn schema-valid documents into a Pack; date errors become problems. Effects by
    selector are collected in ``selectors`` (rule id -> its effects in order, selectors as
    ``Selector`` items; see packs/layers.py), to be resolved once every layer is in."""
    problems: list[Problem] = []

    def date(value: Any, doc: YamlDoc, key: tuple, end: bool = False):
        if value is None or value == "":
            return None
        try:
            return parse_optional(value, end=end, where=doc.where(key))
        except GraphflowError as exc:
            problems.append(Problem(exc.where or "", exc.what, exc.hint))
            return None

    man = docs["pack"]
    m = man.data
    jurisdictions = {
        j["id"]: Jurisdiction(j["id"], j["name"], j["level"], j.get("parent"))
        for j in m.get("jurisdictions", ())
    }
    facts = {
        f["id"]: Fact(f["id"], f["type"], tuple(f.get("values", ())), f.get("description", ""))
        for _, f in _items(docs, "facts")
    }
    data_items = {
        d["id"]: DataItem(d["id"], d["name"], d.get("description", ""))
        for _, d in _items(docs, "data_items")
    }
    sdoc = docs.get("sources")
    sources = {}
    for i, s in _items(docs, "sources"):
        assert sdoc is not None
        date(s.get("date"), sdoc, ("sources", i, "date"))  # an impossible date is an error
        sources[s["id"]] = Source(
            s["id"], s["title"], s.get("publisher"), s.get("date"), s.get("url"), s.get("file"),
            s.get("kind"), sdoc.where(("sources", i)),
        )
    adoc = docs.get("actors")
    actors = {}
    for i, a in _items(docs, "actors"):
        assert adoc is not None
        key = ("actors", i)
        actors[a["id"]] = Actor(
            id=a["id"], name=a["name"], kind=a["kind"], level=a["level"],
            aliases=tuple(a.get("aliases", ())), jurisdiction=a.get("jurisdiction"),
            part_of=a.get("part_of"), controlled_by=tuple(a.get("controlled_by", ())),
            valid_from=date(a.get("valid_from"), adoc, (*key, "valid_from")),
            valid_to=date(a.get("valid_to"), adoc, (*key, "valid_to"), end=True),
            description=a.get("description", ""),
            citations=_citations(a.get("citations"), adoc, (*key, "citations")),
            where=adoc.where(key),
        )
    fldoc = docs.get("flows")
    flows = {}
    for i, f in _items(docs, "flows"):
        assert fldoc is not None
        key = ("flows", i)
        flows[f["id"]] = Flow(
            id=f["id"], source=f["from"], target=f["to"], data=tuple(f["data"]),
            mechanism=f["mechanism"], confidence=_CONFIDENCES[f["confidence"]],
            name=f.get("name", ""), trigger=f.get("trigger", ""), basis=f.get("basis", "unknown"),
            when=f.get("when"),
            valid_from=date(f.get("valid_from"), fldoc, (*key, "valid_from")),
            valid_to=date(f.get("valid_to"), fldoc, (*key, "valid_to"), end=True),
            latency=f.get("latency"), latency_hours=f.get("latency_hours"),
            controlled_by=tuple(f.get("controlled_by", ())),
            description=f.get("description", ""),
            citations=_citations(f.get("citations"), fldoc, (*key, "citations")),
            practice=(f.get("practice") or {}).get("note"),
            practice_citations=_citations((f.get("practice") or {}).get("citations"), fldoc,
                                          (*key, "practice", "citations")),
            evidence=_claim(f.get("evidence")), caveat=f.get("caveat", ""),
            kind=f.get("kind", ""), essential=bool(f.get("essential", False)),
            essential_reason=f.get("essential_reason", ""),
            where=fldoc.where(key),
        )
        _check_claim(f.get("evidence"), fldoc, key, date)
    rules = build_rules(docs["rules"], date, selectors=selectors) if "rules" in docs else {}
    if added is not None and "rules" in docs:
        added.extend(added_effects(docs["rules"], date))
    pdoc = docs.get("profiles")
    profiles = {
        p["id"]: Profile(
            p["id"], p["name"], dict(p["facts"]), p.get("description", ""),
            _citations(p.get("citations"), pdoc, ("profiles", i, "citations")),
            pdoc.where(("profiles", i)),
        )
        for i, p in _items(docs, "profiles") if pdoc is not None
    }
    conflicts = {}
    if "conflicts" in docs:
        cdoc = docs["conflicts"]
        for i, c in enumerate(cdoc.data["conflicts"]):
            positions = tuple(
                (pos["says"], _citations([pos["citation"]], cdoc,
                                         ("conflicts", i, "positions", j))[0])
                for j, pos in enumerate(c["positions"])
            )
            conflicts[c["id"]] = Conflict(
                c["id"], tuple(c.get("about", ())), c["summary"], positions,
                c.get("resolution", ""),
            )
    conditions = {}
    if "conditions" in docs:
        ndoc = docs["conditions"]
        for i, c in enumerate(ndoc.data["conditions"]):
            conditions[c["id"]] = NamedCondition(c["id"], c["when"], c.get("description", ""),
                                                 ndoc.where(("conditions", i)))
    pack = Pack(
        id=m["id"], name=m["name"], description=m.get("description", ""), path=str(folder),
        jurisdictions=jurisdictions,
        sanctuary_jurisdictions=tuple(m.get("sanctuary_jurisdictions", ())),
        default_trigger=m.get("default_trigger", ""), default_target=m.get("default_target", ""),
        facts=facts, data_items=data_items, sources=sources, actors=actors, flows=flows,
        rules=rules, profiles=profiles, conflicts=conflicts,
        evidence_horizon_months=m.get("evidence_horizon_months", DEFAULT_HORIZON_MONTHS),
        conditions=conditions,
    )
    return pack, problems


def build_rules(rdoc: YamlDoc, date: Any, hypothetical: bool = False,
                selectors: dict[str, list[Any]] | None = None) -> dict[str, Rule]:
    """Rules (with their effects) from a schema-valid rules document. An effect by selector
    (``select:``) goes to ``selectors`` (rule id -> all its effects in order, the selector as
    a ``Selector``); the Rule keeps its effects by id until the selectors are resolved."""
    rules = {}
    for i, r in enumerate(rdoc.data["rules"]):
        key = ("rules", i)
        effects: list[Effect] = []
        slots: list[Any] = []
        for j, e in enumerate(r.get("effects", [])):
            slot = _effect(r["id"], e, rdoc, (*key, "effects", j), date, selectors is not None)
            slots.append(slot)
            if isinstance(slot, Effect):
                effects.append(slot)
        if selectors is not None and len(slots) > len(effects):
            selectors[r["id"]] = slots
        rules[r["id"]] = Rule(
            id=r["id"], name=r["name"], jurisdiction=r["jurisdiction"], kind=r["kind"],
            enacted=date(r.get("enacted"), rdoc, (*key, "enacted")),
            effective=date(r.get("effective"), rdoc, (*key, "effective")),
            ended=date(r.get("ended"), rdoc, (*key, "ended"), end=True),
            effects=tuple(effects), description=r.get("description", ""),
            citations=_citations(r.get("citations"), rdoc, (*key, "citations")),
            hypothetical=hypothetical, amends=tuple(r.get("amends", ())),
            supersedes=tuple(r.get("supersedes", ())), where=rdoc.where(key),
            starts_text=str(r.get("effective") or r.get("enacted") or ""),
        )
    return rules


def _effect(rule: str, e: dict[str, Any], rdoc: YamlDoc, ekey: tuple, date: Any,
            selectors_ok: bool) -> Any:
    """One effect: an Effect on the flow it names, or a Selector (see packs/layers.py)."""
    from graphflow.packs.layers import Selector

    if "select" in e and not selectors_ok:
        raise GraphflowError("an effect by selector (select:) is not supported here",
                             where=rdoc.where(ekey), hint="name the flow with flow:")
    cites = _citations(e.get("citations"), rdoc, (*ekey, "citations"))
    start = date(e.get("from"), rdoc, (*ekey, "from"))
    end = date(e.get("to"), rdoc, (*ekey, "to"), end=True)
    if "select" in e:
        out: Any = Selector(e["select"], e["effect"], e.get("when"), e.get("note", ""), cites,
                            _claim(e.get("evidence")), start, end, rdoc.where(ekey))
    else:
        out = Effect(rule=rule, flow=e["flow"], effect=e["effect"], when=e.get("when"),
                     note=e.get("note", ""), citations=cites, evidence=_claim(e.get("evidence")),
                     valid_from=start, valid_to=end, where=rdoc.where(ekey))
    _check_claim(e.get("evidence"), rdoc, ekey, date)
    return out


def added_effects(rdoc: YamlDoc, date: Any) -> list[tuple[str, Any]]:
    """(rule id, Effect or Selector) for each item of rules.yaml's top-level ``effects:``:
    effects of rules from a base pack (or this one) on this pack's flows."""
    return [(e["rule"], _effect(e["rule"], e, rdoc, ("effects", j), date, True))
            for j, e in enumerate(rdoc.data.get("effects", ()))]


def check_pack(name_or_path: str | Path | None = None) -> CheckResult:
    """Read, schema-check, build and cross-check a pack; never raises for pack content."""
    from graphflow.packs.layers import compose

    folder = pack_path(str(name_or_path) if name_or_path else None)
    with paused_gc():
        pack, problems, docs = compose(folder)
        if pack is None:
            return CheckResult(folder, None, problems, docs)
        problems.extend(cross_check(pack, docs))
    return CheckResult(folder, pack, problems, docs)


# Loaded packs by folder, only when asked for (graphflow.tuning: the CLI turns it on), and
# bounded: the least recently used pack is dropped past CACHE_SIZE.
_CACHE: OrderedDict[str, Pack] = OrderedDict()


def load_pack(name_or_path: str | Path | None = None, *, cache: bool | None = None) -> Pack:
    """Load a pack, raising a one-line GraphflowError on its first error. With ``cache``
    (default: when ``graphflow.tuning`` is on, as in the CLI) the same folder loaded again
    returns the same Pack."""
    folder = pack_path(str(name_or_path) if name_or_path else None)
    key = str(folder.resolve())
    use = tuned() if cache is None else cache
    if use and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    result = check_pack(folder)
    if result.errors:
        first = result.errors[0]
        more = len(result.errors) - 1
        hint = first.hint or ""
        if more:
            hint = (hint + "; " if hint else "") + f"{more} more: run `graphflow validate {folder}`"
        raise GraphflowError(first.what, where=first.where, hint=hint or None)
    if result.pack is None:
        raise GraphflowError(f"pack {folder} has no content", where=str(folder))
    pack = result.pack
    del result
    if use:
        _CACHE[key] = pack
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    # A loaded pack lives as long as the process: keep the cyclic GC from rescanning it.
    freeze()
    return pack


def fast_valid(kind: str, data: Any) -> bool:
    """True only if ``data`` is valid against the schema of ``kind`` (jsonschema-rs)."""
    return is_valid(kind, data)
