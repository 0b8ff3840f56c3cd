"""Packs that compose: ``extends:`` layers, explicit overrides and rule effects by selector.

A pack's ``pack.yaml`` may name base packs under ``extends:`` (a bundled id, the name of a
sibling folder, or a path relative to the pack). The pack inherits every item of its bases
(jurisdictions, facts, data items, sources, actors, flows, rules, profiles, conflicts and named
conditions) and adds its own. An own item whose id a base already defines must say
``override: true``; it then replaces the inherited item, and the override is recorded (``validate``
and ``explain`` report it). The same base reached twice (a diamond: nyc extends us-federal and
new-york-state, which extends us-federal) counts once; two different layers defining the same id
is an error unless the pack that extends both overrides it.

An effect may name its flows by ``select:`` (flow kind, data item, mechanism, the kinds or levels
of its actors, the sender's jurisdiction) instead of ``flow:``. Selectors are resolved when the
whole pack is composed, into one ordinary effect per matched flow (in pack order), so the core
and the engines see the same per-flow effects as if each flow had been named. A selector that
matches nothing is an error (a warning in a pack marked ``abstract: true``, i.e. a layer meant
only to be extended, validated on its own).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphflow.core.model import Effect, EvidenceClaim, Pack
from graphflow.errors import did_you_mean
from graphflow.packs.problems import Problem
from graphflow.packs.yamlio import YamlDoc

# Item lists a layer may hold: (pack attribute and file key, singular for messages).
KINDS = (
    ("jurisdictions", "jurisdiction"), ("facts", "fact"), ("data_items", "data item"),
    ("sources", "source"), ("actors", "actor"), ("flows", "flow"), ("rules", "rule"),
    ("profiles", "profile"), ("conflicts", "conflict"), ("conditions", "named condition"),
)
SINGULAR = dict(KINDS)
SELECTOR_KEYS = ("kind", "data", "mechanism", "from_kind", "to_kind", "from_level", "to_level",
                 "jurisdiction")


@dataclass(frozen=True, slots=True)
class Selector:
    """An effect written with ``select:``; resolved into one Effect per matched flow."""

    select: dict[str, Any]
    effect: str
    when: Any
    note: str
    citations: tuple
    evidence: EvidenceClaim | None
    valid_from: Any
    valid_to: Any
    where: str

    def effect_on(self, rule: str, flow: str) -> Effect:
        return Effect(rule=rule, flow=flow, effect=self.effect, when=self.when, note=self.note,
                      citations=self.citations, evidence=self.evidence,
                      valid_from=self.valid_from, valid_to=self.valid_to, where=self.where)

    def describe(self) -> str:
        """e.g. "kind=fingerprint-submission, from_level=county|city"."""
        return ", ".join(f"{k}={'|'.join(_as_list(v))}" for k, v in self.select.items())


@dataclass
class Layering:
    """How a pack was composed (``pack.layering``)."""

    layers: list[dict[str, str]] = field(default_factory=list)  # bases first, the pack last
    extends: list[str] = field(default_factory=list)  # the pack's own extends:, as written
    origin: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> id -> layer id
    overrides: list[dict[str, Any]] = field(default_factory=list)
    selectors: list[dict[str, Any]] = field(default_factory=list)

    def layer_of(self, kind: str, ident: str) -> str | None:
        return self.origin.get(kind, {}).get(ident)

    def override_of(self, kind: str, ident: str) -> dict[str, Any] | None:
        return next((o for o in self.overrides if o["kind"] == kind and o["id"] == ident), None)

    def selectors_of(self, rule: str) -> list[dict[str, Any]]:
        return [s for s in self.selectors if s["rule"] == rule]


@dataclass
class _Entry:
    obj: Any
    layer: str
    where: str


@dataclass
class _Composite:
    """One layer with everything it inherits (memoised per folder while composing)."""

    id: str
    folder: Path
    manifest: dict[str, Any]
    items: dict[str, dict[str, _Entry]]
    slots: dict[str, list[Any]]  # rule id -> effects with selectors, for rules that have any
    added: list[tuple[str, Any]]  # (rule id, effect) from rules.yaml's top-level effects:
    layers: list[dict[str, str]]
    overrides: list[dict[str, Any]]
    trigger: str
    target: str
    horizon: int | None
    sanctuary: list[str]


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class _Composer:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.memo: dict[Path, _Composite | None] = {}
        self.leaf_docs: dict[str, YamlDoc] = {}

    # -- finding bases -------------------------------------------------------------------
    def _resolve(self, folder: Path, ref: str, where: str) -> Path | None:
        from graphflow.packs.locate import bundled_packs, data_root

        looks_like_path = "/" in ref or ref.startswith(".") or "\\" in ref
        candidates = [folder / ref] if looks_like_path else [folder.parent / ref,
                                                             data_root() / ref]
        for c in candidates:
            if (c / "pack.yaml").is_file():
                return c
        siblings = sorted(p.name for p in folder.parent.iterdir()
                          if (p / "pack.yaml").is_file()) if folder.parent.is_dir() else []
        pool = sorted({*bundled_packs(), *siblings} - {folder.name})
        self.problems.append(Problem(
            where, f"extends: unknown base pack {ref!r}",
            did_you_mean(ref, pool) or "a bundled pack id (" + ", ".join(bundled_packs())
            + "), a sibling folder, or a path to a folder with a pack.yaml"))
        return None

    # -- one layer -----------------------------------------------------------------------
    def layer(self, folder: Path, stack: list[Path]) -> _Composite | None:
        from graphflow.packs.loader import build_pack, read_docs
        from graphflow.packs.references import duplicates

        key = folder.resolve()
        if key in self.memo:
            return self.memo[key]
        docs, problems = read_docs(folder)
        if not stack:
            self.leaf_docs = docs
        if problems:
            self.problems.extend(problems)
            self.memo[key] = None
            return None
        self.problems.extend(duplicates(docs))
        man = docs["pack"]
        m = man.data
        bases: list[_Composite] = []
        ok = True
        for i, ref in enumerate(m.get("extends", ())):
            where = man.where(("extends", i))
            base = self._resolve(folder, ref, where)
            if base is None:
                ok = False
                continue
            if base.resolve() in (*stack, key):
                names = [p.name for p in (*stack, key)] + [base.resolve().name]
                start = names.index(base.resolve().name)
                self.problems.append(Problem(
                    where, "extends cycle: " + " -> ".join(names[start:]),
                    "a pack cannot extend itself, directly or through its bases"))
                ok = False
                continue
            sub = self.layer(base, [*stack, key])
            if sub is None:
                ok = False
                continue
            bases.append(sub)
        selectors: dict[str, list[Any]] = {}
        added: list[tuple[str, Any]] = []
        pack, more = build_pack(folder, docs, selectors, added)
        self.problems.extend(more)
        if not ok:
            self.memo[key] = None
            return None
        comp = self._merge(folder, m, docs, pack, selectors, added, bases)
        self.memo[key] = comp
        return comp

    def _own(self, docs: dict[str, YamlDoc], pack: Pack) -> dict[str, list[tuple[str, Any,
                                                                             str, bool]]]:
        """Per kind: (id, object, where, override?) of the layer's own items, in file order."""
        out: dict[str, list[tuple[str, Any, str, bool]]] = {}
        for kind, _ in KINDS:
            if kind == "jurisdictions":
                doc, items = docs["pack"], docs["pack"].data.get("jurisdictions", ())
            else:
                doc = docs.get(kind)
                items = doc.data[kind] if doc is not None else ()
            objs = getattr(pack, kind)
            out[kind] = [(it["id"], objs[it["id"]], doc.where((kind, i)),
                          bool(it.get("override"))) for i, it in enumerate(items)
                         if objs.get(it["id"]) is not None]
        return out

    def _merge(self, folder: Path, m: dict[str, Any], docs: dict[str, YamlDoc], pack: Pack,
               selectors: dict[str, list[Any]], added: list[tuple[str, Any]],
               bases: list[_Composite]) -> _Composite:
        """The layer's own items first (most specific first), then what it inherits, in the
        order of extends:; a base reached twice counts once."""
        ident = m["id"]
        own = self._own(docs, pack)
        overriding = {(kind, i) for kind, rows in own.items() for i, _, _, ov in rows if ov}
        inherited: dict[str, dict[str, _Entry]] = {kind: {} for kind, _ in KINDS}
        slots: dict[str, list[Any]] = {}
        extra: list[tuple[str, Any]] = []
        layers: list[dict[str, str]] = []
        overrides: list[dict[str, Any]] = []
        for b in bases:
            for lay in b.layers:
                if lay not in layers:
                    layers.append(lay)
            for o in b.overrides:
                if o not in overrides:
                    overrides.append(o)
            for pair in b.added:
                if not any(pair[1] is x[1] for x in extra):
                    extra.append(pair)
            for kind, entries in b.items.items():
                mine = inherited[kind]
                for i, e in entries.items():
                    have = mine.get(i)
                    if have is None:
                        mine[i] = e
                        if kind == "rules" and i in b.slots:
                            slots[i] = b.slots[i]
                    elif have.obj is not e.obj and (kind, i) not in overriding:
                        self.problems.append(Problem(
                            e.where, f"{SINGULAR[kind]} {i!r} is defined by two layers: "
                            f"{have.layer!r} ({have.where}) and {e.layer!r}",
                            f"pack {ident!r} extends both: give one another id, or override "
                            f"it in {ident!r} with override: true"))
        items: dict[str, dict[str, _Entry]] = {kind: {} for kind, _ in KINDS}
        for kind, rows in own.items():
            mine, base = items[kind], inherited[kind]
            for i, obj, where, ov in rows:
                have = base.get(i)
                if have is not None and not ov:
                    self.problems.append(Problem(
                        where, f"{SINGULAR[kind]} {i!r} is already defined by layer "
                        f"{have.layer!r} ({have.where})",
                        "add override: true to replace it, or choose another id"))
                elif have is None and ov:
                    pool = [k for b in bases for k in b.items[kind]]
                    self.problems.append(Problem(
                        where, f"override of {SINGULAR[kind]} {i!r}, which no base pack "
                        "defines", did_you_mean(i, pool) or (
                            "remove override: true" if bases else
                            f"pack {ident!r} extends nothing; remove override: true")))
                elif have is not None:
                    overrides.append({"kind": kind, "id": i, "layer": ident, "where": where,
                                      "replaces": have.layer, "replaced_at": have.where})
                mine[i] = _Entry(obj, ident, where)
                if kind == "rules":
                    slots.pop(i, None)
                    if i in selectors:
                        slots[i] = selectors[i]
            for i, e in base.items():
                if i not in mine:
                    mine[i] = e
        layers.append({"id": ident, "path": str(folder)})

        def inherited_value(name: str, default: Any) -> Any:
            if m.get(name):
                return m[name]
            for b in reversed(bases):
                value = {"default_trigger": b.trigger, "default_target": b.target,
                         "evidence_horizon_months": b.horizon}[name]
                if value:
                    return value
            return default

        sanctuary = list(dict.fromkeys(
            list(m.get("sanctuary_jurisdictions", ())) + [j for b in bases for j in b.sanctuary]))
        return _Composite(ident, folder, m, items, slots, [*added, *extra], layers, overrides,
                          inherited_value("default_trigger", ""),
                          inherited_value("default_target", ""),
                          inherited_value("evidence_horizon_months", None), sanctuary)


def compose(folder: Path) -> tuple[Pack | None, list[Problem], dict[str, YamlDoc]]:
    """Read a pack and every pack it extends into one Pack (None if any layer cannot be read
    or an extends: fails), with every problem found so far."""
    from graphflow.core.evidence import DEFAULT_HORIZON_MONTHS

    c = _Composer()
    comp = c.layer(folder, [])
    if comp is None:
        return None, c.problems, c.leaf_docs
    m = comp.manifest
    man = c.leaf_docs["pack"]
    for key, value in (("default_trigger", comp.trigger), ("default_target", comp.target)):
        if not value:
            c.problems.append(Problem(man.where(()), f"no {key}: set one in pack.yaml or extend "
                                      "a pack that has one"))
    objs = {kind: {i: e.obj for i, e in comp.items[kind].items()} for kind, _ in KINDS}
    layering = Layering(
        layers=comp.layers, extends=list(m.get("extends", ())),
        origin={kind: {i: e.layer for i, e in comp.items[kind].items()} for kind, _ in KINDS},
        overrides=comp.overrides,
    )
    pack = Pack(
        id=m["id"], name=m["name"], description=m.get("description", ""), path=str(folder),
        jurisdictions=objs["jurisdictions"], sanctuary_jurisdictions=tuple(comp.sanctuary),
        default_trigger=comp.trigger, default_target=comp.target,
        facts=objs["facts"], data_items=objs["data_items"], sources=objs["sources"],
        actors=objs["actors"], flows=objs["flows"], rules=objs["rules"],
        profiles=objs["profiles"], conflicts=objs["conflicts"],
        evidence_horizon_months=comp.horizon or DEFAULT_HORIZON_MONTHS,
        conditions=objs["conditions"], layering=layering,
    )
    slots = dict(comp.slots)
    for rid, eff in comp.added:
        if rid not in pack.rules:
            c.problems.append(Problem(eff.where, f"effects: rule {rid!r} is not defined by "
                                      "this pack or its bases",
                                      did_you_mean(rid, pack.rules) or "see `graphflow list "
                                      "rules`"))
            continue
        slots.setdefault(rid, list(pack.rules[rid].effects)).append(eff)
    if slots:
        c.problems.extend(resolve_selectors(pack, slots, bool(m.get("abstract"))))
    return pack, c.problems, c.leaf_docs


# -- selectors ---------------------------------------------------------------------------------

class _Index:
    """Flow ids by each selector key's value, built once per pack."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.order = {fid: n for n, fid in enumerate(pack.flows)}
        self.by: dict[str, dict[str, set[str]]] = {k: {} for k in SELECTOR_KEYS}
        senders: dict[str, list[str]] = {}
        for f in pack.flows.values():
            src, dst = pack.actors.get(f.source), pack.actors.get(f.target)
            rows = [("mechanism", f.mechanism), ("kind", getattr(f, "kind", None) or "")]
            rows += [("data", d) for d in f.data]
            if src is not None:
                rows += [("from_kind", src.kind), ("from_level", src.level)]
                jurs = senders.get(f.source)
                if jurs is None:
                    jurs = senders[f.source] = sender_jurisdictions(pack, f.source)
                rows += [("jurisdiction", j) for j in jurs]
            if dst is not None:
                rows += [("to_kind", dst.kind), ("to_level", dst.level)]
            for key, value in rows:
                self.by[key].setdefault(value, set()).add(f.id)

    def match(self, select: dict[str, Any]) -> list[str]:
        hits: set[str] | None = None
        for key, value in select.items():
            found: set[str] = set()
            for v in _as_list(value):
                found |= self.by[key].get(v, set())
            hits = found if hits is None else hits & found
            if not hits:
                return []
        return sorted(hits or (), key=self.order.__getitem__)


def sender_jurisdictions(pack: Pack, actor_id: str) -> list[str]:
    """The sender's jurisdiction (its own, else the nearest part_of parent's) and every
    jurisdiction that contains it (parent: chain), nearest first."""
    seen: set[str] = set()
    actor, jur = pack.actors.get(actor_id), None
    while actor is not None and actor.id not in seen:
        seen.add(actor.id)
        if actor.jurisdiction:
            jur = actor.jurisdiction
            break
        actor = pack.actors.get(actor.part_of) if actor.part_of else None
    return jurisdiction_and_parents(pack, jur) if jur else []


def jurisdiction_and_parents(pack: Pack, jur: str) -> list[str]:
    """``jur`` and the jurisdictions it lies within (parent: chain), nearest first."""
    out: list[str] = []
    cur: str | None = jur
    while cur and cur not in out:
        out.append(cur)
        j = pack.jurisdictions.get(cur)
        cur = j.parent if j is not None else None
    return out


def jurisdiction_parts(pack: Pack, jur: str) -> set[str]:
    """``jur`` and every jurisdiction that lies within it (its parts, through parent:)."""
    out = {jur}
    for j in pack.jurisdictions:
        if jur in jurisdiction_and_parents(pack, j):
            out.add(j)
    return out


def _vocabulary(pack: Pack) -> dict[str, list[str]]:
    from graphflow.packs.schema import _schemas

    docs = _schemas()

    def enum(doc: str, *path: str) -> list[str]:
        node: Any = docs[doc]
        for p in path:
            node = node.get(p, {}) if isinstance(node, dict) else {}
        return [str(v) for v in node.get("enum", ())] if isinstance(node, dict) else []

    item = ("properties", "actors", "items", "properties")
    flow = ("properties", "flows", "items", "properties")
    kinds = enum("flows.schema.json", *flow, "kind") or sorted(
        {str(getattr(f, "kind", "")) for f in pack.flows.values()} - {""})
    levels = enum("defs.schema.json", "$defs", "level")
    return {
        "kind": kinds, "data": list(pack.data_items),
        "mechanism": enum("flows.schema.json", *flow, "mechanism"),
        "from_kind": enum("actors.schema.json", *item, "kind"),
        "to_kind": enum("actors.schema.json", *item, "kind"),
        "from_level": levels, "to_level": levels, "jurisdiction": list(pack.jurisdictions),
    }


def resolve_selectors(pack: Pack, slots: dict[str, list[Any]], abstract: bool) -> list[Problem]:
    """Replace every rule that has effects by selector with one whose effects are all by flow;
    record what each selector matched in ``pack.layering.selectors``."""
    out: list[Problem] = []
    index = _Index(pack)
    vocab = _vocabulary(pack)
    records = pack.layering.selectors
    for rid, rule_slots in slots.items():
        rule = pack.rules.get(rid)
        if rule is None:
            continue
        effects: list[Effect] = []
        for slot in rule_slots:
            if not isinstance(slot, Selector):
                effects.append(slot)
                continue
            bad = False
            for key, value in slot.select.items():
                known = vocab.get(key, [])
                for v in _as_list(value):
                    if known and v not in known:
                        bad = True
                        out.append(Problem(slot.where, f"rule {rid!r}: selector {key}: {v!r} "
                                           "is not known in this pack",
                                           did_you_mean(v, known) or "one of: "
                                           + ", ".join(known[:12])))
            matched = [] if bad else index.match(slot.select)
            records.append({"rule": rid, "where": slot.where, "select": dict(slot.select),
                            "effect": slot.effect, "matched": matched})
            if not matched and not bad:
                out.append(Problem(
                    slot.where, f"rule {rid!r}: selector ({slot.describe()}) matches no flow",
                    "check the values against `graphflow list flows`, or name the flow with "
                    "flow:", severity="warning" if abstract else "error"))
            effects.extend(slot.effect_on(rid, fid) for fid in matched)
        pack.rules[rid] = dataclasses.replace(rule, effects=tuple(effects))
    return out


# -- reporting ---------------------------------------------------------------------------------

def layer_notes(pack: Pack, kind: str, ident: str) -> dict[str, Any]:
    """What `explain` adds for an item of a layered pack: the layer it comes from, the item it
    overrides, and for a rule what each of its selectors matched."""
    lay = pack.layering
    if lay is None or len(lay.layers) < 2 and not lay.selectors:
        return {}
    plural = {"flow": "flows", "rule": "rules", "actor": "actors", "profile": "profiles",
              "source": "sources", "fact": "facts", "data-item": "data_items",
              "conflict": "conflicts", "condition": "conditions"}.get(kind, kind)
    out: dict[str, Any] = {}
    layer = lay.layer_of(plural, ident)
    if layer is not None and len(lay.layers) > 1:
        out["layer"] = layer
    o = lay.override_of(plural, ident)
    if o is not None:
        out["overrides"] = {"layer": o["layer"], "where": o["where"],
                            "replaces": f"{o['replaces']} ({o['replaced_at']})"}
    if plural == "rules":
        sel = lay.selectors_of(ident)
        if sel:
            out["selectors"] = [{"select": Selector(s["select"], "", None, "", (), None, None,
                                                    None, "").describe(),
                                 "effect": s["effect"], "matched": len(s["matched"]),
                                 "flows": ", ".join(s["matched"]), "where": s["where"]}
                                for s in sel]
    return out


def layering_summary(pack: Pack) -> dict[str, Any] | None:
    """For `validate`: the layers, the overrides and what each selector matched (None for a
    flat pack with no selectors)."""
    lay = pack.layering
    if lay is None or (len(lay.layers) < 2 and not lay.selectors):
        return None
    return {
        "layers": [x["id"] for x in lay.layers],
        "overrides": [{k: o[k] for k in ("kind", "id", "layer", "where", "replaces")}
                      for o in lay.overrides],
        "selectors": [{"rule": s["rule"], "where": s["where"], "select": s["select"],
                       "effect": s["effect"], "matched": s["matched"]} for s in lay.selectors],
    }
