"""A pack as rows of the graph model: node batches per label set, relationship batches per type.

Property values are strings, homogeneous string lists, integers, floats or booleans; None,
"" and [] are left out (an absent property means "none"), so a load, the Cypher script and
the CSV files give the same graph on Neo4j and ArcadeDB alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphflow import __version__
from graphflow.core.conditions import describe
from graphflow.core.model import Citation, Pack
from graphflow.store.model import (
    KIND_LABELS,
    MODEL_VERSION,
    NODE_BY_LABEL,
    NodeSpec,
    RelSpec,
    rel_spec,
)
from graphflow.store.statuses import StatusSet, add_statuses
from graphflow.tuning import paused_gc

Row = dict[str, Any]


@dataclass
class NodeBatch:
    """Rows for one label set. A row is ``{"k": key properties, "p": other properties}``."""

    spec: NodeSpec
    labels: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)


@dataclass
class RelBatch:
    """Rows for one relationship spec: ``{"s": start key, "t": end key, "k": key, "p": props}``."""

    spec: RelSpec
    rows: list[Row] = field(default_factory=list)


@dataclass
class GraphData:
    """Everything graphflow writes for one pack."""

    pack: str
    nodes: list[NodeBatch]
    rels: list[RelBatch]

    def node_count(self) -> int:
        return sum(len(b.rows) for b in self.nodes)

    def rel_count(self) -> int:
        return sum(len(b.rows) for b in self.rels)

    def counts(self) -> dict[str, int]:
        """Rows per label (first label) and per relationship type."""
        out: dict[str, int] = {}
        for nb in self.nodes:
            out[nb.spec.label] = out.get(nb.spec.label, 0) + len(nb.rows)
        for rb in self.rels:
            out[rb.spec.type] = out.get(rb.spec.type, 0) + len(rb.rows)
        return out


def clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop None, "" and []; dates become ISO strings, tuples lists."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        kind = type(value)
        if kind is str or kind is bool or kind is int or kind is float:  # most values
            if value != "":
                out[key] = value
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            value = [v.isoformat() if isinstance(v, dt.date) else str(v) for v in value]
        out[key] = value
    return out


def to_json(value: Any) -> str:
    """Compact, key-sorted JSON (dates as ISO strings)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str,
                      separators=(",", ":"))


_PACK_ID = ("pack", "id")


class _Builder:
    """Collects node and relationship rows; relationships to missing nodes are dropped."""

    def __init__(self, pack_id: str) -> None:
        self.pack = pack_id
        self.nodes: dict[tuple[str, ...], NodeBatch] = {}
        self.rels: dict[tuple[str, str, str], RelBatch] = {}
        self.keys: set[tuple[str, tuple[Any, ...]]] = set()
        """(label, key values) of labels keyed otherwise than by ``_PACK_ID``."""
        self.ids: dict[str, set[Any]] = {}
        """Ids per label keyed by ``_PACK_ID`` (the pack is this builder's)."""

    def node(self, label: str, props: dict[str, Any], extra: Sequence[str] = ()) -> None:
        spec = NODE_BY_LABEL[label]
        full = clean({"pack": self.pack, **props})
        key = {k: full.pop(k) for k in spec.key}
        labels = (label, *extra)
        batch = self.nodes.get(labels)
        if batch is None:
            batch = self.nodes[labels] = NodeBatch(spec, labels)
        batch.rows.append({"k": key, "p": full})
        if spec.key == _PACK_ID and key["pack"] == self.pack:
            self.ids.setdefault(label, set()).add(key["id"])
        else:
            self.keys.add((label, tuple(key.values())))

    def rel(self, type_: str, start: tuple[str, dict[str, Any]], end: tuple[str, dict[str, Any]],
            props: dict[str, Any] | None = None) -> None:
        batch = self.rels.get((type_, start[0], end[0]))
        if batch is None:
            batch = self.rels[(type_, start[0], end[0])] = RelBatch(
                rel_spec(type_, start[0], end[0]))
        keys = batch.spec.key
        if props is None and keys == ("pack",):  # most relationships: no properties
            key, full = {"pack": self.pack}, {}
        else:
            full = clean({"pack": self.pack, **(props or {})})
            key = {k: full.pop(k) for k in keys}
        batch.rows.append({"s": self._key(start), "t": self._key(end), "k": key, "p": full})

    def _key(self, ref: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        label, values = ref
        keys = NODE_BY_LABEL[label].key
        if keys == _PACK_ID:
            return {"pack": self.pack, "id": values["id"]}
        return {k: values.get(k, self.pack) if k == "pack" else values[k] for k in keys}

    def _exists(self, label: str) -> Callable[[dict[str, Any]], bool]:
        """Whether a relationship's end (its key) is one of the nodes collected."""
        if NODE_BY_LABEL[label].key == _PACK_ID:
            ids, pack = self.ids.get(label, set()), self.pack
            return lambda key: key["id"] in ids and key["pack"] == pack
        keys = self.keys
        return lambda key: (label, tuple(key.values())) in keys

    def build(self) -> GraphData:
        rels = []
        for batch in self.rels.values():
            starts, ends = self._exists(batch.spec.start), self._exists(batch.spec.end)
            batch.rows = [r for r in batch.rows if starts(r["s"]) and ends(r["t"])]
            if batch.rows:
                rels.append(batch)
        return GraphData(self.pack, list(self.nodes.values()), rels)


def _ref(label: str, id_: str) -> tuple[str, dict[str, Any]]:
    return (label, {"id": id_})


def _cites(b: _Builder, label: str, id_: str, cites: Iterable[Citation]) -> None:
    for i, c in enumerate(cites):
        b.rel("SUPPORTED_BY", _ref(label, id_), _ref("Source", c.source),
              {"position": i, "locator": c.locator, "quote": c.quote,
               "original": c.original, "grade": c.grade, "date": c.date, "shows": c.shows})


def _when(cond: Any) -> dict[str, Any]:
    if cond is None:
        return {}
    return {"when_json": to_json(cond), "when_text": describe(cond)}


def _structure(b: _Builder, pack: Pack) -> None:
    sanctuary = set(pack.sanctuary_jurisdictions)
    for j in pack.jurisdictions.values():
        b.node("Jurisdiction", {"id": j.id, "name": j.name, "level": j.level,
                                "parent": j.parent, "sanctuary": j.id in sanctuary})
        if j.parent:
            b.rel("PART_OF", _ref("Jurisdiction", j.id), _ref("Jurisdiction", j.parent))
    for item in pack.data_items.values():
        b.node("DataItem", {"id": item.id, "name": item.name, "description": item.description})
    for fact in pack.facts.values():
        b.node("Fact", {"id": fact.id, "type": fact.type, "values": fact.values,
                        "description": fact.description})
    for s in pack.sources.values():
        b.node("Source", {"id": s.id, "title": s.title, "publisher": s.publisher,
                          "date": str(s.date) if s.date else None, "url": s.url,
                          "file": s.file, "kind": s.kind})
    for a in pack.actors.values():
        b.node("Actor", {"id": a.id, "name": a.name, "kind": a.kind, "level": a.level,
                         "aliases": a.aliases, "jurisdiction": a.jurisdiction,
                         "part_of": a.part_of, "controlled_by": a.controlled_by,
                         "valid_from": a.valid_from, "valid_to": a.valid_to,
                         "description": a.description}, extra=(KIND_LABELS[a.kind],))
        if a.part_of:
            b.rel("PART_OF", _ref("Actor", a.id), _ref("Actor", a.part_of))
        if a.jurisdiction:
            b.rel("IN_JURISDICTION", _ref("Actor", a.id), _ref("Jurisdiction", a.jurisdiction))
        for j in a.controlled_by or ((a.jurisdiction,) if a.jurisdiction else ()):
            b.rel("CONTROLLED_BY", _ref("Actor", a.id), _ref("Jurisdiction", j))
        _cites(b, "Actor", a.id, a.citations)


def _flows(b: _Builder, pack: Pack) -> None:
    for f in pack.flows.values():
        common = {"id": f.id, "name": f.name, "data": f.data, "mechanism": f.mechanism,
                  "basis": f.basis, "confidence": f.confidence.value,
                  "valid_from": f.valid_from, "valid_to": f.valid_to, **_when(f.when)}
        b.node("Flow", {**common, "source": f.source, "target": f.target, "trigger": f.trigger,
                        "latency": f.latency,
                        "latency_hours": None if f.latency_hours is None
                        else float(f.latency_hours),
                        "controlled_by": f.controlled_by, "description": f.description})
        b.rel("FLOWS_TO", _ref("Actor", f.source), _ref("Actor", f.target), common)
        b.rel("SENDS", _ref("Actor", f.source), _ref("Flow", f.id))
        b.rel("DELIVERS_TO", _ref("Flow", f.id), _ref("Actor", f.target))
        for item in f.data:
            b.rel("CARRIES", _ref("Flow", f.id), _ref("DataItem", item))
        for j in pack.controllers_of(f):
            b.rel("CONTROLLED_BY", _ref("Flow", f.id), _ref("Jurisdiction", j),
                  {"inherited": not f.controlled_by})
        _cites(b, "Flow", f.id, f.citations)


def _rules(b: _Builder, pack: Pack) -> None:
    for r in pack.rules.values():
        b.node("Rule", {"id": r.id, "name": r.name, "jurisdiction": r.jurisdiction,
                        "kind": r.kind, "enacted": r.enacted, "effective": r.effective,
                        "ended": r.ended, "in_force_from": r.starts,
                        "hypothetical": r.hypothetical, "description": r.description})
        b.rel("MADE_BY", _ref("Rule", r.id), _ref("Jurisdiction", r.jurisdiction))
        for i, e in enumerate(r.effects):
            b.rel("GOVERNS", _ref("Rule", r.id), _ref("Flow", e.flow), {
                "position": i, "effect": e.effect, **_when(e.when), "note": e.note,
                "sources": list(dict.fromkeys(c.source for c in e.citations)),
                "citations_json": to_json([c.as_dict() for c in e.citations])
                if e.citations else None,
            })
        _cites(b, "Rule", r.id, r.citations)


def _people(b: _Builder, pack: Pack) -> None:
    for p in pack.profiles.values():
        b.node("Profile", {"id": p.id, "name": p.name, "description": p.description,
                           "facts_json": to_json(p.facts)})
        for fact, value in p.facts.items():
            b.rel("ASSUMES", _ref("Profile", p.id), _ref("Fact", fact),
                  {"value_json": to_json(value)})
        _cites(b, "Profile", p.id, p.citations)
    for c in pack.conflicts.values():
        b.node("Conflict", {"id": c.id, "summary": c.summary, "resolution": c.resolution,
                            "about": c.about})
        for about in c.about:
            label = ("Rule" if about in pack.rules else "Flow" if about in pack.flows
                     else "Actor" if about in pack.actors else None)
            if label:
                b.rel("ABOUT", _ref("Conflict", c.id), _ref(label, about))
        for i, (says, cite) in enumerate(c.positions):
            b.rel("SUPPORTED_BY", _ref("Conflict", c.id), _ref("Source", cite.source),
                  {"position": i, "locator": cite.locator, "quote": cite.quote, "says": says,
                   "original": cite.original, "grade": cite.grade, "date": cite.date,
                   "shows": cite.shows})


def topology_hash(pack: Pack) -> str:
    """A hash of what route enumeration depends on: actor ids and flow endpoints."""
    text = to_json([sorted(pack.actors), sorted((f.id, f.source, f.target)
                                                for f in pack.flows.values())])
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(nodes: Iterable[NodeBatch], rels: Iterable[RelBatch]) -> str:
    """sha256 of the rows, batch by batch, each as its Python ``repr``: the builder makes
    every row's keys in one order, and its values are strings, numbers, booleans and lists of
    strings, whose repr is fixed. (Compact JSON of the national pack's 1.2 million rows took
    12 s; their repr 4-5 s.)"""
    h = hashlib.sha256()
    for nb in nodes:
        h.update(repr((nb.labels, nb.rows)).encode())
    for rb in rels:
        h.update(repr((rb.spec.type, rb.spec.start, rb.spec.end, rb.rows)).encode())
    return h.hexdigest()


def build_graph(pack: Pack, *, statuses: Sequence[StatusSet] = (), max_hops: int = 8,
                loaded_at: str | None = None) -> GraphData:
    """The rows graphflow writes for a pack, and the statuses the caller computed with the
    domain core (``graphflow.analysis.statuses.compute``; ``max_hops``: their route bound).
    The store computes no status itself."""
    with paused_gc():  # millions of small acyclic dicts (when graphflow.tuning is on)
        return _build(pack, statuses, max_hops, loaded_at)


def _build(pack: Pack, statuses: Sequence[StatusSet], max_hops: int,
           loaded_at: str | None) -> GraphData:
    b = _Builder(pack.id)
    _structure(b, pack)
    _flows(b, pack)
    _rules(b, pack)
    _people(b, pack)
    add_statuses(b, pack, statuses)
    status_dates = {s.as_of for s in statuses}
    data = b.build()
    stamp = loaded_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    b2 = _Builder(pack.id)
    b2.node("Pack", {
        "id": pack.id, "name": pack.name, "description": pack.description,
        "jurisdictions": list(pack.jurisdictions),
        "sanctuary_jurisdictions": pack.sanctuary_jurisdictions,
        "default_trigger": pack.default_trigger, "default_target": pack.default_target,
        "content_hash": _digest(data.nodes, data.rels), "topology_hash": topology_hash(pack),
        "model_version": MODEL_VERSION, "graphflow_version": __version__, "loaded_at": stamp,
        "state": "loaded",
        "status_dates": sorted(d.isoformat() for d in status_dates),
        "status_max_hops": max_hops if status_dates else None,
    })
    return GraphData(pack.id, [*b2.nodes.values(), *data.nodes], data.rels)
