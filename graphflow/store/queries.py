"""The canned query library: one YAML file per query in ``graphflow/store/queries/``.

A file holds ``id``, ``title``, ``description``, ``parameters`` (name, type, default,
description), ``cypher`` and optionally ``requires: [statuses]``. Parameters are typed from
the file and always passed as Cypher parameters, never formatted into the text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from graphflow.errors import GraphflowError, did_you_mean

PARAM_TYPES = ("string", "integer", "float", "boolean", "date", "list")
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    description: str
    required: bool


@dataclass(frozen=True)
class CannedQuery:
    id: str
    title: str
    description: str
    parameters: tuple[Param, ...]
    cypher: str
    requires: tuple[str, ...]
    file: str

    def param(self, name: str) -> Param | None:
        return next((p for p in self.parameters if p.name == name), None)


def _parse(name: str, text: str) -> CannedQuery:
    where = f"graphflow/store/queries/{name}"
    doc = yaml.safe_load(text)
    try:
        params = tuple(
            Param(p["name"], p.get("type", "string"), p.get("default"),
                  p.get("description", ""), bool(p.get("required", "default" not in p)))
            for p in doc.get("parameters") or ()
        )
        query = CannedQuery(doc["id"], doc["title"], doc["description"].strip(), params,
                            doc["cypher"].strip(), tuple(doc.get("requires") or ()), name)
    except (KeyError, TypeError, AttributeError) as exc:
        raise GraphflowError(f"malformed canned query: missing {exc}", where=where) from None
    if not _ID.match(query.id) or name != f"{query.id}.yaml":
        raise GraphflowError(f"query id {query.id!r} must be kebab-case and match the file name",
                             where=where)
    for p in params:
        if p.type not in PARAM_TYPES or not _NAME.match(p.name):
            raise GraphflowError(f"parameter {p.name!r} has a bad name or type {p.type!r}",
                                 where=where, hint="types: " + ", ".join(PARAM_TYPES))
        if f"${p.name}" not in query.cypher:
            raise GraphflowError(f"parameter {p.name!r} is not used in the Cypher", where=where)
    if set(query.requires) - {"statuses"}:
        raise GraphflowError(f"unknown requirement in {query.requires!r}", where=where)
    return query


@cache
def library() -> dict[str, CannedQuery]:
    """Every canned query, by id, in file-name order."""
    folder = resources.files("graphflow.store") / "queries"
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            query = _parse(entry.name, entry.read_text(encoding="utf-8"))
            out[query.id] = query
    return out


def get(name: str) -> CannedQuery:
    """A canned query by id, with a "did you mean" for typos."""
    queries = library()
    if name not in queries:
        raise GraphflowError(f"no canned query {name!r}",
                             hint=did_you_mean(name, queries) or "see: graphflow query list")
    return queries[name]


def convert(param: Param, raw: str) -> Any:
    """A ``--param`` string as the parameter's type."""
    text = raw.strip()
    if text.lower() in ("null", "none", ""):
        return None
    try:
        if param.type == "integer":
            number = int(text)
            if not -(2**63) <= number < 2**63:  # a Cypher integer is 64 bits
                raise GraphflowError(f"--param {param.name}={raw!r} is too large",
                                     hint=param.description or None)
            return number
        if param.type == "float":
            real = float(text)
            if real != real or real in (float("inf"), float("-inf")):
                raise ValueError(text)
            return real
        if param.type == "boolean":
            if text.lower() in ("true", "yes", "1"):
                return True
            if text.lower() in ("false", "no", "0"):
                return False
            raise ValueError(text)
        if param.type == "date":
            return dt.date.fromisoformat(text).isoformat()
        if param.type == "list":
            return [part.strip() for part in text.split(",") if part.strip()]
    except ValueError:
        article = "an" if param.type[0] in "aeiou" else "a"
        raise GraphflowError(f"--param {param.name}={raw!r} is not {article} {param.type}",
                             hint=param.description or None) from None
    return text


def bind(query: CannedQuery, pairs: Sequence[str] | Mapping[str, str]) -> dict[str, Any]:
    """Typed parameters from ``k=v`` strings (or a mapping), defaults filled in."""
    given: dict[str, str] = {}
    items = pairs.items() if isinstance(pairs, Mapping) else (_split(p) for p in pairs)
    for key, value in items:
        if query.param(key) is None:
            names = [p.name for p in query.parameters]
            raise GraphflowError(f"query {query.id!r} has no parameter {key!r}",
                                 hint=did_you_mean(key, names) or
                                 "parameters: " + (", ".join(names) or "none"))
        given[key] = value
    out: dict[str, Any] = {}
    for p in query.parameters:
        if p.name in given:
            out[p.name] = convert(p, given[p.name])
        elif p.required:
            raise GraphflowError(f"query {query.id!r} needs --param {p.name}=…",
                                 hint=p.description or None)
        else:
            out[p.name] = convert(p, str(p.default)) if p.default is not None else None
    return out


def _split(pair: str) -> tuple[str, str]:
    if "=" not in pair:
        raise GraphflowError(f"--param {pair!r} is not name=value", hint="e.g. --param max_hops=6")
    key, value = pair.split("=", 1)
    return key.strip(), value


def check_requirements(driver: Any, database: str, query: CannedQuery,
                       params: Mapping[str, Any]) -> None:
    """The query's pack must be loaded, with statuses if the query needs them."""
    pack = params.get("pack")
    if pack is None:
        return
    records, _, _ = driver.execute_query(
        "MATCH (p:Pack {pack: $pack, id: $pack}) RETURN p.status_dates AS dates",
        pack=pack, database_=database, routing_="r")
    if not records:
        raise GraphflowError(f"pack {pack!r} is not loaded in database {database!r}",
                             hint=f"run: graphflow neo4j load --data {pack}")
    if "statuses" in query.requires and not records[0]["dates"]:
        raise GraphflowError(f"query {query.id!r} needs stored statuses",
                             hint=f"run: graphflow neo4j load --data {pack} --with-statuses "
                                  "--as-of YYYY-MM-DD")
