"""The graph model in Neo4j, declared once: labels, relationship types, keys and properties.

Generated from it: the load statements (``load``/``cypher_text``), the exported script and
CSV headers (``script``), ``schema/neo4j/constraints.cypher`` and the property tables of
``docs/neo4j.md``. Regenerate the last two with ``python -m graphflow.store.model``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from graphflow.core.model import ACTOR_KINDS

MODEL_VERSION = 2
"""Bumped when the graph model changes; stored on the (:Pack) node."""

TYPES = ("string", "string[]", "integer", "float", "boolean")
_LABEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_RELTYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_PROP = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Prop:
    """A property: name, type (one of TYPES) and what it means."""

    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class NodeSpec:
    """A node label, its key (unique together) and its other properties."""

    label: str
    key: tuple[str, ...]
    props: tuple[Prop, ...]
    doc: str
    indexes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelSpec:
    """A relationship type between two labels; ``key`` identifies it between its two nodes."""

    type: str
    start: str
    end: str
    props: tuple[Prop, ...]
    doc: str
    key: tuple[str, ...] = ("pack",)


def P(name: str, type_: str, doc: str) -> Prop:  # noqa: N802 - short constructor for the tables
    return Prop(name, type_, doc)


PACK = P("pack", "string", "id of the pack this belongs to")
ID = P("id", "string", "id in the pack (kebab-case)")
NAME = P("name", "string", "display name")
DESCRIPTION = P("description", "string", "our own words")
VALID_FROM = P("valid_from", "string", "first day it exists (YYYY-MM-DD), absent = always")
VALID_TO = P("valid_to", "string", "last day it exists (YYYY-MM-DD), absent = still")
WHEN_JSON = P("when_json", "string", "condition as JSON (pack format), absent = always")
WHEN_TEXT = P("when_text", "string", "the condition in words")
POSITION = P("position", "integer", "order in the pack's list (0-based)")

KIND_LABELS = {kind: kind.title().replace("-", "") for kind in ACTOR_KINDS}
"""Second label of an actor, by kind: agency -> Agency, event -> Event, ..."""

NODES: tuple[NodeSpec, ...] = (
    NodeSpec("Pack", ("pack", "id"), (
        PACK, ID, NAME, DESCRIPTION,
        P("jurisdictions", "string[]", "ids of the pack's jurisdictions"),
        P("sanctuary_jurisdictions", "string[]", "jurisdictions whose rules are sanctuary rules"),
        P("default_trigger", "string", "default route start"),
        P("default_target", "string", "default route target"),
        P("content_hash", "string", "sha256 of the loaded rows (changes when the pack does)"),
        P("topology_hash", "string", "sha256 of actors and flow endpoints (route engine check)"),
        P("model_version", "integer", "version of this graph model"),
        P("graphflow_version", "string", "graphflow version that loaded it"),
        P("loaded_at", "string", "UTC time of the load (ISO 8601)"),
        P("state", "string", "loaded | loading | dropping: a batched load or drop under way, or "
                             "interrupted (the node then has no hashes; run it again)"),
        P("load_started_at", "string", "UTC start of the unfinished batched load or drop"),
        P("load_batches", "integer", "transactions the unfinished batched load or drop has "
                                     "committed"),
        P("status_dates", "string[]", "dates of the statuses loaded (--with-statuses)"),
        P("status_max_hops", "integer", "max hops of the loaded routes"),
    ), "One per loaded pack; `pack` = `id`."),
    NodeSpec("Jurisdiction", ("pack", "id"), (
        PACK, ID, NAME,
        P("level", "string", "city | state | federal | other"),
        P("parent", "string", "id of the enclosing jurisdiction"),
        P("sanctuary", "boolean", "its rules count as sanctuary rules"),
    ), "Who makes rules and directs actors."),
    NodeSpec("Actor", ("pack", "id"), (
        PACK, ID, NAME,
        P("kind", "string", "agency | office | system | ... | event (also the second label)"),
        P("level", "string", "city | state | federal | other"),
        P("aliases", "string[]", "other names"),
        P("jurisdiction", "string", "id of its jurisdiction"),
        P("part_of", "string", "id of the parent actor"),
        P("controlled_by", "string[]", "jurisdictions that can direct it, as written"),
        VALID_FROM, VALID_TO, DESCRIPTION,
    ), "An agency, office, system, court, ...; `kind: event` actors are triggers. Labelled "
       "`:Actor` and `:<Kind>` (" + ", ".join(f"`{v}`" for v in KIND_LABELS.values()) + ").",
       indexes=("name",)),
    NodeSpec("Flow", ("pack", "id"), (
        PACK, ID, NAME,
        P("source", "string", "id of the sending actor"),
        P("target", "string", "id of the receiving actor"),
        P("data", "string[]", "ids of the data items carried"),
        P("trigger", "string", "what sets it off, in words"),
        P("mechanism", "string", "automatic | routine | on-request | ..."),
        P("basis", "string", "mandated | routine-practice | discretionary | unknown"),
        P("confidence", "string", "documented | reported | alleged"),
        WHEN_JSON, WHEN_TEXT, VALID_FROM, VALID_TO,
        P("latency", "string", "how long it takes, in words"),
        P("latency_hours", "float", "how long it takes, in hours"),
        P("controlled_by", "string[]", "jurisdictions that can regulate it, as written"),
        DESCRIPTION,
    ), "A flow as an entity (relationship-as-entity), so rules and sources can point at it; "
       "the same flow is also a `FLOWS_TO` relationship for traversal."),
    NodeSpec("DataItem", ("pack", "id"), (PACK, ID, NAME, DESCRIPTION),
             "A kind of information (fingerprints, court date, ...)."),
    NodeSpec("Fact", ("pack", "id"), (
        PACK, ID,
        P("type", "string", "boolean | enum | integer"),
        P("values", "string[]", "the values of an enum fact"),
        DESCRIPTION,
    ), "A case fact that conditions and profiles use."),
    NodeSpec("Rule", ("pack", "id"), (
        PACK, ID, NAME,
        P("jurisdiction", "string", "id of the jurisdiction that made it"),
        P("kind", "string", "law | executive-order | memo | ..."),
        P("enacted", "string", "YYYY-MM-DD"),
        P("effective", "string", "YYYY-MM-DD"),
        P("ended", "string", "last day in force (YYYY-MM-DD), absent = still"),
        P("in_force_from", "string", "effective, else enacted"),
        P("hypothetical", "boolean", "a what-if rule"),
        DESCRIPTION,
    ), "A law, order, memo, ruling, ... that governs flows."),
    NodeSpec("Source", ("pack", "id"), (
        PACK, ID,
        P("title", "string", "document title"),
        P("publisher", "string", "who published it"),
        P("date", "string", "publication date"),
        P("url", "string", "where to read it"),
        P("file", "string", "the text file quotes are checked against"),
        P("kind", "string", "news | government | court | ngo | research | law | other"),
    ), "A document cited as evidence."),
    NodeSpec("Profile", ("pack", "id"), (
        PACK, ID, NAME, DESCRIPTION,
        P("facts_json", "string", "the profile's facts as a JSON object"),
    ), "A named set of case facts (a person); facts not listed are unknown."),
    NodeSpec("Conflict", ("pack", "id"), (
        PACK, ID,
        P("summary", "string", "what the sources disagree about"),
        P("resolution", "string", "how the pack resolves it"),
        P("about", "string[]", "ids of the rules, flows or actors concerned"),
    ), "A place where sources disagree."),
    NodeSpec("Route", ("pack", "profile", "as_of", "id"), (
        PACK,
        P("profile", "string", "profile id"),
        P("as_of", "string", "date of the statuses (YYYY-MM-DD)"),
        P("id", "string", "route id (the same hash as the command line's)"),
        P("source", "string", "first actor (a trigger)"),
        P("target", "string", "the queried target (the pack's default target)"),
        P("status", "string", "open | conditional | not-triggered | blocked | inactive"),
        P("confidence", "string", "weakest hop confidence"),
        P("leak", "boolean", "open route"),
        P("leak_kind", "string", "untouched | conditions-met"),
        P("hops", "integer", "number of flows"),
        P("flows", "string[]", "flow ids in order"),
        P("nodes", "string[]", "actor ids in order"),
        P("data", "string[]", "what the last hop delivers"),
        P("touched_by", "string[]", "rules that block or condition a hop"),
        P("missing_facts", "string[]", "unknown facts the status depends on"),
        P("evidence_state", "string", "current | stale | unverified (its weakest hop's)"),
        P("last_evidenced", "string", "where the weakest hop's evidence ends (YYYY[-MM[-DD]])"),
        P("evidence_note", "string", "why the evidence is not current, if it is not"),
        P("conflicts", "string[]", "ids of the source conflicts about its hops"),
    ), "Only with `--with-statuses`: a route from a trigger to the pack's default target, with "
       "the status the domain core computes for one profile on one date.",
       indexes=("status",)),
)

CITE = (POSITION, P("locator", "string", "where in the document"),
        P("quote", "string", "exact quote"),
        P("original", "string", "id of the primary Source the cited research notes quote"),
        P("grade", "string", "verified | secondary | lead, as the research notes tag the fact"),
        P("date", "string", "date of the cited passage when it differs from the source's"),
        P("shows", "string", "barred | not-done: the passage documents a bar, not the channel"))

RELS: tuple[RelSpec, ...] = (
    RelSpec("FLOWS_TO", "Actor", "Actor", (
        PACK, ID, NAME,
        P("data", "string[]", "ids of the data items carried"),
        P("mechanism", "string", "automatic | routine | on-request | ..."),
        P("basis", "string", "mandated | routine-practice | discretionary | unknown"),
        P("confidence", "string", "documented | reported | alleged"),
        VALID_FROM, VALID_TO, WHEN_JSON, WHEN_TEXT,
    ), "A flow, for traversal: `(a)-[:FLOWS_TO*1..8]->(b)`.", key=("pack", "id")),
    RelSpec("PART_OF", "Actor", "Actor", (PACK,), "A sub-unit and its parent."),
    RelSpec("PART_OF", "Jurisdiction", "Jurisdiction", (PACK,), "Jurisdiction nesting."),
    RelSpec("IN_JURISDICTION", "Actor", "Jurisdiction", (PACK,), "An actor's jurisdiction."),
    RelSpec("CONTROLLED_BY", "Actor", "Jurisdiction", (PACK,),
            "Who can direct the actor (its `controlled_by`, else its jurisdiction)."),
    RelSpec("CONTROLLED_BY", "Flow", "Jurisdiction", (
        PACK, P("inherited", "boolean", "taken from the sender, not the flow itself"),
    ), "Who can regulate the flow (as the minimum-cut analysis sees it)."),
    RelSpec("SENDS", "Actor", "Flow", (PACK,), "The sender of a flow entity."),
    RelSpec("DELIVERS_TO", "Flow", "Actor", (PACK,), "The receiver of a flow entity."),
    RelSpec("CARRIES", "Flow", "DataItem", (PACK,), "A data item a flow carries."),
    RelSpec("GOVERNS", "Rule", "Flow", (
        PACK, POSITION,
        P("effect", "string", "blocks | allows-only-when | does-not-touch"),
        WHEN_JSON, WHEN_TEXT,
        P("note", "string", "our own words"),
        P("sources", "string[]", "ids of the sources cited for this effect"),
        P("citations_json", "string", "the effect's citations as JSON"),
    ), "A rule's effect on a flow.", key=("pack", "position")),
    RelSpec("MADE_BY", "Rule", "Jurisdiction", (PACK,), "The jurisdiction of a rule."),
    RelSpec("SUPPORTED_BY", "Actor", "Source", (PACK, *CITE), "A citation of an actor.",
            key=("pack", "position")),
    RelSpec("SUPPORTED_BY", "Flow", "Source", (PACK, *CITE), "A citation of a flow.",
            key=("pack", "position")),
    RelSpec("SUPPORTED_BY", "Rule", "Source", (PACK, *CITE), "A citation of a rule.",
            key=("pack", "position")),
    RelSpec("SUPPORTED_BY", "Profile", "Source", (PACK, *CITE), "A citation of a profile.",
            key=("pack", "position")),
    RelSpec("SUPPORTED_BY", "Conflict", "Source", (
        PACK, *CITE, P("says", "string", "the position this source takes"),
    ), "One side of a conflict.", key=("pack", "position")),
    RelSpec("ABOUT", "Conflict", "Rule", (PACK,), "A rule a conflict concerns."),
    RelSpec("ABOUT", "Conflict", "Flow", (PACK,), "A flow a conflict concerns."),
    RelSpec("ABOUT", "Conflict", "Actor", (PACK,), "An actor a conflict concerns."),
    RelSpec("ASSUMES", "Profile", "Fact", (
        PACK, P("value_json", "string", "the fact's value as JSON (true, \"custodial-arrest\", 2)"),
    ), "A fact a profile sets."),
    RelSpec("HOP_STATUS", "Profile", "Flow", (
        PACK,
        P("as_of", "string", "date (YYYY-MM-DD)"),
        P("status", "string", "open | conditional | not-triggered | blocked | inactive"),
        P("reasons", "string[]", "the reasons, in words"),
        P("reasons_json", "string", "the reasons as JSON (as in `routes --format json`)"),
        P("touched_by", "string[]", "rules in force that block or condition it"),
        P("missing_facts", "string[]", "unknown facts it depends on"),
        P("evidence_state", "string", "current | stale | unverified on that date"),
        P("last_evidenced", "string", "where its evidence ends (YYYY[-MM[-DD]])"),
        P("evidence_note", "string", "why the evidence is not current, if it is not"),
    ), "Only with `--with-statuses`: the hop status of a flow for a profile on a date.",
       key=("pack", "as_of")),
    RelSpec("FOR_PROFILE", "Route", "Profile", (PACK,), "The profile of a route status."),
    RelSpec("HOP", "Route", "Flow", (
        PACK, POSITION, P("status", "string", "the hop's status"),
    ), "The flows of a route, in order.", key=("pack", "position")),
)

NODE_BY_LABEL = {spec.label: spec for spec in NODES}


def _require(ok: bool, what: object) -> None:
    """A real check (``assert`` would vanish under ``python -O``)."""
    if not ok:
        raise RuntimeError(f"graphflow store model is inconsistent: {what!r}")


def _check_model() -> None:
    for node in NODES:
        _require(bool(_LABEL.match(node.label)), node.label)
        names = [p.name for p in node.props]
        _require(set(node.key) <= set(names), node.label)
        _require(all(_PROP.match(n) for n in names) and len(set(names)) == len(names),
                 node.label)
        _require(all(p.type in TYPES for p in node.props), node.label)
    for label in KIND_LABELS.values():
        _require(bool(_LABEL.match(label)), label)
    for rel in RELS:
        _require(bool(_RELTYPE.match(rel.type)), rel.type)
        _require(rel.start in NODE_BY_LABEL and rel.end in NODE_BY_LABEL, rel)
        names = [p.name for p in rel.props]
        _require(set(rel.key) <= set(names) and all(_PROP.match(n) for n in names), rel)


_check_model()


REL_BY_KEY = {(spec.type, spec.start, spec.end): spec for spec in RELS}


def rel_spec(type_: str, start: str, end: str) -> RelSpec:
    """The relationship spec for a type between two labels."""
    return REL_BY_KEY[(type_, start, end)]


def label_ok(label: str) -> bool:
    """Whether a label may be put into Cypher text (model labels and kind labels only)."""
    return bool(_LABEL.match(label)) and (
        label in NODE_BY_LABEL or label in KIND_LABELS.values()
    )


def reltype_ok(type_: str) -> bool:
    """Whether a relationship type may be put into Cypher text (model types only)."""
    return bool(_RELTYPE.match(type_)) and any(r.type == type_ for r in RELS)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def schema_statements() -> list[str]:
    """Constraints and indexes (Neo4j 5 syntax, IF NOT EXISTS), in the order to apply them."""
    out = []
    for node in NODES:
        keys = ", ".join(f"n.{k}" for k in node.key)
        out.append(f"CREATE CONSTRAINT graphflow_{_snake(node.label)}_key IF NOT EXISTS "
                   f"FOR (n:{node.label}) REQUIRE ({keys}) IS UNIQUE")
    for node in NODES:
        for prop in node.indexes:
            out.append(f"CREATE INDEX graphflow_{_snake(node.label)}_{prop} IF NOT EXISTS "
                       f"FOR (n:{node.label}) ON (n.{prop})")
    out.append("CREATE INDEX graphflow_flows_to_id IF NOT EXISTS "
               "FOR ()-[r:FLOWS_TO]-() ON (r.id)")
    return out


def constraints_cypher() -> str:
    """The text of schema/neo4j/constraints.cypher."""
    head = [
        "// graphflow graph model in Neo4j: constraints and indexes (Neo4j 5 syntax).",
        "// Generated from graphflow/store/model.py by `python -m graphflow.store.model`;",
        "// do not edit by hand. `graphflow neo4j load` applies it before loading; every",
        "// statement is idempotent (IF NOT EXISTS). Apply by hand with:",
        "//   cypher-shell -d neo4j -f schema/neo4j/constraints.cypher",
        f"// model version {MODEL_VERSION}",
        "",
    ]
    return "\n".join(head + [s + ";" for s in schema_statements()]) + "\n"


def _table(props: tuple[Prop, ...], key: tuple[str, ...]) -> list[str]:
    lines = ["| property | type | meaning |", "|---|---|---|"]
    for p in props:
        mark = " (key)" if p.name in key else ""
        doc = p.doc.replace("|", "\\|")
        lines.append(f"| `{p.name}`{mark} | {p.type} | {doc} |")
    return lines


def docs_markdown() -> str:
    """The generated property tables of docs/neo4j.md."""
    lines = ["### Nodes", ""]
    for node in NODES:
        key = ", ".join(node.key)
        lines += [f"#### `(:{node.label})`", "", f"{node.doc} Unique key: ({key}).", ""]
        lines += _table(node.props, node.key) + [""]
    lines += ["### Relationships", ""]
    for rel in RELS:
        lines += [f"#### `(:{rel.start})-[:{rel.type}]->(:{rel.end})`", "", rel.doc, ""]
        lines += _table(rel.props, rel.key) + [""]
    return "\n".join(lines)


BEGIN = "<!-- BEGIN GENERATED: graphflow.store.model -->"
END = "<!-- END GENERATED: graphflow.store.model -->"


def replace_generated(doc: str) -> str:
    """A docs/neo4j.md text with its generated section replaced by the current tables."""
    start, stop = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    return doc[:start] + "\n" + docs_markdown() + doc[stop:]


def main(root: Path | None = None) -> int:
    """Rewrite schema/neo4j/constraints.cypher and the tables of docs/neo4j.md."""
    base = root or Path(__file__).resolve().parents[2]
    (base / "schema" / "neo4j").mkdir(parents=True, exist_ok=True)
    (base / "schema" / "neo4j" / "constraints.cypher").write_text(constraints_cypher())
    doc = base / "docs" / "neo4j.md"
    doc.write_text(replace_generated(doc.read_text()))
    print(f"wrote {base / 'schema/neo4j/constraints.cypher'} and {doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
