"""The canned query library: one YAML file per query in ``graphflow/store/queries/``.

A file holds ``id``, ``title``, ``description``, ``parameters`` (name, type, default,
description), ``cypher`` and optionally ``requires: [statuses]`` and ``hop_bound: NAME``.
Parameters are typed from the file and always passed as Cypher parameters, never formatted
into the text.

The one exception is the bound of a variable-length pattern (``*1..8``), which Cypher cannot
take as a parameter. A query with ``hop_bound: max_hops`` writes ``{{max_hops}}`` where the
bound goes; the library makes one text per bound from 1 to ``HOP_BOUND_LIMIT`` when it reads
the file (from ``range()``, not from anything a user typed), and ``text()`` picks the one for
the integer parameter ``max_hops`` after checking it is in that range.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from graphflow.errors import GraphflowError, did_you_mean

PARAM_TYPES = ("string", "integer", "float", "boolean", "date", "list")
HOP_BOUND_LIMIT = 32
"""Longest route a canned query enumerates (as the store engine: store.engine.MAX_HOPS_LIMIT)."""
_BOUND_TEXT = {n: str(n) for n in range(1, HOP_BOUND_LIMIT + 1)}
"""The only texts a hop bound ever becomes in Cypher."""
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
    hop_bound: str | None = None
    texts: tuple[tuple[int, str], ...] = ()
    """(bound, Cypher text) for every bound 1..HOP_BOUND_LIMIT, when ``hop_bound`` is set."""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.parameters if p.name == name), None)

    def run_example(self) -> str:
        """The command line that runs it (its first two parameters as placeholders)."""
        return f"graphflow query run {self.id}" + "".join(
            f" --param {p.name}=…" for p in self.parameters[:2])

    def as_dict(self) -> dict[str, Any]:
        """The query as ``graphflow query show --format json`` prints it (the Cypher as written
        in the file, ``{{hop_bound}}`` included)."""
        return {
            "id": self.id, "title": self.title, "description": self.description,
            "requires": list(self.requires),
            "parameters": [{"name": p.name, "type": p.type, "required": p.required,
                            "default": p.default, "description": p.description}
                           for p in self.parameters],
            "hop_bound": self.hop_bound, "cypher": self.cypher, "run": self.run_example(),
        }

    def text(self, params: Mapping[str, Any]) -> str:
        """The Cypher to run with these (bound) parameters: the template for the hop bound."""
        if self.hop_bound is None:
            return self.cypher
        bound = params.get(self.hop_bound)
        if isinstance(bound, bool) or not isinstance(bound, int) or \
                not 1 <= bound <= HOP_BOUND_LIMIT:
            raise GraphflowError(f"--param {self.hop_bound} must be 1 to {HOP_BOUND_LIMIT}, "
                                 f"not {bound!r}", hint=f"e.g. --param {self.hop_bound}=8")
        return dict(self.texts)[bound]


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
                            doc["cypher"].strip(), tuple(doc.get("requires") or ()), name,
                            doc.get("hop_bound"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise GraphflowError(f"malformed canned query: missing {exc}", where=where) from None
    bound = query.hop_bound
    if bound is not None:
        param = query.param(bound) if isinstance(bound, str) else None
        token = f"{{{{{bound}}}}}"
        if param is None or param.type != "integer" or token not in query.cypher:
            raise GraphflowError(f"hop_bound {bound!r} must name an integer parameter written "
                                 f"as {token} in the Cypher", where=where)
        query = replace(query, texts=tuple(
            (n, query.cypher.replace(token, text)) for n, text in _BOUND_TEXT.items()))
        if "{{" in query.texts[0][1]:
            raise GraphflowError("the Cypher has a {{...}} other than the hop bound",
                                 where=where)
    if not _ID.match(query.id) or name != f"{query.id}.yaml":
        raise GraphflowError(f"query id {query.id!r} must be kebab-case and match the file name",
                             where=where)
    for p in params:
        if p.type not in PARAM_TYPES or not _NAME.match(p.name):
            raise GraphflowError(f"parameter {p.name!r} has a bad name or type {p.type!r}",
                                 where=where, hint="types: " + ", ".join(PARAM_TYPES))
        if f"${p.name}" not in query.cypher and p.name != query.hop_bound:
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
    from graphflow.store.load import load_command, require_finished

    pack = params.get("pack")
    if pack is None:
        return
    records, _, _ = driver.execute_query(
        "MATCH (p:Pack {pack: $pack, id: $pack}) RETURN p.status_dates AS dates, "
        "p.state AS state, p.load_started_at AS started",
        pack=pack, database_=database, routing_="r")
    if not records:
        raise GraphflowError(f"pack {pack!r} is not loaded in database {database!r}",
                             hint=f"run: {load_command(pack)}")

    require_finished(pack, records[0]["state"], records[0]["started"])
    if "statuses" in query.requires and not records[0]["dates"]:
        raise GraphflowError(f"query {query.id!r} needs stored statuses",
                             hint=f"run: {load_command(pack)} --with-statuses "
                                  "--as-of YYYY-MM-DD")
    day = params.get("as_of")
    dates = records[0]["dates"] or []
    if "statuses" in query.requires and day is not None and day not in dates:
        raise GraphflowError(f"pack {pack!r} has no statuses stored for {day}",
                             hint="stored: " + ", ".join(dates) + f"; or run: "
                                  f"{load_command(pack)} --with-statuses --as-of {day}")
