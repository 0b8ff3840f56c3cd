"""Load a pack folder into the domain model, collecting every problem with file:line.

Schema checks run a compiled fast check first (plain Python closures for the JSON Schema
keywords our schemas use); only a file that fails it, or whose schema uses a keyword the fast
check does not know, goes through the full ``jsonschema`` validator, which then reports the
problems exactly as before. Every item of every file is checked either way.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graphflow.core.dates import parse_optional
from graphflow.core.model import (
    Actor,
    Citation,
    Confidence,
    Conflict,
    DataItem,
    Effect,
    Fact,
    Flow,
    Jurisdiction,
    Pack,
    Profile,
    Rule,
    Source,
)
from graphflow.errors import GraphflowError
from graphflow.packs.locate import pack_path, schema_root
from graphflow.packs.problems import Problem
from graphflow.packs.references import cross_check
from graphflow.packs.schema import schema_problems
from graphflow.packs.yamlio import YamlDoc, load_yaml, paused_gc

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


def read_docs(folder: Path) -> tuple[dict[str, YamlDoc], list[Problem]]:
    """Parse and schema-check every file of a pack."""
    docs: dict[str, YamlDoc] = {}
    problems: list[Problem] = []
    for kind, name, required in FILES:
        path = folder / name
        if not path.is_file():
            if required:
                problems.append(Problem(str(path), "missing file", "see docs/pack-format.md"))
            continue
        try:
            doc = load_yaml(path)
        except GraphflowError as exc:
            problems.append(Problem(exc.where or str(path), exc.what, exc.hint))
            continue
        found = [] if fast_valid(kind, doc.data) else schema_problems(kind, doc)
        problems.extend(found)
        if not found:
            docs[kind] = doc
    return docs, problems


def build_pack(folder: Path, docs: dict[str, YamlDoc]) -> tuple[Pack, list[Problem]]:
    """Turn schema-valid documents into a Pack; date errors become problems."""
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
        for j in m["jurisdictions"]
    }
    fdoc = docs["facts"]
    facts = {
        f["id"]: Fact(f["id"], f["type"], tuple(f.get("values", ())), f.get("description", ""))
        for f in fdoc.data["facts"]
    }
    data_items = {
        d["id"]: DataItem(d["id"], d["name"], d.get("description", ""))
        for d in docs["data_items"].data["data_items"]
    }
    sdoc = docs["sources"]
    sources = {
        s["id"]: Source(
            s["id"], s["title"], s.get("publisher"), s.get("date"), s.get("url"), s.get("file"),
            s.get("kind"), sdoc.where(("sources", i)),
        )
        for i, s in enumerate(sdoc.data["sources"])
    }
    adoc = docs["actors"]
    actors = {}
    for i, a in enumerate(adoc.data["actors"]):
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
    fldoc = docs["flows"]
    flows = {}
    for i, f in enumerate(fldoc.data["flows"]):
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
            where=fldoc.where(key),
        )
    rules = build_rules(docs["rules"], date)
    pdoc = docs["profiles"]
    profiles = {
        p["id"]: Profile(
            p["id"], p["name"], dict(p["facts"]), p.get("description", ""),
            _citations(p.get("citations"), pdoc, ("profiles", i, "citations")),
            pdoc.where(("profiles", i)),
        )
        for i, p in enumerate(pdoc.data["profiles"])
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
    pack = Pack(
        id=m["id"], name=m["name"], description=m.get("description", ""), path=str(folder),
        jurisdictions=jurisdictions,
        sanctuary_jurisdictions=tuple(m.get("sanctuary_jurisdictions", ())),
        default_trigger=m["default_trigger"], default_target=m["default_target"],
        facts=facts, data_items=data_items, sources=sources, actors=actors, flows=flows,
        rules=rules, profiles=profiles, conflicts=conflicts,
    )
    return pack, problems


def build_rules(rdoc: YamlDoc, date: Any, hypothetical: bool = False) -> dict[str, Rule]:
    """Rules (with their effects) from a schema-valid rules document."""
    rules = {}
    for i, r in enumerate(rdoc.data["rules"]):
        key = ("rules", i)
        effects = tuple(
            Effect(
                rule=r["id"], flow=e["flow"], effect=e["effect"], when=e.get("when"),
                note=e.get("note", ""),
                citations=_citations(e.get("citations"), rdoc, (*key, "effects", j, "citations")),
                where=rdoc.where((*key, "effects", j)),
            )
            for j, e in enumerate(r.get("effects", []))
        )
        rules[r["id"]] = Rule(
            id=r["id"], name=r["name"], jurisdiction=r["jurisdiction"], kind=r["kind"],
            enacted=date(r.get("enacted"), rdoc, (*key, "enacted")),
            effective=date(r.get("effective"), rdoc, (*key, "effective")),
            ended=date(r.get("ended"), rdoc, (*key, "ended"), end=True),
            effects=effects, description=r.get("description", ""),
            citations=_citations(r.get("citations"), rdoc, (*key, "citations")),
            hypothetical=hypothetical, where=rdoc.where(key),
        )
    return rules


def check_pack(name_or_path: str | Path | None = None) -> CheckResult:
    """Read, schema-check, build and cross-check a pack; never raises for pack content."""
    folder = pack_path(str(name_or_path) if name_or_path else None)
    with paused_gc():
        docs, problems = read_docs(folder)
        if problems:
            return CheckResult(folder, None, problems, docs)
        pack, more = build_pack(folder, docs)
        problems.extend(more)
        problems.extend(cross_check(pack, docs))
    return CheckResult(folder, pack, problems, docs)


_CACHE: dict[str, Pack] = {}


def load_pack(name_or_path: str | Path | None = None) -> Pack:
    """Load a pack, raising a one-line GraphflowError on its first error."""
    folder = pack_path(str(name_or_path) if name_or_path else None)
    key = str(folder.resolve())
    if key in _CACHE:
        return _CACHE[key]
    result = check_pack(folder)
    if result.errors:
        first = result.errors[0]
        more = len(result.errors) - 1
        hint = first.hint or ""
        if more:
            hint = (hint + "; " if hint else "") + f"{more} more: run `graphflow validate {folder}`"
        raise GraphflowError(first.what, where=first.where, hint=hint or None)
    assert result.pack is not None
    _CACHE[key] = result.pack
    del result
    # A loaded pack lives as long as the process: keep the cyclic GC from rescanning it.
    gc.freeze()
    return _CACHE[key]


# --- the compiled fast schema check ---------------------------------------------------------

Check = Callable[[Any], bool]
_ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "default",
                "examples", "deprecated", "readOnly", "writeOnly", "format"}
_OBJECT = {"properties", "additionalProperties", "required"}
_TYPES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": lambda x: isinstance(x, int | float) and not isinstance(x, bool),
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool))
    or (isinstance(x, float) and x.is_integer()),
}


def _never(_: Any) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda _: True
    if len(checks) == 1:
        return checks[0]

    def check(x: Any) -> bool:
        for c in checks:  # noqa: SIM110 (a plain loop is faster than all() on a generator)
            if not c(x):
                return False
        return True
    return check


class _Compiler:
    """JSON Schema (the subset our schemas use) to Python closures that answer valid or not.
    An unknown keyword compiles to "not valid", which sends the file to the full validator."""

    def __init__(self, docs: dict[str, dict]):
        self.docs = docs
        self.refs: dict[tuple[str, str], list[Check]] = {}

    def ref(self, base: str, ref: str) -> Check:
        doc_id, _, pointer = ref.partition("#")
        doc_id = doc_id or base
        key = (doc_id, pointer)
        cell = self.refs.get(key)
        if cell is None:
            cell = self.refs[key] = [_never]
            node: Any = self.docs.get(doc_id)
            for part in [p for p in pointer.split("/") if p]:
                node = node.get(part.replace("~1", "/").replace("~0", "~")) if node else None
            cell[0] = self.compile(node, doc_id) if isinstance(node, dict | bool) else _never
        return lambda x: cell[0](x)

    def compile(self, schema: Any, base: str) -> Check:
        if schema is True:
            return lambda _: True
        if schema is False or not isinstance(schema, dict):
            return _never
        checks: list[Check] = []
        if {"properties", "additionalProperties", "required"} & schema.keys():
            checks.append(self._object(schema, base))
        for key, value in schema.items():
            made = self._keyword(key, value, schema, base)
            if made is _never:
                return _never
            if made is not None:
                checks.append(made)
        return _all(checks)

    def _keyword(self, key: str, value: Any, schema: dict, base: str) -> Check | None:
        if key in _ANNOTATIONS or key in _OBJECT or key == "then":
            return None  # "then" goes with "if"
        if key == "$ref":
            return self.ref(base, value)
        if key == "type":
            types = [_TYPES.get(t, _never) for t in ([value] if isinstance(value, str) else value)]
            return types[0] if len(types) == 1 else lambda x: any(t(x) for t in types)
        if key in ("enum", "const"):
            options = value if key == "enum" else [value]
            if not all(v is None or isinstance(v, str) for v in options):
                return _never
            strings, nullable = {v for v in options if v is not None}, None in options
            return lambda x: (x is None and nullable) or (isinstance(x, str) and x in strings)
        if key == "pattern":
            search = re.compile(value).search
            return lambda x: not isinstance(x, str) or search(x) is not None
        if key in ("minLength", "minItems", "minProperties", "maxProperties"):
            kind = str if key == "minLength" else list if key == "minItems" else dict
            if key == "maxProperties":
                return lambda x: not isinstance(x, dict) or len(x) <= value
            return lambda x: not isinstance(x, kind) or len(x) >= value
        if key in ("minimum", "maximum"):
            number = _TYPES["number"]
            if key == "minimum":
                return lambda x: not number(x) or x >= value
            return lambda x: not number(x) or x <= value
        if key == "items" and isinstance(value, dict):
            item = self.compile(value, base)
            return lambda x: not isinstance(x, list) or all(item(i) for i in x)
        if key == "oneOf":
            options = [self.compile(v, base) for v in value]
            return lambda x: sum(1 for o in options if o(x)) == 1
        if key == "if":
            cond, then = self.compile(value, base), self.compile(schema.get("then", True), base)
            if "else" in schema:
                return _never
            return lambda x: not cond(x) or then(x)
        if key == "propertyNames":
            name = self.compile(value, base)
            return lambda x: not isinstance(x, dict) or all(name(k) for k in x)
        return _never

    def _object(self, schema: dict, base: str) -> Check:
        props = {k: self.compile(v, base) for k, v in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        other = None if extra is False else self.compile(extra, base)
        required = frozenset(schema.get("required", ()))

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for k, v in x.items():
                c = props.get(k)
                if c is None:
                    if other is None or not other(v):
                        return False
                elif not c(v):
                    return False
            return required <= x.keys()
        return check


@cache
def _fast_checks() -> dict[str, Check]:
    docs = {}
    for path in sorted(schema_root().glob("*.schema.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        docs[doc["$id"]] = doc
    compiler = _Compiler(docs)
    return {k.removesuffix(".schema.json"): compiler.ref(k, "#") for k in docs}


def fast_valid(kind: str, data: Any) -> bool:
    """True only if ``data`` is certainly valid against the schema of ``kind``."""
    check = _fast_checks().get(kind)
    return check is not None and check(data)
