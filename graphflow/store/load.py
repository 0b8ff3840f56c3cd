"""Write a pack into a Bolt server: schema first, then one replace per pack.

A pack of up to ``ONE_TX_MAX_ROWS`` rows (every bundled pack) is replaced in ONE write
transaction: it deletes the pack's graphflow nodes (our labels AND the pack's id, so other
packs and researchers' own nodes stay) and creates the new ones in batched ``UNWIND``
statements. Other sessions see the old pack or the new one, never half of it; an interrupted
load rolls back and can simply be run again; loading twice gives the same graph.

A bigger pack does not fit a default-memory server's transaction (Neo4j refused the
1.2-million-row national pack with a 4 GB heap), so it is written in committed batches behind
a marker: its (:Pack) node says ``state: loading`` (no hashes) until the last transaction
writes it complete, and graphflow's readers (the route engine, canned queries, ``neo4j
packs``) say the pack is being loaded or its load was interrupted instead of reading half of
it (``replace_in_batches``). A big drop works the same way (``state: dropping``).

Nodes and relationships are CREATEd: the pack's nodes (and so every relationship that touches
them) were just deleted, so a MERGE could only ever create, and on ArcadeDB it costs an index
probe per row (and scans for two-label node patterns). The rows travel as lists without the
pack id (``wire_rows``; the id is one ``$pack`` parameter per statement).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import shlex
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphflow.errors import GraphflowError
from graphflow.store.model import NODE_BY_LABEL, NODES, REL_BY_KEY, RELS, label_ok, reltype_ok
from graphflow.store.rows import GraphData, NodeBatch, RelBatch, Row
from graphflow.tuning import paused_gc

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

Progress = Callable[[int, int, str], None]
"""progress(done, total, what): rows written so far, of how many, and what is being written."""



def _labels(labels: Sequence[str]) -> str:
    for label in labels:
        if not label_ok(label):  # only model labels ever reach Cypher text
            raise ValueError(f"not a graphflow label: {label!r}")
    return ":" + ":".join(labels)


def _reltype(type_: str) -> str:
    if not reltype_ok(type_):
        raise ValueError(f"not a graphflow relationship type: {type_!r}")
    return type_


def _key_map(keys: Sequence[str], source: str, pack: str) -> str:
    """A key map in Cypher: ``pack`` is the one ``pack`` parameter (or literal); a key of the
    pack and one more property reads that one from ``source`` itself, a longer key reads
    ``source.<key>`` (see ``_wire_key``)."""
    rest = [k for k in keys if k != "pack"]
    parts = []
    for k in keys:
        if k == "pack":
            parts.append(f"pack: {pack}")
        elif len(rest) == 1:
            parts.append(f"{k}: {source}")
        else:
            parts.append(f"{k}: {source}.{k}")
    return "{" + ", ".join(parts) + "}"


def _wire_key(keys: Sequence[str]) -> Callable[[dict[str, Any]], Any] | None:
    """How a key map travels in a wire row: nothing for ``(pack,)``, the value for ``(pack, x)``
    (an id, a position), else a map of the keys other than ``pack`` (the pack id is the
    ``$pack`` parameter)."""
    rest = tuple(k for k in keys if k != "pack")
    if not rest:
        return None
    if len(rest) == 1:
        return operator.itemgetter(rest[0])
    return lambda key: {k: key[k] for k in rest}


def _rel_shape(batch: RelBatch) -> tuple[bool, bool]:
    """Whether a relationship batch's wire rows carry a key map and a property map."""
    return (_wire_key(batch.spec.key) is not None, any(row["p"] for row in batch.rows))


def node_statement(batch: NodeBatch, rows: str = "$rows", pack: str = "$pack") -> str:
    """``UNWIND rows CREATE`` for one label set; ``rows`` is ``$rows`` or a literal list of
    ``wire_rows``, ``pack`` the ``$pack`` parameter or a literal."""
    return (f"UNWIND {rows} AS row CREATE (n{_labels(batch.labels)} "
            f"{_key_map(batch.spec.key, 'row[0]', pack)}) SET n += row[1]")


def rel_statement(batch: RelBatch, rows: str = "$rows", pack: str = "$pack") -> str:
    """``UNWIND rows MATCH MATCH CREATE`` for one relationship batch (its wire rows:
    start key, end key, then the key map and the properties when the batch has them)."""
    spec = batch.spec
    start, end = NODE_BY_LABEL[spec.start], NODE_BY_LABEL[spec.end]
    has_key, has_props = _rel_shape(batch)
    text = (f"UNWIND {rows} AS row "
            f"MATCH (a{_labels([spec.start])} {_key_map(start.key, 'row[0]', pack)}) "
            f"MATCH (b{_labels([spec.end])} {_key_map(end.key, 'row[1]', pack)}) "
            f"CREATE (a)-[r:{_reltype(spec.type)} {_key_map(spec.key, 'row[2]', pack)}]->(b)")
    if has_props:
        text += f" SET r += row[{3 if has_key else 2}]"
    return text


def wire_rows(batch: NodeBatch | RelBatch, rows: Sequence[dict[str, Any]] | None = None
              ) -> list[list[Any]]:
    """Rows of a batch (or some of them) as ``node_statement``/``rel_statement`` read them:
    lists, without the pack id (one parameter for the statement)."""
    rows = batch.rows if rows is None else rows
    if isinstance(batch, NodeBatch):
        key = _wire_key(batch.spec.key)
        if key is None:  # pragma: no cover - every node key has more than the pack
            return [[None, r["p"]] for r in rows]
        return [[key(r["k"]), r["p"]] for r in rows]
    spec = batch.spec
    s = _wire_key(NODE_BY_LABEL[spec.start].key)
    t = _wire_key(NODE_BY_LABEL[spec.end].key)
    k = _wire_key(spec.key)
    _, has_props = _rel_shape(batch)
    if s is None or t is None:  # pragma: no cover - every node key has more than the pack
        raise ValueError(spec)
    if k is None:
        if has_props:
            return [[s(r["s"]), t(r["t"]), r["p"]] for r in rows]
        return [[s(r["s"]), t(r["t"])] for r in rows]
    if has_props:
        return [[s(r["s"]), t(r["t"]), k(r["k"]), r["p"]] for r in rows]
    return [[s(r["s"]), t(r["t"]), k(r["k"])] for r in rows]


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


# -- how a pack is written ---------------------------------------------------------------------

TRANSACTIONS = ("auto", "one", "batches")
"""``--transaction``: ``one`` atomic write transaction, committed ``batches``, or ``auto``."""

ONE_TX_MAX_ROWS = 200_000
"""``auto`` loads a pack of at most this many rows (nodes + relationships) in one transaction,
a bigger one in committed batches. Neo4j's default transaction memory limit
(``db.memory.transaction.total.max``, 70% of the heap ... with a 4 GB heap: 2.5 GiB) refused
the 1.2-million-row national pack in one transaction; 200,000 rows stay far below it."""

NODES_PER_ROW = 6
"""A pack has up to about this many rows per node (the national pack: 1,205,394 rows, 184,842
nodes): ``auto`` reads a pack already in the database with more than
``ONE_TX_MAX_ROWS // NODES_PER_ROW`` nodes as too big to delete in one transaction."""

BATCH_ROWS = 5_000
"""Rows per ``UNWIND`` statement (and per transaction in a batched load) unless
``--batch-size`` says otherwise. 5,000 loaded the national pack 2.4 s (10%) faster than
10,000 on one warm Neo4j, alternating (docs/benchmarks.md, fifth run); 40,000 was slower."""

MAX_BATCH = 100_000
"""The largest ``--batch-size``: a statement's parameters are held in memory on both sides."""

LOADED, LOADING, DROPPING = "loaded", "loading", "dropping"
"""The ``state`` of a (:Pack) node: complete, or a batched load or drop under way (or
interrupted: nothing tells the two apart, run the command again)."""

_DELETE_ORDER = ("Route", "Flow", "Actor")
"""Batched deletes take these labels first (they hold most relationships), then the rest."""


def check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH:
        raise GraphflowError(f"--batch-size must be at least 1 and at most {MAX_BATCH:,}, "
                             f"not {batch_size}", hint=f"default {BATCH_ROWS:,}")


def check_transaction(transaction: str) -> None:
    if transaction not in TRANSACTIONS:
        raise GraphflowError(f"--transaction must be one of {', '.join(TRANSACTIONS)}, "
                             f"not {transaction!r}")


def unfinished(pack: str, state: str | None, started_at: str | None) -> str | None:
    """What to say about a (:Pack) node whose load or drop has not finished, or None."""
    if state == LOADING:
        return (f"pack {pack!r} is being loaded, or its load was interrupted (a batched load "
                f"started at {started_at} has not finished)")
    if state == DROPPING:
        return (f"pack {pack!r} is being dropped, or its drop was interrupted (started at "
                f"{started_at})")
    return None


def load_command(pack: str, source: str | None = None) -> str:
    """The command that loads a pack: from ``source`` (its folder) when known, else by id for a
    bundled pack, else with a placeholder for the folder (a pack's id alone names no folder
    outside data/)."""
    if source is None:
        from graphflow.packs.locate import bundled_packs

        try:
            bundled = pack in bundled_packs()
        except GraphflowError:
            bundled = False
        return f"graphflow neo4j load --data {pack if bundled else f'<folder of pack {pack}>'}"
    return f"graphflow neo4j load --data {shlex.quote(source)}"


def unfinished_hint(pack: str, state: str | None, source: str | None = None) -> str:
    if state == DROPPING:
        return f"wait for it, or run again: graphflow neo4j drop --pack {pack} --yes"
    return f"wait for it, or run again: {load_command(pack, source)}"


def require_finished(pack: str, state: str | None, started_at: str | None, *,
                     source: str | None = None, where: str | None = None) -> None:
    """Refuse (a one-line GraphflowError) a pack whose batched load or drop has not finished."""
    problem = unfinished(pack, state, started_at)
    if problem:
        raise GraphflowError(problem, where=where, hint=unfinished_hint(pack, state, source))


@dataclass
class LoadResult:
    """What a load wrote, counted in the database afterwards."""

    pack: str
    seconds: float
    counts: dict[str, int]
    rows: int
    transaction: str = "one"
    """``one`` (atomic) or ``batches`` (committed batches behind the (:Pack) marker)."""
    batches: int = 0
    """Write statements run (each its own transaction in a batched load)."""
    batch_size: int = BATCH_ROWS


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def existing_nodes(driver: neo4j.Driver, database: str, pack: str) -> int:
    """How many graphflow nodes of the pack the database holds."""
    def work(tx: neo4j.ManagedTransaction) -> int:
        return sum(tx.run(f"MATCH (n{_labels([spec.label])} {{pack: $pack}}) "
                          "RETURN count(n) AS c", pack=pack).single(strict=True)["c"]
                   for spec in NODES)

    with driver.session(database=database) as session:
        return session.execute_read(work)


def choose_transaction(driver: neo4j.Driver, database: str, data: GraphData,
                       transaction: str = "auto", one_tx_max_rows: int = ONE_TX_MAX_ROWS) -> str:
    """``one`` or ``batches``: ``auto`` is ``one`` when the new rows and the pack already in
    the database both fit ``one_tx_max_rows`` (the old one counted by its nodes)."""
    check_transaction(transaction)
    if transaction != "auto":
        return transaction
    if data.node_count() + data.rel_count() > one_tx_max_rows:
        return "batches"
    return "batches" if _too_big_to_delete(driver, database, data.pack, one_tx_max_rows) \
        else "one"


def _too_big_to_delete(driver: neo4j.Driver, database: str, pack: str, max_rows: int) -> bool:
    """Whether the pack already in the database is too big to delete in one transaction of at
    most ``max_rows`` rows (counted by its nodes, ``NODES_PER_ROW``)."""
    return existing_nodes(driver, database, pack) > max_rows // NODES_PER_ROW


def _what(batch: NodeBatch | RelBatch) -> str:
    return (":".join(batch.labels) if isinstance(batch, NodeBatch)
            else f"{batch.spec.start}-{batch.spec.type}->{batch.spec.end}")


_FUSED = (("SENDS", "Actor", "Flow"), ("DELIVERS_TO", "Flow", "Actor"),
          ("FLOWS_TO", "Actor", "Actor"), ("CARRIES", "Flow", "DataItem"))
"""The relationships ``flow_statement`` writes with a flow's node."""


def _fusable() -> bool:
    """The model still has the shape ``flow_statement`` assumes (checked, not assumed)."""
    keyed = all(NODE_BY_LABEL[label].key == ("pack", "id") for label in ("Flow", "Actor",
                                                                          "DataItem"))
    rels = [REL_BY_KEY.get(k) for k in _FUSED]
    return keyed and all(r is not None for r in rels) and [r.key for r in rels if r] == [
        ("pack",), ("pack",), ("pack", "id"), ("pack",)]


def flow_statement(rows: str = "$rows", pack: str = "$pack") -> str:
    """One statement per flow instead of five: the (:Flow) node with its SENDS, DELIVERS_TO
    and FLOWS_TO relationships between its two actors (two index look-ups, not six) and a
    CARRIES relationship per data item. A wire row: source id, target id, flow id, the Flow
    node's properties, the FLOWS_TO properties, the data item ids."""
    return (f"UNWIND {rows} AS row "
            f"MATCH (a:Actor {{pack: {pack}, id: row[0]}}) "
            f"MATCH (b:Actor {{pack: {pack}, id: row[1]}}) "
            f"CREATE (f:Flow {{pack: {pack}, id: row[2]}}) SET f += row[3] "
            f"CREATE (a)-[:SENDS {{pack: {pack}}}]->(f) "
            f"CREATE (f)-[:DELIVERS_TO {{pack: {pack}}}]->(b) "
            f"CREATE (a)-[r:FLOWS_TO {{pack: {pack}, id: row[2]}}]->(b) SET r += row[4] "
            f"WITH f, row UNWIND row[5] AS item "
            f"MATCH (d:DataItem {{pack: {pack}, id: item}}) "
            f"CREATE (f)-[:CARRIES {{pack: {pack}}}]->(d)")


def fuse_flows(data: GraphData) -> tuple[GraphData, list[list[Any]], list[int]]:
    """The flows ``flow_statement`` can write, taken out of ``data``: the rest of the rows (as
    a GraphData), the fused wire rows, and how many rows of ``data`` each one stands for. A
    flow is fused only when its rows are exactly one SENDS and one DELIVERS_TO row without
    properties, one FLOWS_TO row between the same two actors and CARRIES rows without
    properties (what ``rows.build_graph`` writes for every flow whose actors exist), so the
    graph written is the same row for row."""
    if not _fusable():
        return data, [], []
    batches = {(b.spec.type, b.spec.start, b.spec.end): b for b in data.rels}
    flows = next((b for b in data.nodes if b.labels == ("Flow",)), None)
    if flows is None or any(k not in batches for k in _FUSED[:3]):
        return data, [], []

    def by(key: tuple[str, str, str], end: str, field: str = "id") -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {}
        for row in batches[key].rows if key in batches else ():
            out.setdefault(row[end][field], []).append(row)
        return out

    sends, delivers = by(_FUSED[0], "t"), by(_FUSED[1], "s")
    flows_to, carries = by(_FUSED[2], "k"), by(_FUSED[3], "s")
    fused: list[list[Any]] = []
    weights: list[int] = []
    taken: set[int] = set()  # id() of the rows fused
    rest_flows = []
    for row in flows.rows:
        fid = row["k"]["id"]
        s, d, ft, c = (sends.get(fid, []), delivers.get(fid, []), flows_to.get(fid, []),
                       carries.get(fid, []))
        if not (len(s) == len(d) == len(ft) == 1 and not s[0]["p"] and not d[0]["p"]
                and ft[0]["s"]["id"] == s[0]["s"]["id"] and ft[0]["t"]["id"] == d[0]["t"]["id"]
                and not any(x["p"] for x in c)):
            rest_flows.append(row)
            continue
        fused.append([s[0]["s"]["id"], d[0]["t"]["id"], fid, row["p"], ft[0]["p"],
                      [x["t"]["id"] for x in c]])
        weights.append(4 + len(c))
        taken.update(id(x) for x in (s[0], d[0], ft[0], *c))
    if not fused:
        return data, [], []
    nodes = [NodeBatch(b.spec, b.labels, rest_flows) if b is flows else b for b in data.nodes]
    rels = [RelBatch(b.spec, [r for r in b.rows if id(r) not in taken])
            if (b.spec.type, b.spec.start, b.spec.end) in _FUSED else b
            for b in data.rels]
    return GraphData(data.pack, [b for b in nodes if b.rows], [b for b in rels if b.rows]), \
        fused, weights


Step = tuple[str, list[list[Any]], int, str]
"""A statement, its wire rows, the rows of the GraphData they stand for, and what it writes."""


Fused = tuple[GraphData, list[list[Any]], list[int]]
"""What ``fuse_flows`` returns."""


def step_groups(data: GraphData, batch_size: int, *, pack_node: bool = True,
                fused: Future[Fused] | None = None) -> list[Iterator[Step]]:
    """The write statements of a load in three groups that must run one after the other: the
    nodes (but the flows ``fuse_flows`` takes), the fused flows (they match actors and data
    items), the other relationships (they match flows too). Within a group no statement needs
    another's writes, so a batched load may run them at once. ``batch_size`` wire rows a
    statement; ``pack_node=False`` leaves out the (:Pack) node (a batched load writes it last).
    Lazy: the wire rows of a statement are built when it is taken.

    ``fused``: ``fuse_flows(data)`` being computed in another thread (a batched load starts it
    before it deletes the old copy). The nodes other than the flows come first, from ``data``
    itself; the group waits for it only at its (:Flow) nodes. Without it, it is computed here,
    first."""
    if fused is None:
        with paused_gc():  # regrouping a million rows (when graphflow.tuning is on)
            regrouped = fuse_flows(data)

        def regrouping() -> Fused:
            return regrouped
    else:
        regrouping = fused.result

    def node_steps(batch: NodeBatch) -> Iterator[Step]:
        statement = node_statement(batch)
        for chunk in chunks(batch.rows, batch_size):
            yield statement, wire_rows(batch, chunk), len(chunk), _what(batch)

    def nodes() -> Iterator[Step]:
        for batch in data.nodes:
            if batch.spec.label in ("Pack", "Flow"):
                continue  # the (:Pack) node below, the (:Flow) nodes fuse_flows leaves last
            yield from node_steps(batch)
        rest = regrouping()[0].nodes
        for batch in rest:
            if batch.spec.label == "Flow" or (batch.spec.label == "Pack" and pack_node):
                yield from node_steps(batch)

    def flows() -> Iterator[Step]:
        statement = flow_statement()
        _, rows, weights = regrouping()
        for i in range(0, len(rows), batch_size):
            yield (statement, rows[i: i + batch_size], sum(weights[i: i + batch_size]),
                   "Flow with SENDS, DELIVERS_TO, FLOWS_TO, CARRIES")

    def rels() -> Iterator[Step]:
        for batch in regrouping()[0].rels:
            statement = rel_statement(batch)
            for chunk in chunks(batch.rows, batch_size):
                yield statement, wire_rows(batch, chunk), len(chunk), _what(batch)

    return [nodes(), flows(), rels()]


def steps(data: GraphData, batch_size: int, *, pack_node: bool = True) -> Iterator[Step]:
    """The write statements of a load, in order (``step_groups`` one after the other)."""
    for group in step_groups(data, batch_size, pack_node=pack_node):
        yield from group


def replace_pack(driver: neo4j.Driver, database: str, data: GraphData, *,
                 batch_size: int = BATCH_ROWS, progress: Progress | None = None,
                 transaction: str = "auto", one_tx_max_rows: int = ONE_TX_MAX_ROWS
                 ) -> tuple[str, int]:
    """Replace the pack's graphflow nodes with the new rows: in ONE write transaction (other
    sessions see the old pack or the new one), or for a big pack in committed batches behind a
    marker (``replace_in_batches``). Returns the way it was written and the statements run."""
    check_batch_size(batch_size)
    mode = choose_transaction(driver, database, data, transaction, one_tx_max_rows)
    if mode == "batches":
        return mode, replace_in_batches(driver, database, data, batch_size=batch_size,
                                        progress=progress)
    return mode, replace_in_one(driver, database, data, batch_size=batch_size,
                                progress=progress)


def replace_in_one(driver: neo4j.Driver, database: str, data: GraphData, *,
                   batch_size: int = BATCH_ROWS, progress: Progress | None = None) -> int:
    """Delete the pack's graphflow nodes and write the new rows, in ONE write transaction."""
    check_batch_size(batch_size)
    total = data.node_count() + data.rel_count()

    def work(tx: neo4j.ManagedTransaction) -> int:
        done = statements = 0
        if progress:
            progress(done, total, "deleting the old pack")
        for statement in delete_statements():
            tx.run(statement, pack=data.pack).consume()
        for statement, rows, count, what in steps(data, batch_size):
            tx.run(statement, rows=rows, pack=data.pack).consume()
            done += count
            statements += 1
            if progress:
                progress(done, total, what)
        return statements

    with driver.session(database=database) as session, paused_gc():
        return session.execute_write(work)


def _pack_row(data: GraphData) -> dict[str, Any]:
    batch = next(b for b in data.nodes if b.spec.label == "Pack")
    (row,) = batch.rows
    return {**row["k"], **row["p"]}


class Superseded(GraphflowError):
    """Another batched load or drop of the same pack took over the (:Pack) marker."""


@dataclass
class _Marker:
    """One batched load's or drop's claim on the pack: its (:Pack) node's ``state`` and
    ``load_started_at``. Every transaction of the load ends by bumping ``load_batches`` on that
    node, which takes the node's write lock until the commit, and then reads the claim: if
    another load or drop has claimed the pack since, the transaction rolls back (``Superseded``)
    instead of committing. A second load's claim waits for that lock, so from its commit on no
    transaction of the first one commits: two never interleave their writes. The check comes
    last so that the lock is held for a moment, not for the whole statement: a load's
    transactions can run at once (``WRITE_SESSIONS``)."""

    pack: str
    state: str
    started: str

    def claim(self, session: neo4j.Session, name: str | None, create: bool
              ) -> tuple[bool, int]:
        """Put the (:Pack) node into this state (no hashes: graphflow's readers see an
        unfinished pack); relationships others attached to it go, as when a load deletes it.
        Whether there was a (:Pack) node (or one was created), and the relationships deleted."""
        marker = {"pack": self.pack, "id": self.pack, "state": self.state,
                  "load_started_at": self.started, "load_batches": 0}
        if name:
            marker["name"] = name
        head = "MERGE" if create else "MATCH"

        def work(tx: neo4j.ManagedTransaction) -> tuple[bool, int]:
            found = tx.run(f"{head} (p:Pack {{pack: $pack, id: $pack}}) SET p = $marker "
                           "RETURN count(p) AS c", pack=self.pack, marker=marker
                           ).single(strict=True)["c"]
            counters = tx.run("MATCH (:Pack {pack: $pack, id: $pack})-[r]-() DELETE r",
                              pack=self.pack).consume().counters
            return found > 0, counters.relationships_deleted

        return session.execute_write(work)

    def check(self, tx: neo4j.ManagedTransaction) -> None:
        """In a transaction of this load: take the marker's lock, then stop (Superseded) unless
        the claim still holds. The claim is read after the lock is held: read before it, a
        claim that another load committed while this one waited would go unseen."""
        tx.run("MATCH (p:Pack {pack: $pack, id: $pack}) "
               "SET p.load_batches = coalesce(p.load_batches, 0) + 1", pack=self.pack).consume()
        row = tx.run("MATCH (p:Pack {pack: $pack, id: $pack}) "
                     "RETURN p.state AS state, p.load_started_at AS started",
                     pack=self.pack).single()
        if row is None or (row["state"], row["started"]) != (self.state, self.started):
            verb = "load" if self.state == LOADING else "drop"
            raise Superseded(
                f"pack {self.pack!r}: another load or drop started while this {verb} (started "
                f"at {self.started}) ran; this one stopped", hint=unfinished_hint(
                    self.pack, self.state) + " (one at a time)")

    def run(self, session: neo4j.Session, statement: str, *, last: bool = False,
            **params: Any) -> Any:
        """One committed transaction: the statement, then the check; its counters. ``last``:
        the statement that ends the claim (the complete node, the drop of the node), so the
        check comes first."""
        def work(tx: neo4j.ManagedTransaction) -> Any:
            if last:
                self.check(tx)
            counters = tx.run(statement, **params).consume().counters
            if not last:
                self.check(tx)
            return counters

        return session.execute_write(work)


def _delete_order() -> list[str]:
    """The labels a batched delete takes, in order (all but Pack, which goes last)."""
    return [*_DELETE_ORDER, *(s.label for s in NODES
                              if s.label not in _DELETE_ORDER and s.label != "Pack")]


def _delete_in_batches(session: neo4j.Session, marker: _Marker, limit: int,
                       progress: Progress | None = None, total: int = 0
                       ) -> tuple[dict[str, int], int]:
    """Delete the pack's graphflow nodes but its (:Pack) node, ``limit`` nodes a committed
    transaction; nodes deleted per label, and relationships."""
    nodes: dict[str, int] = {}
    rels = 0
    for label in _delete_order():
        statement = (f"MATCH (n{_labels([label])} {{pack: $pack}}) WITH n LIMIT $limit "
                     "DETACH DELETE n")
        nodes[label] = 0
        while True:
            counters = marker.run(session, statement, pack=marker.pack, limit=limit)
            nodes[label] += counters.nodes_deleted
            rels += counters.relationships_deleted
            if progress:
                progress(0, total, f"deleting old {label} nodes: {nodes[label]:,}")
            if counters.nodes_deleted < limit:
                break
    return nodes, rels


WRITE_SESSIONS = 2
"""A batched load on Neo4j runs up to this many write transactions at once, each in its own
session: while the server writes one batch the client encodes the next, and the server, which
runs a transaction on one thread, has a second one to run. Measured on the national pack (2
cores, docs/benchmarks.md): see "The national load in parallel sessions"."""


def write_sessions(driver: neo4j.Driver) -> int:
    """How many write transactions a batched load runs at once: ``WRITE_SESSIONS`` on Neo4j;
    one on other Bolt servers (ArcadeDB's plugin), whose concurrent writes are not proven."""
    agent = driver.get_server_info().agent or ""
    neo4j_itself = agent.startswith("Neo4j/") and "arcadedb" not in agent.lower()
    return WRITE_SESSIONS if neo4j_itself else 1


Done = Callable[[int, str], None]
"""done(rows, what): a statement of ``_write_groups`` committed (called in order)."""


def _write_groups(driver: neo4j.Driver, database: str, marker: _Marker,
                  groups: Sequence[Iterator[Step]], *, sessions: int, done: Done) -> int:
    """Run the groups' statements, each in its own committed transaction of the load
    (``_Marker.run``), one group after the other; within a group up to ``sessions`` at once
    (the next statement's rows are built while they run). ``done`` is called in the calling
    thread, in order. On an error or an interruption no further statement starts, and the
    running ones end before this returns. Returns the statements run."""
    width = max(1, sessions)
    statements = 0
    local = threading.local()
    opened: list[neo4j.Session] = []
    guard = threading.Lock()

    def write(statement: str, rows: list[Any]) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = driver.session(database=database)
            with guard:
                opened.append(session)
        marker.run(session, statement, rows=rows, pack=marker.pack)

    try:
        with ThreadPoolExecutor(width, thread_name_prefix="graphflow-load") as pool:
            running: deque[tuple[Future[None], int, str]] = deque()

            def finish_one() -> None:
                nonlocal statements
                future, count, what = running.popleft()
                future.result()
                statements += 1
                done(count, what)

            for group in groups:
                for statement, rows, count, what in group:
                    running.append((pool.submit(write, statement, rows), count, what))
                    while len(running) >= width or (running and running[0][0].done()):
                        finish_one()
                while running:  # the next group matches what this one writes
                    finish_one()
    finally:
        for session in opened:
            session.close()
    return statements


def replace_in_batches(driver: neo4j.Driver, database: str, data: GraphData, *,
                       batch_size: int = BATCH_ROWS, progress: Progress | None = None,
                       sessions: int | None = None) -> int:
    """Replace a pack in committed batches, for packs too big for one transaction:

    1. one small transaction marks the pack's (:Pack) node ``state: loading`` with
       ``load_started_at`` and no hashes (graphflow's readers then refuse the pack: "being
       loaded, or its load was interrupted");
    2. the pack's old nodes are deleted, ``batch_size`` nodes a transaction;
    3. the rows are written, ``batch_size`` rows a statement and a transaction, up to
       ``sessions`` transactions at once (default ``write_sessions``: 2 on Neo4j, else 1);
    4. one last transaction writes the complete (:Pack) node (``state: loaded``, hashes).

    Each transaction holds the marker (``_Marker``): a second load or drop of the pack stops
    this one. An interruption leaves the marker: running the load again deletes what was
    written and starts over. Returns the write statements run."""
    check_batch_size(batch_size)
    total = data.node_count() + data.rel_count()
    final = _pack_row(data)
    marker = _Marker(data.pack, LOADING, _now())
    if sessions is None:
        sessions = write_sessions(driver)
    written = 0

    def done(count: int, what: str) -> None:
        nonlocal written
        written += count
        if progress:
            progress(written, total, what)

    # the rows are regrouped (fuse_flows: 1.8 s on the national pack) in a thread while the
    # marker is claimed, the old copy deleted and the first nodes written: the client mostly
    # waits for the server then. The collector stays paused throughout (when graphflow.tuning
    # is on): the regrouped rows, the wire rows and their encoding are acyclic.
    with paused_gc(), ThreadPoolExecutor(1, thread_name_prefix="graphflow-fuse") as prep:
        fused = prep.submit(fuse_flows, data)
        try:
            with driver.session(database=database) as session:
                if progress:
                    progress(0, total, "marking the pack as loading")
                marker.claim(session, final.get("name"), create=True)
                _delete_in_batches(session, marker, batch_size, progress, total)
            statements = _write_groups(
                driver, database, marker,
                step_groups(data, batch_size, pack_node=False, fused=fused),
                sessions=sessions, done=done)
        except BaseException:
            fused.cancel()
            raise
    with driver.session(database=database) as session:
        marker.run(session, "MATCH (p:Pack {pack: $pack, id: $pack}) SET p = $final",
                   last=True, pack=data.pack, final=final)
    if progress:
        progress(total, total, "done")
    return statements + 1


@dataclass
class Dropped:
    """What a drop deleted, from the server's own counters: nodes per graphflow label, and
    relationships (those between the pack's nodes and any that touched them)."""

    pack: str
    nodes: dict[str, int]
    relationships: int
    transaction: str = "one"

    @property
    def node_count(self) -> int:
        return sum(self.nodes.values())


def drop_pack(driver: neo4j.Driver, database: str, pack: str, *, transaction: str = "auto",
              batch_size: int = BATCH_ROWS, one_tx_max_rows: int = ONE_TX_MAX_ROWS,
              progress: Progress | None = None) -> Dropped:
    """Delete one pack's graphflow nodes (and their relationships): atomically, or (a big pack,
    ``auto``; or ``batches``) in committed batches, the (:Pack) node marked ``dropping`` first
    and deleted last."""
    check_transaction(transaction)
    check_batch_size(batch_size)
    mode = transaction
    if mode == "auto":
        mode = "batches" if _too_big_to_delete(driver, database, pack, one_tx_max_rows) \
            else "one"
    if mode == "batches":
        return _drop_in_batches(driver, database, pack, batch_size, progress)

    def work(tx: neo4j.ManagedTransaction) -> Dropped:
        nodes, rels = {}, 0
        for spec, statement in zip(NODES, delete_statements(), strict=True):
            counters = tx.run(statement, pack=pack).consume().counters
            nodes[spec.label] = counters.nodes_deleted
            rels += counters.relationships_deleted
        return Dropped(pack, nodes, rels)

    with driver.session(database=database) as session:
        return session.execute_write(work)


def _drop_in_batches(driver: neo4j.Driver, database: str, pack: str, batch_size: int,
                     progress: Progress | None) -> Dropped:
    marker = _Marker(pack, DROPPING, _now())
    with driver.session(database=database) as session:
        had_pack, detached = marker.claim(session, None, create=False)
        if not had_pack:  # leftovers without a (:Pack) node: a marker of our own
            marker.claim(session, None, create=True)
        deleted, rels = _delete_in_batches(session, marker, batch_size, progress)
        counters = marker.run(session, "MATCH (p:Pack {pack: $pack, id: $pack}) "
                                       "DETACH DELETE p", last=True, pack=pack)
    nodes = {spec.label: deleted.get(spec.label, 0) for spec in NODES}
    nodes["Pack"] = counters.nodes_deleted if had_pack else 0
    return Dropped(pack, nodes, detached + rels + counters.relationships_deleted, "batches")


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


UNCHANGED = "unchanged"
"""``LoadResult.transaction`` of a load that found the same pack already there."""

_NOT_COMPARED = frozenset({"loaded_at", "graphflow_version", "load_batches"})
"""(:Pack) properties that do not say what was loaded (when, by which release, the batches)."""


def unchanged_counts(driver: neo4j.Driver, database: str, data: GraphData
                     ) -> dict[str, int] | None:
    """The pack's counts in the database if it already holds exactly these rows, else None:
    its (:Pack) node finished loading (not being loaded or dropped), with the same properties
    as the new one but the load time and the graphflow release (its ``content_hash`` covers
    every other row), and the pack's nodes and relationships there number the rows, label by
    label and type by type (so a pack whose nodes someone deleted is written again)."""
    want = {k: v for k, v in _pack_row(data).items() if k not in _NOT_COMPARED}
    records, _, _ = driver.execute_query(
        "MATCH (p:Pack {pack: $pack, id: $pack}) RETURN properties(p) AS p", pack=data.pack,
        routing_="r", database_=database)
    if len(records) != 1:
        return None
    have = {k: v for k, v in records[0]["p"].items() if k not in _NOT_COMPARED}
    if have.get("state") != LOADED or have != {k: v for k, v in want.items() if v is not None}:
        return None
    counts, expected = pack_counts(driver, database, data.pack), data.counts()
    same = all(counts.get(k, 0) == expected.get(k, 0) for k in {*counts, *expected})
    return counts if same else None


def load_graph(driver: neo4j.Driver, database: str, data: GraphData, *,
               batch_size: int = BATCH_ROWS, progress: Progress | None = None,
               schema: bool = True, transaction: str = "auto",
               one_tx_max_rows: int = ONE_TX_MAX_ROWS, skip_unchanged: bool = False
               ) -> LoadResult:
    """Apply the schema, replace the pack, and count what the database now holds. With
    ``skip_unchanged``, a pack the database already holds row for row (``unchanged_counts``)
    is left as it is: nothing is written (``transaction`` ``unchanged``, no statements)."""
    check_transaction(transaction)
    check_batch_size(batch_size)
    began = time.perf_counter()
    if schema:
        apply_schema(driver, database)
    counts = unchanged_counts(driver, database, data) if skip_unchanged else None
    if counts is not None:
        return LoadResult(data.pack, time.perf_counter() - began, counts,
                          data.node_count() + data.rel_count(), UNCHANGED, 0, batch_size)
    mode, statements = replace_pack(driver, database, data, batch_size=batch_size,
                                    progress=progress, transaction=transaction,
                                    one_tx_max_rows=one_tx_max_rows)
    seconds = time.perf_counter() - began
    counts = pack_counts(driver, database, data.pack)
    return LoadResult(data.pack, seconds, counts, data.node_count() + data.rel_count(),
                      mode, statements, batch_size)


def loaded_packs(driver: neo4j.Driver, database: str, *,
                 timeout: float | None = None) -> list[dict[str, Any]]:
    """The (:Pack) nodes in the database; ``state`` is ``loaded`` for a complete pack (also one
    loaded before graphflow wrote the state), else ``loading`` or ``dropping``. A read (a
    cluster routes it to a reader), with ``timeout`` seconds as its server-side transaction
    timeout."""
    import neo4j

    query = neo4j.Query(
        "MATCH (p:Pack) RETURN p.id AS id, p.name AS name, "
        "coalesce(p.state, $loaded) AS state, p.loaded_at AS loaded_at, "
        "p.load_started_at AS load_started_at, "
        "p.status_dates AS status_dates, p.content_hash AS content_hash, "
        "p.model_version AS model_version ORDER BY id", timeout=timeout)
    records, _, _ = driver.execute_query(query, {"loaded": LOADED}, routing_="r",
                                         database_=database)
    return [r.data() for r in records]
