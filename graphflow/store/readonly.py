"""Researchers' Cypher, read-only, with a client-side deadline.

Two layers, because some Bolt servers (ArcadeDB) accept writes in read sessions:

1. ``write_reason`` refuses a query whose text, outside string literals and comments, has a
   writing clause (CREATE, MERGE, SET, DELETE, ...), ``LOAD CSV``, ``CALL {...} IN
   TRANSACTIONS``, or a procedure CALL outside a small allow-list. Nothing has run yet, which
   matters: schema changes cannot be rolled back, and ``LOAD CSV`` reads files.
2. ``run_read`` runs what passes in an explicit transaction of a READ session, reads it
   fully, checks the summary (query type and update counters) and ALWAYS rolls back.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from graphflow.errors import GraphflowError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

T = TypeVar("T")

_WRITE_WORDS = (
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "FOREACH", "ALTER",
    "GRANT", "DENY", "REVOKE", "TERMINATE",
)
_WRITE = re.compile(r"(?<![.$:\w])(" + "|".join(_WRITE_WORDS) + r")(?![\w])(?!\s*:)",
                    re.IGNORECASE)
_PHRASES = (
    (re.compile(r"(?<![.$:\w])LOAD\s+CSV\b", re.IGNORECASE), "LOAD CSV"),
    (re.compile(r"\bIN\s+(?:\d+\s+|\$\w+\s+)?(?:CONCURRENT\s+)?TRANSACTIONS\b", re.IGNORECASE),
     "CALL { ... } IN TRANSACTIONS"),
    (re.compile(r"\bUSING\s+PERIODIC\s+COMMIT\b", re.IGNORECASE), "USING PERIODIC COMMIT"),
    (re.compile(r"(?<![.$:\w])(?:START|STOP)\s+DATABASE\b|(?<![.$:\w])ENABLE\s+SERVER\b"
                r"|(?<![.$:\w])(?:DE|RE)ALLOCATE\s+DATABASES?\b"
                r"|(?<![.$:\w])RENAME\s+(?:ROLE|USER|SERVER)\b", re.IGNORECASE),
     "administration command"),
)
_CALL = re.compile(r"(?<![.$:\w])CALL\s+(?![({\s])([A-Za-z_][\w.]*)", re.IGNORECASE)
_RISKY_FUNCTIONS = re.compile(
    r"\bapoc\s*\.\s*(cypher|periodic|create|merge|refactor|do|load|import|export|trigger|"
    r"schema|atomic|lock|nodes\s*\.\s*delete|custom|systemdb|uuid|ttl)\b", re.IGNORECASE)

ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties", "dbms.components",
})
"""Procedures a researcher's query may CALL (compared in lower case)."""


def strip_literals(text: str) -> str:
    """The query with string literals emptied, comments removed and backticked names
    replaced by ``_q_``, so keywords inside them are not seen."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            out.append(ch + ch)
            i = j + 1
        elif ch == "`":
            j = text.find("`", i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == "`":  # `` escapes a backtick
                j = text.find("`", j + 2)
            out.append("_q_")
            i = n if j == -1 else j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j == -1 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            out.append(" ")
            i = n if j == -1 else j + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def write_reason(text: str) -> str | None:
    """Why a query would (or could) write, or None if the text looks read-only."""
    bare = strip_literals(text)
    found: list[str] = []
    found += [m.group(1).upper() for m in _WRITE.finditer(bare)]
    found += [label for pattern, label in _PHRASES if pattern.search(bare)]
    for m in _CALL.finditer(bare):
        name = re.sub(r"\s+", "", m.group(1)).lower()
        if name not in ALLOWED_PROCEDURES:
            found.append(f"CALL {m.group(1)}")
    found += [f"apoc.{m.group(1)}" for m in _RISKY_FUNCTIONS.finditer(bare)]
    return ", ".join(dict.fromkeys(found)) or None


def check_read_only(text: str) -> None:
    """Raise a one-line error if the query text would write."""
    reason = write_reason(text)
    if reason:
        raise GraphflowError(f"refused: this query would write ({reason})",
                             hint="graphflow cypher runs read-only queries; load data with "
                                  "graphflow neo4j load")


_NODE_LABELS = re.compile(r"\(\s*[A-Za-z_]\w*\s*((?::\s*!?\w+\s*(?:[|&]\s*!?\w+\s*)*)+)"
                          r"|\(\s*((?::\s*!?\w+\s*(?:[|&]\s*!?\w+\s*)*)+)")
_REL_TYPES = re.compile(r"\[\s*(?:[A-Za-z_]\w*)?\s*:\s*(!?\w+(?:\s*\|\s*:?\s*!?\w+)*)")


def used_labels(text: str) -> tuple[list[str], list[str]]:
    """Node labels and relationship types written in the query's patterns (best effort)."""
    bare = strip_literals(text)
    labels: list[str] = []
    for m in _NODE_LABELS.finditer(bare):
        labels += re.findall(r"\w+", m.group(1) or m.group(2))
    types: list[str] = []
    for m in _REL_TYPES.finditer(bare):
        types += re.findall(r"\w+", m.group(1))
    skip = {"_q_"}
    return ([x for x in dict.fromkeys(labels) if x not in skip],
            [x for x in dict.fromkeys(types) if x not in skip])


@dataclass
class QueryResult:
    """Columns, rows (plain Python values) and the server's notifications."""

    columns: list[str]
    rows: list[dict[str, Any]]
    notifications: list[str] = field(default_factory=list)


def plain(value: Any) -> Any:
    """A JSON-able version of a driver value (nodes, relationships, paths, temporal types)."""
    import neo4j.graph as ng

    if isinstance(value, ng.Node):
        return {"labels": sorted(value.labels), "properties": plain(dict(value))}
    if isinstance(value, ng.Relationship):
        return {"type": value.type, "properties": plain(dict(value))}
    if isinstance(value, ng.Path):
        return {"nodes": [plain(n) for n in value.nodes],
                "relationships": [plain(r) for r in value.relationships]}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    iso = getattr(value, "iso_format", None)
    return iso() if callable(iso) else str(value)


def _notes(summary: Any) -> list[str]:
    out = []
    for status in getattr(summary, "gql_status_objects", None) or ():
        if getattr(status, "is_notification", False):
            severity = getattr(status, "raw_severity", None) or "NOTE"
            out.append(f"{severity}: {status.status_description} [{status.gql_status}]")
    return out


def _run_tx(driver: neo4j.Driver, database: str, text: str, params: Mapping[str, Any],
            timeout: float | None) -> QueryResult:
    import neo4j

    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        tx = session.begin_transaction(timeout=timeout)
        try:
            result = tx.run(text, dict(params))
            columns = list(result.keys())
            rows = [{k: plain(v) for k, v in record.items()} for record in result]
            summary = result.consume()
        finally:
            tx.close()  # rolls back: nothing a query did is ever committed
    counters = summary.counters
    if counters.contains_updates or counters.contains_system_updates or (
            summary.query_type not in (None, "r")):
        raise GraphflowError("refused: this query tried to write; it was rolled back",
                             hint=f"query type {summary.query_type!r}")
    return QueryResult(columns, rows, _notes(summary))


def with_deadline(fn: Callable[[], T], timeout: float | None,
                  on_timeout: Callable[[], None] = lambda: None) -> T:
    """Run ``fn`` in a daemon thread; after ``timeout`` seconds call ``on_timeout`` (e.g.
    close the driver) and raise a one-line "timed out" error."""
    if not timeout:
        return fn()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="graphflow-cypher", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        threading.Thread(target=on_timeout, daemon=True).start()
        raise GraphflowError(f"timed out after {timeout:g} s",
                             hint="raise --timeout, or add LIMIT / narrower patterns")
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_read(driver: neo4j.Driver, database: str, text: str,
             params: Mapping[str, Any] | None = None, *, timeout: float | None = None,
             check: bool = True) -> QueryResult:
    """Run a read-only query (refused first if its text would write); always rolled back."""
    if check:
        check_read_only(text)
    return with_deadline(
        lambda: _run_tx(driver, database, text, params or {}, timeout),
        timeout, on_timeout=driver.close)


def unknown_names(driver: neo4j.Driver, database: str, text: str) -> GraphflowError | None:
    """An error naming the first label or relationship type the database does not have."""
    labels, types = used_labels(text)
    if not labels and not types:
        return None
    records, _, _ = driver.execute_query(
        "CALL db.labels() YIELD label RETURN collect(label) AS names", database_=database)
    have_labels = set(records[0]["names"]) if records else set()
    records, _, _ = driver.execute_query(
        "CALL db.relationshipTypes() YIELD relationshipType "
        "RETURN collect(relationshipType) AS names", database_=database)
    have_types = set(records[0]["names"]) if records else set()
    for kind, names, have, mark in (("label", labels, have_labels, ":"),
                                    ("relationship type", types, have_types, ":")):
        for name in names:
            if name not in have:
                hint = did_you_mean(name, have) if have else \
                    "the database is empty: run graphflow neo4j load"
                return GraphflowError(f"unknown {kind} {mark}{name} in database {database!r}",
                                      hint=hint or f"known: {', '.join(sorted(have))}")
    return None
