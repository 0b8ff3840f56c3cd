"""--format table|json|csv|md on `graphflow query show`, `neo4j schema`, `neo4j drop`,
`neo4j load` and `neo4j packs`: data on stdout, status lines on stderr, JSON shapes pinned by
tests/golden/ (the commands that need a server here, the others in tests/test_golden.py).

Expected values are read from the query files, the schema file and the database itself, not
from the functions that print them."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import yaml

from graphflow.store.load import pack_counts
from tests import neo4j_server
from tests.conftest import MINI, ROOT
from tests.test_golden import GOLDEN, NEO4J_COMMANDS, UPDATE, pin

QUERIES = ROOT / "graphflow" / "store" / "queries"
SCHEMA = ROOT / "schema" / "neo4j" / "constraints.cypher"
QUERY_IDS = sorted(p.stem for p in QUERIES.glob("*.yaml"))


def _yaml(name: str) -> dict:
    return yaml.safe_load((QUERIES / f"{name}.yaml").read_text(encoding="utf-8"))


def _ok(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 0, err
    return out


# -- no server needed ----------------------------------------------------------------------


@pytest.mark.parametrize("name", QUERY_IDS)
def test_query_show_json_is_the_query_file(run_cli, name) -> None:
    code, out, err = run_cli("query", "show", name, "--format", "json")
    assert code == 0 and err == "", err
    got, doc = json.loads(out), _yaml(name)
    assert (got["id"], got["title"]) == (doc["id"], doc["title"]) == (name, doc["title"])
    assert got["description"] == doc["description"].strip()
    assert got["cypher"] == doc["cypher"].strip()
    assert got["requires"] == list(doc.get("requires") or [])
    assert got["hop_bound"] == doc.get("hop_bound")
    assert [p["name"] for p in got["parameters"]] == [p["name"] for p in doc["parameters"]]
    for mine, theirs in zip(got["parameters"], doc["parameters"], strict=True):
        assert mine["type"] == theirs.get("type", "string")
        assert mine["default"] == theirs.get("default")
        assert mine["required"] == ("default" not in theirs)
    assert got["run"].startswith(f"graphflow query run {name}")


@pytest.mark.parametrize("name", QUERY_IDS)
def test_query_show_csv_is_one_row_with_the_cypher_intact(run_cli, name) -> None:
    rows = list(csv.DictReader(io.StringIO(_ok(run_cli, "query", "show", name,
                                                "--format", "csv"))))
    doc = _yaml(name)
    assert len(rows) == 1
    assert rows[0]["id"] == name and rows[0]["cypher"] == doc["cypher"].strip()
    assert [p["name"] for p in json.loads(rows[0]["parameters"])] == \
        [p["name"] for p in doc["parameters"]]


@pytest.mark.parametrize("name", QUERY_IDS)
def test_query_show_markdown_has_the_parameters_and_a_cypher_block(run_cli, name) -> None:
    out = _ok(run_cli, "query", "show", name, "--format", "md")
    doc = _yaml(name)
    assert out.startswith(f"## {name}: {doc['title']}\n")
    assert f"```cypher\n{doc['cypher'].strip()}\n```\n" in out
    for p in doc["parameters"]:
        assert re.search(rf"^\| {re.escape(p['name'])} \| {p.get('type', 'string')} \|", out,
                         re.M), p["name"]


def test_query_show_table_is_unchanged_text(run_cli) -> None:
    out = _ok(run_cli, "query", "show", "routes-between")
    assert out.startswith("routes-between: ") and "\nCypher:\n" in out
    assert "{{max_hops}} is the hop bound" in out


def _schema_file() -> list[str]:
    """The statements of the schema file, read here: one per `;`-terminated line."""
    return [line.strip().rstrip(";") for line in SCHEMA.read_text().splitlines()
            if line.startswith("CREATE ")]


def test_schema_print_formats(run_cli) -> None:
    assert _ok(run_cli, "neo4j", "schema", "--print") == SCHEMA.read_text()
    want = _schema_file()
    got = json.loads(_ok(run_cli, "neo4j", "schema", "--print", "--format", "json"))
    assert got["applied"] is False and got["database"] is None
    assert [s["cypher"] for s in got["statements"]] == want
    for s in got["statements"]:
        assert s["cypher"].startswith(f"CREATE {s['kind'].upper()} {s['name']} IF NOT EXISTS")
    rows = list(csv.DictReader(io.StringIO(_ok(run_cli, "neo4j", "schema", "--print",
                                                "--format", "csv"))))
    assert [r["cypher"] for r in rows] == want
    md = _ok(run_cli, "neo4j", "schema", "--print", "--format", "md")
    assert md.startswith("| name | kind | cypher |\n|---|---|---|\n")
    assert md.count("\n") == len(want) + 2


def test_a_bad_format_is_a_one_line_error(run_cli) -> None:
    for args in (("query", "show", "open-routes"), ("neo4j", "schema", "--print")):
        code, out, err = run_cli(*args, "--format", "xml")
        assert code != 0 and out == "" and err.count("\n") == 1 and "'xml'" in err


# -- against the server ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(request):
    return neo4j_server.database(request, "cli")


@pytest.fixture()
def env(db, monkeypatch):
    neo4j_server.use_env(monkeypatch, db)
    return db


def _load_mini(run_cli) -> None:
    _ok(run_cli, "neo4j", "load", "--data", str(MINI), "--format", "json")


@pytest.mark.neo4j
def test_schema_applied_json_on_stdout_status_on_stderr(env, run_cli) -> None:
    code, out, err = run_cli("neo4j", "schema", "--format", "json")
    assert code == 0 and err.startswith("Applied "), err
    got = json.loads(out)
    assert got["applied"] is True and got["database"] == env.name
    assert [s["cypher"] for s in got["statements"]] == _schema_file()
    names = {r["name"] for r in env.rows("SHOW CONSTRAINTS YIELD name RETURN name")} | \
        {r["name"] for r in env.rows("SHOW INDEXES YIELD name RETURN name")}
    assert {s["name"] for s in got["statements"]} <= names
    code, out, err = run_cli("neo4j", "schema", "--format", "md")
    assert code == 0 and out.startswith("| name | kind | cypher |") and "Applied" in err


@pytest.mark.neo4j
def test_drop_says_what_it_deleted(env, run_cli) -> None:
    _load_mini(run_cli)
    before = pack_counts(env.driver, env.name, "mini")
    touching = env.value("MATCH (n) WHERE n.pack = 'mini' MATCH (n)-[r]-() "
                         "RETURN count(DISTINCT r) AS c")
    nodes_before = env.value("MATCH (n) WHERE n.pack = 'mini' RETURN count(n) AS c")
    got = json.loads(_ok(run_cli, "neo4j", "drop", "--pack", "mini", "--yes",
                         "--format", "json"))
    assert got["pack"] == "mini" and got["removed"] is True
    assert got["nodes"] == {k: v for k, v in before.items() if k in got["nodes"]}
    assert sum(got["nodes"].values()) == nodes_before > 0
    assert got["relationships"] == touching > 0
    assert env.value("MATCH (n) WHERE n.pack = 'mini' RETURN count(n) AS c") == 0
    # again: nothing left to remove, and it says so
    again = json.loads(_ok(run_cli, "neo4j", "drop", "--pack", "mini", "--yes",
                           "--format", "json"))
    assert again["removed"] is False and sum(again["nodes"].values()) == 0
    assert "nothing removed" in _ok(run_cli, "neo4j", "drop", "--pack", "mini", "--yes")
    _load_mini(run_cli)
    rows = list(csv.DictReader(io.StringIO(_ok(run_cli, "neo4j", "drop", "--pack", "mini",
                                                "--yes", "--format", "csv"))))
    by = {r["what"]: int(r["removed"]) for r in rows}
    assert by.pop("relationships") == touching
    assert by == {k: v for k, v in before.items() if k in by} and sum(by.values()) == nodes_before


@pytest.mark.neo4j
def test_load_and_packs_in_csv_and_markdown(env, run_cli) -> None:
    code, out, err = run_cli("neo4j", "load", "--data", str(MINI), "--format", "csv")
    assert code == 0 and "Loaded pack mini" in err and "Loaded" not in out, err
    rows = {r["what"]: int(r["count"]) for r in csv.DictReader(io.StringIO(out))}
    assert rows == pack_counts(env.driver, env.name, "mini")
    md = _ok(run_cli, "neo4j", "packs", "--format", "md")
    assert md.startswith("| id | name |") and "| mini |" in md


@pytest.mark.neo4j
@pytest.mark.parametrize("name", sorted(NEO4J_COMMANDS))
def test_server_json_shape_matches_the_golden_file(env, run_cli, name) -> None:
    argv = NEO4J_COMMANDS[name]
    if argv[:2] == ("neo4j", "drop"):
        _load_mini(run_cli)
    real = tuple(str(MINI) if a == "tests/fixtures/mini" else a for a in argv)
    got = pin(argv, json.loads(_ok(run_cli, *real, "--format", "json")))
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert path.exists(), f"no golden file {path.name}: run with GRAPHFLOW_UPDATE_GOLDEN=1"
    assert got == json.loads(path.read_text()), (
        f"the JSON of `{got['command']}` changed shape; if intended, rerun with "
        "GRAPHFLOW_UPDATE_GOLDEN=1 and review the diff")
