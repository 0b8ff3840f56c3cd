"""Write a pack into a Bolt server: schema first, then one atomic replace per pack.

A load is one write transaction: it deletes the pack's graphflow nodes (our labels AND the
pack's id, so other packs and researchers' own nodes stay) and creates the new ones in
batched ``UNWIND`` statements. Other sessions see the old pack or the new one, never half of
it; an interrupted load rolls back and can simply be run again; loading twice gives the same
graph. Nodes and relationships are CREATEd: the pack's nodes (and so every relationship that
touches them) were just deleted in the same transaction, so a MERGE could only ever create, and
on ArcadeDB it costs an index probe per row (and scans for two-label node patterns).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphflow.errors import GraphflowError
from graphflow.store.model import NODE_BY_LABEL, NODES, RELS, RelSpec, label_ok, reltype_ok
from graphflow.store.rows import GraphData, NodeBatch, RelBatch

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

Progress = Callable[[int, int, str], None]
"""progress(done, total, what): rows written so far, of how many, and what is being written."""

DEFAULT_BATCH = 1000


def _labels(labels: Sequence[str]) -> str:
    for label in labels:
        if not label_ok(label):  # only model labels ever reach Cypher text
            raise ValueError(f"not a graphflow label: {label!r}")
    return ":" + ":".join(labels)


def _reltype(type_: str) -> str:
    if not reltype_ok(type_):
        raise ValueError(f"not a graphflow relationship type: {type_!r}")
    return type_


def _keymap(keys: Sequence[str], source: str) -> str:
    return "{" + ", ".join(f"{k}: {source}.{k}" for k in keys) + "}"


def node_statement(batch: NodeBatch, rows: str = "$rows") -> str:
    """``UNWIND rows CREATE`` for one label set; ``rows`` is ``$rows`` or a literal list."""
    return (f"UNWIND {rows} AS row CREATE (n{_labels(batch.labels)} "
            f"{_keymap(batch.spec.key, 'row.k')}) SET n += row.p")


def rel_statement(spec: RelSpec, rows: str = "$rows") -> str:
    """``UNWIND rows MATCH MATCH CREATE`` for one relationship spec."""
    start, end = NODE_BY_LABEL[spec.start], NODE_BY_LABEL[spec.end]
    return (f"UNWIND {rows} AS row "
            f"MATCH (a{_labels([spec.start])} {_keymap(start.key, 'row.s')}) "
            f"MATCH (b{_labels([spec.end])} {_keymap(end.key, 'row.t')}) "
            f"CREATE (a)-[r:{_reltype(spec.type)} {_keymap(spec.key, 'row.k')}]->(b) "
            f"SET r += row.p")


def delete_statements(pack: str = "$pack") -> list[str]:
    """One ``DETACH DELETE`` per graphflow label, for nodes of one pack only."""
    return [f"MATCH (n{_labels([spec.label])} {{pack: {pack}}}) DETACH DELETE n"
            for spec in NODES]


def chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i: i + size]


def schema_path() -> Path:
    """schema/neo4j/constraints.cypher (in a checkout or the installed package)."""
    from graphflow.packs.locate import schema_root

    return schema_root() / "neo4j" / "constraints.cypher"


def split_script(text: str) -> list[str]:
    """Statements of a Cypher file: one per line or several lines, ended by ``;``;
    ``//`` comment lines and cypher-shell commands (``:begin``) are skipped."""
    out, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("//") or stripped.startswith(":"):
            continue
        current.append(line)
        if stripped.endswith(";"):
            out.append("\n".join(current).strip()[:-1].strip())
            current = []
    if current:
        out.append("\n".join(current).strip())
    return out


_SCHEMA_NAME = re.compile(r"^CREATE\s+(CONSTRAINT|INDEX)\s+(\w+)", re.I)


def schema_entries(path: Path | None = None) -> list[dict[str, str]]:
    """The statements of the constraints and indexes file: name, kind (constraint or index)
    and the Cypher, in the order they are applied."""
    out = []
    for statement in split_script((path or schema_path()).read_text(encoding="utf-8")):
        match = _SCHEMA_NAME.match(statement)
        out.append({"name": match.group(2) if match else "",
                    "kind": match.group(1).lower() if match else "",
                    "cypher": " ".join(statement.split())})
    return out


def apply_schema(driver: neo4j.Driver, database: str, path: Path | None = None) -> int:
    """Apply the constraints and indexes file (idempotent); returns how many statements ran."""
    statements = split_script((path or schema_path()).read_text(encoding="utf-8"))
    for statement in statements:
        driver.execute_query(statement, database_=database)
    return len(statements)


@dataclass
class LoadResult:
    """What a load wrote, counted in the database afterwards."""

    pack: str
    seconds: float
    counts: dict[str, int]
    rows: int


def replace_pack(driver: neo4j.Driver, database: str, data: GraphData, *,
                 batch_size: int = DEFAULT_BATCH, progress: Progress | None = None) -> None:
    """Delete the pack's graphflow nodes and write the new rows, in ONE write transaction."""
    if batch_size < 1:
        raise GraphflowError(f"--batch-size must be at least 1, not {batch_size}")
    total = data.node_count() + data.rel_count()
    plan: list[tuple[str, NodeBatch | RelBatch]] = [
        *((node_statement(b), b) for b in data.nodes),
        *((rel_statement(b.spec), b) for b in data.rels),
    ]

    def work(tx: neo4j.ManagedTransaction) -> None:
        done = 0
        if progress:
            progress(done, total, "deleting the old pack")
        for statement in delete_statements():
            tx.run(statement, pack=data.pack).consume()
        for statement, batch in plan:
            what = (":".join(batch.labels) if isinstance(batch, NodeBatch)
                    else f"{batch.spec.start}-{batch.spec.type}->{batch.spec.end}")
            for chunk in chunks(batch.rows, batch_size):
                tx.run(statement, rows=list(chunk)).consume()
                done += len(chunk)
                if progress:
                    progress(done, total, what)

    with driver.session(database=database) as session:
        session.execute_write(work)


@dataclass
class Dropped:
    """What a drop deleted, from the server's own counters: nodes per graphflow label, and
    relationships (those between the pack's nodes and any that touched them)."""

    pack: str
    nodes: dict[str, int]
    relationships: int

    @property
    def node_count(self) -> int:
        return sum(self.nodes.values())


def drop_pack(driver: neo4j.Driver, database: str, pack: str) -> Dropped:
    """Delete one pack's graphflow nodes (and their relationships), atomically."""
    def work(tx: neo4j.ManagedTransaction) -> Dropped:
        nodes, rels = {}, 0
        for spec, statement in zip(NODES, delete_statements(), strict=True):
            counters = tx.run(statement, pack=pack).consume().counters
            nodes[spec.label] = counters.nodes_deleted
            rels += counters.relationships_deleted
        return Dropped(pack, nodes, rels)

    with driver.session(database=database) as session:
        return session.execute_write(work)


def pack_counts(driver: neo4j.Driver, database: str, pack: str) -> dict[str, int]:
    """Nodes per graphflow label and relationships per type for one pack, in the database."""
    def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
        out: dict[str, int] = {}
        for spec in NODES:
            query = f"MATCH (n{_labels([spec.label])} {{pack: $pack}}) RETURN count(n) AS c"
            out[spec.label] = tx.run(query, pack=pack).single(strict=True)["c"]
        for rel in RELS:
            query = (f"MATCH (a{_labels([rel.start])} {{pack: $pack}})"
                     f"-[r:{_reltype(rel.type)}]->(b{_labels([rel.end])}) "
                     "WHERE r.pack = $pack RETURN count(r) AS c")
            out[rel.type] = out.get(rel.type, 0) + tx.run(query, pack=pack).single(
                strict=True)["c"]
        return out

    with driver.session(database=database) as session:
        return session.execute_read(work)


def load_graph(driver: neo4j.Driver, database: str, data: GraphData, *,
               batch_size: int = DEFAULT_BATCH, progress: Progress | None = None,
               schema: bool = True) -> LoadResult:
    """Apply the schema, replace the pack, and count what the database now holds."""
    began = time.perf_counter()
    if schema:
        apply_schema(driver, database)
    replace_pack(driver, database, data, batch_size=batch_size, progress=progress)
    seconds = time.perf_counter() - began
    counts = pack_counts(driver, database, data.pack)
    return LoadResult(data.pack, seconds, counts, data.node_count() + data.rel_count())


def loaded_packs(driver: neo4j.Driver, database: str) -> list[dict[str, Any]]:
    """The (:Pack) nodes in the database."""
    records, _, _ = driver.execute_query(
        "MATCH (p:Pack) RETURN p.id AS id, p.name AS name, p.loaded_at AS loaded_at, "
        "p.status_dates AS status_dates, p.content_hash AS content_hash, "
        "p.model_version AS model_version ORDER BY id", database_=database)
    return [r.data() for r in records]
