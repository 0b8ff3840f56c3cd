"""Exports for those who load the graph themselves: a Cypher script and neo4j-admin CSV files.

Both come from the same rows as ``graphflow neo4j load`` (``rows.build_graph``); the script
uses the load's statement texts for nodes and relationships (``load.node_statement`` /
``rel_statement``) with literal rows, one statement per relationship type, where the load
writes each flow with one statement (``load.flow_statement``). The tests run both into a real
Neo4j and compare the graphs.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TextIO

from graphflow.errors import GraphflowError
from graphflow.outfile import atomic_output
from graphflow.store.load import (
    chunks,
    delete_statements,
    node_statement,
    rel_statement,
    schema_path,
    split_script,
    wire_rows,
)
from graphflow.store.model import NODE_BY_LABEL, NodeSpec, RelSpec
from graphflow.store.rows import GraphData

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SCRIPT_BATCH = 200
CSV_TYPES = {"string": "string", "string[]": "string[]", "integer": "long", "float": "double",
             "boolean": "boolean"}
DELIMITERS = ("|", "¦", "\u241f")


def literal(value: Any) -> str:
    """A Cypher literal: strings JSON-escaped (valid Cypher escapes), lists, maps, numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value!r} as a Cypher literal")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            name = key if _KEY.match(key) else "`" + key.replace("`", "``") + "`"
            parts.append(f"{name}: {literal(item)}")
        return "{" + ", ".join(parts) + "}"
    raise TypeError(f"no Cypher literal for {type(value).__name__}")


def cypher_script(data: GraphData, *, batch: int = SCRIPT_BATCH) -> Iterator[str]:
    """The lines of a parameter-free script: schema, then one transaction that replaces the
    pack (cypher-shell ``:begin``/``:commit``). One statement per line, each ending in ``;``."""
    yield f"// graphflow export of pack {data.pack}: the graph `graphflow neo4j load` writes."
    yield "// Run with: cypher-shell -d <database> -f <this file>"
    yield "// Schema statements first (they cannot share a transaction with data writes)."
    for statement in split_script(schema_path().read_text(encoding="utf-8")):
        yield statement + ";"
    yield ":begin"
    pack = literal(data.pack)
    for statement in delete_statements(pack):
        yield statement + ";"
    for nb in data.nodes:
        for rows in chunks(nb.rows, batch):
            yield node_statement(nb, literal(wire_rows(nb, rows)), pack) + ";"
    for rb in data.rels:
        for rows in chunks(rb.rows, batch):
            yield rel_statement(rb, literal(wire_rows(rb, rows)), pack) + ";"
    yield ":commit"


def _atomic(path: Path) -> AbstractContextManager[TextIO]:
    """A text file written next to ``path`` and renamed over it when complete."""
    return atomic_output(path, text=True)


def write_script(data: GraphData, path: Path) -> int:
    """Write the Cypher script (atomically); returns the number of statements."""
    count = 0
    with _atomic(path) as out:
        for line in cypher_script(data):
            out.write(line + "\n")
            count += line.endswith(";")
    return count


def node_id(spec: NodeSpec, key: dict[str, Any]) -> str:
    """The ``:ID`` of a node in the CSV files (unique across all files)."""
    return ":".join([spec.label, *(str(key[k]) for k in spec.key)])


def _delimiter(data: GraphData) -> str:
    values: set[str] = set()
    for batch in [*data.nodes, *data.rels]:
        for row in batch.rows:
            for value in row["p"].values():
                if isinstance(value, list):
                    values.update(value)
    for delim in DELIMITERS:
        if not any(delim in v for v in values):
            return delim
    raise GraphflowError("every array delimiter occurs in the data; cannot write CSV arrays")


def _cell(value: Any, type_: str, delim: str) -> str:
    if value is None:
        return ""
    if type_ == "string[]":
        return delim.join(value)
    if type_ == "boolean":
        return "true" if value else "false"
    return str(value)


def _header(props: Any) -> list[str]:
    return [f"{p.name}:{CSV_TYPES[p.type]}" for p in props]


def write_csv(data: GraphData, folder: Path) -> tuple[list[Path], str]:
    """Node and relationship CSV files for ``neo4j-admin database import full``; returns the
    files and the import command (also written to ``import.sh``)."""
    folder.mkdir(parents=True, exist_ok=True)
    delim = _delimiter(data)
    files: list[Path] = []
    node_args, rel_args = [], []
    by_spec: dict[str, list[tuple[tuple[str, ...], dict[str, Any]]]] = {}
    for nb in data.nodes:
        for row in nb.rows:
            by_spec.setdefault(nb.spec.label, []).append((nb.labels, row))
    for label, rows in by_spec.items():
        spec = NODE_BY_LABEL[label]
        path = folder / f"nodes-{label}.csv"
        with _atomic(path) as handle:
            w = csv.writer(handle, lineterminator="\n")
            w.writerow([":ID", ":LABEL", *_header(spec.props)])
            for labels, row in rows:
                values = {**row["k"], **row["p"]}
                w.writerow([node_id(spec, row["k"]), delim.join(labels),
                            *(_cell(values.get(p.name), p.type, delim) for p in spec.props)])
        files.append(path)
        node_args.append(f"--nodes={path.name}")
    for rb in data.rels:
        rspec: RelSpec = rb.spec
        path = folder / f"relationships-{rspec.type}-{rspec.start}-{rspec.end}.csv"
        start, end = NODE_BY_LABEL[rspec.start], NODE_BY_LABEL[rspec.end]
        with _atomic(path) as handle:
            w = csv.writer(handle, lineterminator="\n")
            w.writerow([":START_ID", ":END_ID", ":TYPE", *_header(rspec.props)])
            for row in rb.rows:
                values = {**row["k"], **row["p"]}
                w.writerow([node_id(start, row["s"]), node_id(end, row["t"]), rspec.type,
                            *(_cell(values.get(p.name), p.type, delim) for p in rspec.props)])
        files.append(path)
        rel_args.append(f"--relationships={path.name}")
    command = " \\\n  ".join([
        "neo4j-admin database import full neo4j --overwrite-destination",
        f"--array-delimiter='{delim}' --multiline-fields=true",
        *node_args, *rel_args,
    ])
    with _atomic(folder / "import.sh") as out:
        out.write("#!/bin/sh\n"
                  f"# Import pack {data.pack} into a NEW database (this replaces the database "
                  "'neo4j';\n# stop it first). Then apply the constraints: cypher-shell -f "
                  'constraints.cypher\ncd "$(dirname "$0")"\n' + command + "\n")
    with _atomic(folder / "constraints.cypher") as out:
        out.write(schema_path().read_text(encoding="utf-8"))
    return files, command
