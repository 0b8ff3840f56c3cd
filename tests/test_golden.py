"""Golden files pin the JSON shape of every command that prints JSON (tests/golden/*.json).

Each golden file holds, for one fixed command on the bundled NYC pack with an explicit
``--as-of``: the command, the JSON ``version`` and ``query`` it printed (real values), and the
*shape* of its whole output: every key and the type of every value, lists merged over their
items (a key that only some items have is written ``"key?"``; dicts keyed by data, such as
conflict ids or dates, as ``{"<map>": shape}``). Any added, removed, renamed or retyped key
fails the test; new data in the pack does not, as long as the shape stays.

After an intended change of the JSON (say so in the commit and bump ``JSON_VERSION`` in
``graphflow/report/routes.py`` if a documented key changes), rewrite the files with

    GRAPHFLOW_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and review the diff. The same switch rewrites the README's JSON example, which
``test_readme_example_matches_the_golden`` checks against the golden shape of ``graphflow
routes``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("GRAPHFLOW_UPDATE_GOLDEN") == "1"
AS_OF = "2017-03-01"
CASE = ("--profile", "fare-evasion", "--as-of", AS_OF)
WARRANT = "warrant-check-contacts-ice"
MAPS = {"conflicts", "facts", "statuses"}  # dicts keyed by data (ids, dates), not by schema
_DATE = re.compile(r"^\d{4}(-\d{2}){0,2}$")

COMMANDS: dict[str, tuple[str, ...]] = {
    "routes": ("routes", *CASE),
    "routes-limit-ranked": ("routes", *CASE, "--limit", "2", "--order", "ranked"),
    "routes-whatif": ("routes", "--profile", "prior-removal-order", "--as-of", AS_OF,
                      "--close", WARRANT),
    "routes-count": ("routes", *CASE, "--count"),
    "leaks": ("leaks", *CASE),
    "leaks-practice": ("leaks", *CASE, "--set", "in-doc-custody=true", "--with-practice"),
    "leaks-count": ("leaks", *CASE, "--count"),
    "explain-route": ("explain", "ROUTE", *CASE),
    "explain-flow": ("explain", "fbi-prints-to-dhs"),
    "explain-rule": ("explain", "nyc-ll59-2014"),
    "explain-actor": ("explain", "nypd"),
    "explain-source": ("explain", "seed-000"),
    "explain-profile": ("explain", "fare-evasion"),
    "explain-conflict": ("explain", "accused-vs-convicted"),
    "cut": ("cut", *CASE, "--controllable-by", "state"),
    "cut-none": ("cut", *CASE, "--controllable-by", "city"),
    "cut-whatif-weighted": ("cut", "--profile", "prior-removal-order", "--as-of", AS_OF,
                            "--close", WARRANT, "--weighted"),
    "exposure": ("exposure", *CASE),
    "exposure-whatif": ("exposure", *CASE, "--close", WARRANT),
    "diff": ("diff", "--as-of", AS_OF, "--as-of", "2025-01-01", "--profile", "fare-evasion"),
    "timeline": ("timeline", "--profile", "fare-evasion", "--as-of", AS_OF, "--since",
                 "2014-01-01"),
    "validate": ("validate", "nyc"),
    **{f"list-{kind}": ("list", kind) for kind in (
        "actors", "flows", "rules", "profiles", "sources", "facts", "data-items", "conflicts",
        "packs")},
    "query-list": ("query", "list"),
    "query-show": ("query", "show", "routes-between"),
    "neo4j-schema-print": ("neo4j", "schema", "--print"),
}
# Commands that need a Bolt server: pinned by tests/test_neo4j_cli.py, files in the same folder.
NEO4J_COMMANDS: dict[str, tuple[str, ...]] = {
    "neo4j-load": ("neo4j", "load", "--data", "tests/fixtures/mini"),
    "neo4j-packs": ("neo4j", "packs"),
    "neo4j-schema": ("neo4j", "schema"),
    "neo4j-drop": ("neo4j", "drop", "--pack", "mini", "--yes"),
}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]


def _merge(a: Any, b: Any) -> Any:
    """The shape of a value that may have shape ``a`` or shape ``b``."""
    if a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict) and "oneOf" not in a and "oneOf" not in b:
        names = {k.rstrip("?") for k in (*a, *b)}
        out = {}
        for name in sorted(names):
            ka = a.get(name, a.get(name + "?", _MISSING))
            kb = b.get(name, b.get(name + "?", _MISSING))
            optional = (name not in a) or (name not in b)
            if ka is _MISSING or kb is _MISSING:
                out[name + "?"] = kb if ka is _MISSING else ka
            else:
                out[name + ("?" if optional else "")] = _merge(ka, kb)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if not a or not b:
            return a or b
        return [_merge(a[0], b[0])]
    if isinstance(a, str) and isinstance(b, str):
        return "|".join(sorted(set(a.split("|")) | set(b.split("|"))))
    options = [*(a["oneOf"] if isinstance(a, dict) and "oneOf" in a else [a]),
               *(b["oneOf"] if isinstance(b, dict) and "oneOf" in b else [b])]
    unique = {json.dumps(o, sort_keys=True): o for o in options}
    return {"oneOf": [unique[k] for k in sorted(unique)]}


_MISSING = object()


def shape(value: Any, key: str | None = None) -> Any:
    """Keys and value types of a JSON value (see the module docstring)."""
    if isinstance(value, dict):
        if value and (key in MAPS or all(_DATE.match(k) for k in value)):
            merged = None
            for v in value.values():
                s = shape(v)
                merged = s if merged is None else _merge(merged, s)
            return {"<map>": merged}
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        merged = None
        for v in value:
            s = shape(v, key)
            merged = s if merged is None else _merge(merged, s)
        return [] if merged is None else [merged]
    return _scalar(value)


def pin(argv: tuple[str, ...], out: Any) -> dict[str, Any]:
    head = out if isinstance(out, dict) else {}
    return {"command": "graphflow " + " ".join(argv) + " --format json",
            "version": head.get("version"), "query": head.get("query"), "shape": shape(out)}


@pytest.fixture(scope="module")
def route_id():
    from graphflow.api import open_pack

    return open_pack("nyc").leaks(profile="fare-evasion", as_of=AS_OF).routes[0].id


def _run(run_cli, argv: tuple[str, ...]) -> Any:
    code, out, err = run_cli(*argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_shape_matches_the_golden_file(run_cli, route_id, name):
    argv = tuple(route_id if a == "ROUTE" else a for a in COMMANDS[name])
    got = pin(COMMANDS[name], _run(run_cli, argv))
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert path.exists(), f"no golden file {path.name}: run with GRAPHFLOW_UPDATE_GOLDEN=1"
    want = json.loads(path.read_text())
    assert got == want, (f"the JSON of `{got['command']}` changed shape; if intended, rerun "
                         "with GRAPHFLOW_UPDATE_GOLDEN=1 and review the diff")


def test_every_json_command_has_a_golden_file():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted([*COMMANDS, *NEO4J_COMMANDS])


def test_shape_fails_on_any_change():
    base = {"a": 1, "b": [{"c": "x"}, {"c": "y", "d": None}], "conflicts": {"k1": {"e": 1}}}
    assert shape(base) == {"a": "int", "b": [{"c": "str", "d?": "null"}],
                           "conflicts": {"<map>": {"e": "int"}}}
    for changed in ({**base, "a": "1"}, {**base, "z": 1}, {k: v for k, v in base.items()
                                                             if k != "a"},
                    {**base, "b": [{"c": 1}]}, {**base, "conflicts": {"k2": {"f": 1}}}):
        assert shape(changed) != shape(base)
    assert shape({**base, "conflicts": {"k2": {"e": 5}}}) == shape(base)  # data, not shape


# The README's JSON example: a real `graphflow routes` answer, lists of objects cut to one item.
README = ROOT / "README.md"
README_CMD = COMMANDS["routes"]
_BLOCK = re.compile(r"(### JSON output[^\n]*\n```json\n)(.*?)(\n```)", re.S)


def _one_each(value: Any) -> Any:
    """Lists of objects cut to their first item (texts stay whole: a cut quote is no quote)."""
    if isinstance(value, dict):
        return {k: _one_each(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], (dict, list)):
            return [_one_each(value[0])]
        return [_one_each(v) for v in value]
    return value


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with what fits in 96 columns on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or indent + len(flat) <= 96:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, list):
        return "[" + (",\n" + pad).join(_dump(v, indent + 1) for v in value) + "]"
    items = [json.dumps(k, ensure_ascii=False) + ": " + _dump(v, indent + 1 + len(k) + 4)
             for k, v in value.items()]
    return "{" + (",\n" + pad).join(items) + "}"


def test_readme_example_matches_the_golden(run_cli):
    text = README.read_text()
    match = _BLOCK.search(text)
    assert match, "README.md has a '### JSON output' section with a json block"
    if UPDATE:
        example = _dump(_one_each(_run(run_cli, README_CMD)))
        text = text[:match.start(2)] + example + text[match.end(2):]
        README.write_text(text)
        match = _BLOCK.search(text)
    example = json.loads(match.group(2))
    golden = json.loads((GOLDEN / "routes.json").read_text())["shape"]
    assert _merge(golden, shape(example)) == golden, "the README example has keys or types " \
        "the golden file of `graphflow routes` does not"
    missing = _required(golden) - _keys(shape(example))
    assert not missing, f"keys every route answer has are missing from the README: {missing}"


def _keys(s: Any, at: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(s, dict) and "oneOf" not in s:
        for k, v in s.items():
            out.add(at + k.rstrip("?"))
            out |= _keys(v, at + k.rstrip("?") + ".")
    elif isinstance(s, list) and s:
        out |= _keys(s[0], at)
    return out


def _required(s: Any, at: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(s, dict) and "oneOf" not in s:
        for k, v in s.items():
            if k.endswith("?") or k == "<map>":
                continue
            out.add(at + k)
            out |= _required(v, at + k + ".")
    elif isinstance(s, list) and s:
        out |= _required(s[0], at)
    return out


def test_the_golden_files_pin_an_explicit_date():
    for path in GOLDEN.glob("*.json"):
        data = json.loads(path.read_text())
        query = data["query"]
        if query is not None:
            assert query["as_of"] not in (None, ""), path.name
            assert "--as-of" in data["command"], path.name
